"""Expected calibration error and the reliability table (an `evaluate` metric module).

One item per (contact, field): `predictions` is the model's confidence in its value
(0–1), `references` is 1 when the value was right, else 0. Confidences are put into
`n_bins` equal-width bins ([0, 1/n), …, [(n-1)/n, 1]); ECE is the mean over bins of
|accuracy − mean confidence|, weighted by the share of items in the bin.

    evaluate.load("evaluation/metrics/calibration_error/calibration_error.py")
"""

import datasets
import evaluate
import numpy as np

_KWARGS = """
Args:
    predictions: confidences in [0, 1].
    references: 1 if the prediction was right, else 0.
    n_bins: number of equal-width bins (default 10).
Returns:
    ece, and bins: a list of {lower, upper, count, confidence, accuracy} (empty bins have None).
"""


class CalibrationError(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Expected calibration error (equal-width bins) and a reliability table.",
            citation="Guo et al. 2017, On Calibration of Modern Neural Networks.", inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("float64"),
                                        "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references, n_bins=10):
        conf = np.clip(np.asarray(predictions, dtype=float), 0.0, 1.0)
        ok = np.asarray(references, dtype=float)
        n = len(conf)
        idx = np.minimum((conf * n_bins).astype(int), n_bins - 1)
        ece = 0.0
        bins = []
        for b in range(n_bins):
            m = idx == b
            c = int(m.sum())
            row = {"lower": b / n_bins, "upper": (b + 1) / n_bins, "count": c, "confidence": None, "accuracy": None}
            if c:
                row["confidence"] = float(conf[m].mean())
                row["accuracy"] = float(ok[m].mean())
                ece += c / n * abs(row["accuracy"] - row["confidence"])
            bins.append(row)
        return {"ece": float(ece) if n else None, "bins": bins}
