"""Places people name: localities (GeoNames list), districts, squares, shopping centres and
baths (hand-written list), in any case; compounds of a place and a facility."""

from __future__ import annotations

import pytest

from childx_research.anonymize import detect


def _found(text: str, label: str) -> list[str]:
    return [text[s.start:s.end] for s in detect(text) if s.label == label]


@pytest.mark.parametrize("text, place", [
    ("jag bor i Skellefteå", "Skellefteå"),          # a locality
    ("vi flyttade till ljungby", "ljungby"),          # lower case
    ("han har en lägenhet på majorna", "majorna"),    # a district
    ("vi var på Nordstan hela dagen", "Nordstan"),     # a shopping centre
    ("vi ses på rosengårdsbadet?", "rosengårdsbadet"),  # a district joined to a facility
    ("vi träffades nära skanstull", "skanstull"),
])
def test_places_are_found(text, place):
    assert place in _found(text, "PLATS")


def test_a_square_is_masked():
    text = "vi ses vid Järntorget sen"
    assert [text[s.start:s.end] for s in detect(text)] == ["Järntorget"]


@pytest.mark.parametrize("text", [
    "vi badade på stadsbadet",       # an ordinary compound
    "han kastade en sten",
    "jag satt i parken",
    "vi gick till torget",
    "hon bor på söder om stan",      # lower-case ordinary word without a place list context
])
def test_ordinary_words_are_kept(text):
    assert _found(text, "PLATS") == []


@pytest.mark.parametrize("text, place", [
    ("han bodde länge i USA", "USA"),                     # a country in capitals
    ("Norge har stängt gränsen", "Norge"),                # a country first in the sentence
    ("hon flyttade till Kiruna kommun", "Kiruna kommun"),  # a place and its tail
    ("vi bor i norra Umeå", "norra Umeå"),                # a direction before a place
])
def test_countries_tails_and_directions(text, place):
    assert place in _found(text, "PLATS")


def test_sweden_is_kept():
    assert _found("jag har bott i Sverige i tre år", "PLATS") == []
