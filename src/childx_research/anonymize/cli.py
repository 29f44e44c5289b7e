"""What ``childx anonymize`` does, kept out of the thin CLI module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import atomic_open, check_not_input, check_unique_ids, dumps, read_conversations
from .core import STYLES, anonymize_conversations

#: One message longer than this is refused as input (a line this long is not a chat or a
#: mail; it is a mistake, such as a whole file pasted into one field).
MAX_MESSAGE_CHARS = 2_000_000


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
                  report_path: str | Path | None = None, seed: int = 0) -> dict[str, Any]:
    input, output = Path(input), Path(output)
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
    anonymised, report = anonymize_conversations(convs, style=style, seed=seed)
    report = {"input": str(input), "output": str(output), **counts_only(report)}
    # both files or neither: each is written to a temporary file and renamed at the end
    with atomic_open(output) as out_fh, atomic_open(report_path) as rep_fh:
        for conv in anonymised:
            out_fh.write(dumps(conv))
            out_fh.write("\n")
        json.dump(report, rep_fh, ensure_ascii=False, indent=2)
        rep_fh.write("\n")
    summary = ", ".join(f"{k} {v}" for k, v in report["total"].items() if v) or "nothing found"
    return {"output": str(output), "report": str(report_path), "conversations": len(anonymised),
            "replacements": report["replacements"], "summary": summary}
