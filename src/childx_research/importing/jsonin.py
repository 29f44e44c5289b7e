"""JSON exports from other tools: a list of records (``.json``) or JSON Lines (``.jsonl``),
one record per message, with the mapping's ``columns`` naming the keys (``a.b`` reaches
into a nested object)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from .mapping import Mapping
from .rows import BadRow, Row
from .tables import decode_text, make_row

_MISSING = object()


def _getter(record: dict[str, Any], key: str) -> Any:
    if key in record:
        return record[key]
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _records(path: Path, text: str) -> tuple[str, Iterator[tuple[int, Any]]]:
    """(unit, (number, record)...): a JSON list gives record numbers, JSON Lines line numbers."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", path=path, line=exc.lineno) from None
        return "record", iter(enumerate(data, start=1))
    if stripped.startswith("{") and "\n" not in stripped.rstrip():
        try:  # a single object holding a list of records, e.g. {"messages": [...]}
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", path=path, line=exc.lineno) from None
        lists = [v for v in data.values() if isinstance(v, list)] if isinstance(data, dict) else []
        if len(lists) == 1:
            return "record", iter(enumerate(lists[0], start=1))
        return "line", iter([(1, data)])
    if not stripped.startswith("{"):
        raise InputError("not JSON: expected a list of records or JSON Lines", path=path)

    def lines() -> Iterator[tuple[int, Any]]:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, BadRow(f"invalid JSON ({exc.msg}, column {exc.colno})")

    return "line", lines()


def read_json(path: Path, mapping: Mapping) -> tuple[str, Iterator[Row | tuple[int, BadRow]]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a JSON file", path=path) from None
    text = decode_text(data, path, mapping.encoding or "utf-8-sig", what="JSON")
    unit, records = _records(path, text)
    cols = mapping.columns
    wanted = {"conversation": cols.conversation, "time": cols.time, "role": cols.role, "text": cols.text,
              "organisation": cols.organisation, "channel": cols.channel}
    required = ("conversation", "time", "role", "text")

    def rows() -> Iterator[Row | tuple[int, BadRow]]:
        for n, rec in records:
            if isinstance(rec, BadRow):
                yield n, rec
                continue
            if not isinstance(rec, dict):
                yield n, BadRow(f"expected a JSON object, got {type(rec).__name__}")
                continue
            values = {k: _getter(rec, name) for k, name in wanted.items() if name is not None}
            missing = [wanted[k] for k in required if values[k] is _MISSING]
            if missing:
                yield n, BadRow(f"missing key {missing[0]!r} (name the keys under columns: in the mapping)")
                continue
            has = {k for k, v in values.items() if v is not _MISSING}
            try:
                yield make_row(n, lambda k: values[k], has, mapping)
            except BadRow as exc:
                yield n, exc

    return unit, rows()
