"""Per-field macro- and micro-F1 for one form field (an `evaluate` metric module).

Single fields: `predictions` and `references` are option indices (one per contact).
Multi fields: multi-hot lists (one 0/1 per option, per contact).

- macro_f1: the mean of per-option F1 over the options that occur in the references or
  the predictions (an option absent from both says nothing about the model and is left out);
- micro_f1: F1 over all (contact, option) decisions pooled. For a single field this
  equals accuracy.

Loaded by path (the Hub is never contacted):
    evaluate.load("evaluation/metrics/field_f1/field_f1.py")
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Macro- and micro-F1 for a single-choice or multi-choice form field."
_KWARGS = """
Args:
    predictions: option index per contact (single) or multi-hot list per contact (multi).
    references: the same shape as predictions.
    num_options: optional, the number of options (single fields); default: inferred.
Returns:
    macro_f1, micro_f1, per_option (list of F1 or None for options absent from both), support.
"""


def _f1(tp, fp, fn):
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom else 0.0


class FieldF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=_KWARGS,
            features=[
                datasets.Features({"predictions": datasets.Sequence(datasets.Value("int32")),
                                   "references": datasets.Sequence(datasets.Value("int32"))}),
                datasets.Features({"predictions": datasets.Value("int32"),
                                   "references": datasets.Value("int32")}),
            ],
        )

    def _compute(self, predictions, references, num_options=None):
        pred = np.asarray(predictions)
        ref = np.asarray(references)
        if pred.ndim == 1:  # single field: option indices -> one-hot
            k = int(num_options or (max(pred.max(initial=0), ref.max(initial=0)) + 1))
            pred = np.eye(k, dtype=int)[pred]
            ref = np.eye(k, dtype=int)[ref]
        if pred.size == 0:
            return {"macro_f1": None, "micro_f1": None, "per_option": [], "support": []}
        tp = (pred & ref).sum(0)
        fp = (pred & (1 - ref)).sum(0)
        fn = ((1 - pred) & ref).sum(0)
        per = [(_f1(a, b, c) if (a + b + c) else None) for a, b, c in zip(tp, fp, fn)]
        present = [p for p in per if p is not None]
        return {
            "macro_f1": float(np.mean(present)) if present else None,
            "micro_f1": float(_f1(tp.sum(), fp.sum(), fn.sum())) if (tp.sum() + fp.sum() + fn.sum()) else None,
            "per_option": [None if p is None else float(p) for p in per],
            "support": [int(s) for s in ref.sum(0)],
        }
