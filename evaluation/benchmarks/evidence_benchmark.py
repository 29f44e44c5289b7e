"""Benchmark: the demo baseline with and without the evidence layer (issue 10).

Trains ``demo-baseline`` (as ``childx demo`` does, on generated contacts) twice —
``stacking.enabled`` false (the classifier alone) and true (classifier + evidence, stacked
on the validation split) — and reports on the generated test split and on both
hand-written development sets: mean per-field macro-F1, per-field macro-F1, acute-risk
recall and false alarms, and the fields filled in alone (not in ``needs_review``): share
right and coverage (share of all fields), plus evidence precision against the gold
evidence of dev-conversations-2 (an item counts when it overlaps a gold evidence text of
the same field and option in the same message).

    .venv/bin/python evaluation/benchmarks/evidence_benchmark.py [--out runs/benchmarks/evidence]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = next((p for p in (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data")
               if p.exists()), ROOT.parent / "shared" / "data")


def alone(form, gold, pred):
    from childx_research.modeling.calibration import is_correct

    filled = right = total = 0
    for g, p in zip(gold, pred):
        for f in form.choice_fields:
            total += 1
            if f.key in (p.model_extra or {}).get("needs_review", []):
                continue
            filled += 1
            right += is_correct(f, p.form[f.key], g[f.key])
    return {"alone_right": round(right / filled, 3) if filled else None, "alone_coverage": round(filled / total, 3)}


def evidence_precision(form, rows, pred):
    hit = n = 0
    for row, p in zip(rows, pred):
        gold_ev = row.get("evidence") or {}
        for key, ev in ((p.model_extra or {}).get("evidence") or {}).items():
            f = form.field(key)
            items = {p.form[key]: ev} if f.kind == "single" else ev
            gitems = gold_ev.get(key)
            gitems = {row["gold"][key]: gitems} if f.kind == "single" and isinstance(gitems, list) else (gitems or {})
            for opt, lst in items.items():
                for e in lst:
                    n += 1
                    text = row["messages"][e["message"]]["text"]
                    for g in gitems.get(opt, []) if opt == (row["gold"][key] if f.kind == "single" else opt) else []:
                        if g["message"] != e["message"]:
                            continue
                        gs = text.find(g["text"])
                        if gs >= 0 and gs < e["end"] and e["start"] < gs + len(g["text"]):
                            hit += 1
                            break
    return {"evidence_items": n, "evidence_precision": round(hit / n, 3) if n else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "benchmarks" / "evidence")
    ap.add_argument("--config", default="demo-baseline")
    ap.add_argument("--modes", nargs="+", default=["off", "on"])
    ap.add_argument("--reuse", action="store_true", help="reuse a model folder already in --out")
    args = ap.parse_args()

    from childx_research.evaluation import compute_metrics
    from childx_research.forms import load_form
    from childx_research.modeling import load_model, train
    from childx_research.records import FormRecord, read_labelled_conversations

    form = load_form()
    sets = {}
    for name in ("dev-conversations.jsonl", "dev-conversations-2.jsonl"):
        p = SHARED / name
        if p.exists():
            rows = [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
            sets[name] = (read_labelled_conversations(p, form), rows)
        else:
            print(f"note: {p} not found: skipped")
    results = {}
    for mode in args.modes:
        t0 = time.perf_counter()
        path = args.out / mode
        if not (args.reuse and (path / "childx_model.json").exists()):
            path = train(args.config, path, overrides={"stacking": {"enabled": mode == "on"}},
                         log=lambda s: print("   ", s))
        row = {"train_s": round(time.perf_counter() - t0, 1)}
        test = json.loads((path / "metrics.json").read_text())["test"]
        row["test"] = {"mean_macro_f1": round(test["mean_macro_f1"], 3),
                       "alarms": [{k: a[k] for k in ("recall", "false_alarm_rate")} for a in test["alarms"]]}
        model = load_model(path)
        for name, (pairs, rows) in sets.items():
            convs = [c for c, _ in pairs]
            t0 = time.perf_counter()
            pred = model.predict(convs, key_sentence=False)
            dt = time.perf_counter() - t0
            gold = [FormRecord(id=c.id, form=g) for c, g in pairs]
            m = compute_metrics(gold, pred, form)
            r = {"mean_macro_f1": round(m["mean_macro_f1"], 3),
                 "per_field": {k: round(v["macro_f1"], 3) for k, v in m["fields"].items()},
                 "acute": [{k: a[k] for k in ("recall", "false_alarm_rate", "positives")} for a in m["alarms"]],
                 **alone(form, [g for _, g in pairs], pred), "contacts_per_s": round(len(convs) / dt, 1)}
            if any("evidence" in x for x in rows):
                r.update(evidence_precision(form, rows, pred))
            row[name] = r
        results[mode] = row
        print(json.dumps({mode: row}, indent=1, ensure_ascii=False))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
