"""Trends: weekly counts per option, alerts on sudden and slow rises, emerging terms.

Public API::

    from childx_research.trends import run_trends, analyse, load_dated_records, emerging_terms

    paths = run_trends(records, form, out_dir)        # weekly_counts.csv, alerts.csv, ...
    result = analyse(records, form)                    # the same in memory (TrendResult)
    terms = emerging_terms(conversations)              # DataFrame of emerging words/phrases

Detectors: ``farrington_flexible`` (Noufaily et al. 2013, as R's farringtonFlexible),
``short_history_baseline`` (fallback with < 2 years of history), ``trend_test_slow_rise``
(on request: a one-sided trend test on the share over the last 4–12 weeks) and
``cusum_slow_rise`` (the default: a negative-binomial likelihood-ratio CUSUM on the share
for a 40 % rise).
"""

from .counts import ContactTable, WeeklyPanel, contact_table, counts_frame, series_keys, weekly_panel
from .detect import ALERT_COLUMNS, METHOD_LABELS_SV, DetectorParams, detect
from .farrington import METHOD_FARRINGTON, METHOD_SHORT, FarringtonParams
from .slowrise import METHOD_CUSUM, SlowRiseParams
from .run import TrendResult, analyse, load_dated_records, run_trends, write_outputs
from .terms import TermParams, emerging_terms
from .trendtest import METHOD_TREND, TrendTestParams

__all__ = [
    "ALERT_COLUMNS", "METHOD_CUSUM", "METHOD_FARRINGTON", "METHOD_LABELS_SV", "METHOD_SHORT",
    "METHOD_TREND", "ContactTable", "DetectorParams", "FarringtonParams", "SlowRiseParams", "TermParams",
    "TrendResult", "TrendTestParams",
    "WeeklyPanel", "analyse", "contact_table", "counts_frame", "detect", "emerging_terms",
    "load_dated_records", "run_trends", "series_keys", "weekly_panel", "write_outputs",
]
