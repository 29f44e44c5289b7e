"""Benchmark of the trend detectors on data with known injected trends.

Two modes:

* synthetic (default): weekly contacts (Poisson/negative binomial with a yearly season),
  of which one option is a binomial share; outbreaks (share x factor for some weeks)
  and slow rises (a linear ramp of the share up to factor) are injected at known weeks, both in the first two
  years (short-history baseline) and after (improved Farrington); plus series without
  any trend for the false-alarm rate.
* ``--records F --truth T``: form records (or contacts with ``gold``) from the
  generator and its ``truth.json`` (``{"trends": [{field, option, kind, start, end,
  factor}, ...]}``, ``start``/``end`` ISO dates).

Measures: share of outbreaks detected within 4 weeks of their start and of slow rises
within 8 weeks (any method), the delay in weeks (0 = the first week), false alarms per
series-year on series without a trend, and the time to analyse three years of weekly
data for every option of the form.

    python evaluation/benchmarks/trends_benchmark.py --reps 20 --out runs/bench/trends
    python evaluation/benchmarks/trends_benchmark.py --records data/generated/contacts.jsonl \
        --truth data/generated/truth.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from childx_research.forms import load_form
from childx_research.trends import DetectorParams, detect, series_keys
from childx_research.trends.cusum import METHOD_CUSUM
from childx_research.trends.farrington import METHOD_FARRINGTON, METHOD_SHORT
from childx_research.trends.trendtest import METHOD_TREND
from childx_research.trends.synthetic import (Injection, draw, draw_shares, independent_panel, multiplier,
                                              panel_from_arrays, series_mean)

OUTBREAK_WINDOW = 4   # weeks, from the start week inclusive
RISE_WINDOW = 8
METHODS = [METHOD_FARRINGTON, METHOD_SHORT, METHOD_TREND, METHOD_CUSUM]   # those run (set in detector_params)


# --- scoring ------------------------------------------------------------------------------


def first_alert(alert_weeks: np.ndarray, start: int, window: int) -> int | None:
    hits = alert_weeks[(alert_weeks >= start) & (alert_weeks < start + window)]
    return int(hits.min() - start) if hits.size else None


def summarise(events: pd.DataFrame, null: pd.DataFrame) -> dict:
    out: dict = {}
    for kind, window in (("outbreak", OUTBREAK_WINDOW), ("rise", RISE_WINDOW)):
        ev = events[events.kind == kind]
        if ev.empty:
            continue
        det = ev.delay.notna()
        out[kind] = {
            "events": int(len(ev)),
            "detected_share": round(float(det.mean()), 3),
            "window_weeks": window,
            "median_delay_weeks": None if not det.any() else float(ev.delay[det].median()),
            "mean_delay_weeks": None if not det.any() else round(float(ev.delay[det].mean()), 2),
            "by_method_share": {m: round(float(ev[f"delay_{m}"].notna().mean()), 3)
                                for m in METHODS
                                if f"delay_{m}" in ev},
        }
    if not null.empty:
        years = null.series_years.sum()
        out["false_alarms"] = {
            "series": int(len(null)),
            "series_years": round(float(years), 1),
            "per_series_year": round(float(null.alarms.sum() / years), 3),
            "per_series_year_by_method": {
                m: round(float(null[f"alarms_{m}"].sum() / years), 3)
                for m in METHODS},
        }
        fyears = null.series_years_farrington_period.sum() if "series_years_farrington_period" in null else 0
        if fyears:
            out["false_alarms"]["after_two_years"] = {
                "series_years": round(float(fyears), 1),
                "per_series_year": round(float(null.alarms_farrington_period.sum() / fyears), 3),
                "per_series_year_by_method": {
                    m: round(float(null[f"alarms_{m}_farrington_period"].sum() / fyears), 3)
                    for m in METHODS if m != METHOD_SHORT},
            }
    return out


def _first_farrington_week(baseline: pd.DataFrame, week_index: dict[str, int]) -> int:
    far = baseline.week_start[baseline.method == "farrington_flexible"]
    return min((week_index[w] for w in far), default=10**9)


def _null_row(base, al: pd.DataFrame, week_index: dict[str, int], first_far: int, n_eval: int) -> dict:
    """Alarms on a series without trend, split by history period (weeks before/after
    the first week that Farrington can evaluate)."""
    wk = np.array([week_index[w] for w in al.week_start], dtype=int)
    n_eval_far = max(len(week_index) - first_far, 0)
    r = {"base": base, "alarms": len(al), "series_years": n_eval / 52.18,
         "alarms_farrington_period": int((wk >= first_far).sum()),
         "series_years_farrington_period": n_eval_far / 52.18}
    for m in METHODS:
        r[f"alarms_{m}"] = int((al.method == m).sum())
        r[f"alarms_{m}_farrington_period"] = int(((al.method.to_numpy() == m) & (wk >= first_far)).sum())
    return r


def _delays(alerts: pd.DataFrame, week_index: dict[str, int], start: int, window: int) -> dict:
    wk = np.array([week_index[w] for w in alerts.week_start], dtype=int)
    row = {"delay": first_alert(wk, start, window)}
    for m in METHODS:
        row[f"delay_{m}"] = first_alert(wk[alerts.method.to_numpy() == m], start, window)
    return row


# --- synthetic mode ---------------------------------------------------------------------------


def synthetic(args) -> dict:
    rng = np.random.default_rng(args.seed)
    n_weeks = args.weeks
    params = detector_params(args)
    rows, null_rows = [], []
    specs = []
    for base in args.bases:
        for period, (lo, hi) in (("farrington", (112, n_weeks - 12)), ("short_history", (60, 95))):
            for kind in ("outbreak", "rise"):
                for _ in range(args.reps):
                    start = int(rng.integers(lo, hi))
                    if kind == "outbreak":
                        inj = Injection("outbreak", start, start + args.outbreak_weeks - 1, args.outbreak_factor)
                    else:
                        inj = Injection("rise", start, start + args.rise_weeks, args.rise_factor)
                    specs.append((base, period, inj))
        for _ in range(args.reps * 2):
            specs.append((base, "none", None))
    counts, totals = [], []
    for base, _, inj in specs:
        # contacts per week follow the season; the option is a share of them (like a form
        # field), multiplied during an injected trend
        volume = series_mean(n_weeks, base / args.share, seasonal_amplitude=args.season, phase=float(rng.random()))
        tot, y = draw_shares(volume, args.share, multiplier(n_weeks, [inj] if inj else []), rng, args.dispersion)
        counts.append(y)
        totals.append(tot)
    panel = independent_panel(np.array(counts), None if args.no_offset else np.array(totals))
    t0 = time.perf_counter()
    det = detect(panel, params)
    elapsed = time.perf_counter() - t0
    week_index = {w.isoformat(): i for i, w in enumerate(panel.grid.weeks)}
    first_farrington = _first_farrington_week(det.baseline, week_index)
    by_series = dict(tuple(det.alerts.groupby("organisation")))
    evaluated = det.baseline.groupby("organisation").size()
    for s, (base, period, inj) in enumerate(specs):
        key = panel.groups[s]
        al = by_series.get(key, det.alerts.iloc[0:0])
        if inj is None:
            null_rows.append(_null_row(base, al, week_index, first_farrington, evaluated.get(key, 0)))
        else:
            window = OUTBREAK_WINDOW if inj.kind == "outbreak" else RISE_WINDOW
            rows.append({"base": base, "period": period, "kind": inj.kind,
                         **_delays(al, week_index, inj.start, window)})
    events, null = pd.DataFrame(rows), pd.DataFrame(null_rows)
    result = {"mode": "synthetic", "settings": {k: v for k, v in vars(args).items() if k not in ("out", "records", "truth", "form")},
              "overall": summarise(events, null),
              "by_period": {p: summarise(events[events.period == p], null.iloc[0:0]) for p in ("farrington", "short_history")},
              "by_base": {str(b): summarise(events[events.base == b], null[null.base == b]) for b in args.bases},
              "detector_seconds_all_series": round(elapsed, 2), "series": len(specs), "weeks": n_weeks,
              "params": asdict(params)}
    result["speed"] = speed_form(args)
    return result


def detector_params(args) -> DetectorParams:
    """Default detector settings, with what the command line overrides."""
    from dataclasses import replace

    d = DetectorParams()
    far = {k: v for k, v in (("alpha", args.alpha),) if v is not None}
    cus = {k: v for k, v in (("k", args.cusum_k), ("h", args.cusum_h)) if v is not None}
    trt = {k: v for k, v in (("threshold", args.trend_threshold),) if v is not None}
    slow = d.slow_rise if args.slow_rise is None else tuple(args.slow_rise)
    METHODS[:] = [METHOD_FARRINGTON, METHOD_SHORT, *slow]
    return DetectorParams(farrington=replace(d.farrington, **far), cusum=replace(d.cusum, **cus),
                          trend=replace(d.trend, **trt), slow_rise=slow)


def speed_form(args) -> dict:
    """Time three years of weekly data for every option of the form."""
    form = load_form(args.form)
    keys = series_keys(form)
    rng = np.random.default_rng(args.seed + 1)
    n_weeks = 157
    volume = series_mean(n_weeks, 60.0, seasonal_amplitude=args.season)
    totals = draw(volume, rng, args.dispersion)
    shares = rng.uniform(0.005, 0.4, len(keys))
    counts = np.array([rng.binomial(totals, p) for p in shares])
    panel = panel_from_arrays(counts, series=keys, totals=totals)
    t0 = time.perf_counter()
    detect(panel, detector_params(args))
    return {"form": form.id, "series": len(keys), "weeks": n_weeks,
            "seconds": round(time.perf_counter() - t0, 2), "goal_seconds": 10}


# --- records + truth mode ---------------------------------------------------------------------


def records_mode(args) -> dict:
    from childx_research.trends import analyse, load_dated_records
    from childx_research.trends.weeks import monday_of

    form = load_form(args.form)
    records = load_dated_records(args.records, form)
    truth = json.loads(Path(args.truth).read_text(encoding="utf-8"))
    trends = truth["trends"] if isinstance(truth, dict) else truth
    t0 = time.perf_counter()
    res = analyse(records, form, params=detector_params(args))
    elapsed = time.perf_counter() - t0
    grid = res.grid
    week_index = {w.isoformat(): i for i, w in enumerate(grid.weeks)}
    alerts = res.alerts
    first_far = _first_farrington_week(res.baseline, week_index)
    rows = []
    truth_keys = set()
    for tr in trends:
        key = (tr["field"], tr["option"])
        truth_keys.add(key)
        start = grid.position(monday_of(date.fromisoformat(str(tr["start"])[:10])))
        window = OUTBREAK_WINDOW if tr["kind"] == "outbreak" else RISE_WINDOW
        al = alerts[(alerts.field == key[0]) & (alerts.option == key[1])]
        period = "farrington" if start >= 0 and _method_at(res, key, start) == "farrington_flexible" else "short_history"
        end = grid.position(monday_of(date.fromisoformat(str(tr["end"])[:10])))
        rows.append({"field": key[0], "option": key[1], "kind": tr["kind"], "start": tr["start"],
                     "factor": tr.get("factor"), "base": None, "period": period,
                     "complete": start + window - 1 <= grid.last_complete,
                     "weekly_count_before": round(float(res.panel.counts[0, res.panel.series.index(key),
                                                                         max(0, start - 26):start].mean()), 1),
                     **_delays(al, week_index, start, window),
                     "delay_any_until_end": first_alert(np.array([week_index[w] for w in al.week_start], dtype=int),
                                                        start, end - start + 1)})
    null_rows = []
    evaluated = res.baseline.groupby(["field", "option"]).size()
    for key in res.panel.series:
        if key in truth_keys:
            continue
        al = alerts[(alerts.field == key[0]) & (alerts.option == key[1])]
        null_rows.append(_null_row(None, al, week_index, first_far, evaluated.get(key, 0)))
    events, null = pd.DataFrame(rows), pd.DataFrame(null_rows)
    # an injected trend shifts the mix of the generator's scenarios, so options tied to the
    # trend's option (perpetrator, other forms) move too: also count alarms outside the
    # injected periods (start to end + 8 weeks), over the weeks outside them
    windows = []
    for tr in trends:
        s0 = grid.position(monday_of(date.fromisoformat(str(tr["start"])[:10])))
        s1 = grid.position(monday_of(date.fromisoformat(str(tr["end"])[:10]))) + 8
        windows.append((s0, s1))
    def outside(w: str) -> bool:
        i = week_index[w]
        return not any(a <= i <= b for a, b in windows)
    null_al = alerts[[k not in truth_keys for k in zip(alerts.field, alerts.option)]]
    out_al = null_al[[outside(w) for w in null_al.week_start]]
    base_null = res.baseline[[k not in truth_keys for k in zip(res.baseline.field, res.baseline.option)]]
    out_weeks = sum(outside(w) for w in base_null.week_start)
    outside_rate = {"series_years": round(out_weeks / 52.18, 1),
                    "per_series_year": round(len(out_al) / max(out_weeks / 52.18, 1e-9), 3),
                    "per_series_year_by_method": {
                        m: round(int((out_al.method == m).sum()) / max(out_weeks / 52.18, 1e-9), 3)
                        for m in METHODS}}
    overall = summarise(events, null)
    if "false_alarms" in overall:
        overall["false_alarms"]["outside_injected_periods"] = outside_rate
    return {"mode": "records", "records": str(args.records), "contacts": res.table.n,
            "weeks": grid.n, "period": grid.describe(),
            "overall": overall, "events": rows,
            "analyse_seconds": round(elapsed, 2), "notes": res.notes}


def _method_at(res, key, t: int) -> str | None:
    b = res.baseline
    week = res.grid.weeks[t].isoformat() if 0 <= t < res.grid.n else None
    hit = b[(b.field == key[0]) & (b.option == key[1]) & (b.week_start == week)]
    return None if hit.empty else str(hit.method.iloc[0])


# --- main ----------------------------------------------------------------------------------


def markdown(result: dict) -> str:
    """A short table of the headline numbers."""
    o = result["overall"]
    lines = [f"# Trend detectors: {result['mode']} benchmark", "",
             "| measure | value |", "|---|---|"]
    for kind, label in (("outbreak", "outbreaks detected within 4 weeks"), ("rise", "slow rises detected within 8 weeks")):
        if kind in o:
            lines.append(f"| {label} | {o[kind]['detected_share']:.0%} (mean delay {o[kind]['mean_delay_weeks']} weeks) |")
    fa = o.get("false_alarms")
    if fa:
        lines.append(f"| false alarms per series-year (no trend) | {fa['per_series_year']} |")
        if "after_two_years" in fa:
            lines.append(f"| ... once two years of history exist | {fa['after_two_years']['per_series_year']} |")
        if "outside_injected_periods" in fa:
            lines.append(f"| ... outside the injected periods | {fa['outside_injected_periods']['per_series_year']} |")
    if "speed" in result:
        sp = result["speed"]
        lines.append(f"| time, {sp['weeks']} weeks x {sp['series']} options of {sp['form']} | {sp['seconds']} s |")
    if "analyse_seconds" in result:
        lines.append(f"| time to analyse {result['contacts']} contacts | {result['analyse_seconds']} s |")
    if "by_base" in result:
        lines += ["", "| mean weekly count | outbreaks within 4 weeks | rises within 8 weeks | false alarms / series-year |",
                  "|---|---|---|---|"]
        for b, v in result["by_base"].items():
            lines.append(f"| {b} | {v.get('outbreak', {}).get('detected_share', '')} | "
                         f"{v.get('rise', {}).get('detected_share', '')} | "
                         f"{v.get('false_alarms', {}).get('per_series_year', '')} |")
    if "events" in result:
        lines += ["", "| trend | weekly count before | delay (weeks, any method) | first alarm during the trend |",
                  "|---|---|---|---|"]
        for e in result["events"]:
            lines.append(f"| {e['field']}.{e['option']} {e['kind']} x{e['factor']} from {e['start']} | "
                         f"{e['weekly_count_before']} | {e['delay']} | {e['delay_any_until_end']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=Path, help="form records or contacts JSONL (generator output)")
    ap.add_argument("--truth", type=Path, help="truth.json with a list under 'trends'")
    ap.add_argument("--form", default=None, help="form file or id (default stodklustret-v1)")
    ap.add_argument("--out", type=Path, help="folder for benchmark.json")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20, help="synthetic series per setting")
    ap.add_argument("--weeks", type=int, default=157, help="synthetic series length (3 years)")
    ap.add_argument("--bases", type=float, nargs="+", default=[1, 2, 5, 10, 20],
                    help="mean weekly counts to test")
    ap.add_argument("--season", type=float, default=0.3, help="seasonal amplitude of contacts (0.3 = ±30%%)")
    ap.add_argument("--share", type=float, default=0.15, help="the option's share of contacts")
    ap.add_argument("--no-offset", action="store_true", help="detect on counts without the contacts offset")
    ap.add_argument("--dispersion", type=float, default=1.3, help="variance / mean of the counts")
    ap.add_argument("--outbreak-factor", type=float, default=3.0)
    ap.add_argument("--outbreak-weeks", type=int, default=2)
    ap.add_argument("--rise-factor", type=float, default=2.0, help="the ramp's factor at its end")
    ap.add_argument("--rise-weeks", type=int, default=12, help="weeks the ramp takes to reach its factor")
    ap.add_argument("--alpha", type=float, help="Farrington alpha, one-sided as R farringtonFlexible's (threshold: the 1 - alpha quantile; default 0.005)")
    ap.add_argument("--cusum-k", type=float, help="CUSUM reference value k (default 0.5)")
    ap.add_argument("--cusum-h", type=float, help="CUSUM decision interval h (default 4)")
    ap.add_argument("--trend-threshold", type=float, help="trend test threshold c (default: TrendTestParams().threshold)")
    ap.add_argument("--slow-rise", nargs="*", choices=[METHOD_TREND, METHOD_CUSUM],
                    help="slow-rise detectors to run (default: the package default)")
    args = ap.parse_args(argv)
    if (args.records is None) != (args.truth is None):
        ap.error("--records and --truth go together")
    result = records_mode(args) if args.records else synthetic(args)
    text = json.dumps(result, ensure_ascii=False, indent=2, default=str)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "trends_benchmark.json").write_text(text + "\n", encoding="utf-8")
        (args.out / "trends_benchmark.md").write_text(markdown(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
