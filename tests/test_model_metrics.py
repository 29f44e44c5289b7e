"""The project's evaluate metric modules (evaluation/metrics/), against hand-computed values."""

from __future__ import annotations

import pytest

from childx_research.evaluation import load_metric


def test_field_f1_single_hand_computed():
    # gold:  a a b b c     pred: a b b b a    (options a=0, b=1, c=2)
    # a: tp1 fp1 fn1 -> F1 0.5; b: tp2 fp1 fn0 -> 0.8; c: tp0 fp0 fn1 -> 0
    r = load_metric("field_f1").compute(predictions=[0, 1, 1, 1, 0], references=[0, 0, 1, 1, 2], num_options=4)
    assert r["per_option"][:3] == pytest.approx([0.5, 0.8, 0.0])
    assert r["per_option"][3] is None  # option absent from gold and prediction: left out
    assert r["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert r["micro_f1"] == pytest.approx(3 / 5)  # = accuracy for a single field
    assert r["support"] == [2, 2, 1, 0]


def test_field_f1_multi_hand_computed():
    pred = [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    gold = [[1, 0, 0], [0, 1, 0], [0, 1, 0]]
    # option 0: tp1 fp1 fn0 -> 2/3; option 1: tp1 fp0 fn1 -> 2/3; option 2: never -> left out
    r = load_metric("field_f1").compute(predictions=pred, references=gold)
    assert r["per_option"] == pytest.approx([2 / 3, 2 / 3, None])
    assert r["macro_f1"] == pytest.approx(2 / 3)
    # pooled: tp2 fp1 fn1 -> 4/6
    assert r["micro_f1"] == pytest.approx(2 / 3)


def test_exact_match_share():
    r = load_metric("exact_match_share").compute(predictions=["a", "b|c", "d"], references=["a", "b", "d"])
    assert r["exact_match_share"] == pytest.approx(2 / 3) and r["n"] == 3


def test_alarm_recall_and_false_alarm_rate():
    # tp 2, fn 1, fp 1, tn 4
    pred = [1, 1, 0, 1, 0, 0, 0, 0]
    gold = [1, 1, 1, 0, 0, 0, 0, 0]
    r = load_metric("alarm_recall").compute(predictions=pred, references=gold)
    assert (r["tp"], r["fn"], r["fp"], r["tn"]) == (2, 1, 1, 4)
    assert r["recall"] == pytest.approx(2 / 3)
    assert r["false_alarm_rate"] == pytest.approx(1 / 5)
    assert r["precision"] == pytest.approx(2 / 3)
    none = load_metric("alarm_recall").compute(predictions=[0, 0], references=[0, 0])
    assert none["recall"] is None and none["false_alarm_rate"] == 0.0


def test_expected_calibration_error_hand_computed():
    # two bins used (n_bins=2): [0, .5): conf .2, .4 -> mean .3, right 0 of 2 -> |0 - .3| = .3
    #                           [.5, 1]: conf .6, .8, 1.0 -> mean .8, right 2 of 3 -> |.667 - .8| = .1333
    # ECE = 2/5 * .3 + 3/5 * .1333 = .12 + .08 = .2
    r = load_metric("calibration_error").compute(predictions=[0.2, 0.4, 0.6, 0.8, 1.0], references=[0, 0, 1, 1, 0],
                                                 n_bins=2)
    assert r["ece"] == pytest.approx(0.2)
    assert [b["count"] for b in r["bins"]] == [2, 3]
    assert r["bins"][1]["accuracy"] == pytest.approx(2 / 3)


def test_coverage_at_precision_hand_computed():
    # sorted by confidence: .95 ok, .9 ok, .8 ok, .7 wrong, .6 ok
    # precision of the top 1..5: 1, 1, 1, .75, .8 -> at 0.95 the top 3 of 5 are covered
    conf = [0.6, 0.9, 0.7, 0.95, 0.8]
    ok = [1, 1, 0, 1, 1]
    r = load_metric("coverage_at_precision").compute(predictions=conf, references=ok, precision=0.95)
    assert r["coverage"] == pytest.approx(3 / 5)
    assert r["threshold"] == pytest.approx(0.8)
    # at 0.8 precision everything can be filled (the top 5 are right 4 of 5 times)
    r = load_metric("coverage_at_precision").compute(predictions=conf, references=ok, precision=0.8)
    assert r["coverage"] == pytest.approx(1.0)
    # nothing reaches 0.95 when the most confident is wrong
    r = load_metric("coverage_at_precision").compute(predictions=[0.9, 0.5], references=[0, 1], precision=0.95)
    assert r["coverage"] == 0.0 and r["threshold"] is None


def test_compute_metrics_on_form_records(form):
    from childx_research.evaluation import compute_metrics
    from childx_research.records import FormRecord

    def values(**over):
        base = {f.key: (f.option_keys[0] if f.kind == "single" else [f.option_keys[0]]) for f in form.choice_fields}
        base.update({f.key: "" for f in form.text_fields})
        base.update(over)
        return base

    alarm = {"field": form.single_fields[-1].key, "option": form.single_fields[-1].option_keys[0]}
    gold = [FormRecord(id="a", form=values()), FormRecord(id="b", form=values())]
    first = form.single_fields[0]
    pred = [FormRecord(id="a", form=values(), field_confidence={f.key: 0.9 for f in form.choice_fields}),
            FormRecord(id="b", form=values(**{first.key: first.option_keys[1]}),
                       field_confidence={f.key: 0.9 for f in form.choice_fields})]
    m = compute_metrics(gold, pred, form, alarms=[alarm])
    n_fields = len(form.choice_fields)
    assert m["exact_match_share"] == pytest.approx((2 * n_fields - 1) / (2 * n_fields))
    assert m["fields"][first.key]["exact_match"] == pytest.approx(0.5)
    assert m["fields"][first.key]["micro_f1"] == pytest.approx(0.5)
    assert m["confusion"][first.key]["matrix"][0][:2] == [1, 1]
    assert m["alarms"][0]["recall"] == 1.0
    assert m["ece"] == pytest.approx(abs(0.9 - (2 * n_fields - 1) / (2 * n_fields)))


def test_evidence_rows_quote_the_evidence_of_the_fields_asked_for(form):
    from childx_research.evaluation import evidence_rows
    from childx_research.records import FormRecord

    multi = next(f for f in form.choice_fields if f.kind == "multi")
    opt = multi.option_keys[0]
    rec = FormRecord(id="c", form={"kon": "tjej", multi.key: [opt]},
                     evidence={"kon": [{"message": 2, "text": "jag är tjej", "start": 0, "end": 11}],
                               multi.key: {opt: [{"message": 4, "text": "ord", "start": 3, "end": 6}]}})
    rows = evidence_rows(rec, form)
    assert rows == [{"fält": form.field("kon").label, "alternativ": form.field("kon").label_of("tjej"),
                     "meddelande": 2, "underlag": "jag är tjej"},
                    {"fält": multi.label, "alternativ": multi.label_of(opt), "meddelande": 4, "underlag": "ord"}]
    assert evidence_rows(rec, form, fields=[multi.label]) == rows[1:]  # by Swedish label or key
    assert evidence_rows(rec, form, fields=["kon"]) == rows[:1]
    assert evidence_rows(FormRecord(id="d", form={"kon": "tjej"}), form) == []
