"""`childx anonymize`: files in, files out, one-line errors, never a half-written output."""

from __future__ import annotations

import json

import pytest
from cli_support import assert_one_line_error
from typer.testing import CliRunner

from childx_research.cli import app

runner = CliRunner()

CONVS = [
    {"id": "c-1", "organisation": "tjejzonen", "channel": "chatt", "started_at": "2025-03-14T19:02:00+01:00",
     "messages": [{"role": "stodsokande", "text": "hej jag heter emma och bor i mölndal"},
                  {"role": "stodperson", "text": "Hej Emma! Vad fint att du skriver hit."},
                  {"role": "stodsokande", "text": "han har mitt nummer 070-174 06 23 😭"}]},
    {"id": "c-2", "channel": "mejl",
     "messages": [{"role": "stodsokande", "text": "Hej.\n\nJag heter Dilan och går på Ekholmsskolan.\n\n/Dilan"}]},
]


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path



def test_anonymize_writes_output_and_report(tmp_path):
    src = _write(tmp_path / "in.jsonl", CONVS)
    out = tmp_path / "ut" / "anon.jsonl"
    res = runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["c-1", "c-2"]
    text = json.dumps(rows, ensure_ascii=False)
    for secret in ("emma", "Emma", "mölndal", "070-174 06 23", "Dilan", "Ekholmsskolan"):
        assert secret not in text
    assert "😭" in text and rows[0]["started_at"] == "2025-03-14T19:02:00+01:00"
    report_path = tmp_path / "ut" / "anon.report.json"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["conversations"] == 2 and report["total"]["PERSON"] >= 3
    assert report["total"]["TELEFON"] == 1 and report["total"]["ORGANISATION"] == 1
    for secret in ("emma", "mölndal", "070-174", "Dilan"):
        assert secret not in report_path.read_text(encoding="utf-8")
    assert "report:" in res.output


def test_tags_style_and_report_path(tmp_path):
    src = _write(tmp_path / "in.jsonl", CONVS)
    out, rep = tmp_path / "o.jsonl", tmp_path / "r.json"
    res = runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out), "--style", "tags",
                              "--report", str(rep)])
    assert res.exit_code == 0, res.output
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert first["messages"][0]["text"] == "hej jag heter [NAMN] och bor i [PLATS]"
    assert json.loads(rep.read_text(encoding="utf-8"))["style"] == "tags"


def test_same_seed_same_bytes(tmp_path):
    src = _write(tmp_path / "in.jsonl", CONVS)
    for name in ("a", "b"):
        assert runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(tmp_path / f"{name}.jsonl"),
                                   "--seed", "4"]).exit_code == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


@pytest.mark.parametrize("content,needles", [
    ("{\"id\": \"c-1\",\n", ["in.jsonl:1", "invalid JSON"]),
    (json.dumps({"id": "c-1"}) + "\n", ["in.jsonl:1", "messages", "missing key"]),
    (json.dumps({"id": "c-1", "messages": [{"role": "x", "text": "hej"}]}) + "\n", ["in.jsonl:1", "role"]),
    (json.dumps({"id": "c-1", "messages": [{"role": "stodsokande"}]}) + "\n", ["in.jsonl:1", "text"]),
    ("[1, 2]\n", ["in.jsonl:1", "expected a JSON object"]),
    ("", ["no conversations"]),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, content, needles):
    src = tmp_path / "in.jsonl"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out)])
    assert_one_line_error(res, *needles)
    assert not out.exists() and not (tmp_path / "out.report.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]  # no temporary files left behind


def test_missing_file_unknown_style_same_paths(tmp_path):
    assert_one_line_error(runner.invoke(app, ["anonymize", "--input", str(tmp_path / "nope.jsonl"), "--output",
                                        str(tmp_path / "o.jsonl")]), "file not found")
    src = _write(tmp_path / "in.jsonl", CONVS)
    assert_one_line_error(runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                                        "--style", "stars"]), "unknown --style")
    assert_one_line_error(runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(src)]), "input")
    assert_one_line_error(runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                                        "--report", str(tmp_path / "o.jsonl")]), "--report")


def test_existing_output_is_untouched_when_input_is_bad(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(CONVS[0]) + "\n{broken\n", encoding="utf-8")
    assert_one_line_error(runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out)]), "in.jsonl:2")
    assert out.read_text(encoding="utf-8") == "old\n"


def test_enormous_message_is_refused(tmp_path, monkeypatch):
    from childx_research.anonymize import cli as anon_cli

    monkeypatch.setattr(anon_cli, "MAX_MESSAGE_CHARS", 1000)
    src = _write(tmp_path / "in.jsonl", [{"id": "c-1", "messages": [{"role": "stodsokande", "text": "hej " * 400}]}])
    assert_one_line_error(runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(tmp_path / "o.jsonl")]),
                    "in.jsonl:1", "messages.0.text", "longer than")


def test_large_message_within_limit_is_processed(tmp_path):
    text = ("jag heter emma och mitt nummer är 070-174 06 23. " * 4000)  # ~200 kB in one message
    src = _write(tmp_path / "in.jsonl", [{"id": "c-1", "messages": [{"role": "stodsokande", "text": text}]}])
    out = tmp_path / "o.jsonl"
    res = runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out), "--style", "tags"])
    assert res.exit_code == 0, res.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert "emma" not in row["messages"][0]["text"] and "070" not in row["messages"][0]["text"]


def test_emoji_only_and_english(tmp_path):
    src = _write(tmp_path / "in.jsonl", [{"id": "c-1", "messages": [
        {"role": "stodsokande", "text": "😭😭😭"}, {"role": "stodsokande", "text": "I just want it to stop"}]}])
    out = tmp_path / "o.jsonl"
    assert runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out)]).exit_code == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert [m["text"] for m in row["messages"]] == ["😭😭😭", "I just want it to stop"]


def test_jobs_give_the_same_bytes_as_one_job(tmp_path, generated_small):
    """`--jobs 2` shares the conversations among processes; output and report are byte-identical."""
    rows = [c.conversation().model_dump(mode="json", exclude_none=True) for c in generated_small.contacts]
    src = _write(tmp_path / "in.jsonl", rows)
    outs = {}
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"o{jobs}.jsonl"
        res = runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(out), "--jobs", jobs])
        assert res.exit_code == 0, res.output
        outs[jobs] = (out.read_bytes(), (tmp_path / f"o{jobs}.report.json").read_bytes().replace(
            f"o{jobs}.jsonl".encode(), b"o.jsonl"))
    assert len(outs["1"][0].splitlines()) == len(rows) > 64  # more than one piece of work
    assert outs["2"] == outs["1"] and outs["3"] == outs["1"]


def test_jobs_must_be_positive(tmp_path):
    src = _write(tmp_path / "in.jsonl", CONVS)
    res = runner.invoke(app, ["anonymize", "--input", str(src), "--output", str(tmp_path / "o.jsonl"), "--jobs", "0"])
    assert_one_line_error(res, "--jobs")
    assert not (tmp_path / "o.jsonl").exists()
