"""Run the detectors over every series of a weekly panel.

Every complete week with enough history is evaluated by the improved Farrington method
(or, with fewer than two years of history, the short-history baseline) and by the
slow-rise detector: the negative-binomial CUSUM on the share (``slowrise.py``; the trend
test on request). Incomplete weeks are never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .counts import WeeklyPanel
from .farrington import METHOD_FARRINGTON, METHOD_SHORT, FarringtonParams, design_for, evaluate_week
from .slowrise import METHOD_CUSUM, SlowRiseParams, run_slow_rise
from .trendtest import METHOD_TREND, TrendTestParams, _baselines, run_trend_test

ALERT_COLUMNS = ["field", "option", "week_start", "observed", "expected", "upper_bound", "score", "method"]
BASELINE_COLUMNS = ["field", "option", "week_start", "observed", "expected", "upper_bound", "phi",
                    "score", "trend", "method", "cusum", "cusum_upper_bound", "trend_z",
                    "trend_upper_bound"]

METHOD_LABELS_SV = {
    METHOD_FARRINGTON: "Plötslig ökning (Farrington)",
    METHOD_SHORT: "Plötslig ökning (kort historik)",
    METHOD_CUSUM: "Långsam ökning (CUSUM)",
    METHOD_TREND: "Långsam ökning (trendtest)",
}


@dataclass(frozen=True)
class DetectorParams:
    farrington: FarringtonParams = field(default_factory=FarringtonParams)
    cusum: SlowRiseParams = field(default_factory=SlowRiseParams)
    trend: TrendTestParams = field(default_factory=TrendTestParams)
    # the slow-rise detectors to run: the NB CUSUM by default (it caught slow rises earliest
    # within the false-alarm budget; README, "Trends"); the trend test on request
    slow_rise: tuple[str, ...] = (METHOD_CUSUM,)


@dataclass
class Detection:
    alerts: pd.DataFrame
    baseline: pd.DataFrame
    notes: list[str]
    methods_used: dict[str, int]


def detect(panel: WeeklyPanel, params: DetectorParams = DetectorParams()) -> Detection:
    grid = panel.grid
    weeks = grid.weeks
    fp = params.farrington
    designs = [design_for(weeks, t, fp) if t <= grid.last_complete else None for t in range(grid.n)]
    week_iso = [w.isoformat() for w in weeks]

    alert_rows: list[tuple] = []
    base_cols: dict[str, list] = {c: [] for c in BASELINE_COLUMNS}
    org_col: list = []
    methods_used: dict[str, int] = {}
    shared_baseline = (METHOD_CUSUM in params.slow_rise and METHOD_TREND in params.slow_rise
                       and params.cusum.baseline == params.trend)
    for g, group in enumerate(panel.groups):
        for s, (fkey, okey) in enumerate(panel.series):
            y = panel.counts[g, s]
            tot = None if panel.totals is None or not fp.population_offset else panel.totals[g]
            res = [evaluate_week(y, d, fp, tot) if d is not None else None for d in designs]
            # the two slow-rise detectors share one baseline fit when their settings agree
            fits = _baselines(y, weeks, grid.last_complete, params.trend, tot) \
                if shared_baseline else None
            cus = run_slow_rise(y, weeks, grid.last_complete, params.cusum, tot, fits) \
                if METHOD_CUSUM in params.slow_rise else None
            trt = run_trend_test(y, weeks, grid.last_complete, params.trend, tot, fits) \
                if METHOD_TREND in params.slow_rise else None
            for t, r in enumerate(res):
                if r is None or not r.evaluated:
                    continue
                methods_used[r.method] = methods_used.get(r.method, 0) + 1
                org_col.append(group)
                base_cols["field"].append(fkey)
                base_cols["option"].append(okey)
                base_cols["week_start"].append(week_iso[t])
                base_cols["observed"].append(int(y[t]))
                base_cols["expected"].append(r.expected)
                base_cols["upper_bound"].append(r.upper)
                base_cols["phi"].append(r.phi)
                base_cols["score"].append(r.score)
                base_cols["trend"].append(r.trend)
                base_cols["method"].append(r.method)
                base_cols["cusum"].append(cus[t].s if cus else np.nan)
                base_cols["cusum_upper_bound"].append(cus[t].upper if cus else np.nan)
                base_cols["trend_z"].append(trt[t].z if trt else np.nan)
                base_cols["trend_upper_bound"].append(trt[t].upper if trt else np.nan)
                if r.alarm:
                    alert_rows.append((group, fkey, okey, week_iso[t], int(y[t]), r.expected, r.upper,
                                       r.score, r.method))
                if cus and cus[t].alarm:
                    c = cus[t]
                    alert_rows.append((group, fkey, okey, week_iso[t], int(y[t]), c.expected, c.upper,
                                       c.score, METHOD_CUSUM))
                if trt and trt[t].alarm:
                    c = trt[t]
                    alert_rows.append((group, fkey, okey, week_iso[t], int(y[t]), c.expected, c.upper,
                                       c.score, METHOD_TREND))
    by = panel.by
    alerts = pd.DataFrame(alert_rows, columns=["organisation"] + ALERT_COLUMNS)
    baseline = pd.DataFrame(base_cols)
    if METHOD_CUSUM not in params.slow_rise:
        baseline = baseline.drop(columns=["cusum", "cusum_upper_bound"])
    if METHOD_TREND not in params.slow_rise:
        baseline = baseline.drop(columns=["trend_z", "trend_upper_bound"])
    baseline.insert(0, "organisation", org_col)
    keys = ["field", "option", "week_start", "method"]
    if by:
        keys = ["organisation"] + keys
    else:
        alerts = alerts.drop(columns="organisation")
        baseline = baseline.drop(columns="organisation")
    alerts = alerts.sort_values(keys, kind="stable").reset_index(drop=True)
    baseline = baseline.sort_values(keys[:-1], kind="stable").reset_index(drop=True)
    return Detection(alerts=alerts, baseline=baseline, notes=_notes(panel, designs, fp),
                     methods_used=methods_used)


def _notes(panel: WeeklyPanel, designs, fp: FarringtonParams) -> list[str]:
    grid = panel.grid
    notes: list[str] = []
    if not grid.last_week_complete:
        notes.append(
            f"Veckan som börjar {grid.weeks[-1].isoformat()} är inte komplett (data till och med "
            f"{grid.as_of.isoformat()}); den räknas men larmas inte.")
    short = [t for t, d in enumerate(designs) if d is not None and d.method == METHOD_SHORT]
    if short:
        notes.append(
            f"Mindre än {fp.min_years} års historik t.o.m. veckan {grid.weeks[short[-1]].isoformat()}: "
            f"för {len(short)} veckor används en enklare baslinje ({METHOD_SHORT}: den vanliga nivån – med "
            f"veckans antal kontakter kända, den vanliga andelen av dem – under upp till {fp.short_window} "
            f"veckor före, utan säsong och trend). Säsongsvariation i andelarna kan då ge larm.")
    none = [t for t, d in enumerate(designs) if d is None and t <= grid.last_complete]
    if none:
        notes.append(f"{len(none)} veckor i början har för kort historik för att bedömas alls.")
    return notes
