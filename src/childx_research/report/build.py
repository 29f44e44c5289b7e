"""Build the whole report: figures, tables and the self-contained HTML."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..forms import Form
from ..records import write_json
from ..trends import TrendResult, analyse, emerging_terms
from ..trends.terms import TermParams
from . import disclosure as dc
from . import figures as F
from .config import ReportConfig, load_report_config
from .html import write_html
from .style import report_style, sv_period

SECTIONS = ["Aktuella larm", "Översikt", "Över tid", "Per organisation", "Vilka som söker stöd",
            "Samförekomst", "Nya ord och uttryck"]
HTML_NAME = "rapport.html"


def build_report(records: Sequence[Any], form: Form, out_dir: str | Path, *,
                 conversations: Iterable[Any] | None = None,
                 trends: TrendResult | None = None,
                 config: ReportConfig | str | Path | None = None,
                 as_of: str | date | datetime | None = None,
                 term_params: TermParams | None = None) -> Path:
    """Write the report to ``out_dir`` and return the path of ``rapport.html``.

    ``records``: form records with ``started_at`` (``FormRecord`` or dicts).
    ``conversations``: anonymised conversations for the emerging-terms section (optional).
    ``trends``: a result of ``trends.analyse`` on the same records (for all contacts, not
    ``by``), to avoid computing it twice; computed here when omitted.
    ``config``: a ``ReportConfig`` or the path of a report YAML; default: the packaged
    config for the form (``report/config/<form id>.yaml``), else defaults.

    Besides the HTML the folder holds ``figurer/<name>.png|svg|csv`` and ``figurer.json``.
    Every exported count and share passes the disclosure control in ``disclosure.py``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = config if isinstance(config, ReportConfig) else load_report_config(form, config)
    result = trends if trends is not None else analyse(records, form, as_of=as_of)
    if result.panel.by is not None:
        raise ValueError("build_report needs trends for all contacts (analyse without by=)")
    rep = F.Report(form=form, cfg=cfg, result=result, out_dir=out, fig_dir=out / "figurer")
    rep.notes.extend(result.notes)

    terms = None
    if conversations is not None:
        dates = {r.id if not isinstance(r, dict) else r["id"]:
                 (r.started_at if not isinstance(r, dict) else r.get("started_at")) for r in records}
        params = term_params or TermParams(recent_weeks=cfg.terms_recent_weeks)
        terms = emerging_terms(conversations, as_of=result.grid.as_of, params=params, dates=dates)

    with report_style():
        cur = F.fig_current_alerts(rep)
        F.fig_alert_timeline(rep)
        F.fig_total_contacts(rep)
        for key in cfg.series_fields(form):
            F.fig_field_series(rep, key, "count")
            F.fig_field_series(rep, key, "share")
        orgs = rep.table.organisations()
        if len(orgs) > 1:
            F.fig_organisation_contacts(rep)
            if cfg.roles.exploitation:
                F.fig_share_by_group(rep, cfg.roles.exploitation, None)
        else:
            rep.notes.append("Bara en organisation finns i underlaget: inga figurer per organisation.")
        if cfg.roles.age and cfg.roles.gender:
            F.fig_age_gender(rep)
        if cfg.roles.exploitation and cfg.roles.age:
            F.fig_share_by_group(rep, cfg.roles.exploitation, cfg.roles.age)
        if cfg.roles.exploitation and form.field(cfg.roles.exploitation).kind == "multi":
            F.fig_cooccurrence(rep, cfg.roles.exploitation)
        missing = [r for r in ("age", "gender", "exploitation") if getattr(cfg.roles, r) is None]
        if missing:
            rep.notes.append("Rapportinställningarna anger inget fält för " + ", ".join(
                {"age": "ålder", "gender": "kön", "exploitation": "typ av utsatthet"}[m] for m in missing)
                + "; de figurerna saknas.")
        if terms is not None:
            F.fig_emerging_terms(rep, terms)

    episodes = F.current_episodes(rep)
    alerts_tab = F.episodes_table(rep, episodes) if len(episodes) else None
    if alerts_tab is not None:
        F.write_table(alerts_tab, rep.fig_dir / "aktuella_larm_tabell.csv")
    terms_tab = _terms_table(terms) if terms is not None and not terms.empty else None
    first, last = rep.data_period()
    subtitle = (f"{form.title} · {rep.table.n} kontakter · period {sv_period(first, last)} · "
                f"data t.o.m. {result.grid.as_of.isoformat()}")
    html = write_html(out / HTML_NAME, title="Trender i kontakterna", subtitle=subtitle, notes=rep.notes,
                      figures=rep.figures, out_dir=out, alerts_table=alerts_tab, terms_table=terms_tab,
                      sections=SECTIONS if conversations is not None else SECTIONS[:-1])
    write_json(out / "figurer.json", {"html": HTML_NAME, "notes": rep.notes,
                                       "figures": [asdict(f) for f in rep.figures]})
    return html


def _terms_table(terms: pd.DataFrame) -> pd.DataFrame:
    n_r, n_b = terms.attrs.get("contacts_recent", 0), terms.attrs.get("contacts_baseline", 0)
    return pd.DataFrame({
        "Ord eller uttryck": terms.term,
        "Kontakter senaste veckorna": [dc.table_count(v) for v in terms.contacts_recent],
        "Kontakter jämförelseperioden": [dc.table_count(v) for v in terms.contacts_baseline],
        "Andel senaste (%)": [dc.table_share(p) for p in dc.shares(terms.contacts_recent, n_r)],
        "Andel jämförelse (%)": [dc.table_share(p) for p in dc.shares(terms.contacts_baseline, n_b)],
        "G2": [dc.table_number(v, 1) for v in terms.g2],
    })


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
