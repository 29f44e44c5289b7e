"""One self-contained HTML file: every figure inline (SVG as data URI), captions, tables.

No scripts, no style sheets or fonts from elsewhere, nothing fetched: the file can be
mailed or opened offline. Links to the PNG/SVG/CSV files beside it are plain anchors.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import pandas as pd

from . import disclosure as dc
from .figures import FigureInfo

CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #222; margin: 0;
       background: #fafafa; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 2rem 1.5rem 4rem; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2.4rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
p.meta { color: #555; margin-top: 0; }
.note { background: #f3f6fa; border-left: 4px solid #0072B2; padding: .6rem .9rem; margin: .8rem 0; }
figure { margin: 1.6rem 0 2.2rem; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .9rem; color: #333; margin-top: .4rem; }
figcaption .files { font-size: .8rem; color: #666; }
table { border-collapse: collapse; font-size: .85rem; margin: .6rem 0 1rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
nav ol { columns: 2; font-size: .9rem; }
"""


def _data_uri(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/svg+xml;base64,{data}"


def _table_html(df: pd.DataFrame) -> str:
    dc.check_table(df, "HTML table")
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            text = str(v)
            num = text.replace(",", "").replace("<", "").replace(".", "").strip().isdigit()
            cells.append(f'<td class="num">{escape(text)}</td>' if num else f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_html(path: Path, *, title: str, subtitle: str, notes: list[str], figures: list[FigureInfo],
               out_dir: Path, alerts_table: pd.DataFrame | None, terms_table: pd.DataFrame | None,
               sections: list[str]) -> Path:
    parts = [f"<!DOCTYPE html><html lang=\"sv\"><head><meta charset=\"utf-8\">"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
             f"<h1>{escape(title)}</h1><p class=\"meta\">{escape(subtitle)}</p>"]
    parts.append(f'<div class="note">{escape(dc.EXPLANATION_SV)} Tabellerna (CSV) är semikolonseparerade '
                 f'med decimalkomma och öppnas direkt i Excel.</div>')
    for note in notes:
        parts.append(f'<div class="note">{escape(note)}</div>')
    parts.append("<nav><h2>Innehåll</h2><ol>" + "".join(
        f'<li><a href="#{escape(f.slug)}">{escape(f.title)}</a></li>' for f in figures) + "</ol></nav>")
    n = 0
    for section in sections:
        figs = [f for f in figures if f.section == section]
        if section == "Aktuella larm":
            parts.append(f'<h2 id="aktuella-larm">{escape(section)}</h2>')
            if alerts_table is None or alerts_table.empty:
                parts.append("<p>Inga larm de senaste veckorna.</p>")
            else:
                parts.append(_table_html(alerts_table))
        elif section == "Nya ord och uttryck":
            parts.append(f"<h2>{escape(section)}</h2>")
            if terms_table is None or terms_table.empty:
                parts.append("<p>Inga ord eller uttryck ökade tydligt de senaste veckorna "
                             "(eller inga samtalstexter fanns med).</p>")
            else:
                parts.append(_table_html(terms_table))
        elif figs:
            parts.append(f"<h2>{escape(section)}</h2>")
        for f in figs:
            n += 1
            files = " · ".join(f'<a href="{escape(p)}">{escape(p.rsplit(".", 1)[-1].upper())}</a>'
                               for p in (f.png, f.svg, f.csv))
            parts.append(
                f'<figure id="{escape(f.slug)}"><img src="{_data_uri(out_dir / f.svg)}" alt="{escape(f.title)}">'
                f"<figcaption><strong>Figur {n}. {escape(f.title)}.</strong> {escape(f.caption)} "
                f"<em>{escape(f.source)}</em><br><span class=\"files\">Filer: {files}</span>"
                f"</figcaption></figure>")
    parts.append("<p class=\"meta\">Skapad med <code>childx report</code>.</p>")
    parts.append("</main></body></html>\n")
    from ..records import atomic_open

    with atomic_open(path) as fh:
        fh.write("".join(parts))
    return path
