"""The classifier and the evidence, combined by a learned second stage (stacking).

For every field, a small logistic regression reads the first-stage classifier's scores
(the baseline's or the transformer's logits: the same code path for both families) and the
evidence features of the conversation — for each option: is there evidence that counts
(affirmed, the help-seeker's own, now), and is there evidence the field excludes (negated,
someone else's, hypothetical, historical)? It is fitted on the validation split, which the
classifier never trained on, so it learns how far explicit evidence outweighs the
classifier and how far the classifier decides where there is none. No weight is set by
hand. Single fields: one multinomial regression over all options; multi fields: one binary
regression per option. A field whose validation split lacks an option (or has one class
only) keeps the classifier's scores unchanged.

The fitted stage is plain numbers (``stacking.json`` in the model folder), applied with
numpy: no pickled object.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..forms import Form, FormField

FILE = "stacking.json"


def evidence_features(form: Form, founds: list) -> dict[str, np.ndarray]:
    """Per choice field: (n, 2 * n_options) — counted evidence, excluded-only evidence."""
    out: dict[str, np.ndarray] = {}
    for f in form.choice_fields:
        X = np.zeros((len(founds), 2 * len(f.options)), dtype=np.float64)
        for i, fd in enumerate(founds):
            for e in fd.items.get(f.key, []):
                j = f.option_keys.index(e.option)
                X[i, 2 * j + (0 if e.counts else 1)] = 1.0
        out[f.key] = X
    return out


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _inputs(f: FormField, logits: np.ndarray, feats: np.ndarray, j: int | None = None) -> np.ndarray:
    if f.kind == "single":
        return np.hstack([_log_softmax(np.asarray(logits, dtype=np.float64)), feats])
    return np.column_stack([np.asarray(logits[:, j], dtype=np.float64), feats[:, 2 * j], feats[:, 2 * j + 1]])


class Stacker:
    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields   # key -> {"coef": ..., "intercept": ...} | list of those (multi) | None

    def to_dict(self) -> dict[str, Any]:
        return {"fields": self.fields}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Stacker":
        return cls(d.get("fields") or {})

    def apply(self, form: Form, logits: dict[str, np.ndarray], feats: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = dict(logits)
        for f in form.choice_fields:
            p = self.fields.get(f.key)
            if p is None or f.key not in feats:
                continue
            if f.kind == "single":
                X = _inputs(f, logits[f.key], feats[f.key])
                out[f.key] = _log_softmax(X @ np.asarray(p["coef"]).T + np.asarray(p["intercept"]))
            else:
                cols = []
                for j, pj in enumerate(p):
                    if pj is None:
                        cols.append(np.asarray(logits[f.key][:, j], dtype=np.float64))
                    else:
                        X = _inputs(f, logits[f.key], feats[f.key], j)
                        cols.append(X @ np.asarray(pj["coef"]) + float(pj["intercept"]))
                out[f.key] = np.stack(cols, axis=1)
        return out


def fit(form: Form, logits: dict[str, np.ndarray], feats: dict[str, np.ndarray], values: list[dict[str, Any]],
        C: float = 1.0, seed: int = 1) -> tuple[Stacker, dict[str, Any]]:
    """The second stage fitted on validation logits, evidence features and gold values."""
    from sklearn.linear_model import LogisticRegression

    fields: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for f in form.choice_fields:
        if f.kind == "single":
            y = np.array([f.option_keys.index(v[f.key]) for v in values])
            if len(set(y.tolist())) < len(f.options):
                fields[f.key] = None
                report[f.key] = "kept (an option is missing in validation)"
                continue
            lr = LogisticRegression(C=C, max_iter=1000, random_state=seed)
            lr.fit(_inputs(f, logits[f.key], feats[f.key]), y)
            coef, icpt = lr.coef_, lr.intercept_
            if coef.shape[0] == 1:  # two options: sklearn keeps one row (the second option's log-odds)
                coef, icpt = np.vstack([np.zeros_like(coef), coef]), np.array([0.0, icpt[0]])
            fields[f.key] = {"coef": coef.tolist(), "intercept": icpt.tolist()}
            report[f.key] = "stacked"
        else:
            per = []
            for j, o in enumerate(f.option_keys):
                y = np.array([1 if o in (v[f.key] or []) else 0 for v in values])
                if y.min() == y.max():
                    per.append(None)
                    continue
                lr = LogisticRegression(C=C, max_iter=1000, random_state=seed)
                lr.fit(_inputs(f, logits[f.key], feats[f.key], j), y)
                per.append({"coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])})
            fields[f.key] = per
            report[f.key] = f"stacked {sum(p is not None for p in per)} of {len(per)} options"
    return Stacker(fields), report
