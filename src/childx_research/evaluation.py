"""Evaluate predicted forms against gold forms: metrics (JSON) and charts (Swedish).

The metrics are the project's own `evaluate` modules in ``evaluation/metrics/<name>/``,
loaded by path (the Hugging Face Hub is never contacted):

- ``field_f1``: per-field macro- and micro-F1;
- ``exact_match_share``: the share of fields filled in exactly right;
- ``alarm_recall``: recall and false-alarm rate of each alarm option (acute risk);
- ``calibration_error``: expected calibration error and the reliability table;
- ``coverage_at_precision``: the share of fields the model could fill in alone at 95 %
  precision (our estimate of time saved).

Everything is derived from the form: any form file works.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .errors import InputError
from .forms import Form, FormField
from .records import FormRecord, write_json

METRICS_DIR = Path(__file__).resolve().parents[2] / "evaluation" / "metrics"
METRIC_NAMES = ("field_f1", "exact_match_share", "alarm_recall", "calibration_error", "coverage_at_precision")
FAMILY_LABELS_SV = {"baseline": "Baslinje (TF-IDF + LR)", "transformer": "Transformer"}


@lru_cache(maxsize=None)
def load_metric(name: str):
    """One of the project's metric modules, loaded by path with ``evaluate.load``."""
    import evaluate

    path = METRICS_DIR / name / f"{name}.py"
    if not path.exists():
        raise InputError("metric module not found", path=path)
    return evaluate.load(str(path))


def _as_list(v: Any) -> list[str]:
    return [v] if isinstance(v, str) else list(v or [])


def canonical(f: FormField, v: Any) -> str:
    return v if f.kind == "single" else "|".join(sorted(_as_list(v)))


def field_confidence(rec: FormRecord, f: FormField) -> float | None:
    """The record's confidence in its whole value of field ``f`` (None when it has none)."""
    fc = getattr(rec, "field_confidence", None) or {}
    if f.key in fc:
        return float(fc[f.key])
    c = (rec.confidence or {}).get(f.key)
    if c is None:
        return None
    if isinstance(c, dict):
        return float(np.prod(list(c.values()))) if c else None
    return float(c)


def pair_records(gold: Iterable[FormRecord], pred: Iterable[FormRecord], pred_path: Any = None
                 ) -> list[tuple[FormRecord, FormRecord]]:
    """(gold, prediction) pairs by id; every gold id must have a prediction."""
    by_id = {p.id: p for p in pred}
    pairs = []
    for g in gold:
        p = by_id.get(g.id)
        if p is None:
            line = getattr(g, "_line", None)
            where = f" on line {line}" if line else ""
            raise InputError(f"no prediction for the gold record{where} (no record with its id)", path=pred_path)
        pairs.append((g, p))
    if not pairs:
        raise InputError("no records to compare", path=pred_path)
    return pairs


def compute_metrics(gold: list[FormRecord], pred: list[FormRecord], form: Form,
                    alarms: list[dict[str, Any]] | None = None, precision: float = 0.95, n_bins: int = 10,
                    pred_path: Any = None) -> dict[str, Any]:
    """All metrics for predictions against gold, as a JSON-able dict."""
    if alarms is None:  # the form's alarm options (``alarm: true``)
        alarms = [{"field": k, "option": o} for k, o in form.alarm_options]
    pairs = pair_records(gold, pred, pred_path)
    f1m, emm = load_metric("field_f1"), load_metric("exact_match_share")
    out: dict[str, Any] = {"form": form.id, "n": len(pairs), "fields": {}, "confusion": {}}
    all_pred, all_ref, conf, correct = [], [], [], []
    for f in form.choice_fields:
        keys = f.option_keys
        gv = [g.form[f.key] for g, _ in pairs]
        pv = [p.form[f.key] for _, p in pairs]
        if f.kind == "single":
            r = f1m.compute(predictions=[keys.index(v) for v in pv], references=[keys.index(v) for v in gv],
                            num_options=len(keys))
            m = np.zeros((len(keys), len(keys)), dtype=int)
            for a, b in zip(gv, pv):
                m[keys.index(a), keys.index(b)] += 1
            out["confusion"][f.key] = {"labels": keys, "matrix": m.tolist()}
        else:
            r = f1m.compute(predictions=[[int(o in _as_list(v)) for o in keys] for v in pv],
                            references=[[int(o in _as_list(v)) for o in keys] for v in gv])
        cp = [canonical(f, v) for v in pv]
        cr = [canonical(f, v) for v in gv]
        em = emm.compute(predictions=cp, references=cr)["exact_match_share"]
        all_pred += cp
        all_ref += cr
        fconf = [field_confidence(p, f) for _, p in pairs]
        ok = [int(a == b) for a, b in zip(cp, cr)]
        field_out = {"kind": f.kind, "macro_f1": r["macro_f1"], "micro_f1": r["micro_f1"], "exact_match": em,
                     "per_option": dict(zip(keys, r["per_option"])), "support": dict(zip(keys, r["support"]))}
        if all(c is not None for c in fconf):
            cov = load_metric("coverage_at_precision").compute(predictions=fconf, references=ok, precision=precision)
            field_out["coverage"] = cov["coverage"]
            conf += fconf
            correct += ok
        reviews = [f.key in (getattr(p, "needs_review", None) or []) for _, p in pairs]
        if any(getattr(p, "needs_review", None) is not None for _, p in pairs):
            field_out["review_share"] = float(np.mean(reviews))
        out["fields"][f.key] = field_out
    macro = [v["macro_f1"] for v in out["fields"].values() if v["macro_f1"] is not None]
    micro = [v["micro_f1"] for v in out["fields"].values() if v["micro_f1"] is not None]
    out["mean_macro_f1"] = float(np.mean(macro)) if macro else None
    out["mean_micro_f1"] = float(np.mean(micro)) if micro else None
    out["exact_match_share"] = emm.compute(predictions=all_pred, references=all_ref)["exact_match_share"]
    out["alarms"] = []
    for a in alarms:
        f = form.field(a["field"])
        res = load_metric("alarm_recall").compute(
            predictions=[int(a["option"] in _as_list(p.form[f.key])) for _, p in pairs],
            references=[int(a["option"] in _as_list(g.form[f.key])) for g, _ in pairs])
        out["alarms"].append({"field": f.key, "option": a["option"], "positives": res["tp"] + res["fn"], **res})
    if conf and len(conf) == len(all_pred):
        ce = load_metric("calibration_error").compute(predictions=conf, references=correct, n_bins=n_bins)
        out["ece"] = ce["ece"]
        out["reliability"] = ce["bins"]
        out["coverage"] = load_metric("coverage_at_precision").compute(predictions=conf, references=correct,
                                                                       precision=precision)
    else:
        out["ece"] = None
        out["coverage"] = {"precision": precision, "coverage": None}
    return out


# --- reading ----------------------------------------------------------------------------

def read_gold(path: str | Path, form: Form) -> list[FormRecord]:
    """Gold form records, or contacts / hand-labelled conversations with a ``gold`` form."""
    import json

    from .records import check_unique_ids, read_form_records

    p = Path(path)
    first = None
    try:
        with p.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    first = json.loads(line)
                    break
    except (OSError, ValueError, RecursionError):  # ValueError: bad JSON or not UTF-8
        first = None  # the reader below names the problem
    if isinstance(first, dict) and "gold" in first and "form" not in first:
        from .records import read_labelled_conversations

        recs = [FormRecord(id=c.id, started_at=c.started_at, organisation=c.organisation, form=gold)
                for c, gold in read_labelled_conversations(p, form)]
    else:
        recs = read_form_records(p, form)
    check_unique_ids(recs, p)
    return recs


def evaluate_files(gold_path: str | Path, pred_path: str | Path, out_dir: str | Path, form: Form,
                   alarms: list[dict[str, Any]] | None = None, label: str | None = None) -> dict[str, Path]:
    """``childx evaluate``: metrics.json and charts in ``out_dir``. Reads everything before writing."""
    from .records import check_unique_ids, read_form_records

    gold = read_gold(gold_path, form)
    pred = read_form_records(pred_path, form)
    check_unique_ids(pred, pred_path)
    metrics = compute_metrics(gold, pred, form, alarms=alarms, pred_path=pred_path)
    return write_report(metrics, form, out_dir, label=label)


def write_report(metrics: dict[str, Any], form: Form, out_dir: str | Path, label: str | None = None,
                 others: dict[str, dict[str, Any]] | None = None) -> dict[str, Path]:
    """metrics.json plus charts: F1 per field, confusion matrices, reliability diagram."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {"metrics": out / "metrics.json"}
    write_json(paths["metrics"], metrics)
    series = {label or "modell": metrics, **(others or {})}
    figs = {"f1_per_falt": plot_f1_per_field(series, form)}
    for key in metrics.get("confusion", {}):
        figs[f"forvaxling_{key}"] = plot_confusion(metrics, form, key)
    if metrics.get("reliability"):
        figs["tillforlitlighet"] = plot_reliability(series)
    for name, fig in figs.items():
        paths[name] = out / f"{name}.png"
        _save_fig(fig, paths[name])
        plt.close(fig)
    return paths


def _save_fig(fig, path: Path) -> None:
    from .records import atomic_open

    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png")


# --- charts -----------------------------------------------------------------------------

def f1_table(series: dict[str, dict[str, Any]], form: Form):
    """Long table: one row per (model, field) with macro-F1, Swedish labels."""
    import pandas as pd

    rows = []
    for name, m in series.items():
        for f in form.choice_fields:
            fm = (m.get("fields") or {}).get(f.key)
            if fm is None:
                continue
            rows.append({"modell": FAMILY_LABELS_SV.get(name, name), "fält": f.label, "field": f.key,
                         "makro-F1": fm["macro_f1"], "mikro-F1": fm["micro_f1"], "exakt rätt": fm["exact_match"]})
    return pd.DataFrame(rows)


def plot_f1_per_field(series: dict[str, dict[str, Any]], form: Form):
    """Macro-F1 per field, model families side by side."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .style import apply_style

    apply_style()
    df = f1_table(series, form)
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(4, len(form.choice_fields)) + 1.2))
    sns.barplot(data=df, y="fält", x="makro-F1", hue="modell", ax=ax, orient="h")
    ax.set_xlim(0, 1)
    ax.set_xlabel("Makro-F1 (högre är bättre)")
    ax.set_ylabel("")
    ax.set_title("Makro-F1 per fält")
    ax.legend(title="Modell", loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=max(1, len(series)),
              frameon=False)
    return fig


def plot_confusion(metrics: dict[str, Any], form: Form, key: str):
    """Confusion matrix of a single field: gold (rows) against the model (columns)."""
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    from .style import apply_style

    apply_style()
    f = form.field(key)
    c = metrics["confusion"][key]
    labels = [f.label_of(k) for k in c["labels"]]
    df = pd.DataFrame(c["matrix"], index=labels, columns=labels)
    fig, ax = plt.subplots(figsize=(1.0 * len(labels) + 2.5, 0.8 * len(labels) + 1.5))
    sns.heatmap(df, annot=True, fmt="d", cmap="Blues", cbar_kws={"label": "Antal kontakter"}, ax=ax)
    ax.set_xlabel("Modellens svar")
    ax.set_ylabel("Facit")
    ax.set_title(f"Förväxlingar: {f.label}")
    return fig


def plot_reliability(series: dict[str, dict[str, Any]]):
    """Reliability diagram: share right against confidence, per model."""
    import matplotlib.pyplot as plt

    from .style import PALETTE, apply_style

    apply_style()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], ls="--", color="#888888", lw=1, label="Perfekt kalibrerad")
    for i, (name, m) in enumerate(series.items()):
        bins = [b for b in m.get("reliability") or [] if b["count"]]
        if not bins:
            continue
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o",
                color=PALETTE[i % len(PALETTE)],
                label=f"{FAMILY_LABELS_SV.get(name, name)} (ECE {m['ece']:.3f})".replace(".", ","))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Modellens säkerhet")
    ax.set_ylabel("Andel rätt")
    ax.set_title("Tillförlitlighetsdiagram")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    return fig


def comparison_table(series: dict[str, dict[str, Any]]):
    """One row per model: the headline numbers (for the demo and notebooks).

    makro-F1/mikro-F1: means over the fields; exakt: share of fields exactly right;
    larm-recall/falsklarm: the first alarm option (acute risk); täckning: share of fields
    the model can fill in alone at 95 % precision."""
    import pandas as pd

    rows = []
    for name, m in series.items():
        alarm = (m.get("alarms") or [{}])[0]
        rows.append({
            "modell": name, "family": name,
            "makro-F1": m.get("mean_macro_f1"), "mikro-F1": m.get("mean_micro_f1"),
            "exakt": m.get("exact_match_share"),
            "larm-recall": alarm.get("recall"), "falsklarm": alarm.get("false_alarm_rate"),
            "ECE": m.get("ece"), "täckning": (m.get("coverage") or {}).get("coverage"),
        })
    return pd.DataFrame(rows)


def worst_errors(gold: list[FormRecord], pred: list[FormRecord], form: Form, k: int = 5) -> list[dict[str, Any]]:
    """The ``k`` contacts with most wrong fields, most confident first: id, wrong fields
    with gold and prediction (Swedish labels)."""
    pairs = pair_records(gold, pred)
    scored = []
    for g, p in pairs:
        wrong = []
        conf = 0.0
        for f in form.choice_fields:
            if canonical(f, g.form[f.key]) != canonical(f, p.form[f.key]):
                wrong.append({"fält": f.label, "facit": ", ".join(f.label_of(o) for o in _as_list(g.form[f.key])),
                              "modellen": ", ".join(f.label_of(o) for o in _as_list(p.form[f.key])),
                              "säkerhet": field_confidence(p, f)})
                conf += field_confidence(p, f) or 0.0
        if wrong:
            scored.append((len(wrong), conf, g.id, wrong))
    scored.sort(key=lambda t: (-t[0], -t[1]))
    return [{"id": i, "antal_fel": n, "fel": w} for n, _, i, w in scored[:k]]


def evidence_rows(rec: FormRecord, form: Form, fields: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """A form record's ``evidence`` as rows (Swedish column names): field, option, message,
    the exact words. ``fields``: only these keys (e.g. the wrong ones of an error). Show it
    only for a prediction made on anonymised text: the words are quoted from what the model read."""
    evidence = (rec.model_extra or {}).get("evidence") or {}
    keep = set(fields) if fields is not None else None
    rows: list[dict[str, Any]] = []
    for f in form.choice_fields:
        if (keep is not None and f.key not in keep and f.label not in keep) or f.key not in evidence:
            continue
        ev = evidence[f.key]
        by_option = {rec.form.get(f.key): ev} if isinstance(ev, list) else ev if isinstance(ev, dict) else {}
        for option, items in by_option.items():
            for e in items if isinstance(items, list) else []:
                if isinstance(e, dict):
                    rows.append({"fält": f.label, "alternativ": f.label_of(option) if option in f.option_keys else "",
                                 "meddelande": e.get("message"), "underlag": e.get("text", "")})
    return rows


# --- trust: fields filled in alone, and their evidence ---------------------------------

def alone_figures(gold: list[FormRecord], pred: list[FormRecord], form: Form) -> dict[str, Any]:
    """Of the fields the model filled in alone (not in ``needs_review``): the share that is
    right (``alone_right``, ``None`` when none) and their share of all fields
    (``alone_coverage``)."""
    filled = right = total = 0
    for g, p in pair_records(gold, pred):
        review = set(getattr(p, "needs_review", None) or [])
        for f in form.choice_fields:
            total += 1
            if f.key in review:
                continue
            filled += 1
            right += canonical(f, p.form[f.key]) == canonical(f, g.form[f.key])
    return {"alone_right": right / filled if filled else None, "alone_coverage": filled / total if total else None}


def evidence_precision(rows: list[dict[str, Any]], pred: list[FormRecord], form: Form) -> dict[str, Any]:
    """Of the evidence items of the predicted options, the share that overlaps a gold
    evidence text of the same field and option in the same message. ``rows``: the
    labelled conversations as JSON objects with ``messages``, ``gold`` and ``evidence``
    (``../shared/data/README.md``: per field a list for single fields, option -> list for
    multi fields, each ``{"message", "text"}``)."""
    by_id = {p.id: p for p in pred}
    hit = n = 0
    for row in rows:
        p = by_id.get(row.get("id"))
        if p is None:
            continue
        gold_ev = row.get("evidence") or {}
        for key, ev in ((p.model_extra or {}).get("evidence") or {}).items():
            if key not in form.by_key or key not in row["gold"]:
                continue
            f = form.field(key)
            items = {p.form[key]: ev} if f.kind == "single" else ev
            gitems = gold_ev.get(key)
            if f.kind == "single":
                gitems = {row["gold"][key]: gitems} if isinstance(gitems, list) else {}
            elif not isinstance(gitems, dict):
                gitems = {}
            for opt, lst in items.items():
                for e in lst:
                    n += 1
                    text = row["messages"][e["message"]]["text"]
                    for g in gitems.get(opt, []):
                        if g.get("message") != e["message"]:
                            continue
                        gs = text.find(g.get("text", ""))
                        if g.get("text") and gs >= 0 and gs < e["end"] and e["start"] < gs + len(g["text"]):
                            hit += 1
                            break
    return {"evidence_items": n, "evidence_precision": hit / n if n else None}
