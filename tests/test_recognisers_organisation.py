"""Workplaces and schools by their short name after "jobbar på", "går på", "praktik på"."""

from __future__ import annotations

import pytest

from childx_research.anonymize import detect


def _orgs(text: str) -> list[str]:
    return [text[s.start:s.end] for s in detect(text) if s.label == "ORGANISATION"]


@pytest.mark.parametrize("text, org", [
    ("jag jobbar på Lidl på helgerna", "Lidl"),              # a chain is a workplace here
    ("hon jobbar extra på Willys", "Willys"),
    ("han går sjuan på polhem", "polhem"),               # a school by its short name
    ("jag har praktik på Elgiganten", "Elgiganten"),
    ("jag går på Viktor Rydbergs gymnasium", "Viktor Rydbergs gymnasium"),  # the long rule still wins
])
def test_workplaces_and_schools_are_found(text, org):
    assert org in _orgs(text)


@pytest.mark.parametrize("text", [
    "jag går på bio ikväll",
    "han jobbar på lager",
    "vi går på fest",
    "jag handlade på Lidl",     # a chain named in passing is not a workplace
    "ring BRIS om du vill",
])
def test_ordinary_readings_are_kept(text):
    assert _orgs(text) == []
