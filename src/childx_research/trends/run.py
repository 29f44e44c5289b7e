"""Trends end to end: dated form records in, ``weekly_counts.csv`` and ``alerts.csv`` out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..errors import InputError
from ..forms import Form
from ..records import FormRecord, atomic_open, read_contacts, read_form_records, write_json
from .counts import ContactTable, WeeklyPanel, contact_table, counts_frame, totals_frame, weekly_panel
from .detect import ALERT_COLUMNS, Detection, DetectorParams, detect


@dataclass
class TrendResult:
    """Everything a report or notebook needs from one trends run."""

    form: Form
    table: ContactTable
    panel: WeeklyPanel
    detection: Detection
    notes: list[str] = field(default_factory=list)

    @property
    def grid(self):
        return self.panel.grid

    @property
    def alerts(self) -> pd.DataFrame:
        return self.detection.alerts

    @property
    def baseline(self) -> pd.DataFrame:
        return self.detection.baseline

    def weekly_counts(self) -> pd.DataFrame:
        return counts_frame(self.panel)

    def summary(self) -> dict[str, Any]:
        return {
            "form": self.form.id,
            "contacts": self.table.n,
            "by": self.panel.by,
            **self.grid.describe(),
            "series": len(self.panel.series) * len(self.panel.groups),
            "alerts": int(len(self.alerts)),
            "alerts_by_method": {str(k): int(v) for k, v in self.alerts["method"].value_counts().items()},
            "weeks_evaluated_by_method": self.detection.methods_used,
            "notes": self.notes,
        }


def analyse(records: Sequence[Any], form: Form, *, by: str | None = None,
            as_of: str | date | datetime | None = None,
            params: DetectorParams | None = None) -> TrendResult:
    """Weekly counts and alerts in memory (no files)."""
    table = contact_table(records, form, as_of=as_of)
    panel = weekly_panel(table, by)
    det = detect(panel, params or DetectorParams())
    return TrendResult(form=form, table=table, panel=panel, detection=det,
                       notes=table.notes + det.notes)


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    with atomic_open(path) as fh:
        df.to_csv(fh, index=False, lineterminator="\n")
    return path


def write_outputs(result: TrendResult, out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    alerts = result.alerts.copy()
    cols = (["organisation"] if result.panel.by else []) + ALERT_COLUMNS
    alerts = alerts[cols]
    for c in ("expected", "upper_bound", "score"):
        alerts[c] = alerts[c].astype(float).round(4)
    baseline = result.baseline.copy()
    for c in ("expected", "upper_bound", "phi", "score", "cusum", "cusum_upper_bound", "trend_z",
              "trend_upper_bound"):
        if c in baseline:
            baseline[c] = baseline[c].astype(float).round(4)
    paths = {
        "weekly_counts": _write_csv(result.weekly_counts(), out / "weekly_counts.csv"),
        "alerts": _write_csv(alerts, out / "alerts.csv"),
        "weekly_totals": _write_csv(totals_frame(result.panel), out / "weekly_totals.csv"),
        "baseline": _write_csv(baseline, out / "baseline.csv"),
    }
    write_json(out / "trends_summary.json", result.summary())
    paths["summary"] = out / "trends_summary.json"
    return paths


def run_trends(records: Sequence[Any], form: Form, out_dir: str | Path, *, by: str | None = None,
               as_of: str | date | datetime | None = None,
               params: DetectorParams | None = None) -> dict[str, Path]:
    """Count, detect and write ``weekly_counts.csv``, ``alerts.csv`` and friends to ``out_dir``.

    Returns the written paths by name: weekly_counts, alerts, weekly_totals, baseline, summary.
    """
    return write_outputs(analyse(records, form, by=by, as_of=as_of, params=params), out_dir)


def _nonblank_line(path: Path, n: int) -> int | None:
    """The file line of the n-th non-blank line (records skip blank lines)."""
    seen = 0
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                seen += 1
                if seen == n:
                    return lineno
    return None


def load_dated_records(path: str | Path, form: Form) -> list[FormRecord]:
    """Form records from JSONL (contacts with ``gold`` are accepted too), each with a date.

    A record without ``started_at`` is a one-line error naming the file and line.
    """
    path = Path(path)
    first = _first_object(path)
    if first is not None and "gold" in first and "form" not in first:
        records = [c.form_record() for c in read_contacts(path, form)]
    else:
        records = read_form_records(path, form)
    for n, rec in enumerate(records, start=1):
        if not rec.started_at:
            raise InputError("missing started_at (trends need the date of every contact)",
                             path=path, line=_nonblank_line(path, n), key="started_at")
    seen: set[str] = set()
    for n, rec in enumerate(records, start=1):
        if rec.id in seen:
            raise InputError("duplicate id", path=path, line=_nonblank_line(path, n), key="id")
        seen.add(rec.id)
    return records


def _first_object(path: Path) -> dict | None:
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    obj = json.loads(line)
                    return obj if isinstance(obj, dict) else None
    except (OSError, ValueError, RecursionError):  # ValueError: bad JSON or not UTF-8
        return None  # the reader below gives the proper one-line error
    return None
