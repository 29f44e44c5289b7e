"""Recall and false-alarm rate of one alarm option, e.g. acute risk (an `evaluate` metric module).

`predictions` and `references` are 0/1 per contact: whether the option was predicted
and whether it is in the gold form. Missing a true case is the worst error the form can
make, so recall is the headline; the false-alarm rate is the price: the share of
negative contacts that were flagged, FP / (FP + TN).

    evaluate.load("evaluation/metrics/alarm_recall/alarm_recall.py")
"""

import datasets
import evaluate

_KWARGS = """
Args:
    predictions: 1 if the alarm option was predicted, else 0.
    references: 1 if it is in the gold form, else 0.
Returns:
    recall (None without positives), false_alarm_rate (None without negatives),
    precision (None without any alarm), tp, fn, fp, tn.
"""


class AlarmRecall(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Recall and false-alarm rate of an alarm option.", citation="", inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references):
        tp = sum(1 for p, r in zip(predictions, references) if p and r)
        fn = sum(1 for p, r in zip(predictions, references) if not p and r)
        fp = sum(1 for p, r in zip(predictions, references) if p and not r)
        tn = sum(1 for p, r in zip(predictions, references) if not p and not r)
        return {
            "recall": tp / (tp + fn) if tp + fn else None,
            "false_alarm_rate": fp / (fp + tn) if fp + tn else None,
            "precision": tp / (tp + fp) if tp + fp else None,
            "tp": tp, "fn": fn, "fp": fp, "tn": tn,
        }
