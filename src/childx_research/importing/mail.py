"""Mailboxes (mbox) and .eml files (one file, or a folder of them) to conversations.

MIME is parsed with the standard library's ``email`` package (policy ``default``):
text/plain is preferred, HTML is converted to text; quoted-printable, base64 and every
charset are decoded (a charset Python does not know falls back to UTF-8, then
Windows-1252). Quoted earlier messages and signatures are removed (``clean.py``).
Mails are threaded into conversations by ``Message-ID``/``In-Reply-To``/``References``;
a reply without those headers joins the earlier mail with the same subject (without
"Sv:", "Re:" ...) and the same outside address. A mail from one of the mapping's
``worker_addresses`` is the worker's (``stodperson``). Attachments are never imported,
only counted.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import hashlib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from ..errors import InputError
from .clean import clean_body, html_to_text
from .mapping import Mapping
from .rows import BadRow, Row

_PARSER = BytesParser(policy=policy.default)
_MSGID = re.compile(r"<([^<>\s]+)>")
_REPLY_PREFIX = re.compile(r"^\s*((re|sv|svar|vs|aw|fw|fwd|vb|vl|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MAIL_HEADERS = ("from", "date", "message-id", "subject", "to", "received", "mime-version")


@dataclass
class Mail:
    number: int
    source: str              # where it came from, for messages (a file, or "mail N")
    message_id: str | None
    refs: list[str]
    subject: str
    sender: str
    recipients: list[str]
    time: datetime
    text: str
    attachments: int


def iter_mbox(path: Path) -> Iterator[tuple[int, str, bytes]]:
    """(mail number, where, raw bytes) for each mail of an mbox file."""
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder; a folder of .eml files needs --format eml", path=path)
    with path.open("rb") as fh:
        head = fh.read(5)
    if head != b"From ":
        raise InputError("not an mbox mailbox (it does not start with a 'From ' line)", path=path)
    box = mailbox.mbox(path, create=False)
    try:
        for n, key in enumerate(box.iterkeys(), start=1):
            yield n, f"mail {n}", box.get_bytes(key)
    finally:
        box.close()


def iter_eml(path: Path) -> Iterator[tuple[int, str, bytes]]:
    """(mail number, file, raw bytes) for one .eml file or every .eml file under a folder."""
    if not path.exists():
        raise InputError("file or folder not found", path=path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()
                                                 and p.suffix.lower() == ".eml")
    if not files:
        raise InputError("no .eml files in the folder", path=path)
    for n, f in enumerate(files, start=1):
        try:
            yield n, str(f), f.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror})", path=f) from None


def _decode_words(raw: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(raw)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return raw


def _text_of(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        data = part.get_payload(decode=True) or b""
        for enc in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    if not isinstance(text, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_to_text(text)
    params = {k.lower(): v.lower() for k, v in part.get_params(failobj=[], header="content-type")[1:]}
    if params.get("format") == "flowed":
        text = _unflow(text, delsp=params.get("delsp") == "yes")
    return text


def _unflow(text: str, *, delsp: bool) -> str:
    """Undo format=flowed (RFC 3676): a line ending in a space continues on the next line."""
    out: list[str] = []
    buf = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):
            line = line[1:]            # space-stuffing
        if line.endswith(" ") and line != "-- " and not line.startswith(">"):
            buf += line[:-1] if delsp else line
            continue
        out.append(buf + line)
        buf = ""
    if buf:
        out.append(buf)
    return "\n".join(out)


def _count_attachments(part: EmailMessage, body: EmailMessage | None) -> int:
    if part is body:
        return 0
    if part.get_content_type() == "message/rfc822":
        return 1
    if part.is_multipart():
        return sum(_count_attachments(p, body) for p in part.iter_parts())
    if part.is_attachment() or part.get_filename() or part.get_content_maintype() != "text":
        return 1
    return 0


def parse_mail(number: int, source: str, raw: bytes, mapping: Mapping) -> Mail:
    """One mail; a mail that is not one, or has no readable date, is a :class:`BadRow`."""
    msg = _PARSER.parsebytes(raw)
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        headers.setdefault(name.lower(), []).append(str(value))
    if not any(h in headers for h in _MAIL_HEADERS):
        raise BadRow("not an e-mail (no mail headers)")
    date = headers.get("date")
    if not date or not date[0].strip():
        raise BadRow("mail without a date (no Date: header)")
    try:
        time = email.utils.parsedate_to_datetime(date[0].strip())
    except (TypeError, ValueError, IndexError):
        raise BadRow("mail whose Date: header is not a date") from None
    if time.tzinfo is None:
        time = time.replace(tzinfo=mapping.tz)
    ids = _MSGID.findall(" ".join(headers.get("message-id", [])))
    refs = _MSGID.findall(" ".join(headers.get("references", []) + headers.get("in-reply-to", [])))
    senders = email.utils.getaddresses(headers.get("from", []))
    sender = next((a.lower() for _, a in senders if a), "")
    recipients = [a.lower() for _, a in email.utils.getaddresses(headers.get("to", []) + headers.get("cc", []))
                  if a]
    subject = _decode_words(headers.get("subject", [""])[0]).strip()
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError):
        body = None
    text = _text_of(body) if body is not None else ""
    text = clean_body(text, tuple(mapping.boilerplate))
    return Mail(number, source, ids[0] if ids else None, refs, subject, sender, recipients, time, text,
                _count_attachments(msg, body))


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        p = self.parent.setdefault(x, x)
        while p != self.parent[p]:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        self.parent[x] = p
        return p

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def thread(mails: list[Mail], mapping: Mapping) -> dict[int, str]:
    """Conversation id for each mail number (see the module's docstring)."""
    u = _Union()
    node = {m.number: (m.message_id or f"\0mail-{m.number}") for m in mails}
    for m in mails:
        u.find(node[m.number])
        for r in m.refs:
            u.union(node[m.number], r)
    first_by_subject: dict[tuple[str, str], str] = {}
    for m in sorted(mails, key=lambda m: (m.time, m.number)):
        outside = m.sender if not mapping.is_worker(m.sender) else next(
            (a for a in m.recipients if not mapping.is_worker(a)), "")
        bare = _REPLY_PREFIX.sub("", m.subject).strip().casefold()
        key = (bare, outside)
        if not m.refs and bare and key in first_by_subject and _REPLY_PREFIX.match(m.subject):
            u.union(first_by_subject[key], node[m.number])
        first_by_subject.setdefault(key, node[m.number])
    # a conversation's id: a hash of its earliest mail's Message-ID (never the id itself)
    roots: dict[str, str] = {}
    for m in sorted(mails, key=lambda m: (m.time, m.number)):
        root = u.find(node[m.number])
        if root not in roots:
            seed = m.message_id or f"{m.source}:{m.number}"
            roots[root] = "mejl-" + hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return {m.number: roots[u.find(node[m.number])] for m in mails}


def mail_rows(mails: list[Mail], mapping: Mapping) -> list[Row]:
    ids = thread(mails, mapping)
    return [Row(m.number, ids[m.number], m.time,
                "stodperson" if mapping.is_worker(m.sender) else "stodsokande", m.text)
            for m in mails]
