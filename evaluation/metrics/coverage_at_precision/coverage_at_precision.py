"""Coverage at a target precision (an `evaluate` metric module).

One item per (contact, field): `predictions` is the model's confidence, `references` is
1 when its value was right. Fields are filled in by the model alone from the most
confident down; coverage is the largest share of fields that can be filled this way
while the filled ones are still right at least `precision` of the time (default 0.95).
It estimates how much of the form the model could fill in without a person — the time saved.

Only cuts between distinct confidences count (tied items are filled together).

    evaluate.load("evaluation/metrics/coverage_at_precision/coverage_at_precision.py")
"""

import datasets
import evaluate
import numpy as np

_KWARGS = """
Args:
    predictions: confidences.
    references: 1 if right, else 0.
    precision: the target precision (default 0.95).
Returns:
    coverage (0 when no cut reaches the precision), threshold (the lowest confidence
    filled, None when none), precision_at_coverage, precision (the target).
"""


class CoverageAtPrecision(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Largest share of fields the model can fill alone at a target precision.",
            citation="", inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("float64"),
                                        "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references, precision=0.95):
        conf = np.asarray(predictions, dtype=float)
        ok = np.asarray(references, dtype=float)
        n = len(conf)
        best = {"coverage": 0.0, "threshold": None, "precision_at_coverage": None, "precision": precision}
        if not n:
            best["coverage"] = None
            return best
        order = np.argsort(-conf, kind="stable")
        c, o = conf[order], ok[order]
        prec = np.cumsum(o) / np.arange(1, n + 1)
        for i in range(n):
            if i + 1 < n and c[i + 1] == c[i]:
                continue
            if prec[i] >= precision - 1e-12:
                best = {"coverage": (i + 1) / n, "threshold": float(c[i]),
                        "precision_at_coverage": float(prec[i]), "precision": precision}
        return best
