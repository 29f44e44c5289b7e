"""Trends: weekly counts from any form, and the detectors on series where the answer is known."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats
from trends_helpers import records_from_weekly, tiny_form

from childx_research.errors import InputError
from childx_research.trends import (ALERT_COLUMNS, DetectorParams, analyse, contact_table, counts_frame, detect,
                                    load_dated_records, run_trends, series_keys, weekly_panel)
from childx_research.trends.farrington import (METHOD_FARRINGTON, METHOD_SHORT, FarringtonParams, blocks,
                                               design_for, evaluate_week)
from childx_research.trends.cusum import METHOD_CUSUM
from childx_research.trends.synthetic import grid_for, panel_from_arrays
from childx_research.trends.trendtest import (METHOD_TREND, TrendTestParams, _Baseline, null_alarm_rate,
                                              run_trend_test, window_z)

WEEKS = 157  # three years and a week


def flat(n=WEEKS, level=10):
    return np.full(n, level)


def alerts_at(det, t, grid=None, method=None):
    weeks = (grid or det_grid).weeks
    a = det.alerts
    a = a[a.week_start == weeks[t].isoformat()]
    return a if method is None else a[a.method == method]


det_grid = grid_for(WEEKS)
TREND_ONLY = DetectorParams(slow_rise=(METHOD_TREND,))   # the trend test (on request)


# --- counts ------------------------------------------------------------------------------------


def test_series_come_from_the_form():
    form = tiny_form()
    assert series_keys(form) == [("grupp", "yngre"), ("grupp", "aldre"), ("grupp", "okand"), ("kon", "tjej"),
                                 ("kon", "kille"), ("typ", "natet"), ("typ", "hemma"), ("typ", "skolan"),
                                 ("typ", "ingen")]


def test_weekly_counts_every_option_every_week_zeros_included(tmp_path):
    form = tiny_form()
    recs = records_from_weekly([3, 0, 2, 5])
    paths = run_trends(recs, form, tmp_path)
    with open(paths["weekly_counts"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["field", "option", "week_start", "count"]
    assert len(rows) == len(series_keys(form)) * 4
    natet = [int(r["count"]) for r in rows if (r["field"], r["option"]) == ("typ", "natet")]
    assert natet == [3, 0, 2, 5]
    hemma = [int(r["count"]) for r in rows if r["option"] == "hemma"]
    assert hemma == [0, 0, 0, 0]
    keys = [(r["field"], r["option"], r["week_start"]) for r in rows]
    assert keys == sorted(keys)
    assert rows[0]["week_start"] == "2022-01-03"  # a Monday
    with open(paths["alerts"], encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ALERT_COLUMNS


def test_by_organisation_adds_a_leading_column(tmp_path):
    recs = records_from_weekly([4, 6, 2], orgs=("a", "b"))
    paths = run_trends(recs, tiny_form(), tmp_path, by="organisation")
    with open(paths["weekly_counts"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["organisation", "field", "option", "week_start", "count"]
    by_org = {}
    for r in rows:
        if r["option"] == "natet":
            by_org.setdefault(r["organisation"], []).append(int(r["count"]))
    assert np.add(by_org["a"], by_org["b"]).tolist() == [4, 6, 2]
    with open(paths["alerts"], encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["organisation"] + ALERT_COLUMNS


def test_missing_started_at_names_file_and_line(tmp_path):
    recs = records_from_weekly([2, 2])
    del recs[2]["started_at"]
    path = tmp_path / "forms.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs[:2]) + "\n\n" + "\n".join(json.dumps(r) for r in recs[2:]) + "\n")
    with pytest.raises(InputError) as err:
        load_dated_records(path, tiny_form())
    assert str(err.value).startswith(f"{path}:4: started_at: missing started_at")


def test_records_after_as_of_are_left_out():
    recs = records_from_weekly([2, 2, 2, 2])
    table = contact_table(recs, tiny_form(), as_of="2022-01-16")
    assert table.grid.n == 2 and table.dropped_after_as_of == 4 and table.grid.last_week_complete


# --- Farrington -----------------------------------------------------------------------------------


def test_blocks_match_r_surveillance_layout():
    weeks = grid_for(200).weeks
    t = 150
    vec = blocks(weeks, t, b=2, w=3, p=10)
    # windows of 7 weeks around t-52 and t-104 (and the current window) are level 10
    for ref in (t - 52, t - 104):
        assert (vec[ref - 3: ref + 4] == 10).all()
    # between two windows: 45 weeks cut into 9 blocks of 5, levels 1..9 in order
    gap = vec[t - 52 + 4: t - 3]
    assert gap.size == 45 and [int(x) for x in gap[::5]] == list(range(1, 10))
    assert (np.bincount(gap)[1:] == 5).all()
    d = design_for(weeks, t, FarringtonParams())
    assert d.method == METHOD_FARRINGTON and d.b == 2
    assert d.rows.max() == t - 27  # the last 26 weeks (and t) are left out
    assert d.rows.min() == t - 104 - 3


def test_hand_checkable_threshold():
    """A constant 10 a week: expected 10, phi 1, threshold the 99.5 % Poisson quantile."""
    y = flat()
    t = 140
    d = design_for(grid_for(WEEKS).weeks, t, FarringtonParams())
    r = evaluate_week(y, d, FarringtonParams())
    assert r.expected == pytest.approx(10.0, rel=1e-6)
    assert r.phi == 1.0
    assert r.upper == stats.poisson.ppf(0.995, 10.0) == 19
    y2 = y.copy()
    y2[t] = 19
    assert not evaluate_week(y2, d, FarringtonParams()).alarm
    y2[t] = 20
    assert evaluate_week(y2, d, FarringtonParams()).alarm


def test_alpha_is_one_sided_as_farrington_flexible():
    """alpha 0.005 is the 99.5 % quantile (R farringtonFlexible's qnbinom(1 - alpha))."""
    from childx_research.trends.farrington import nb_upper

    assert FarringtonParams().alpha == 0.005
    assert nb_upper(10.0, 1.0, 0.005) == stats.poisson.ppf(0.995, 10.0)
    assert nb_upper(10.0, 2.0, 0.05) == stats.nbinom.ppf(0.95, 10.0, 0.5)


def test_quantile_is_scipys_over_a_grid():
    """nb_upper computes the quantile from the CDFs itself; it must equal scipy's ppf."""
    from childx_research.trends.farrington import nb_upper

    rng = np.random.default_rng(11)
    for _ in range(3000):
        mu = float(np.exp(rng.uniform(-4, 6)))
        phi = 1.0 if rng.random() < 0.3 else float(1 + np.exp(rng.uniform(-5, 2)))
        alpha = float(rng.choice([0.001, 0.005, 0.01, 0.05]))
        ref = (stats.poisson.ppf(1 - alpha, mu) if phi == 1.0
               else stats.nbinom.ppf(1 - alpha, mu / (phi - 1), 1 / phi))
        assert nb_upper(mu, phi, alpha) == ref, (mu, phi, alpha)


def test_minimum_count_rule_leaves_the_week_without_a_bound():
    """Fewer than 5 cases in 4 weeks: as in R, no bound and no score, never an alarm."""
    y = flat(level=1)
    y[140] = 3                                          # 1 + 1 + 1 + 3 = 6: enough
    d_ok = design_for(grid_for(WEEKS).weeks, 140, FarringtonParams())
    ok = evaluate_week(y, d_ok, FarringtonParams())
    assert ok.enough_cases and np.isfinite(ok.upper) and np.isfinite(ok.score)
    d = design_for(grid_for(WEEKS).weeks, 139, FarringtonParams())
    low = evaluate_week(y, d, FarringtonParams())      # 1 + 1 + 1 + 1 = 4: too few
    assert not low.enough_cases and not low.alarm
    assert np.isnan(low.upper) and np.isnan(low.score) and low.expected == pytest.approx(1.0, rel=1e-6)
    det = detect(panel_from_arrays([y]))
    b = det.baseline[det.baseline.method == METHOD_FARRINGTON].set_index("week_start")
    assert np.isnan(b.loc[det_grid.weeks[139].isoformat(), "upper_bound"])
    assert np.isfinite(b.loc[det_grid.weeks[140].isoformat(), "upper_bound"])


def test_weights_rescaled_over_all_reference_weeks():
    """R keeps the weeks of a seasonal level without cases (weight 1) when it rescales the
    down-weights to sum n; the port, which leaves them out of the fit, counts them too."""
    from childx_research.trends.farrington import assign_weights

    s = np.array([0.0, 0.5, 3.0, -1.0])
    w = assign_weights(s, 2.58)
    assert w.sum() == pytest.approx(4.0)
    w6 = assign_weights(s, 2.58, n_other=6)
    # the six left-out weeks have raw weight 1, so they would get w6[0] like the first week
    assert w6.sum() + 6 * w6[0] == pytest.approx(10.0)
    assert w6[0] / w6[2] == pytest.approx(9.0) and w6[0] < w[0]


def test_flat_series_raises_nothing():
    det = detect(panel_from_arrays([flat(), flat(level=3), flat(level=0)]))
    assert det.alerts.empty
    assert {METHOD_FARRINGTON, METHOD_SHORT} <= set(det.baseline.method)


def test_tripled_week_is_flagged():
    y = flat()
    y[140] = 30
    det = detect(panel_from_arrays([y]))
    hit = alerts_at(det, 140, method=METHOD_FARRINGTON)
    assert len(hit) == 1
    assert hit.observed.iloc[0] == 30 and hit.expected.iloc[0] == pytest.approx(10, rel=0.01)
    assert hit.score.iloc[0] > 1
    # no other week of the series is flagged by Farrington
    assert (det.alerts.method == METHOD_FARRINGTON).sum() == 1


def test_past_outbreak_is_down_weighted():
    """An outbreak in last year's comparable weeks barely moves this year's baseline."""
    y = np.random.default_rng(0).poisson(10, WEEKS)
    y[140 - 52 - 1: 140 - 52 + 2] = 60
    d = design_for(grid_for(WEEKS).weeks, 140, FarringtonParams())
    with_rw = evaluate_week(y, d, FarringtonParams()).expected
    without = evaluate_week(y, d, FarringtonParams(reweight=False)).expected
    assert with_rw < 14 < without


def test_zero_baseline_new_option():
    """Nothing ever seen: 5+ cases in 4 weeks alarm; fewer do not (limit54)."""
    y = np.zeros(WEEKS, dtype=int)
    y[140] = 4
    assert detect(panel_from_arrays([y])).alerts.empty
    y[140] = 6
    det = detect(panel_from_arrays([y]))
    hit = alerts_at(det, 140, method=METHOD_FARRINGTON)
    assert len(hit) == 1 and hit.expected.iloc[0] == 0 and np.isfinite(hit.score.iloc[0])


def test_short_history_uses_fallback_with_a_note():
    y = flat(60)
    y[50] = 30
    det = detect(panel_from_arrays([y]))
    assert set(det.baseline.method) == {METHOD_SHORT}
    assert len(alerts_at(det, 50, grid=grid_for(60), method=METHOD_SHORT)) == 1
    assert any("historik" in n and METHOD_SHORT in n for n in det.notes)


def test_population_offset_follows_the_volume():
    """With the week's contacts as offset, a busy week with the usual share raises nothing,
    and a doubled share in an ordinary week is flagged."""
    totals = np.full(WEEKS, 100)
    y = np.full(WEEKS, 10)
    totals[140], y[140] = 300, 30         # three times the contacts, the same share
    totals[145], y[145] = 100, 25         # the usual contacts, 2.5 times the share
    det = detect(panel_from_arrays([y], totals=totals))
    assert alerts_at(det, 140).empty
    assert len(alerts_at(det, 145, method=METHOD_FARRINGTON)) == 1
    no_offset = detect(panel_from_arrays([y], totals=totals),
                       DetectorParams(farrington=FarringtonParams(population_offset=False)))
    assert len(alerts_at(no_offset, 140, method=METHOD_FARRINGTON)) == 1


# --- slow rises -------------------------------------------------------------------------------


def test_slow_ramp_flagged_by_trend_detector_within_8_weeks():
    start = 120
    y = np.full(WEEKS, 20.0)
    ramp = np.arange(WEEKS) - start
    y[start:] = 20 * (1 + np.minimum(ramp[start:], 12) / 12)       # doubles over 12 weeks
    y = np.round(y).astype(int)
    det = detect(panel_from_arrays([y]), TREND_ONLY)
    slow = det.alerts[det.alerts.method == METHOD_TREND]
    first = min(det_grid.weeks.index(date.fromisoformat(w)) for w in slow.week_start)
    assert start <= first < start + 8
    # Farrington alone does not see it in those weeks (that is why the trend test exists)
    far = det.alerts[det.alerts.method == METHOD_FARRINGTON]
    assert all(det_grid.weeks.index(date.fromisoformat(w)) >= first for w in far.week_start)


def test_slow_ramp_in_the_share_flagged_within_8_weeks():
    """With the week's contacts known: the contacts vary, the option's share creeps up by
    about 5 % of its level a week, and nothing alarms before the ramp."""
    rng = np.random.default_rng(5)
    start = 118
    totals = rng.poisson(80 * (1 + 0.3 * np.sin(np.arange(WEEKS) / 52.18 * 2 * np.pi)))
    share = 0.2 * (1 + 0.05 * np.clip(np.arange(WEEKS) - start + 1, 0, None))
    y = rng.binomial(totals, share)
    det = detect(panel_from_arrays([y], totals=totals), TREND_ONLY)
    slow = det.alerts[det.alerts.method == METHOD_TREND]
    weeks = [det_grid.weeks.index(date.fromisoformat(w)) for w in slow.week_start]
    assert weeks and min(weeks) >= start and min(weeks) < start + 8


def test_flat_share_with_varying_contacts_raises_few_slow_rises():
    """No trend, only a busy and a quiet season in the contacts: false alarms stay near the
    calibrated rate (0.45 per series-year), below the goal of 1."""
    rng = np.random.default_rng(6)
    alarms, weeks = 0, 0
    for _ in range(20):
        totals = rng.poisson(60 * (1 + 0.4 * np.sin(np.arange(WEEKS) / 52.18 * 2 * np.pi + rng.random() * 6)))
        y = rng.binomial(totals, 0.15)
        res = run_trend_test(y, det_grid.weeks, WEEKS - 1, TrendTestParams(), totals)
        alarms += sum(w.alarm for w in res)
        weeks += sum(np.isfinite(w.z) for w in res)
    assert alarms / (weeks / 52.18) < 0.6


def test_trend_columns_describe_its_own_baseline():
    y = np.full(WEEKS, 20)
    y[130:] = 30
    det = detect(panel_from_arrays([y]), TREND_ONLY)
    slow = det.alerts[det.alerts.method == METHOD_TREND].iloc[0]
    assert det_grid.weeks[130].isoformat() <= slow.week_start <= det_grid.weeks[133].isoformat()
    assert slow.observed > slow.upper_bound and slow.score > 1
    assert slow.expected == pytest.approx(20, rel=0.05)
    # a rise that goes on alarms again, but not every week
    later = det.alerts[det.alerts.method == METHOD_TREND]
    gaps = np.diff([det_grid.weeks.index(date.fromisoformat(w)) for w in later.week_start])
    assert (gaps >= TrendTestParams().refractory).all()


def test_ramp_score_is_hand_checkable():
    """Four weeks, expected 10 of 40 contacts each (share 1/4), 4 more than expected in the
    last week: a = s / (1 - p) = (1, 2, 3, 4) / 3, U = 4 a_4 = 16/3, Var = sum a^2 * 7.5 = 25."""
    base = _Baseline(first=0, mu=np.full(4, 10.0), q=np.full(4, 0.75), grad=np.zeros((4, 1)),
                     vcov=np.zeros((1, 1)), phi=1.0)
    z, rest, sd, skew = window_z(np.array([10, 10, 10, 14]), base, 3, 4)
    assert sd == pytest.approx(5.0) and z == pytest.approx(16 / 15) and rest == pytest.approx(0.0)
    # binomial third cumulant mu q (2q - 1) = 3.75 per week: skew = sum a^3 * 3.75 / 125
    assert skew == pytest.approx(3.75 * sum((k / 3) ** 3 for k in (1, 2, 3, 4)) / 125)


def test_threshold_is_the_calibrated_false_alarm_rate():
    """The default threshold is the one whose in-control rate is at most 0.45 per series-year
    (under half the budget of one false alarm per series-year for all detectors)."""
    c = TrendTestParams().threshold
    assert null_alarm_rate(c, weeks=300_000) <= 0.45 + 0.04
    assert null_alarm_rate(c - 0.1, weeks=300_000) > 0.45


def test_cusum_is_the_default_slow_rise_detector():
    y = np.full(WEEKS, 20)
    y[130:] = 30
    det = detect(panel_from_arrays([y]))
    assert set(det.alerts.method) <= {METHOD_FARRINGTON, METHOD_CUSUM}
    cus = det.alerts[det.alerts.method == METHOD_CUSUM].iloc[0]
    assert cus.observed > cus.upper_bound and cus.score > 1
    assert cus.expected == pytest.approx(20, rel=0.05)
    assert "cusum" in det.baseline and "trend_z" not in det.baseline


# --- incomplete weeks -------------------------------------------------------------------------


def test_incomplete_last_week_is_never_alerted():
    y = flat()
    y[-1] = 60
    det = detect(panel_from_arrays([y], complete=False))
    assert alerts_at(det, WEEKS - 1).empty
    assert det.baseline.week_start.max() == det_grid.weeks[WEEKS - 2].isoformat()
    assert any("inte komplett" in n for n in det.notes)
    complete = detect(panel_from_arrays([y], complete=True))
    assert len(alerts_at(complete, WEEKS - 1, method=METHOD_FARRINGTON)) == 1


def test_completeness_inferred_from_the_last_contact():
    weekly = [5] * 30
    weekly[-1] = 20
    wed = records_from_weekly(weekly, last_day=2)    # last contact on a Wednesday
    res = analyse(wed, tiny_form())
    assert not res.grid.last_week_complete
    last = res.grid.weeks[-1].isoformat()
    assert last not in set(res.alerts.week_start) and last not in set(res.baseline.week_start)
    # the same data with as_of on that Sunday: the week is complete and evaluated
    sunday = (res.grid.weeks[-1] + timedelta(days=6)).isoformat()
    res2 = analyse(wed, tiny_form(), as_of=sunday)
    assert res2.grid.last_week_complete and last in set(res2.baseline.week_start)


def test_counts_frame_round_trip_through_the_panel():
    recs = records_from_weekly([1, 2, 3])
    table = contact_table(recs, tiny_form())
    df = counts_frame(weekly_panel(table))
    assert df["count"].sum() == table.indicators.sum()


def test_cusum_irls_matches_statsmodels():
    import statsmodels.api as sm

    from childx_research.trends.cusum import poisson_irls

    rng = np.random.default_rng(4)
    n = 120
    X = np.column_stack([np.ones(n), np.sin(np.arange(n) / 8.3), np.cos(np.arange(n) / 8.3)])
    tot = rng.integers(20, 60, n)
    y = rng.binomial(tot, 0.2)
    w = rng.uniform(0.5, 1.5, n)
    beta, mu, cov = poisson_irls(X, y.astype(float), w, np.log(tot))
    ref = sm.GLM(y, X, family=sm.families.Poisson(), var_weights=w, offset=np.log(tot)).fit()
    assert np.allclose(beta, ref.params, atol=1e-6)
    assert np.allclose(cov, ref.cov_params(), rtol=1e-4)


def test_repeated_alerts_are_one_episode():
    import pandas as pd

    from childx_research.trends.episodes import alert_episodes

    def row(opt, week, method, score):
        return {"field": "typ", "option": opt, "week_start": week, "observed": 9, "expected": 3.0,
                "upper_bound": 6.0, "score": score, "method": method}

    alerts = pd.DataFrame([
        row("a", "2025-03-03", "farrington_flexible", 1.5),
        row("a", "2025-03-10", "farrington_flexible", 2.5),
        row("a", "2025-03-31", "trend_test_slow_rise", 1.1),   # 3 weeks later: same episode
        row("a", "2025-06-02", "farrington_flexible", 1.2),    # 9 weeks later: a new one
        row("b", "2025-03-10", "trend_test_slow_rise", 1.3),
    ])
    ep = alert_episodes(alerts, max_gap=4)
    assert len(ep) == 3
    a1 = ep[(ep.option == "a") & (ep.first_week == "2025-03-03")].iloc[0]
    assert a1.last_week == "2025-03-31" and a1.alert_weeks == 3 and a1.max_score == 2.5
    assert a1.methods == ["farrington_flexible", "trend_test_slow_rise"] and a1.score == 1.1
    assert ep.iloc[0].last_week == "2025-06-02"          # newest first
    assert alert_episodes(alerts.iloc[0:0]).empty
