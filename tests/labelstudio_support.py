"""What the tests against the real Label Studio share, whatever database it runs on
(SQLite in test_annotate_labelstudio.py, PostgreSQL in test_annotate_postgres.py): installing
it when missing, and the whole push -> annotate (two annotators) -> pull round trip."""

from __future__ import annotations

import secrets
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from childx_research.annotate import add_user, connect, field_agreement, pull, push, submit_annotations
from childx_research.annotate.config import EVIDENCE_TAG
from childx_research.annotate.server import LS_VENV, LabelStudioServer, label_studio_bin
from childx_research.records import FormRecord

ROOT = Path(__file__).resolve().parents[1]


def ensure_label_studio() -> None:
    """Label Studio in .venv-labelstudio, installed with `make labelstudio` when missing;
    skips the test with the reason when that fails."""
    if label_studio_bin() is None:
        proc = subprocess.run(["make", "-C", str(ROOT), "labelstudio"], capture_output=True, text=True)
        if proc.returncode != 0 or label_studio_bin() is None:
            pytest.skip(f"Label Studio could not be installed in {LS_VENV}: {proc.stderr[-500:]}")


def tasks_of(client, pid):
    return list(client.tasks.list(project=pid, fields="all", page_size=1000))


def round_trip(server: LabelStudioServer, contacts, anonymised, form, out: Path) -> float:
    """Push the anonymised conversations with a model's predictions (active learning order,
    no duplicates on a second push), annotate them through the API as two people (one
    changed answer, one missed phone number), pull into ``out`` (records, dataset,
    agreement, missed personal data) and pull again (same files). Asserts all along;
    returns the seconds it took (printed by the callers, never asserted on)."""
    t0 = time.perf_counter()
    client = server.client()
    gold = {c.id: c.gold for c in contacts}
    ids = [c.id for c in anonymised]
    # a model's predictions with known confidences: ids[5] is the least sure, ids[2] next
    conf = {cid: 0.9 for cid in ids}
    conf[ids[5]], conf[ids[2]] = 0.51, 0.6
    preds = [FormRecord(id=cid, form=gold[cid], confidence={"alder": conf[cid], "kon": 0.99}) for cid in ids]
    # the model left `alder` of the least sure one for a person: it is not pre-filled
    # ... and a raised acute-risk alarm below its bar stays in sight
    preds[5] = FormRecord(id=ids[5], form={**gold[ids[5]], "akut_risk": "ja"},
                          confidence={"alder": conf[ids[5]], "kon": 0.99}, needs_review=["alder", "akut_risk"])
    # ... and one carries its evidence: the words a field was filled in from
    said = anonymised[1].messages[0].text
    preds[1] = FormRecord(id=ids[1], form=gold[ids[1]], confidence={"alder": conf[ids[1]], "kon": 0.99},
                          evidence={"kon": [{"message": 0, "text": said[:3], "start": 0, "end": 3}]})
    r = push(client, anonymised, form, predictions=preds, model_version="testmodell-1", overlap=2)
    assert r.created == len(ids) and r.predictions_added == len(ids)
    assert r.order[:2] == [ids[5], ids[2]]

    tasks = tasks_of(client, r.project_id)
    assert len(tasks) == len(ids)
    p0 = tasks[0].predictions[0]
    p0 = p0 if isinstance(p0, dict) else p0.model_dump()
    assert p0["model_version"] == "testmodell-1" and p0["score"] == pytest.approx(conf[tasks[0].data["conversation_id"]])
    assert tasks[0].data["conversation_id"] == ids[5]
    prefilled = {item["from_name"] for item in p0["result"]}
    assert "alder" not in prefilled and {"kon", "utsatthet", "akut_risk"} <= prefilled
    p1 = tasks[1].predictions[0]
    p1 = p1 if isinstance(p1, dict) else p1.model_dump()
    assert "alder" in {item["from_name"] for item in p1["result"]}
    with_ev = next(t for t in tasks if t.data["conversation_id"] == ids[1]).predictions[0]
    with_ev = with_ev if isinstance(with_ev, dict) else with_ev.model_dump()
    marks = [item for item in with_ev["result"] if item["from_name"] == EVIDENCE_TAG]
    assert [(m["value"]["start"], m["value"]["startOffset"], m["value"]["endOffset"], m["value"]["text"])
            for m in marks] == [("0", 0, 3, said[:3])]
    assert not any(item["from_name"] == EVIDENCE_TAG for item in p0["result"])
    project = client.projects.get(r.project_id)
    assert project.sampling == "Uncertainty sampling" and project.model_version == "testmodell-1"

    # re-running push never duplicates tasks or predictions
    again = push(client, anonymised, form, predictions=preds, model_version="testmodell-1")
    assert again.created == 0 and again.already_there == len(ids) and again.predictions_added == 0
    assert len(tasks_of(client, r.project_id)) == len(ids)

    # the annotator's first task is the most uncertain one (active learning)
    uid, token = add_user(server.url, server.token, "annotator.ett@localhost", secrets.token_urlsafe(10))
    nxt = httpx.get(f"{server.url}/api/projects/{r.project_id}/next",
                    headers={"Authorization": f"Token {token}"}).json()
    assert nxt["data"]["conversation_id"] == ids[5]

    # two people annotate through the API: admin everything, the annotator a third of it
    # with one changed answer, and one missed phone number marked
    n_admin = submit_annotations(client, r.project_id, form, gold, lead_time=90.0,
                                 missed={ids[1]: [{"message": 0, "start": 0, "end": 3, "type": "TELEFON"}]})
    second_ids = ids[: len(ids) // 3]
    second = {cid: dict(gold[cid]) for cid in second_ids}
    flip = second_ids[0]
    second[flip]["akut_risk"] = "ja" if gold[flip]["akut_risk"] == "nej" else "nej"
    n_second = submit_annotations(connect(server.url, token), r.project_id, form, second, lead_time=45.0)
    assert (n_admin, n_second) == (len(ids), len(second_ids))
    # submitting again adds nothing
    assert submit_annotations(client, r.project_id, form, gold) == 0

    res = pull(client, form, out, seed=2)
    assert len(res.annotations) == len(ids) + len(second_ids)  # every annotation, none lost
    assert {a.annotator for a in res.annotations} == {client.users.whoami().id, uid}
    by_id = {f.id: f.form for f in res.forms}
    assert set(by_id) == set(ids)
    for cid in ids:
        if cid != flip:
            assert by_id[cid] == gold[cid], cid
    dd = res.dataset
    assert sum(len(v) for v in dd.values()) == len(ids)
    assert set(dd["train"].features["alder"].names) == set(form.field("alder").option_keys)
    assert (out / "dataset" / "arrow").exists() and (out / "dataset" / "parquet" / "train.parquet").exists()
    # agreement where two people annotated: akut_risk differs on exactly one conversation
    agr = res.agreement.set_index(["fält", "alternativ"])
    assert agr.loc[("akut_risk", ""), "uppgifter"] == len(second_ids)
    assert agr.loc[("akut_risk", ""), "andel_lika"] == pytest.approx(1 - 1 / len(second_ids))
    assert agr.loc[("kon", ""), "andel_lika"] == 1.0
    expected = field_agreement(res.annotations, form).set_index(["fält", "alternativ"])
    assert agr["alpha"].equals(expected["alpha"])
    assert res.disagreements[["id", "fält"]].values.tolist() == [[flip, "akut_risk"]]
    assert res.failures[["id", "typ", "meddelande"]].values.tolist() == [[ids[1], "TELEFON", 0]]
    assert set(res.lead_times["lead_time_s"]) == {90.0, 45.0}

    # pulling again writes the same files
    before = {p: (out / p).read_bytes() for p in ("annotations.jsonl", "forms.jsonl", "agreement.csv",
                                                  "anonymisation_failures.csv", "pull.json")}
    res2 = pull(client, form, out, seed=2)
    assert {p: (out / p).read_bytes() for p in before} == before
    assert res2.dataset["train"].to_list() == dd["train"].to_list()
    return time.perf_counter() - t0
