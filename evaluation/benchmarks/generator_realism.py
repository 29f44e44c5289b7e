"""Benchmark: do generated contacts look like hand-written ones?

Compares simple, interpretable statistics of `childx generate` output with a set of
hand-written contacts (default: ../shared/data/dev-conversations.jsonl beside the
repository; skipped with a message when it is not there). The hand-written set is a
yardstick only: nothing here trains on it or copies it.

    .venv/bin/python evaluation/benchmarks/generator_realism.py [--n 2000] [--dev PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics as st
from pathlib import Path

from childx_research.generate import generate_contacts

ROOT = Path(__file__).resolve().parents[2]
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def stats(convs: list[dict]) -> dict[str, float]:
    chats = [c for c in convs if c["channel"] == "chatt"]
    mails = [c for c in convs if c["channel"] == "mejl"]
    seeker = [m["text"] for c in chats for m in c["messages"] if m["role"] == "stodsokande"]
    worker = [m["text"] for c in chats for m in c["messages"] if m["role"] == "stodperson"]
    return {
        "meddelanden per chatt (median)": st.median(len(c["messages"]) for c in chats) if chats else 0,
        "andel stödsökande-meddelanden i chatt": len(seeker) / max(1, len(seeker) + len(worker)),
        "tecken per stödsökande-meddelande (median)": st.median(map(len, seeker)) if seeker else 0,
        "tecken per stödperson-meddelande (median)": st.median(map(len, worker)) if worker else 0,
        "andel helt gemena stödsökande-meddelanden": sum(t == t.lower() for t in seeker) / max(1, len(seeker)),
        "andel stödsökande-meddelanden med emoji": sum(bool(EMOJI.search(t)) for t in seeker) / max(1, len(seeker)),
        "tecken per mejl (median)": st.median(len(c["messages"][0]["text"]) for c in mails) if mails else 0,
        "personuppgifter per kontakt": sum(len(c.get("pii", [])) for c in convs) / max(1, len(convs)),
        "utsatthet: alternativ per kontakt": st.mean(len(c["gold"]["utsatthet"]) for c in convs),
        "andel akut risk": sum(c["gold"]["akut_risk"] == "ja" for c in convs) / len(convs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "data" / "dev-conversations.jsonl")
    args = ap.parse_args()
    gen = [c.model_dump() for c in generate_contacts(args.n, args.seed).contacts]
    g = stats(gen)
    if not args.dev.exists():
        print(f"{args.dev} not found: showing generated statistics only")
        d = {k: float("nan") for k in g}
    else:
        dev = [json.loads(l) for l in args.dev.read_text(encoding="utf-8").splitlines() if l.strip()]
        d = stats(dev)
    print(f"{'statistik':48} {'genererat':>10} {'handskrivet':>12}")
    for k in g:
        print(f"{k:48} {g[k]:10.2f} {d[k]:12.2f}")


if __name__ == "__main__":
    main()
