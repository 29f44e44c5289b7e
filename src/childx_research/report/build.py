"""Build the whole report: figures, tables and the self-contained HTML."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..forms import Form
from ..parallel import default_jobs, die_with_parent
from ..progress import progress, track
from ..records import write_json
from ..trends import TrendResult, analyse, emerging_terms
from ..trends.terms import TermParams, contact_terms, g2, load_stopwords
from ..trends.weeks import local_date
from . import disclosure as dc
from . import figures as F
from .config import ReportConfig, load_report_config
from .html import write_html
from .inputs import check_as_of, check_dates
from .output import HTML_NAME, MANIFEST, building
from .style import report_style, sv_period

SECTIONS = ["Aktuella larm", "Översikt", "Över tid", "Per organisation", "Vilka som söker stöd",
            "Samförekomst", "Nya ord och uttryck"]


def build_report(records: Sequence[Any], form: Form, out_dir: str | Path, *,
                 conversations: Iterable[Any] | None = None,
                 trends: TrendResult | None = None,
                 config: ReportConfig | str | Path | None = None,
                 as_of: str | date | datetime | None = None,
                 term_params: TermParams | None = None,
                 inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write the report to ``out_dir`` and return the path of ``rapport.html``.

    ``records``: form records with ``started_at`` (``FormRecord`` or dicts).
    ``conversations``: anonymised conversations for the emerging-terms section (optional).
    ``trends``: a result of ``trends.analyse`` on the same records (for all contacts, not
    ``by``), to avoid computing it twice; computed here when omitted.
    ``config``: a ``ReportConfig`` or the path of a report YAML; default: the packaged
    config for the form (``report/config/<form id>.yaml``), else defaults.

    ``inputs``: the files the records came from; an ``out_dir`` that is or holds one is refused.

    Besides the HTML the folder holds ``figurer/<name>.png|svg|csv`` and ``figurer.json``.
    Every exported count and share passes the disclosure control in ``disclosure.py``.
    The folder is written whole or not at all (``output.building``): an existing non-empty
    ``out_dir`` must be an earlier report, and it is replaced only once the new one is done.
    """
    final = Path(out_dir)
    check_as_of(as_of)
    if trends is None:
        check_dates(records)
    cfg = config if isinstance(config, ReportConfig) else load_report_config(form, config)
    result = trends if trends is not None else analyse(records, form, as_of=as_of)
    if result.panel.by is not None:
        raise ValueError("build_report needs trends for all contacts (analyse without by=)")
    if conversations is not None:
        conversations = list(conversations)
    with building(final, inputs) as out:
        _build(records, form, out, conversations=conversations, result=result, cfg=cfg, term_params=term_params)
    return final / HTML_NAME


def _build(records: Sequence[Any], form: Form, out: Path, *, conversations: list[Any] | None,
           result: TrendResult, cfg: ReportConfig, term_params: TermParams | None) -> Path:
    rep = F.Report(form=form, cfg=cfg, result=result, out_dir=out, fig_dir=out / "figurer")
    dropped = result.table.dropped_after_as_of
    prefix = f"{dropped} kontakter efter"
    rep.notes.extend(n.replace(prefix, f"{dc.table_count(dropped)} kontakter efter", 1) if n.startswith(prefix)
                     else n for n in result.notes)      # "3 contacts after as_of" is a small count too

    terms = None
    if conversations is not None:
        dates = {r.id if not isinstance(r, dict) else r["id"]:
                 (r.started_at if not isinstance(r, dict) else r.get("started_at")) for r in records}
        params = term_params or TermParams(recent_weeks=cfg.terms_recent_weeks)
        terms = emerging_terms(conversations, as_of=result.grid.as_of, params=params, dates=dates)
        terms = publish_terms(terms, conversations, dates, params)

    draws: list[Callable[[], Any]] = [lambda: F.fig_current_alerts(rep), lambda: F.fig_alert_timeline(rep),
                                      lambda: F.fig_total_contacts(rep)]
    for key in cfg.series_fields(form):
        draws += [lambda key=key: F.fig_field_series(rep, key, "count"),
                  lambda key=key: F.fig_field_series(rep, key, "share")]
    orgs = rep.table.organisations()
    if len(orgs) > 1:
        draws.append(lambda: F.fig_organisation_contacts(rep))
        if cfg.roles.exploitation:
            draws.append(lambda: F.fig_share_by_group(rep, cfg.roles.exploitation, None))
    else:
        rep.notes.append("Bara en organisation finns i underlaget: inga figurer per organisation.")
    if cfg.roles.age and cfg.roles.gender:
        draws.append(lambda: F.fig_age_gender(rep))
    if cfg.roles.exploitation and cfg.roles.age:
        draws.append(lambda: F.fig_share_by_group(rep, cfg.roles.exploitation, cfg.roles.age))
    if cfg.roles.exploitation and form.field(cfg.roles.exploitation).kind == "multi":
        draws.append(lambda: F.fig_cooccurrence(rep, cfg.roles.exploitation))
    missing = [r for r in ("age", "gender", "exploitation") if getattr(cfg.roles, r) is None]
    if missing:
        rep.notes.append("Rapportinställningarna anger inget fält för " + ", ".join(
            {"age": "ålder", "gender": "kön", "exploitation": "typ av utsatthet"}[m] for m in missing)
            + "; de figurerna saknas.")
    if terms is not None:
        draws.append(lambda: F.fig_emerging_terms(rep, terms))
    _draw_all(rep, draws)

    episodes = F.current_episodes(rep)
    alerts_tab = F.episodes_table(rep, episodes) if len(episodes) else None
    if alerts_tab is not None:
        F.write_table(alerts_tab, rep.fig_dir / "aktuella_larm_tabell.csv")
    terms_tab = _terms_table(terms) if terms is not None and not terms.empty else None
    first, last = rep.data_period()
    subtitle = (f"{form.title} · {dc.label_count(rep.published_n())} kontakter · period {sv_period(first, last)} · "
                f"data t.o.m. {result.grid.as_of.isoformat()}")
    html = write_html(out / HTML_NAME, title="Trender i kontakterna", subtitle=subtitle, notes=rep.notes,
                      figures=rep.figures, out_dir=out, alerts_table=alerts_tab, terms_table=terms_tab,
                      sections=SECTIONS if conversations is not None else SECTIONS[:-1])
    write_json(out / MANIFEST, {"html": HTML_NAME, "notes": rep.notes,
                                       "figures": [asdict(f) for f in rep.figures]})
    return html


#: What a drawing process works on: set just before the processes are forked, so each one
#: inherits the report and the drawing functions instead of receiving them pickled.
_TO_DRAW: tuple[F.Report, list[Callable[[], Any]]] | None = None


def _draw_all(rep: F.Report, draws: list[Callable[[], Any]]) -> None:
    """Draw every figure, on all the cores this process may use (matplotlib draws on one).

    Each figure is drawn and saved by a forked process; its ``FigureInfo`` comes back and is
    added in the order of ``draws``, so the report is the same as drawn one by one."""
    global _TO_DRAW
    jobs = min(default_jobs(), len(draws))
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        with report_style():
            for draw in track(draws, "Ritar rapportens figurer", unit="figurer"):
                draw()
        return
    _TO_DRAW = (rep, draws)
    done: list[list[F.FigureInfo] | None] = [None] * len(draws)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool, \
                progress("Ritar rapportens figurer", total=len(draws), unit="figurer") as advance:
            futures = {pool.submit(_draw_one, i): i for i in range(len(draws))}
            for fut in as_completed(futures):
                done[futures[fut]] = fut.result()
                advance(1)
    finally:
        _TO_DRAW = None
    for infos in done:
        rep.figures.extend(infos or [])


def _draw_one(i: int) -> list[F.FigureInfo]:
    rep, draws = _TO_DRAW
    before = len(rep.figures)
    with report_style():
        draws[i]()
    return rep.figures[before:]


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def publish_terms(terms: pd.DataFrame, conversations: Sequence[Any], dates: dict[str, Any],
                  params: TermParams) -> pd.DataFrame:
    """The emerging terms with published counts: every count (also the number of contacts in
    each window) perturbed with its cell key (the contacts holding the term in the window),
    shares and G² recomputed on the published counts, and no G² when the baseline count is
    hidden (G² on a known table pins it: 17.8 can only mean 2)."""
    if terms.empty:
        out = terms.copy()
        out.attrs = dict(terms.attrs)
        return out
    a = terms.attrs
    r0, r1 = date.fromisoformat(a["recent_start"]), date.fromisoformat(a["recent_end"])
    b0 = date.fromisoformat(a["baseline_start"])
    wanted = set(terms.term)
    sw = load_stopwords()
    windows: tuple[list[str], list[str]] = ([], [])
    holders: dict[str, tuple[list[str], list[str]]] = {t: ([], []) for t in wanted}
    for conv in conversations:      # the windows and term sets of ``trends.emerging_terms``
        ident = str(_get(conv, "id"))
        ts = _get(conv, "started_at") or dates.get(ident)
        if not ts:
            continue
        d = local_date(datetime.fromisoformat(ts))
        if d > r1 or d < b0:
            continue
        w = 0 if d >= r0 else 1
        windows[w].append(ident)
        text = "\n".join(str(_get(m, "text") or "") for m in (_get(conv, "messages") or [])
                         if _get(m, "role") == params.role)
        for t in contact_terms(text, sw, params.bigrams) & wanted:
            holders[t][w].append(ident)
    n_r, n_b = (float(dc.publish([len(ids)], [dc.key_of_ids(ids)])[0]) for ids in windows)
    rec = np.array([dc.publish([len(holders[t][0])], [dc.key_of_ids(holders[t][0])])[0] for t in terms.term])
    base = np.array([dc.publish([len(holders[t][1])], [dc.key_of_ids(holders[t][1])])[0] for t in terms.term])
    g = [g2(int(x), max(int(n_r - x), 0), int(y), max(int(n_b - y), 0)) if np.isfinite(x) and np.isfinite(y)
         else np.nan for x, y in zip(rec, base)]
    out = pd.DataFrame({"term": terms.term, "contacts_recent": rec, "contacts_baseline": base,
                        "share_recent": dc.shares(rec, n_r), "share_baseline": dc.shares(base, n_b), "g2": g})
    out.attrs = {**a, "contacts_recent": n_r, "contacts_baseline": n_b}
    return out


def _terms_table(terms: pd.DataFrame) -> pd.DataFrame:
    """The HTML table of emerging terms (``terms`` from :func:`publish_terms`)."""
    n_r, n_b = terms.attrs.get("contacts_recent", 0), terms.attrs.get("contacts_baseline", 0)
    return dc.with_counts(pd.DataFrame({
        "Ord eller uttryck": terms.term,
        "Kontakter senaste veckorna": [dc.table_count(v) for v in terms.contacts_recent],
        "Kontakter jämförelseperioden": [dc.table_count(v) for v in terms.contacts_baseline],
        "Andel senaste (%)": [dc.table_share(p) for p in dc.shares(terms.contacts_recent, n_r)],
        "Andel jämförelse (%)": [dc.table_share(p) for p in dc.shares(terms.contacts_baseline, n_b)],
        "G2": [dc.table_number(v, 1) if np.isfinite(v) else dc.NO_SHARE for v in terms.g2],
    }), ["Kontakter senaste veckorna", "Kontakter jämförelseperioden"])


def trend_charts(result: TrendResult, form: Form, out_dir: str | Path,
                 config: ReportConfig | str | Path | None = None) -> list[Path]:
    """The charts of ``childx trends``: current alerts and alerts over time (PNG, SVG, CSV).

    Empty when the result is split by organisation or nothing alarmed.
    """
    if result.panel.by is not None or not len(result.alerts):
        return []
    out = Path(out_dir)
    cfg = config if isinstance(config, ReportConfig) else load_report_config(form, config)
    rep = F.Report(form=form, cfg=cfg, result=result, out_dir=out, fig_dir=out)
    with report_style():
        F.fig_current_alerts(rep)
        F.fig_alert_timeline(rep)
    return [out / f.png for f in rep.figures]
