"""A model's figures on hand-labelled conversations it never saw (``childx demo --dev``).

A file of conversations with their ``gold`` form (and, optionally, gold ``evidence`` per
field, as ``../shared/data/README.md`` describes) is predicted with the model and scored as
the issue's figures are: mean per-field macro-F1, each field's macro-F1, acute risk caught
and false alarms, the fields filled in alone (right, share of all fields), the evidence
precision when the file has gold evidence, and contacts per second. Only figures come out,
never a conversation's text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..records import Conversation, FormRecord


def read_labelled(path: str | Path, form) -> tuple[list[tuple[Conversation, dict[str, Any]]], list[dict[str, Any]]]:
    """The ``(conversation, gold)`` pairs of a file and its rows as JSON objects (for the
    gold evidence); every problem is a one-line :class:`InputError` naming file and line."""
    from ..records import iter_json_lines, read_labelled_conversations

    pairs = [(Conversation.model_validate(c.model_dump(exclude={"evidence"}, exclude_none=True)), g)
             for c, g in read_labelled_conversations(path, form)]  # the gold evidence is not input
    rows = [data for _, data in iter_json_lines(path)]
    return pairs, rows


def labelled_figures(model_dir: str | Path, path: str | Path) -> dict[str, Any]:
    """The figures of the model in ``model_dir`` on the labelled conversations in ``path``."""
    from ..evaluation import alone_figures, compute_metrics, evidence_precision
    from .predict import load_model

    model = load_model(model_dir)
    form = model.form
    pairs, rows = read_labelled(path, form)
    convs = [c for c, _ in pairs]
    t0 = time.perf_counter()
    pred = model.predict(convs, key_sentence=False)
    seconds = time.perf_counter() - t0
    gold = [FormRecord(id=c.id, form=g) for c, g in pairs]
    m = compute_metrics(gold, pred, form)
    out: dict[str, Any] = {
        "file": Path(path).name, "contacts": len(convs), "mean_macro_f1": m["mean_macro_f1"],
        "fields": {k: v["macro_f1"] for k, v in m["fields"].items()},
        "alarms": [{k: a[k] for k in ("field", "option", "positives", "recall", "false_alarm_rate")}
                   for a in m["alarms"]],
        **alone_figures(gold, pred, form),
        "contacts_per_s": len(convs) / seconds if seconds > 0 else None,
    }
    if any(isinstance(r, dict) and r.get("evidence") for r in rows):
        out.update(evidence_precision(rows, pred, form))
    return out
