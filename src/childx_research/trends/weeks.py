"""Weeks: ISO weeks starting on Monday, the period grid, and which weeks are complete.

A contact belongs to the week (Monday–Sunday) of its local start time in Sweden: an
aware timestamp is converted to Europe/Stockholm, a naive one is taken as local time.
The last week of a period is *complete* only when the data reach its Sunday, that is
when ``as_of`` (given, or inferred as the date of the last contact) is that Sunday or
later. Detectors never evaluate an incomplete week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

import numpy as np
import pandas as pd

try:  # tzdata may be missing on a bare system; fall back to the timestamp's own wall clock
    from zoneinfo import ZoneInfo

    _STOCKHOLM = ZoneInfo("Europe/Stockholm")
except Exception:  # pragma: no cover - depends on the system
    _STOCKHOLM = None


def local_date(ts: datetime) -> date:
    """The calendar date of a contact in Swedish local time."""
    if ts.tzinfo is not None and _STOCKHOLM is not None:
        ts = ts.astimezone(_STOCKHOLM)
    return ts.date()


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def parse_as_of(value: str | date | datetime | None) -> date | None:
    """``as_of`` as a date: the last day the data are complete for (inclusive)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return local_date(datetime.fromisoformat(text))
    except ValueError:
        from ..errors import InputError

        raise InputError(f"not an ISO 8601 date: {value!r}", key="as_of") from None


@dataclass(frozen=True)
class WeekGrid:
    """Every Monday from the first to the last week of the period, zeros included."""

    weeks: tuple[date, ...]
    as_of: date
    #: index of the last complete week (-1 when none is complete)
    last_complete: int

    @property
    def n(self) -> int:
        return len(self.weeks)

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(pd.to_datetime(list(self.weeks)), name="week_start")

    @property
    def complete(self) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        mask[: self.last_complete + 1] = True
        return mask

    @property
    def last_week_complete(self) -> bool:
        return self.last_complete == self.n - 1

    def position(self, d: date) -> int:
        return (monday_of(d) - self.weeks[0]).days // 7

    def describe(self) -> dict[str, str | int | bool | None]:
        return {
            "first_week": self.weeks[0].isoformat(),
            "last_week": self.weeks[-1].isoformat(),
            "last_complete_week": self.weeks[self.last_complete].isoformat() if self.last_complete >= 0 else None,
            "as_of": self.as_of.isoformat(),
            "weeks": self.n,
            "last_week_complete": self.last_week_complete,
        }


def make_grid(dates: Iterable[date], as_of: date | None = None) -> WeekGrid:
    """The week grid covering ``dates``; ``as_of`` defaults to the last date seen.

    Dates after ``as_of`` must already have been dropped by the caller.
    """
    dates = list(dates)
    if not dates:
        raise ValueError("no dated contacts")
    first, last = min(dates), max(dates)
    if as_of is None:
        as_of = last
    end = max(last, as_of)
    start_monday, end_monday = monday_of(first), monday_of(end)
    n = (end_monday - start_monday).days // 7 + 1
    weeks = tuple(start_monday + timedelta(weeks=i) for i in range(n))
    sunday_of_last = weeks[-1] + timedelta(days=6)
    last_complete = n - 1 if as_of >= sunday_of_last else n - 2
    return WeekGrid(weeks=weeks, as_of=as_of, last_complete=last_complete)


def years_back(d: date, k: int) -> date:
    """The same calendar day ``k`` years earlier (28 February for a 29 February)."""
    try:
        return d.replace(year=d.year - k)
    except ValueError:
        return d.replace(year=d.year - k, day=28)
