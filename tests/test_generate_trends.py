"""Injected trends mean what truth.json says: ``factor`` multiplies the scenario's share."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from childx_research.generate import generate_contacts, load_config
from childx_research.generate.timeline import Trend, expected_share, scenario_weights


def test_a_trend_multiplies_the_share_of_its_scenarios():
    cfg = {"scenarios": {"a": {"weight": 10, "utsatthet": {"x": 1}}, "a2": {"weight": 6, "utsatthet": {"x": 1}},
                         "b": {"weight": 40, "utsatthet": {"y": 1}}, "d": {"weight": 44, "utsatthet": {"z": 1}}}}
    day = date(2025, 3, 10)
    tx = Trend("utsatthet", "x", "outbreak", date(2025, 3, 3), 3, 3.0)
    w = scenario_weights(cfg, {}, [tx], day)
    total = sum(w.values())
    # x is the core of a and a2 (16 %): x3 gives 48 % together, not 48/132 = 36 %
    assert (w["a"] + w["a2"]) / total == pytest.approx(0.48)
    assert w["a"] / w["a2"] == pytest.approx(10 / 6)
    assert scenario_weights(cfg, {}, [tx], date(2025, 6, 1)) == {"a": 10, "a2": 6, "b": 40, "d": 44}
    assert w["b"] / w["d"] == pytest.approx(40 / 44)              # the others keep their proportions
    # two trends at once: each share is multiplied by its own factor
    ty = Trend("utsatthet", "y", "outbreak", date(2025, 3, 3), 3, 1.1)
    w = scenario_weights(cfg, {}, [tx, ty], day)
    total = sum(w.values())
    assert (w["a"] + w["a2"]) / total == pytest.approx(0.48) and w["b"] / total == pytest.approx(0.44)
    # capped: the boosted shares never pass 0.95 together
    big = Trend("utsatthet", "x", "outbreak", date(2025, 3, 3), 3, 10.0)
    w = scenario_weights(cfg, {}, [big], day)
    assert (w["a"] + w["a2"]) / sum(w.values()) == pytest.approx(0.95)


def test_truth_records_the_expected_share_and_the_data_follow_it():
    cfg = load_config(None)
    gen = generate_contacts(6000, seed=11, config=cfg)
    rise = next(t for t in gen.truth["trends"] if t["kind"] == "rise")
    exp = rise["expected_share"]
    assert exp["peak"] > exp["before"] and exp["ratio"] == pytest.approx(exp["peak"] / exp["before"], rel=1e-2)
    # a rise of x3 on the scenario's share: the option's share (also carried by other
    # scenarios) more than doubles
    assert exp["ratio"] > 2.0

    def share(lo: date, hi: date) -> float:
        sel = [c for c in gen.contacts if lo <= date.fromisoformat(c.started_at[:10]) <= hi]
        return sum(rise["option"] in c.gold[rise["field"]] for c in sel) / len(sel)

    end = date.fromisoformat(rise["end"])
    start = date.fromisoformat(rise["start"])
    before = share(start - timedelta(weeks=40), start - timedelta(weeks=12))   # clear of the outbreak
    after = share(end, end + timedelta(weeks=20))
    assert before == pytest.approx(exp["before"], abs=0.04)
    assert after == pytest.approx(exp["peak"], abs=0.06)


def test_expected_share_without_trends_is_a_probability():
    cfg = load_config(None)
    t = Trend("utsatthet", "sextortion", "outbreak", date(2025, 3, 3), 3, 4.0)
    base = expected_share(cfg, "utsatthet", "sextortion")
    assert 0 < base < 1
    assert expected_share(cfg, "utsatthet", "sextortion", [t], date(2025, 3, 4)) > 3 * base
    assert expected_share(cfg, "utsatthet", "sextortion", [t], date(2025, 6, 1)) == pytest.approx(base)
