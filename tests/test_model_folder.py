"""Safe model folders (issue 12, part 5): the baseline is a skops file and the transformer
safetensors, so loading never runs code from the folder; `childx predict` verifies the
folder against the digests `childx train` wrote and refuses, with one line, a pickle, a
file with a type a baseline never holds, and a changed, missing or added file."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest
from cli_support import assert_one_line_error
from typer.testing import CliRunner

from childx_research.cli import app
from childx_research.modeling.folder import file_digests
from childx_research.modeling.predict import MODEL_FILE

runner = CliRunner()


@pytest.fixture(scope="module")
def work(tmp_path_factory, generated_small):
    from childx_research.modeling import train
    from childx_research.records import write_jsonl

    d = tmp_path_factory.mktemp("folder")
    train("baseline", d / "model", overrides={"data": {"generate": {"n": 120, "seed": 4}},
                                              "baseline": {"max_features_word": 3000, "max_features_char": 6000,
                                                           "n_jobs": 1}}, log=lambda m: None)
    convs = d / "convs.jsonl"
    write_jsonl(convs, (c.conversation() for c in generated_small.contacts[:5]))
    return {"dir": d, "model": d / "model", "convs": convs}


def _copy(work, name):
    dst = work["dir"] / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(work["model"], dst)
    return dst


def _reseal(folder):
    """Rewrite the digests as if training had written the folder's current files."""
    meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    meta["files"] = file_digests(folder, MODEL_FILE)
    (folder / MODEL_FILE).write_text(json.dumps(meta), encoding="utf-8")


def _predict(work, folder):
    out = work["dir"] / f"{folder.name}.jsonl"
    return runner.invoke(app, ["predict", "--model", str(folder), "--input", str(work["convs"]),
                               "--output", str(out)]), out


def test_the_folder_holds_no_pickle_and_digests_everything_loading_reads(work):
    names = {p.name for p in work["model"].iterdir()}
    assert "baseline.skops" in names and not any(n.endswith((".joblib", ".pkl", ".bin")) for n in names)
    meta = json.loads((work["model"] / MODEL_FILE).read_text(encoding="utf-8"))
    # the evidence rules, their learned combination and the summary's wording are read too
    assert set(meta["files"]) == {"baseline.skops", "form.yaml", "config.yaml", "calibration.json",
                                  "form.evidence.yaml", "stacking.json", "form.summary.yaml"}
    res, out = _predict(work, work["model"])
    assert res.exit_code == 0, res.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5


class _RunsCode:
    def __reduce__(self):
        import os

        return (os.system, ("touch ran-code-from-a-model-file",))


def test_a_pickled_baseline_is_never_loaded(work, tmp_path, monkeypatch):
    """A crafted baseline.joblib (as earlier versions wrote) would run code when unpickled."""
    monkeypatch.chdir(tmp_path)
    bad = _copy(work, "pickled")
    (bad / "baseline.skops").unlink()
    (bad / "baseline.joblib").write_bytes(pickle.dumps({"heads": _RunsCode()}))
    _reseal(bad)
    res, out = _predict(work, bad)
    assert_one_line_error(res, "pickle", "train the model again")
    assert not (tmp_path / "ran-code-from-a-model-file").exists() and not out.exists()


def test_a_type_a_baseline_never_holds_is_refused(work, tmp_path, monkeypatch):
    import skops.io as sio

    monkeypatch.chdir(tmp_path)
    bad = _copy(work, "foreign")
    sio.dump({"vectorizer": None, "heads": {"x": __import__("fractions").Fraction(1, 3)},
              "columns": {"x": np.arange(3)}, "windows": None}, bad / "baseline.skops")
    _reseal(bad)
    res, out = _predict(work, bad)
    assert_one_line_error(res, "type(s) that a baseline model never holds")
    assert not out.exists()


@pytest.mark.parametrize("case", ["changed", "added", "missing", "no-digests"])
def test_a_folder_training_did_not_write_is_refused(work, case):
    bad = _copy(work, case)
    if case == "changed":
        cal = json.loads((bad / "calibration.json").read_text(encoding="utf-8"))
        (bad / "calibration.json").write_text(json.dumps(cal) + " ", encoding="utf-8")
        needle = "differ from the digests"
    elif case == "added":
        (bad / "pytorch_model.bin").write_bytes(b"\0" * 10)
        needle = "not written by childx train"
    elif case == "missing":
        (bad / "config.yaml").unlink()
        needle = "missing"
    else:
        meta = json.loads((bad / MODEL_FILE).read_text(encoding="utf-8"))
        del meta["files"]
        (bad / MODEL_FILE).write_text(json.dumps(meta), encoding="utf-8")
        needle = "no file digests"
    res, out = _predict(work, bad)
    assert_one_line_error(res, needle)
    assert not out.exists()


def test_documentation_files_may_be_edited(work):
    ok = _copy(work, "edited-card")
    (ok / "model_card.md").write_text("# Modellkort\n\nKommentar från granskaren.\n", encoding="utf-8")
    res, _ = _predict(work, ok)
    assert res.exit_code == 0, res.output
