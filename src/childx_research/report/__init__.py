"""Publication-ready figures and a self-contained HTML report from dated form records.

    from childx_research.report import build_report
    html_path = build_report(records, form, out_dir, conversations=convs)

One style (``style.py``: Swedish, Okabe–Ito palette), disclosure control everywhere
(``disclosure.py``: 1–4 shown as "<5", every other count perturbed with the cell key
method, no share on fewer than 10 contacts), the folder written whole or not at all
(``output.py``), and which
fields are age, gender and exploitation from ``config/<form id>.yaml``.
"""

from .build import HTML_NAME, build_report, trend_charts
from .config import ReportConfig, load_report_config
from .style import OKABE_ITO, report_style

__all__ = ["HTML_NAME", "OKABE_ITO", "ReportConfig", "build_report", "load_report_config", "report_style",
           "trend_charts"]
