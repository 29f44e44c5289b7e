"""One figure style for every chart the project publishes.

Swedish text, the Okabe–Ito colour-blind-safe palette, A4-report sizes, left-aligned
titles, a caption and a source/period line under every figure, decimal comma, Swedish
month names. Figures are saved as PNG (300 dpi) and SVG (text kept as text, so it can
be edited and searched), each with its table as CSV.
"""

from __future__ import annotations

import math
import textwrap
from contextlib import contextmanager
from datetime import date
from typing import Iterator

import matplotlib



import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.ticker import FuncFormatter, MaxNLocator

#: Okabe & Ito (2008), the colour-blind-safe qualitative palette; yellow last (weak on white)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442"]
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, BLACK, YELLOW = OKABE_ITO
GREY = "#8C8C8C"
LIGHT_GREY = "#E6E6E6"
SEQUENTIAL = "Blues"          # single-hue ramp: readable in grey-scale and for colour-blind readers

CM = 1 / 2.54
WIDTH = 16 * CM               # the text width of an A4 report
FONT = "DejaVu Sans"          # has å, ä, ö and is always available with matplotlib

MONTHS_SV = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
MONTHS_SV_LONG = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                  "september", "oktober", "november", "december"]

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8.5,
    "axes.labelcolor": "#333333",
    "axes.edgecolor": "#BBBBBB",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "lines.linewidth": 1.4,
    "lines.markersize": 3.5,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "svg.fonttype": "none",        # keep text as text in SVG
    "svg.hashsalt": "childx",      # stable ids: same figure, same bytes
    "pdf.fonttype": 42,
    "axes.formatter.use_locale": False,
}


@contextmanager
def report_style() -> Iterator[None]:
    """Apply the report style for the duration of a block (restores the caller's)."""
    with plt.rc_context():
        sns.set_theme(context="paper", style="whitegrid", palette=OKABE_ITO, font=FONT, rc=RC)
        plt.rcParams.update(RC)
        yield


# --- Swedish numbers and dates -----------------------------------------------------------------


def sv_number(x: float, decimals: int = 0) -> str:
    """12 345,6 — space as thousands separator, decimal comma."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def sv_percent(x: float, decimals: int = 1) -> str:
    return "" if x is None or not np.isfinite(x) else f"{sv_number(x, decimals)} %"


def sv_date(d: date) -> str:
    return f"{d.day} {MONTHS_SV_LONG[d.month - 1]} {d.year}"


def sv_period(first: date, last: date) -> str:
    return f"{sv_date(first)}–{sv_date(last)}"


def integer_axis(ax, axis: str = "y") -> None:
    loc = MaxNLocator(integer=True, nbins=5, min_n_ticks=3)
    fmt = FuncFormatter(lambda v, _: sv_number(v))
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(loc)
    target.set_major_formatter(fmt)


def percent_axis(ax, axis: str = "y") -> None:
    """Percent ticks at round steps; a decimal only where a tick needs one (2,5 %)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))

    def fmt(v, _):
        return f"{sv_number(v, 0 if abs(v - round(v)) < 1e-9 else 1)} %"

    target.set_major_formatter(FuncFormatter(fmt))


def month_axis(ax, span_days: int, narrow: bool = False) -> None:
    """Swedish date ticks: years only in narrow panels, months or weeks on wide ones."""
    if narrow and span_days > 500:
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=7))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: str(mdates.num2date(v).year)))
        return
    if narrow:
        loc = mdates.MonthLocator(bymonth=[1, 4, 7, 10]) if span_days > 150 else mdates.MonthLocator()
    elif span_days > 3 * 365:
        loc = mdates.MonthLocator(bymonth=[1, 7])
    elif span_days > 400:
        loc = mdates.MonthLocator(bymonth=[1, 4, 7, 10])
    elif span_days > 120:
        loc = mdates.MonthLocator()
    else:
        loc = mdates.WeekdayLocator(byweekday=mdates.MO, interval=2)

    def fmt(v, _):
        d = mdates.num2date(v)
        if span_days <= 120:
            return f"{d.day} {MONTHS_SV[d.month - 1]}"
        if d.month == 1:
            return f"{MONTHS_SV[d.month - 1]}\n{d.year}"
        return MONTHS_SV[d.month - 1]

    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(FuncFormatter(fmt))


# --- title, caption, source --------------------------------------------------------------------


def new_figure(height_cm: float, width_cm: float | None = None, **subplots):
    fig, axes = plt.subplots(figsize=((width_cm * CM) if width_cm else WIDTH, height_cm * CM),
                             layout="constrained", **subplots)
    return fig, axes


def frame(fig, title: str, caption: str, source: str, *, legend: list | None = None,
          legend_cols: int = 3) -> None:
    """Title (and legend) on top; the caption and the source/period line under the figure.

    The figure keeps its size (a report column); the plots shrink to make room.
    """
    h = fig.get_figheight()
    width_pt = fig.get_figwidth() * 72
    line = 1.35 / 72  # inches per point of font size
    title_w = textwrap.fill(title, width=max(30, int(width_pt / (0.6 * 10.5))))
    title_h = (title_w.count("\n") + 1) * 10.5 * line
    fig.text(0.01, 1 - 0.06 / h, title_w, ha="left", va="top", fontsize=10.5, fontweight="bold",
             color="#111111", linespacing=1.25)
    top = 0.06 + title_h + 0.06
    if legend:
        rows = math.ceil(len(legend) / legend_cols)
        fig.legend(handles=legend, loc="upper left", bbox_to_anchor=(0.0, 1 - top / h), ncols=legend_cols,
                   fontsize=7, borderaxespad=0.0, handlelength=1.6, columnspacing=1.4, labelspacing=0.35)
        top += rows * 7 * 1.75 / 72 + 0.04
    wrapped = textwrap.fill(caption, width=max(40, int(width_pt / (0.55 * 7.5))))
    src = textwrap.fill(source, width=max(40, int(width_pt / (0.55 * 7))))
    n_cap, n_src = wrapped.count("\n") + 1, src.count("\n") + 1
    src_h = n_src * 7 * line
    cap_h = n_cap * 7.5 * line
    bottom = (0.06 + src_h + 0.08 + cap_h + 0.1) / h
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom - top / h))  # (left, bottom, width, height)
    fig.text(0.01, (0.06 + src_h + 0.08 + cap_h) / h, wrapped, ha="left", va="top", fontsize=7.5,
             color="#333333", linespacing=1.35)
    fig.text(0.01, 0.06 / h, src, ha="left", va="bottom", fontsize=7, color="#555555",
             style="italic", linespacing=1.35)
