"""Slow emerging rises: a one-sided CUSUM on standardised residuals of a seasonal baseline.

Farrington-type detectors compare one week with its baseline and, by design, miss a
count that creeps up a little every week. This detector accumulates the evidence.

Baseline (refitted every ``refit_every`` weeks, with the week's number of contacts as
offset when known, like the Farrington model, on data that end ``gap`` weeks before,
so a rise of the last weeks is not absorbed into it): a quasi-Poisson log-linear model
with one yearly harmonic (sine and cosine of the day of the year) once a year of data
exists, and — for counts without offset only — a linear trend once two years exist, fitted on up to ``window`` weeks with
past outbreaks down-weighted as in Farrington (Anscombe residuals above 2.58). This is
the kind of baseline R ``surveillance::glrnb`` uses; fitted on all weeks it has far less
estimation error than Farrington's week-window levels, which matters for a cumulative
sum: a biased baseline is a drift that the sum would pick up.

    z_t = 1.5 * (y_t^(2/3) - mu_t^(2/3)) / (tau_t * mu_t^(1/6))    (Anscombe residual)
    tau_t^2 = phi + mu_t * var(eta_t)                               (prediction variance)
    S_t = max(0, S_{t-1} + z_t - k)

An alarm is raised when ``S_t > h`` and at least ``min_cases`` contacts were seen in the
last ``case_weeks`` weeks; the sum then restarts from zero, so a rise that goes on
alarms again some weeks later.

For the CSV, ``expected`` is ``mu_t``, ``upper_bound`` the smallest count that would have
pushed the sum over ``h`` this week, and ``score = S_t / h`` (above 1 means an alarm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from .farrington import anscombe_residuals, assign_weights

METHOD_CUSUM = "cusum_slow_rise"


@dataclass(frozen=True)
class CusumParams:
    k: float = 0.5          # reference value: drift (in standard deviations) ignored per week
    h: float = 4.0          # decision interval
    min_cases: int = 5      # at least this many contacts ...
    case_weeks: int = 8     # ... in this many weeks (current included) for an alarm
    min_expected: float = 0.2  # weeks whose baseline expects less add nothing (z = 0)
    gap: int = 26           # baseline data end this many weeks before the refit week
    refit_every: int = 4    # weeks between refits of the baseline
    window: int = 260       # baseline weeks at most (five years)
    min_weeks: int = 12     # no baseline (and no CUSUM) with fewer weeks of data
    season_weeks: int = 52  # a yearly harmonic once the baseline spans this many weeks
    trend_weeks: int = 104  # a linear trend once it spans this many weeks (counts without offset only)
    weights_threshold: float = 2.58


@dataclass
class CusumWeek:
    s: float = 0.0
    z: float = math.nan
    alarm: bool = False
    expected: float = math.nan
    upper: float = math.nan
    score: float = math.nan


# --- baseline --------------------------------------------------------------------------------


def poisson_irls(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, offset: np.ndarray | None = None,
                 maxiter: int = 30, tol: float = 1e-8, start: np.ndarray | None = None):
    """Poisson log-link IRLS with prior weights and offset; (beta, mu, (X'WX)^-1) or None."""
    w = np.ones_like(y, dtype=float) if w is None else w
    off = np.zeros_like(y, dtype=float) if offset is None else offset
    if start is not None:
        beta = np.array(start, dtype=float)
    else:
        beta = np.zeros(X.shape[1])
        beta[0] = math.log(max(float(np.sum(w * y) / np.sum(w * np.exp(off))), 1e-6))
    dev_old = math.inf
    for _ in range(maxiter):
        eta = X @ beta
        mu = np.exp(np.clip(eta + off, -30, 30))
        wts = w * mu
        zw = eta + (y - mu) / mu
        xtwx = X.T @ (X * wts[:, None])
        try:
            beta = np.linalg.solve(xtwx, X.T @ (wts * zw))
        except np.linalg.LinAlgError:
            return None
        mu = np.exp(np.clip(X @ beta + off, -30, 30))
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2 * float(np.sum(w * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))))
        if abs(dev - dev_old) <= tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    else:
        return None
    if not np.all(np.isfinite(beta)):
        return None
    wts = w * mu
    try:
        cov = np.linalg.inv(X.T @ (X * wts[:, None]))
    except np.linalg.LinAlgError:
        return None
    return beta, mu, cov


def _features(t: np.ndarray, angle: np.ndarray, season: bool, trend: bool) -> np.ndarray:
    cols = [np.ones(t.size)]
    if trend:
        cols.append(t / 52.0)
    if season:
        cols += [np.sin(angle), np.cos(angle)]
    return np.column_stack(cols)


def seasonal_baseline(y: np.ndarray, weeks: tuple[date, ...], last: int,
                      params: CusumParams = CusumParams(),
                      totals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Expected count and tau^2 for every week up to ``last`` (NaN where no baseline).

    With ``totals`` (contacts per week) the model has ``offset(log(totals))``; weeks
    without contacts are left out of the fit and expect nothing.
    """
    n = y.size
    log_n = None
    if totals is not None:
        with np.errstate(divide="ignore"):
            log_n = np.log(np.asarray(totals, dtype=float))
    angle = np.array([2 * math.pi * (d.timetuple().tm_yday - 1) / 365.25 for d in weeks])
    tt = np.arange(n, dtype=float)
    expected = np.full(n, np.nan)
    tau2 = np.full(n, np.nan)
    yf = y.astype(float)
    for r in range(0, last + 1, params.refit_every):
        end = r - params.gap
        start = max(0, end - params.window)
        if end - start < params.min_weeks:
            continue
        rows = np.arange(start, end)
        span = rows.size
        targets = np.arange(r, min(r + params.refit_every, last + 1))
        off = off_t = None
        if log_n is not None:
            rows = rows[np.isfinite(log_n[rows])]
            off, off_t = log_n[rows], log_n[targets]
        yr = yf[rows]
        if yr.sum() == 0:
            expected[targets], tau2[targets] = 0.0, 1.0
            continue
        # with an offset the model is one of shares: growth in contacts is in the offset, and
        # a trend in the share would absorb exactly the slow rise this detector looks for
        season, trend = span >= params.season_weeks, span >= params.trend_weeks and off is None
        fit = None
        while fit is None:
            X = _features(tt[rows], angle[rows], season, trend)
            fit = _fit_reweighted(X, yr, params.weights_threshold, off)
            if fit is not None and trend:
                x_t = _features(tt[targets], angle[targets], season, trend)
                pred = x_t @ fit[0] + (0 if off_t is None else np.where(np.isfinite(off_t), off_t, -np.inf))
                if float(np.exp(pred).max()) > yr.max():
                    fit = None  # the trend would extrapolate beyond anything seen: drop it
            if fit is None:
                if trend:
                    trend = False
                elif season:
                    season = False
                else:
                    break
        if fit is None:
            continue
        beta, phi, cov = fit
        x_t = _features(tt[targets], angle[targets], season, trend)
        eta = x_t @ beta
        mu = np.exp(eta) if off_t is None else np.exp(eta + np.where(np.isfinite(off_t), off_t, -np.inf))
        var_eta = np.einsum("ij,jk,ik->i", x_t, cov, x_t) * phi
        expected[targets] = mu
        tau2[targets] = phi + mu * var_eta
    return expected, tau2


def _fit_reweighted(X: np.ndarray, y: np.ndarray, threshold: float, offset: np.ndarray | None = None,
                    totals: np.ndarray | None = None):
    """Poisson log-linear fit, refitted with Farrington's down-weighting of past outbreaks
    (Anscombe residuals above ``threshold``): (beta, phi, cov) or None. The dispersion
    ``phi`` (at least 1) is under the Poisson variance ``mu``, or under the binomial variance
    ``mu (1 - mu/n)`` when the week's ``totals`` ``n`` are given (the trend test's shares)."""
    out = poisson_irls(X, y, offset=offset)
    if out is None:
        return None
    beta, mu, cov = out
    df = y.size - X.shape[1]
    if df <= 0:
        return None
    phi = max(float(np.sum((y - mu) ** 2 / mu)) / df, 1.0)
    hat = mu * np.einsum("ij,jk,ik->i", X, cov, X)
    w = assign_weights(anscombe_residuals(y, mu, phi, hat), threshold)
    out = poisson_irls(X, y, w, offset, start=beta)
    if out is None:
        return None
    beta, mu, cov = out
    q = np.ones_like(mu) if totals is None else np.clip(1 - mu / np.maximum(totals, 1), 0.01, 1.0)
    phi = max(float(np.sum(w * (y - mu) ** 2 / (mu * q))) / df, 1.0)
    return beta, phi, cov


# --- the sum ---------------------------------------------------------------------------------


def anscombe_z(y: float, mu: float, tau2: float) -> float:
    return 1.5 * (y ** (2 / 3) - mu ** (2 / 3)) / (math.sqrt(tau2) * mu ** (1 / 6))


def threshold_count(mu: float, tau2: float, need: float) -> float:
    """The count y at which the residual equals ``need``."""
    inner = mu ** (2 / 3) + need * math.sqrt(tau2) * mu ** (1 / 6) / 1.5
    return max(inner, 0.0) ** 1.5


def run_cusum(y: np.ndarray, expected: np.ndarray, tau2: np.ndarray, evaluate: np.ndarray,
              params: CusumParams = CusumParams()) -> list[CusumWeek]:
    """The CUSUM over a series; weeks with ``evaluate`` False (incomplete, no baseline) are skipped."""
    out: list[CusumWeek] = []
    s = 0.0
    for t in range(y.size):
        week = CusumWeek()
        mu, ta = float(expected[t]), float(tau2[t])
        if not evaluate[t] or not np.isfinite(mu) or not np.isfinite(ta) or mu < params.min_expected:
            # no baseline, or too little expected to standardise (Farrington covers new cases)
            week.s = s
            out.append(week)
            continue
        z = anscombe_z(float(y[t]), mu, ta)
        need = params.h + params.k - s
        week.expected, week.upper, week.z = mu, threshold_count(mu, ta, need), z
        s = max(0.0, s + z - params.k)
        week.score = s / params.h
        cases = float(y[max(0, t - params.case_weeks + 1): t + 1].sum())
        week.s = s
        if s > params.h and cases >= params.min_cases:
            week.alarm = True
            s = 0.0
        out.append(week)
    return out


def cusum_series(y: np.ndarray, weeks: tuple[date, ...], last_complete: int,
                 params: CusumParams = CusumParams(), totals: np.ndarray | None = None) -> list[CusumWeek]:
    """Baseline and CUSUM for one series; weeks after ``last_complete`` are not evaluated."""
    expected, tau2 = seasonal_baseline(y, weeks, last_complete, params, totals)
    evaluate = np.arange(y.size) <= last_complete
    return run_cusum(y, expected, tau2, evaluate, params)
