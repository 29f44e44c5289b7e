"""Names of people, also names that are ordinary words, decided from context; and a
conversation read as one document (a name found once is masked everywhere in it)."""

from __future__ import annotations

import pytest

from childx_research.anonymize import anonymize_conversations, detect, detect_messages
from childx_research.records import Conversation


def _persons(text: str) -> list[str]:
    return [text[s.start:s.end] for s in detect(text) if s.label == "PERSON"]


@pytest.mark.parametrize("text, name", [
    ("tack saga 💜", "saga"),                       # a vocative after a greeting
    ("hej sam!", "sam"),
    ("Du är inte själv i det här, Sam.", "Sam"),     # a vocative after a comma
    ("jag sover hos ros ikväll", "ros"),            # company
    ("vi ska hänga med sam efter skolan", "sam"),
    ("men jasmin är redan 16", "jasmin"),           # the subject of a finite verb
    ("saga kollar min mobil hela tiden", "saga"),
    ("sam, min bästa vän, vet allt", "sam"),         # an apposition with an adjective
    ("han heter sten och är 40", "sten"),
    ("Vet Ros om det?", "Ros"),                      # capitalised inside a sentence
])
def test_name_that_is_a_word_is_found_from_its_context(text, name):
    assert name in _persons(text)


@pytest.mark.parametrize("text", [
    "jag fick en ros av honom",
    "det är som en saga",
    "han kastade en sten på mig",
    "jag känner mig så ensam",
    "hon sover hos mig ikväll",
    "jag var med dom",
    "tack så mycket",
    "hej!",
])
def test_ordinary_reading_is_kept(text):
    assert _persons(text) == []


def test_a_name_found_once_is_masked_everywhere_in_every_case():
    texts = ["Jag heter Saga och jobbar här.", "okej. tack saga", "sagas råd var bra", "Saga?"]
    got = detect_messages(texts)
    found = [[t[s.start:s.end] for s in spans if s.label == "PERSON"] for t, spans in zip(texts, got)]
    assert found == [["Saga"], ["saga"], ["sagas"], ["Saga"]]


def test_the_ordinary_reading_stays_where_the_name_is_known():
    texts = ["Vet Ros om det här?", "jag fick en ros av honom", "ros vet allt"]
    got = detect_messages(texts)
    found = [[t[s.start:s.end] for s in spans if s.label == "PERSON"] for t, spans in zip(texts, got)]
    assert found == [["Ros"], [], ["ros"]]


def test_both_voices_lose_the_name():
    conv = Conversation(id="k-2", channel="chatt", messages=[
        {"role": "stodperson", "text": "Hej! Jag heter Sam och är volontär här."},
        {"role": "stodsokande", "text": "tack sam"},
        {"role": "stodsokande", "text": "sam du e bäst"},
    ])
    out, _ = anonymize_conversations([conv], style="tags")
    for m in out[0].messages:
        assert "sam" not in m.text.lower().replace("samtal", "")


def test_names_in_a_list_with_other_names():
    assert _persons("jag, Oskar, sten och Wilma var där") == ["Oskar", "sten", "Wilma"]


def test_a_list_of_ordinary_words_stays():
    assert _persons("vi hade sand, sten och grus") == []
