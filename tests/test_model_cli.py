"""`childx train`, `childx predict`, `childx evaluate`: the happy path, and bad input gives
one line, exit code 2, no traceback and no half-written output."""

from __future__ import annotations

import json

import pytest
from cli_support import assert_one_line_error
from typer.testing import CliRunner

from childx_research.cli import app

runner = CliRunner()



@pytest.fixture(scope="module")
def workdir(tmp_path_factory, generated_small):
    """A small config, a contacts file, a trained model, its predictions (via the CLI)."""
    from childx_research.records import write_jsonl

    d = tmp_path_factory.mktemp("cli")
    cfg = d / "small.yaml"
    cfg.write_text("extends: {}\nbaseline: {{max_features_word: 4000, max_features_char: 8000, n_jobs: 1}}\n".format(
        (__import__("childx_research.modeling.config", fromlist=["x"]).CONFIGS_DIR / "baseline.yaml").as_posix()),
        encoding="utf-8")
    contacts = d / "contacts.jsonl"
    write_jsonl(contacts, generated_small.contacts[:150])
    unseen = d / "unseen.jsonl"
    write_jsonl(unseen, (c.conversation() for c in generated_small.contacts[150:]))
    gold = d / "gold.jsonl"
    write_jsonl(gold, (c.form_record() for c in generated_small.contacts[150:]))
    write_jsonl(d / "unseen_contacts.jsonl", generated_small.contacts[150:])
    res = runner.invoke(app, ["train", "--config", str(cfg), "--out", str(d / "model"), "--data", str(contacts),
                              "--allow-unsealed"])  # generated contacts: no one's data, but not sealed
    assert res.exit_code == 0, res.output
    return {"dir": d, "cfg": cfg, "contacts": contacts, "unseen": unseen, "gold": gold, "model": d / "model"}


def test_train_predict_evaluate(workdir, form):
    from childx_research.records import read_form_records

    pred = workdir["dir"] / "pred.jsonl"
    res = runner.invoke(app, ["predict", "--model", str(workdir["model"]), "--input", str(workdir["unseen"]),
                              "--output", str(pred)])
    assert res.exit_code == 0, res.output
    recs = read_form_records(pred, form)
    assert len(recs) == 50 and all(r.confidence for r in recs)
    out = workdir["dir"] / "eval"
    res = runner.invoke(app, ["evaluate", "--gold", str(workdir["gold"]), "--pred", str(pred), "--out", str(out)])
    assert res.exit_code == 0, res.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 50 and 0 <= metrics["mean_macro_f1"] <= 1
    assert (out / "f1_per_falt.png").exists() and (out / "tillforlitlighet.png").exists()
    assert len(list(out.glob("forvaxling_*.png"))) == len(form.single_fields)
    # contacts (conversation + gold) work as gold too
    res = runner.invoke(app, ["evaluate", "--gold", str(workdir["dir"] / "unseen_contacts.jsonl"),
                              "--pred", str(pred), "--out", str(out / "2")])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "2" / "metrics.json").read_text())["exact_match_share"] == metrics["exact_match_share"]
    # a gold id without a prediction
    res = runner.invoke(app, ["evaluate", "--gold", str(workdir["contacts"]), "--pred", str(pred),
                              "--out", str(out / "3")])
    assert_one_line_error(res, "no prediction for the gold record")
    assert not (out / "3").exists()


def test_train_bad_config(tmp_path):
    out = tmp_path / "model"
    assert_one_line_error(runner.invoke(app, ["train", "--config", str(tmp_path / "nope.yaml"), "--out", str(out)]),
                    "config file not found")
    bad = tmp_path / "bad.yaml"
    bad.write_text("family: [baseline\n", encoding="utf-8")
    assert_one_line_error(runner.invoke(app, ["train", "--config", str(bad), "--out", str(out)]), "invalid YAML")
    bad.write_text("family: forest\n", encoding="utf-8")
    assert_one_line_error(runner.invoke(app, ["train", "--config", str(bad), "--out", str(out)]), "family: family must be")
    assert not out.exists()


def test_train_bad_data_leaves_the_old_model(workdir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x",\n', encoding="utf-8")
    before = (workdir["model"] / "calibration.json").read_text()
    res = runner.invoke(app, ["train", "--config", str(workdir["cfg"]), "--out", str(workdir["model"]),
                              "--data", str(bad), "--allow-unsealed"])
    assert_one_line_error(res, str(bad), ":1: invalid JSON")
    assert (workdir["model"] / "calibration.json").read_text() == before
    assert_one_line_error(runner.invoke(app, ["train", "--config", str(workdir["cfg"]), "--out", str(tmp_path / "m"),
                                        "--data", str(tmp_path / "none")]), "data not found")


def test_predict_bad_input(workdir, tmp_path):
    out = tmp_path / "pred.jsonl"
    out.write_text("old\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "c-1", "messages": [{"role": "x", "text": "hej"}]}) + "\n", encoding="utf-8")
    assert_one_line_error(runner.invoke(app, ["predict", "--model", str(workdir["model"]), "--input", str(bad),
                                        "--output", str(out)]), ":1: messages.0.role")
    assert out.read_text() == "old\n"
    assert_one_line_error(runner.invoke(app, ["predict", "--model", str(tmp_path / "nomodel"), "--input",
                                        str(workdir["unseen"]), "--output", str(out)]), "model folder not found")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(runner.invoke(app, ["predict", "--model", str(tmp_path / "empty"), "--input",
                                        str(workdir["unseen"]), "--output", str(out)]), "not a model folder")
    assert out.read_text() == "old\n"


def test_evaluate_bad_input(workdir, tmp_path):
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": "g-000151", "form": {"alder": "99"}}) + "\n", encoding="utf-8")
    out = tmp_path / "eval"
    assert_one_line_error(runner.invoke(app, ["evaluate", "--gold", str(workdir["gold"]), "--pred", str(pred),
                                        "--out", str(out)]), ":1: form.alder")
    assert not out.exists()


def test_train_never_overwrites_a_folder_that_is_not_a_model(workdir, tmp_path):
    other = tmp_path / "documents"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    res = runner.invoke(app, ["train", "--config", str(workdir["cfg"]), "--out", str(other),
                              "--data", str(workdir["contacts"]), "--allow-unsealed"])
    assert_one_line_error(res, "is not a model folder")
    assert (other / "keep.txt").read_text() == "mine"
