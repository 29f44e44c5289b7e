from __future__ import annotations

from pathlib import Path

import pytest

from childx_research.forms import FORMS_DIR, load_form

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
