"""``childx import``: an export in, validated conversations out (anonymised unless asked not to)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import Conversation, atomic_open, check_not_input, check_unique_ids, dumps
from .mapping import Mapping, load_mapping
from .rows import BadRow, ImportResult, Row, Skipped, build_conversations

FORMATS = ("csv", "tsv", "xlsx", "mbox", "eml", "json")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
               ".mbox": "mbox", ".mbx": "mbox", ".eml": "eml", ".json": "json", ".jsonl": "json",
               ".ndjson": "json"}


def detect_format(path: Path) -> str:
    """The format from the extension; a folder is a folder of .eml files."""
    if path.is_dir():
        return "eml"
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        if not path.exists():
            raise InputError("file not found", path=path)
        if path.suffix.lower() == ".xls":
            raise InputError("an old Excel .xls file: save it as .xlsx or CSV", path=path)
        raise InputError(f"cannot tell the format from the extension; give --format ({', '.join(FORMATS)})",
                         path=path)
    return fmt


def _collect(items: Iterable[Row | None | tuple[int, BadRow]], result: ImportResult, where: str, unit: str,
             skip_bad: bool) -> list[Row]:
    rows: list[Row] = []
    for item in items:
        result.rows += 1
        if item is None:
            result.ignored += 1
            continue
        if isinstance(item, Row):
            rows.append(item)
            continue
        number, exc = item
        if not skip_bad:
            raise _row_error(str(exc), where, unit, number)
        result.skipped.append(Skipped(number, str(exc)))
    return rows


def _row_error(problem: str, where: str, unit: str, number: int) -> InputError:
    if unit == "line":
        return InputError(problem, path=where, line=number)
    return InputError(problem, path=where, key=f"{unit} {number}")


def import_export(input: str | Path, *, fmt: str | None = None, mapping: Mapping | None = None,
                  skip_bad: bool = False) -> ImportResult:
    """Read an export into conversations (no anonymisation, nothing written).

    Bad input raises :class:`InputError` naming the file and the line (tables, JSON Lines),
    row (XLSX), record (a JSON list) or mail number; with ``skip_bad`` a bad row or mail is
    left out and listed in ``result.skipped`` (number and reason, never its text)."""
    path = Path(input)
    mapping = mapping or Mapping()
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown --format {fmt!r} ({', '.join(FORMATS)})")
    result = ImportResult(conversations=[])
    where = str(path)
    if fmt in ("csv", "tsv"):
        from .tables import read_csv

        result.unit = "line"
        rows = _collect(read_csv(path, mapping, delimiter="\t" if fmt == "tsv" else None), result, where,
                        "line", skip_bad)
        default_channel = mapping.channel or "chatt"
    elif fmt == "xlsx":
        from .tables import read_xlsx

        result.unit = "row"
        where, items = read_xlsx(path, mapping, result.notes)
        rows = _collect(items, result, where, "row", skip_bad)
        default_channel = mapping.channel or "chatt"
    elif fmt == "json":
        from .jsonin import read_json

        unit, items = read_json(path, mapping)
        result.unit = unit
        rows = _collect(items, result, where, unit, skip_bad)
        default_channel = mapping.channel
    else:
        from .mail import iter_eml, iter_mbox, mail_rows, parse_mail

        raws = iter_mbox(path) if fmt == "mbox" else iter_eml(path)
        result.unit = "mail"
        mails = []
        seen: set[str] = set()
        single = fmt == "eml" and path.is_file()
        for number, source, raw in raws:
            result.rows += 1
            try:
                mail = parse_mail(number, source, raw, mapping)
                if mail.message_id is not None:
                    if mail.message_id in seen:   # the same mail twice (e.g. inbox and sent folder)
                        result.duplicates += 1
                        continue
                    seen.add(mail.message_id)
                mails.append(mail)
            except BadRow as exc:
                if not skip_bad or single:
                    if fmt == "eml":
                        raise InputError(str(exc), path=source) from None
                    raise _row_error(str(exc), where, "mail", number) from None
                result.skipped.append(Skipped(number, str(exc)))
        result.attachments = sum(m.attachments for m in mails)
        if mails and not mapping.worker_addresses:
            result.notes.append("no worker_addresses in the mapping: every mail is marked as the "
                                "help-seeker's (stodsokande)")
        rows = mail_rows(mails, mapping)
        default_channel = mapping.channel or "mejl"
    convs, result.empty = build_conversations(rows, organisation=mapping.organisation, channel=default_channel,
                                              path=where, unit=result.unit)
    if not convs:
        raise InputError("no messages to import (every row was empty or skipped)", path=where)
    check_unique_ids(convs, where)
    result.conversations = convs
    return result


def default_skipped_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.skipped.csv")


def default_report_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.report.json")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def run_import(input: str | Path, output: str | Path, *, fmt: str | None = None,
               mapping: str | Path | None = None, anonymise: bool = True, skip_bad: bool = False,
               style: str = "pseudonym", seed: int = 0,
               anonymize_fn: Callable[..., tuple[list[Conversation], dict[str, Any]]] | None = None
               ) -> dict[str, Any]:
    """Import ``input`` and write ``output`` (JSON Lines conversations, validated, atomically).

    By default the anonymiser runs on the conversations before anything is written, and its
    report (counts only) goes to ``<output stem>.report.json`` with the import's counts.
    With ``anonymise=False`` the raw text is written and nothing else. With ``skip_bad`` the
    bad rows are listed in ``<output stem>.skipped.csv`` (number and reason, never text)."""
    input, output = Path(input), Path(output)
    skipped_path = default_skipped_path(output)
    report_path = default_report_path(output)
    check_not_input(output, [input, mapping], option="--output")
    for extra in (skipped_path, report_path):
        if _same(input, extra) or (mapping is not None and _same(Path(mapping), extra)):
            raise InputError(f"{extra.name} (written beside --output) would overwrite the input; "
                             f"choose another --output", path=output)
    if output.exists() and output.is_dir():
        raise InputError("is a folder, expected a file", path=output)
    if anonymise and style not in ("pseudonym", "tags"):
        raise InputError(f"unknown --style {style!r} (pseudonym or tags)")
    m = load_mapping(mapping)
    result = import_export(input, fmt=fmt, mapping=m, skip_bad=skip_bad)
    convs = result.conversations
    counts = {"input": str(input), "format": fmt or detect_format(input), "unit": result.unit,
              "read": result.rows, "skipped": len(result.skipped), "empty_messages": result.empty,
              "ignored_by_skip_roles": result.ignored, "duplicate_mails": result.duplicates,
              "attachments_not_imported": result.attachments, "conversations": len(convs),
              "messages": result.messages}
    report: dict[str, Any] | None = None
    if anonymise:
        if anonymize_fn is None:
            from ..anonymize import anonymize_conversations as anonymize_fn
        convs, report = anonymize_fn(convs, style=style, seed=seed)
        # counts only, as childx anonymize writes it: a dropped key's name could be a name
        dropped = report.get("dropped_keys") or {}
        report = {"input": str(input), "output": str(output), "import": counts,
                  **{k: v for k, v in report.items() if k != "dropped_keys"},
                  "dropped_keys": {"distinct": len(dropped), "occurrences": sum(dropped.values())}}
    # validate what is written against formats.md (the models check every key and value)
    from ..progress import track

    convs = [Conversation.model_validate(c.model_dump(exclude_none=True))
             for c in track(convs, "Importerar och kontrollerar", unit="samtal")]
    check_unique_ids(convs, output)
    with atomic_open(output) as out_fh:
        for conv in convs:
            out_fh.write(dumps(conv))
            out_fh.write("\n")
        if report is not None:
            with atomic_open(report_path) as rep_fh:
                json.dump(report, rep_fh, ensure_ascii=False, indent=2)
                rep_fh.write("\n")
        if skip_bad:
            with atomic_open(skipped_path) as sk_fh:
                w = csv.writer(sk_fh, lineterminator="\n")
                w.writerow([result.unit, "reason"])
                for s in result.skipped:
                    w.writerow([s.number, s.reason])
    return {"output": str(output), "report": str(report_path) if report is not None else None,
            "skipped_file": str(skipped_path) if skip_bad else None, "notes": result.notes,
            "replacements": report["replacements"] if report is not None else None, **counts}
