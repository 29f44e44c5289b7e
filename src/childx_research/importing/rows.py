"""From message rows (a table's rows, JSON records, mails) to conversations.

Shared by every reader: a reader yields :class:`Row` objects (or raises :class:`BadRow` for a
row it cannot read); :func:`build_conversations` groups them by conversation, orders each
conversation's messages by time (file order breaks ties) and validates the result against
formats.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ..errors import InputError
from ..records import Channel, Conversation, Role

_EXCEL_EPOCH = datetime(1899, 12, 30)
_NUMBER = re.compile(r"^\d+([.,]\d+)?$")


class BadRow(Exception):
    """One row (or mail) that cannot be imported; the message never holds the row's text."""


@dataclass(slots=True)
class Row:
    number: int             # line, row or mail number in the input, for messages to a person
    conversation: str
    time: datetime          # aware
    role: Role
    text: str
    organisation: str | None = None
    channel: Channel | None = None


@dataclass
class Skipped:
    number: int
    reason: str


@dataclass
class ImportResult:
    conversations: list[Conversation]
    rows: int = 0                                   # rows/mails read
    skipped: list[Skipped] = field(default_factory=list)
    empty: int = 0                                  # messages without text after cleaning
    attachments: int = 0                            # mail attachments (counted, never imported)
    unit: str = "row"                               # "row", "line", "record" or "mail"
    notes: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(len(c.messages) for c in self.conversations)


def parse_time(value: object, tz: ZoneInfo, time_format: str | None = None) -> datetime:
    """A time cell as an aware datetime. Accepts a datetime (XLSX), ISO 8601 with ``T`` or a
    space (``2025-03-14 19:02``), ``time_format`` when given, and an Excel serial day number
    (``45730,79`` with a decimal comma, or a point). Without an offset: ``tz``."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        dt = _from_serial(float(value))
    elif isinstance(value, str):
        s = value.strip()
        if not s:
            raise BadRow("empty time")
        dt = None
        if time_format:
            try:
                dt = datetime.strptime(s, time_format)
            except ValueError:
                pass
        if dt is None:
            try:
                dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
            except ValueError:
                if _NUMBER.match(s):
                    dt = _from_serial(float(s.replace(",", ".")))
                else:
                    hint = f" or {time_format!r}" if time_format else " (set time_format in the mapping)"
                    raise BadRow(f"time is not a date and time like 2025-03-14 19:02{hint}") from None
    else:
        raise BadRow(f"time is not a date ({type(value).__name__})")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt


def _from_serial(days: float) -> datetime:
    if not 1 <= days < 2958466:
        raise BadRow("time is a number but not an Excel date")
    return _EXCEL_EPOCH + timedelta(seconds=round(days * 86400))


def cell_text(value: object, what: str) -> str:
    """A cell that must hold text; a number, date or other value is a bad row."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise BadRow(f"{what} cell is not text ({_kind(value)})")


def cell_id(value: object) -> str:
    """A conversation id cell: text, or a whole number (Excel stores ids as numbers)."""
    if isinstance(value, bool):
        raise BadRow("conversation id is not text or a number (a truth value)")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise BadRow("conversation id is a decimal number")
    if isinstance(value, str):
        s = value.strip()
        if not s:
            raise BadRow("empty conversation id")
        return s
    if value is None:
        raise BadRow("empty conversation id")
    raise BadRow(f"conversation id is not text ({_kind(value)})")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a truth value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, datetime):
        return "a date"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def build_conversations(rows: Iterable[Row], *, organisation: str | None, channel: Channel | None,
                        path: str, unit: str) -> tuple[list[Conversation], int]:
    """Group rows by conversation id, order each by time (stable: file order breaks ties),
    and validate. Rows without text are left out and counted. Conversations are ordered by
    start time, then id. Returns the conversations and the number of empty rows."""
    groups: dict[str, list[Row]] = {}
    empty = 0
    for row in rows:
        groups.setdefault(row.conversation, []).append(row)
    convs: list[tuple[datetime, str, Conversation]] = []
    for ident, group in groups.items():
        group.sort(key=lambda r: r.time)
        kept = [r for r in group if r.text.strip()]
        empty += len(group) - len(kept)
        if not kept:
            continue
        first = kept[0]
        org = next((r.organisation for r in kept if r.organisation), None) or organisation
        chan = next((r.channel for r in kept if r.channel), None) or channel
        try:
            conv = Conversation(id=ident, organisation=org, channel=chan, started_at=first.time.isoformat(),
                                messages=[{"role": r.role, "text": r.text} for r in kept])
        except Exception:  # pragma: no cover - the readers already checked every value
            raise InputError("the conversation does not match formats.md", path=path, line=first.number) from None
        convs.append((first.time.astimezone(timezone.utc), ident, conv))
    convs.sort(key=lambda t: (t[0], t[1]))
    return [c for _, _, c in convs], empty
