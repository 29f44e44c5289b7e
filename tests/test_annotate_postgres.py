"""Label Studio on a real PostgreSQL server, the way a team runs it: a database and a
login role that owns it (no superuser), the settings in `.env` (DJANGO_DB=default and
POSTGRE_*, passed through by start_server as by `childx annotate serve`), and the same
push -> annotate (two annotators) -> pull round trip as against SQLite.

PostgreSQL is Debian's `postgresql` (`make test` installs it as root, `make postgres`);
the test starts a throwaway cluster in a temporary folder on a free port and skips, with
the reason, only where the server is not installed or will not start."""

from __future__ import annotations

import secrets

import pytest
from labelstudio_support import ensure_label_studio, round_trip
from postgres_support import PostgresUnavailable, start_cluster

from childx_research.annotate.server import DB_NAME, start_server

pytestmark = pytest.mark.slow

DATABASE = "labelstudio"


@pytest.fixture(scope="module")
def postgres():
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def labelstudio_pg(postgres, tmp_path_factory):
    """Label Studio with its settings in a `.env` file, as a team would write them."""
    ensure_label_studio()
    settings = postgres.create_database(DATABASE, user="labelstudio")
    settings.update({"LABEL_STUDIO_USERNAME": "admin@localhost",
                     "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(12),
                     "LABEL_STUDIO_USER_TOKEN": secrets.token_hex(20)})
    root = tmp_path_factory.mktemp("labelstudio-pg")
    env_file = root / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
    env_file.chmod(0o600)
    # the first start runs Label Studio's migrations into the empty database
    server = start_server(root / "data", port=None, env_file=env_file, timeout=900)
    yield server
    server.stop()


def test_round_trip_against_postgresql(labelstudio_pg, postgres, contacts, anonymised, form, tmp_path):
    seconds = round_trip(labelstudio_pg, contacts, anonymised, form, tmp_path / "pulled")
    print(f"\nround trip against Label Studio on PostgreSQL: {seconds:.1f} s "
          f"({len(anonymised)} conversations; first start with migrations {labelstudio_pg.started_in:.1f} s)")
    # everything went into PostgreSQL, nothing into a SQLite file
    assert not (labelstudio_pg.data_dir / DB_NAME).exists()
    count = lambda table: int(postgres.sql(f"SELECT count(*) FROM {table}", database=DATABASE))  # noqa: E731
    assert count("task") == len(anonymised)
    assert count("task_completion") == len(anonymised) + len(anonymised) // 3  # two annotators
    assert count("prediction") == len(anonymised)
    # Label Studio ran as the database's owner, not as a superuser
    assert postgres.sql("SELECT rolsuper FROM pg_roles WHERE rolname = 'labelstudio'").strip() == "f"
