"""Calibration: temperatures, thresholds, the acute-risk alarm (recall 1.0 on validation),
confidence bars and decisions; on synthetic logits, for any form."""

from __future__ import annotations

import numpy as np
import pytest

from childx_research.modeling import calibration as cal


def _fake(form, n=300, seed=0, noise=1.5):
    """Gold values and noisy logits that point at them."""
    rng = np.random.default_rng(seed)
    values, logits = [], {f.key: np.zeros((n, len(f.options))) for f in form.choice_fields}
    for i in range(n):
        v = {}
        for f in form.choice_fields:
            if f.kind == "single":
                j = int(rng.integers(len(f.options)))
                v[f.key] = f.option_keys[j]
                z = rng.normal(0, noise, len(f.options))
                z[j] += 2.5
            else:
                on = [j for j in range(len(f.options)) if f.option_keys[j] not in f.exclusive_keys and rng.random() < .3]
                v[f.key] = [f.option_keys[j] for j in on] or [sorted(f.exclusive_keys or {f.option_keys[0]})[0]]
                z = rng.normal(-2.0, noise, len(f.options))
                for o in v[f.key]:
                    z[f.option_keys.index(o)] += 4.0
            logits[f.key][i] = z
        values.append(v)
    return logits, values


@pytest.mark.parametrize("which", ["form", "mini_form"])
def test_fit_and_decide_for_any_form(which, request):
    form = request.getfixturevalue(which)
    logits, values = _fake(form)
    calib, report = cal.fit(form, logits, values, {"confidence_precision": 0.9})
    out = cal.decide(form, logits, calib)
    assert len(out) == len(values)
    for d in out:
        assert not form.check_values({**d["values"], **{f.key: "" for f in form.text_fields}})
        assert set(d["needs_review"]) <= set(form.keys)
        for f in form.multi_fields:
            chosen = d["values"][f.key]
            assert not (set(chosen) & f.exclusive_keys and len(chosen) > 1)
            assert set(d["confidence"][f.key]) == set(chosen)
    # the round trip through JSON keeps everything
    again = cal.Calibration.from_dict(calib.to_dict())
    assert cal.decide(form, logits, again) == out
    for key, r in report["fields"].items():
        if r["coverage"]:
            assert r["precision_covered"] >= 0.9


def test_temperature_scaling_lowers_nll(form):
    f = form.single_fields[0]
    logits, values = _fake(form, seed=1)
    y = cal.targets(f, values)
    sharp = logits[f.key] * 4  # overconfident
    t = min(cal.T_GRID, key=lambda t: cal._nll(f, sharp, y, t))
    assert t > 2
    assert cal._nll(f, sharp, y, t) < cal._nll(f, sharp, y, 1.0)


@pytest.mark.parametrize("margin", [1.0, 0.5])
def test_alarm_keeps_validation_recall_at_one(form, margin):
    f = form.single_fields[-1]
    alarm = {"field": f.key, "option": f.option_keys[0], "recall": 1.0, "margin": margin}
    logits, values = _fake(form, seed=2, noise=3.0)  # noisy: argmax alone misses positives
    calib, report = cal.fit(form, logits, values, {}, [alarm])
    a = report["alarms"][0]
    assert a["recall"] == 1.0
    assert 0.0 <= a["false_alarm_rate"] <= 1.0
    decided = cal.decide(form, logits, calib)
    pos = [i for i, v in enumerate(values) if v[f.key] == alarm["option"]]
    assert pos and all(decided[i]["values"][f.key] == alarm["option"] for i in pos)
    plain = cal.decide(form, logits, cal.Calibration.identity(form))
    assert sum(plain[i]["values"][f.key] == alarm["option"] for i in pos) < len(pos)


def test_alarm_on_a_multi_option(form):
    f = form.multi_fields[0]
    o = next(k for k in f.option_keys if k not in f.exclusive_keys)
    logits, values = _fake(form, seed=3, noise=3.0)
    calib, report = cal.fit(form, logits, values, {}, [{"field": f.key, "option": o}])
    decided = cal.decide(form, logits, calib)
    assert report["alarms"][0]["recall"] == 1.0
    assert all(o in d["values"][f.key] for d, v in zip(decided, values) if o in v[f.key])


def test_bar_for():
    conf = np.array([0.99, 0.95, 0.9, 0.8, 0.7])
    ok = np.array([1, 1, 1, 0, 1])
    assert cal.bar_for(conf, ok, 0.95) == 0.9
    assert cal.bar_for(conf, ok, 0.75) == 0.7
    assert cal.bar_for(np.array([0.9]), np.array([0]), 0.95) == cal.NEVER
    assert cal.bar_for(np.array([]), np.array([]), 0.95) == cal.NEVER


def test_exclusive_option_is_the_fallback(form):
    f = next(f for f in form.multi_fields if f.exclusive_keys)
    fc = cal.FieldCalibration(thresholds=[0.5] * len(f.options))
    p = np.full(len(f.options), 0.1)
    value, conf, field_conf = cal.decide_field(f, p, fc)
    assert len(value) == 1 and value[0] in f.exclusive_keys
    # a content option above threshold wins over the exclusive one
    j = next(i for i, k in enumerate(f.option_keys) if k not in f.exclusive_keys)
    p[j] = 0.9
    p[f.option_keys.index(value[0])] = 0.8
    assert cal.decide_field(f, p, fc)[0] == [f.option_keys[j]]
