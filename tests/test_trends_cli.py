"""`childx trends` and `childx report`: thin commands, files per formats.md, one-line errors."""

from __future__ import annotations

import csv
import json

import yaml
from trends_helpers import TINY_FORM, TINY_REPORT_CONFIG, records_from_weekly
from typer.testing import CliRunner

from childx_research.cli import app

runner = CliRunner()


def _files(tmp_path, recs):
    form = tmp_path / "liten-v1.yaml"
    form.write_text(yaml.safe_dump(TINY_FORM, allow_unicode=True), encoding="utf-8")
    forms = tmp_path / "forms.jsonl"
    forms.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return form, forms


def test_trends_writes_counts_and_alerts(tmp_path):
    weekly = [6] * 70
    weekly[65] = 30
    form, forms = _files(tmp_path, records_from_weekly(weekly, others=20))
    res = runner.invoke(app, ["trends", "--input", str(forms), "--out", str(tmp_path / "t"),
                              "--form", str(form), "--no-charts"])
    assert res.exit_code == 0, res.output
    with open(tmp_path / "t" / "alerts.csv", encoding="utf-8") as fh:
        alerts = list(csv.DictReader(fh))
    assert any(a["option"] == "natet" and a["method"] == "short_history_baseline" for a in alerts)
    summary = json.loads((tmp_path / "t" / "trends_summary.json").read_text(encoding="utf-8"))
    assert summary["weeks"] == 70 and summary["last_week_complete"]
    assert "short_history_baseline" in res.output or "historik" in res.output


def test_trends_missing_started_at_is_a_one_line_error(tmp_path):
    recs = records_from_weekly([3, 3])
    recs[4].pop("started_at")
    form, forms = _files(tmp_path, recs)
    res = runner.invoke(app, ["trends", "--input", str(forms), "--out", str(tmp_path / "t"), "--form", str(form)])
    assert res.exit_code == 2
    lines = [l for l in res.output.splitlines() if l.strip()]
    assert lines == [f"childx: error: {forms}:5: started_at: missing started_at (trends need the date of "
                     f"every contact)"]
    assert not (tmp_path / "t" / "alerts.csv").exists()


def test_trends_bad_as_of_and_by(tmp_path):
    form, forms = _files(tmp_path, records_from_weekly([3, 3]))
    base = ["trends", "--input", str(forms), "--out", str(tmp_path / "t"), "--form", str(form)]
    res = runner.invoke(app, base + ["--as-of", "i går"])
    assert res.exit_code == 2 and "as_of" in res.output
    res = runner.invoke(app, base + ["--by", "kanal"])
    assert res.exit_code == 2 and "--by" in res.output


def test_report_command_writes_the_html(tmp_path):
    weekly = [12] * 40
    form, forms = _files(tmp_path, records_from_weekly(weekly))
    cfg = tmp_path / "rapport.yaml"
    cfg.write_text(yaml.safe_dump({**TINY_REPORT_CONFIG, "time_series_fields": []}, allow_unicode=True),
                   encoding="utf-8")
    res = runner.invoke(app, ["report", "--forms", str(forms), "--out", str(tmp_path / "r"), "--form", str(form),
                              "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "rapport.html").exists()
    assert "rapport.html" in res.output
