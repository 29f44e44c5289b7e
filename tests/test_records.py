from __future__ import annotations

import json
import os

import pytest

from childx_research.errors import InputError
from childx_research.records import (
    Contact, Conversation, FormRecord, atomic_open, contacts_to_dataset_dict, decode_row, read_contacts,
    read_conversations, read_form_records, split_ids, to_dataset_dict, write_jsonl,
)

GOOD_FORM = {"alder": "13_15", "kon": "tjej", "utsatthet": ["sextortion"], "forovare": ["natkontakt"],
             "pagaende": "ja", "berattat_for": ["ingen"], "polisanmalan": "ej_angivet", "maende": ["angest"],
             "akut_risk": "nej", "hanvisning": ["polis"], "sammanfattning": "Tjej 13–15 år."}


def _contact(i: int, **over) -> dict:
    text = f"hej jag heter emma {i}"
    c = {"id": f"c-{i}", "organisation": "tjejzonen", "channel": "chatt",
         "started_at": "2025-03-14T19:02:00+01:00",
         "messages": [{"role": "stodsokande", "text": text}, {"role": "stodperson", "text": "Hej!"}],
         "gold": dict(GOOD_FORM), "pii": [{"message": 0, "start": 14, "end": 18, "label": "PERSON", "text": "emma"}]}
    c.update(over)
    return c


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_read_contacts_round_trip(tmp_path, form):
    src = _write(tmp_path / "in.jsonl", [_contact(1), _contact(2)])
    contacts = read_contacts(src, form)
    assert [c.id for c in contacts] == ["c-1", "c-2"]
    out = tmp_path / "out.jsonl"
    write_jsonl(out, contacts)
    again = read_contacts(out, form)
    assert [c.model_dump() for c in again] == [c.model_dump() for c in contacts]
    assert "å" in out.read_text(encoding="utf-8")  # UTF-8, not \u escapes


@pytest.mark.parametrize("row, expected", [
    ("{not json", ":2: invalid JSON"),
    ('["a list"]', ":2: expected a JSON object"),
    (_contact(9, gold={**GOOD_FORM, "utsatthet": ["pengar"]}), ":2: gold.utsatthet: not one of the form's options"),
    (_contact(9, gold={k: v for k, v in GOOD_FORM.items() if k != "kon"}), ":2: gold.kon: missing key"),
    (_contact(9, gold={**GOOD_FORM, "akut_risk": True}), ":2: gold.akut_risk: must be one option key"),
    ({k: v for k, v in _contact(9).items() if k != "messages"}, ":2: messages: missing key"),
    (_contact(9, messages=[{"role": "chef", "text": "x"}]), ":2: messages.0.role:"),
    (_contact(9, started_at="igår"), ":2: started_at: "),
    (_contact(9, pii=[{"message": 0, "start": 0, "end": 3, "label": "PERSON", "text": "xyz"}]), "do not point at its text"),
])
def test_bad_line_gives_file_line_and_key(tmp_path, form, row, expected):
    src = _write(tmp_path / "in.jsonl", [_contact(1), row])
    with pytest.raises(InputError) as exc:
        read_contacts(src, form)
    msg = str(exc.value)
    assert msg.startswith(str(src)) and expected in msg and "\n" not in msg


def test_missing_file_and_not_utf8(tmp_path, form):
    with pytest.raises(InputError, match="file not found"):
        read_conversations(tmp_path / "nope.jsonl")
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes('{"id": "x", "messages": [{"role": "stodsokande", "text": "hej på dig"}]}\n'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_conversations(bad)


def test_form_records_validate_against_form(tmp_path, form, mini_form):
    rec = {"id": "c-1", "started_at": "2025-01-01T10:00:00+01:00", "form": GOOD_FORM,
           "confidence": {"alder": 0.9}}
    src = _write(tmp_path / "forms.jsonl", [rec])
    assert read_form_records(src, form)[0].confidence == {"alder": 0.9}
    with pytest.raises(InputError, match="missing key"):
        read_form_records(src, mini_form)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def boom():
        yield {"id": "1"}
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_jsonl(target, boom())
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temp file left behind


def test_atomic_open_creates_parent(tmp_path):
    with atomic_open(tmp_path / "a" / "b.txt") as fh:
        fh.write("x")
    assert (tmp_path / "a" / "b.txt").read_text() == "x"
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]
    assert os.listdir(tmp_path / "a") == ["b.txt"]


def test_dataset_features_follow_the_form(form):
    contacts = [Contact.model_validate(_contact(i)) for i in range(30)]
    dd = contacts_to_dataset_dict(contacts, form)
    assert set(dd) == {"train", "validation", "test"}
    assert sum(len(d) for d in dd.values()) == 30
    feats = dd["train"].features
    assert feats["alder"].names == form.field("alder").option_keys
    assert feats["utsatthet"].feature.names == form.field("utsatthet").option_keys
    row = dd["train"][0]
    assert decode_row(row, form) == {**GOOD_FORM}
    assert row["roles"] == ["stodsokande", "stodperson"]


def test_dataset_for_another_form(mini_form):
    conv = Conversation(id="x", messages=[{"role": "stodsokande", "text": "hej"}])
    values = {"kanal_fragan": "natet", "behov": ["rad", "prata"], "anteckning": "kort"}
    pairs = [(conv.model_copy(update={"id": f"x{i}"}), values) for i in range(10)]
    dd = to_dataset_dict(pairs, mini_form)
    row = next(r for d in dd.values() for r in d)
    assert dd["train"].features["kanal_fragan"].names == ["natet", "hemma", "skolan", "vet_ej"]
    assert decode_row(row, mini_form) == {"kanal_fragan": "natet", "behov": ["prata", "rad"], "anteckning": "kort"}


def test_small_sets_give_empty_but_valid_splits(form):
    contacts = [Contact.model_validate(_contact(i)) for i in range(2)]
    dd = contacts_to_dataset_dict(contacts, form)
    assert sum(len(d) for d in dd.values()) == 2
    assert any(len(d) == 0 for d in dd.values())
    assert all(d.features == dd["train"].features for d in dd.values())


def test_split_is_deterministic_and_stratified(form):
    items = []
    for i in range(200):
        v = dict(GOOD_FORM)
        if i % 20 == 0:  # a rare option: 10 items
            v["utsatthet"] = ["hedersrelaterat"]
        items.append((f"c-{i}", v))
    a = split_ids(items, form, seed=3)
    assert a == split_ids(list(reversed(items)), form, seed=3)
    rare = [a[f"c-{i}"] for i in range(0, 200, 20)]
    assert rare.count("train") == 8 and rare.count("validation") == 1 and rare.count("test") == 1
    counts = {s: list(a.values()).count(s) for s in ("train", "validation", "test")}
    assert counts == {"train": 160, "validation": 20, "test": 20}


def test_form_record_from_contact(form):
    c = Contact.model_validate(_contact(1))
    rec = c.form_record()
    assert isinstance(rec, FormRecord) and rec.form == GOOD_FORM and rec.started_at == c.started_at
    assert "gold" not in c.conversation().model_dump()
