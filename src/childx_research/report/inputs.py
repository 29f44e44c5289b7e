"""Checks on the report's (and ``childx trends``') input before any work: dates in range.

A date far in the past or the future is a typing or export error (year 1, 2999), and it
would stretch the week grid over centuries (minutes of work, hundreds of MB of CSV) or
overflow the calendar. Accepted: from :data:`EARLIEST` to one year after today.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError

EARLIEST = date(2000, 1, 1)
FUTURE_DAYS = 365


def date_bounds(today: date | None = None) -> tuple[date, date]:
    """The first and last accepted date: 2000-01-01 and one year after ``today``."""
    today = today or date.today()
    return EARLIEST, today + timedelta(days=FUTURE_DAYS)


def _bounds_text(lo: date, hi: date) -> str:
    return (f"date outside the accepted range {lo.isoformat()} to {hi.isoformat()} "
            f"(no dates before {lo.year}, none more than a year after today)")


def _wall_date(value: Any) -> date | None:
    """The calendar date as written (no time-zone conversion, which overflows in year 1)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value).strip()).date()
    except (TypeError, ValueError):
        return None  # not a timestamp: the trends reader gives that error


def _file_line(path: Path, n: int) -> int | None:
    """The file line of the n-th non-blank line (readers skip blank lines)."""
    seen = 0
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    seen += 1
                    if seen == n:
                        return lineno
    except OSError:
        return None
    return None


def check_dates(records: Sequence[Any], path: str | Path | None = None, *, today: date | None = None) -> None:
    """Refuse a record whose ``started_at`` lies outside :func:`date_bounds` (one line, no value)."""
    lo, hi = date_bounds(today)
    for n, rec in enumerate(records, start=1):
        value = rec.get("started_at") if isinstance(rec, dict) else getattr(rec, "started_at", None)
        if not value:
            continue
        d = _wall_date(value)
        if d is not None and not lo <= d <= hi:
            if path is not None:
                raise InputError(_bounds_text(lo, hi), path=path, line=_file_line(Path(path), n), key="started_at")
            raise InputError(_bounds_text(lo, hi), key=f"record {n}: started_at")


def check_as_of(as_of: Any, *, today: date | None = None) -> None:
    """Refuse an ``--as-of`` outside :func:`date_bounds`."""
    if as_of is None:
        return
    d = _wall_date(as_of)
    if d is None:
        return  # parse_as_of gives the error
    lo, hi = date_bounds(today)
    if not lo <= d <= hi:
        raise InputError(_bounds_text(lo, hi), key="as_of")
