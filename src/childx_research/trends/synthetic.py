"""Synthetic weekly count series with known injected trends, for tests and benchmarks.

Counts are Poisson (or negative binomial with ``dispersion > 1``) around a baseline with
a yearly seasonal wave, optionally a slow secular trend, and injected changes:

- ``outbreak``: the mean is multiplied by ``factor`` from ``start`` to ``end`` (weeks);
- ``rise``: the multiplier ramps linearly from 1 at ``start`` to ``factor`` at ``end`` and
  stays there (a slow emerging increase);
- ``growth``: the mean grows by the factor every week (``factor`` 1.04: +4 % a week) from
  ``start`` to ``end`` and stays there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .counts import WeeklyPanel
from .weeks import WeekGrid, monday_of


@dataclass(frozen=True)
class Injection:
    kind: str        # "outbreak" | "rise" | "growth"
    start: int       # week index
    end: int         # week index (inclusive)
    factor: float


def multiplier(n_weeks: int, injections: list[Injection]) -> np.ndarray:
    m = np.ones(n_weeks)
    for inj in injections:
        if inj.kind == "outbreak":
            m[inj.start: inj.end + 1] *= inj.factor
        elif inj.kind == "rise":
            length = max(inj.end - inj.start, 1)
            ramp = 1 + (inj.factor - 1) * np.clip((np.arange(n_weeks) - inj.start) / length, 0, 1)
            ramp[: inj.start] = 1
            m *= ramp
        elif inj.kind == "growth":
            steps = np.clip(np.arange(n_weeks) - inj.start, 0, max(inj.end - inj.start, 0))
            m *= inj.factor ** steps
        else:
            raise ValueError(f"unknown injection kind {inj.kind!r}")
    return m


def series_mean(n_weeks: int, base: float, *, seasonal_amplitude: float = 0.25, phase: float = 0.0,
                trend_per_year: float = 0.0, injections: list[Injection] = ()) -> np.ndarray:
    t = np.arange(n_weeks)
    season = 1 + seasonal_amplitude * np.sin(2 * np.pi * (t / 52.18 + phase))
    trend = (1 + trend_per_year) ** (t / 52.18)
    return base * season * trend * multiplier(n_weeks, list(injections))


def draw(mu: np.ndarray, rng: np.random.Generator, dispersion: float = 1.0) -> np.ndarray:
    """Poisson counts, or negative binomial with variance ``dispersion * mu``."""
    if dispersion <= 1.0:
        return rng.poisson(mu)
    size = mu / (dispersion - 1)
    return rng.poisson(rng.gamma(np.maximum(size, 1e-9), 1 / np.maximum(size, 1e-9)) * mu)


def grid_for(n_weeks: int, start: date = date(2022, 1, 3), complete: bool = True) -> WeekGrid:
    first = monday_of(start)
    weeks = tuple(first + timedelta(weeks=i) for i in range(n_weeks))
    last = n_weeks - 1 if complete else n_weeks - 2
    as_of = weeks[-1] + timedelta(days=6 if complete else 2)
    return WeekGrid(weeks=weeks, as_of=as_of, last_complete=last)


def panel_from_arrays(counts: np.ndarray, *, series: list[tuple[str, str]] | None = None,
                      start: date = date(2022, 1, 3), complete: bool = True,
                      totals: np.ndarray | None = None) -> WeeklyPanel:
    """A one-group panel from a (series x weeks) array of counts."""
    counts = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    n_s, n_w = counts.shape
    if series is None:
        series = [("serie", f"s{i:03d}") for i in range(n_s)]
    tot = None if totals is None else np.asarray(totals, dtype=np.int64).reshape(1, n_w)
    return WeeklyPanel(grid=grid_for(n_w, start, complete), series=series, groups=[None],
                       counts=counts[None, :, :], totals=tot)


def independent_panel(counts: np.ndarray, totals: np.ndarray | None = None, *,
                      start: date = date(2022, 1, 3), complete: bool = True) -> WeeklyPanel:
    """Each row of ``counts`` (and of ``totals``) its own group, e.g. for a benchmark of many
    independent series; alerts then carry the group name ``gNNNN`` in ``organisation``."""
    counts = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    n_s, n_w = counts.shape
    tot = None if totals is None else np.asarray(totals, dtype=np.int64).reshape(n_s, n_w)
    return WeeklyPanel(grid=grid_for(n_w, start, complete), series=[("serie", "y")],
                       groups=[f"g{i:04d}" for i in range(n_s)], counts=counts[:, None, :], totals=tot)


def draw_shares(total_mu: np.ndarray, share: float, mult: np.ndarray, rng: np.random.Generator,
                dispersion: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Weekly contacts (Poisson/NB around ``total_mu``) and the count of one option among them:
    binomial with probability ``share * mult`` (capped at 0.95), like a form field."""
    totals = draw(total_mu, rng, dispersion)
    p = np.minimum(share * mult, 0.95)
    return totals, rng.binomial(totals, p)


# --- form records --------------------------------------------------------------------------------


def synthetic_records(form, *, n_weeks: int = 157, per_week: float = 40.0, seed: int = 0,
                      start: date = date(2022, 1, 3), seasonal_amplitude: float = 0.2,
                      injections: dict[tuple[str, str], list[Injection]] | None = None,
                      organisations: tuple[str, ...] = ("org_a", "org_b"),
                      last_week_days: int = 7) -> list[dict]:
    """Form records (dicts) for any form: random options, weekly volume with a season.

    ``injections`` multiply the probability of one option during the injected weeks, so
    its weekly count rises by about that factor. ``last_week_days`` < 7 leaves the last
    week incomplete (the data stop before its Sunday).
    """
    from datetime import datetime, time

    rng = np.random.default_rng(seed)
    injections = injections or {}
    probs = {}
    for f in form.choice_fields:
        if f.kind == "single":
            p = rng.dirichlet(np.full(len(f.options), 2.0))
        else:
            p = np.where([o.exclusive for o in f.options], 0.0, rng.uniform(0.05, 0.35, len(f.options)))
        probs[f.key] = p
    mult = {k: multiplier(n_weeks, v) for k, v in injections.items()}
    vol = series_mean(n_weeks, per_week, seasonal_amplitude=seasonal_amplitude)
    first = monday_of(start)
    out = []
    n = 0
    for w in range(n_weeks):
        days = 7 if w < n_weeks - 1 else last_week_days
        for _ in range(rng.poisson(vol[w] * days / 7)):
            day = first + timedelta(weeks=w, days=int(rng.integers(0, days)))
            ts = datetime.combine(day, time(int(rng.integers(8, 23)), int(rng.integers(0, 60))))
            values = {}
            for f in form.fields:
                if f.kind == "text":
                    values[f.key] = ""
                    continue
                p = probs[f.key].copy()
                for i, o in enumerate(f.option_keys):
                    if (f.key, o) in mult:
                        p[i] *= mult[(f.key, o)][w]
                if f.kind == "single":
                    values[f.key] = f.option_keys[int(rng.choice(len(p), p=p / p.sum()))]
                else:
                    hit = [o for o, q in zip(f.option_keys, np.minimum(p, 0.95)) if rng.random() < q]
                    if not hit:
                        excl = [o.key for o in f.options if o.exclusive]
                        hit = [excl[0] if excl else f.option_keys[int(np.argmax(probs[f.key]))]]
                    values[f.key] = hit
            n += 1
            out.append({"id": f"s-{n:06d}", "started_at": ts.isoformat(timespec="minutes"),
                        "organisation": organisations[int(rng.integers(0, len(organisations)))],
                        "form": values})
    return out
