"""What ``childx anonymize`` does, kept out of the thin CLI module."""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..parallel import default_jobs
from ..records import Conversation, atomic_open, check_not_input, check_unique_ids, dumps, read_conversations
from . import seal
from .core import STYLES, anonymize_conversations
from .lexicon import load_lexicon

#: One message longer than this is refused as input (a line this long is not a chat or a
#: mail; it is a mistake, such as a whole file pasted into one field).
MAX_MESSAGE_CHARS = 2_000_000


#: Conversations per piece of work handed to one process (small enough to balance the load,
#: large enough that sending them costs little next to anonymising them).
CHUNK = 64


def _work(args: tuple[list[Conversation], str, int, int, bytes]) -> tuple[list[str], dict[str, Any]]:
    convs, style, seed, start, key = args
    out, report = anonymize_conversations(convs, style=style, seed=seed, start=start, key=key)
    return [dumps(c) for c in out], report


def _merge_reports(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from the reports of consecutive parts of a file (the same as one run)."""
    first = parts[0]
    total: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    for p in parts:
        total.update(p["total"])
        dropped.update(p["dropped_keys"])
    return {
        "style": first["style"], "seed": first["seed"], "lexicon": first["lexicon"],
        "conversations": sum(p["conversations"] for p in parts),
        "messages": sum(p["messages"] for p in parts),
        "characters": sum(p["characters"] for p in parts),
        "total": {k: total[k] for k in first["total"]},
        "replacements": sum(p["replacements"] for p in parts),
        "dropped_keys": dict(sorted(dropped.items())),
        "ids_replaced": sum(p["ids_replaced"] for p in parts),
        "organisations_removed": sum(p["organisations_removed"] for p in parts),
        "per_conversation": [c for p in parts for c in p["per_conversation"]],
    }


def anonymise_lines(convs: list[Conversation], *, style: str, seed: int, jobs: int
                    ) -> tuple[list[str], dict[str, Any]]:
    """The anonymised conversations as JSON lines, and the report; with ``jobs`` > 1 the
    conversations are shared among that many processes, and the bytes are the same."""
    key = seal.load_key()  # once, before any fork: a first run creates the key file only once
    pieces = [(convs[k:k + CHUNK], style, seed, k, key) for k in range(0, len(convs), CHUNK)]
    from ..progress import track

    jobs = max(1, min(jobs, len(pieces)))
    bar = {"description": "Anonymiserar", "total": len(convs), "unit": "samtal", "step": lambda r: len(r[0])}
    if jobs == 1:
        results = list(track((_work(p) for p in pieces), **bar))
    else:
        load_lexicon()  # loaded once here; the forked processes share it
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ctx.Pool(jobs) as pool:
            results = list(track(pool.imap(_work, pieces), **bar))
    lines = [line for got, _ in results for line in got]
    return lines, _merge_reports([rep for _, rep in results])


def default_report_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.report.json")


def counts_only(report: dict[str, Any]) -> dict[str, Any]:
    """The report as written beside the output: counts only. The names of the keys dropped
    from the input come from the input (a key can be a name), so only their number is kept."""
    dropped = report.get("dropped_keys") or {}
    out = {k: v for k, v in report.items() if k != "dropped_keys"}
    out["dropped_keys"] = {"distinct": len(dropped), "occurrences": sum(dropped.values())}
    return out


def run_anonymize(input: str | Path, output: str | Path, *, style: str = "pseudonym",
                  report_path: str | Path | None = None, seed: int = 0, jobs: int | None = None) -> dict[str, Any]:
    input, output = Path(input), Path(output)
    if jobs is None:
        jobs = default_jobs()
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1 (got {jobs})")
    if style not in STYLES:
        raise InputError(f"unknown --style {style!r} (pseudonym or tags)")
    report_path = Path(report_path) if report_path is not None else default_report_path(output)
    if report_path.resolve() == output.resolve():
        raise InputError("--report must not be the same file as --output", path=report_path)
    check_not_input(output, [input], option="--output")
    check_not_input(report_path, [input], option="--report")
    for path in (output, report_path):
        if path.exists() and path.is_dir():
            raise InputError("is a folder, expected a file", path=path)
    convs = read_conversations(input)
    if not convs:
        raise InputError("no conversations in the file", path=input)
    check_unique_ids(convs, input)
    for n, conv in enumerate(convs, start=1):
        for k, m in enumerate(conv.messages):
            if len(m.text) > MAX_MESSAGE_CHARS:
                raise InputError(f"message longer than {MAX_MESSAGE_CHARS:,} characters".replace(",", " "),
                                 path=input, line=n, key=f"messages.{k}.text")
    lines, report = anonymise_lines(convs, style=style, seed=seed, jobs=jobs)
    report = {"input": str(input), "output": str(output), **counts_only(report)}
    # both files or neither: each is written to a temporary file and renamed at the end
    with atomic_open(output) as out_fh, atomic_open(report_path) as rep_fh:
        for line in lines:
            out_fh.write(line)
            out_fh.write("\n")
        json.dump(report, rep_fh, ensure_ascii=False, indent=2)
        rep_fh.write("\n")
    summary = ", ".join(f"{k} {v}" for k, v in report["total"].items() if v) or "nothing found"
    return {"output": str(output), "report": str(report_path), "conversations": len(lines),
            "replacements": report["replacements"], "summary": summary}
