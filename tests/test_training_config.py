"""The training stage: typed config, the alarm option declared in the form, the summary's
wording beside the form (issue 10, part 5)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from childx_research.errors import InputError
from childx_research.forms import FORMS_DIR, load_form
from childx_research.modeling.config import alarms_for, load_config

SRC = Path(__file__).resolve().parents[1] / "src"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.yaml"
    p.write_text(f"extends: {(FORMS_DIR.parents[1] / 'training' / 'configs' / 'baseline.yaml').as_posix()}\n"
                 + text, encoding="utf-8")
    return p


def test_the_alarm_is_declared_in_the_form():
    form = load_form()
    assert form.alarm_options == [("akut_risk", "ja")]
    assert load_form(FORMS_DIR / "exempel-mini.yaml").alarm_options == []
    # without a config the form's alarm options, recall first
    assert alarms_for(form) == [{"field": "akut_risk", "option": "ja", "recall": 1.0, "margin": 1.0}]
    # the config tunes every alarm, or one
    cfg = {"calibration": {"alarm": {"margin": 0.8}, "alarms": [{"field": "akut_risk", "option": "ja", "recall": 0.9}]}}
    assert alarms_for(form, cfg) == [{"field": "akut_risk", "option": "ja", "recall": 0.9, "margin": 0.8}]


@pytest.mark.parametrize("entry, key", [
    ("{field: akut-risk}", "calibration.alarms[0].option"),            # misspelt, and the option is missing
    ("{field: akut-risk, option: ja}", "calibration.alarms[0].field"),  # a field the form does not have
    ("{field: akut_risk, option: jaa}", "calibration.alarms[0].option"),
    ("{field: kon, option: tjej}", "calibration.alarms[0].option"),     # not an alarm option
    ("{field: akut_risk, option: ja, recal: 1.0}", "calibration.alarms[0].recal"),
])
def test_a_misspelt_alarm_is_an_error_not_a_lost_alarm(tmp_path, entry, key):
    p = _write(tmp_path, f"calibration:\n  alarms:\n    - {entry}\n")
    with pytest.raises(InputError) as exc:
        load_config(p)
    assert exc.value.key == key
    assert exc.value.path == str(p)


def test_a_misspelt_section_key_is_one_line_from_the_cli(tmp_path):
    p = _write(tmp_path, "baseline:\n  Cc: 2.0\n")
    res = subprocess.run([sys.executable, "-m", "childx_research", "train", "--config", str(p),
                          "--out", str(tmp_path / "m")], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 2
    lines = [line for line in (res.stderr + res.stdout).splitlines() if line.strip()]
    assert len(lines) == 1 and "baseline.Cc" in lines[0] and "Traceback" not in res.stderr
    assert not (tmp_path / "m").exists()


def test_the_summary_wording_lives_beside_the_form():
    from childx_research.summary import load_wording, summarise, wording_path

    assert wording_path(FORMS_DIR / "stodklustret-v1.yaml").exists()
    wording = load_wording()
    assert wording["person"]["kon"]["tjej"]
    assert summarise({"kon": "tjej", "alder": "13_15"}).startswith("Tjej 13–15 år")
    assert load_wording(FORMS_DIR / "exempel-mini.yaml") == {}   # a form without wording: no summary
    assert summarise({"kon": "tjej"}, {}) == ""


def test_nothing_imports_upward():
    """evaluation, annotate and summary do not reach into modeling/ or generate/ (the
    annotate command line may call a model: it is a command, not a layer)."""
    root = SRC / "childx_research"
    for rel, banned in [("evaluation.py", ("modeling", "generate")), ("summary.py", ("modeling", "generate")),
                        ("annotate", ("modeling", "generate", "evaluation"))]:
        files = [root / rel] if rel.endswith(".py") else \
            sorted(f for f in (root / rel).rglob("*.py") if f.name != "cli.py")
        for f in files:
            text = f.read_text(encoding="utf-8")
            for b in banned:
                assert f"from .{b}" not in text and f"from ..{b}" not in text, (f.name, b)
