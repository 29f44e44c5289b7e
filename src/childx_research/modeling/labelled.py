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


class Labelled:
    """One labelled file, read and checked once: the conversations (without the gold
    evidence, which is not input), their gold forms, and the rows the evidence precision
    compares with (id, message texts, gold, gold evidence)."""

    def __init__(self, path: str | Path, form) -> None:
        from ..records import read_labelled_conversations

        self.name = Path(path).name
        self.pairs: list[tuple[Conversation, dict[str, Any]]] = []
        self.rows: list[dict[str, Any]] = []
        for conv, gold in read_labelled_conversations(path, form):  # one-line errors naming file and line
            evidence = (conv.model_extra or {}).get("evidence")
            conv = Conversation.model_validate(conv.model_dump(exclude={"evidence"}, exclude_none=True))
            self.pairs.append((conv, gold))
            self.rows.append({"id": conv.id, "messages": [{"text": m.text} for m in conv.messages],
                              "gold": gold, "evidence": evidence})


def labelled_figures(model_dir: str | Path, data: str | Path | Labelled) -> dict[str, Any]:
    """The figures of the model in ``model_dir`` on a labelled file (a path, or one already
    read as :class:`Labelled`)."""
    from ..evaluation import alone_figures, compute_metrics, evidence_precision
    from .predict import load_model

    model = load_model(model_dir)
    form = model.form
    data = data if isinstance(data, Labelled) else Labelled(data, form)
    convs = [c for c, _ in data.pairs]
    t0 = time.perf_counter()
    pred = model.predict(convs, key_sentence=False)
    seconds = time.perf_counter() - t0
    gold = [FormRecord(id=c.id, form=g) for c, g in data.pairs]
    m = compute_metrics(gold, pred, form)
    out: dict[str, Any] = {
        "file": data.name, "contacts": len(convs), "mean_macro_f1": m["mean_macro_f1"],
        "fields": {k: v["macro_f1"] for k, v in m["fields"].items()},
        "alarms": [{"field": a["field"], "option": a["option"], "positives": a["positives"], "caught": a["tp"],
                    "recall": a["recall"], "false_alarm_rate": a["false_alarm_rate"]} for a in m["alarms"]],
        **alone_figures(gold, pred, form),
        "contacts_per_s": len(convs) / seconds if seconds > 0 else None,
    }
    if any(r["evidence"] for r in data.rows):
        out.update(evidence_precision(data.rows, pred, form))
    return out
