"""Alert episodes: repeated alerts on one option, grouped into one event.

A rise that goes on alarms week after week (Farrington) or every few weeks (the trend
test's refractory period); listed one row per week, the current-alerts table would show
the same news many times. An episode is a run of alerts on the same series (organisation,
field, option) where consecutive alert weeks are at most ``max_gap`` weeks apart, whatever
the method: the report lists episodes, ``alerts.csv`` keeps every week.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .farrington import METHOD_FARRINGTON, METHOD_SHORT

SUDDEN = {METHOD_FARRINGTON, METHOD_SHORT}
EPISODE_COLUMNS = ["field", "option", "first_week", "last_week", "alert_weeks", "methods",
                   "observed", "expected", "upper_bound", "score", "max_score"]


def alert_episodes(alerts: pd.DataFrame, max_gap: int = 4) -> pd.DataFrame:
    """One row per episode, newest last week first. ``observed``, ``expected``,
    ``upper_bound`` and ``score`` are those of the episode's last alert week; ``max_score``
    the highest score in it; ``methods`` the methods that alarmed, in order of first alarm
    (within one week, a slow-rise method before a sudden-rise one)."""
    by = (["organisation"] if "organisation" in alerts.columns else []) + ["field", "option"]
    columns = by[:-2] + EPISODE_COLUMNS
    if alerts.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    # within a week, the sudden-rise row last, so that an episode's expected count and bound
    # are those the current-alerts figure draws (the sudden-rise bound)
    rank = alerts.method.map(lambda m: 1 if m in SUDDEN else 0)
    ordered = alerts.assign(_rank=rank).sort_values(["week_start", "_rank"], kind="stable")
    for key, grp in ordered.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        weeks = [date.fromisoformat(w) for w in grp.week_start]
        start = 0
        for i in range(1, len(weeks) + 1):
            if i == len(weeks) or (weeks[i] - weeks[i - 1]).days > 7 * max_gap:
                ep = grp.iloc[start:i]
                last = ep.iloc[-1]
                rows.append({**dict(zip(by, key)),
                             "first_week": ep.week_start.iloc[0], "last_week": last.week_start,
                             "alert_weeks": int(ep.week_start.nunique()),
                             "methods": list(dict.fromkeys(ep.method)),
                             "observed": last.observed, "expected": last.expected,
                             "upper_bound": last.upper_bound, "score": last.score,
                             "max_score": float(ep.score.max())})
                start = i
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["last_week", "max_score"], ascending=[False, False]).reset_index(drop=True)
