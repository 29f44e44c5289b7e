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


def expected_share(cfg: dict[str, Any], field: str, option: str, trends: list[Trend] | None = None,
                   day: date | None = None) -> float:
    """The expected share of contacts with ``field``/``option`` among all contacts on ``day``
    (with the trends active then), from the configuration alone: organisations' weights,
    their scenario multipliers and each scenario's chance of the option. Written to
    truth.json so a benchmark knows how strong an injected trend really is."""
    orgs = cfg["organisations"]
    org_total = sum(o["weight"] for o in orgs.values())
    share = 0.0
    for ocfg in orgs.values():
        weights = scenario_weights(cfg, ocfg, trends or [], day)
        total = sum(weights.values())
        p_opt = sum(w / total * cfg["scenarios"][name].get(field, {}).get(option, 0.0)
                    for name, w in weights.items())
        share += ocfg["weight"] / org_total * p_opt
    return share


def scenario_weights(cfg: dict[str, Any], ocfg: dict[str, Any], trends: list[Trend], day: date | None,
                     cap: float = 0.95) -> dict[str, float]:
    """Each scenario's weight for one organisation on ``day``, with the injected trends.

    A trend on an ``utsatthet`` option multiplies the SHARE of the scenarios whose core it
    is (together, when several share a core) by the trend's multiplier that day; the other
    scenarios keep their proportions and share what is left. Multiplying the weights
    instead would raise the share by less (×3 on a 16 % scenario gives ×2.2), and the truth
    file's ``factor`` would not mean what it says. Boosted shares are capped at ``cap``
    together.
    """
    weights = {name: sc["weight"] * ocfg.get("scenarios", {}).get(name, 1.0) for name, sc in cfg["scenarios"].items()}
    if day is None or not trends:
        return weights
    groups: dict[str, list[str]] = {}
    for name, sc in cfg["scenarios"].items():
        groups.setdefault(next(iter(sc["utsatthet"])), []).append(name)
    mult: dict[str, float] = {}
    for t in trends:
        if t.field == "utsatthet" and t.option in groups:
            mult[t.option] = mult.get(t.option, 1.0) * t.multiplier(day)
    mult = {core: m for core, m in mult.items() if m != 1.0}
    total = sum(weights.values())
    if not mult or total <= 0:
        return weights
    share = {core: m * sum(weights[n] for n in groups[core]) / total for core, m in mult.items()}
    s_sum = sum(share.values())
    if s_sum > cap:
        share = {core: v * cap / s_sum for core, v in share.items()}
        s_sum = cap
    rest = sum(w for n, w in weights.items() if not any(n in groups[c] for c in mult))
    if rest <= 0:
        return weights                # every scenario is boosted: shares cannot change
    out = dict(weights)
    for core, v in share.items():
        group_w = sum(weights[n] for n in groups[core])
        if group_w <= 0:
            continue
        scale = v * rest / (1.0 - s_sum) / group_w
        for n in groups[core]:
            out[n] = weights[n] * scale
    return out


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
