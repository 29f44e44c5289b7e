"""The classifier and the evidence, combined by a learned second stage (stacking).

For every field, a small logistic regression reads the first-stage classifier's scores
(the baseline's or the transformer's logits: the same code path for both families) and the
evidence features of the conversation — for each option: is there evidence that counts
(affirmed, the help-seeker's own, now), and is there evidence the field excludes (negated,
someone else's, hypothetical, historical)? The classifier's scores enter as a fixed offset
and the evidence weights are learned on the validation split, which the classifier never
trained on, without an intercept: where the text holds no evidence the scores are exactly
the classifier's (it decides), and where it does the learned weights say how far explicit
evidence outweighs it. No weight is set by hand. (A free intercept and classifier weight
were tried first: on generated text nearly every "ongoing" contact has a cue, so the
stage learned that *no* cue means "not ongoing", and on hand-written text, where it is
implied, it overruled the classifier.) Single fields: a multinomial regression over all
options; multi fields: a binary regression per option. A field whose validation split
lacks an option (or has one class only) keeps the classifier's scores unchanged.

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


def _fit_offset(offset: np.ndarray, F: np.ndarray, y: np.ndarray, C: float, multinomial: bool) -> np.ndarray:
    """Weights W of ``z = offset + F @ W`` minimising the log loss + ||W||² / (2C) (the
    objective scikit-learn's LogisticRegression uses), with the offset fixed and no intercept."""
    from scipy.optimize import minimize

    n, d = F.shape
    k = offset.shape[1] if multinomial else 1

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        W = w.reshape(d, k)
        z = offset + F @ W if multinomial else offset + (F @ W)[:, 0]
        if multinomial:
            lp = _log_softmax(z)
            P = np.exp(lp)
            P[np.arange(n), y] -= 1.0
            value = -lp[np.arange(n), y].sum()
            grad = F.T @ P
        else:
            value = np.logaddexp(0.0, z).sum() - (y * z).sum()
            grad = (F.T @ (1.0 / (1.0 + np.exp(-z)) - y))[:, None]
        return value + (W ** 2).sum() / (2 * C), (grad + W / C).ravel()

    res = minimize(loss, np.zeros(d * k), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    return res.x.reshape(d, k)


def fit(form: Form, logits: dict[str, np.ndarray], feats: dict[str, np.ndarray], values: list[dict[str, Any]],
        C: float = 1.0, seed: int = 1) -> tuple[Stacker, dict[str, Any]]:
    """The second stage fitted on validation logits, evidence features and gold values: the
    classifier's scores as a fixed offset, the evidence weights learned (see the module).
    Written in the format :meth:`Stacker.apply` reads: coefficients over [scores | evidence]
    with the identity on the scores and a zero intercept. ``seed`` is unused (the fit is
    deterministic)."""
    fields: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for f in form.choice_fields:
        F = np.asarray(feats[f.key], dtype=np.float64)
        if f.kind == "single":
            y = np.array([f.option_keys.index(v[f.key]) for v in values])
            if len(set(y.tolist())) < len(f.options):
                fields[f.key] = None
                report[f.key] = "kept (an option is missing in validation)"
                continue
            k = len(f.options)
            W = _fit_offset(_log_softmax(np.asarray(logits[f.key], dtype=np.float64)), F, y, C, True)
            coef = np.hstack([np.eye(k), W.T])
            fields[f.key] = {"coef": coef.tolist(), "intercept": [0.0] * k}
            report[f.key] = "stacked"
        else:
            per = []
            for j, o in enumerate(f.option_keys):
                y = np.array([1 if o in (v[f.key] or []) else 0 for v in values])
                if y.min() == y.max():
                    per.append(None)
                    continue
                Fj = F[:, [2 * j, 2 * j + 1]]
                w = _fit_offset(np.asarray(logits[f.key][:, j], dtype=np.float64), Fj, y, C, False)[:, 0]
                per.append({"coef": [1.0, float(w[0]), float(w[1])], "intercept": 0.0})
            fields[f.key] = per
            report[f.key] = f"stacked {sum(p is not None for p in per)} of {len(per)} options"
    return Stacker(fields), report
