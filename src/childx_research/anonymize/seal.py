"""The anonymiser's seal: a keyed digest that says "this came out of ``childx anonymize``
on this machine, unchanged".

Why: the anonymisation record (``anonymisation.spans``) tells the guard which strings are
surrogates. Without a seal anyone can write a record that calls every message a surrogate,
or put a real name back inside a recorded surrogate span, and the guard would let it
through. With the seal, everything that accepts anonymised text (``annotate push``,
``report --conversations``, ``train``) checks that the conversation is exactly what the
anonymiser wrote, *and* re-runs the detector.

The seal is HMAC-SHA256 (stdlib :mod:`hmac`) with a local secret that never enters git or
an output file:

1. ``CHILDX_SEAL_KEY`` in the environment, or
2. ``CHILDX_SEAL_KEY=...`` in a ``.env`` file in the current folder (``.env`` is
   git-ignored), or
3. a key file, ``$XDG_CONFIG_HOME/childx/seal.key`` (default ``~/.config/childx/seal.key``;
   ``CHILDX_SEAL_KEY_FILE`` names another), created with mode 0600 on first use and
   refused when other users can read it.

A key has at least 32 characters. Conversations sealed with one key verify only with the
same key: anonymise again on the machine that checks them, or share the key the way a
password is shared.

What is sealed (stored under ``anonymisation.seal``; digests only, never text):

- per message: HMAC over (conversation id, index, role, text, that message's recorded
  spans), so an edit is named by its message index;
- per conversation: HMAC over (id, organisation, channel, started_at, style, the list of
  message digests), so a changed id or record, or an added or removed message, is seen.

A conversation id or organisation in which the detector finds personal data is replaced
by the anonymiser (a keyed pseudonym for the id, nothing for the organisation) and refused
by the checks, whose errors then name the conversation by its position, not its id.

Hand-written rather than a library: what is signed (a conversation and its record,
message by message) is this project's own format; the cryptography is the stdlib's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import InputError
from ..records import Conversation

KEY_ENV = "CHILDX_SEAL_KEY"
KEY_FILE_ENV = "CHILDX_SEAL_KEY_FILE"
MIN_KEY_CHARS = 32
SEAL_KEY = "seal"
VERSION = 1
ALGORITHM = "HMAC-SHA256"
#: Message digests are HMAC-SHA256 truncated to 128 bits (enough to tell an edit; the
#: conversation digest over them is the full 256 bits).
MESSAGE_DIGEST_HEX = 32
#: The keys the anonymiser writes; a sealed conversation with any other key is refused
#: (it may carry text that no one checked).
CONVERSATION_KEYS = frozenset({"id", "organisation", "channel", "started_at", "messages", "anonymisation"})
MESSAGE_KEYS = frozenset({"role", "text"})
#: Labels that make an organisation value personal data (a name, a number, an address ...);
#: an organisation may well be an ORGANISATION or name a PLATS.
ORGANISATION_PERSONAL = frozenset({"PERSON", "TELEFON", "EPOST", "PERSONNUMMER", "ADRESS", "ANVANDARNAMN", "URL",
                                   "IDNUMMER"})
MANIFEST = "anonymisation.jsonl"


class NotSealed(InputError):
    """An "anonymised" conversation without a valid seal: edited, forged, or sealed elsewhere."""


# --- the key ----------------------------------------------------------------------------------


def default_key_file() -> Path:
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "childx" / "seal.key"


def _dotenv_value(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        if line.startswith(f"{KEY_ENV}="):
            value = line.split("=", 1)[1].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return value or None
    return None


def _checked(value: str, where: str) -> bytes:
    if len(value) < MIN_KEY_CHARS:
        raise InputError(f"{where}: the seal key is shorter than {MIN_KEY_CHARS} characters")
    return value.encode("utf-8")


def load_key(*, create: bool = True) -> bytes:
    """The local seal key (environment, then ``./.env``, then the key file, created on first use)."""
    value = os.environ.get(KEY_ENV)
    if value:
        return _checked(value, KEY_ENV)
    value = _dotenv_value(Path(".env"))
    if value:
        return _checked(value, f".env: {KEY_ENV}")
    path = default_key_file()
    if not path.exists():
        if not create:
            raise InputError(f"no seal key (set {KEY_ENV} or create the key file)", path=path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise InputError("the seal key file can be read by other users (run chmod 600 on it)", path=path)
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read the seal key file ({exc.strerror})", path=path) from None
    except UnicodeDecodeError:
        raise InputError("the seal key file is not text", path=path) from None
    return _checked(value, str(path))


def key_id(key: bytes) -> str:
    """A short name for the key (which key sealed this?), from which the key cannot be had."""
    return hashlib.sha256(b"childx-seal-key-id:" + key).hexdigest()[:12]


# --- digests ----------------------------------------------------------------------------------


def _canonical(obj: Any) -> bytes:
    # ASCII escapes: any string, lone surrogates included, has exactly one encoding
    return json.dumps(obj, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode("ascii")


def _mac(key: bytes, kind: str, obj: Any) -> str:
    return hmac.new(key, kind.encode("ascii") + b"\0" + _canonical(obj), hashlib.sha256).hexdigest()


def message_digest(key: bytes, conv_id: str, index: int, role: str, text: str,
                   spans: Iterable[Sequence[Any]]) -> str:
    payload = {"id": conv_id, "index": index, "role": role, "text": text,
               "spans": sorted([int(s), int(e), str(lab)] for s, e, lab in spans)}
    return _mac(key, "message", payload)[:MESSAGE_DIGEST_HEX]


def conversation_digest(key: bytes, conv: dict[str, Any], style: str, message_digests: list[str]) -> str:
    payload = {k: conv.get(k) for k in ("id", "organisation", "channel", "started_at")}
    payload.update(style=style, messages=message_digests, v=VERSION)
    return _mac(key, "conversation", payload)


def _spans_by_message(spans: Iterable[Sequence[Any]]) -> dict[int, list[tuple[int, int, str]]]:
    out: dict[int, list[tuple[int, int, str]]] = {}
    for m, s, e, lab in spans:
        out.setdefault(int(m), []).append((int(s), int(e), str(lab)))
    return out


def make_seal(key: bytes, data: dict[str, Any]) -> dict[str, Any]:
    """The seal of one anonymised conversation (``data``: the anonymiser's output as a dict,
    ``messages`` as ``{"role", "text"}`` dicts, the record under ``anonymisation``)."""
    record = data["anonymisation"]
    by_msg = _spans_by_message(record.get("spans") or [])
    digests = [message_digest(key, data["id"], i, m["role"], m["text"], by_msg.get(i, []))
               for i, m in enumerate(data["messages"])]
    return {"v": VERSION, "alg": ALGORITHM, "key": key_id(key), "messages": digests,
            "conversation": conversation_digest(key, data, record["style"], digests)}


def pseudonym_id(key: bytes, conv_id: str, *, lexicon=None) -> str:
    """The id that replaces one holding personal data (same id and key, same pseudonym):
    ``anon`` and 16 hex digits, one the detector itself does not take for personal data."""
    for attempt in range(100):
        candidate = "anon" + _mac(key, "id", [conv_id, attempt])[:16]
        if not personal_labels(candidate, lexicon=lexicon):
            return candidate
    raise InputError("cannot make a neutral id for a conversation whose id looks like personal data")


def personal_labels(value: str | None, *, organisation: bool = False, lexicon=None) -> list[str]:
    """The labels the detector finds in an id or organisation value (none: nothing personal)."""
    if not value:
        return []
    from .detect import detect

    labels = sorted({sp.label for sp in detect(value, lexicon=lexicon)})
    if organisation:
        labels = [lab for lab in labels if lab in ORGANISATION_PERSONAL]
    return labels


# --- checking ---------------------------------------------------------------------------------


def _where(conv: Conversation) -> str:
    return f"conversation {conv.id!r}"


def _refuse(what: str, problem: str, path: str | Path | None) -> NotSealed:
    return NotSealed(f"{what}: {problem}; refusing it", path=path)


def _valid_spans(record: dict[str, Any], texts: list[str]) -> bool:
    from .detect import LABELS

    spans = record.get("spans")
    if not isinstance(spans, list):
        return False
    for item in spans:
        if not (isinstance(item, list) and len(item) == 4):
            return False
        m, s, e, lab = item
        if not (type(m) is int and type(s) is int and type(e) is int and isinstance(lab, str)):
            return False
        if not (0 <= m < len(texts) and 0 <= s < e <= len(texts[m]) and lab in LABELS):
            return False
    return True


def check_identity(conv: Conversation, *, position: int | None = None, path: str | Path | None = None,
                   lexicon=None) -> None:
    """Refuse a conversation whose id or organisation looks like personal data (the error
    names it by position, never by the id)."""
    here = f"conversation #{position}" if position is not None else "a conversation"
    labels = personal_labels(conv.id, lexicon=lexicon)
    if labels:
        raise _refuse(here, f"its id looks like personal data ({', '.join(labels)})", path)
    labels = personal_labels(conv.organisation, organisation=True, lexicon=lexicon)
    if labels:
        raise _refuse(_where(conv), f"its organisation looks like personal data ({', '.join(labels)})", path)


def verify_seal(conv: Conversation, key: bytes, *, position: int | None = None,
                path: str | Path | None = None, lexicon=None) -> None:
    """Raise :class:`NotSealed` unless ``conv`` is exactly what the anonymiser wrote with
    ``key``. Names the conversation (by position when its id itself is the problem) and
    the message index; never a value or the text."""
    from .core import RECORD_KEY, STYLES

    check_identity(conv, position=position, path=path, lexicon=lexicon)
    what = _where(conv)
    data = conv.model_dump(exclude_none=True)
    if set(data) - CONVERSATION_KEYS:
        raise _refuse(what, "it holds keys that the anonymiser does not write", path)
    for i, m in enumerate(data["messages"]):
        if set(m) - MESSAGE_KEYS:
            raise _refuse(what, f"message {i}: it holds keys that the anonymiser does not write", path)
    record = data.get(RECORD_KEY)
    if not isinstance(record, dict):
        raise _refuse(what, f"not anonymised (no {RECORD_KEY!r} record); run `childx anonymize` first", path)
    seal = record.get(SEAL_KEY)
    if not isinstance(seal, dict):
        raise _refuse(what, "not sealed by `childx anonymize` (no seal in its record)", path)
    texts = [m["text"] for m in data["messages"]]
    if record.get("style") not in STYLES or not _valid_spans(record, texts) \
            or set(record) - {"style", "spans", SEAL_KEY}:
        raise _refuse(what, "its anonymisation record is malformed", path)
    digests = seal.get("messages")
    if seal.get("v") != VERSION or seal.get("alg") != ALGORITHM or not isinstance(digests, list) \
            or not all(isinstance(d, str) for d in digests) or not isinstance(seal.get("conversation"), str):
        raise _refuse(what, "its seal is malformed", path)
    if seal.get("key") != key_id(key):
        raise _refuse(what, "sealed with another key than this machine's (anonymise it again here, "
                            f"or use the same {KEY_ENV})", path)
    if len(digests) != len(texts):
        raise _refuse(what, "messages were added or removed after anonymisation (the seal does not match)", path)
    by_msg = _spans_by_message(record["spans"])
    for i, m in enumerate(data["messages"]):
        expected = message_digest(key, conv.id, i, m["role"], m["text"], by_msg.get(i, []))
        if not hmac.compare_digest(expected, digests[i]):
            raise _refuse(what, f"message {i}: changed after anonymisation (the seal does not match)", path)
    expected = conversation_digest(key, data, record["style"], digests)
    if not hmac.compare_digest(expected, seal["conversation"]):
        raise _refuse(what, "id, organisation, channel, start time or record changed after anonymisation "
                            "(the seal does not match)", path)


def require_sealed(conversations: Sequence[Conversation], *, path: str | Path | None = None,
                   key: bytes | None = None, lexicon=None) -> None:
    """Refuse (raise) unless every conversation carries a valid seal *and* the detector,
    run again, finds no personal data left outside the recorded surrogates. The error
    names the file, the conversation and the message index, never the text."""
    from .core import PersonalDataFound, guard
    from .lexicon import load_lexicon

    key = key if key is not None else load_key()
    lex = lexicon or load_lexicon()
    for n, conv in enumerate(conversations, start=1):
        check_identity(conv, position=n, path=path, lexicon=lex)
        try:  # the detector first: what it finds is named by type and message
            guard(conv, lexicon=lex)
        except PersonalDataFound as exc:
            if path is not None:  # name the file too, in the CLI's one-line format
                exc.path = str(path)
                exc.args = (exc.format(),)
            raise
        verify_seal(conv, key, position=n, path=path, lexicon=lex)


def is_sealed(conv: Conversation, key: bytes) -> bool:
    try:
        verify_seal(conv, key)
    except NotSealed:
        return False
    return True


# --- datasets ---------------------------------------------------------------------------------


def write_manifest(folder: str | Path, conversations: Iterable[Conversation]) -> Path:
    """Write the anonymisation records (seals included; no text) of ``conversations`` beside
    a dataset in ``folder``, so that training can check every row it reads."""
    from ..records import atomic_open
    from .core import RECORD_KEY

    path = Path(folder) / MANIFEST
    with atomic_open(path) as fh:
        for conv in conversations:
            record = conv.model_dump(exclude_none=True).get(RECORD_KEY)
            if isinstance(record, dict):
                fh.write(json.dumps({"id": conv.id, RECORD_KEY: record}, ensure_ascii=False) + "\n")
    return path


def read_manifest(path: str | Path) -> dict[str, dict[str, Any]]:
    from .core import RECORD_KEY

    out: dict[str, dict[str, Any]] = {}
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise InputError("invalid JSON", path=path, line=n) from None
        if not (isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get(RECORD_KEY), dict)):
            raise InputError("expected an object with id and anonymisation", path=path, line=n)
        out[item["id"]] = item[RECORD_KEY]
    return out


def require_sealed_dataset(dd, manifest: str | Path, *, source: str | Path | None = None,
                           key: bytes | None = None) -> int:
    """Check every row of every split of ``dd`` against the seals in ``manifest`` (and run
    the detector again). Returns how many rows were checked."""
    from ..records import Message
    from .core import RECORD_KEY

    records = read_manifest(manifest)
    convs: list[Conversation] = []
    for split in dd:
        for row in dd[split]:
            record = records.get(row["id"])
            if record is None:
                raise NotSealed(f"split {split!r}: conversation {row['id']!r}: not in the dataset's seals "
                                f"({MANIFEST}); refusing it", path=source)
            data = {k: row.get(k) for k in ("id", "organisation", "channel", "started_at") if row.get(k) is not None}
            data["messages"] = [Message(role=r, text=t) for r, t in zip(row["roles"], row["texts"])]
            data[RECORD_KEY] = record
            convs.append(Conversation.model_validate(data))
    require_sealed(convs, path=source, key=key)
    return len(convs)
