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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "benchmarks" / "evidence")
    ap.add_argument("--config", default="demo-baseline")
    ap.add_argument("--modes", nargs="+", default=["off", "on"])
    ap.add_argument("--reuse", action="store_true", help="reuse a model folder already in --out")
    args = ap.parse_args()

    from childx_research.modeling import train
    from childx_research.modeling.labelled import labelled_figures

    sets = []
    for name in ("dev-conversations.jsonl", "dev-conversations-2.jsonl"):
        p = SHARED / name
        if p.exists():
            sets.append(p)
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
        for p in sets:
            fig = labelled_figures(path, p)  # the same figures `childx demo --dev` prints
            r = {"mean_macro_f1": round(fig["mean_macro_f1"], 3),
                 "per_field": {k: round(v, 3) for k, v in fig["fields"].items() if v is not None},
                 "acute": [{k: a[k] for k in ("recall", "false_alarm_rate", "positives")} for a in fig["alarms"]],
                 "alone_right": None if fig["alone_right"] is None else round(fig["alone_right"], 3),
                 "alone_coverage": round(fig["alone_coverage"], 3),
                 "contacts_per_s": round(fig["contacts_per_s"], 1)}
            if "evidence_precision" in fig:
                r["evidence_items"] = fig["evidence_items"]
                r["evidence_precision"] = None if fig["evidence_precision"] is None else round(fig["evidence_precision"], 3)
            row[p.name] = r
        results[mode] = row
        print(json.dumps({mode: row}, indent=1, ensure_ascii=False))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
