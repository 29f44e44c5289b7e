"""Issue 12, replayed: commands never destroy data, every bad input gets one line and exit 2,
and no error or report carries a value from the data.

Each case of the issue is one parametrised test case below (``test_bad_input_one_line``,
``test_never_destroys_input``, ``test_no_value_in_errors``) or one named test (kills in
mid-write with a real SIGKILL, stale temporary files). Everything runs on data generated
here; nothing needs ``../shared``. The secrets below are invented for these tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_support import assert_one_line_error
from typer.testing import CliRunner

from childx_research.cli import app
from childx_research.records import OUTPUT_MARKER, atomic_open, clean_stale_temp, replace_dir, temp_dir_for

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
FAST = {"baseline": {"max_features_word": 3000, "max_features_char": 6000, "n_jobs": 1}}
SECRET = "Zelmira Quistgaard 0739-88 21 07"  # invented; must never appear in an error or report


def _dead_pid() -> int:
    """The id of a process that has exited (a stand-in for a killed run's temp names)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden_temp(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != OUTPUT_MARKER)


def _run_child(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True)


# --- data ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Generated contacts plus one bad file per case, all in one folder."""
    from childx_research.generate import generate_to_dir

    d = tmp_path_factory.mktemp("rel")
    paths = generate_to_dir(n=30, seed=5, out_dir=d / "gen")
    f: dict[str, Path] = {k: Path(v) for k, v in paths.items()}
    contacts = _lines(f["contacts"])
    convs = _lines(f["conversations"])
    golds = _lines(f["gold_forms"])

    deep = "[" * 200_000 + "]" * 200_000
    (d / "deep.jsonl").write_text('{"id": "x", "messages": ' + deep + "}\n", encoding="utf-8")
    f["deep"] = d / "deep.jsonl"

    def with_surrogate(row: dict) -> str:
        row = json.loads(json.dumps(row))
        row["messages"][0]["text"] += " SURR"
        return json.dumps(row, ensure_ascii=True).replace(" SURR", "\\ud800")

    f["surrogate_contacts"] = d / "surr_contacts.jsonl"
    f["surrogate_contacts"].write_text(with_surrogate(contacts[0]) + "\n", encoding="utf-8")
    f["surrogate_convs"] = d / "surr_convs.jsonl"
    f["surrogate_convs"].write_text(json.dumps(convs[0]) + "\n" + with_surrogate(convs[1]) + "\n", encoding="utf-8")
    # a valid surrogate pair (an emoji written as two escapes) is text and must pass
    f["pair_convs"] = d / "pair_convs.jsonl"
    f["pair_convs"].write_text(json.dumps(convs[0]).replace('"text": "', '"text": "\\ud83d\\ude00', 1) + "\n",
                               encoding="utf-8")

    f["dup_contacts"] = _write_rows(d / "dup_contacts.jsonl", [contacts[0], contacts[1], {**contacts[2], "id": contacts[0]["id"]}])
    f["dup_convs"] = _write_rows(d / "dup_convs.jsonl", [convs[0], {**convs[1], "id": convs[0]["id"]}])
    f["fc_not_mapping"] = _write_rows(d / "pred_fc.jsonl", [golds[0], {**golds[1], "field_confidence": "hög"}])

    raw = [json.dumps({"id": f"k-{i}", "messages": [{"role": "stodsokande", "text": "hej"}]}).encode() for i in range(3)]
    raw[2] = raw[2].replace(b"hej", b"h\xffj")
    (d / "badbyte.jsonl").write_bytes(b"\n".join(raw) + b"\n")
    f["badbyte"] = d / "badbyte.jsonl"

    cfg = {
        "gen_unknown_option": "labels:\n  pagaende: {okalrt: 0.3}\n",
        "gen_timezone": "timezone: Mars/Olympus\n",
        "gen_weekday": "rhythm:\n  weekday: [1, 2]\n",
        "gen_misspelt": "rhythm:\n  sumer: 0.5\n",
        "gen_duplicate_key": "labels:\n  english: 0.1\n  english: 0.2\n",
        "train_C": f"extends: {ROOT / 'training' / 'configs' / 'baseline.yaml'}\nbaseline: {{C: \"mycket\"}}\n",
        "train_misspelt": f"extends: {ROOT / 'training' / 'configs' / 'baseline.yaml'}\nbaselin: {{C: 2}}\n",
        "train_duplicate_key": "family: baseline\nseed: 1\nseed: 2\n",
    }
    for name, text in cfg.items():
        (d / f"{name}.yaml").write_text(text, encoding="utf-8")
        f[name] = d / f"{name}.yaml"
    from childx_research.forms import FORMS_DIR

    form_text = (FORMS_DIR / "exempel-mini.yaml").read_text(encoding="utf-8")
    (d / "dup_form.yaml").write_text(form_text.replace("\ntitle:", "\nid: annan\ntitle:", 1), encoding="utf-8")
    f["dup_form"] = d / "dup_form.yaml"
    f["dir"] = d
    return f


@pytest.fixture(scope="module")
def model_dir(files):
    """A small baseline model; a killed earlier training run left a hidden folder beside it."""
    from childx_research.modeling.predict import train

    out = files["dir"] / "modell"
    child = _run_child(f"""
        import os, signal
        from childx_research.records import temp_dir_for
        tmp = temp_dir_for({str(out)!r})
        (tmp / "baseline.joblib").write_bytes(b"x" * 100_000)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert child.returncode == -signal.SIGKILL
    assert [p for p in out.parent.iterdir() if p.name.startswith(".modell.")], "the killed run left its folder"
    train("baseline", out, data=files["contacts"], overrides=FAST, log=lambda m: None,
          allow_unsealed=True)  # generated contacts: no one's data
    return out


# --- every bad input: one line, exit 2 ----------------------------------------------------

BAD_INPUT = [
    # JSON nested 200,000 deep, in every reader and in push
    ("deep-validate", ["validate", "{deep}"], ["deep.jsonl:1", "nested too deeply"]),
    ("deep-validate-conversations", ["validate", "{deep}", "--kind", "conversations"], ["nested too deeply"]),
    ("deep-validate-forms", ["validate", "{deep}", "--kind", "forms"], ["nested too deeply"]),
    ("deep-dataset", ["dataset", "--input", "{deep}", "--out", "{tmp}/ds"], ["nested too deeply"]),
    ("deep-anonymize", ["anonymize", "--input", "{deep}", "--output", "{tmp}/a.jsonl"], ["nested too deeply"]),
    ("deep-predict", ["predict", "--model", "{model}", "--input", "{deep}", "--output", "{tmp}/p.jsonl"],
     ["nested too deeply"]),
    ("deep-evaluate-gold", ["evaluate", "--gold", "{deep}", "--pred", "{gold_forms}", "--out", "{tmp}/ev"],
     ["nested too deeply"]),
    ("deep-evaluate-pred", ["evaluate", "--gold", "{gold_forms}", "--pred", "{deep}", "--out", "{tmp}/ev"],
     ["nested too deeply"]),
    ("deep-trends", ["trends", "--input", "{deep}", "--out", "{tmp}/tr"], ["nested too deeply"]),
    ("deep-report-forms", ["report", "--forms", "{deep}", "--out", "{tmp}/rp"], ["nested too deeply"]),
    ("deep-report-conversations", ["report", "--forms", "{gold_forms}", "--conversations", "{deep}",
                                   "--out", "{tmp}/rp"], ["nested too deeply"]),
    ("deep-push", ["annotate", "serve", "--push", "{deep}", "--no-wait", "--data-dir", "{tmp}/ls"],
     ["nested too deeply"]),
    # a lone \ud800 escape: refused on reading (it used to fail while writing)
    ("surrogate-dataset", ["dataset", "--input", "{surrogate_contacts}", "--out", "{tmp}/ds"],
     ["surr_contacts.jsonl:1", "messages.0.text", "lone surrogate"]),
    ("surrogate-anonymize", ["anonymize", "--input", "{surrogate_convs}", "--output", "{tmp}/a.jsonl"],
     ["surr_convs.jsonl:2", "lone surrogate"]),
    ("surrogate-predict", ["predict", "--model", "{model}", "--input", "{surrogate_convs}", "--output",
                           "{tmp}/p.jsonl"], ["surr_convs.jsonl:2", "lone surrogate"]),
    # field_confidence that is not a mapping
    ("field-confidence", ["evaluate", "--gold", "{gold_forms}", "--pred", "{fc_not_mapping}", "--out", "{tmp}/ev"],
     ["pred_fc.jsonl:2", "field_confidence"]),
    # a truncated model file
    ("truncated-model", ["predict", "--model", "{truncated_model}", "--input", "{conversations}", "--output",
                         "{tmp}/p.jsonl"], ["damaged model folder"]),
    # generator configs
    ("gen-unknown-option", ["generate", "--n", "5", "--config", "{gen_unknown_option}", "--out", "{tmp}/g"],
     ["labels.pagaende.okalrt", "not one of the options"]),
    ("gen-timezone", ["generate", "--n", "5", "--config", "{gen_timezone}", "--out", "{tmp}/g"],
     ["timezone", "not a known time zone"]),
    ("gen-weekday", ["generate", "--n", "5", "--config", "{gen_weekday}", "--out", "{tmp}/g"],
     ["rhythm.weekday", "at least 7"]),
    ("gen-misspelt-key", ["generate", "--n", "5", "--config", "{gen_misspelt}", "--out", "{tmp}/g"],
     ["rhythm.sumer", "unknown key"]),
    ("gen-duplicate-key", ["generate", "--n", "5", "--config", "{gen_duplicate_key}", "--out", "{tmp}/g"],
     ["gen_duplicate_key.yaml:3", "given twice"]),
    # training configs
    ("train-C", ["train", "--config", "{train_C}", "--out", "{tmp}/m"], ["baseline.C", "valid number"]),
    ("train-misspelt-section", ["train", "--config", "{train_misspelt}", "--out", "{tmp}/m"], ["baselin", "unknown key"]),
    ("train-duplicate-key", ["train", "--config", "{train_duplicate_key}", "--out", "{tmp}/m"], [":3", "given twice"]),
    # a form YAML with a key given twice
    ("form-duplicate-key", ["validate", "{contacts}", "--form", "{dup_form}"], ["dup_form.yaml", "given twice"]),
    # usage errors, in the same one-line format
    ("usage-n-0", ["generate", "--n", "0", "--out", "{tmp}/g"], ["--n", "childx generate --help"]),
    ("usage-unknown-option", ["dataset", "--inptu", "x"], ["No such option"]),
    ("usage-missing-option", ["dataset", "--input", "{contacts}"], ["Missing option '--out'"]),
    ("usage-port", ["annotate", "serve", "--port", "0"], ["--port"]),
    # an invalid byte on line 3 is reported on line 3
    ("invalid-byte-line-3", ["validate", "{badbyte}", "--kind", "conversations"], ["badbyte.jsonl:3:", "not UTF-8"]),
    # a newline in a path does not split the error line
    ("newline-in-path", ["validate", "{tmp}/ny\nrad.jsonl"], ["ny\\nrad.jsonl", "file not found"]),
    # duplicate conversation ids
    ("dup-dataset", ["dataset", "--input", "{dup_contacts}", "--out", "{tmp}/ds"],
     ["dup_contacts.jsonl:3", "duplicate id", "line 1"]),
    ("dup-anonymize", ["anonymize", "--input", "{dup_convs}", "--output", "{tmp}/a.jsonl"],
     ["dup_convs.jsonl:2", "duplicate id"]),
    ("dup-report-conversations", ["report", "--forms", "{gold_forms}", "--conversations", "{dup_convs}",
                                  "--out", "{tmp}/rp"], ["dup_convs.jsonl:2", "duplicate id"]),
    ("dup-push", ["annotate", "serve", "--push", "{dup_convs}", "--no-wait", "--data-dir", "{tmp}/ls"],
     ["dup_convs.jsonl", "duplicate"]),
]


@pytest.fixture(scope="module")
def truncated_model(model_dir, files):
    import shutil

    bad = files["dir"] / "trasig-modell"
    shutil.copytree(model_dir, bad)
    model_file = next(p for p in bad.iterdir() if p.name.startswith("baseline."))
    model_file.write_bytes(model_file.read_bytes()[: model_file.stat().st_size // 3])
    return bad


def _fill(args: list[str], values: dict[str, Path]) -> list[str]:
    return [a.format(**{k: str(v) for k, v in values.items()}) for a in args]


@pytest.mark.parametrize("case, args, needles", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_one_line(case, args, needles, files, tmp_path, request):
    values = {**files, "tmp": tmp_path}
    if any("{model}" in a for a in args):
        values["model"] = request.getfixturevalue("model_dir")
    if any("{truncated_model}" in a for a in args):
        values["truncated_model"] = request.getfixturevalue("truncated_model")
    res = runner.invoke(app, _fill(args, values))
    assert_one_line_error(res, *needles)
    assert "Traceback" not in res.output
    # nothing was written where the failed command would have written
    for name in ("ds", "a.jsonl", "p.jsonl", "ev", "tr", "rp", "g", "m"):
        assert not (tmp_path / name).exists(), name


def test_a_valid_surrogate_pair_is_text(files, tmp_path):
    res = runner.invoke(app, ["validate", str(files["pair_convs"]), "--kind", "conversations"])
    assert res.exit_code == 0, res.output


def test_shipped_configs_still_validate():
    from childx_research.generate import load_config as load_generator_config
    from childx_research.modeling.config import load_config

    for path in sorted((ROOT / "training" / "configs").glob("*.yaml")):
        if path.name != "defaults.yaml":
            load_config(path)
    load_generator_config(None)


# --- commands never destroy their input ---------------------------------------------------

NEVER_DESTROY = [
    ("dataset-out-is-input", ["dataset", "--input", "{contacts}", "--out", "{contacts}"], "contacts",
     ["must not be the input"]),
    ("dataset-out-holds-input", ["dataset", "--input", "{contacts}", "--out", "{gen}"], "contacts",
     ["must not be a folder that holds the input"]),
    ("dataset-out-dot", ["dataset", "--input", "{contacts}", "--out", "."], "contacts", ["--out"]),
    ("anonymize-report-is-input", ["anonymize", "--input", "{conversations}", "--output", "{tmp}/a.jsonl",
                                   "--report", "{conversations}"], "conversations", ["--report must not be the input"]),
    ("anonymize-output-is-input", ["anonymize", "--input", "{conversations}", "--output", "{conversations}"],
     "conversations", ["--output must not be the input"]),
    ("predict-output-is-input", ["predict", "--model", "{model}", "--input", "{conversations}", "--output",
                                 "{conversations}"], "conversations", ["--output must not be the input"]),
    ("dataset-foreign-folder", ["dataset", "--input", "{contacts}", "--out", "{foreign}"], "foreign_file",
     ["not an earlier output of `childx dataset`"]),
    ("generate-foreign-folder", ["generate", "--n", "5", "--out", "{foreign}"], "foreign_file",
     ["not an earlier output of `childx generate`"]),
    ("trends-foreign-folder", ["trends", "--input", "{gold_forms}", "--out", "{foreign}"], "foreign_file",
     ["not an earlier output of `childx trends`"]),
    ("trends-out-holds-input", ["trends", "--input", "{gold_forms}", "--out", "{gen}"], "gold_forms",
     ["must not be a folder that holds the input"]),
    ("evaluate-foreign-folder", ["evaluate", "--gold", "{gold_forms}", "--pred", "{gold_forms}", "--out", "{foreign}"],
     "foreign_file", ["not an earlier output of `childx evaluate`"]),
    ("train-out-holds-data", ["train", "--config", "baseline", "--data", "{contacts}", "--out", "{gen}"], "contacts",
     ["must not be a folder that holds the input"]),
    ("train-foreign-folder", ["train", "--config", "baseline", "--data", "{contacts}", "--out", "{foreign}"],
     "foreign_file", ["not a model folder"]),
]


@pytest.mark.parametrize("case, args, guarded, needles", NEVER_DESTROY, ids=[c[0] for c in NEVER_DESTROY])
def test_never_destroys_input(case, args, guarded, needles, files, tmp_path, request, monkeypatch):
    foreign = tmp_path / "mina-filer"
    foreign.mkdir()
    (foreign / "anteckningar.txt").write_text("mitt eget", encoding="utf-8")
    values = {**files, "tmp": tmp_path, "gen": files["contacts"].parent, "foreign": foreign}
    if any("{model}" in a for a in args):
        values["model"] = request.getfixturevalue("model_dir")
    guarded_path = foreign / "anteckningar.txt" if guarded == "foreign_file" else files[guarded]
    before = guarded_path.read_bytes()
    folder_before = _digest(guarded_path.parent)
    monkeypatch.chdir(files["contacts"].parent)  # so that "." holds the input
    res = runner.invoke(app, _fill(args, values))
    assert_one_line_error(res, *needles)
    assert guarded_path.read_bytes() == before
    assert _digest(guarded_path.parent) == folder_before


def test_a_command_may_write_over_its_own_earlier_output(files, tmp_path):
    for _ in range(2):
        res = runner.invoke(app, ["generate", "--n", "5", "--out", str(tmp_path / "g")])
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["trends", "--input", str(files["gold_forms"]), "--out", str(tmp_path / "t"),
                                  "--no-charts"])
        assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "g" / OUTPUT_MARKER).read_text())["command"] == "generate"


def test_earlier_output_is_replaced_whole_and_stale_files_go(files, tmp_path):
    out = tmp_path / "ds"
    for seed in ("1", "2"):
        res = runner.invoke(app, ["dataset", "--input", str(files["contacts"]), "--out", str(out), "--seed", seed])
        assert res.exit_code == 0, res.output
        (out / "gammal.txt").write_text("från förra körningen", encoding="utf-8")
    res = runner.invoke(app, ["dataset", "--input", str(files["contacts"]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert not (out / "gammal.txt").exists()
    assert json.loads((out / OUTPUT_MARKER).read_text())["command"] == "dataset"
    assert _hidden_temp(tmp_path) == []


# --- no personal data in errors or reports --------------------------------------------------


def _secret_cases(files, d: Path) -> dict[str, tuple[list[str], list[str]]]:
    contacts = _lines(files["contacts"])
    golds = _lines(files["gold_forms"])
    c0 = contacts[0]
    rows = {
        "option": ({**c0, "gold": {**c0["gold"], "pagaende": SECRET}}, ["gold.pagaende", "not one of the form's options"]),
        "multi-option": ({**c0, "gold": {**c0["gold"], "utsatthet": [SECRET]}}, ["gold.utsatthet", "not one of"]),
        "timestamp": ({**c0, "started_at": SECRET}, ["started_at", "not an ISO 8601 timestamp"]),
        "unknown-key": ({**c0, "gold": {**c0["gold"], SECRET: "ja"}}, ["gold", "not one of the fields"]),
    }
    cases: dict[str, tuple[list[str], list[str]]] = {}
    for name, (row, needles) in rows.items():
        p = _write_rows(d / f"{name}.jsonl", [contacts[1], row])
        cases[f"contacts-{name}"] = (["validate", str(p)], [":2:", *needles])
        cases[f"dataset-{name}"] = (["dataset", "--input", str(p), "--out", str(d / "ds")], [":2:", *needles])
    dup = _write_rows(d / "dup-id.jsonl", [{**contacts[0], "id": SECRET}, contacts[1], {**contacts[2], "id": SECRET}])
    cases["duplicate-id"] = (["validate", str(dup)], [":3:", "duplicate id"])
    dup_forms = _write_rows(d / "dup-forms.jsonl", [{**golds[0], "id": SECRET}, {**golds[1], "id": SECRET}])
    cases["duplicate-id-trends"] = (["trends", "--input", str(dup_forms), "--out", str(d / "tr")], [":2:", "duplicate id"])
    cases["duplicate-id-evaluate"] = (["evaluate", "--gold", str(files["gold_forms"]), "--pred", str(dup_forms),
                                       "--out", str(d / "ev")], [":2:", "duplicate id"])
    bad_ts = _write_rows(d / "bad-ts-forms.jsonl", [golds[0], {**golds[1], "started_at": SECRET}])
    cases["timestamp-report"] = (["report", "--forms", str(bad_ts), "--out", str(d / "rp")], [":2:", "started_at"])
    return cases


SECRET_CASES = ["contacts-option", "dataset-option", "contacts-multi-option", "dataset-multi-option",
                "contacts-timestamp", "dataset-timestamp", "contacts-unknown-key", "dataset-unknown-key",
                "duplicate-id", "duplicate-id-trends", "duplicate-id-evaluate", "timestamp-report"]


@pytest.mark.parametrize("case", SECRET_CASES)
def test_no_value_in_errors(case, files, tmp_path):
    args, needles = _secret_cases(files, tmp_path)[case]
    res = runner.invoke(app, args)
    assert_one_line_error(res, *needles)
    for part in (SECRET, "Zelmira", "Quistgaard", "0739"):
        assert part not in res.output


def test_anonymize_report_holds_counts_only(files, tmp_path):
    convs = _lines(files["conversations"])
    src = _write_rows(tmp_path / "in.jsonl", [{**convs[0], "Zelmira_Quistgaard": {"x": 1}},
                                              {**convs[1], "messages": [{**convs[1]["messages"][0], "Zelmira": 1}]}])
    out = tmp_path / "anon.jsonl"
    res = runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out)])
    assert res.exit_code == 0, res.output
    report = (tmp_path / "anon.report.json").read_text(encoding="utf-8")
    assert "Zelmira" not in report and "Quistgaard" not in report
    assert json.loads(report)["dropped_keys"] == {"distinct": 2, "occurrences": 2}
    assert "Zelmira" not in out.read_text(encoding="utf-8")


# --- killed in mid-write ----------------------------------------------------------------------


def test_killed_anonymize_leaves_no_temp_after_next_run(files, tmp_path):
    out = tmp_path / "anon.jsonl"
    out.write_text("förra körningens utdata\n", encoding="utf-8")
    child = _run_child(f"""
        import os, signal
        from childx_research.records import atomic_open
        with atomic_open({str(out)!r}) as fh:
            fh.write("halv" * 4_000_000)
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert child.returncode == -signal.SIGKILL
    assert out.read_text(encoding="utf-8") == "förra körningens utdata\n"  # the old output is whole
    assert len([n for n in _hidden_temp(tmp_path) if n.startswith(".anon.jsonl.")]) == 1  # and the temp is left
    res = runner.invoke(app, ["anonymize", "--input", str(files["conversations"]), "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert _hidden_temp(tmp_path) == []
    assert len(_lines(out)) == 30


def test_killed_train_leaves_no_temp_after_next_run(model_dir):
    assert [p.name for p in model_dir.parent.iterdir() if p.name.startswith(".modell.")] == []
    assert (model_dir / "childx_model.json").exists()


def test_temp_of_a_live_run_is_left_alone(tmp_path):
    live = tmp_path / f".ut.jsonl.{os.getpid()}.abc123.tmp"
    dead = tmp_path / f".ut.jsonl.{_dead_pid()}.abc123.tmp"
    other = tmp_path / f".annat.jsonl.{_dead_pid()}.abc123.tmp"
    for p in (live, dead, other):
        p.write_text("x")
    assert clean_stale_temp(tmp_path, "ut.jsonl") == 1
    assert live.exists() and not dead.exists() and other.exists()


def test_replace_dir_swaps_whole_folders(tmp_path):
    out = tmp_path / "ut"
    out.mkdir()
    (out / "gammal.csv").write_text("old")
    tmp = temp_dir_for(out)
    (tmp / "ny.csv").write_text("new")
    replace_dir(tmp, out)
    assert sorted(p.name for p in out.iterdir()) == ["ny.csv"]
    assert _hidden_temp(tmp_path) == []
    # a run killed between the two renames of the fallback (no folder, the old one aside) is repaired
    out.rename(tmp_path / ".ut.old")
    tmp = temp_dir_for(out)
    (tmp / "nyare.csv").write_text("newer")
    replace_dir(tmp, out)
    assert sorted(p.name for p in out.iterdir()) == ["nyare.csv"] and _hidden_temp(tmp_path) == []


PULL_CHILD = """
import json, os, signal, sys
from types import SimpleNamespace
from childx_research.forms import load_form
from childx_research.annotate import tasks as T

form = load_form()
exported = json.load(open(sys.argv[1], encoding="utf-8"))
title = T.project_title(form)
# Label Studio's export, served from a file (the pull's only call to the server)
client = SimpleNamespace(projects=SimpleNamespace(
    list=lambda: [SimpleNamespace(id=1, title=title)], exports=SimpleNamespace(as_json=lambda pid: exported)))
if sys.argv[3] == "kill":
    real = T.write_jsonl
    def write_then_die(path, items):
        n = real(path, items)
        if os.path.basename(path) == "forms.jsonl":  # annotations and forms written, the dataset not yet
            os.kill(os.getpid(), signal.SIGKILL)
        return n
    T.write_jsonl = write_then_die
T.pull(client, form, sys.argv[2], seed=0)
"""


def _export(files, tmp_path: Path, n: int) -> Path:
    """Tasks as Label Studio exports them, built with the package's own task and result
    converters from generated (already anonymised-looking) conversations and gold forms."""
    from childx_research.annotate.config import task_data
    from childx_research.annotate.results import prediction_result
    from childx_research.forms import load_form
    from childx_research.records import read_contacts

    form = load_form()
    tasks = []
    for i, c in enumerate(read_contacts(files["contacts"], form)[:n], start=1):
        tasks.append({"id": i, "data": task_data(c.conversation(), form),
                      "annotations": [{"id": 100 + i, "completed_by": 1, "lead_time": 30.0,
                                       "result": prediction_result(form, c.gold)}]})
    path = tmp_path / f"export-{n}.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def test_killed_pull_leaves_the_earlier_pull_whole(files, tmp_path):
    out = tmp_path / "annotations"
    env = {**os.environ, "PYTHONPATH": str(SRC)}

    def pull(export: Path, mode: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", PULL_CHILD, str(export), str(out), mode], env=env,
                              capture_output=True, text=True)

    first = pull(_export(files, tmp_path, 12), "ok")
    assert first.returncode == 0, first.stderr[-2000:]
    assert json.loads((out / "pull.json").read_text())["counts"]["conversations"] == 12
    (out / "gammal.csv").write_text("från förra körningen")
    before = _digest(out)

    killed = pull(_export(files, tmp_path, 20), "kill")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert _digest(out) == before  # not one new file beside the old ones
    assert any(n.startswith(".annotations.") for n in _hidden_temp(tmp_path))

    again = pull(_export(files, tmp_path, 20), "ok")
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((out / "pull.json").read_text())["counts"]["conversations"] == 20
    assert len(_lines(out / "forms.jsonl")) == 20
    assert not (out / "gammal.csv").exists()  # no stale file from an earlier run
    assert [n for n in _hidden_temp(tmp_path) if n.startswith(".annotations.")] == []


def test_pull_refuses_a_foreign_folder(files, tmp_path):
    out = tmp_path / "mina-filer"
    out.mkdir()
    (out / "anteckningar.txt").write_text("mitt eget")
    res = subprocess.run([sys.executable, "-c", PULL_CHILD, str(_export(files, tmp_path, 3)), str(out), "ok"],
                         env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, text=True)
    assert res.returncode != 0 and "not an earlier output of `childx annotate pull`" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["anteckningar.txt"]
