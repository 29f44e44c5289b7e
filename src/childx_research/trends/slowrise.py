"""Slow emerging rises: a negative-binomial likelihood-ratio CUSUM on the option's share.

The default slow-rise detector (``cusum_slow_rise``); the trend test (``trendtest.py``) is
there on request: on the benchmark it added false alarms and almost no early detections.

Farrington-type detectors compare one week with its baseline and miss a count that creeps
up a little every week; the trend test looks back at most 12 weeks. This detector keeps
accumulating the evidence from the week a rise starts, the way R ``surveillance``'s
``glrnb`` with a fixed alternative (an NB CUSUM) does.

Baseline: the trend test's (``trendtest._baselines``): a quasi-Poisson log-linear model
with the week's contacts as offset when known (so it describes the *share*), a yearly
harmonic once a year of data exists, past outbreaks down-weighted as in Farrington,
refitted every ``refit_every`` weeks on data that end ``max(windows)`` weeks before.
Its dispersion ``phi`` (at least 1) gives the negative binomial with variance
``phi * mu`` (size ``r = mu / (phi - 1)``; Poisson when ``phi = 1``).

For a rise of the share by the factor ``R = rise`` (default 1.4: on the benchmark's +4 %- and
+6 %-a-week rises it beat 1.15, 1.25 and 1.6 at the same false-alarm rate) the log-likelihood ratio of week ``t``
is linear in the count ``y_t``::

    l_t = y_t * log R + (y_t + r_t) * log((r_t + mu_t) / (r_t + R mu_t))     (NB)
    l_t = y_t * log R - (R - 1) mu_t                                         (Poisson)
    S_t = max(0, S_{t-1} + l_t)

An alarm is raised when ``S_t > h`` and at least ``min_cases`` contacts were seen in the
last ``case_weeks`` weeks; the sum then restarts from zero, so a rise that goes on alarms
again some weeks later. ``h = 2.7`` was tuned on the trends benchmark's synthetic series
(two seeds) so that the default system (Farrington and this CUSUM) stays within half a
false alarm per series-year (measured 0.43–0.47; README, "Trends"); ``null_alarm_rate``
measures this detector alone on counts without change around a known level.

For the CSV, ``expected`` is ``mu_t``, ``upper_bound`` the smallest count this week that
would have pushed the sum over ``h``, and ``score = S_t / h`` (above 1 means an alarm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .trendtest import TrendTestParams, _baselines

from .cusum import METHOD_CUSUM  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class SlowRiseParams:
    rise: float = 1.4           # the alternative: the share times this factor
    h: float = 2.7              # decision interval (tuned on the benchmark: README, "Trends")
    min_cases: int = 5          # at least this many contacts ...
    case_weeks: int = 8         # ... in this many weeks (current included) for an alarm
    min_expected: float = 0.1   # weeks whose baseline expects less add nothing
    # the baseline, fitted as the trend test's (its windows set the gap before the fit's data)
    baseline: TrendTestParams = field(default_factory=TrendTestParams)

    def __post_init__(self):
        if not self.rise > 1:
            raise ValueError("rise must be above 1")
        if not self.h > 0:
            raise ValueError("h must be positive")


@dataclass
class CusumWeek:
    s: float = 0.0
    llr: float = math.nan
    alarm: bool = False
    expected: float = math.nan
    upper: float = math.nan
    score: float = math.nan


def llr_coefficients(mu: float, phi: float, rise: float) -> tuple[float, float]:
    """(a, b) with the week's log-likelihood ratio ``l = a * y - b`` (NB with variance phi*mu)."""
    log_r = math.log(rise)
    if phi <= 1.0 + 1e-9:
        return log_r, (rise - 1.0) * mu
    size = mu / (phi - 1.0)
    c = math.log((size + mu) / (size + rise * mu))
    return log_r + c, -size * c


def cusum_weeks(y: np.ndarray, mu: np.ndarray, phi: np.ndarray, evaluate: np.ndarray,
                params: SlowRiseParams = SlowRiseParams()) -> list[CusumWeek]:
    """The CUSUM over one series with known expected counts ``mu`` and dispersions ``phi``;
    weeks with ``evaluate`` False, or without a baseline, are skipped (the sum is kept)."""
    out: list[CusumWeek] = []
    s = 0.0
    h = params.h
    for t in range(y.size):
        week = CusumWeek(s=s)
        m, ph = float(mu[t]), float(phi[t])
        if not evaluate[t] or not math.isfinite(m) or not math.isfinite(ph) or m < params.min_expected:
            out.append(week)
            continue
        a, b = llr_coefficients(m, ph, params.rise)
        l_t = a * float(y[t]) - b
        week.expected, week.llr = m, l_t
        week.upper = max((h - s + b) / a, 0.0)
        s = max(0.0, s + l_t)
        week.s, week.score = s, s / h
        cases = float(y[max(0, t - params.case_weeks + 1): t + 1].sum())
        if s > h and cases >= params.min_cases:
            week.alarm = True
            s = 0.0
        out.append(week)
    return out


def baseline_for(y: np.ndarray, weeks: tuple[date, ...], last_complete: int,
                 params: SlowRiseParams = SlowRiseParams(),
                 totals: np.ndarray | None = None, fits: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Expected count and dispersion for every week up to ``last_complete`` (NaN: none).
    ``fits``: the trend test's baselines when already fitted with ``params.baseline``."""
    bp = params.baseline
    fits = _baselines(y, weeks, last_complete, bp, totals) if fits is None else fits
    mu = np.full(y.size, np.nan)
    phi = np.full(y.size, np.nan)
    for t in range(min(last_complete + 1, y.size)):
        base = fits.get(t - t % bp.refit_every)
        if base is None:
            continue
        i = t - base.first
        if 0 <= i < base.mu.size:
            mu[t], phi[t] = base.mu[i], base.phi
    return mu, phi


def run_slow_rise(y: np.ndarray, weeks: tuple[date, ...], last_complete: int,
                  params: SlowRiseParams = SlowRiseParams(),
                  totals: np.ndarray | None = None, fits: dict | None = None) -> list[CusumWeek]:
    """Baseline and CUSUM for one series; weeks after ``last_complete`` are not evaluated.

    ``totals``: contacts per week (the share model); ``None``: counts alone.
    ``fits``: the trend test's baselines when already fitted with ``params.baseline``.
    """
    mu, phi = baseline_for(y, weeks, last_complete, params, totals, fits)
    evaluate = np.arange(y.size) <= last_complete
    return cusum_weeks(np.asarray(y), mu, phi, evaluate, params)


def null_alarm_rate(params: SlowRiseParams = SlowRiseParams(), *, level: float = 10.0, phi: float = 1.3,
                    weeks: int = 200_000, seed: int = 0) -> float:
    """False alarms per series-year of the CUSUM alone, on NB counts (variance ``phi * mu``)
    around a known constant level: what the sum does when nothing changes."""
    rng = np.random.default_rng(seed)
    mu = np.full(weeks, float(level))
    if phi > 1:
        size = level / (phi - 1)
        y = rng.poisson(rng.gamma(size, 1 / size, weeks) * level)
    else:
        y = rng.poisson(mu)
    res = cusum_weeks(y, mu, np.full(weeks, phi), np.ones(weeks, dtype=bool), params)
    return sum(w.alarm for w in res) / (weeks / 52.18)
