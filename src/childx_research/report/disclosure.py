"""Disclosure control for everything the report shows or exports.

- A count of 1–4 is never shown exactly: tables say "<5", figures leave it out (a grey
  band marks the "<5" zone). Zero is shown; it reveals no one.
- A share is never computed on fewer than 10 contacts, nor when its numerator is 1–4
  (the share and the denominator would give the count back): tables say "..".
- Every table is checked before it is written: an exported cell holding an integer
  from 1 to 4 is a bug and stops the report.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

MIN_COUNT = 5
MIN_DENOMINATOR = 10
SMALL = "<5"
NO_SHARE = ".."

EXPLANATION_SV = (
    f"Skydd mot röjande: antal mellan 1 och {MIN_COUNT - 1} visas som \u201d{SMALL}\u201d och ritas inte ut; "
    f"andelar beräknas inte på färre än {MIN_DENOMINATOR} kontakter eller när antalet är 1–{MIN_COUNT - 1} "
    f"(\u201d{NO_SHARE}\u201d)."
)


def is_small(n) -> np.ndarray | bool:
    arr = np.asarray(n)
    return (arr >= 1) & (arr < MIN_COUNT)


def plot_counts(n) -> np.ndarray:
    """Counts for a figure: 1–4 become NaN (not drawn)."""
    arr = np.asarray(n, dtype=float)
    return np.where(is_small(arr), np.nan, arr)


def table_count(n) -> str:
    """A count for a table: '0', '<5' or the number."""
    if n is None or (isinstance(n, float) and not np.isfinite(n)):
        return NO_SHARE
    n = int(n)
    return SMALL if 1 <= n < MIN_COUNT else str(n)


def label_count(n) -> str:
    """A count for a figure label: '<5' or the number with a thin space per thousand."""
    text = table_count(n)
    if text.isdigit() and len(text) > 3:
        text = f"{int(text):,}".replace(",", "\u202f")
    return text


def shares(num, den) -> np.ndarray:
    """Percent shares, NaN where the denominator is < 10 or the numerator is 1–4."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * num / den
    bad = (den < MIN_DENOMINATOR) | is_small(num) | ~np.isfinite(out)
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


def unsafe_cells(df: pd.DataFrame) -> list[tuple[int, str, str]]:
    """Cells that hold an integer 1–4 (as a number or as text): (row, column, value)."""
    bad = []
    for col in df.columns:
        for i, v in enumerate(df[col].tolist()):
            text = str(v).strip()
            if text in {"1", "2", "3", "4", "1.0", "2.0", "3.0", "4.0"}:
                bad.append((i, str(col), text))
    return bad


def check_table(df: pd.DataFrame, name: str) -> None:
    bad = unsafe_cells(df)
    if bad:
        i, col, v = bad[0]
        raise AssertionError(f"disclosure control: {name}: row {i}, column {col!r} holds {v!r}")


def suppress_counts(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = df.copy()
    for c in columns:
        out[c] = [table_count(v) for v in out[c]]
    return out
