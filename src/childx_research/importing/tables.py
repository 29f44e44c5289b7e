"""Tables of messages, one row per message: CSV, TSV (csv module) and XLSX (openpyxl).

Swedish Excel habits are the normal case: ``;`` as separator (detected from the header
line), UTF-8 with or without BOM, or Windows-1252 when the bytes are not UTF-8; times as
``2025-03-14 19:02`` in the mapping's time zone; Excel's serial day numbers with a decimal
comma; conversation ids stored as numbers; sheets chosen by name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from .mapping import Mapping
from .rows import BadRow, Row, cell_id, cell_text, check_length, parse_time

csv.field_size_limit(16 * 1024 * 1024)

_DELIMITERS = (";", ",", "\t", "|")


def decode_text(data: bytes, path: Path, encoding: str | None, what: str = "CSV") -> str:
    """Bytes of a text export as str: ``encoding`` when given; otherwise a BOM decides, then
    UTF-8, then Windows-1252 (what Swedish Excel writes with "CSV (semikolonavgränsad)")."""
    head = data[:4096]
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"is a ZIP/Excel file, not {what} text (use --format xlsx, or save it as CSV)", path=path)
    if encoding is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
        # the header's own cells are not shown: without a header row they would be a message
        raise InputError(f"column {name!r} ({key}) is not in the header ({len([h for h in clean if h])} "
                         f"columns); name the export's columns under columns: in the mapping", path=path, line=line)
    return index


def make_row(number: int, get: Callable[[str], Any], has: set[str], mapping: Mapping) -> Row | None:
    """One message from a record; ``get(key)`` returns the value of a mapped column. None for
    a row whose sender value the mapping's ``skip_roles`` leaves out."""
    sender = cell_text(get("role"), "sender")
    if mapping.skip_roles and mapping.skips(sender):
        return None
    ident = cell_id(get("conversation"))
    time = parse_time(get("time"), mapping.tz, mapping.time_format)
    role = mapping.role_of(sender)
    if role is None:
        raise BadRow("sender value not listed under roles: in the mapping (stodsokande/stodperson)"
                     if sender.strip() else "empty sender")
    text = check_length(cell_text(get("text"), "text"))
    if "\r" in text:   # a line break inside a cell, as Windows writes it
        text = text.replace("\r\n", "\n").replace("\r", "\n")
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


def read_csv(path: Path, mapping: Mapping, *, delimiter: str | None = None) -> Iterator[Row | None | tuple[int, BadRow]]:
    """Rows of a CSV/TSV file; a row that cannot be read is yielded as ``(line, BadRow)``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a CSV/TSV file", path=path) from None
    text = decode_text(data, path, mapping.encoding)
    prev = 0
    sep = re.match(r"sep=(.)\r?\n", text)   # Excel's own hint line, "sep=;"
    if sep:
        text, prev = text[sep.end():], 1
    delim = mapping.delimiter or delimiter or (sep.group(1) if sep else _sniff_delimiter(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    index: dict[str, int] | None = None
    width = 0
    try:
        for cells in reader:
            start, prev = prev + 1, reader.line_num + (1 if sep else 0)
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


def read_xlsx(path: Path, mapping: Mapping, notes: list[str]) -> tuple[str, Iterator[Row | None | tuple[int, BadRow]]]:
    """Rows of one sheet of an XLSX workbook (``sheet`` in the mapping; default the first).
    Returns the name shown in messages (``file[sheet]``, the mapping's sheet name, or
    ``file[sheet 1]``: the workbook's own names are never shown) and the rows."""
    from openpyxl import load_workbook
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, expected an XLSX file", path=path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a workbook, or a damaged one: zipfile, zlib and openpyxl raise many kinds
        raise InputError("not an Excel .xlsx workbook (an old .xls or a CSV? save it as .xlsx or CSV)",
                         path=path) from None
    names = wb.sheetnames
    if mapping.sheet is not None:
        if mapping.sheet not in names:
            wb.close()
            # the workbook's own sheet names are not shown (a sheet can be named after a person)
            raise InputError(f"no sheet named {mapping.sheet!r} in the workbook ({len(names)} sheets)",
                             path=path, key="sheet")
        sheet = mapping.sheet
    else:
        sheet = names[0]
        if len(names) > 1:
            notes.append(f"{path.name}: {len(names)} sheets, read the first; "
                         f"choose another with sheet: in the mapping")
    where = f"{path}[{mapping.sheet}]" if mapping.sheet is not None else f"{path}[sheet 1]"

    def rows() -> Iterator[Row | None | tuple[int, BadRow]]:
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
        except (InputError, GeneratorExit):
            raise
        except Exception as exc:  # a damaged workbook: openpyxl raises many kinds
            raise InputError(f"unreadable workbook ({type(exc).__name__})", path=where) from None
        finally:
            wb.close()

    return where, rows()
