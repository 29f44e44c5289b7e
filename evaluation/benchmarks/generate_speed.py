"""Benchmark: how long `childx generate` takes for 10,000 contacts (goal: under a minute).

Reports wall time, contacts per second and MB of text per second for the whole
command (generation plus writing the files), on one core, for a few sizes.

    .venv/bin/python evaluation/benchmarks/generate_speed.py [--sizes 1000 10000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from childx_research.generate import generate_to_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            paths = generate_to_dir(n=n, seed=args.seed, out_dir=d)
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            mb = os.path.getsize(paths["conversations"]) / 1e6
        rows.append({"n": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                     "contacts_per_s": round(n / wall), "conversation_mb": round(mb, 2)})
        print(f"n={n:>6}  wall {wall:6.1f} s  cpu {cpu:6.1f} s  {n / wall:8.0f} contacts/s  "
              f"{mb:6.1f} MB text  goal 10k < 60 s: {'ok' if n < 10000 or wall < 60 else 'MISSED'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
