"""The report's figures, each saved as PNG (300 dpi) and SVG with its table as CSV.

Every figure builder takes the :class:`Report` context, draws with the report style and
registers a :class:`FigureInfo`. Field and option names come from the form and the
report config; nothing here names a field of a particular form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..forms import Form
from ..records import atomic_open
from ..trends import METHOD_CUSUM, METHOD_FARRINGTON, METHOD_SHORT, METHOD_TREND, TrendResult
from ..trends.episodes import alert_episodes
from . import disclosure as dc
from .config import ReportConfig
from .style import (BLUE, GREY, LIGHT_GREY, ORANGE, PURPLE, SEQUENTIAL, VERMILLION, frame, integer_axis,
                    month_axis, new_figure, percent_axis, sv_period)

ALERT_STYLE = {  # method -> (marker, colour, Swedish legend label)
    METHOD_FARRINGTON: ("v", VERMILLION, "Larm: plötslig ökning"),
    METHOD_SHORT: ("v", ORANGE, "Larm: plötslig ökning (kort historik)"),
    METHOD_TREND: ("D", PURPLE, "Larm: långsam ökning"),
    METHOD_CUSUM: ("D", PURPLE, "Larm: långsam ökning (CUSUM)"),
}
SLOW_METHODS = (METHOD_TREND, METHOD_CUSUM)
METHOD_ORDER = (METHOD_FARRINGTON, METHOD_SHORT, METHOD_TREND, METHOD_CUSUM)
METHOD_SV = {
    METHOD_FARRINGTON: "Plötslig ökning (Farrington)",
    METHOD_SHORT: "Plötslig ökning (kort historik)",
    METHOD_TREND: "Långsam ökning (trendtest)",
    METHOD_CUSUM: "Långsam ökning (CUSUM)",
}


@dataclass
class FigureInfo:
    slug: str
    section: str
    title: str
    caption: str
    source: str
    png: str
    svg: str
    csv: str


@dataclass
class Report:
    """What the figure builders share."""

    form: Form
    cfg: ReportConfig
    result: TrendResult
    out_dir: Path                     # the report folder
    fig_dir: Path                     # out_dir / "figurer"
    terms: pd.DataFrame | None = None
    figures: list[FigureInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _period: tuple | None = None
    _rk: np.ndarray | None = None
    _weekly: dict = field(default_factory=dict)

    # --- shared data -------------------------------------------------------------------

    @property
    def table(self):
        return self.result.table

    @property
    def grid(self):
        return self.result.grid

    def data_period(self) -> tuple[date, date]:
        """First and last day the figures cover (complete weeks only)."""
        g = self.grid
        last = g.weeks[g.last_complete] + timedelta(days=6) if g.last_complete >= 0 else g.as_of
        first = pd.Timestamp(self.table.dates.min()).date()
        return first, last

    def source_line(self, first: date | None = None, last: date | None = None) -> str:
        f0, l0 = self.data_period()
        return f"{self.cfg.source_line(self.form)}. Period: {sv_period(first or f0, last or l0)}."

    def periods(self):
        """(unit, period starts, counts series x periods, totals per period), complete periods only."""
        if self._period is None:
            self._period = _aggregate(self)
        return self._period

    @property
    def rk(self) -> np.ndarray:
        """The record keys of the contacts (``disclosure.record_keys``), for cell keys."""
        if self._rk is None:
            self._rk = dc.record_keys(self.table.ids)
        return self._rk

    def published_n(self) -> float:
        """The number of contacts, as published (perturbed)."""
        t = self.table
        return float(dc.publish([t.n], [dc.key_of(np.ones(t.n, dtype=bool), self.rk)])[0])

    def weekly(self, s: int) -> np.ndarray:
        """Published weekly counts of series ``s`` over the whole grid (NaN: hidden)."""
        if s not in self._weekly:
            t = self.table
            n, k = dc.grouped(t.week, self.grid.n, self.rk, t.indicators[:, s])
            self._weekly[s] = dc.publish(n, k)
        return self._weekly[s]

    def published_observed(self, field_key: str, option: str, week_start: str) -> float:
        """The published count of one series in one week (an alert row's observed count)."""
        s = self.table.series.index((field_key, option))
        return float(self.weekly(s)[self.grid.position(date.fromisoformat(week_start))])

    def label(self, field_key: str, option: str | None = None) -> str:
        f = self.form.field(field_key)
        return f.label if option is None else f.label_of(option)

    # --- saving --------------------------------------------------------------------------

    def save(self, fig, slug: str, section: str, title: str, caption: str, table: pd.DataFrame,
             source: str | None = None, legend: list | None = None, legend_cols: int = 3) -> FigureInfo:
        source = source or self.source_line()
        frame(fig, title, caption, source, legend=legend, legend_cols=legend_cols)
        self.fig_dir.mkdir(parents=True, exist_ok=True)
        png, svg, csv = (self.fig_dir / f"{slug}.{ext}" for ext in ("png", "svg", "csv"))
        meta = {"Title": title, "Description": caption}
        with atomic_open(png, "wb") as fh:
            fig.savefig(fh, format="png", dpi=300, metadata={"Title": title, "Software": None})
        # the SVG keeps the layout just computed for the PNG (computing it again is most of
        # the time a figure takes; recomputed, positions would differ by under 0.2 pt)
        fig.set_layout_engine("none")
        with atomic_open(svg, "wb") as fh:
            fig.savefig(fh, format="svg", metadata={**meta, "Date": None, "Creator": None})
        plt.close(fig)
        write_table(table, csv)
        info = FigureInfo(slug=slug, section=section, title=title, caption=caption, source=source,
                          png=str(png.relative_to(self.out_dir)), svg=str(svg.relative_to(self.out_dir)),
                          csv=str(csv.relative_to(self.out_dir)))
        self.figures.append(info)
        return info


def write_table(df: pd.DataFrame, path: Path) -> None:
    """CSV for Swedish Excel: UTF-8 with BOM, semicolon separated, decimal comma (pre-formatted).

    The count columns (``disclosure.with_counts``) are checked first: a 1–4 there is a bug."""
    dc.check_table(df, path.name)
    with atomic_open(path, "wb") as fh:
        fh.write(df.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8-sig"))


# --- aggregation --------------------------------------------------------------------------------


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _aggregate(rep: Report):
    """Published (perturbed, NaN: hidden) counts per period; see ``Report.periods``."""
    table, grid = rep.table, rep.grid
    first, last = rep.data_period()
    unit = rep.cfg.period
    full_first = _month_start(first) if first.day == 1 else _next_month(first)
    full_last_end = _month_start(last + timedelta(days=1))  # first day after the last full month
    n_months = (full_last_end.year - full_first.year) * 12 + full_last_end.month - full_first.month
    if unit == "auto":
        unit = "month" if n_months >= 6 else "week"
    n_s = len(table.series)
    if unit == "month" and n_months >= 1:
        starts = []
        d = full_first
        for _ in range(n_months):
            starts.append(d)
            d = _next_month(d)
        months = table.dates.astype("datetime64[M]")
        first_m = np.datetime64(full_first, "M")
        idx = (months - first_m).astype(int)
        ok = (idx >= 0) & (idx < n_months)
        n, k = dc.grouped(idx, n_months, rep.rk, ok)
        totals = dc.publish(n, k)
        counts = np.zeros((n_s, n_months))
        for s in range(n_s):
            counts[s] = dc.publish(*dc.grouped(idx, n_months, rep.rk, ok & table.indicators[:, s]))
        return "month", starts, counts, totals
    # weeks: complete weeks of the grid
    n_w = grid.last_complete + 1
    starts = list(grid.weeks[:n_w])
    totals = dc.publish(*dc.grouped(table.week, n_w, rep.rk))
    counts = np.zeros((n_s, n_w))
    for s in range(n_s):
        counts[s] = dc.publish(*dc.grouped(table.week, n_w, rep.rk, table.indicators[:, s]))
    return "week", starts, counts, totals


def _period_of(unit: str, week_start: date) -> date:
    return _month_start(week_start + timedelta(days=3)) if unit == "month" else week_start


UNIT_SV = {"month": ("månad", "Månad", "per månad"), "week": ("vecka", "Vecka (måndag)", "per vecka")}


# --- figures -------------------------------------------------------------------------------------


def _small_band(ax) -> None:
    ax.axhspan(0, dc.MIN_COUNT, color=LIGHT_GREY, zorder=0, lw=0)


def _mark_alerts(ax, xs: list[date], methods: list[str]) -> set[str]:
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    used = set()
    for x, m in zip(xs, methods):
        marker, colour, _ = ALERT_STYLE.get(m, ("v", VERMILLION, m))
        ax.plot([x], [0.86 if m in SLOW_METHODS else 0.96], marker=marker, color=colour, ms=4.2,
                transform=trans, clip_on=False, zorder=5, lw=0)
        used.add(m)
    return used


def _legend_handles(kind: str, used_methods: set[str]) -> list:
    handles = [Line2D([0], [0], color=BLUE, marker="o", ms=2.5, label="Antal kontakter" if kind == "count"
                      else "Andel av kontakterna")]
    if kind == "count":
        handles.append(Patch(facecolor=LIGHT_GREY, label=f"1–{dc.MIN_COUNT - 1} kontakter (visas inte)"))
    for m in METHOD_ORDER:
        if m in used_methods:
            marker, colour, label = ALERT_STYLE[m]
            handles.append(Line2D([0], [0], color=colour, marker=marker, lw=0, ms=4.5, label=label))
    return handles


def _grid_axes(n: int, panel_h_cm: float = 3.3):
    ncols = 1 if n == 1 else 2 if n in (2, 4) else 3
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(nrows * panel_h_cm + 4.2, nrows=nrows, ncols=ncols, sharex=True, squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n], ncols


def fig_total_contacts(rep: Report) -> None:
    unit, starts, _, totals = rep.periods()
    word, axis_label, per = UNIT_SV[unit]
    fig, ax = new_figure(7.5)
    y = dc.plot_counts(totals)
    _small_band(ax)
    ax.plot(starts, y, color=BLUE, marker="o", ms=2.5)
    ax.set_ylim(bottom=0)
    integer_axis(ax)
    month_axis(ax, (starts[-1] - starts[0]).days if len(starts) > 1 else 30)
    ax.set_xlabel(axis_label)
    ax.set_ylabel("Antal kontakter")
    table = pd.DataFrame({axis_label: [d.isoformat() for d in starts],
                          "Antal kontakter": [dc.table_count(v) for v in totals]})
    dc.with_counts(table, ["Antal kontakter"])
    rep.save(fig, "kontakter_over_tid", "Översikt", f"Antal kontakter {per}",
             f"Antal kontakter med ifyllt formulär {per}. Bara hela {'månader' if unit == 'month' else 'veckor'} "
             f"visas. {dc.EXPLANATION_SV}", table)


def fig_field_series(rep: Report, field_key: str, kind: str) -> None:
    """Counts (kind='count') or shares (kind='share') per period, one panel per option."""
    unit, starts, counts, totals = rep.periods()
    word, axis_label, per = UNIT_SV[unit]
    f = rep.form.field(field_key)
    idx = [i for i, (fk, _) in enumerate(rep.table.series) if fk == field_key]
    alerts = rep.result.alerts
    alerts = alerts[alerts.field == field_key] if len(alerts) else alerts
    fig, axes, ncols = _grid_axes(len(idx))
    span = (starts[-1] - starts[0]).days if len(starts) > 1 else 30
    used: set[str] = set()
    rows = []
    for ax, s in zip(axes, idx):
        opt = rep.table.series[s][1]
        if kind == "count":
            y = dc.plot_counts(counts[s])
            _small_band(ax)
        else:
            y = dc.shares(counts[s], totals)
        ax.plot(starts, y, color=BLUE, marker="o", ms=2.2, lw=1.2)
        ax.set_title(f.label_of(opt), fontsize=8, loc="left")
        ax.set_ylim(bottom=0, top=max(np.nanmax(y) if np.isfinite(y).any() else 0,
                                      dc.MIN_COUNT if kind == "count" else 1) * 1.25)
        (integer_axis if kind == "count" else percent_axis)(ax)
        month_axis(ax, span, narrow=ncols > 1)
        if len(alerts):
            al = alerts[alerts.option == opt]
            xs = [_period_of(unit, date.fromisoformat(w)) for w in al.week_start]
            inside = [(x, m) for x, m in zip(xs, al.method) if starts[0] <= x <= starts[-1]]
            used |= _mark_alerts(ax, [x for x, _ in inside], [m for _, m in inside])
        share = dc.shares(counts[s], totals)
        for d, n, tot, p in zip(starts, counts[s], totals, share):
            rows.append({"Fält": f.label, "Alternativ": f.label_of(opt), axis_label: d.isoformat(),
                         "Antal kontakter": dc.table_count(n), "Kontakter totalt": dc.table_count(tot),
                         "Andel (%)": dc.table_share(p)})
    for ax in axes[-ncols:]:
        ax.set_xlabel(axis_label)
    for ax in axes[::ncols]:
        ax.set_ylabel("Antal" if kind == "count" else "Andel")
    table = dc.with_counts(pd.DataFrame(rows), ["Antal kontakter", "Kontakter totalt"])
    if kind == "count":
        title = f"{f.label}: antal kontakter {per}"
        caption = (f"Antal kontakter {per} för varje alternativ i fältet \u201d{f.label}\u201d"
                   f"{' (flera alternativ kan gälla samma kontakt)' if f.kind == 'multi' else ''}. "
                   f"Markeringar visar {'månader' if unit == 'month' else 'veckor'} med larm från den veckovisa "
                   f"bevakningen. Axlarna har olika skala. {dc.EXPLANATION_SV}")
        slug = f"antal_{field_key}"
    else:
        title = f"{f.label}: andel av kontakterna {per}"
        caption = (f"Andel av alla kontakter {per} där alternativet angavs i fältet \u201d{f.label}\u201d. "
                   f"Markeringar visar larm. Axlarna har olika skala. {dc.EXPLANATION_SV}")
        slug = f"andel_{field_key}"
    rep.save(fig, slug, "Över tid", title, caption, table, legend=_legend_handles(kind, used))


def _heatmap(ax, values: np.ndarray, labels: np.ndarray, rows: list[str], cols: list[str],
             cbar_label: str, vmax: float | None = None) -> None:
    mask = ~np.isfinite(values)
    ax.set_facecolor(LIGHT_GREY)
    sns.heatmap(np.where(mask, 0, values), mask=mask, annot=labels, fmt="", cmap=SEQUENTIAL, vmin=0,
                vmax=vmax if vmax is not None else (np.nanmax(values) if (~mask).any() else 1),
                linewidths=0.8, linecolor="white", cbar_kws={"label": cbar_label, "shrink": 0.8},
                annot_kws={"fontsize": 7}, xticklabels=cols, yticklabels=rows, ax=ax)
    # annotations on masked cells are not drawn by seaborn: add them
    for (i, j), m in np.ndenumerate(mask):
        if m and labels[i, j]:
            ax.text(j + 0.5, i + 0.5, labels[i, j], ha="center", va="center", fontsize=7, color="#444444")
    ax.tick_params(axis="both", length=0)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
    plt.setp(ax.get_yticklabels(), rotation=0)


def fig_age_gender(rep: Report) -> None:
    age, gender = rep.cfg.roles.age, rep.cfg.roles.gender
    a_opts, a_mat = rep.table.field_matrix(age)
    g_opts, g_mat = rep.table.field_matrix(gender)
    cross = dc.publish(*dc.cross(a_mat, g_mat, rep.rk))     # age x gender, published
    fa, fg = rep.form.field(age), rep.form.field(gender)
    labels = np.array([[dc.label_count(v) for v in row] for row in cross], dtype=object)
    fig, ax = new_figure(3.2 + 0.75 * len(a_opts) + 3.0)
    _heatmap(ax, dc.plot_counts(cross), labels, [fa.label_of(o) for o in a_opts],
             [fg.label_of(o) for o in g_opts], "Antal kontakter")
    ax.set_xlabel(fg.label)
    ax.set_ylabel(fa.label)
    table = pd.DataFrame([{fa.label: fa.label_of(a), fg.label: fg.label_of(g),
                           "Antal kontakter": dc.table_count(cross[i, j])}
                          for i, a in enumerate(a_opts) for j, g in enumerate(g_opts)])
    dc.with_counts(table, ["Antal kontakter"])
    rep.save(fig, f"{age}_{gender}", "Vilka som söker stöd",
             f"Kontakter efter {fa.label.lower()} och {fg.label.lower()}",
             f"Antal kontakter under hela perioden efter {fa.label.lower()} och {fg.label.lower()}, "
             f"så som det framgår av kontakten. {dc.EXPLANATION_SV}", table)


def _share_matrix(rep: Report, field_key: str, group_masks: list[np.ndarray]):
    opts, mat = rep.table.field_matrix(field_key)
    groups = np.column_stack(group_masks)
    num = dc.publish(*dc.cross(mat, groups, rep.rk))                       # options x groups
    den = dc.publish(groups.sum(axis=0), [dc.key_of(g, rep.rk) for g in group_masks])
    return opts, num, den, dc.shares(num, den[None, :])


def fig_share_by_group(rep: Report, field_key: str, group_field: str | None) -> None:
    """Share of each option of ``field_key`` within each organisation (None) or option of a field."""
    f = rep.form.field(field_key)
    if group_field is None:
        names = rep.table.organisations()
        masks = [rep.table.organisation == n for n in names]
        col_labels, group_title = names, "Organisation"
        slug, section = f"{field_key}_per_organisation", "Per organisation"
        title = f"{f.label} per organisation"
    else:
        g_opts, g_mat = rep.table.field_matrix(group_field)
        masks = [g_mat[:, j] for j in range(len(g_opts))]
        gf = rep.form.field(group_field)
        col_labels, group_title = [gf.label_of(o) for o in g_opts], gf.label
        slug, section = f"{field_key}_per_{group_field}", "Vilka som söker stöd"
        title = f"{f.label} efter {gf.label.lower()}"
    opts, num, den, share = _share_matrix(rep, field_key, masks)
    labels = np.array([[dc.table_share(p, 0) if np.isfinite(p) else (dc.SMALL if dc.is_hidden(n) else dc.NO_SHARE)
                        for p, n in zip(prow, nrow)] for prow, nrow in zip(share, num)], dtype=object)
    fig, ax = new_figure(3.0 + 0.62 * len(opts) + 3.0)
    _heatmap(ax, share, labels, [f.label_of(o) for o in opts], list(col_labels), "Andel av kontakterna (%)")
    ax.set_xlabel(group_title)
    ax.set_ylabel(f.label)
    table = pd.DataFrame([{group_title: col_labels[j], f.label: f.label_of(o),
                           "Antal kontakter": dc.table_count(num[i, j]),
                           "Kontakter i gruppen": dc.table_count(den[j]),
                           "Andel (%)": dc.table_share(share[i, j])}
                          for j in range(len(col_labels)) for i, o in enumerate(opts)])
    dc.with_counts(table, ["Antal kontakter", "Kontakter i gruppen"])
    multi = " Flera alternativ kan gälla samma kontakt, så andelarna summerar inte till 100." if f.kind == "multi" else ""
    rep.save(fig, slug, section, title,
             f"Andel av kontakterna i varje grupp ({group_title.lower()}) där alternativet angavs, "
             f"hela perioden.{multi} {dc.EXPLANATION_SV}", table)


def fig_organisation_contacts(rep: Report) -> None:
    unit, starts, _, _ = rep.periods()
    word, axis_label, per = UNIT_SV[unit]
    names = rep.table.organisations()
    table = rep.table
    fig, ax = new_figure(8.0)
    rows = []
    for k, name in enumerate(names):
        sel = table.organisation == name
        if unit == "month":
            months = table.dates[sel].astype("datetime64[M]")
            idx = (months - np.datetime64(starts[0], "M")).astype(int)
        else:
            idx = table.week[sel]
        tot = dc.publish(*dc.grouped(idx, len(starts), rep.rk[sel]))
        ax.plot(starts, dc.plot_counts(tot), marker="o", ms=2.2, label=name)
        rows += [{"Organisation": name, axis_label: d.isoformat(), "Antal kontakter": dc.table_count(v)}
                 for d, v in zip(starts, tot)]
    _small_band(ax)
    ax.set_ylim(bottom=0)
    integer_axis(ax)
    month_axis(ax, (starts[-1] - starts[0]).days if len(starts) > 1 else 30)
    ax.set_xlabel(axis_label)
    ax.set_ylabel("Antal kontakter")
    handles = ax.get_legend_handles_labels()[0]
    rep.save(fig, "kontakter_per_organisation", "Per organisation", f"Antal kontakter {per} per organisation",
             f"Antal kontakter {per} för varje organisation. {dc.EXPLANATION_SV}",
             dc.with_counts(pd.DataFrame(rows), ["Antal kontakter"]),
             legend=handles, legend_cols=min(5, len(names)))


def fig_cooccurrence(rep: Report, field_key: str) -> None:
    f = rep.form.field(field_key)
    opts, mat = rep.table.field_matrix(field_key)
    co = dc.publish(*dc.cross(mat, mat, rep.rk))
    n = len(opts)
    lower = np.tril(np.ones((n, n), dtype=bool), k=-1)
    values = np.where(lower, dc.plot_counts(co), np.nan)
    labels = np.array([[dc.label_count(co[i, j]) if j <= i else "" for j in range(n)] for i in range(n)],
                      dtype=object)
    fig, ax = new_figure(4.0 + 0.75 * n + 2.5)
    names = [f.label_of(o) for o in opts]
    off_diag = labels.copy()
    np.fill_diagonal(off_diag, "")
    _heatmap(ax, values, off_diag, names, names, "Antal kontakter med båda")
    # the upper triangle is empty, not suppressed: paint it white; the diagonal (totals) neutral
    for i in range(n):
        ax.add_patch(plt.Rectangle((i, i), 1, 1, facecolor="#F4F4F4", edgecolor="white", lw=0.8, zorder=2))
        ax.text(i + 0.5, i + 0.5, labels[i, i], ha="center", va="center", fontsize=7, fontweight="bold",
                color="#222222", zorder=4)
        for j in range(i + 1, n):
            ax.add_patch(plt.Rectangle((j, i), 1, 1, color="white", zorder=3, lw=0))
    ax.set_xlabel(f.label)
    ax.set_ylabel(f.label)
    table = pd.DataFrame([{f"{f.label} (rad)": names[i], f"{f.label} (kolumn)": names[j],
                           "Antal kontakter med båda": dc.table_count(co[i, j])}
                          for i in range(n) for j in range(i + 1)])
    dc.with_counts(table, ["Antal kontakter med båda"])
    rep.save(fig, f"samforekomst_{field_key}", "Samförekomst", f"Samförekomst: {f.label.lower()}",
             f"Antal kontakter där två alternativ av \u201d{f.label}\u201d angavs samtidigt; diagonalen visar "
             f"antalet kontakter med alternativet (grå). {dc.EXPLANATION_SV}", table)


def current_alerts(rep: Report) -> pd.DataFrame:
    """Alerts in the last ``current_alert_weeks`` complete weeks, newest first."""
    alerts, g = rep.result.alerts, rep.grid
    if not len(alerts) or g.last_complete < 0:
        return alerts.iloc[0:0]
    first = g.weeks[max(0, g.last_complete - rep.cfg.current_alert_weeks + 1)].isoformat()
    cur = alerts[alerts.week_start >= first]
    return cur.sort_values(["week_start", "score"], ascending=[False, False]).reset_index(drop=True)


def published_alert(rep: Report, field_key: str, option: str, week_start: str, expected: float,
                    upper_bound: float, method: str) -> tuple[float, str, str, str, float]:
    """What an alert row may show: (published count, expected, bound, score as text, score).

    A hidden count (1–4) shows neither expected count, bound nor score: with them the count
    comes back (``expected + score × (bound − expected)``, or "above the bound"). Otherwise the
    score is the sudden-rise score ``(count − expected) / (bound − expected)`` computed on the
    *published* count, so it gives back only what the table shows; the slow-rise methods' scores
    (sums over several weeks, which differences of two weeks would give back) are not shown."""
    n = rep.published_observed(field_key, option, week_start) if rep.result.panel.by is None else np.nan
    if dc.is_hidden(n):
        return n, dc.NO_SHARE, dc.NO_SHARE, dc.NO_SHARE, np.nan
    score = np.nan
    if method not in SLOW_METHODS and np.isfinite(expected) and np.isfinite(upper_bound):
        score = (n - expected) / max(upper_bound - expected, 0.5)
    return n, dc.table_number(expected), dc.table_number(upper_bound), dc.table_number(score, 2), score


def alerts_table(rep: Report, alerts: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in alerts.itertuples():
        n, e, u, sc, _ = published_alert(rep, r.field, r.option, r.week_start, r.expected, r.upper_bound,
                                         r.method)
        rows.append({
            "Vecka (måndag)": r.week_start,
            **({"Organisation": r.organisation} if "organisation" in alerts else {}),
            "Fält": rep.label(r.field), "Alternativ": rep.label(r.field, r.option),
            "Antal kontakter": dc.table_count(n),
            "Förväntat": e,
            "Larmgräns": u,
            "Poäng": sc,
            "Metod": METHOD_SV.get(r.method, r.method),
        })
    out = pd.DataFrame(rows, columns=["Vecka (måndag)", "Fält", "Alternativ", "Antal kontakter", "Förväntat",
                                      "Larmgräns", "Poäng", "Metod"] if not rows else None)
    return dc.with_counts(out, ["Antal kontakter"])


def current_episodes(rep: Report) -> pd.DataFrame:
    """Alert episodes (repeated alerts on one option grouped, ``trends.episodes``) that had an
    alert in the last ``current_alert_weeks`` complete weeks; an episode may have begun earlier."""
    alerts, g = rep.result.alerts, rep.grid
    if not len(alerts) or g.last_complete < 0:
        return alert_episodes(alerts.iloc[0:0])
    first = g.weeks[max(0, g.last_complete - rep.cfg.current_alert_weeks + 1)].isoformat()
    ep = alert_episodes(alerts, max_gap=rep.cfg.episode_gap_weeks)
    return ep[ep.last_week >= first].reset_index(drop=True)


def _weeks_between(first: str, last: str) -> int:
    return (date.fromisoformat(last) - date.fromisoformat(first)).days // 7 + 1


def episodes_table(rep: Report, episodes: pd.DataFrame) -> pd.DataFrame:
    """The current-alerts table: one row per episode (not per alert week)."""
    rows = []
    alerts = rep.result.alerts
    for r in episodes.itertuples():
        n, e, u, _, _ = published_alert(rep, r.field, r.option, r.last_week, r.expected, r.upper_bound,
                                        r.methods[-1] if r.methods else "")
        ep = alerts[(alerts.field == r.field) & (alerts.option == r.option) & (alerts.week_start >= r.first_week)
                    & (alerts.week_start <= r.last_week)]
        scores = [published_alert(rep, a.field, a.option, a.week_start, a.expected, a.upper_bound, a.method)[4]
                  for a in ep.itertuples()]
        scores = [v for v in scores if np.isfinite(v)]
        rows.append({
            **({"Organisation": r.organisation} if "organisation" in episodes else {}),
            "Fält": rep.label(r.field), "Alternativ": rep.label(r.field, r.option),
            "Första larmvecka": r.first_week, "Senaste larmvecka": r.last_week,
            # "3 av 5": weeks with an alert of the weeks from the first to the last (a count of
            # weeks, not of contacts, but written so that it never reads as a small count)
            "Veckor med larm": f"{r.alert_weeks} av {_weeks_between(r.first_week, r.last_week)}",
            "Metod": " + ".join(METHOD_SV.get(m, m) for m in r.methods),
            "Antal kontakter senaste larmveckan": dc.table_count(n),
            "Förväntat": e,
            "Larmgräns": u,
            # of the weeks whose count is shown, sudden-rise scores on the published counts
            "Högsta poäng": dc.table_number(max(scores), 2) if scores else dc.NO_SHARE,
        })
    return dc.with_counts(pd.DataFrame(rows), ["Antal kontakter senaste larmveckan"])


def fig_current_alerts(rep: Report) -> pd.DataFrame:
    cur = current_alerts(rep)
    if cur.empty:
        return cur
    g = rep.grid
    keys = list(dict.fromkeys(zip(cur.field, cur.option)))[: rep.cfg.max_alert_panels]
    first_t = max(0, g.last_complete - 51)
    weeks = list(g.weeks[first_t: g.last_complete + 1])
    fig, axes, ncols = _grid_axes(len(keys), panel_h_cm=4.0)
    base = rep.result.baseline
    all_alerts = rep.result.alerts
    used: set[str] = set()
    rows = []
    for ax, (fk, ok) in zip(axes, keys):
        s = rep.table.series.index((fk, ok))
        y = rep.weekly(s)[first_t: g.last_complete + 1]
        b = base[(base.field == fk) & (base.option == ok)].set_index("week_start")
        iso = [w.isoformat() for w in weeks]
        # a week with a hidden count shows no expected count and no bound (they would
        # narrow it down: an alert means "above the bound")
        hidden = dc.is_hidden(y)
        exp = np.where(hidden, np.nan, b.reindex(iso)["expected"].to_numpy(dtype=float))
        upp = np.where(hidden, np.nan, b.reindex(iso)["upper_bound"].to_numpy(dtype=float))
        _small_band(ax)
        ax.plot(weeks, exp, color=GREY, lw=1.0, label="Förväntat")
        ax.plot(weeks, upp, color=GREY, lw=0.9, ls="--", label="Larmgräns, plötslig ökning")
        ax.plot(weeks, dc.plot_counts(y), color=BLUE, marker="o", ms=2.2, lw=1.1)
        al = all_alerts[(all_alerts.field == fk) & (all_alerts.option == ok) & (all_alerts.week_start >= iso[0])]
        used |= _mark_alerts(ax, [date.fromisoformat(w) for w in al.week_start], list(al.method))
        top = np.nanmax([np.nanmax(dc.plot_counts(y)) if np.isfinite(dc.plot_counts(y)).any() else 0,
                         np.nanmax(upp) if np.isfinite(upp).any() else 0, dc.MIN_COUNT])
        ax.set_ylim(0, top * 1.3)
        integer_axis(ax)
        month_axis(ax, 365, narrow=ncols > 1)
        # field and option on two lines: side by side, one line runs into the next panel's title
        ax.set_title(f"{rep.label(fk)}:{chr(10) if ncols > 1 else ' '}{rep.label(fk, ok)}", fontsize=7.5,
                     loc="left")
        for w, n, e, u in zip(iso, y, exp, upp):
            rows.append({"Fält": rep.label(fk), "Alternativ": rep.label(fk, ok), "Vecka (måndag)": w,
                         "Antal kontakter": dc.table_count(n),
                         "Förväntat": dc.NO_SHARE if dc.is_hidden(n) else dc.table_number(e),
                         "Larmgräns": dc.NO_SHARE if dc.is_hidden(n) else dc.table_number(u)})
    for ax in axes[-ncols:]:
        ax.set_xlabel("Vecka")
    for ax in axes[::ncols]:
        ax.set_ylabel("Antal per vecka")
    handles = _legend_handles("count", used) + [
        Line2D([0], [0], color=GREY, lw=1.0, label="Förväntat"),
        Line2D([0], [0], color=GREY, lw=0.9, ls="--", label="Larmgräns, plötslig ökning")]
    last_sunday = g.weeks[g.last_complete] + timedelta(days=6)
    rep.save(fig, "aktuella_larm", "Aktuella larm", "Aktuella larm: antal kontakter per vecka",
             f"Alternativ med larm de senaste {rep.cfg.current_alert_weeks} hela veckorna, med det senaste årets "
             f"veckoantal, förväntat antal och larmgräns från bevakningsmodellen. Ett larm betyder att antalet är "
             f"ovanligt högt jämfört med tidigare år (plötslig ökning) eller har stigit under flera veckor "
             f"(långsam ökning), inte att något säkert har förändrats. Larmgränsen gäller en enskild vecka "
             f"(plötslig ökning); ett larm för långsam ökning bedömer flera veckor tillsammans och kan därför "
             f"ligga under den. {dc.EXPLANATION_SV}",
             dc.with_counts(pd.DataFrame(rows), ["Antal kontakter"]), source=rep.source_line(weeks[0], last_sunday),
             legend=handles)
    return cur


def fig_emerging_terms(rep: Report, terms: pd.DataFrame, max_terms: int = 15) -> None:
    """``terms``: emerging terms with published counts (``build.publish_terms``)."""
    attrs = terms.attrs
    n_r, n_b = attrs.get("contacts_recent", 0), attrs.get("contacts_baseline", 0)
    if terms.empty or not (n_r >= dc.MIN_DENOMINATOR and n_b >= dc.MIN_DENOMINATOR):
        return
    top = terms.head(max_terms)
    sr = dc.shares(top.contacts_recent, n_r)
    sb = dc.shares(top.contacts_baseline, n_b)
    plot = pd.DataFrame({"Ord eller uttryck": list(top.term) * 2,
                         "Period": ["Senaste veckorna"] * len(top) + ["Jämförelseperioden"] * len(top),
                         "Andel": np.concatenate([sr, sb])})
    fig, ax = new_figure(3.5 + 0.55 * len(top) + 2.5)
    sns.barplot(data=plot, y="Ord eller uttryck", x="Andel", hue="Period", palette=[VERMILLION, GREY],
                ax=ax, orient="h", width=0.75)
    percent_axis(ax, "x")
    ax.set_xlabel("Andel av kontakterna")
    ax.set_ylabel("")
    ax.legend(title=None, loc="lower right")
    for i, (p, n) in enumerate(zip(sb, top.contacts_baseline)):
        if not np.isfinite(p):
            ax.text(0.2, i + 0.2, dc.SMALL if dc.is_hidden(n) else "0", va="center", fontsize=6.5, color="#444444")
    table = pd.DataFrame({
        "Ord eller uttryck": top.term,
        "Kontakter senaste veckorna": [dc.table_count(v) for v in top.contacts_recent],
        "Kontakter jämförelseperioden": [dc.table_count(v) for v in top.contacts_baseline],
        "Andel senaste (%)": [dc.table_share(p) for p in sr],
        "Andel jämförelse (%)": [dc.table_share(p) for p in sb],
        "G2": [dc.table_number(v, 1) if np.isfinite(v) else dc.NO_SHARE for v in top.g2],
    })
    dc.with_counts(table, ["Kontakter senaste veckorna", "Kontakter jämförelseperioden"])
    n_r, n_b = int(n_r), int(n_b)
    r0, r1 = date.fromisoformat(attrs["recent_start"]), date.fromisoformat(attrs["recent_end"])
    b0 = date.fromisoformat(attrs["baseline_start"])
    rep.save(fig, "nya_ord", "Nya ord och uttryck", "Ord och uttryck som ökar i de stödsökandes texter",
             f"Ord och tvåordsuttryck i stödsökandes egna meddelanden (avidentifierade) som förekommer i en "
             f"betydligt större andel av kontakterna {r0.isoformat()}–{r1.isoformat()} ({n_r} kontakter) än under "
             f"jämförelseperioden {b0.isoformat()}–{(r0 - timedelta(days=1)).isoformat()} ({n_b} kontakter). "
             f"Urval med log-likelihood-test (G²); bara ord som finns i minst fem kontakter visas. G² är "
             f"beräknat på de justerade antalen och visas inte när antalet i jämförelseperioden är dolt. "
             f"{dc.EXPLANATION_SV}", table, source=rep.source_line(b0, r1))


FigureBuilder = Callable[[Report], None]


def fig_alert_timeline(rep: Report, max_rows: int = 25) -> None:
    """Every alert of the period: one row per option with alerts, one marker per alert week."""
    alerts = rep.result.alerts
    if not len(alerts):
        return
    keys = alerts.groupby(["field", "option"]).size().sort_values(ascending=False).head(max_rows)
    order = [k for k in rep.table.series if k in keys.index]
    labels = [f"{rep.label(f)}: {rep.label(f, o)}" for f, o in order]
    fig, ax = new_figure(3.0 + 0.42 * len(order) + 3.0)
    used: set[str] = set()
    for m in METHOD_ORDER:
        sub = alerts[alerts.method == m]
        ys, xs = [], []
        for r in sub.itertuples():
            if (r.field, r.option) in order:
                ys.append(order.index((r.field, r.option)) + (0.18 if m in SLOW_METHODS else -0.0))
                xs.append(date.fromisoformat(r.week_start))
        if xs:
            marker, colour, label = ALERT_STYLE[m]
            ax.scatter(xs, ys, marker=marker, color=colour, s=16, label=label, zorder=3, lw=0)
            used.add(m)
    ax.set_yticks(range(len(order)), labels)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    g = rep.grid
    ax.set_xlim(g.weeks[0], g.weeks[-1] + timedelta(days=6))
    month_axis(ax, (g.weeks[-1] - g.weeks[0]).days)
    ax.set_xlabel("Vecka")
    handles = [Line2D([0], [0], color=ALERT_STYLE[m][1], marker=ALERT_STYLE[m][0], lw=0, ms=4.5,
                      label=ALERT_STYLE[m][2]) for m in METHOD_ORDER if m in used]
    table = alerts_table(rep, alerts[[k in order for k in zip(alerts.field, alerts.option)]])
    rep.save(fig, "larm_over_tid", "Aktuella larm", "Larm från veckobevakningen över tid",
             f"Varje markering är en vecka då antalet kontakter med alternativet larmade: plötslig ökning "
             f"(förbättrade Farrington-metoden, eller en enklare baslinje när historiken är kortare än två år) eller "
             f"långsam ökning (andelen har stigit under de senaste 4–12 veckorna, enligt ett trendtest). Visar de "
             f"{len(order)} alternativ som larmat mest. Ofullständiga veckor bedöms inte. {dc.EXPLANATION_SV}",
             table, legend=handles)
