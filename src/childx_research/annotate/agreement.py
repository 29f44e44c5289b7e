"""Inter-annotator agreement, time per task and missed personal data, from pulled annotations.

Label Studio Community has no agreement statistics; this is what the workbench adds.

- :func:`field_agreement` — Krippendorff's alpha (nominal) per single field, and per
  option (chosen / not chosen) for multi fields, over the conversations that have two
  or more usable annotations; with the observed share of agreeing pairs beside it.
- :func:`disagreements` — where annotators chose differently: one row per
  (conversation, field) with every annotator's answer.
- :func:`lead_times` — the seconds each annotator spent per task (Label Studio's lead_time).
- :func:`anonymisation_failures` — every "Missad personuppgift" span: conversation id,
  message index, offsets and type (never the text), so the anonymiser can be fixed.

All take :class:`~childx_research.annotate.results.AnnotationRecord` objects and return
pandas DataFrames with Swedish column names where people read them.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Iterable

import numpy as np
import pandas as pd

from ..forms import Form
from .results import AnnotationRecord

AGREEMENT_COLUMNS = ["fält", "alternativ", "typ", "alpha", "andel_lika", "uppgifter", "annoteringar"]


def _usable(annotations: Iterable[AnnotationRecord]) -> list[AnnotationRecord]:
    return [a for a in annotations if a.complete and not a.was_cancelled]


def _multiply_annotated(annotations: Iterable[AnnotationRecord]) -> dict[str, list[AnnotationRecord]]:
    """Conversation id -> its usable annotations, for conversations with two or more
    (one per annotator: that annotator's most recent)."""
    by_conv: dict[str, dict[object, AnnotationRecord]] = defaultdict(dict)
    for a in sorted(_usable(annotations), key=lambda a: (a.updated_at or "", a.annotation_id)):
        who = a.annotator if a.annotator is not None else f"annotation-{a.annotation_id}"
        by_conv[a.id][who] = a
    return {cid: list(anns.values()) for cid, anns in sorted(by_conv.items()) if len(anns) >= 2}


def krippendorff_alpha(units: list[list[object]]) -> float | None:
    """Krippendorff's alpha for nominal data; ``units`` holds each unit's values (one per
    annotator who coded it). ``None`` when it is undefined (fewer than two values in all,
    or only one distinct value: no disagreement is possible to measure)."""
    import krippendorff

    units = [u for u in units if len(u) >= 2]
    domain = sorted({v for u in units for v in u}, key=str)
    if len(domain) < 2:
        return None
    index = {v: i for i, v in enumerate(domain)}
    width = max(len(u) for u in units)
    # reliability data: rows = coder slots, columns = units (coder identity does not matter
    # for alpha, only which values share a unit)
    data = np.full((width, len(units)), np.nan)
    for j, u in enumerate(units):
        for i, v in enumerate(u):
            data[i, j] = index[v]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _pairwise_share(units: list[list[object]]) -> float | None:
    pairs = agree = 0
    for u in units:
        for a, b in combinations(u, 2):
            pairs += 1
            agree += a == b
    return agree / pairs if pairs else None


def field_agreement(annotations: Iterable[AnnotationRecord], form: Form) -> pd.DataFrame:
    """Alpha per single field and per option of every multi field (see the module doc)."""
    groups = _multiply_annotated(annotations)
    n_units = len(groups)
    n_anns = sum(len(v) for v in groups.values())
    rows = []
    for f in form.choice_fields:
        if f.kind == "single":
            units = [[a.form[f.key] for a in anns] for anns in groups.values()]
            rows.append({"fält": f.key, "alternativ": "", "typ": "single", "alpha": krippendorff_alpha(units),
                         "andel_lika": _pairwise_share(units), "uppgifter": n_units, "annoteringar": n_anns})
        else:
            for o in f.options:
                units = [[o.key in a.form[f.key] for a in anns] for anns in groups.values()]
                rows.append({"fält": f.key, "alternativ": o.key, "typ": "multi",
                             "alpha": krippendorff_alpha(units), "andel_lika": _pairwise_share(units),
                             "uppgifter": n_units, "annoteringar": n_anns})
    df = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    return df.astype({"alpha": float, "andel_lika": float})  # undefined -> NaN


def disagreements(annotations: Iterable[AnnotationRecord], form: Form) -> pd.DataFrame:
    """One row per (conversation, choice field) where the annotators' answers differ."""
    rows = []
    for cid, anns in _multiply_annotated(annotations).items():
        for f in form.choice_fields:
            answers = {a.annotator: (a.form[f.key] if f.kind == "single" else ", ".join(a.form[f.key]))
                       for a in anns}
            if len(set(answers.values())) > 1:
                rows.append({"id": cid, "fält": f.key,
                             "svar": "; ".join(f"{who}: {v}" for who, v in answers.items())})
    return pd.DataFrame(rows, columns=["id", "fält", "svar"])


def lead_times(annotations: Iterable[AnnotationRecord]) -> pd.DataFrame:
    """Seconds per annotation (Label Studio's lead_time), one row per annotation."""
    rows = [{"id": a.id, "task_id": a.task_id, "annotation_id": a.annotation_id, "annotator": a.annotator,
             "lead_time_s": a.lead_time, "was_cancelled": a.was_cancelled}
            for a in sorted(annotations, key=lambda a: (a.task_id, a.annotation_id))]
    return pd.DataFrame(rows, columns=["id", "task_id", "annotation_id", "annotator", "lead_time_s",
                                       "was_cancelled"])


def lead_time_per_task(annotations: Iterable[AnnotationRecord]) -> pd.DataFrame:
    """Per task: number of annotations, total and median seconds spent."""
    df = lead_times(annotations)
    if df.empty:
        return pd.DataFrame(columns=["id", "task_id", "annoteringar", "sekunder_totalt", "sekunder_median"])
    g = df.groupby(["id", "task_id"], sort=True)["lead_time_s"]
    out = pd.DataFrame({"annoteringar": g.size(), "sekunder_totalt": g.sum(min_count=1),
                        "sekunder_median": g.median()}).reset_index()
    return out


def anonymisation_failures(annotations: Iterable[AnnotationRecord]) -> pd.DataFrame:
    """Every "Missad personuppgift" span: conversation id, type, message index and offsets."""
    rows = []
    for a in sorted(annotations, key=lambda a: (a.task_id, a.annotation_id)):
        for s in a.missed_pii:
            rows.append({"id": a.id, "typ": s.type, "meddelande": s.message, "till_meddelande": s.end_message,
                         "start": s.start, "slut": s.end, "task_id": a.task_id, "annotation_id": a.annotation_id,
                         "annotator": a.annotator})
    return pd.DataFrame(rows, columns=["id", "typ", "meddelande", "till_meddelande", "start", "slut", "task_id",
                                       "annotation_id", "annotator"])
