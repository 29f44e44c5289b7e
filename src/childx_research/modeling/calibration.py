"""Knowing when it doesn't know: calibration and decisions, shared by both families.

Everything is fitted on the validation split, from the model's logits:

1. **Temperature scaling**, one temperature per field (softmax for single fields, sigmoid
   per option for multi fields), chosen to minimise the validation negative log-likelihood.
2. **Per-option thresholds** for multi fields: the threshold with the best validation F1
   (0.5 when an option has too few validation positives to tell).
3. **Alarms** (config ``calibration.alarms``, e.g. acute risk): the option's threshold is
   lowered until validation recall reaches the target (1.0: every validation case
   caught), then multiplied by a margin (< 1) for unseen text; the false-alarm rate on
   validation is reported.
4. **Confidence bars**: per field, the lowest confidence at which the validation
   predictions are right at least ``confidence_precision`` of the time, and never below
   ``min_bar`` (a validation split of generated text overstates how reliable the model
   is on real text). A prediction below its field's bar is flagged for a person
   (``needs_review``); in Label Studio pre-annotations those fields stay empty.

A field's confidence is the calibrated probability that its whole value is right: the
chosen option's probability for single fields; for multi fields the product over options
of p (chosen) or 1 - p (not chosen).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..forms import Form, FormField

T_GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 161))
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)
NEVER = 1.01  # a bar no confidence reaches: always for a person


@dataclass
class FieldCalibration:
    temperature: float = 1.0
    thresholds: list[float] | None = None        # multi fields: one per option
    alarms: dict[str, float] = field(default_factory=dict)  # option -> threshold (recall first)
    bar: float = 0.0                             # confidence bar


@dataclass
class Calibration:
    fields: dict[str, FieldCalibration]

    def to_dict(self) -> dict[str, Any]:
        return {k: asdict(v) for k, v in self.fields.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Calibration":
        return cls({k: FieldCalibration(**v) for k, v in data.items()})

    @classmethod
    def identity(cls, form: Form) -> "Calibration":
        return cls({f.key: FieldCalibration(thresholds=[0.5] * len(f.options) if f.kind == "multi" else None)
                    for f in form.choice_fields})


# --- probabilities ----------------------------------------------------------------------

def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def probabilities(f: FormField, logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    return softmax(z) if f.kind == "single" else sigmoid(z)


def _nll(f: FormField, logits: np.ndarray, target: np.ndarray, t: float) -> float:
    p = np.clip(probabilities(f, logits, t), 1e-12, 1 - 1e-12)
    if f.kind == "single":
        return float(-np.log(p[np.arange(len(target)), target]).mean())
    return float(-(target * np.log(p) + (1 - target) * np.log(1 - p)).mean())


def targets(f: FormField, values: list[dict[str, Any]]) -> np.ndarray:
    """Option indices (single) or a 0/1 matrix (multi) for a field over many forms."""
    if f.kind == "single":
        return np.array([f.option_keys.index(v[f.key]) for v in values], dtype=np.int64)
    return np.array([[int(o in v[f.key]) for o in f.option_keys] for v in values], dtype=np.int64).reshape(
        len(values), len(f.options))


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((y & pred).sum())
    denom = int(y.sum() + pred.sum())
    return 2 * tp / denom if denom else 1.0


# --- decisions --------------------------------------------------------------------------

def decide_field(f: FormField, p: np.ndarray, fc: FieldCalibration) -> tuple[Any, Any, float]:
    """(value, confidence for the record, field confidence) for one conversation's field."""
    keys = f.option_keys
    if f.kind == "single":
        fired = [(p[keys.index(o)] / t, o) for o, t in fc.alarms.items() if p[keys.index(o)] >= t]
        if fired:
            choice = keys.index(max(fired)[1])
        else:
            masked = p.copy()
            for o in fc.alarms:  # an alarm option is chosen only through its own threshold
                masked[keys.index(o)] = -1.0
            choice = int(masked.argmax()) if masked.max() >= 0 else int(p.argmax())
        conf = float(p[choice])
        return keys[choice], round(conf, 4), conf
    th = np.array(fc.thresholds if fc.thresholds is not None else [0.5] * len(keys), dtype=np.float64)
    for o, t in fc.alarms.items():
        th[keys.index(o)] = t
    exclusive = f.exclusive_keys
    above = [j for j in range(len(keys)) if p[j] >= th[j]]
    chosen = [j for j in above if keys[j] not in exclusive]
    if not chosen:
        excl = [j for j in range(len(keys)) if keys[j] in exclusive]
        if excl:
            chosen = [max(excl, key=lambda j: p[j])]
        else:
            chosen = [int(np.argmax(p / th))]
    on = np.zeros(len(keys), dtype=bool)
    on[chosen] = True
    conf_field = float(np.prod(np.where(on, p, 1.0 - p)))
    value = [keys[j] for j in chosen]
    return value, {keys[j]: round(float(p[j]), 4) for j in chosen}, conf_field


def decide(form: Form, logits: dict[str, np.ndarray], calib: Calibration) -> list[dict[str, Any]]:
    """For each conversation: ``values``, ``confidence`` (record format), ``field_confidence``
    and ``needs_review`` (fields below their bar)."""
    n = len(next(iter(logits.values()))) if logits else 0
    out = [{"values": {}, "confidence": {}, "field_confidence": {}, "needs_review": []} for _ in range(n)]
    for f in form.choice_fields:
        fc = calib.fields[f.key]
        P = probabilities(f, logits[f.key], fc.temperature)
        for i in range(n):
            value, conf, conf_field = decide_field(f, P[i], fc)
            out[i]["values"][f.key] = value
            out[i]["confidence"][f.key] = conf
            out[i]["field_confidence"][f.key] = round(conf_field, 4)
            if conf_field < fc.bar:
                out[i]["needs_review"].append(f.key)
    return out


def is_correct(f: FormField, predicted: Any, gold: Any) -> bool:
    if f.kind == "single":
        return predicted == gold
    return set(predicted) == set(gold)


# --- fitting ----------------------------------------------------------------------------

def fit(form: Form, logits: dict[str, np.ndarray], values: list[dict[str, Any]],
        cfg: dict[str, Any] | None = None, alarms: list[dict[str, Any]] | None = None
        ) -> tuple[Calibration, dict[str, Any]]:
    """Fit a :class:`Calibration` on validation logits and gold values; also a report."""
    cfg = cfg or {}
    alarms = alarms or []
    min_pos = int(cfg.get("min_positives", 3))
    target_precision = float(cfg.get("confidence_precision", 0.95))
    calib = Calibration.identity(form)
    report: dict[str, Any] = {"n_validation": len(values), "fields": {}, "alarms": []}
    for f in form.choice_fields:
        fc = calib.fields[f.key]
        y = targets(f, values)
        z = logits[f.key]
        if cfg.get("temperature", True) and len(values):
            losses = [_nll(f, z, y, t) for t in T_GRID]
            fc.temperature = float(T_GRID[int(np.argmin(losses))])
        P = probabilities(f, z, fc.temperature)
        if f.kind == "multi" and cfg.get("thresholds", True):
            th = []
            for j in range(len(f.options)):
                yj = y[:, j].astype(bool)
                if yj.sum() < min_pos:
                    th.append(0.5)
                    continue
                scores = [(_f1(yj, P[:, j] >= t), -abs(t - 0.5), t) for t in THRESHOLD_GRID]
                th.append(float(max(scores)[2]))
            fc.thresholds = th
        for a in alarms:
            if a["field"] != f.key:
                continue
            j = f.option_keys.index(a["option"])
            pos = (y == j) if f.kind == "single" else y[:, j].astype(bool)
            recall_target = float(a.get("recall", 1.0))
            margin = float(a.get("margin", 1.0))
            cap = 0.5 if f.kind == "single" else (fc.thresholds[j] if fc.thresholds else 0.5)
            if pos.sum():
                ps = np.sort(P[pos, j])[::-1]
                k = int(np.ceil(recall_target * len(ps))) - 1
                t = float(ps[max(k, 0)])
            else:
                t = cap
            t = min(t, cap) * margin
            fc.alarms[a["option"]] = t
            fired = P[:, j] >= t
            report["alarms"].append({
                "field": f.key, "option": a["option"], "threshold": round(t, 6),
                "recall": float(fired[pos].mean()) if pos.sum() else None,
                "false_alarm_rate": float(fired[~pos].mean()) if (~pos).sum() else None,
                "positives": int(pos.sum()), "negatives": int((~pos).sum()),
            })
        # confidence bar: lowest confidence whose covered validation predictions are precise enough
        decided = [decide_field(f, P[i], fc) for i in range(len(values))]
        conf = np.array([d[2] for d in decided])
        correct = np.array([is_correct(f, d[0], v[f.key]) for d, v in zip(decided, values)])
        fc.bar = max(bar_for(conf, correct, target_precision), float(cfg.get("min_bar", 0.0)))
        covered = conf >= fc.bar
        report["fields"][f.key] = {
            "temperature": round(fc.temperature, 4), "bar": round(fc.bar, 4),
            "accuracy": float(correct.mean()) if len(correct) else None,
            "coverage": float(covered.mean()) if len(correct) else None,
            "precision_covered": float(correct[covered].mean()) if covered.any() else None,
            **({"thresholds": [round(t, 3) for t in fc.thresholds]} if f.kind == "multi" else {}),
        }
    return calib, report


def bar_for(conf: np.ndarray, correct: np.ndarray, target: float) -> float:
    """The lowest threshold t with precision(conf >= t) >= target; ``NEVER`` if none."""
    if not len(conf):
        return NEVER
    order = np.argsort(-conf, kind="stable")
    c, ok = conf[order], correct[order].astype(float)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    best = NEVER
    for i in range(len(c)):
        # only cut between distinct confidences
        if i + 1 < len(c) and c[i + 1] == c[i]:
            continue
        if precision[i] >= target:
            best = float(c[i])
    return best
