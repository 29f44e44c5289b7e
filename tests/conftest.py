from __future__ import annotations

from pathlib import Path

import pytest

# the shared round trip against Label Studio asserts all along: show what failed
pytest.register_assert_rewrite("labelstudio_support")

from childx_research.forms import FORMS_DIR, load_form  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def form():
    return load_form()


@pytest.fixture(scope="session")
def mini_form():
    return load_form(FORMS_DIR / "exempel-mini.yaml")


@pytest.fixture(scope="session")
def generated_small():
    """200 generated contacts, shared by the tests that only read them."""
    from childx_research.generate import generate_contacts

    return generate_contacts(200, seed=11)


@pytest.fixture(scope="session")
def contacts():
    """24 generated contacts for the tests against Label Studio (SQLite and PostgreSQL)."""
    from childx_research.generate import generate_contacts

    return generate_contacts(24, seed=5).contacts


@pytest.fixture(scope="session")
def anonymised(contacts):
    """Their conversations, anonymised, keeping those the guard passes."""
    from childx_research.anonymize import anonymize_conversations, check_anonymised

    anon, _ = anonymize_conversations([c.conversation() for c in contacts], seed=1)
    return [c for c in anon if not check_anonymised(c)]


@pytest.fixture(autouse=True, scope="session")
def _seal_key_of_the_tests(tmp_path_factory):
    """The anonymiser's seal key for the whole test run (a fresh key file, created 0600 on
    first use), so no test reads or creates the user's own key."""
    import os

    path = tmp_path_factory.mktemp("seal") / "seal.key"
    old = {k: os.environ.pop(k, None) for k in ("CHILDX_SEAL_KEY", "CHILDX_SEAL_KEY_FILE")}
    os.environ["CHILDX_SEAL_KEY_FILE"] = str(path)
    yield path
    os.environ.pop("CHILDX_SEAL_KEY_FILE", None)
    os.environ.update({k: v for k, v in old.items() if v is not None})
