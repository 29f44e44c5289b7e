"""Slow emerging rises: a one-sided trend test on the last weeks against a seasonal baseline.

Farrington-type detectors compare one week with its baseline and, by design, miss a
count that creeps up a little every week. This detector asks, every week ``t``, whether
the last ``L`` weeks (``L`` = 4 … 12) climb away from what the baseline expects.

Baseline (refitted every ``refit_every`` weeks on data that end ``max(windows)`` weeks
before, so nothing a window tests is in it): a quasi-Poisson log-linear model with the
week's number of contacts as offset when known (so it describes the option's *share*),
one yearly harmonic once a year of data exists and, for counts without offset only, a
linear trend once two years exist; fitted on up to ``window`` weeks with past outbreaks
down-weighted as in Farrington (Anscombe residuals above 2.58).

Test: on the window ``t-L+1 … t`` a GLM for the option's share with the baseline as
offset and a slope ``b`` that is 0 just before the window and ``b`` at week ``t``::

    log E[y_i] = log mu_i + b * s_i,       s_i = (i - (t - L)) / L,   i = t-L+1 … t

with the quasi-binomial variance ``phi * mu_i * (1 - p_i)`` (``p_i = mu_i / n_i``, the
expected share of the week's ``n_i`` contacts; quasi-Poisson, ``p_i = 0``, when the
contacts are not known). The one-sided score test of ``b = 0`` against ``b > 0`` is the
locally most powerful test for such a ramp::

    a_i = s_i / (1 - p_i)
    z_L = sum a_i (y_i - mu_i) / sqrt(phi * sum a_i^2 mu_i (1 - p_i) + g' V g)

where ``g = sum a_i mu_i x_i`` and ``V`` the covariance of the baseline coefficients
(the baseline's own uncertainty), ``phi`` its dispersion (at least 1). The week's
statistic is ``Z_t = max_L z_L`` (the rise may have started at any of those weeks).

Threshold, multiplicity-aware: ``Z_t`` is computed every week, for nine overlapping
windows, so a per-test p-value means little. The threshold ``c`` is set for an in-control
false-alarm rate instead: under the null the standardised residuals are close to
independent standard normal, so the whole alarm process (the nine windows, every week,
the refractory period) can be simulated once; ``calibrate_threshold`` does that. The
default ``c = 2.45`` gives at most 0.45 false alarm per series-year in control (measured
0.42: an average run of about 2.4 years between false alarms), under half of the issue's
budget of one false alarm per series-year for all detectors together; Farrington and the
short-history baseline spend the rest (0.05–0.3 on generated data). The README has the rates
measured on data and why the budget is split this way.
Small counts have a heavier upper tail than the normal: ``z`` is moved to the normal
scale with a Cornish-Fisher correction for the score's skewness before the comparison.

An alarm is raised when ``Z_t > c``, at least ``min_cases`` contacts were seen in the
last ``case_weeks`` weeks, and the series has not alarmed in the previous ``refractory``
weeks (a rise that goes on alarms again, every ``refractory`` weeks at most).

For the CSV, ``expected`` is ``mu_t``, ``upper_bound`` the smallest count this week that
would have pushed ``Z_t`` over ``c`` (given the window's other weeks), and
``score = Z_t / c`` (above 1 means an alarm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from .cusum import _features, _fit_reweighted

METHOD_TREND = "trend_test_slow_rise"


@dataclass(frozen=True)
class TrendTestParams:
    windows: tuple[int, ...] = (4, 5, 6, 7, 8, 9, 10, 11, 12)  # lengths L of the tested windows
    threshold: float = 2.45     # c = calibrate_threshold(0.45): at most 0.45 false alarm per series-year
    refractory: int = 4         # no new alarm within this many weeks of the last one
    min_cases: int = 5          # at least this many contacts ...
    case_weeks: int = 8         # ... in this many weeks (current included) for an alarm
    min_expected: float = 0.5   # a window whose baseline expects fewer contacts in all is not tested
    refit_every: int = 4        # weeks between refits of the baseline
    window: int = 260           # baseline weeks at most (five years)
    min_weeks: int = 12         # no baseline (and no test) with fewer weeks of data
    season_weeks: int = 52      # a yearly harmonic once the baseline spans this many weeks
    trend_weeks: int = 104      # a linear trend once it spans this many weeks (counts without offset only)
    weights_threshold: float = 2.58
    skew_correction: bool = True  # Cornish-Fisher: small counts have a heavier upper tail


@dataclass
class TrendWeek:
    z: float = math.nan         # Z_t = max over windows
    length: int = 0             # the window L that gave Z_t
    alarm: bool = False
    expected: float = math.nan
    upper: float = math.nan
    score: float = math.nan


# --- baseline --------------------------------------------------------------------------------


@dataclass
class _Baseline:
    """One fit: predictions for a span of weeks, with what the test needs."""

    first: int                  # grid position of mu[0]
    mu: np.ndarray              # expected counts
    q: np.ndarray               # 1 - expected share (binomial variance factor; 1 without totals)
    grad: np.ndarray            # mu_i * x_i (rows), for the variance of sum a_i mu_i
    vcov: np.ndarray            # phi * (X'WX)^-1
    phi: float


def _fit_baseline(y: np.ndarray, tt: np.ndarray, angle: np.ndarray, totals: np.ndarray | None,
                  rows: np.ndarray, span: int, targets: np.ndarray, p: TrendTestParams) -> _Baseline | None:
    yr = y[rows]
    off = off_t = n_r = None
    if totals is not None:
        n_r = totals[rows]
        off = np.log(n_r)
        with np.errstate(divide="ignore"):
            off_t = np.log(totals[targets])
    season, trend = span >= p.season_weeks, span >= p.trend_weeks and off is None
    while True:
        X = _features(tt[rows], angle[rows], season, trend)
        fit = _fit_reweighted(X, yr, p.weights_threshold, off, n_r)
        if fit is not None and trend:
            x_t = _features(tt[targets], angle[targets], season, trend)
            if float(np.exp(x_t @ fit[0]).max()) > yr.max():
                fit = None      # the trend would extrapolate beyond anything seen: drop it
        if fit is not None:
            break
        if trend:
            trend = False
        elif season:
            season = False
        else:
            return None
    beta, phi, cov = fit
    x_t = _features(tt[targets], angle[targets], season, trend)
    eta = x_t @ beta
    if off_t is not None:
        eta = eta + off_t
    mu = np.exp(eta)
    if totals is None:
        q = np.ones_like(mu)
    else:
        n_t = totals[targets]
        q = np.where(n_t > 0, np.clip(1 - mu / np.maximum(n_t, 1), 0.01, 1.0), 1.0)
    return _Baseline(first=int(targets[0]), mu=mu, q=q, grad=mu[:, None] * x_t, vcov=cov * phi, phi=phi)


def _baselines(y: np.ndarray, weeks: tuple[date, ...], last: int, p: TrendTestParams,
               totals: np.ndarray | None) -> dict[int, _Baseline | None]:
    """A baseline for every refit week r (covering r … r + refit_every - 1 and their windows)."""
    n = y.size
    lmax = max(p.windows)
    tot = None if totals is None else np.asarray(totals, dtype=float)
    angle = np.array([2 * math.pi * (d.timetuple().tm_yday - 1) / 365.25 for d in weeks])
    tt = np.arange(n, dtype=float)
    yf = y.astype(float)
    out: dict[int, _Baseline | None] = {}
    for r in range(0, last + 1, p.refit_every):
        end = r - lmax            # the fit's data end before the earliest window of weeks r …
        start = max(0, end - p.window)
        out[r] = None
        if end - start < p.min_weeks:
            continue
        rows = np.arange(start, end)
        span = rows.size
        if tot is not None:
            rows = rows[tot[rows] > 0]    # weeks without contacts say nothing about a share
        if rows.size < p.min_weeks:
            continue
        targets = np.arange(max(0, r - lmax + 1), min(r + p.refit_every, last + 1))
        if yf[rows].sum() == 0:
            z = np.zeros(targets.size)
            out[r] = _Baseline(first=int(targets[0]), mu=z, q=z + 1, grad=np.zeros((targets.size, 1)),
                               vcov=np.zeros((1, 1)), phi=1.0)
            continue
        out[r] = _fit_baseline(yf, tt, angle, tot, rows, span, targets, p)
    return out


# --- the test --------------------------------------------------------------------------------


def window_z(y: np.ndarray, base: _Baseline, t: int, length: int,
             skew_correction: bool = True) -> tuple[float, float, float, float] | None:
    """The ramp score test on weeks t-L+1 … t: (z, the score without week t, its sd, skewness).

    Score of ``log p_i = log p0_i + b s_i`` under the (quasi-)binomial variance
    ``phi mu (1 - p)``: ``U = sum a_i (y_i - mu_i)`` with ``a_i = s_i / (1 - p_i)``,
    information ``phi sum a_i^2 mu_i (1 - p_i)``; without totals ``p = 0`` (Poisson).
    """
    lo = t - length + 1 - base.first
    if lo < 0:
        return None
    hi = t + 1 - base.first
    mu, q = base.mu[lo:hi], base.q[lo:hi]
    if not np.all(np.isfinite(mu)):
        return None
    a = np.arange(1, length + 1, dtype=float) / length / q
    obs = y[t - length + 1: t + 1].astype(float)
    g = a @ base.grad[lo:hi]
    var = base.phi * float(a ** 2 @ (mu * q)) + float(g @ base.vcov @ g)
    if var <= 0:
        return None
    sd = math.sqrt(var)
    u = float(a @ (obs - mu))
    skew = 0.0
    if skew_correction:
        # third cumulant of a binomial count: mu (1 - p)(1 - 2p); quasi: times phi^2
        skew = base.phi ** 2 * float(a ** 3 @ (mu * q * (2 * q - 1))) / sd ** 3
    return u / sd, u - a[-1] * (obs[-1] - mu[-1]), sd, skew


def normalise(z: float, skew: float) -> float:
    """Cornish-Fisher: a skewed z (skewness ``skew``) to the normal scale, for the upper tail."""
    if skew <= 0 or z <= 1:
        return z
    return z - skew / 6 * (z * z - 1)


def unnormalise(c: float, skew: float) -> float:
    """The raw z whose ``normalise`` is ``c`` (the skew-corrected threshold)."""
    if skew <= 0 or c <= 1:
        return c
    return c + skew / 6 * (c * c - 1)


def run_trend_test(y: np.ndarray, weeks: tuple[date, ...], last_complete: int,
                   params: TrendTestParams = TrendTestParams(),
                   totals: np.ndarray | None = None, fits: dict | None = None) -> list[TrendWeek]:
    """The test for every week of one series; weeks after ``last_complete`` are not evaluated.

    ``totals``: contacts per week (the share model); ``None``: counts alone (Poisson).
    ``fits``: the baselines (``_baselines``) when already fitted with these params.
    """
    fits = _baselines(y, weeks, last_complete, params, totals) if fits is None else fits
    out = [TrendWeek() for _ in range(y.size)]
    c = params.threshold
    last_alarm = -10**9
    for t in range(min(last_complete + 1, y.size)):
        base = fits.get(t - t % params.refit_every)
        if base is None:
            continue
        week = out[t]
        best, need = -math.inf, math.inf
        for length in params.windows:
            lo = t - length + 1 - base.first
            if lo < 0 or float(base.mu[lo: t + 1 - base.first].sum()) < params.min_expected:
                continue
            zz = window_z(y, base, t, length, params.skew_correction)
            if zz is None:
                continue
            z, rest, sd, skew = zz
            z = normalise(z, skew)
            if z > best:
                best, week.length = z, length
            # the count this week that makes this window's z reach c (week t has a = 1/q_t)
            a_t = 1.0 / float(base.q[t - base.first])
            need = min(need, (unnormalise(c, skew) * sd - rest) / a_t)
        if not np.isfinite(best):
            continue
        mu_t = float(base.mu[t - base.first])
        week.z, week.expected, week.score = best, mu_t, best / c
        week.upper = max(mu_t + need, 0.0)
        cases = float(y[max(0, t - params.case_weeks + 1): t + 1].sum())
        if best > c and cases >= params.min_cases and t - last_alarm >= params.refractory:
            week.alarm = True
            last_alarm = t
    return out


# --- the threshold -----------------------------------------------------------------------------


def null_alarm_rate(threshold: float, params: TrendTestParams = TrendTestParams(), *,
                    weeks: int = 1_000_000, seed: int = 0) -> float:
    """False alarms per series-year of the alarm rule on independent N(0, 1) residuals."""
    e = np.random.default_rng(seed).standard_normal(weeks)
    z = np.full(weeks, -np.inf)
    for length in params.windows:
        s = np.arange(1, length + 1, dtype=float)
        s /= math.sqrt(float(s @ s))
        z[length - 1:] = np.maximum(z[length - 1:], np.convolve(e, s[::-1], mode="valid"))
    alarms, last = 0, -10**9
    for t in np.flatnonzero(z > threshold):
        if t - last >= params.refractory:
            alarms, last = alarms + 1, t
    return alarms / (weeks / 52.18)


def calibrate_threshold(rate_per_year: float = 1 / 3, params: TrendTestParams = TrendTestParams(), *,
                        weeks: int = 1_000_000, seed: int = 0) -> float:
    """The threshold (to 0.05) whose in-control false-alarm rate is at most ``rate_per_year``."""
    c = 1.5
    while null_alarm_rate(c, params, weeks=weeks, seed=seed) > rate_per_year:
        c += 0.05
    return round(c, 2)
