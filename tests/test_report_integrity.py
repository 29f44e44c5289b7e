"""`childx report` writes its folder whole or not at all, never destroys what it did not
write, and answers bad input (dates out of range, odd organisation codes) with one line."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cli_support import assert_one_line_error
from trends_helpers import TINY_FORM, TINY_REPORT_CONFIG, records_from_weekly, tiny_form
from typer.testing import CliRunner

from childx_research.cli import app
from childx_research.report import ReportConfig, build_report
from childx_research.report.inputs import EARLIEST, date_bounds

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def _files(tmp_path: Path, recs, series="all"):
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    form = inp / "liten-v1.yaml"
    form.write_text(yaml.safe_dump(TINY_FORM, allow_unicode=True), encoding="utf-8")
    forms = inp / "forms.jsonl"
    forms.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    cfg = inp / "rapport.yaml"
    cfg.write_text(yaml.safe_dump({**TINY_REPORT_CONFIG, "time_series_fields": series}, allow_unicode=True),
                   encoding="utf-8")
    return form, forms, cfg


def _args(form, forms, cfg, out):
    return ["report", "--forms", str(forms), "--out", str(out), "--form", str(form), "--config", str(cfg)]


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_a_new_report_replaces_the_old_one_whole_without_stale_files(tmp_path):
    form, forms, cfg = _files(tmp_path, records_from_weekly([12] * 40))
    out = tmp_path / "rapport"
    assert runner.invoke(app, _args(form, forms, cfg, out)).exit_code == 0
    first = set(_snapshot(out))
    assert "figurer/antal_grupp.csv" in first
    # the same folder again, with fewer figures: nothing of the first run may remain
    cfg.write_text(yaml.safe_dump({**TINY_REPORT_CONFIG, "time_series_fields": ["typ"]}, allow_unicode=True),
                   encoding="utf-8")
    res = runner.invoke(app, _args(form, forms, cfg, out))
    assert res.exit_code == 0, res.output
    second = set(_snapshot(out))
    assert "figurer/antal_grupp.csv" not in second and "figurer/antal_typ.csv" in second
    manifest = json.loads((out / "figurer.json").read_text(encoding="utf-8"))
    listed = {f[k] for f in manifest["figures"] for k in ("png", "svg", "csv")}
    assert {p for p in second if p.startswith("figurer/")} == listed | {"figurer/aktuella_larm_tabell.csv"} & second
    assert _leftovers(out) == []


def test_an_output_holding_an_input_or_other_files_is_refused(tmp_path):
    form, forms, cfg = _files(tmp_path, records_from_weekly([12] * 40))
    before = _snapshot(tmp_path / "in")
    # the folder of the input, and the input file itself
    for out in (tmp_path / "in", forms, tmp_path):
        assert_one_line_error(runner.invoke(app, _args(form, forms, cfg, out)), "input")
    other = tmp_path / "annat"
    other.mkdir()
    (other / "viktigt.txt").write_text("mitt arbete\n", encoding="utf-8")
    assert_one_line_error(runner.invoke(app, _args(form, forms, cfg, other)), str(other),
                          "not an earlier report")
    assert (other / "viktigt.txt").read_text(encoding="utf-8") == "mitt arbete\n"
    assert _snapshot(tmp_path / "in") == before
    # an empty folder is fine
    empty = tmp_path / "tom"
    empty.mkdir()
    assert runner.invoke(app, _args(form, forms, cfg, empty)).exit_code == 0
    assert (empty / "rapport.html").exists()


def test_a_failure_during_the_build_leaves_the_earlier_report_and_no_temporary_folder(tmp_path):
    form, recs = tiny_form(), records_from_weekly([12] * 40)
    cfg = ReportConfig(**TINY_REPORT_CONFIG)
    out = tmp_path / "rapport"
    build_report(recs, form, out, config=cfg)
    before = _snapshot(out)
    # a conversation with a timestamp that cannot be read fails the emerging-terms step
    bad = [{"id": recs[0]["id"], "started_at": "inte ett datum", "messages": [{"role": "stodsokande", "text": "hej"}]}]
    with pytest.raises(ValueError):
        build_report(recs, form, out, config=cfg, conversations=bad)
    assert _snapshot(out) == before and _leftovers(out) == []


def test_a_report_renamed_aside_by_a_kill_is_put_back_and_replaced(tmp_path):
    form, recs = tiny_form(), records_from_weekly([12] * 40)
    cfg = ReportConfig(**TINY_REPORT_CONFIG)
    out = tmp_path / "rapport"
    build_report(recs, form, out, config=cfg)
    out.rename(tmp_path / ".rapport.old")          # killed between replace_dir's two renames
    (tmp_path / ".rapport.report-tmp-dead").mkdir()
    build_report(recs, form, out, config=cfg)
    assert (out / "rapport.html").exists() and _leftovers(out) == []


def test_sigkill_mid_write_leaves_the_old_report_intact(tmp_path):
    form, forms, cfg = _files(tmp_path, records_from_weekly([14] * 80, others=4))
    out = tmp_path / "rapport"
    assert runner.invoke(app, _args(form, forms, cfg, out)).exit_code == 0
    before = _snapshot(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "childx_research", *_args(form, forms, cfg, out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        written = []
        while proc.poll() is None and len(written) < 4:     # wait until the new report is half written
            written = [p for d in tmp_path.glob(".rapport.report-tmp-*") for p in (d / "figurer").glob("*")]
            time.sleep(0.01)
        assert proc.poll() is None, "the report finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(out) == before                          # the old report, every byte
    assert _leftovers(out)                                   # the killed run's temporary folder ...
    assert runner.invoke(app, _args(form, forms, cfg, out)).exit_code == 0
    assert _leftovers(out) == []                             # ... removed by the next run


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["trends", "report"])
@pytest.mark.parametrize("when", ["0001-01-01T10:00", "0001-01-01T00:30+02:00", "2999-06-01T10:00",
                                  "1999-12-31T23:59"])
def test_dates_out_of_range_are_one_line_with_the_bound(tmp_path, command, when):
    recs = records_from_weekly([6] * 12)
    recs[7]["started_at"] = when
    form, forms, cfg = _files(tmp_path, recs)
    out = tmp_path / "ut"
    args = (_args(form, forms, cfg, out) if command == "report"
            else ["trends", "--input", str(forms), "--out", str(out), "--form", str(form)])
    lo, hi = date_bounds()
    res = runner.invoke(app, args)
    assert_one_line_error(res, f"{forms}:8: started_at:", lo.isoformat(), hi.isoformat())
    assert when[:10] not in res.output                       # the value itself is not echoed
    assert not out.exists()


def test_a_conversation_dated_out_of_range_is_one_line(tmp_path):
    recs = records_from_weekly([6] * 12)
    form, forms, cfg = _files(tmp_path, recs)
    convs = tmp_path / "in" / "samtal.jsonl"
    rows = [{"id": r["id"], "started_at": r["started_at"], "messages": [{"role": "stodsokande", "text": "hej"}]}
            for r in recs[:5]]
    rows[3]["started_at"] = "0001-01-01T00:30+02:00"
    convs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "ut"
    res = runner.invoke(app, _args(form, forms, cfg, out) + ["--conversations", str(convs)])
    assert_one_line_error(res, f"{convs}:4: started_at:", EARLIEST.isoformat())
    assert not out.exists()


@pytest.mark.parametrize("command", ["trends", "report"])
def test_as_of_out_of_range_is_one_line(tmp_path, command):
    form, forms, cfg = _files(tmp_path, records_from_weekly([6] * 12))
    out = tmp_path / "ut"
    args = (_args(form, forms, cfg, out) if command == "report"
            else ["trends", "--input", str(forms), "--out", str(out), "--form", str(form)])
    assert_one_line_error(runner.invoke(app, args + ["--as-of", "2999-01-01"]), "as_of", EARLIEST.isoformat())
    assert not out.exists()


def test_organisations_coded_as_numbers_are_labels_not_counts(tmp_path):
    recs = records_from_weekly([12] * 40, orgs=("1", "2"))
    form, forms, cfg = _files(tmp_path, recs, series=[])
    out = tmp_path / "rapport"
    res = runner.invoke(app, _args(form, forms, cfg, out))
    assert res.exit_code == 0, res.output
    orgs = (out / "figurer" / "kontakter_per_organisation.csv").read_text(encoding="utf-8-sig")
    assert "\n1;" in orgs and "\n2;" in orgs
