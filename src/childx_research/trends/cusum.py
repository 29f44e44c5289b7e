"""Shared baseline fitting for the slow-rise detectors (trend test and CUSUM).

A Poisson log-linear IRLS with prior weights and offset, the design (intercept, optional
linear trend, one yearly harmonic) and a fit refitted with Farrington's down-weighting of
past outbreaks. The slow-rise CUSUM itself is in ``slowrise.py``; the trend test in
``trendtest.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .farrington import anscombe_residuals, assign_weights

METHOD_CUSUM = "cusum_slow_rise"   # the method name of the slow-rise CUSUM (slowrise.py)


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
