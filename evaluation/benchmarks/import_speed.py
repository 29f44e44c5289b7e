"""Benchmark: `childx import` without anonymisation (goal: 100,000 message rows and 10,000
mails, together, in under a minute).

Writes a synthetic export (a Windows-1252 CSV with ``;``, one row per message, rows of a
conversation spread over the file; and an mbox of reply threads with quoted text,
signatures, HTML alternatives and quoted-printable bodies), then times ``run_import`` on
each: reading, cleaning, threading, validating and writing the conversations.

    .venv/bin/python evaluation/benchmarks/import_speed.py [--rows 100000] [--mails 10000] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import email.utils
import json
import random
import tempfile
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

from childx_research.importing import run_import

WORDS = ("jag vet inte riktigt hur jag ska börja men det har hänt något som känns fel och "
         "jag vill prata med någon som lyssnar utan att döma mig det är svårt att säga").split()
STHLM = ZoneInfo("Europe/Stockholm")


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def write_table(path: Path, rows: int, rng: random.Random) -> None:
    t0 = datetime(2025, 1, 1, 8, 0)
    per = 20
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Samtals-ID", "Tid", "Avsändare", "Meddelande"])
        order = list(range(rows))
        rng.shuffle(order)                    # a conversation's rows spread over the file
        for i in order:
            conv, k = divmod(i, per)
            when = t0 + timedelta(minutes=conv * 37 + k)
            w.writerow([f"S{conv:06d}", when.strftime("%Y-%m-%d %H:%M"), "Besökare" if k % 2 == 0 else "Volontär",
                        sentence(rng, rng.randint(4, 25))])


def write_mbox(path: Path, mails: int, rng: random.Random) -> None:
    t0 = datetime(2025, 1, 1, 8, 0, tzinfo=STHLM)
    with path.open("wb") as fh:
        for i in range(mails):
            thread, k = divmod(i, 3)
            m = EmailMessage(policy=default)
            person = f"person{thread}@example.com"
            m["From"] = "stod@exempel-stod.se" if k == 1 else person
            m["To"] = person if k == 1 else "stod@exempel-stod.se"
            m["Subject"] = ("Sv: " if k else "") + f"Fråga {thread}"
            m["Date"] = email.utils.format_datetime(t0 + timedelta(hours=thread * 5 + k))
            m["Message-ID"] = f"<t{thread}.{k}@example.com>"
            if k:
                m["In-Reply-To"] = f"<t{thread}.{k - 1}@example.com>"
                m["References"] = " ".join(f"<t{thread}.{j}@example.com>" for j in range(k))
            body = "\n\n".join(sentence(rng, rng.randint(20, 60)) for _ in range(rng.randint(2, 6)))
            if k:
                body += "\n\nDen 1 januari 2025 kl. 08:00 skrev någon:\n" + "\n".join(
                    "> " + sentence(rng, 12) for _ in range(8))
            body += "\n-- \nStödmejlen\nwww.exempel-stod.se"
            m.set_content(body, cte="quoted-printable" if i % 2 else "8bit")
            if i % 4 == 0:
                m.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
            fh.write(f"From {person} {t0:%a %b %d %H:%M:%S %Y}\n".encode())
            fh.write(m.as_bytes().replace(b"\nFrom ", b"\n>From ") + b"\n")


def timed(src: Path, out: Path, mapping: Path) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    r = run_import(src, out, mapping=mapping, anonymise=False)
    return {"wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(time.process_time() - c0, 2),
            "read": r["read"], "conversations": r["conversations"], "messages": r["messages"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--mails", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        mapping = d / "mapping.yaml"
        mapping.write_text("columns: {conversation: Samtals-ID, time: Tid, role: Avsändare, text: Meddelande}\n"
                           "roles: {Besökare: stodsokande, Volontär: stodperson}\n"
                           "worker_addresses: [stod@exempel-stod.se]\n", encoding="utf-8")
        write_table(d / "export.csv", args.rows, rng)
        write_mbox(d / "stod.mbox", args.mails, rng)
        table = timed(d / "export.csv", d / "chatt.jsonl", mapping)
        mail = timed(d / "stod.mbox", d / "mejl.jsonl", mapping)
    total = round(table["wall_s"] + mail["wall_s"], 2)
    print(f"table: {table['read']:>7} rows  -> {table['conversations']:>6} conversations  "
          f"wall {table['wall_s']:6.1f} s  cpu {table['cpu_s']:6.1f} s  {table['read'] / table['wall_s']:8.0f} rows/s")
    print(f"mbox:  {mail['read']:>7} mails -> {mail['conversations']:>6} conversations  "
          f"wall {mail['wall_s']:6.1f} s  cpu {mail['cpu_s']:6.1f} s  {mail['read'] / mail['wall_s']:8.0f} mails/s")
    goal = args.rows >= 100_000 and args.mails >= 10_000
    print(f"together {total:.1f} s; goal 100k rows + 10k mails < 60 s: "
          f"{('ok' if total < 60 else 'MISSED') if goal else 'n/a (smaller sizes)'}")
    if args.json:
        args.json.write_text(json.dumps({"table": table, "mail": mail, "total_wall_s": total}, indent=2) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
