"""The evidence inside the model: stacked features, and ``evidence`` in predicted records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from childx_research.forms import load_form
from childx_research.modeling import load_model, train
from childx_research.modeling import stacking
from childx_research.records import Conversation, Message

FAST = {"baseline": {"max_features_word": 3000, "max_features_char": 6000}}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "ev"
    return train("baseline", out, overrides={"data": {"generate": {"n": 200, "seed": 5}}, **FAST}, log=lambda m: None)


def test_the_model_folder_holds_the_rules_and_the_learned_combination(model_dir):
    assert (model_dir / "form.evidence.yaml").exists() and (model_dir / "stacking.json").exists()
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["stacking"]  # what was stacked, per field


def test_predicted_records_carry_exact_evidence(model_dir):
    conv = Conversation(id="e1", started_at="2025-05-05T12:00", messages=[
        Message(role="stodsokande", text="hej. jag e 15 och kille. ingen vet om det här"),
        Message(role="stodperson", text="Tack för att du skriver. Du kan prata med kuratorn eller ringa 112."),
    ])
    rec = load_model(model_dir).predict([conv], key_sentence=False)[0]
    ev = rec.model_extra["evidence"]
    for key, val in ev.items():
        lists = [val] if isinstance(val, list) else list(val.values())
        for items in lists:
            for e in items:
                assert conv.messages[e["message"]].text[e["start"]:e["end"]] == e["text"]
    # evidence is given only for the value the model chose
    if "alder" in ev:
        assert rec.form["alder"] == "13_15"
    if "hanvisning" in ev:
        assert set(ev["hanvisning"]) <= set(rec.form["hanvisning"])


def test_stacking_learns_that_counted_evidence_decides():
    """A synthetic validation split where the classifier is noise and the evidence right:
    the fitted second stage follows the evidence (no weight set by hand)."""
    form = load_form()
    f = form.field("kon")
    rng = np.random.default_rng(0)
    n = 200
    y = rng.integers(0, len(f.options), n)
    logits = {f.key: rng.normal(size=(n, len(f.options)))}
    feats = np.zeros((n, 2 * len(f.options)))
    feats[np.arange(n), 2 * y] = 1.0

    class OneField:
        choice_fields = [f]

    st, _ = stacking.fit(OneField, logits, {f.key: feats}, [{f.key: f.option_keys[i]} for i in y])
    out = st.apply(OneField, logits, {f.key: feats})[f.key]
    assert (out.argmax(axis=1) == y).mean() > 0.95


def test_a_field_without_grounds_goes_to_a_person(model_dir):
    """``calibration.require_evidence``: a chosen option that has cues in the evidence file
    but no counted evidence in the text is not filled in alone, however confident."""
    model = load_model(model_dir)
    conv = Conversation(id="e2", messages=[Message(role="stodsokande", text="hej jag vill bara prata lite")])
    found = model.evidence([conv])[0]
    values = {f.key: f.option_keys[0] if f.kind == "single" else [f.option_keys[0]] for f in model.form.choice_fields}
    ungrounded = model._ungrounded(found, values)
    with_cues = {k for k, fr in model.finder.rules.fields.items() if fr.options.get(
        values[k] if isinstance(values[k], str) else values[k][0])}
    assert with_cues and with_cues <= ungrounded
    # the flag off: only the confidence bar decides
    rec_on = model.predict([conv], key_sentence=False)[0]
    model.config.setdefault("calibration", {})["require_evidence"] = False
    rec_off = model.predict([conv], key_sentence=False)[0]
    assert set(rec_off.needs_review) <= set(rec_on.needs_review)


def test_without_evidence_the_classifier_decides():
    """Where the text holds no evidence the stacked scores are exactly the classifier's,
    even when the validation split taught that evidence usually comes with an option."""
    form = load_form()
    f = form.field("kon")
    rng = np.random.default_rng(1)
    n = 300
    y = rng.integers(0, len(f.options), n)
    logits = {f.key: rng.normal(size=(n, len(f.options)))}
    feats = np.zeros((n, 2 * len(f.options)))
    feats[np.arange(n), 2 * y] = (rng.random(n) < 0.9)  # evidence for the right option, nine times in ten

    class OneField:
        choice_fields = [f]

    st, _ = stacking.fit(OneField, logits, {f.key: feats}, [{f.key: f.option_keys[i]} for i in y])
    fresh = rng.normal(size=(20, len(f.options)))
    out = st.apply(OneField, {f.key: fresh}, {f.key: np.zeros((20, 2 * len(f.options)))})[f.key]
    shifted = fresh - fresh.max(axis=1, keepdims=True)
    expected = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert np.allclose(out, expected)
    # and with evidence the option it points at wins
    with_ev = np.zeros((20, 2 * len(f.options)))
    with_ev[:, 2 * 1] = 1.0
    assert (st.apply(OneField, {f.key: fresh}, {f.key: with_ev})[f.key].argmax(axis=1) == 1).all()


def _two_records():
    from childx_research.records import FormRecord

    form = load_form()
    base = {f.key: (f.option_keys[0] if f.kind == "single" else [f.option_keys[0]]) for f in form.choice_fields}
    gold = [FormRecord(id="a", form={**base, "alder": "13_15"}), FormRecord(id="b", form={**base, "alder": "16_17"})]
    pred = [FormRecord(id="a", form={**base, "alder": "13_15"}, needs_review=["kon"],
                       evidence={"alder": [{"message": 0, "text": "15 år", "start": 8, "end": 13}]}),
            FormRecord(id="b", form={**base, "alder": "13_15"}, needs_review=[],
                       evidence={"alder": [{"message": 0, "text": "14", "start": 0, "end": 2}]})]
    return form, gold, pred


def test_alone_figures_count_only_fields_outside_review():
    from childx_research.evaluation import alone_figures

    form, gold, pred = _two_records()
    n = len(form.choice_fields)
    got = alone_figures(gold, pred, form)
    # a: all but kon filled, all right; b: all filled, alder wrong
    assert got["alone_coverage"] == (2 * n - 1) / (2 * n)
    assert got["alone_right"] == (2 * n - 2) / (2 * n - 1)


def test_evidence_precision_needs_the_same_option_message_and_an_overlap():
    from childx_research.evaluation import evidence_precision

    form, gold, pred = _two_records()
    rows = [{"id": "a", "messages": [{"role": "stodsokande", "text": "hej. ja 15 år gammal"}], "gold": gold[0].form,
             "evidence": {"alder": [{"message": 0, "text": "ja 15 år"}]}},
            {"id": "b", "messages": [{"role": "stodsokande", "text": "14 nästan 16"}], "gold": gold[1].form,
             "evidence": {"alder": [{"message": 0, "text": "16"}]}}]
    # a's item overlaps the gold text of its (right) option; b's option is wrong
    assert evidence_precision(rows, pred, form) == {"evidence_items": 2, "evidence_precision": 0.5}


def test_labelled_figures_on_a_labelled_file(model_dir, tmp_path):
    """What `childx demo --dev` prints: the figures of a model on hand-labelled conversations
    (written here for the test), with evidence precision when the file has gold evidence."""
    from childx_research.modeling.labelled import labelled_figures

    form = load_form()
    gold = {f.key: ("ej_angivet" if "ej_angivet" in f.option_keys else f.option_keys[-1]) if f.kind == "single"
            else (["ej_angivet"] if "ej_angivet" in f.option_keys else [f.option_keys[-1]]) for f in form.choice_fields}
    gold.update({"alder": "13_15", "akut_risk": "nej", "sammanfattning": ""})
    rows = [{"id": f"l{i}", "started_at": "2025-05-05T12:00", "messages": [
        {"role": "stodsokande", "text": text}, {"role": "stodperson", "text": "Tack för att du berättar."}],
        "gold": gold, "evidence": {"alder": [{"message": 0, "text": text.split(".")[0]}]}}
        for i, text in enumerate(["jag är 14 år. vet inte vad jag ska göra", "jag e 13. han skriver hela tiden"])]
    path = tmp_path / "handskrivna.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    fig = labelled_figures(model_dir, path)
    assert fig["file"] == "handskrivna.jsonl" and fig["contacts"] == 2
    assert 0 <= fig["mean_macro_f1"] <= 1 and set(fig["fields"]) == {f.key for f in form.choice_fields}
    assert fig["alarms"][0]["field"] == "akut_risk" and fig["alarms"][0]["positives"] == 0
    assert 0 <= fig["alone_coverage"] <= 1 and fig["contacts_per_s"] > 0
    assert fig["alarms"][0]["caught"] == 0
    # every evidence item of the predicted options is counted, and the file is read once
    from childx_research.modeling.labelled import Labelled

    data = Labelled(path, form)
    assert [r["evidence"] for r in data.rows] == [r["evidence"] for r in rows]
    assert all("evidence" not in (c.model_extra or {}) for c, _ in data.pairs)   # gold evidence is not input
    pred = load_model(model_dir).predict([c for c, _ in data.pairs], key_sentence=False)
    n = sum(len(v) if isinstance(v, list) else sum(map(len, v.values()))
            for p in pred for v in (p.model_extra.get("evidence") or {}).values())
    assert fig["evidence_items"] == n and (n == 0 or fig["evidence_precision"] is not None)
    assert "jag" not in json.dumps(fig)        # figures only, never the text
