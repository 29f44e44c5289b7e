"""From form records to weekly counts for every option of every choice field.

Nothing here names a field or an option: the series are derived from the form, one per
(field, option) of every ``single`` and ``multi`` field, in form order. A contact counts
once for every option it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..forms import Form
from .weeks import WeekGrid, local_date, make_grid, parse_as_of

#: organisation value used when a record has none
NO_ORGANISATION = "(saknas)"


def series_keys(form: Form) -> list[tuple[str, str]]:
    """(field, option) for every option of every choice field, in form order."""
    return [(f.key, o) for f in form.choice_fields for o in f.option_keys]


@dataclass
class ContactTable:
    """One row per dated contact: week position, organisation, and option indicators."""

    form: Form
    grid: WeekGrid
    ids: list[str]
    dates: np.ndarray            # datetime64[D], local date of each contact
    week: np.ndarray             # int, position of the contact's week in the grid
    organisation: np.ndarray     # object (str)
    series: list[tuple[str, str]]
    indicators: np.ndarray       # bool, contacts x series
    dropped_after_as_of: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.ids)

    def column(self, field_key: str, option: str) -> np.ndarray:
        return self.indicators[:, self.series.index((field_key, option))]

    def field_matrix(self, field_key: str) -> tuple[list[str], np.ndarray]:
        """The option keys of one field and the contacts x options indicator block."""
        idx = [i for i, (f, _) in enumerate(self.series) if f == field_key]
        return [self.series[i][1] for i in idx], self.indicators[:, idx]

    def organisations(self) -> list[str]:
        return sorted(set(self.organisation.tolist()))


def _parse_started(value: str | None, ident: str, n: int) -> datetime:
    if not value:
        raise InputError("missing started_at (trends need the date of every contact)",
                         key=f"record {n}: started_at")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError("not an ISO 8601 timestamp", key=f"record {n}: started_at") from None


def contact_table(records: Sequence[Any], form: Form, *,
                  as_of: str | date | datetime | None = None) -> ContactTable:
    """Build the contact table from form records (``records.FormRecord`` or dicts).

    Records dated after ``as_of`` are left out (a back-dated run sees what it would
    have seen then). Without ``as_of`` the data end at the last contact's date.
    """
    as_of_date = parse_as_of(as_of)
    keys = series_keys(form)
    pos = {k: i for i, k in enumerate(keys)}
    ids: list[str] = []
    dates: list[date] = []
    orgs: list[str] = []
    rows: list[list[int]] = []
    dropped = 0
    for n, rec in enumerate(records, start=1):
        get = rec.get if isinstance(rec, dict) else (lambda k, _r=rec: getattr(_r, k, None))
        ident = str(get("id"))
        d = local_date(_parse_started(get("started_at"), ident, n))
        if as_of_date is not None and d > as_of_date:
            dropped += 1
            continue
        values = get("form") or {}
        hit: list[int] = []
        for f in form.choice_fields:
            v = values.get(f.key)
            for o in ([v] if isinstance(v, str) else (v or [])):
                if (f.key, o) in pos:
                    hit.append(pos[(f.key, o)])
        ids.append(ident)
        dates.append(d)
        orgs.append(get("organisation") or NO_ORGANISATION)
        rows.append(hit)
    if not ids:
        raise InputError("no dated contacts to analyse" + (" on or before as_of" if dropped else ""))
    grid = make_grid(dates, as_of_date)
    ind = np.zeros((len(ids), len(keys)), dtype=bool)
    for r, hit in enumerate(rows):
        ind[r, hit] = True
    week = np.array([grid.position(d) for d in dates], dtype=int)
    notes = []
    if dropped:
        notes.append(f"{dropped} kontakter efter {grid.as_of.isoformat()} (as_of) togs inte med.")
    return ContactTable(form=form, grid=grid, ids=ids, dates=np.array(dates, dtype="datetime64[D]"),
                        week=week, organisation=np.array(orgs, dtype=object), series=keys,
                        indicators=ind, dropped_after_as_of=dropped, notes=notes)


@dataclass
class WeeklyPanel:
    """Counts per group x series x week (a group is all contacts, or one organisation)."""

    grid: WeekGrid
    series: list[tuple[str, str]]
    groups: list[str | None]     # [None] for all contacts, else organisation names
    counts: np.ndarray           # int, groups x series x weeks
    totals: np.ndarray | None    # int, groups x weeks (contacts, not options); None if unknown

    @property
    def by(self) -> str | None:
        return None if self.groups == [None] else "organisation"


def weekly_panel(table: ContactTable, by: str | None = None) -> WeeklyPanel:
    if by not in (None, "organisation"):
        raise InputError(f"unknown --by {by!r} (only 'organisation')")
    groups: list[str | None] = [None] if by is None else table.organisations()
    n_w = table.grid.n
    counts = np.zeros((len(groups), len(table.series), n_w), dtype=np.int64)
    totals = np.zeros((len(groups), n_w), dtype=np.int64)
    for g, name in enumerate(groups):
        sel = np.ones(table.n, dtype=bool) if name is None else (table.organisation == name)
        wk = table.week[sel]
        totals[g] = np.bincount(wk, minlength=n_w)
        ind = table.indicators[sel]
        for s in range(len(table.series)):
            counts[g, s] = np.bincount(wk[ind[:, s]], minlength=n_w)
    return WeeklyPanel(grid=table.grid, series=table.series, groups=groups, counts=counts, totals=totals)


def counts_frame(panel: WeeklyPanel) -> pd.DataFrame:
    """``weekly_counts.csv`` as a frame: field, option, week_start, count (+ organisation first)."""
    weeks = [w.isoformat() for w in panel.grid.weeks]
    n_s, n_w = len(panel.series), panel.grid.n
    parts = []
    for g, name in enumerate(panel.groups):
        df = pd.DataFrame({
            "field": np.repeat([s[0] for s in panel.series], n_w),
            "option": np.repeat([s[1] for s in panel.series], n_w),
            "week_start": np.tile(weeks, n_s),
            "count": panel.counts[g].reshape(-1),
        })
        if name is not None:
            df.insert(0, "organisation", name)
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    keys = (["organisation"] if panel.by else []) + ["field", "option", "week_start"]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def totals_frame(panel: WeeklyPanel) -> pd.DataFrame:
    weeks = [w.isoformat() for w in panel.grid.weeks]
    parts = []
    for g, name in enumerate(panel.groups):
        df = pd.DataFrame({"week_start": weeks, "contacts": panel.totals[g],
                           "complete": panel.grid.complete})
        if name is not None:
            df.insert(0, "organisation", name)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)
