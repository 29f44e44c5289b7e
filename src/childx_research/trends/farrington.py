"""The improved Farrington method (Noufaily et al. 2013) for weekly counts.

This follows R ``surveillance::farringtonFlexible`` with the options Noufaily et al.
recommend (``noPeriods=10, w=3, weightsThreshold=2.58, pastWeeksNotIncluded=26,
pThresholdTrend=1, thresholdMethod="nbPlugin", limit54=c(5,4)``), for one week ``t``:

1. Reference data: every week of the past ``b`` years up to ``t - 27``. Windows of
   ``2w+1`` weeks around the same week one, two, … years back form the "current"
   level of a 10-level seasonal factor; the weeks between two windows are cut into
   nine blocks that form the other levels (R's ``blocks``).
2. A quasi-Poisson GLM with log link (``glm.poisson_irls``, R's ``glm.fit`` iteration): ``log mu = a + beta*t + level``.
   The trend is always fitted; as in R it is dropped only when fewer than three years
   of reference data exist or when it would predict more than any reference week saw.
3. Past outbreaks are down-weighted: weights ``gamma * s**-2`` for standardised
   Anscombe residuals ``s > 2.58`` (``gamma`` so that weights sum to n), then refit;
   dispersion ``phi = max(1, Pearson X2 / df)``.
4. Threshold: the ``1 - alpha`` quantile of a negative binomial with mean ``mu0``
   and variance ``phi * mu0`` (Poisson when ``phi = 1``). ``alpha`` is **one-sided**, as
   in ``farringtonFlexible`` (``qnbinom(1 - alpha, ...)``); only the old
   ``algo.farrington`` used ``1 - alpha/2``. The default ``alpha = 0.005`` is R's
   ``farringtonFlexible(alpha = 0.005)``: the 99.5 % quantile.
5. Alarm when observed > threshold, unless fewer than 5 cases were seen in the last 4
   weeks (current week included); such a week, as in R, gets no bound (``upper = NaN``,
   ``score = NaN``), only its expected value. Otherwise the score is
   ``(y - mu0) / (U - mu0)``: above 1 means an alarm; the denominator is floored at 0.5
   so a zero baseline gives a finite score.

Zero and low counts: a reference period without a single case gives ``mu0 = 0`` and a
threshold of 0 (so 5+ cases in 4 weeks is an alarm); seasonal levels without cases are
left out of the fit instead of letting their coefficient run off to minus infinity (R's
fit puts them at a fitted value of about 0); the reweighting still rescales the weights
over all reference weeks, those weeks included with weight 1, as R does.

Population offset (R's ``populationOffset=TRUE``): when the weekly number of contacts is
known, it enters the model as ``offset(log(contacts))``, so an option is compared with
what its usual share of *this week's* contacts would give. The school-year rhythm,
holidays and growth in the volume of contacts then raise no alarms of their own; a
rise in one option's share does.

With fewer than ``min_years`` (2) years of history the week gets a simpler baseline
(``method = short_history_baseline``): an intercept-only quasi-Poisson fit with the
same down-weighting and threshold on the ``window`` weeks before ``t - gap``; no season
and no trend, so seasonal peaks may alarm. Reported with a note.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy import special

from .glm import poisson_irls
from .weeks import years_back

METHOD_FARRINGTON = "farrington_flexible"
METHOD_SHORT = "short_history_baseline"


@dataclass(frozen=True)
class FarringtonParams:
    b: int = 5                       # years back, at most
    w: int = 3                       # half window around comparable weeks
    no_periods: int = 10             # levels of the seasonal factor
    past_weeks_not_included: int = 26
    alpha: float = 0.005             # one-sided, as R's farringtonFlexible: threshold = 1 - alpha quantile
    reweight: bool = True
    weights_threshold: float = 2.58
    trend: bool = True
    p_threshold_trend: float = 1.0   # 1 = the trend is never dropped for lack of significance
    limit54: tuple[int, int] = (5, 4)
    min_years: int = 2               # fewer years of history: short-history baseline
    short_gap: int = 4               # short history: weeks just before t left out of the baseline
    short_window: int = 52           # short history: baseline weeks at most
    short_min_weeks: int = 8         # short history: no evaluation with fewer baseline weeks
    population_offset: bool = True   # use the week's number of contacts as offset when known


@dataclass(frozen=True)
class Design:
    """The reference data for week ``t``: rows, seasonal level of each, time, b."""

    t: int
    b: int
    method: str
    rows: np.ndarray                 # grid positions used in the fit
    levels: np.ndarray               # seasonal level of each row (1..no_periods; current = no_periods)
    wtime: np.ndarray                # time of each row (weeks since the first row)
    wtime_t: float                   # time of week t on the same scale


@dataclass
class WeekResult:
    expected: float = math.nan
    upper: float = math.nan
    phi: float = math.nan
    score: float = math.nan
    alarm: bool = False
    enough_cases: bool = False
    trend: bool = False
    method: str = ""
    evaluated: bool = False


# --- reference data ------------------------------------------------------------------------


def _nearest_week(weeks: tuple[date, ...], d: date) -> int:
    return round((d - weeks[0]).days / 7)


def available_years(weeks: tuple[date, ...], t: int, w: int, b_max: int) -> int:
    """How many whole years of reference data (with their ±w windows) exist before t."""
    b = 0
    for k in range(1, b_max + 1):
        if _nearest_week(weeks, years_back(weeks[t], k)) - w < 0:
            break
        b = k
    return b


def blocks(weeks: tuple[date, ...], t: int, b: int, w: int, p: int) -> np.ndarray:
    """R's ``blocks``: the seasonal level of every week up to t (0 = not used)."""
    vec = np.zeros(t + 1, dtype=int)
    refs = [t] + [_nearest_week(weeks, years_back(weeks[t], k)) for k in range(1, b + 1)]
    vec[max(0, t - w): t + 1] = p
    for i in range(1, b + 1):
        ref = refs[i]
        vec[ref - w: ref + w + 1] = p
        if p != 1:
            period = refs[i - 1] - 2 * w - 1 - ref
            if period < p - 1:
                raise ValueError("too many seasonal levels for the gap between windows")
            lengths = np.full(p - 1, period // (p - 1))
            lengths[: period % (p - 1)] += 1
            start = ref + w + 1
            for j, n in enumerate(lengths, start=1):
                vec[start: start + n] = j
                start += n
    return vec


def design_for(weeks: tuple[date, ...], t: int, params: FarringtonParams) -> Design | None:
    """Reference data for week t, or ``None`` when there is too little history."""
    b = available_years(weeks, t, params.w, params.b)
    if b >= params.min_years:
        vec = blocks(weeks, t, b, params.w, params.no_periods)
        vec[max(0, t - params.past_weeks_not_included):] = 0
        rows = np.flatnonzero(vec)
        if rows.size:
            return Design(t=t, b=b, method=METHOD_FARRINGTON, rows=rows, levels=vec[rows],
                          wtime=(rows - rows[0]).astype(float), wtime_t=float(t - rows[0]))
    end = t - params.short_gap
    start = max(0, end - params.short_window)
    if end - start < params.short_min_weeks:
        return None
    rows = np.arange(start, end)
    return Design(t=t, b=0, method=METHOD_SHORT, rows=rows, levels=np.full(rows.size, 1),
                  wtime=(rows - rows[0]).astype(float), wtime_t=float(t - rows[0]))


# --- the GLM ---------------------------------------------------------------------------------


@dataclass
class _Fit:
    beta: np.ndarray
    mu: np.ndarray
    phi: float                       # max(1, Pearson dispersion)
    weights: np.ndarray
    has_trend: bool
    converged: bool = True
    extra: dict = field(default_factory=dict)


def _glm(X: np.ndarray, y: np.ndarray, var_weights: np.ndarray | None, df_extra: int,
         offset: np.ndarray | None = None, start: np.ndarray | None = None):
    """Quasi-Poisson fit (``glm.poisson_irls``); returns (beta, mu, dispersion, cov) or None."""
    out = poisson_irls(X, y, var_weights, offset, maxiter=50, tol=1e-8, start=start)
    if out is None:
        return None
    beta, mu, cov = out
    vw = np.ones_like(y) if var_weights is None else var_weights
    df = y.size + df_extra - X.shape[1]
    pearson = float(np.sum(vw * (y - mu) ** 2 / np.maximum(mu, 1e-12)))
    disp = pearson / df if df > 0 else math.nan
    return beta, mu, disp, cov


def _hat(X: np.ndarray, mu: np.ndarray, vw: np.ndarray) -> np.ndarray:
    wts = vw * mu
    xtwx = X.T @ (X * wts[:, None])
    try:
        inv = np.linalg.inv(xtwx)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(xtwx)
    return wts * np.einsum("ij,jk,ik->i", X, inv, X)


def anscombe_residuals(y: np.ndarray, mu: np.ndarray, phi: float, hat: np.ndarray) -> np.ndarray:
    """Standardised Anscombe residuals of a (quasi-)Poisson fit, as R's ``anscombe.residuals``."""
    mu = np.maximum(mu, 1e-12)
    raw = 1.5 * (np.cbrt(y) ** 2 * mu ** (-1 / 6) - np.sqrt(mu))
    return raw / np.sqrt(phi * np.maximum(1 - hat, 1e-12))


def assign_weights(s: np.ndarray, threshold: float, n_other: int = 0) -> np.ndarray:
    """R's ``algo.farrington.assign.weights``: s**-2 above the threshold, rescaled to sum n.

    ``n_other``: reference weeks left out of the fit (all-zero seasonal levels) that R
    keeps with weight 1; the rescaling runs over them too, as in R."""
    high = s > threshold
    raw = np.ones_like(s)
    raw[high] = s[high] ** -2.0
    return raw * ((s.size + n_other) / (raw.sum() + n_other))


def _matrix(design: Design, y: np.ndarray, p: int, with_trend: bool, n: np.ndarray | None = None):
    """Design matrix with the current level as reference; levels without a case dropped,
    and weeks without any contact (offset log 0) left out."""
    levels = design.levels
    keep = np.ones(levels.size, dtype=bool) if n is None else n > 0
    dropped = 0
    zero_weeks = 0
    cols = [np.ones(levels.size)]
    if with_trend:
        cols.append(design.wtime)
    for lev in np.unique(levels):
        if lev == p:
            continue
        sel = levels == lev
        if y[sel].sum() == 0:
            # all-zero level: its coefficient would run off to -inf and fit its weeks
            # exactly; leave them out but keep R's residual degrees of freedom
            k = int((sel & keep).sum())
            dropped += max(k - 1, 0)
            zero_weeks += k
            keep &= ~sel
            continue
        cols.append(sel.astype(float))
    X = np.column_stack(cols)[keep]
    x0 = np.zeros(X.shape[1])
    x0[0] = 1.0
    if with_trend:
        x0[1] = design.wtime_t
    offset = None if n is None else np.log(n[keep].astype(float))
    return X, y[keep], x0, dropped, offset, zero_weeks


def _fit_flexible(design: Design, y_ref: np.ndarray, params: FarringtonParams, with_trend: bool,
                  n_ref: np.ndarray | None = None):
    """R's ``algo.farrington.fitGLM.flexible``: fit, reweight, refit."""
    p = params.no_periods if design.method == METHOD_FARRINGTON else 1
    for trend in ([with_trend, False] if with_trend else [False]):
        X, y, x0, dropped, offset, zero_weeks = _matrix(design, y_ref, p, trend, n_ref)
        out = _glm(X, y, None, dropped, offset)
        if out is not None:
            break
    else:
        return None
    beta, mu, disp, _ = out
    phi = max(disp, 1.0) if np.isfinite(disp) else 1.0
    weights = np.ones_like(y)
    if params.reweight and y.size > X.shape[1]:
        s = anscombe_residuals(y, mu, phi, _hat(X, mu, weights))
        if not (s > params.weights_threshold).any():
            # all weights equal 1: R refits, but the refit is this very fit
            return _Fit(beta=beta, mu=mu, phi=phi, weights=weights, has_trend=trend,
                        extra={"x0": x0, "y": y, "X": X, "offset": offset})
        weights = assign_weights(s, params.weights_threshold, zero_weeks)
        out2 = _glm(X, y, weights, dropped, offset, start=beta)
        if out2 is not None:
            beta, mu, disp, _ = out2
            phi = max(disp, 1.0) if np.isfinite(disp) else 1.0
        else:
            weights = np.ones_like(y)
    return _Fit(beta=beta, mu=mu, phi=phi, weights=weights, has_trend=trend,
                extra={"x0": x0, "y": y, "X": X, "offset": offset})


def nb_upper(mu0: float, phi: float, alpha: float) -> float:
    """The ``1 - alpha`` quantile (one-sided ``alpha``, as R's ``farringtonFlexible``) of
    NB(mean mu0, variance phi*mu0) (Poisson if phi = 1).

    The quantile by its definition, the smallest ``k`` with ``CDF(k) >= 1 - alpha`` (as R's
    ``qnbinom``/``qpois``), from ``scipy.special``'s CDFs, starting at the continuous
    inverse: the public ``scipy.stats`` ``ppf`` spends most of its time checking arguments,
    and an analysis asks for about 8,000 quantiles. ``tests/test_trends.py`` checks it
    against ``stats.nbinom.ppf``/``stats.poisson.ppf`` over a grid."""
    if mu0 <= 0:
        return 0.0
    q = 1 - alpha
    if phi > 1 + 1e-9:
        n, p = mu0 / (phi - 1), 1 / phi

        def cdf(k: int) -> float:
            return float(special.betainc(n, k + 1.0, p))   # NB CDF for a real size n

        guess = special.nbdtrik(q, n, p)
    else:
        def cdf(k: int) -> float:
            return float(special.pdtr(k, mu0))

        guess = special.pdtrik(q, mu0)
    k = max(int(math.ceil(guess)) if np.isfinite(guess) else 0, 0)
    while k > 0 and cdf(k - 1) >= q:
        k -= 1
    while cdf(k) < q:
        k += 1
    return float(k)


def evaluate_week(y: np.ndarray, design: Design, params: FarringtonParams,
                  totals: np.ndarray | None = None) -> WeekResult:
    """Run the detector for week ``design.t`` of the count series ``y``.

    ``totals``: the number of contacts each week, used as offset when
    ``params.population_offset`` (``None``: no offset).
    """
    t = design.t
    res = WeekResult(method=design.method, evaluated=True)
    obs = float(y[t])
    cases, period = params.limit54
    res.enough_cases = bool(y[max(0, t - period + 1): t + 1].sum() >= cases)
    y_ref = y[design.rows].astype(float)
    n_ref = None
    log_n_t = 0.0
    if totals is not None and params.population_offset:
        n_ref = totals[design.rows]
        if totals[t] <= 0:
            res.expected, res.phi, res.upper, res.score = 0.0, 1.0, 0.0, 0.0
            return res
        log_n_t = math.log(float(totals[t]))
    p = params.no_periods if design.method == METHOD_FARRINGTON else 1
    current_total = y_ref[design.levels == p].sum()
    if y_ref.sum() == 0 or current_total == 0:
        # nothing ever seen in comparable weeks: expect nothing
        res.expected, res.phi, res.upper = 0.0, 1.0, 0.0
    elif design.method == METHOD_SHORT:
        _short_history(res, y_ref, params, n_ref, None if n_ref is None else float(totals[t]))
    else:
        want_trend = params.trend and design.b >= 3
        fit = _fit_flexible(design, y_ref, params, want_trend, n_ref)
        if fit is not None and fit.has_trend:
            mu0 = float(np.exp(log_n_t + fit.extra["x0"] @ fit.beta))
            keep = mu0 <= float(fit.extra["y"].max())
            if keep and params.p_threshold_trend < 1:
                keep = _trend_pvalue(fit) < params.p_threshold_trend
            if not keep:
                fit = _fit_flexible(design, y_ref, params, False, n_ref)
        if fit is None:
            res.evaluated = False
            return res
        res.trend = fit.has_trend
        res.expected = float(np.exp(log_n_t + fit.extra["x0"] @ fit.beta))
        res.phi = fit.phi
        res.upper = nb_upper(res.expected, res.phi, params.alpha)
    if not res.enough_cases:
        # the minimum-count rule: as R, no bound (and no score) for this week
        res.upper, res.score = math.nan, math.nan
        return res
    res.score = (obs - res.expected) / max(res.upper - res.expected, 0.5)
    res.alarm = bool(obs > res.upper and obs > 0)
    return res


def _short_history(res: WeekResult, y: np.ndarray, params: FarringtonParams,
                   n_ref: np.ndarray | None = None, n_t: float | None = None) -> None:
    """Intercept-only quasi-Poisson in closed form (with offset: a share), same reweighting."""
    if n_ref is None:
        expo = np.ones(y.size)
        n_t = 1.0
    else:
        keep = n_ref > 0
        y, expo = y[keep], n_ref[keep].astype(float)
    m = y.size
    if m == 0 or y.sum() == 0:
        res.expected, res.phi, res.upper = 0.0, 1.0, 0.0
        return
    rate = y.sum() / expo.sum()          # the ML estimate of the intercept-only model
    mu = rate * expo
    phi = max(float(np.sum((y - mu) ** 2 / mu) / (m - 1)), 1.0) if m > 1 else 1.0
    if params.reweight and m > 1:
        s = anscombe_residuals(y, mu, phi, expo / expo.sum())   # hat values of this model
        wts = assign_weights(s, params.weights_threshold)
        rate = float(np.sum(wts * y) / np.sum(wts * expo))
        mu = rate * expo
        if rate > 0:
            phi = max(float(np.sum(wts * (y - mu) ** 2 / mu) / (m - 1)), 1.0)
    res.expected, res.phi = float(rate * n_t), float(phi)
    res.upper = nb_upper(res.expected, res.phi, params.alpha)


def _trend_pvalue(fit: _Fit) -> float:
    import statsmodels.api as sm

    X, y = fit.extra["X"], fit.extra["y"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = sm.GLM(y, X, family=sm.families.Poisson(), var_weights=fit.weights,
                   offset=fit.extra["offset"]).fit(scale="X2")
    return float(r.pvalues[1])


def run_series(y: np.ndarray, designs: list[Design | None], params: FarringtonParams,
               totals: np.ndarray | None = None) -> list[WeekResult]:
    """Evaluate every week that has a design (``None`` = not evaluated)."""
    return [WeekResult() if d is None else evaluate_week(y, d, params, totals) for d in designs]
