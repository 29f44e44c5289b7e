"""Every notebook runs top to bottom on small parameters in a real Jupyter kernel,
and no notebook is committed with outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Small parameters per notebook; every notebook takes `n`, `seed` and `out_dir`.
SMALL = {"n": 120, "seed": 3}


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name} has outputs"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    import papermill as pm

    monkeypatch.setenv("MPLBACKEND", "Agg")
    out = tmp_path / path.name
    pm.execute_notebook(
        str(path), str(out), parameters={**SMALL, "out_dir": str(tmp_path / "out")},
        kernel_name="python3", cwd=str(path.parent), progress_bar=False, request_save_on_cell_execute=False,
    )
    executed = json.loads(out.read_text(encoding="utf-8"))
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
