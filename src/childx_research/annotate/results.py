"""Between form values and Label Studio results, both ways, and one annotation as a record.

- :func:`prediction_result` — a form record (a model's prediction) as a Label Studio
  ``result`` list, with a score per field; :func:`certainty` — how sure the prediction
  is overall (the lowest certainty over its fields), used to order tasks.
- :func:`annotation_record` — one exported annotation as an :class:`AnnotationRecord`:
  the form values it holds, whether every choice field is filled in, its lead time, and
  the spans marked "Missad personuppgift" (message index, offsets and type, never the
  text itself: that text is the personal data that was missed).
- :func:`consensus` — one form from several annotations of the same conversation.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from ..forms import Form
from .config import DIALOG_TAG, EVIDENCE_TAG, MISSED_TAG, PII_TYPES_SV, choice_map, evidence_label

_PII_BY_SV = {sv: key for key, sv in PII_TYPES_SV.items()}


class MissedSpan(BaseModel):
    """A stretch an annotator marked as personal data that anonymisation missed."""

    message: int
    end_message: int
    start: int | None = None
    end: int | None = None
    type: str


class AnnotationRecord(BaseModel):
    """One annotation of one conversation, as pulled from Label Studio."""

    id: str = Field(description="conversation id")
    task_id: int
    annotation_id: int
    annotator: int | None = Field(None, description="Label Studio user id")
    form: dict[str, Any]
    complete: bool
    was_cancelled: bool = False
    ground_truth: bool = False
    lead_time: float | None = None
    created_at: str | None = None
    updated_at: str | None = None
    missed_pii: list[MissedSpan] = Field(default_factory=list)


# --- form values -> Label Studio result ------------------------------------------------------


def _field_certainty(kind: str, value: Any, conf: Any) -> float | None:
    """How sure a prediction is about one field: the probability of the chosen option
    (single), the least sure yes/no decision over the listed options (multi)."""
    if conf is None:
        return None
    if kind == "single":
        return float(conf) if isinstance(conf, (int, float)) else None
    if isinstance(conf, dict) and conf:
        return min(max(float(p), 1.0 - float(p)) for p in conf.values())
    if isinstance(conf, (int, float)):
        return float(conf)
    return None


def certainty(form: Form, values: dict[str, Any], confidence: dict[str, Any] | None) -> float | None:
    """The prediction's overall certainty in [0, 1]: the lowest over its choice fields.
    ``None`` when it carries no confidence. Lower means a more useful task to annotate."""
    if not confidence:
        return None
    scores = [_field_certainty(f.kind, values.get(f.key), confidence.get(f.key)) for f in form.choice_fields]
    scores = [s for s in scores if s is not None]
    return round(min(scores), 6) if scores else None


def prediction_result(form: Form, values: dict[str, Any], confidence: dict[str, Any] | None = None
                      ) -> list[dict[str, Any]]:
    """A filled-in form as a Label Studio ``result`` (option keys, which the config's aliases map)."""
    out: list[dict[str, Any]] = []
    confidence = confidence or {}
    for f in form.fields:
        v = values.get(f.key)
        if v is None or v == [] or v == "":
            continue
        if f.kind == "text":
            item = {"from_name": f.key, "to_name": DIALOG_TAG, "type": "textarea", "value": {"text": [v]}}
        else:
            item = {"from_name": f.key, "to_name": DIALOG_TAG, "type": "choices",
                    "value": {"choices": [v] if isinstance(v, str) else list(v)}}
            s = _field_certainty(f.kind, v, confidence.get(f.key))
            if s is not None:
                item["score"] = round(s, 6)
        out.append(item)
    return out


def evidence_result(form: Form, evidence: dict[str, Any] | None, texts: list[str] | None = None
                    ) -> list[dict[str, Any]]:
    """A form record's ``evidence`` as span marks on the dialogue (``EVIDENCE_TAG``), one per
    field and place: single fields hold a list, multi fields a dict option -> list. With
    ``texts`` (the messages), an item whose offsets do not give back its text is left out."""
    out: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    for f in form.choice_fields:
        ev = (evidence or {}).get(f.key)
        items = ev if isinstance(ev, list) else [e for lst in (ev or {}).values() if isinstance(lst, list)
                                                 for e in lst] if isinstance(ev, dict) else []
        for e in items:
            try:
                m, s, t = int(e["message"]), int(e["start"]), int(e["end"])
            except (KeyError, TypeError, ValueError):
                continue
            text = e.get("text", "")
            if texts is not None and not (0 <= m < len(texts) and texts[m][s:t] == text):
                continue
            if (f.key, m, s, t) in seen:
                continue
            seen.add((f.key, m, s, t))
            out.append({"from_name": EVIDENCE_TAG, "to_name": DIALOG_TAG, "type": "paragraphlabels",
                        "value": {"start": str(m), "end": str(m), "startOffset": s, "endOffset": t, "text": text,
                                  "paragraphlabels": [evidence_label(f)]}})
    return out


# --- Label Studio result -> form values ------------------------------------------------------


def result_values(form: Form, result: list[dict[str, Any]]) -> tuple[dict[str, Any], list[MissedSpan]]:
    """The form values and the missed-personal-data spans in one annotation's ``result``.

    Choice values are option keys (the config's ``alias``); a Swedish label is mapped back
    too, so an annotation made with an older config without aliases is not lost.
    """
    labels = choice_map(form)
    values: dict[str, Any] = {}
    missed: list[MissedSpan] = []
    for item in result or []:
        name = item.get("from_name")
        value = item.get("value") or {}
        if name == MISSED_TAG:
            for lab in value.get("paragraphlabels") or value.get("labels") or []:
                kind = lab if lab in PII_TYPES_SV else _PII_BY_SV.get(lab, str(lab))
                start = int(value.get("start", 0))
                missed.append(MissedSpan(message=start, end_message=int(value.get("end", start)),
                                         start=value.get("startOffset"), end=value.get("endOffset"), type=kind))
            continue
        if name not in form.by_key:
            continue
        f = form.field(name)
        if f.kind == "text":
            texts = value.get("text") or []
            values[f.key] = "\n".join(t for t in texts if isinstance(t, str)).strip() if isinstance(texts, list) \
                else str(texts)
            continue
        chosen = [labels[f.key].get(c, c) for c in value.get("choices") or []]
        chosen = [c for c in chosen if c in f.option_keys]
        if f.kind == "single":
            if chosen:
                values[f.key] = chosen[0]
        elif chosen:
            values[f.key] = [k for k in f.option_keys if k in chosen]  # form order, no duplicates
    return values, missed


def is_complete(form: Form, values: dict[str, Any]) -> bool:
    """Every choice field filled in with a valid value (text fields may be empty)."""
    filled = {**{f.key: "" for f in form.text_fields}, **values}
    return not form.check_values(filled)


def annotation_record(form: Form, task: dict[str, Any], ann: dict[str, Any]) -> AnnotationRecord:
    values, missed = result_values(form, ann.get("result") or [])
    completed_by = ann.get("completed_by")
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("id")
    lead = ann.get("lead_time")
    return AnnotationRecord(
        id=task["data"]["conversation_id"], task_id=int(task["id"]), annotation_id=int(ann["id"]),
        annotator=completed_by, form=values, complete=is_complete(form, values),
        was_cancelled=bool(ann.get("was_cancelled")), ground_truth=bool(ann.get("ground_truth")),
        lead_time=float(lead) if lead is not None else None,
        created_at=ann.get("created_at"), updated_at=ann.get("updated_at"), missed_pii=missed,
    )


# --- several annotations -> one form ---------------------------------------------------------


def consensus(form: Form, annotations: list[AnnotationRecord]) -> dict[str, Any] | None:
    """One form from the complete, not cancelled annotations of a conversation.

    A ground-truth annotation wins. Otherwise, per field: the majority (single: the most
    chosen option; multi: the options more than half chose), ties broken by the most
    recently updated annotation; a multi field whose majority set is empty or breaks an
    "exclusive" option falls back to that most recent annotation. Text: the most recent
    non-empty one. ``None`` when no annotation is usable.
    """
    usable = [a for a in annotations if a.complete and not a.was_cancelled]
    if not usable:
        return None
    usable.sort(key=lambda a: (a.updated_at or "", a.annotation_id))
    truth = [a for a in usable if a.ground_truth]
    if truth:
        return _with_text_defaults(form, truth[-1].form)
    if len(usable) == 1:
        return _with_text_defaults(form, usable[0].form)
    latest = usable[-1].form
    n = len(usable)
    out: dict[str, Any] = {}
    for f in form.fields:
        if f.kind == "text":
            texts = [a.form.get(f.key) for a in usable if a.form.get(f.key)]
            out[f.key] = texts[-1] if texts else ""
        elif f.kind == "single":
            counts = Counter(a.form[f.key] for a in usable)
            top = max(counts.values())
            tied = {k for k, c in counts.items() if c == top}
            out[f.key] = latest[f.key] if latest[f.key] in tied else sorted(tied)[0]
        else:
            counts = Counter(k for a in usable for k in a.form[f.key])
            chosen = [k for k in f.option_keys if counts[k] * 2 > n or (counts[k] * 2 == n and k in latest[f.key])]
            if not chosen or form.check_values({f.key: chosen}, require_all=False):
                chosen = list(latest[f.key])
            out[f.key] = chosen
    return out


def _with_text_defaults(form: Form, values: dict[str, Any]) -> dict[str, Any]:
    return {f.key: values.get(f.key, "" if f.kind == "text" else None) for f in form.fields}
