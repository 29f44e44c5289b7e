"""What ``childx anonymize`` does, kept out of the thin CLI module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import atomic_open, dumps, read_conversations
from .core import STYLES, anonymize_conversations

#: One message longer than this is refused as input (a line this long is not a chat or a
#: mail; it is a mistake, such as a whole file pasted into one field).
MAX_MESSAGE_CHARS = 2_000_000


def default_report_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.report.json")


def run_anonymize(input: str | Path, output: str | Path, *, style: str = "pseudonym",
                  report_path: str | Path | None = None, seed: int = 0) -> dict[str, Any]:
    input, output = Path(input), Path(output)
    if style not in STYLES:
        raise InputError(f"unknown --style {style!r} (pseudonym or tags)")
    report_path = Path(report_path) if report_path is not None else default_report_path(output)
    if report_path.resolve() == output.resolve():
        raise InputError("--report must not be the same file as --output", path=report_path)
    if output.resolve() == input.resolve():
        raise InputError("--output must not be the input file (the original would be lost)", path=output)
    if output.exists() and output.is_dir():
        raise InputError("is a folder, expected a file", path=output)
    convs = read_conversations(input)
    if not convs:
        raise InputError("no conversations in the file", path=input)
    for n, conv in enumerate(convs, start=1):
        for k, m in enumerate(conv.messages):
            if len(m.text) > MAX_MESSAGE_CHARS:
                raise InputError(f"message longer than {MAX_MESSAGE_CHARS:,} characters".replace(",", " "),
                                 path=input, line=n, key=f"messages.{k}.text")
    anonymised, report = anonymize_conversations(convs, style=style, seed=seed)
    report = {"input": str(input), "output": str(output), **report}
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
