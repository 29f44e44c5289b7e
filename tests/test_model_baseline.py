"""The baseline family trains on a tiny dataset and round-trips save/load/predict,
for the default form and for the mini form (nothing is hard-coded to one form)."""

from __future__ import annotations

import json

import pytest

from childx_research.modeling import load_model, predict, train
from childx_research.records import read_form_records, write_jsonl

FAST = {"baseline": {"max_features_word": 5000, "max_features_char": 10000, "n_jobs": 1}}


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "baseline"
    return train("baseline", out, overrides={"data": {"generate": {"n": 160, "seed": 3}}, **FAST}, log=lambda m: None)


def test_model_folder_has_everything(baseline_dir):
    for name in ("childx_model.json", "form.yaml", "config.yaml", "calibration.json", "run.json", "metrics.json",
                 "model_card.md", "baseline.skops"):
        assert (baseline_dir / name).exists(), name
    run = json.loads((baseline_dir / "run.json").read_text())
    assert run["seed"] == 1 and "scikit-learn" in run["versions"] and run["sizes"]["train"] > 100
    metrics = json.loads((baseline_dir / "metrics.json").read_text())
    assert 0 <= metrics["test"]["mean_macro_f1"] <= 1
    card = (baseline_dir / "model_card.md").read_text()
    assert "Aldrig automatiska beslut om ett barn" in card
    assert not list(baseline_dir.parent.glob(".baseline.*")), "temporary folder left behind"


def test_alarm_recall_is_one_on_validation(baseline_dir):
    val = json.loads((baseline_dir / "metrics.json").read_text())["validation"]
    for a in val["alarms"]:
        if a["positives"]:
            assert a["recall"] == 1.0


def test_round_trip_predict(baseline_dir, generated_small, form, tmp_path):
    convs = [c.conversation() for c in generated_small.contacts[:25]]
    recs = predict(baseline_dir, convs)
    assert [r.id for r in recs] == [c.id for c in convs]
    path = tmp_path / "pred.jsonl"
    write_jsonl(path, recs)
    again = read_form_records(path, form)  # valid against the form
    assert len(again) == 25
    for r in again:
        assert set(r.confidence) == {f.key for f in form.choice_fields}
        assert set(r.needs_review) <= set(form.keys)
        for f in form.text_fields:
            assert r.form[f.key].strip()
    # a fresh load predicts the same
    other = load_model(baseline_dir).__class__(baseline_dir).predict(convs)
    assert [r.form for r in other] == [r.form for r in recs]


def test_the_summary_uses_only_confident_fields(baseline_dir, generated_small):
    from childx_research.summary import summarise

    conv = generated_small.contacts[0].conversation()
    rec = predict(baseline_dir, [conv], key_sentence=False)[0]
    confident = {k: v for k, v in rec.form.items() if k not in rec.needs_review}
    text_key = next(iter(k for k, v in rec.form.items() if isinstance(v, str) and k not in rec.confidence))
    assert rec.form[text_key] == summarise(confident)


def test_mini_form(tmp_path, generated_small, mini_form):
    from model_support import write_mini_contacts

    data = write_mini_contacts(generated_small.contacts[:150], mini_form, tmp_path / "mini.jsonl")
    form_path = str(tmp_path / "mini-form.yaml")
    from childx_research.forms import FORMS_DIR

    (tmp_path / "mini-form.yaml").write_text((FORMS_DIR / "exempel-mini.yaml").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    out = train("baseline", tmp_path / "m", data=data, overrides={"form": form_path, **FAST}, log=lambda m: None,
                allow_unsealed=True)  # generated contacts on disk: no one's data, but not sealed
    recs = predict(out, [c.conversation() for c in generated_small.contacts[150:170]])
    for r in recs:
        assert not mini_form.check_values(r.form)
        assert set(r.confidence) == {f.key for f in mini_form.choice_fields}
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["test"]["fields"]) == {f.key for f in mini_form.choice_fields}
    assert metrics["test"]["alarms"] == []  # the default alarm field is not in this form


def test_key_sentence_only_through_the_guard(baseline_dir, generated_small, monkeypatch):
    import importlib

    P = importlib.import_module("childx_research.modeling.predict")

    pred = load_model(baseline_dir)
    conv = generated_small.contacts[1].conversation()
    monkeypatch.setattr(P, "anonymiser_guard", lambda: None)
    assert pred.key_sentences([conv], [{"values": {}, "needs_review": []}]) == [None]
    # with a guard that refuses everything nothing is quoted
    monkeypatch.setattr(P, "anonymiser_guard", lambda: (lambda s: None))
    rec = pred.predict([conv])[0]
    assert "Citat" not in " ".join(v for v in rec.form.values() if isinstance(v, str))


def test_real_guard_refuses_personal_data():
    from childx_research.modeling.predict import anonymiser_guard

    guard = anonymiser_guard()
    if guard is None:
        pytest.skip("no anonymiser in this checkout")
    assert guard("han ringde mig på 070-174 06 12 igår kväll") is None
    assert guard("jag heter Nellie Andersson och bor i Växjö") is None
    assert guard("han hotar att skicka bilderna till alla") == "han hotar att skicka bilderna till alla"


def test_sentence_windows_overlap_and_skip_short_texts():
    from childx_research.modeling.baseline import sentence_windows

    text = " ".join(f"Mening {i}." for i in range(1, 11))
    wins = sentence_windows(text, 4)
    assert wins[0] == "Mening 1. Mening 2. Mening 3. Mening 4." and wins[1].startswith("Mening 3.")
    assert wins[-1].endswith("Mening 10.") and all(len(w.split(".")) - 1 <= 4 for w in wins)
    assert sentence_windows("Kort. Text.", 4) == []


def test_acute_windows_find_one_sentence_in_a_long_mail(baseline_dir, form):
    """The acute-risk score pools windows: one acute sentence drowned in ordinary lines is
    found, where the whole-mail score misses it. A small model trained here on short texts
    (acute: nowhere to sleep tonight; ordinary: school) makes the effect exact."""
    import numpy as np

    from childx_research.modeling.baseline import (BaselineModel, _fit_head, _frame, _vectorizer,
                                                   _windows_config, voice_columns)
    from childx_research.records import Conversation, Message

    assert load_model(baseline_dir).model.windows["options"] == {"akut_risk": [0]}   # the default config
    def conv(i, text):
        return Conversation(id=str(i), messages=[Message(role="stodperson", text="Hej, jag finns här."),
                                                 Message(role="stodsokande", text=text)])
    acute = ["jag har ingenstans att sova ikväll.", "jag måste ut ikväll och har inget ställe att sova på."]
    ordinary = [f"vi hade matte på lektion {i} och det var som vanligt." for i in range(12)] + \
        ["min lillebror lagar pannkakor varje morgon.", "det har regnat hela veckan."]
    texts = acute * 6 + ordinary
    y = np.array([0] * 12 + [1] * len(ordinary))          # option 0 = "ja"
    bcfg = {"min_df": 1, "C": 1000.0, "max_iter": 500, "word_ngrams": [1, 2], "solver": "lbfgs"}
    vec = _vectorizer(bcfg, len(texts))
    X = vec.fit_transform(_frame([conv(i, t) for i, t in enumerate(texts)])).tocsr()
    cols = voice_columns(vec, ["stodsokande"])
    heads = {f.key: _fit_head(X[:, cols], y, bcfg, 1, 2) for f in form.single_fields if f.key == "akut_risk"}
    cfg = {"calibration": {"alarms": [{"field": "akut_risk", "option": "ja"}]}}
    windows = _windows_config({"windows": {"sentences": 2, "fields": ["akut_risk"]}}, cfg, form)
    assert windows == {"sentences": 2, "options": {"akut_risk": [0]}}

    class OneField:        # the form restricted to akut_risk, as far as logits() looks
        choice_fields = [form.field("akut_risk")]
        field = staticmethod(form.field)
    columns = {"akut_risk": cols}
    pooled_model = BaselineModel(OneField, vec, heads, columns, windows)
    whole_model = BaselineModel(OneField, vec, heads, columns)
    long_mail = " ".join(ordinary[:8]) + " " + acute[0] + " " + " ".join(ordinary[8:])
    quiet_mail = " ".join(ordinary)
    mails = [conv("a", long_mail), conv("b", quiet_mail)]
    pooled = np.exp(pooled_model.logits(mails)["akut_risk"])[:, 0]
    whole = np.exp(whole_model.logits(mails)["akut_risk"])[:, 0]
    assert whole[0] < 0.01 and pooled[0] > 0.2    # diluted in the whole mail, found in a window
    assert pooled[1] < 0.01                       # an ordinary long mail stays quiet
    assert np.allclose(np.exp(pooled_model.logits(mails)["akut_risk"]).sum(axis=1), 1.0, atol=1e-4)


def test_single_fields_unweighted_multi_options_balanced(baseline_dir):
    """baseline.yaml: rare multi options and the alarm field get balanced class weights, the
    other single fields none."""
    from childx_research.modeling.baseline import _ConstHead

    model = load_model(baseline_dir).model
    single = [h for k, h in model.heads.items() if not isinstance(h, list) and not isinstance(h, _ConstHead)]
    multi = [h for hs in model.heads.values() if isinstance(hs, list) for h in hs if not isinstance(h, _ConstHead)]
    assert single and all(h.class_weight is None for k, h in model.heads.items()
                          if not isinstance(h, list) and not isinstance(h, _ConstHead) and k != "akut_risk")
    assert model.heads["akut_risk"].class_weight == "balanced"     # the alarm field is recall-first
    assert multi and all(h.class_weight == "balanced" for h in multi)


def test_saved_vocabularies_are_arrays_and_come_back_whole(baseline_dir, generated_small, form, tmp_path):
    """The TF-IDF vocabularies are saved as arrays of terms (a dict is written item by item
    and was slow), without the pruned ``stop_words_``; loaded, the features are the same, and
    saving leaves the model in memory as it was."""
    import numpy as np
    import skops.io as sio

    from childx_research.modeling.baseline import FILE, BaselineModel, _frame, _tfidf_blocks

    model = BaselineModel.load(baseline_dir, form)
    raw = sio.load(baseline_dir / FILE, trusted=sio.get_untrusted_types(file=baseline_dir / FILE))
    blocks = dict(_tfidf_blocks(raw["vectorizer"]))
    assert blocks and all(not hasattr(v, "vocabulary_") and getattr(v, "stop_words_", None) is None
                          for v in blocks.values())
    assert set(raw["vocabularies"]) == set(blocks)
    convs = [c.conversation() for c in generated_small.contacts[:10]]
    before = model.vectorizer.transform(_frame(convs))
    model.save(tmp_path)
    assert all(hasattr(v, "vocabulary_") for _, v in _tfidf_blocks(model.vectorizer))  # restored after saving
    again = BaselineModel.load(tmp_path, form).vectorizer.transform(_frame(convs))
    assert before.shape == again.shape and np.allclose(before.toarray(), again.toarray())


def test_fast_tfidf_equals_scikit_learn(baseline_dir, generated_small):
    """modeling/features.py computes the fitted vectorizer's TF-IDF by hand (cached per word,
    sentence counts added up for the acute-risk windows): it must give scikit-learn's own
    features, also on odd text (empty, punctuation only, several lines, sentences that end
    without space), and the same scores with and without it."""
    import numpy as np

    from childx_research.modeling.baseline import TEXT_COLUMNS, _frame
    from childx_research.modeling.features import fast_tfidf, sentences
    from childx_research.records import Conversation, Message

    model = load_model(baseline_dir).model
    fast = fast_tfidf(model.vectorizer, TEXT_COLUMNS)
    assert fast is not None                       # the default vectorizer is one it reproduces
    odd = ["", "...!?", "hej\n\nhur mår du?! jag vet inte.Det är svårt", "  ", "ÅÄÖ åäö é 15 år!!! ok? ok.\nja"]
    convs = [c.conversation() for c in generated_small.contacts[:40]] + [
        Conversation(id=f"odd{i}", messages=[Message(role="stodperson", text=t or "Hej."),
                                             Message(role="stodsokande", text=t)]) for i, t in enumerate(odd)]
    want = model.vectorizer.transform(_frame(convs)).tocsr()
    got = model.features(convs)
    assert got.shape == want.shape and got.nnz == want.nnz
    assert abs(got - want).max() < 1e-6
    assert sentences("Ett. Två!\n\nTre") == ["Ett.", "Två!", "Tre"]

    # the windows: the same logits as the scikit-learn path (float rounding apart)
    long = " ".join(f"Mening nummer {i} om skolan och vänner." for i in range(30))
    convs.append(Conversation(id="long", messages=[Message(role="stodperson", text="Berätta."),
                                                   Message(role="stodsokande", text=long)]))
    with_fast = model.logits(convs)
    model._fast_tfidf = None                      # force scikit-learn's transform
    try:
        without = model.logits(convs)
    finally:
        del model._fast_tfidf
    for key in with_fast:
        assert np.allclose(with_fast[key], without[key], atol=1e-4), key


def test_fast_tfidf_declines_settings_it_does_not_reproduce():
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer

    from childx_research.modeling.features import fast_tfidf

    import pandas as pd

    frame = pd.DataFrame({"a": ["hej du", "hur mår du"], "b": ["x", "y"]})
    for vec in (TfidfVectorizer(stop_words=["du"]), TfidfVectorizer(ngram_range=(1, 3)),
                TfidfVectorizer(analyzer="char", ngram_range=(2, 3)), TfidfVectorizer(binary=True)):
        ct = ColumnTransformer([("w", vec, "a")]).fit(frame)
        assert fast_tfidf(ct, ("a", "b")) is None
    ct = ColumnTransformer([("w", TfidfVectorizer(), "a")]).fit(frame)
    assert fast_tfidf(ct, ("a", "b")) is not None


def test_key_sentence_candidates_keep_their_offsets_and_evidence():
    """The key sentence's candidates carry their place in the message, and the evidence
    that scores them is the conversation's own inside that place (no second matcher run)."""
    from childx_research.evidence import Evidence, Found
    from childx_research.modeling.predict import _evidence_within, help_seeker_spans
    from childx_research.records import Conversation, Message

    text = "  Hej. Jag vet inte vad jag ska göra nu!\n\nHan skickar bilder varje dag till mig.   Kort."
    conv = Conversation(id="k", messages=[Message(role="stodperson", text="Vad har hänt dig?"),
                                          Message(role="stodsokande", text=text)])
    spans = help_seeker_spans(conv)
    assert [s for *_, s in spans] == [
        "Jag vet inte vad jag ska göra nu!", "Han skickar bilder varje dag till mig."]
    assert all(text[a:b] == s and m == 1 for m, a, b, s in spans)
    m, a, b, s = spans[1]
    inside = Evidence("utsatthet", "x", 1, a + 4, a + 19, text[a + 4:a + 19])
    answer = Evidence("utsatthet", "y", 1, a, a + 3, text[a:a + 3], source="answer")
    outside = Evidence("utsatthet", "z", 1, 2, 5, text[2:5])
    got = _evidence_within(Found({"utsatthet": [inside, answer, outside]}), "utsatthet", (m, a, b))
    [e] = got.items["utsatthet"]
    assert (e.option, e.message, s[e.start:e.end]) == ("x", 0, e.text)
    assert _evidence_within(Found({}), "utsatthet", (m, a, b)).items == {}
