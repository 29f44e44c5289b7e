"""Disclosure control for everything the report shows or exports.

Two layers, applied to every count a table, a figure label or a plotted point shows:

1. **Primary suppression.** A count of 1–4 is never shown: tables say "<5", figures
   leave it out (a grey band marks the "<5" zone). Zero is shown; it reveals no one.
2. **Cell-key perturbation** (the *cell key method* of the Australian Bureau of Statistics,
   recommended by Eurostat for the 2021 census tables: Fraser & Wooton 2005; Thompson,
   Broadfoot & Elazar 2013). Every count of 5 or more is published as ``n + d``, where
   the small integer ``d`` (−4…+4, mostly 0 or ±1) is looked up in :data:`PTABLE` with the
   cell's *key*: the sum, modulo 2³², of the *record keys* of the contacts in the cell
   (a hash of each contact's id, which is never published). Consequences:

   - the same set of contacts always gets the same published number, in every table and
     figure of a report and in later reports (no averaging over repeated cells);
   - totals and margins are perturbed as cells of their own, so "total − the rest" or
     "diagonal − the other organisation" gives the hidden count plus the sum of several
     independent perturbations: an attacker who knows the method learns it exactly only
     when the total drew the extreme ±4 (probability 0.005) and every other cell of the sum
     is at the edge of its possible range too (again 0.005 each, except a true 5);
   - a published count is never below 5, so a perturbed value never reads as a small count.

   Shares are computed from the published (perturbed) counts, so they give back nothing
   that the counts do not; statistics of a model or test on a hidden count (an alert's
   bound and score, G²) are not published.

Hand-written (about 40 lines) because no maintained Python library implements the cell
key method (the reference implementations, sdcTools' ``cellKey`` and ``ptable``, are R).
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

MIN_COUNT = 5
MIN_DENOMINATOR = 10
SMALL = "<5"
NO_SHARE = ".."

#: the perturbation table: value d and its probability (symmetric, mean 0, variance 1.47)
PTABLE = ((-4, 0.005), (-3, 0.015), (-2, 0.08), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.08), (3, 0.015),
          (4, 0.005))
MAX_PERTURBATION = max(abs(d) for d, _ in PTABLE)
_KEY_MOD = 2 ** 32
_PT_VALUES = np.array([d for d, _ in PTABLE], dtype=np.int64)
_PT_CUM = np.cumsum([p for _, p in PTABLE])
_PT_CUM[-1] = 1.0 + 1e-12

EXPLANATION_SV = (
    f"Skydd mot röjande: antal mellan 1 och {MIN_COUNT - 1} visas som \u201d{SMALL}\u201d och ritas inte ut; "
    f"övriga antal, även summor, är slumpmässigt justerade med några få enheter (cellnyckelmetoden) så att "
    f"inget dolt antal kan räknas fram ur de andra; andelar beräknas på de justerade antalen och inte på färre "
    f"än {MIN_DENOMINATOR} kontakter eller när antalet är 1–{MIN_COUNT - 1} (\u201d{NO_SHARE}\u201d)."
)


# --- cell keys ----------------------------------------------------------------------------------


def record_keys(ids: Sequence[str]) -> np.ndarray:
    """One record key per contact, in [0, 2³²): a hash of its id (ids are never published)."""
    return np.array([int.from_bytes(hashlib.sha256(b"childx-cellkey-v1\0" + str(i).encode("utf-8")).digest()[:4],
                                    "big") for i in ids], dtype=np.int64)


def grouped(idx: np.ndarray, n: int, rk: np.ndarray, select: np.ndarray | None = None,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Counts and cell keys of the groups ``0..n-1`` given each contact's group ``idx``
    (contacts outside ``0..n-1`` or not in ``select`` are left out)."""
    idx = np.asarray(idx)
    ok = (idx >= 0) & (idx < n)
    if select is not None:
        ok &= np.asarray(select, dtype=bool)
    counts = np.bincount(idx[ok], minlength=n)[:n]
    keys = np.zeros(n, dtype=np.int64)
    np.add.at(keys, idx[ok], rk[ok])
    return counts, keys % _KEY_MOD


def cross(a: np.ndarray, b: np.ndarray, rk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts and cell keys of every (column of ``a``, column of ``b``) pair: contacts x r
    and contacts x c indicator blocks give r x c matrices."""
    a = np.asarray(a).astype(np.int64)
    b = np.asarray(b).astype(np.int64)
    return a.T @ b, (a.T @ (b * (rk % _KEY_MOD)[:, None])) % _KEY_MOD


def key_of(mask: np.ndarray, rk: np.ndarray) -> int:
    return int(rk[np.asarray(mask, dtype=bool)].sum() % _KEY_MOD)


def key_of_ids(ids: Iterable[str]) -> int:
    """The cell key of the contacts with these ids."""
    ids = list(ids)
    return int(record_keys(ids).sum() % _KEY_MOD) if ids else 0


def perturbation(keys) -> np.ndarray:
    """The p-table's value for each cell key."""
    u = (np.asarray(keys, dtype=np.int64) % _KEY_MOD) / _KEY_MOD
    return _PT_VALUES[np.searchsorted(_PT_CUM, u, side="right")]


def publish(counts, keys) -> np.ndarray:
    """Published counts (float): NaN for 1–4, 0 for 0, else ``max(5, n + d)``."""
    n = np.asarray(counts, dtype=np.int64)
    out = np.where(n == 0, 0, np.maximum(MIN_COUNT, n + perturbation(keys))).astype(float)
    out[is_small(n)] = np.nan
    return out


# --- showing ----------------------------------------------------------------------------------


def is_small(n) -> np.ndarray | bool:
    arr = np.asarray(n)
    return (arr >= 1) & (arr < MIN_COUNT)


def is_hidden(p) -> np.ndarray | bool:
    """A published count that is not shown ("<5")."""
    arr = np.asarray(p, dtype=float)
    return ~np.isfinite(arr) | is_small(arr)


def plot_counts(n) -> np.ndarray:
    """Counts for a figure: hidden (NaN) and 1–4 become NaN (not drawn)."""
    arr = np.asarray(n, dtype=float)
    return np.where(is_small(arr), np.nan, arr)


def table_count(n) -> str:
    """A count for a table: '0', '<5' (1–4, or hidden: NaN) or the number."""
    if n is None or (isinstance(n, float) and not np.isfinite(n)):
        return SMALL
    n = int(n)
    return SMALL if 1 <= n < MIN_COUNT else str(n)


def label_count(n) -> str:
    """A count for a figure label: '<5' or the number with a thin space per thousand."""
    text = table_count(n)
    if text.isdigit() and len(text) > 3:
        text = f"{int(text):,}".replace(",", "\u202f")
    return text


def shares(num, den) -> np.ndarray:
    """Percent shares, NaN where the denominator is < 10 or hidden, or the numerator is 1–4 or hidden."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * num / den
    bad = ~(den >= MIN_DENOMINATOR) | is_small(num) | ~np.isfinite(out)
    return np.where(bad, np.nan, out)


def table_share(p: float, decimals: int = 1) -> str:
    if p is None or not np.isfinite(p):
        return NO_SHARE
    return f"{p:.{decimals}f}".replace(".", ",")


def table_number(x: float, decimals: int = 1) -> str:
    """A model quantity (expected, threshold, score) with a fixed number of decimals."""
    if x is None or not np.isfinite(x):
        return ""
    return f"{x:.{decimals}f}".replace(".", ",")


# --- the check before writing -----------------------------------------------------------------


def count_columns(df: pd.DataFrame) -> list[str]:
    """The columns of a published table that hold counts (``attrs['count_columns']``)."""
    return list(df.attrs.get("count_columns", []))


def with_counts(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Mark which columns of ``df`` are counts (checked by :func:`check_table`)."""
    df.attrs["count_columns"] = [c for c in columns if c in df.columns]
    return df


def unsafe_cells(df: pd.DataFrame, columns: Iterable[str] | None = None) -> list[tuple[int, str, str]]:
    """Cells of the count columns that hold an integer 1–4 (as a number or as text):
    (row, column, value). Label columns (organisation names, options) are not counts."""
    bad = []
    cols = count_columns(df) if columns is None else list(columns)
    for col in cols:
        for i, v in enumerate(df[col].tolist()):
            text = str(v).strip()
            if text in {"1", "2", "3", "4", "1.0", "2.0", "3.0", "4.0"}:
                bad.append((i, str(col), text))
    return bad


class DisclosureBug(RuntimeError):
    """A table about to be written holds a count of 1–4: a bug, the report stops."""


def check_table(df: pd.DataFrame, name: str) -> None:
    bad = unsafe_cells(df)
    if bad:
        i, col, _ = bad[0]
        raise DisclosureBug(f"disclosure control: {name}: row {i}, column {col!r} holds a count of 1-4")


def suppress_counts(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = df.copy()
    for c in columns:
        out[c] = [table_count(v) for v in out[c]]
    return with_counts(out, list(columns))
