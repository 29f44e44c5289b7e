"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries
(``/usr/lib/postgresql/<version>/bin``, installed by ``make postgres``), a data folder and
unix socket in a fresh temporary folder, TCP on 127.0.0.1 and a free port only, password
authentication over TCP. As root the server runs as the ``postgres`` system user
(PostgreSQL refuses to run as root)."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from childx_research.annotate.server import free_port

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here or would not start (the tests that need it skip)."""


def pg_bindir() -> Path | None:
    """The newest installed server's bin folder (with initdb and pg_ctl), if any."""

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in p.parent.name.split(".") if x.isdigit())

    found = [b for b in PG_ROOT.glob("*/bin") if (b / "initdb").exists() and (b / "pg_ctl").exists()]
    return max(found, key=version) if found else None


@dataclass
class PostgresCluster:
    bindir: Path
    root: Path
    port: int
    run_as: str | None  # the system user the server runs as (None: ourselves)
    host: str = "127.0.0.1"
    databases: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        """A PostgreSQL program, as the cluster's system user."""
        user = {"user": self.run_as, "group": pwd.getpwnam(self.run_as).pw_gid, "extra_groups": []} \
            if self.run_as else {}
        env = {"PATH": f"{self.bindir}:/usr/bin:/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
               "HOME": str(self.root), "PGHOST": str(self.socket_dir), "PGPORT": str(self.port)}
        proc = subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True,
                              env=env, cwd=str(self.root), timeout=timeout, **user)
        if check and proc.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}")
        return proc

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one SQL statement as the cluster's superuser, over the unix socket."""
        return self.run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", SUPERUSER, "-d", database,
                        "-tA", "-c", statement).stdout

    def create_database(self, name: str, user: str) -> dict[str, str]:
        """A login role with a random password that owns a new database (no superuser, as a
        team would set it up); returns Label Studio's settings for it."""
        password = secrets.token_urlsafe(16)
        self.sql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        self.run("createdb", "-U", SUPERUSER, "-O", user, name)
        self.databases.append(name)
        return {"DJANGO_DB": "default", "POSTGRE_NAME": name, "POSTGRE_USER": user,
                "POSTGRE_PASSWORD": password, "POSTGRE_HOST": self.host, "POSTGRE_PORT": str(self.port)}

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self.run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False, timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresCluster":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_cluster(timeout: float = 120) -> PostgresCluster:
    """initdb and start a new cluster; raises PostgresUnavailable with the reason."""
    bindir = pg_bindir()
    if bindir is None:
        raise PostgresUnavailable(f"PostgreSQL's server is not installed (no initdb under {PG_ROOT}/*/bin; "
                                  "`make postgres` installs Debian's postgresql as root)")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresUnavailable("we are root and there is no 'postgres' system user to run the server as "
                                      "(PostgreSQL refuses to run as root)") from None
        run_as = SUPERUSER
    # its own folder under /tmp (not pytest's, which only root may enter), short enough for
    # the unix socket's path
    root = Path(tempfile.mkdtemp(prefix="childx-pg-"))
    cluster = PostgresCluster(bindir=bindir, root=root, port=free_port(), run_as=run_as)
    try:
        cluster.socket_dir.mkdir()
        if run_as:
            ent = pwd.getpwnam(run_as)
            for p in (root, cluster.socket_dir):
                os.chown(p, ent.pw_uid, ent.pw_gid)
        os.chmod(root, 0o700)
        cluster.run("initdb", "-D", str(cluster.data_dir), "-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8",
                    "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", timeout=timeout)
        # PostgreSQL's default durability (fsync on), as on a team's server
        options = f"-c listen_addresses={cluster.host} -p {cluster.port} -k {cluster.socket_dir}"
        cluster.run("pg_ctl", "-D", str(cluster.data_dir), "-l", str(root / "postgres.log"), "-o", options,
                    "-w", "-t", str(int(timeout)), "start", timeout=timeout + 10)
    except (PostgresUnavailable, OSError, subprocess.TimeoutExpired) as exc:
        log = root / "postgres.log"
        tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
        cluster.stop()
        raise PostgresUnavailable(f"PostgreSQL would not start: {exc}\n{tail}") from None
    return cluster
