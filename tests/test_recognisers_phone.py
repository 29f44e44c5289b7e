"""The phone recogniser, also over message boundaries (a conversation is one document)."""

from __future__ import annotations

from childx_research.anonymize import anonymize_conversations, detect, detect_messages
from childx_research.records import Conversation


def _labels(text: str) -> list[tuple[str, str]]:
    return [(text[s.start:s.end], s.label) for s in detect(text)]


def test_common_formats_are_phones():
    for number in ("070-123 45 67", "0701234567", "+46 70 123 45 67", "08-123 456 78"):
        assert ("" + number, "TELEFON") in _labels(f"ring mig på {number} ikväll")


def test_times_dates_and_helplines_are_not_phones():
    for text in ("vi ses 18.30 imorgon", "det hände 2021-05-03", "ring 112 om det är akut"):
        assert not [lab for _, lab in _labels(text) if lab == "TELEFON"]


def test_number_split_over_two_messages_of_one_person_is_found_in_both():
    texts = ["du kan nå mig på 073 912", "44 18", "okej"]
    got = detect_messages(texts, roles=["stodsokande", "stodsokande", "stodperson"])
    assert [(texts[0][s.start:s.end], s.label) for s in got[0]] == [("073 912", "TELEFON")]
    assert [(texts[1][s.start:s.end], s.label) for s in got[1]] == [("44 18", "TELEFON")]
    assert got[2] == []


def test_a_number_is_not_joined_across_two_voices_or_ordinary_digits():
    texts = ["du kan nå mig på 073 912", "44 18"]
    got = detect_messages(texts, roles=["stodsokande", "stodperson"])
    assert not any(s.label == "TELEFON" for s in got[1])
    # an ordinary count in the next message does not join a lone short number
    texts = ["jag fick typ 40", "15 gånger"]
    got = detect_messages(texts, roles=["stodsokande", "stodsokande"])
    assert got == [[], []]


def test_anonymised_conversation_has_neither_part_left():
    conv = Conversation(id="k-1", channel="chatt", messages=[
        {"role": "stodsokande", "text": "han sms:ar från 076 318"},
        {"role": "stodsokande", "text": "52 90"},
        {"role": "stodperson", "text": "Tack, spara numret."},
    ])
    out, report = anonymize_conversations([conv], style="tags")
    texts = [m.text for m in out[0].messages]
    assert "318" not in texts[0] and "52 90" not in texts[1]
    assert report["total"]["TELEFON"] == 2
