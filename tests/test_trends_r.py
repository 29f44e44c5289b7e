"""The Farrington port against the reference implementation, R ``surveillance::farringtonFlexible``.

Runs R (``Rscript``, in a subprocess; data in CSV files under ``tmp_path``) on R's own
``salmNewport`` and on a generated series with the weekly number of contacts as offset,
and requires the port to give the same bounds, expected values and alarms. ``make test``
installs ``r-cran-surveillance`` (Debian) when it can (``make r-surveillance``); without R
or the package the test skips and says why.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import numpy as np
import pandas as pd
import pytest

from childx_research.trends.farrington import FarringtonParams, design_for, evaluate_week
from childx_research.trends.synthetic import Injection, draw, grid_for, multiplier, series_mean

R_SCRIPT = r"""
suppressMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
out_dir <- args[1]; n_eval <- as.integer(args[2])
ctl <- function(s, off) list(range = (nrow(s) - n_eval + 1):nrow(s), noPeriods = 10, b = 5, w = 3,
  weightsThreshold = 2.58, pastWeeksNotIncluded = 26, pThresholdTrend = 1, thresholdMethod = "nbPlugin",
  alpha = 0.005, trend = TRUE, limit54 = c(5, 4), populationOffset = off, reweight = TRUE,
  glmWarnings = FALSE)
run <- function(s, off, name) {
  r <- farringtonFlexible(s, control = ctl(s, off))
  k <- ncol(s); rng <- ctl(s, off)$range
  write.csv(data.frame(t = rep(rng, k), series = rep(seq_len(k), each = length(rng)),
                       upper = as.vector(upperbound(r)), expected = as.vector(r@control$expected),
                       alarm = as.vector(alarms(r))), file.path(out_dir, name), row.names = FALSE)
}
data(salmNewport)
obs <- cbind(total = rowSums(observed(salmNewport)), observed(salmNewport)[, c("Bavaria", "Berlin")])
write.csv(data.frame(week = as.character(epoch(salmNewport)), obs), file.path(out_dir, "salm.csv"),
          row.names = FALSE)
run(sts(observed = obs, epoch = epoch(salmNewport), epochAsDate = TRUE, frequency = 52), FALSE, "salm_r.csv")
d <- read.csv(file.path(out_dir, "generated.csv"))
y <- as.matrix(d[, grep("^y", names(d)), drop = FALSE])
n <- as.matrix(d[, grep("^n", names(d)), drop = FALSE]); colnames(n) <- colnames(y)
run(sts(observed = y, epoch = as.Date(d$week), epochAsDate = TRUE, frequency = 52, population = n),
    TRUE, "generated_r.csv")
"""

N_EVAL = 52   # weeks evaluated per series (the last year): seconds in R


def _r_available() -> str | None:
    """None when Rscript with surveillance runs, else why not."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (make r-surveillance installs r-cran-surveillance as root)"
    probe = subprocess.run(["Rscript", "-e", "suppressMessages(library(surveillance))"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        return "R package surveillance is not installed (Debian: r-cran-surveillance)"
    return None


def _generated(rng: np.random.Generator) -> pd.DataFrame:
    """Six years of weekly contacts and four options' counts among them: common, rarer, rare
    (many weeks below the minimum-count rule) and winter-only; an outbreak near the end."""
    n_weeks = 6 * 52 + 10
    t = np.arange(n_weeks)
    cols: dict[str, object] = {"week": [w.isoformat() for w in grid_for(n_weeks).weeks]}
    out = multiplier(n_weeks, [Injection("outbreak", n_weeks - 30, n_weeks - 28, 3.0)])
    for j, (base, share) in enumerate([(80, 0.15), (60, 0.03), (40, 0.01)]):
        n = draw(series_mean(n_weeks, base, seasonal_amplitude=0.3, phase=j / 3), rng, 1.5)
        cols[f"y{j}"], cols[f"n{j}"] = rng.binomial(n, np.minimum(share * out, 0.95)), n
    n = draw(series_mean(n_weeks, 50, seasonal_amplitude=0.2), rng, 1.3)
    p = 0.12 * np.maximum(0, np.sin(2 * np.pi * t / 52.18)) ** 3
    p[rng.integers(0, n_weeks, 6)] *= 6
    cols["y3"], cols["n3"] = rng.binomial(n, np.minimum(p, 0.95)), n
    return pd.DataFrame(cols)


def _compare(data: pd.DataFrame, ref: pd.DataFrame, offset: bool) -> tuple[int, list[str], int]:
    """(weeks compared, mismatches described, R's alarms)."""
    weeks = tuple(date.fromisoformat(w) for w in data.week)
    ys = [c for c in data.columns if c != "week" and not (offset and c.startswith("n"))]
    params = FarringtonParams()
    bad: list[str] = []
    for i, col in enumerate(ys, start=1):
        y = data[col].to_numpy()
        tot = data["n" + col[1:]].to_numpy() if offset else None
        for row in ref[ref.series == i].itertuples():
            t = int(row.t) - 1
            res = evaluate_week(y, design_for(weeks, t, params), params, tot)
            same_bound = (np.isnan(row.upper) and np.isnan(res.upper)) or row.upper == res.upper
            same_expected = np.isnan(row.expected) or res.expected == pytest.approx(row.expected, rel=1e-4,
                                                                                    abs=1e-6)
            if not (same_bound and same_expected and bool(row.alarm) == res.alarm):
                bad.append(f"{col} week {t}: R {row.upper}/{row.expected}/{row.alarm}, "
                           f"port {res.upper}/{res.expected}/{res.alarm}")
    return len(ref), bad, int(ref.alarm.sum())


def test_port_matches_r_farrington_flexible(tmp_path):
    why = _r_available()
    if why:
        pytest.skip(why)
    _generated(np.random.default_rng(3)).to_csv(tmp_path / "generated.csv", index=False)
    (tmp_path / "ff.R").write_text(R_SCRIPT, encoding="utf-8")
    done = subprocess.run(["Rscript", str(tmp_path / "ff.R"), str(tmp_path), str(N_EVAL)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    salm = pd.read_csv(tmp_path / "salm.csv")
    n1, bad1, alarms1 = _compare(salm, pd.read_csv(tmp_path / "salm_r.csv"), offset=False)
    gen = pd.read_csv(tmp_path / "generated.csv")
    ref2 = pd.read_csv(tmp_path / "generated_r.csv")
    n2, bad2, alarms2 = _compare(gen, ref2, offset=True)
    assert n1 == 3 * N_EVAL and n2 == 4 * N_EVAL
    assert not bad1, bad1[:5]
    assert not bad2, bad2[:5]
    # the comparison has teeth: alarms, and weeks the minimum-count rule leaves without a bound
    assert alarms2 >= 3
    assert ref2.upper.isna().sum() >= 10
