"""When contacts happen: weekly and seasonal rhythm, growth, and injected trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Trend:
    field: str
    option: str
    kind: str          # "outbreak" | "rise"
    start: date
    weeks: int
    factor: float

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=self.weeks) - timedelta(days=1)

    def multiplier(self, day: date) -> float:
        if day < self.start:
            return 1.0
        if self.kind == "outbreak":
            return self.factor if day <= self.end else 1.0
        # slow rise: linear ramp over `weeks`, then stays at `factor`
        progress = min(1.0, (day - self.start).days / max(1, self.weeks * 7))
        return 1.0 + (self.factor - 1.0) * progress

    def truth(self) -> dict[str, Any]:
        return {"field": self.field, "option": self.option, "kind": self.kind,
                "start": self.start.isoformat(), "end": self.end.isoformat(), "factor": self.factor}


def _season(day: date, rhythm: dict[str, Any]) -> float:
    week = day.isocalendar().week
    f = 1.0
    if 26 <= week <= 32:
        f *= rhythm["summer"]
    if (day.month == 12 and day.day >= 22) or (day.month == 1 and day.day <= 6):
        f *= rhythm["christmas"]
    if week in (8, 9, 14, 15, 44):
        f *= rhythm["school_break"]
    if 33 <= week <= 35 or 2 <= week <= 3:
        f *= rhythm["term_start"]
    return f


def day_weights(start: date, end: date, rhythm: dict[str, Any]) -> tuple[list[date], list[float]]:
    days: list[date] = []
    weights: list[float] = []
    d = start
    total_days = (end - start).days or 1
    while d <= end:
        growth = 1.0 + rhythm["growth_per_year"] * (d - start).days / 365.25
        weights.append(rhythm["weekday"][d.weekday()] * _season(d, rhythm) * growth)
        days.append(d)
        d += timedelta(days=1)
    assert len(days) == total_days + 1
    return days, weights


def sample_timestamps(n: int, rng: Random, start: date, end: date, rhythm: dict[str, Any],
                      tz: str) -> list[datetime]:
    """``n`` sorted local timestamps following the day and hour rhythm."""
    days, weights = day_weights(start, end, rhythm)
    zone = ZoneInfo(tz)
    chosen = rng.choices(days, weights=weights, k=n)
    hours = rng.choices(range(24), weights=rhythm["hours"], k=n)
    stamps = [datetime.combine(d, time(h, rng.randrange(60)), tzinfo=zone) for d, h in zip(chosen, hours)]
    stamps.sort()
    return stamps
