"""Injected trends mean what truth.json says: ``factor`` multiplies the scenario's share."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from childx_research.generate import generate_contacts, load_config
from childx_research.generate.timeline import Trend, boosted_weight, expected_share


def test_boosted_weight_multiplies_the_share():
    # a scenario with weight 16 of 100: share 0.16; x3 must give 0.48, not 48/132 = 0.36
    w = boosted_weight(16, 100, 3.0)
    assert w / (w + 84) == pytest.approx(0.48)
    assert boosted_weight(16, 100, 1.0) == 16
    # capped: a share cannot pass 0.95
    w = boosted_weight(50, 100, 3.0)
    assert w / (w + 50) == pytest.approx(0.95)


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
