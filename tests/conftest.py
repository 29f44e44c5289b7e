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
