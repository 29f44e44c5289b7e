"""No committed file repeats a seven-word run of the hand-written dev sets (evaluation/dev_overlap.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "evaluation" / "dev_overlap.py"


def _run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=cwd, capture_output=True, text=True)


def _files(tmp_path, dev_text, bank_text):
    """A one-message dev set and a phrase bank, written for the test."""
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps({"id": "x", "messages": [{"role": "stodsokande", "text": dev_text}]},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    bank = tmp_path / "bank.yaml"
    bank.write_text(bank_text, encoding="utf-8")
    return dev, bank


def test_the_checker_finds_a_copied_run_through_alternatives_and_slots(tmp_path):
    dev, bank = _files(tmp_path, "Igår cyklade vi långt bort till sjön vid skogen och badade.",
                       '- "Igår [gick|cyklade] vi långt bort till sjön vid {plats}"\n'
                       '- "Igår cyklade vi långt bort, sen till sjön vid skogen"\n')
    done = _run("--dev", dev, bank)
    assert done.returncode == 1
    assert "bank.yaml:1: cyklade vi långt bort till sjön vid" in done.stdout.replace(str(tmp_path) + "/", "")
    assert "bank.yaml:2:" not in done.stdout        # the run is broken after five words
    clean = tmp_path / "clean.yaml"
    clean.write_text('- "Något helt annat som ingen har skrivit förut i den här filen"\n', encoding="utf-8")
    assert _run("--dev", dev, clean).returncode == 0


def test_the_checker_finds_a_run_that_crosses_a_line_break(tmp_path):
    """One phrase's end and the next one's start can together repeat a dev-set run."""
    dev, bank = _files(tmp_path, "vi cyklade till sjön. Sen badade vi hela dagen.",
                       '- "vi cyklade till sjön"\n- "sen badade vi länge"\n')
    done = _run("--dev", dev, bank)
    assert done.returncode == 1 and "bank.yaml:1: vi cyklade till sjön sen badade vi" in \
        done.stdout.replace(str(tmp_path) + "/", "")


def test_no_file_of_the_repository_repeats_the_dev_sets():
    sys.path.insert(0, str(ROOT / "evaluation"))
    try:
        import dev_overlap
    finally:
        sys.path.pop(0)
    if not dev_overlap.default_dev_paths():
        pytest.skip("the dev sets (../shared/data) are not beside this checkout")
    done = _run()
    assert done.returncode == 0, done.stdout[-3000:]
