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


def _load(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", path=path, line=exc.lineno) from None
    except RecursionError:
        raise InputError("invalid JSON (nested too deeply)", path=path) from None


def _records(path: Path, text: str) -> tuple[str, Iterator[tuple[int, Any]]]:
    """(unit, (number, record)...): a JSON list gives record numbers, JSON Lines line numbers.
    A single object that holds one list (``{"conversations": [...]}``) is that list."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "record", iter(enumerate(_load(path, text), start=1))
    if not stripped.startswith("{"):
        raise InputError("not JSON: expected a list of records or JSON Lines", path=path)
    try:
        whole = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        whole = None          # JSON Lines (or broken JSON: its lines are checked one by one)
    if isinstance(whole, dict):
        lists = [v for v in whole.values() if isinstance(v, list)]
        if len(lists) == 1:
            return "record", iter(enumerate(lists[0], start=1))
        return "line", iter([(1, whole)])

    def lines() -> Iterator[tuple[int, Any]]:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, BadRow(f"invalid JSON ({exc.msg}, column {exc.colno})")
            except RecursionError:
                yield n, BadRow("invalid JSON (nested too deeply)")

    return "line", lines()


def read_json(path: Path, mapping: Mapping) -> tuple[str, Iterator[Row | None | tuple[int, BadRow]]]:
    """Records of messages; with ``messages:`` in the mapping each record is a conversation
    whose list under that key holds its messages (the conversation id, organisation and
    channel may then come from the conversation's record)."""
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

    def one(n: int, rec: Any, outer: dict[str, Any] | None, where: str) -> Row | None | tuple[int, BadRow]:
        if not isinstance(rec, dict):
            return n, BadRow(f"{where}expected a JSON object, got {type(rec).__name__}")
        values = {}
        for k, name in wanted.items():
            if name is None:
                continue
            v = _getter(rec, name)
            if v is _MISSING and outer is not None:
                v = _getter(outer, name)
            values[k] = v
        missing = [wanted[k] for k in required if values[k] is _MISSING]
        if missing:
            return n, BadRow(f"{where}missing key {missing[0]!r} (name the keys under columns: in the mapping)")
        has = {k for k, v in values.items() if v is not _MISSING}
        try:
            return make_row(n, lambda k: values[k], has, mapping)
        except BadRow as exc:
            return n, BadRow(f"{where}{exc}")

    def rows() -> Iterator[Row | None | tuple[int, BadRow]]:
        for n, rec in records:
            if isinstance(rec, BadRow):
                yield n, rec
            elif mapping.messages is None:
                yield one(n, rec, None, "")
            elif not isinstance(rec, dict):
                yield n, BadRow(f"expected a JSON object, got {type(rec).__name__}")
            else:
                inner = _getter(rec, mapping.messages)
                if not isinstance(inner, list):
                    yield n, BadRow(f"no list of messages under {mapping.messages!r}")
                    continue
                for k, message in enumerate(inner):
                    yield one(n, message, rec, f"message {k}: ")

    return unit, rows()
