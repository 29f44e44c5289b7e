"""The anonymiser's seal: what `childx anonymize` writes verifies; an edited or forged
conversation is refused by push, report and train with one line naming the conversation
and the message, never the text; ids and organisations that hold personal data are not
passed through; the key stays outside the outputs."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_support import assert_one_line_error
from childx_research.anonymize import NotSealed, PersonalDataFound, anonymize_conversations, require_sealed
from childx_research.anonymize.seal import KEY_ENV, KEY_FILE_ENV, MANIFEST, load_key, write_manifest
from childx_research.cli import app
from childx_research.records import Conversation, to_dataset_dict, write_jsonl

runner = CliRunner()
# invented for these tests (not from any dev set)
RAW_NAME = "Ebba Lindqvist"
RAW_PHONE = "073-555 12 34"


def conv(cid: str, *texts: str, **kw) -> Conversation:
    roles = ("stodsokande", "stodperson")
    return Conversation(id=cid, channel="chatt", messages=[{"role": roles[i % 2], "text": t} for i, t in enumerate(texts)],
                        **kw)


@pytest.fixture(scope="module")
def sealed():
    raw = [conv("s-1", f"hej jag heter {RAW_NAME} och mitt nummer är {RAW_PHONE}", "Hej! Vad bra att du skriver."),
           conv("s-2", "min kompis Tindra sa att jag skulle skriva hit", "Vad klokt av henne."),
           conv("s-3", "jag vet inte vad jag ska göra", "Berätta gärna mer.")]
    out, _ = anonymize_conversations(raw, seed=3)
    return out


def dump(c: Conversation) -> dict:
    return json.loads(json.dumps(c.model_dump(exclude_none=True), ensure_ascii=False))


def same_length_real_value(c: Conversation) -> tuple[dict, int]:
    """The conversation with a real-looking name put back inside a recorded surrogate span
    (same length, so the record still fits) — the guard alone would accept it."""
    data = dump(c)
    for m, s, e, label in data["anonymisation"]["spans"]:
        if label == "PERSON":
            text = data["messages"][m]["text"]
            real = ("Ebba" + "x" * 40)[: e - s]
            data["messages"][m]["text"] = text[:s] + real + text[e:]
            return data, m
    raise AssertionError("no PERSON span")


def test_anonymised_output_is_sealed_and_verifies(sealed, _seal_key_of_the_tests):
    require_sealed(sealed)
    for c in sealed:
        seal = c.model_extra["anonymisation"]["seal"]
        assert seal["alg"] == "HMAC-SHA256" and len(seal["messages"]) == len(c.messages)
    key_file = _seal_key_of_the_tests
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # created on first use, for this user only
    key = key_file.read_text().strip()
    assert key not in json.dumps([dump(c) for c in sealed])  # the secret never goes into the output


def test_a_real_value_inside_a_surrogate_span_is_refused(sealed):
    data, m = same_length_real_value(sealed[0])
    edited = Conversation.model_validate(data)
    from childx_research.anonymize import guard

    guard(edited)  # the detector alone is fooled: the span is recorded as a surrogate
    with pytest.raises(NotSealed) as err:
        require_sealed([edited], path="anon.jsonl")
    msg = str(err.value)
    assert msg.startswith("anon.jsonl: conversation 's-1': ") and f"message {m}: changed" in msg
    assert "Ebba" not in msg


def test_a_forged_record_that_calls_every_message_a_surrogate_is_refused(sealed):
    raw = conv("f-1", f"jag heter {RAW_NAME}, ring {RAW_PHONE}", "Tack för att du skriver.")
    spans = [[i, 0, len(m.text), "PERSON"] for i, m in enumerate(raw.messages)]
    forged = Conversation.model_validate({**dump(raw), "anonymisation": {"style": "pseudonym", "spans": spans}})
    with pytest.raises(NotSealed, match="'f-1': not sealed"):
        require_sealed([forged])
    # a seal copied from a real anonymised conversation does not fit either
    copied = dump(forged)
    copied["anonymisation"]["seal"] = dump(sealed[2])["anonymisation"]["seal"]
    with pytest.raises(NotSealed) as err:
        require_sealed([Conversation.model_validate(copied)])
    assert "'f-1': message 0: changed after anonymisation" in str(err.value)
    assert RAW_NAME not in str(err.value) and RAW_PHONE not in str(err.value)


def test_other_edits_are_refused(sealed):
    base = dump(sealed[1])
    cases = {
        "messages were added or removed": lambda d: d["messages"].pop(),
        "id, organisation, channel, start time or record changed": lambda d: d.update(channel="mejl"),
        "message 0: changed": lambda d: d["anonymisation"]["spans"][0].__setitem__(3, "URL"),
        "or record changed": lambda d: d["anonymisation"].update(style="tags"),
        "keys that the anonymiser does not write": lambda d: d.update(anteckning="fri text"),
        "message 0: it holds keys": lambda d: d["messages"][0].update(original="fri text"),
        "record is malformed": lambda d: d["anonymisation"]["spans"].append([0, 0, 10 ** 6, "PERSON"]),
    }
    for needle, edit in cases.items():
        data = json.loads(json.dumps(base))
        edit(data)
        with pytest.raises(NotSealed) as err:
            require_sealed([Conversation.model_validate(data)])
        assert needle in str(err.value), (needle, str(err.value))


def test_a_leftover_found_by_the_detector_is_named_by_type_and_message(sealed):
    data = dump(sealed[2])
    data["messages"].append({"role": "stodsokande", "text": f"ring {RAW_PHONE}"})
    with pytest.raises(PersonalDataFound) as err:
        require_sealed([Conversation.model_validate(data)])
    assert "message 2: TELEFON" in str(err.value) and RAW_PHONE not in str(err.value)


def test_ids_and_organisations_that_hold_personal_data_are_replaced_and_refused():
    raw = conv("ebba.lindqvist@example.se", "hej", "Hej!", organisation=RAW_PHONE)
    (out,), report = anonymize_conversations([raw])
    assert out.id.startswith("anon") and "ebba" not in out.id and out.organisation is None
    assert report["ids_replaced"] == 1 and report["organisations_removed"] == 1
    assert "ebba" not in json.dumps(report)
    require_sealed([out])
    (again,), _ = anonymize_conversations([raw])
    assert again.id == out.id  # the same id gives the same pseudonym (with the same key)
    # a file whose id is personal data is refused without echoing it
    data = dump(out)
    data["id"] = "ebba.lindqvist@example.se"
    with pytest.raises(NotSealed) as err:
        require_sealed([Conversation.model_validate(data)], path="x.jsonl")
    assert "conversation #1: its id looks like personal data (EPOST)" in str(err.value)
    assert "ebba" not in str(err.value)
    # ordinary organisation codes pass through
    (kept,), _ = anonymize_conversations([conv("k-1", "hej", organisation="tjejjouren-syd")])
    assert kept.organisation == "tjejjouren-syd"


def test_a_conversation_sealed_with_another_key_is_refused(sealed, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "another-machine-" + "k" * 40)
    with pytest.raises(NotSealed, match="sealed with another key"):
        require_sealed(sealed[:1])


def test_key_sources_and_checks(monkeypatch, tmp_path):
    from childx_research.errors import InputError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KEY_ENV, "too-short")
    with pytest.raises(InputError, match="shorter than 32"):
        load_key()
    monkeypatch.delenv(KEY_ENV)
    (tmp_path / ".env").write_text(f"# local\nexport {KEY_ENV}=\"{'e' * 40}\"\n", encoding="utf-8")
    assert load_key() == b"e" * 40
    (tmp_path / ".env").unlink()
    loose = tmp_path / "loose.key"
    loose.write_text("l" * 64, encoding="utf-8")
    os.chmod(loose, 0o644)
    monkeypatch.setenv(KEY_FILE_ENV, str(loose))
    with pytest.raises(InputError, match="can be read by other users"):
        load_key()


# --- push, report and train refuse an edited file ---------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory, generated_small):
    """Anonymised conversations written by `childx anonymize`, an edited copy and a forged one."""
    d = tmp_path_factory.mktemp("sealed")
    contacts = generated_small.contacts[:120]
    write_jsonl(d / "contacts.jsonl", contacts)
    res = runner.invoke(app, ["anonymize", "--input", str(d / "contacts.jsonl"), "--output", str(d / "anon.jsonl")])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (d / "anon.jsonl").read_text(encoding="utf-8").splitlines()]
    target = next(i for i, r in enumerate(rows) if any(s[3] == "PERSON" for s in r["anonymisation"]["spans"]))
    edited_conv, m = same_length_real_value(Conversation.model_validate(rows[target]))
    edited = [*rows[:target], edited_conv, *rows[target + 1:]]
    write_jsonl(d / "edited.jsonl", edited)
    forged = [{**c.conversation().model_dump(exclude_none=True),
               "anonymisation": {"style": "pseudonym",
                                 "spans": [[i, 0, len(x.text), "PERSON"] for i, x in enumerate(c.messages)]}}
              for c in contacts[:5]]
    write_jsonl(d / "forged.jsonl", forged)
    write_jsonl(d / "forms.jsonl", (c.form_record() for c in contacts))
    return {"dir": d, "rows": rows, "edited_id": rows[target]["id"], "message": m, "contacts": contacts,
            "edited": edited}


def test_push_refuses_edited_and_forged_files_before_talking_to_label_studio(files, form):
    from childx_research.annotate import push

    expected = {"edited": f"edited.jsonl: conversation '{files['edited_id']}': message {files['message']}: changed",
                "forged": "forged.jsonl: conversation 'g-000001': not sealed"}
    for name, needle in expected.items():
        convs = [Conversation.model_validate(json.loads(x))
                 for x in (files["dir"] / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        with pytest.raises(NotSealed) as err:
            push(None, convs, form, path=files["dir"] / f"{name}.jsonl")  # no client needed: refused first
        assert needle in str(err.value)
        assert "Ebba" not in str(err.value)


def test_report_refuses_edited_and_forged_conversations(files, tmp_path):
    d = files["dir"]
    res = runner.invoke(app, ["report", "--forms", str(d / "forms.jsonl"), "--out", str(tmp_path / "r"),
                              "--conversations", str(d / "edited.jsonl")])
    assert_one_line_error(res, "edited.jsonl: ", f"conversation '{files['edited_id']}': message {files['message']}: "
                                                 "changed after anonymisation")
    assert "Ebba" not in res.output
    res = runner.invoke(app, ["report", "--forms", str(d / "forms.jsonl"), "--out", str(tmp_path / "r"),
                              "--conversations", str(d / "forged.jsonl")])
    assert_one_line_error(res, "forged.jsonl: ", "not sealed")
    assert not (tmp_path / "r").exists()


def _dataset(folder: Path, rows: list[dict], gold: dict, form, manifest_rows: list[dict] | None) -> Path:
    from childx_research.datasets_io import save_dataset_dict

    convs = [Conversation.model_validate(r) for r in rows]
    save_dataset_dict(to_dataset_dict(((c, gold[c.id]) for c in convs), form, seed=0), folder)
    if manifest_rows is not None:
        write_manifest(folder, [Conversation.model_validate(r) for r in manifest_rows])
    return folder


@pytest.fixture(scope="module")
def train_config(tmp_path_factory):
    from childx_research.modeling.config import CONFIGS_DIR

    cfg = tmp_path_factory.mktemp("cfg") / "small.yaml"
    cfg.write_text(f"extends: {(CONFIGS_DIR / 'baseline.yaml').as_posix()}\n"
                   "baseline: {max_features_word: 4000, max_features_char: 8000, n_jobs: 1}\n", encoding="utf-8")
    return cfg


def test_train_refuses_unsealed_and_edited_data(files, form, tmp_path, train_config):
    gold = {c.id: c.gold for c in files["contacts"]}
    d = files["dir"]
    args = ["train", "--config", str(train_config), "--out", str(tmp_path / "m")]
    # raw contacts: refused unless asked for on purpose
    assert_one_line_error(runner.invoke(app, [*args, "--data", str(d / "contacts.jsonl")]),
                          "not sealed anonymised conversations", "--allow-unsealed")
    # a dataset without seals
    bare = _dataset(tmp_path / "bare", files["rows"], gold, form, None)
    assert_one_line_error(runner.invoke(app, [*args, "--data", str(bare)]), f"without the anonymiser's seals ({MANIFEST})")
    # a dataset whose text was edited after anonymisation (seals of the real output beside it)
    edited = _dataset(tmp_path / "edited", files["edited"], gold, form, files["rows"])
    res = runner.invoke(app, [*args, "--data", str(edited)])
    assert_one_line_error(res, f"conversation '{files['edited_id']}': message {files['message']}: changed")
    assert "Ebba" not in res.output
    # forged seals beside raw text
    forged = _dataset(tmp_path / "forged", [c.conversation().model_dump(exclude_none=True) for c in files["contacts"]],
                      gold, form, files["rows"])
    assert_one_line_error(runner.invoke(app, [*args, "--data", str(forged)]), "refusing it")
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_train_accepts_the_sealed_dataset(files, form, tmp_path, train_config):
    gold = {c.id: c.gold for c in files["contacts"]}
    good = _dataset(tmp_path / "good", files["rows"], gold, form, files["rows"])
    res = runner.invoke(app, ["train", "--config", str(train_config), "--out", str(tmp_path / "m"), "--data", str(good)])
    assert res.exit_code == 0, res.output
    run = json.loads((tmp_path / "m" / "run.json").read_text(encoding="utf-8"))
    assert "sealed: 120 conversations checked" in run["data"]
