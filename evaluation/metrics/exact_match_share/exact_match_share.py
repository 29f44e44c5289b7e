"""Share of form fields filled in exactly right (an `evaluate` metric module).

One item per (contact, field): `predictions` and `references` are the field's value as
a canonical string (a single field's option key; a multi field's option keys sorted and
joined with "|"). The share is the mean of exact equality.

    evaluate.load("evaluation/metrics/exact_match_share/exact_match_share.py")
"""

import datasets
import evaluate

_KWARGS = """
Args:
    predictions: canonical value strings, one per (contact, field).
    references: the same, from the gold forms.
Returns:
    exact_match_share (float in [0, 1]), n (int).
"""


class ExactMatchShare(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Share of form fields whose predicted value equals the gold value exactly.",
            citation="", inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        n = len(references)
        hits = sum(p == r for p, r in zip(predictions, references))
        return {"exact_match_share": hits / n if n else None, "n": n}
