"""Push conversations to Label Studio and pull annotations back, through label-studio-sdk.

:func:`push` creates or updates the project for a form (config and instructions derived
from the form), imports **anonymised conversations only** (every one must carry the
anonymiser's record and seal and pass its guard, or nothing is imported), attaches a model's
predictions as pre-annotations (``model_version`` and ``score``), and orders the work
so that the most uncertain predictions come first (Label Studio's uncertainty sampling,
plus import order and an ``osakerhet`` column for the Data Manager). A conversation id
already in the project is never imported again.

:func:`pull` exports every task with every annotation, turns each annotation into an
:class:`~.results.AnnotationRecord` (nothing is dropped: skipped and incomplete ones are
kept and marked), forms one consensus form per conversation, and writes a
``DatasetDict`` (train/validation/test, split by conversation, stratified, deterministic)
to disk and as Parquet, with agreement, lead times and missed personal data beside it.
Running it again on the same server state writes the same files.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..errors import InputError
from ..forms import Form
from ..records import (Conversation, FormRecord, atomic_open, check_output_dir, replace_dir, temp_dir_for,
                       to_dataset_dict, write_json, write_jsonl, write_output_marker)
from .config import conversation_from_task, instructions_html, label_config, task_data
from .results import (AnnotationRecord, annotation_record, certainty, consensus, evidence_result,
                      prediction_result)

UNCERTAINTY_KEY = "osakerhet"
PULL_COMMAND = "annotate pull"
IMPORT_CHUNK = 500


class NotAnonymised(InputError):
    """A conversation without the anonymiser's record: it never reaches Label Studio."""


def project_title(form: Form) -> str:
    return f"{form.title} ({form.id})"


# --- the guard --------------------------------------------------------------------------------


def require_anonymised(conversations: Sequence[Conversation], *, path: str | Path | None = None) -> None:
    """Refuse (raise) unless every conversation went through ``childx anonymize`` on this
    machine, unchanged (its seal matches), and the anonymiser's guard, run again, finds no
    personal data left in it. Errors name the conversation, the message index and the
    type, never the text."""
    from ..anonymize import RECORD_KEY, load_lexicon, require_sealed
    from ..anonymize.seal import check_identity

    lex = load_lexicon()
    for n, conv in enumerate(conversations, start=1):
        record = (conv.model_extra or {}).get(RECORD_KEY)
        if not isinstance(record, dict):
            check_identity(conv, position=n, path=path, lexicon=lex)  # never echo an id that is personal data
            raise NotAnonymised(f"conversation {conv.id!r} is not anonymised (no {RECORD_KEY!r} record); "
                                f"run `childx anonymize` first; refusing it", path=path)
    require_sealed(conversations, path=path, lexicon=lex)


# --- the project ------------------------------------------------------------------------------


def find_project(client, title: str) -> int | None:
    for p in client.projects.list():
        if p.title == title:
            return p.id
    return None


def ensure_project(client, form: Form, *, title: str | None = None, model_version: str | None = None,
                   overlap: int | None = None) -> int:
    """Create the form's project, or bring an existing one's config and instructions up to date."""
    from label_studio_sdk.core.api_error import ApiError

    title = title or project_title(form)
    settings: dict[str, Any] = {
        "label_config": label_config(form),
        "expert_instruction": instructions_html(form),
        "description": f"Formulär {form.id} (version {form.version}). Anonymiserade samtal; "
                       f"markera missade personuppgifter.",
    }
    if model_version:
        # the most uncertain prediction of this model version comes first (active learning)
        settings.update(model_version=model_version, sampling="Uncertainty sampling")
    if overlap:
        settings.update(maximum_annotations=overlap)
    pid = find_project(client, title)
    try:
        if pid is None:
            p = client.projects.create(title=title, show_instruction=False, show_skip_button=True,
                                       show_collab_predictions=True, enable_empty_annotation=False,
                                       **settings)
            return p.id
        current = client.projects.get(pid)
        changed = {k: v for k, v in settings.items() if getattr(current, k, None) != v}
        if changed:
            client.projects.update(pid, **changed)
        return pid
    except ApiError as exc:
        raise InputError(f"Label Studio refused the project {title!r}: {_api_detail(exc)}") from None


def _api_detail(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        return json.dumps(body.get("validation_errors") or body.get("detail") or body, ensure_ascii=False)[:500]
    return str(body or exc)[:500]


def existing_tasks(client, project_id: int) -> dict[str, dict[str, Any]]:
    """Conversation id -> {"id": task id, "model_versions": set, "data": data} for the project."""
    out: dict[str, dict[str, Any]] = {}
    for t in client.tasks.list(project=project_id, fields="all", page_size=1000):
        data = t.data if isinstance(t.data, dict) else {}
        cid = data.get("conversation_id")
        if not cid:
            continue
        versions = set()
        for p in t.predictions or []:
            mv = p.get("model_version") if isinstance(p, dict) else getattr(p, "model_version", None)
            versions.add(mv)
        out.setdefault(cid, {"id": t.id, "model_versions": versions, "data": data})
    return out


# --- push -------------------------------------------------------------------------------------


@dataclass
class PushResult:
    project_id: int
    title: str
    created: int = 0
    already_there: int = 0
    predictions_added: int = 0
    annotations_imported: int = 0
    model_version: str | None = None
    #: conversation ids by priority (most uncertain first); empty without predictions
    order: list[str] = field(default_factory=list)
    #: conversation id -> Label Studio task id of the tasks this push created
    task_ids: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        s = f"projekt {self.project_id} ({self.title}): {self.created} nya uppgifter, {self.already_there} fanns redan"
        if self.model_version:
            s += f", {self.predictions_added} förannoteringar ({self.model_version})"
        if self.annotations_imported:
            s += f", {self.annotations_imported} ifyllda formulär importerade som annoteringar"
        return s


def prefilled(rec: FormRecord, alarms: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """The values a prediction pre-fills: fields the model left for a person (``needs_review``,
    below their confidence bar) stay empty, so the annotator fills them in from scratch
    instead of being anchored on a guess — except a raised alarm (``alarms``: field -> alarm
    options, e.g. acute risk = ja): it fires on purpose at a low probability and must stay
    in sight."""
    review = set(getattr(rec, "needs_review", None) or [])
    alarms = alarms or {}

    def raised(key: str, value: Any) -> bool:
        chosen = {value} if isinstance(value, str) else set(value or [])
        return bool(chosen & alarms.get(key, set()))

    return {k: v for k, v in rec.form.items() if k not in review or raised(k, v)}


def push(client, conversations: Sequence[Conversation], form: Form, *,
         predictions: Iterable[FormRecord] | None = None, model_version: str | None = None,
         title: str | None = None, overlap: int | None = None, path: str | Path | None = None,
         annotations: dict[str, dict[str, Any]] | None = None, lead_times: dict[str, float] | None = None
         ) -> PushResult:
    """Import anonymised conversations (and pre-annotations) into the form's project.

    Nothing is imported unless every conversation passes :func:`require_anonymised`.
    ``predictions`` are form records (with ``confidence``) for some or all of the
    conversations; they need a ``model_version`` (the argument, or a record's own key).

    ``annotations`` (conversation id -> complete form values, optional ``lead_times``)
    imports forms that people already filled in as annotations of the new tasks, by the
    API's user, in the same bulk request (Label Studio's import of labelled data: fast,
    where one request per annotation takes a tenth of a second each). Tasks already in
    the project get none (push never duplicates).
    """
    conversations = list(conversations)
    ids = [c.id for c in conversations]
    dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dupes:
        line = next((getattr(c, "_line", None) for c in conversations[::-1] if c.id == dupes[0]), None)
        raise InputError("duplicate conversation id", path=path, line=line, key="id")
    position = {cid: i for i, cid in enumerate(ids)}
    by_id = {c.id: c for c in conversations}
    require_anonymised(conversations, path=path)
    for cid, values in (annotations or {}).items():
        problems = form.check_values({**{f.key: "" for f in form.text_fields}, **values})
        if problems:
            raise InputError(f"annotation for {cid!r}: {problems[0][0]}: {problems[0][1]}")

    preds: dict[str, FormRecord] = {}
    for rec in predictions or []:
        problems = form.check_values(rec.form, require_all=False)
        if problems:
            raise InputError(problems[0][1], line=getattr(rec, "_line", None),
                             key=f"form.{problems[0][0]}" if problems[0][0] else "form")
        preds[rec.id] = rec
        model_version = model_version or (rec.model_extra or {}).get("model_version")
    if preds and not model_version:
        raise InputError("predictions need a model version (--model-version)")
    scores = {cid: certainty(form, r.form, r.confidence) for cid, r in preds.items()}

    title = title or project_title(form)
    pid = ensure_project(client, form, title=title, model_version=model_version if preds else None,
                         overlap=overlap)
    result = PushResult(project_id=pid, title=title, model_version=model_version if preds else None)
    existing = existing_tasks(client, pid)

    alarm_options: dict[str, set[str]] = {}
    for k, o in form.alarm_options:  # ``alarm: true`` in the form file
        alarm_options.setdefault(k, set()).add(o)

    def prediction_of(cid: str) -> dict[str, Any]:
        rec = preds[cid]
        # the values it pre-fills, and the words each field was filled in from, marked in the dialogue
        marks = evidence_result(form, (rec.model_extra or {}).get("evidence"),
                                [m.text for m in by_id[cid].messages])
        p = {"model_version": model_version,
             "result": prediction_result(form, prefilled(rec, alarm_options), rec.confidence) + marks}
        if scores.get(cid) is not None:
            p["score"] = scores[cid]
        return p

    def priority(cid: str) -> tuple:
        s = scores.get(cid)
        return (s is None, s if s is not None else 0.0, position[cid])

    new = sorted((c for c in conversations if c.id not in existing), key=lambda c: priority(c.id))
    tasks = []
    for conv in new:
        data = task_data(conv, form)
        if scores.get(conv.id) is not None:
            data[UNCERTAINTY_KEY] = round(1.0 - scores[conv.id], 4)
        task: dict[str, Any] = {"data": data}
        if conv.id in preds:
            task["predictions"] = [prediction_of(conv.id)]
            result.predictions_added += 1
        if annotations and conv.id in annotations:
            ann: dict[str, Any] = {"result": prediction_result(form, annotations[conv.id])}
            if lead_times and conv.id in lead_times:
                ann["lead_time"] = float(lead_times[conv.id])
            task["annotations"] = [ann]
            result.annotations_imported += 1
        tasks.append(task)
    from ..progress import track

    for i in track(range(0, len(tasks), IMPORT_CHUNK), "Skickar till Label Studio", total=len(tasks),
                   unit="uppgifter", step=lambda i: len(tasks[i:i + IMPORT_CHUNK])):
        chunk = tasks[i:i + IMPORT_CHUNK]
        res = client.projects.import_tasks(pid, request=chunk, return_task_ids=True)
        got = list(getattr(res, "task_ids", None) or [])
        if len(got) == len(chunk):  # created in the order sent; submit_annotations checks each one anyway
            result.task_ids.update((t["data"]["conversation_id"], int(tid)) for t, tid in zip(chunk, got))
    result.created = len(tasks)
    result.already_there = len(conversations) - len(new)

    # tasks already there: add this model version's prediction once, refresh the uncertainty column
    for conv in conversations:
        old = existing.get(conv.id)
        if old is None or conv.id not in preds or model_version in old["model_versions"]:
            continue
        p = prediction_of(conv.id)
        client.predictions.create(task=old["id"], result=p["result"], score=p.get("score"),
                                  model_version=model_version)
        if scores.get(conv.id) is not None:
            client.tasks.update(str(old["id"]), data={**old["data"], UNCERTAINTY_KEY: round(1 - scores[conv.id], 4)})
        result.predictions_added += 1
    if preds:
        result.order = sorted((c for c in ids if c in preds), key=priority)
    return result


def submit_annotations(client, project_id: int, form: Form, answers: dict[str, dict[str, Any]], *,
                       lead_time: float | dict[str, float] | None = None,
                       missed: dict[str, list[dict[str, Any]]] | None = None,
                       task_ids: dict[str, int] | None = None) -> int:
    """Annotate tasks through the API as the client's user, as an annotator would in the
    browser: ``answers`` maps conversation id -> form values. A task this user has
    already annotated is left alone (so a re-run adds nothing). Returns how many were added.
    ``lead_time``: seconds spent, one number for all or per conversation id.
    ``missed`` optionally maps conversation id -> spans ``{"message", "start", "end", "type"}``
    to mark as "Missad personuppgift".
    ``task_ids`` (conversation id -> task id, e.g. :attr:`PushResult.task_ids`): fetch only
    the tasks answered instead of listing the whole project (a task whose data names another
    conversation is left alone)."""
    from .config import DIALOG_TAG, MISSED_TAG, PII_TYPES_SV

    me = client.users.whoami().id
    added = 0
    if task_ids is not None:
        found = (client.tasks.get(str(task_ids[cid])) for cid in answers if cid in task_ids)
    else:
        found = client.tasks.list(project=project_id, fields="all", page_size=1000)
    for t in found:
        data = t.data if isinstance(t.data, dict) else {}
        cid = data.get("conversation_id")
        if cid not in answers or getattr(t, "project", project_id) not in (None, project_id):
            continue
        mine = [a for a in (t.annotations or [])
                if (a.get("completed_by") if isinstance(a, dict) else getattr(a, "completed_by", None)) == me]
        if mine:
            continue
        res = prediction_result(form, answers[cid])
        for s in (missed or {}).get(cid, []):
            text = data["samtal"][s["message"]]["text"][s["start"]:s["end"]]
            res.append({"from_name": MISSED_TAG, "to_name": DIALOG_TAG, "type": "paragraphlabels",
                        "value": {"start": str(s["message"]), "end": str(s["message"]), "startOffset": s["start"],
                                  "endOffset": s["end"], "text": text,
                                  "paragraphlabels": [PII_TYPES_SV.get(s["type"], s["type"])]}})
        seconds = lead_time.get(cid) if isinstance(lead_time, dict) else lead_time
        kwargs = {"lead_time": float(seconds)} if seconds is not None else {}
        client.annotations.create(t.id, result=res, **kwargs)
        added += 1
    return added


# --- pull -------------------------------------------------------------------------------------


@dataclass
class PullResult:
    project_id: int
    out_dir: Path
    tasks: int
    annotations: list[AnnotationRecord]
    forms: list[FormRecord]
    dataset: Any
    agreement: pd.DataFrame
    disagreements: pd.DataFrame
    lead_times: pd.DataFrame
    failures: pd.DataFrame
    paths: dict[str, Path]
    counts: dict[str, int]

    def summary(self) -> str:
        c = self.counts
        return (f"{c['annotations']} annoteringar av {c['tasks']} uppgifter ({c['cancelled']} överhoppade, "
                f"{c['incomplete']} ofullständiga); {c['conversations']} samtal i dataset "
                f"({', '.join(f'{k} {len(v)}' for k, v in self.dataset.items())}); "
                f"{c['multiply_annotated']} med två eller fler annoteringar; "
                f"{c['anonymisation_failures']} missade personuppgifter")


def export_tasks(client, project_id: int) -> list[dict[str, Any]]:
    """Every task of the project with every annotation (Label Studio's JSON export)."""
    tasks = client.projects.exports.as_json(project_id)
    return sorted(tasks, key=lambda t: t["id"])


def pull(client, form: Form, out_dir: str | Path, *, title: str | None = None, seed: int = 0) -> PullResult:
    """Export all annotations and write them, the consensus forms and the dataset to ``out_dir``."""
    from ..datasets_io import save_dataset_dict
    from . import agreement

    title = title or project_title(form)
    pid = find_project(client, title)
    if pid is None:
        raise InputError(f"no Label Studio project {title!r} (run `childx annotate push` first)")
    out = Path(out_dir)
    check_output_dir(out, PULL_COMMAND, legacy=("pull.json",))
    tasks = export_tasks(client, pid)

    records: list[AnnotationRecord] = []
    convs: dict[str, Conversation] = {}
    by_conv: dict[str, list[AnnotationRecord]] = {}
    skipped_tasks = 0
    from ..progress import track

    for t in track(tasks, "Hämtar annoteringar", unit="uppgifter"):
        data = t.get("data") or {}
        if "conversation_id" not in data:
            skipped_tasks += 1
            continue
        convs.setdefault(data["conversation_id"], conversation_from_task(data))
        for ann in sorted(t.get("annotations") or [], key=lambda a: a["id"]):
            rec = annotation_record(form, t, ann)
            records.append(rec)
            by_conv.setdefault(rec.id, []).append(rec)

    forms: list[FormRecord] = []
    pairs: list[tuple[Conversation, dict[str, Any]]] = []
    for cid in sorted(by_conv):
        values = consensus(form, by_conv[cid])
        if values is None:
            continue
        conv = convs[cid]
        usable = [a for a in by_conv[cid] if a.complete and not a.was_cancelled]
        forms.append(FormRecord(id=cid, started_at=conv.started_at, organisation=conv.organisation, form=values,
                                annotations=len(usable),
                                annotators=sorted({a.annotator for a in usable if a.annotator is not None})))
        pairs.append((conv, values))

    dd = to_dataset_dict(pairs, form, seed=seed)
    agr = agreement.field_agreement(records, form)
    dis = agreement.disagreements(records, form)
    lead = agreement.lead_times(records)
    fail = agreement.anonymisation_failures(records)
    multiply = sum(1 for anns in by_conv.values() if len({a.annotator for a in anns if a.complete
                                                           and not a.was_cancelled}) >= 2)
    counts = {
        "tasks": len(tasks), "tasks_without_conversation_id": skipped_tasks,
        "annotations": len(records), "cancelled": sum(a.was_cancelled for a in records),
        "incomplete": sum((not a.complete) and not a.was_cancelled for a in records),
        "conversations": len(forms), "multiply_annotated": multiply,
        "anonymisation_failures": len(fail),
    }
    names = {
        "annotations": "annotations.jsonl",
        "forms": "forms.jsonl",
        "dataset": "dataset",
        "agreement": "agreement.csv",
        "disagreements": "disagreements.csv",
        "lead_times": "lead_times.csv",
        "anonymisation_failures": "anonymisation_failures.csv",
        "summary": "pull.json",
    }
    paths = {k: out / v for k, v in names.items()}
    # everything is built in a hidden folder beside `out` and swapped in as one unit: a
    # killed pull leaves the earlier pull whole (and its hidden folder is removed next time)
    tmp = temp_dir_for(out)
    try:
        built = {k: tmp / v for k, v in names.items()}
        write_jsonl(built["annotations"], records)
        write_jsonl(built["forms"], forms)
        with _quiet_datasets():
            save_dataset_dict(dd, built["dataset"])
        # the seals of the dataset's conversations (no text), so that `childx train` can check every row
        from ..anonymize import write_manifest

        write_manifest(built["dataset"], (conv for conv, _ in pairs))
        for key, df in (("agreement", agr), ("disagreements", dis), ("lead_times", lead),
                        ("anonymisation_failures", fail)):
            with atomic_open(built[key]) as fh:
                df.to_csv(fh, index=False)
        write_json(built["summary"], {"project_id": pid, "title": title, "form": form.id, "seed": seed,
                                      "counts": counts, "splits": {k: len(v) for k, v in dd.items()}})
        write_output_marker(tmp, PULL_COMMAND)
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return PullResult(project_id=pid, out_dir=out, tasks=len(tasks), annotations=records, forms=forms, dataset=dd,
                      agreement=agr, disagreements=dis, lead_times=lead, failures=fail, paths=paths, counts=counts)


@contextmanager
def _quiet_datasets():
    """No progress bars from `datasets` while saving (they flood logs and notebooks)."""
    import datasets

    was = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was:
            datasets.enable_progress_bars()


def read_annotations(path: str | Path) -> list[AnnotationRecord]:
    """The ``annotations.jsonl`` a pull wrote."""
    from ..records import iter_jsonl

    return list(iter_jsonl(path, AnnotationRecord))
