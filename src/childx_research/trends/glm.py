"""The Poisson log-linear fit every detector shares: IRLS with prior weights and offset.

Written out rather than called through statsmodels because the detectors fit thousands of
tiny models (Farrington alone fits one or two per option and week: about 6,000 for three
years of the default form), and statsmodels' per-model set-up (data checks, wrappers,
result objects) costs about 3 ms a fit, ten times the arithmetic. The iteration and its
stopping rule are R's ``glm.fit``: Fisher scoring until the relative change in deviance
is at most ``tol`` (``|dev - dev_old| / (|dev| + 0.1)``). ``tests/test_trends.py`` checks it
against statsmodels and ``tests/test_trends_r.py`` the Farrington port built on it against
R ``surveillance``.
"""

from __future__ import annotations

import math

import numpy as np


def poisson_irls(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, offset: np.ndarray | None = None,
                 maxiter: int = 30, tol: float = 1e-8, start: np.ndarray | None = None):
    """Poisson log-link IRLS with prior weights and offset; (beta, mu, (X'WX)^-1) or None
    (no convergence within ``maxiter``, a singular system or a non-finite estimate)."""
    w = np.ones_like(y, dtype=float) if w is None else w
    off = np.zeros_like(y, dtype=float) if offset is None else offset
    if start is not None:
        beta = np.array(start, dtype=float)
    else:
        beta = np.zeros(X.shape[1])
        beta[0] = math.log(max(float(np.sum(w * y) / np.sum(w * np.exp(off))), 1e-6))
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
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
        dev = 2 * float(np.sum(w * (ylogy - y * np.log(mu) - (y - mu))))
        if abs(dev - dev_old) <= tol * (abs(dev) + 0.1):
            break
        dev_old = dev
    else:
        return None
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(mu))):
        return None
    wts = w * mu
    try:
        cov = np.linalg.inv(X.T @ (X * wts[:, None]))
    except np.linalg.LinAlgError:
        return None
    return beta, mu, cov
