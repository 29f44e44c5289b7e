"""The command line contract: one-line errors for bad input, `python -m` works, demo runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cli_support import assert_one_line_error
from typer.testing import CliRunner

from childx_research.cli import app
from childx_research.records import OUTPUT_MARKER

runner = CliRunner()



@pytest.fixture()
def bad_files(tmp_path):
    good = {"id": "c-1", "messages": [{"role": "stodsokande", "text": "hej"}]}
    files = {
        "invalid_json": "{\"id\": \"c-1\",\n",
        "missing_messages": json.dumps({"id": "c-1"}) + "\n",
        "wrong_role": json.dumps({"id": "c-1", "messages": [{"role": "x", "text": "hej"}]}) + "\n",
        "duplicate_id": (json.dumps(good) + "\n") * 2,
    }
    out = {}
    for name, text in files.items():
        p = tmp_path / f"{name}.jsonl"
        p.write_text(text, encoding="utf-8")
        out[name] = p
    return out


@pytest.mark.parametrize("name, needle", [
    ("invalid_json", ":1: invalid JSON"),
    ("missing_messages", ":1: messages: missing key"),
    ("wrong_role", ":1: messages.0.role"),
    ("duplicate_id", ":2: id: duplicate id (the same id as on line 1)"),
])
def test_validate_conversations_bad_input(bad_files, name, needle):
    assert_one_line_error(runner.invoke(app, ["validate", str(bad_files[name]), "--kind", "conversations"]),
                    str(bad_files[name]), needle)


def test_validate_missing_file_and_bad_form(tmp_path):
    assert_one_line_error(runner.invoke(app, ["validate", str(tmp_path / "nope.jsonl")]), "file not found")
    bad_form = tmp_path / "f.yaml"
    bad_form.write_text("id: x\n", encoding="utf-8")
    assert_one_line_error(runner.invoke(app, ["validate", str(tmp_path / "nope.jsonl"), "--form", str(bad_form)]),
                    str(bad_form), "title: missing key")


def test_dataset_bad_input_does_not_touch_output(bad_files, tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    (out / OUTPUT_MARKER).write_text('{"command": "dataset"}')  # an earlier dataset: the run may replace it
    assert_one_line_error(runner.invoke(app, ["dataset", "--input", str(bad_files["invalid_json"]), "--out", str(out)]),
                    "invalid JSON")
    assert (out / "keep.txt").read_text() == "old"


def test_generate_validate_dataset_round_trip(tmp_path):
    assert runner.invoke(app, ["generate", "--n", "60", "--seed", "4", "--out", str(tmp_path / "g")]).exit_code == 0
    res = runner.invoke(app, ["validate", str(tmp_path / "g" / "contacts.jsonl")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["validate", str(tmp_path / "g" / "gold_forms.jsonl"), "--kind", "forms"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["dataset", "--input", str(tmp_path / "g" / "contacts.jsonl"), "--out", str(tmp_path / "ds")])
    assert res.exit_code == 0, res.output
    from childx_research.datasets_io import load_dataset_dict

    dd = load_dataset_dict(tmp_path / "ds")
    assert sum(len(v) for v in dd.values()) == 60
    assert sorted(p.name for p in (tmp_path / "ds" / "parquet").iterdir()) == ["test.parquet", "train.parquet", "validation.parquet"]


def test_python_dash_m_entry_point():
    res = subprocess.run([sys.executable, "-m", "childx_research", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "generate" in res.stdout


def _labelled_file(path, n=3):
    """Hand-labelled conversations (written for the test) as `childx demo --dev` reads them."""
    from childx_research.forms import load_form

    form = load_form()
    gold = {f.key: f.option_keys[-1] if f.kind == "single" else [f.option_keys[-1]] for f in form.choice_fields}
    gold.update({"alder": "16_17", "akut_risk": "nej", "sammanfattning": ""})
    rows = [{"id": f"h{i}", "messages": [{"role": "stodsokande", "text": f"hej jag är 16 och undrar en sak {i}"},
                                         {"role": "stodperson", "text": "Hej! Berätta gärna mer."}], "gold": gold}
            for i in range(n)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_demo_checks_its_dev_files_before_any_work(tmp_path):
    out = tmp_path / "demo"
    assert_one_line_error(runner.invoke(app, ["demo", "--out", str(out), "--dev", str(tmp_path / "nope.jsonl")]),
                          "nope.jsonl", "file not found")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "messages": [{"role": "stodsokande", "text": "hemligt"}]}\n', encoding="utf-8")
    res = runner.invoke(app, ["demo", "--out", str(out), "--dev", str(bad)])
    assert_one_line_error(res, "bad.jsonl:1", "gold")
    assert "hemligt" not in res.output and not out.exists()


@pytest.mark.slow
def test_demo_runs_on_small_data(tmp_path):
    dev = _labelled_file(tmp_path / "handskrivna.jsonl")
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--n", "200", "--dev", str(dev)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "demo" / "generated" / "contacts.jsonl").exists()
    assert (tmp_path / "demo" / "dataset" / "arrow").exists()
    # the chosen model measured on the hand-labelled file: printed and written (figures only)
    assert "Modellen på handskrivna kontakter" in res.output and "handskrivna.jsonl (3)" in res.output
    figures = json.loads((tmp_path / "demo" / "handskrivna.json").read_text(encoding="utf-8"))
    assert figures[0]["contacts"] == 3 and 0 <= figures[0]["mean_macro_f1"] <= 1
    assert "undrar en sak" not in (tmp_path / "demo" / "handskrivna.json").read_text(encoding="utf-8")
