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
