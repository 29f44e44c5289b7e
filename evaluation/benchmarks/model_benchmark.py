"""Benchmark: the form-filling model, both families.

For each family (default configs in training/configs/):
- train time on N generated contacts (default 2,000; goals: baseline under 1 minute, default
  transformer under 10 minutes on the 2-core development machine). The transformer is
  measured cold by default: its small encoder is built (tokenizer + MLM) in a fresh cache,
  as on a fresh machine; ``--warm`` reuses models/encoders/;
- predict throughput in contacts per second (on 500 unseen generated conversations, with
  the summary and key sentence, as ``childx predict`` runs);
- quality on the generated test split (mean per-field macro-F1, exact-match share,
  acute-risk recall and false-alarm rate, ECE, coverage at 95 % precision);
- quality on hand-written contacts (``--dev``, default ../shared/data/dev-conversations.jsonl):
  skipped with a message when the file is missing. The models never train on it.

    .venv/bin/python evaluation/benchmarks/model_benchmark.py [--n 2000] [--families baseline transformer]
        [--dev PATH] [--out runs/benchmarks/model] [--warm]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOALS_S = {"baseline": 60, "transformer": 600}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="generated contacts to train on (80/10/10 split)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--families", nargs="+", default=["baseline", "transformer"])
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "data" / "dev-conversations.jsonl")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "benchmarks" / "model")
    ap.add_argument("--warm", action="store_true", help="reuse the cached transformer encoder")
    ap.add_argument("--throughput-n", type=int, default=500)
    args = ap.parse_args()

    from childx_research.evaluation import compute_metrics, write_report
    from childx_research.forms import load_form
    from childx_research.generate import generate_contacts
    from childx_research.modeling import load_model, train
    from childx_research.modeling.data import read_labelled
    from childx_research.records import FormRecord

    form = load_form()
    unseen = [c.conversation() for c in generate_contacts(args.throughput_n, seed=args.seed + 10_000).contacts]
    dev = read_labelled(args.dev, form) if args.dev.exists() else None
    if dev is None:
        print(f"note: {args.dev} not found: skipping the hand-written contacts")
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        for family in args.families:
            overrides = {"data": {"generate": {"n": args.n, "seed": args.seed}}}
            if family == "transformer" and not args.warm:
                overrides["encoder"] = {"cache_dir": cache}
            t0 = time.perf_counter()
            path = train(family, args.out / family, overrides=overrides, log=lambda s: print("   ", s))
            train_s = time.perf_counter() - t0
            run = json.loads((path / "run.json").read_text())
            test = json.loads((path / "metrics.json").read_text())["test"]
            model = load_model(path)
            model.predict(unseen[:10])  # warm up
            t0 = time.perf_counter()
            model.predict(unseen)
            per_s = len(unseen) / (time.perf_counter() - t0)
            row = {"train_s": round(train_s, 1), "fit_s": run["timings"]["fit_s"], "goal_s": GOALS_S.get(family),
                   "predict_contacts_per_s": round(per_s, 1), "train_size": run["sizes"]["train"],
                   "test": _headline(test)}
            if dev is not None:
                gold = [FormRecord(id=e.conversation.id, form=e.values) for e in dev]
                pred = model.predict([e.conversation for e in dev], key_sentence=False)
                dm = compute_metrics(gold, pred, form)
                write_report(dm, form, args.out / family / "handskrivna", label=family)
                row["dev"] = _headline(dm)
                row["dev"]["per_field_macro_f1"] = {k: round(v["macro_f1"], 3) for k, v in dm["fields"].items()}
            results[family] = row
            _print(family, row)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps({"n": args.n, "seed": args.seed, "results": results},
                                                        indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {args.out / 'benchmark.json'}")


def _headline(m: dict) -> dict:
    alarm = (m.get("alarms") or [{}])[0]
    return {"mean_macro_f1": _r(m["mean_macro_f1"]), "mean_micro_f1": _r(m["mean_micro_f1"]),
            "exact_match_share": _r(m["exact_match_share"]), "alarm_recall": _r(alarm.get("recall")),
            "false_alarm_rate": _r(alarm.get("false_alarm_rate")), "alarm_positives": alarm.get("positives"),
            "ece": _r(m.get("ece")), "coverage_at_95": _r((m.get("coverage") or {}).get("coverage")), "n": m["n"]}


def _r(x):
    return None if x is None else round(float(x), 3)


def _print(family: str, row: dict) -> None:
    goal = row["goal_s"]
    ok = "ok" if goal is None or row["train_s"] < goal else "MISSED"
    print(f"{family}: train {row['train_s']} s on {row['train_size']} contacts (goal < {goal} s: {ok}); "
          f"predict {row['predict_contacts_per_s']} contacts/s")
    for part in ("test", "dev"):
        if part in row:
            h = row[part]
            print(f"  {part:>4} (n={h['n']}): macro-F1 {h['mean_macro_f1']}, exact {h['exact_match_share']}, "
                  f"alarm recall {h['alarm_recall']} (false alarms {h['false_alarm_rate']}), ECE {h['ece']}, "
                  f"coverage@95% {h['coverage_at_95']}")


if __name__ == "__main__":
    main()
