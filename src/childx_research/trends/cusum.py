"""Shared baseline fitting for the slow-rise detectors (trend test and CUSUM).

The Poisson log-linear IRLS (``glm.py``), the design (intercept, optional
linear trend, one yearly harmonic) and a fit refitted with Farrington's down-weighting of
past outbreaks. The slow-rise CUSUM itself is in ``slowrise.py``; the trend test in
``trendtest.py``.
"""

from __future__ import annotations

import numpy as np

from .farrington import anscombe_residuals, assign_weights
from .glm import poisson_irls  # noqa: F401  (re-exported: the detectors' shared fit)

METHOD_CUSUM = "cusum_slow_rise"   # the method name of the slow-rise CUSUM (slowrise.py)


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
