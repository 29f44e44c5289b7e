"""Tables of messages, one row per message: CSV, TSV (csv module) and XLSX (openpyxl).

Swedish Excel habits are the normal case: ``;`` as separator (detected from the header
line), UTF-8 with or without BOM, or Windows-1252 when the bytes are not UTF-8; times as
``2025-03-14 19:02`` in the mapping's time zone; Excel's serial day numbers with a decimal
comma; conversation ids stored as numbers; sheets chosen by name.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from .mapping import Mapping
from .rows import BadRow, Row, cell_id, cell_text, parse_time

csv.field_size_limit(16 * 1024 * 1024)

_DELIMITERS = (";", ",", "\t", "|")


def decode_text(data: bytes, path: Path, encoding: str | None, what: str = "CSV") -> str:
    """Bytes of a text export as str: ``encoding`` when given; otherwise a BOM decides, then
    UTF-8, then Windows-1252 (what Swedish Excel writes with "CSV (semikolonavgränsad)")."""
    head = data[:4096]
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"is a ZIP/Excel file, not {what} text (use --format xlsx, or save it as CSV)", path=path)
    if encoding is None:
        if data.startswith(codecs_bom_utf16()):
            encoding = "utf-16"
        elif b"\x00" in head:
            raise InputError(f"not a text file (binary data), not {what}", path=path)
    tries = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    for enc in tries:
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            last = exc
    line = data.count(b"\n", 0, last.start) + 1
    names = " or ".join("UTF-8" if t == "utf-8-sig" else "Windows-1252" if t == "cp1252" else t for t in tries)
    raise InputError(f"not {names} text (set encoding in the mapping)", path=path, line=line) from None


def codecs_bom_utf16() -> tuple[bytes, bytes]:
    return (b"\xff\xfe", b"\xfe\xff")


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_index(header: list[str], mapping: Mapping, path: Path | str, line: int) -> dict[str, int]:
    """Positions of the mapping's columns in the header; a column that is not there is an error."""
    cols = mapping.columns
    wanted = {"conversation": cols.conversation, "time": cols.time, "role": cols.role, "text": cols.text,
              "organisation": cols.organisation, "channel": cols.channel}
    clean = [str(h).strip().lstrip("\ufeff") if h is not None else "" for h in header]
    index: dict[str, int] = {}
    for key, name in wanted.items():
        if name is None:
            continue
        if name in clean:
            index[key] = clean.index(name)
            continue
        folded = [h.casefold() for h in clean]
        if name.strip().casefold() in folded:
            index[key] = folded.index(name.strip().casefold())
            continue
        shown = ", ".join(h for h in clean if h) or "nothing"
        raise InputError(f"column {name!r} ({key}) is not in the header (the header has: {shown}); "
                         f"name it under columns: in the mapping", path=path, line=line)
    return index


def make_row(number: int, get: Callable[[str], Any], has: set[str], mapping: Mapping) -> Row:
    """One message from a record; ``get(key)`` returns the value of a mapped column."""
    ident = cell_id(get("conversation"))
    time = parse_time(get("time"), mapping.tz, mapping.time_format)
    sender = cell_text(get("role"), "sender")
    role = mapping.role_of(sender)
    if role is None:
        raise BadRow("sender value not listed under roles: in the mapping (stodsokande/stodperson)"
                     if sender.strip() else "empty sender")
    text = cell_text(get("text"), "text")
    org = None
    if "organisation" in has:
        org = cell_text(get("organisation"), "organisation").strip() or None
    chan = None
    if "channel" in has:
        raw = cell_text(get("channel"), "channel")
        if raw.strip():
            chan = mapping.channel_of(raw)
            if chan is None:
                raise BadRow("channel value is not chatt or mejl (list it under channels: in the mapping)")
    return Row(number, ident, time, role, text, org, chan)


def read_csv(path: Path, mapping: Mapping, *, delimiter: str | None = None) -> Iterator[Row | tuple[int, BadRow]]:
    """Rows of a CSV/TSV file; a row that cannot be read is yielded as ``(line, BadRow)``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a CSV/TSV file", path=path) from None
    text = decode_text(data, path, mapping.encoding)
    delim = mapping.delimiter or delimiter or _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    prev = 0
    index: dict[str, int] | None = None
    width = 0
    try:
        for cells in reader:
            start, prev = prev + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if index is None:
                index = _header_index(cells, mapping, path, start)
                width = len(cells)
                continue
            if len(cells) != width:
                yield start, BadRow(f"row has {len(cells)} fields, the header has {width} "
                                    f"(a {'tab' if delim == chr(9) else repr(delim)} or a quote inside a cell?)")
                continue
            try:
                yield make_row(start, lambda k: cells[index[k]], set(index), mapping)
            except BadRow as exc:
                yield start, exc
    except csv.Error as exc:
        raise InputError(f"unreadable CSV ({exc})", path=path, line=prev + 1) from None
    if index is None:
        raise InputError("empty file: no header row", path=path)


def read_xlsx(path: Path, mapping: Mapping, notes: list[str]) -> tuple[str, Iterator[Row | tuple[int, BadRow]]]:
    """Rows of one sheet of an XLSX workbook (``sheet`` in the mapping; default the first).
    Returns the name shown in messages (``file[sheet]``) and the rows."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, expected an XLSX file", path=path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise InputError("not an Excel .xlsx workbook (an old .xls or a CSV? save it as .xlsx or CSV)",
                         path=path) from None
    names = wb.sheetnames
    if mapping.sheet is not None:
        if mapping.sheet not in names:
            wb.close()
            raise InputError(f"no sheet named {mapping.sheet!r} (the workbook has: {', '.join(names)})",
                             path=path, key="sheet")
        sheet = mapping.sheet
    else:
        sheet = names[0]
        if len(names) > 1:
            notes.append(f"{path.name}: {len(names)} sheets, read the first ({sheet!r}); "
                         f"choose another with sheet: in the mapping")
    where = f"{path}[{sheet}]"

    def rows() -> Iterator[Row | tuple[int, BadRow]]:
        ws = wb[sheet]
        index: dict[str, int] | None = None
        try:
            for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
                if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
                    continue
                if index is None:
                    index = _header_index(list(cells), mapping, where, number)
                    continue
                try:
                    yield make_row(number, lambda k: cells[index[k]] if index[k] < len(cells) else None,
                                   set(index), mapping)
                except BadRow as exc:
                    yield number, exc
            if index is None:
                raise InputError("empty sheet: no header row", path=where)
        finally:
            wb.close()

    return where, rows()
