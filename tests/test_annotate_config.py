"""The labeling config and the result conversions, derived from the form (no server)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from childx_research.annotate.config import (DIALOG_KEY, DIALOG_TAG, EVIDENCE_TAG, MISSED_TAG, MISSED_TITLE,
                                             conversation_from_task, instructions_html, label_config, task_data)
from childx_research.annotate.results import (AnnotationRecord, MissedSpan, annotation_record, certainty, consensus,
                                              evidence_result, is_complete, prediction_result, result_values)
from childx_research.records import PII_LABELS, Conversation


@pytest.fixture(params=["form", "mini_form"])
def any_form(request):
    return request.getfixturevalue(request.param)


def test_config_has_every_field_with_swedish_labels_and_hints(any_form):
    root = ET.fromstring(label_config(any_form))
    assert root.tag == "View"
    choices = {c.get("name"): c for c in root.iter("Choices")}
    areas = {t.get("name"): t for t in root.iter("TextArea")}
    assert set(choices) == {f.key for f in any_form.choice_fields}
    assert set(areas) == {f.key for f in any_form.text_fields}
    headers = [h.get("value") for h in root.iter("Header")]
    for f in any_form.fields:
        assert any(h.startswith(f.label) for h in headers), f.key
        if f.guideline:
            assert f.guideline in headers
        if f.kind == "text":
            assert areas[f.key].get("toName") == DIALOG_TAG
            continue
        c = choices[f.key]
        assert c.get("toName") == DIALOG_TAG
        assert c.get("choice") == ("multiple" if f.kind == "multi" else "single-radio")
        assert c.get("required") == "true"
        opts = c.findall("Choice")
        assert [o.get("alias") for o in opts] == f.option_keys  # results hold the stable keys
        assert [o.get("value") for o in opts] == [o.label for o in f.options]  # people see Swedish
        assert [o.get("hint") for o in opts] == [o.guideline or None for o in f.options]


def test_config_shows_a_dialogue_and_a_missed_personal_data_tag(any_form):
    root = ET.fromstring(label_config(any_form))
    (para,) = root.iter("Paragraphs")
    assert para.get("name") == DIALOG_TAG and para.get("value") == f"${DIALOG_KEY}"
    assert para.get("layout") == "dialogue" and para.get("nameKey") == "roll"
    span = next(t for t in root.iter("ParagraphLabels") if t.get("name") == MISSED_TAG)
    assert span.get("name") == MISSED_TAG and span.get("toName") == DIALOG_TAG
    assert {l.get("alias") for l in span.iter("Label")} == set(PII_LABELS) | {"IDNUMMER"}
    assert MISSED_TITLE in [h.get("value") for h in root.iter("Header")]
    # tag names cannot collide with field keys ([a-z0-9_]+)
    assert "-" in DIALOG_TAG and "-" in MISSED_TAG


def test_two_forms_give_two_different_configs(form, mini_form):
    assert label_config(form) != label_config(mini_form)
    assert "Vad gäller frågan?" in label_config(mini_form) and "Ålder" not in label_config(mini_form)
    assert "Sex mot ersättning" in instructions_html(form)


def test_task_data_round_trip(form):
    conv = Conversation(id="c-1", organisation="tjejzonen", channel="chatt", started_at="2025-03-14T19:02:00+01:00",
                        messages=[{"role": "stodsokande", "text": "hej"}, {"role": "stodperson", "text": "Hej!"}])
    data = task_data(conv, form)
    assert data["conversation_id"] == "c-1"
    assert [m["roll"] for m in data[DIALOG_KEY]] == ["Stödsökande", "Stödperson"]
    back = conversation_from_task(data)
    assert back.model_dump(exclude_none=True) == conv.model_dump(exclude_none=True)


def test_prediction_result_and_back(form, generated_small):
    gold = generated_small.contacts[0].gold
    res = prediction_result(form, gold)
    values, missed = result_values(form, res)
    assert values == gold and missed == []
    assert is_complete(form, values)


def test_result_values_read_swedish_labels_and_missed_spans(mini_form):
    result = [
        {"from_name": "kanal_fragan", "type": "choices", "value": {"choices": ["Hemma"]}},  # a label, not a key
        {"from_name": "behov", "type": "choices", "value": {"choices": ["skydd", "prata"]}},
        {"from_name": MISSED_TAG, "type": "paragraphlabels",
         "value": {"start": "2", "end": "2", "startOffset": 4, "endOffset": 9, "text": "Stina",
                   "paragraphlabels": ["Namn"]}},
    ]
    values, missed = result_values(mini_form, result)
    assert values == {"kanal_fragan": "hemma", "behov": ["prata", "skydd"]}  # form order
    assert missed == [MissedSpan(message=2, end_message=2, start=4, end=9, type="PERSON")]
    assert is_complete(mini_form, values)  # the text field may stay empty
    assert not is_complete(mini_form, {"kanal_fragan": "hemma"})
    rec = annotation_record(mini_form, {"id": 7, "data": {"conversation_id": "c-9"}},
                            {"id": 3, "completed_by": 2, "result": result, "lead_time": 12.5})
    assert rec.id == "c-9" and rec.task_id == 7 and rec.annotator == 2 and rec.lead_time == 12.5
    assert "Stina" not in rec.model_dump_json()  # the missed text itself is never kept


def test_certainty_is_the_least_sure_field(form):
    values = {"alder": "13_15", "utsatthet": ["grooming", "sextortion"]}
    assert certainty(form, values, {"alder": 0.9, "utsatthet": {"grooming": 0.6, "sextortion": 0.97}}) == 0.6
    assert certainty(form, values, {"alder": 0.55}) == 0.55
    assert certainty(form, values, {"utsatthet": {"grooming": 0.1}}) == 0.9  # a sure "no"
    assert certainty(form, values, None) is None


def _ann(i, who, form_values, updated, **kw):
    return AnnotationRecord(id="c-1", task_id=1, annotation_id=i, annotator=who, form=form_values, complete=True,
                            updated_at=updated, **kw)


def test_consensus_majority_ties_and_ground_truth(mini_form):
    a = _ann(1, 1, {"kanal_fragan": "hemma", "behov": ["prata"], "anteckning": "x"}, "2025-01-01")
    b = _ann(2, 2, {"kanal_fragan": "skolan", "behov": ["prata", "rad"]}, "2025-01-02")
    c = _ann(3, 3, {"kanal_fragan": "hemma", "behov": ["rad"]}, "2025-01-03")
    assert consensus(mini_form, [a, b, c]) == {"kanal_fragan": "hemma", "behov": ["prata", "rad"], "anteckning": "x"}
    # a tie goes to the most recent annotation
    assert consensus(mini_form, [a, b])["kanal_fragan"] == "skolan"
    truth = _ann(4, 4, {"kanal_fragan": "natet", "behov": ["inget"]}, "2024-01-01", ground_truth=True)
    assert consensus(mini_form, [a, b, truth])["kanal_fragan"] == "natet"
    skipped = _ann(5, 5, {}, "2025-02-01", was_cancelled=True)
    assert consensus(mini_form, [skipped]) is None


def test_prefilled_leaves_review_fields_empty_but_keeps_raised_alarms():
    from childx_research.annotate.tasks import prefilled
    from childx_research.records import FormRecord

    rec = FormRecord(id="k1", form={"alder": "13_15", "akut_risk": "ja", "maende": ["angest"]},
                     needs_review=["alder", "akut_risk", "maende"])
    assert prefilled(rec) == {}
    assert prefilled(rec, {"akut_risk": {"ja"}}) == {"akut_risk": "ja"}
    calm = FormRecord(id="k2", form={"akut_risk": "nej"}, needs_review=["akut_risk"])
    assert prefilled(calm, {"akut_risk": {"ja"}}) == {}
    assert prefilled(FormRecord(id="k3", form={"alder": "13_15"})) == {"alder": "13_15"}


def test_config_has_an_evidence_mark_per_choice_field(any_form):
    root = ET.fromstring(label_config(any_form))
    tags = {t.get("name"): t for t in root.iter("ParagraphLabels")}
    assert set(tags) == {MISSED_TAG, EVIDENCE_TAG} and tags[EVIDENCE_TAG].get("toName") == DIALOG_TAG
    labels = tags[EVIDENCE_TAG].findall("Label")
    assert [l.get("alias") for l in labels] == [f.key for f in any_form.choice_fields]
    assert all(l.get("value").endswith(f.label) for l, f in zip(labels, any_form.choice_fields))
    # no evidence label reads like a personal-data label (pull tells them apart by tag anyway)
    missed_values = {l.get("value") for l in tags[MISSED_TAG].findall("Label")}
    assert not missed_values & {l.get("value") for l in labels}
    assert "-" in EVIDENCE_TAG


def test_evidence_becomes_marks_on_the_dialogue_and_is_never_read_back_as_an_answer(form):
    texts = ["hej", "hur gammal är du?", "jag är 15 och går i nian"]
    single = form.choice_fields[0]
    multi = next(f for f in form.choice_fields if f.kind == "multi")
    evidence = {
        single.key: [{"message": 2, "text": "jag är 15", "start": 0, "end": 9},
                     {"message": 2, "text": "jag är 15", "start": 0, "end": 9}],  # the same place once
        multi.key: {multi.option_keys[0]: [{"message": 2, "text": "nian", "start": 20, "end": 24}]},
        "no_such_field": [{"message": 0, "text": "hej", "start": 0, "end": 3}],
    }
    marks = evidence_result(form, evidence, texts)
    assert [(m["from_name"], m["value"]["start"], m["value"]["startOffset"], m["value"]["endOffset"])
            for m in marks] == [(EVIDENCE_TAG, "2", 0, 9), (EVIDENCE_TAG, "2", 20, 24)]
    assert marks[0]["value"]["paragraphlabels"] == [f"Underlag: {single.label}"]
    # offsets that do not give back the text (another version of the messages) are left out
    assert evidence_result(form, {single.key: [{"message": 2, "text": "nian", "start": 0, "end": 4}]}, texts) == []
    assert evidence_result(form, {single.key: [{"message": 9, "text": "x", "start": 0, "end": 1}]}, texts) == []
    assert evidence_result(form, None, texts) == []
    values, missed = result_values(form, prediction_result(form, {}) + marks)
    assert values == {} and missed == []
