"""The slow-rise CUSUM (trends/slowrise.py): a step, a ramp, no change, its false-alarm rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from childx_research.trends import DetectorParams, detect
from childx_research.trends.slowrise import (METHOD_CUSUM, SlowRiseParams, cusum_weeks, llr_coefficients,
                                             null_alarm_rate, run_slow_rise)
from childx_research.trends.synthetic import grid_for, panel_from_arrays

WEEKS = 157
GRID = grid_for(WEEKS)


def share_series(rng, share_mult, level=80.0, share=0.15):
    """Seasonal contacts (±30 %) and a binomial option with share ``share * share_mult``."""
    t = np.arange(WEEKS)
    totals = rng.poisson(level * (1 + 0.3 * np.sin(2 * np.pi * t / 52.18 + rng.random() * 6)))
    return totals, rng.binomial(totals, np.minimum(share * share_mult, 0.95))


def alarm_weeks(res):
    return [t for t, w in enumerate(res) if w.alarm]


def test_llr_is_the_negative_binomial_likelihood_ratio():
    mu, phi, rise = 8.0, 1.5, 1.4
    a, b = llr_coefficients(mu, phi, rise)
    size = mu / (phi - 1)
    for y in (0, 5, 13):
        def nb(m):
            p = size / (size + m)
            return math.lgamma(y + size) - math.lgamma(size) + size * math.log(p) + y * math.log(1 - p)
        assert a * y - b == pytest.approx(nb(rise * mu) - nb(mu))
    # Poisson when there is no over-dispersion
    a, b = llr_coefficients(mu, 1.0, rise)
    assert (a, b) == pytest.approx((math.log(rise), (rise - 1) * mu))


def test_sum_resets_after_an_alarm_and_reports_the_count_that_would_alarm():
    p = SlowRiseParams(h=2.0, min_cases=1)
    y = np.array([10, 10, 20, 20, 10])
    res = cusum_weeks(y, np.full(5, 10.0), np.ones(5), np.ones(5, dtype=bool), p)
    a, b = llr_coefficients(10.0, 1.0, p.rise)
    assert res[0].s == 0 and res[0].llr == pytest.approx(10 * a - b)
    assert res[2].alarm and res[2].s > p.h and res[2].score > 1
    assert res[2].upper <= 20 and res[1].upper > 10   # the count that would have alarmed that week
    # after the alarm the sum starts again from zero
    assert res[3].s == pytest.approx(max(0.0, 20 * a - b))


def test_step_in_the_share_is_caught_within_four_weeks():
    rng = np.random.default_rng(11)
    mult = np.ones(WEEKS)
    mult[130:] = 1.6
    totals, y = share_series(rng, mult)
    res = run_slow_rise(y, GRID.weeks, WEEKS - 1, SlowRiseParams(), totals)
    after = [t for t in alarm_weeks(res) if t >= 130]
    assert after and after[0] < 134
    assert res[128].expected == pytest.approx(0.15 * totals[128], rel=0.15)


def test_ramp_of_six_percent_a_week_is_caught_within_eight_weeks():
    rng = np.random.default_rng(12)
    start = 118
    mult = 1.06 ** np.clip(np.arange(WEEKS) - start, 0, 20)
    totals, y = share_series(rng, mult, level=120)
    res = run_slow_rise(y, GRID.weeks, WEEKS - 1, SlowRiseParams(), totals)
    weeks = alarm_weeks(res)
    assert not [t for t in weeks if start - 12 <= t < start]
    assert [t for t in weeks if start <= t < start + 8]


def test_no_change_rarely_alarms():
    """A flat share in seasonal contacts: the CUSUM's false alarms per series-year stay within
    the budget of the whole system (0.5), over 30 three-year series."""
    rng = np.random.default_rng(13)
    alarms, weeks = 0, 0
    for _ in range(30):
        totals, y = share_series(rng, np.ones(WEEKS), level=rng.choice([60.0, 130.0]))
        res = run_slow_rise(y, GRID.weeks, WEEKS - 1, SlowRiseParams(), totals)
        alarms += len(alarm_weeks(res))
        weeks += sum(math.isfinite(w.expected) for w in res)
    assert weeks > 30 * 100
    assert alarms / (weeks / 52.18) < 0.5


def test_false_alarm_rate_with_a_known_baseline():
    """In control, around a known level, the default threshold gives well under one false
    alarm per series-year; a higher threshold gives fewer."""
    p = SlowRiseParams()
    rate = null_alarm_rate(p, level=10, phi=1.3, weeks=100_000)
    assert 0.05 < rate < 0.6
    assert null_alarm_rate(SlowRiseParams(h=p.h + 1), level=10, phi=1.3, weeks=100_000) < rate


def test_default_system_reports_the_cusum_with_its_columns():
    rng = np.random.default_rng(14)
    mult = np.ones(WEEKS)
    mult[130:] = 1.6
    totals, y = share_series(rng, mult)
    det = detect(panel_from_arrays([y], totals=totals))
    assert DetectorParams().slow_rise == (METHOD_CUSUM,)
    cus = det.alerts[det.alerts.method == METHOD_CUSUM]
    assert not cus.empty
    first = cus.iloc[0]
    assert first.observed >= first.upper_bound and first.score > 1
    assert {"cusum", "cusum_upper_bound"} <= set(det.baseline.columns)


def test_parameters_are_checked():
    with pytest.raises(ValueError):
        SlowRiseParams(rise=0.9)
    with pytest.raises(ValueError):
        SlowRiseParams(h=0)
