"""Conversations and form records: models, JSON Lines IO, and datasets conversion.

Formats follow ``shared/spec/formats.md``. Reading validates every line and stops at
the first problem with a one-line :class:`InputError` naming file, line and key.
Writing is atomic: a temporary file in the same folder, then a rename, so a failed
run never leaves a half-written or corrupted output.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import InputError
from .forms import Form

Role = Literal["stodsokande", "stodperson"]
Channel = Literal["chatt", "mejl"]
PII_LABELS = ("PERSON", "PLATS", "ORGANISATION", "TELEFON", "EPOST", "PERSONNUMMER", "ADRESS",
              "ANVANDARNAMN", "URL")
PiiLabel = Literal["PERSON", "PLATS", "ORGANISATION", "TELEFON", "EPOST", "PERSONNUMMER", "ADRESS",
                   "ANVANDARNAMN", "URL"]
ROLE_LABELS_SV = {"stodsokande": "Stödsökande", "stodperson": "Stödperson"}
CHANNEL_LABELS_SV = {"chatt": "Chatt", "mejl": "Mejl"}


def _check_timestamp(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        datetime.fromisoformat(v)
    except (TypeError, ValueError):
        raise ValueError("not an ISO 8601 timestamp") from None
    return v


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Role
    text: str


class Conversation(BaseModel):
    model_config = ConfigDict(extra="allow")
    _line: int | None = PrivateAttr(default=None)  # the line it was read from (for errors)

    id: str = Field(min_length=1)
    organisation: str | None = None
    channel: Channel | None = None
    started_at: str | None = None
    messages: list[Message] = Field(min_length=1)

    _ts = field_validator("started_at")(_check_timestamp)

    @property
    def started(self) -> datetime | None:
        return datetime.fromisoformat(self.started_at) if self.started_at else None

    def text_of(self, role: Role) -> str:
        return "\n".join(m.text for m in self.messages if m.role == role)


class PiiSpan(BaseModel):
    model_config = ConfigDict(extra="allow")

    message: int = Field(ge=0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    label: PiiLabel
    text: str

    @model_validator(mode="after")
    def _order(self) -> "PiiSpan":
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self


class Contact(Conversation):
    """A conversation with its gold form and gold personal-data spans."""

    gold: dict[str, Any]
    pii: list[PiiSpan] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spans_point_at_text(self) -> "Contact":
        for i, s in enumerate(self.pii):
            if s.message >= len(self.messages):
                raise ValueError(f"pii[{i}]: message index {s.message} out of range")
            if self.messages[s.message].text[s.start:s.end] != s.text:
                raise ValueError(f"pii[{i}]: offsets {s.start}-{s.end} do not point at its text")
        return self

    def conversation(self) -> Conversation:
        return Conversation.model_validate(self.model_dump(exclude={"gold", "pii", "meta"}, exclude_none=True))

    def form_record(self) -> "FormRecord":
        return FormRecord(id=self.id, started_at=self.started_at, organisation=self.organisation,
                          form=self.gold)


class FormRecord(BaseModel):
    model_config = ConfigDict(extra="allow")
    _line: int | None = PrivateAttr(default=None)  # the line it was read from (for errors)

    id: str = Field(min_length=1)
    started_at: str | None = None
    organisation: str | None = None
    form: dict[str, Any]
    confidence: dict[str, float | dict[str, float]] | None = None
    field_confidence: dict[str, float] | None = None

    _ts = field_validator("started_at")(_check_timestamp)


M = TypeVar("M", bound=BaseModel)

# --- reading ----------------------------------------------------------------------------


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "missing key"
    return loc, msg


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_KNOWN_KEYS = frozenset({"id", "organisation", "channel", "started_at", "messages", "role", "text", "gold", "form",
                         "pii", "confidence", "field_confidence", "label", "anonymisation", "meta"})


def _lone_surrogate_key(data: Any, prefix: str = "") -> str | None:
    """The key path of the first string in ``data`` that holds a lone UTF-16 surrogate
    (``"\\ud800"`` without its partner: valid JSON, but not text, and no UTF-8 writer
    can write it), or ``None``."""
    stack: list[tuple[str, Any]] = [(prefix, data)]
    while stack:
        key, node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return key or "(value)"
        elif isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and _lone_surrogate_key(k) is not None:
                    return key or "(key)"
                name = k if k in _KNOWN_KEYS else "(a key)"  # a key of the input's own is not echoed
                stack.append((f"{key}.{name}" if key else name, v))
        elif isinstance(node, list):
            stack.extend((f"{key}.{i}" if key else str(i), v) for i, v in enumerate(node))
    return None


def parse_json_line(raw: bytes, path: str | Path, lineno: int) -> Any:
    """One JSON Lines line (bytes) to a Python object, or an :class:`InputError` naming the
    file and line: not UTF-8, invalid JSON, nested too deeply for the parser, or a string
    holding a lone surrogate escape. Never echoes the line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start + 1} of the line)", path=path, line=lineno) from None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", path=path, line=lineno) from None
    except RecursionError:
        raise InputError("invalid JSON (nested too deeply)", path=path, line=lineno) from None
    except ValueError:  # e.g. an integer longer than Python converts
        raise InputError("invalid JSON (a number too long)", path=path, line=lineno) from None
    if _SURROGATE_ESCAPE.search(raw):
        key = _lone_surrogate_key(data)
        if key is not None:
            raise InputError("a lone surrogate escape (\\ud800-\\udfff) is not text", path=path, line=lineno,
                             key=key)
    return data


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number, object)`` for each non-blank line of a JSON Lines file; every problem
    (missing file, not UTF-8, bad JSON, too deep, lone surrogate) is an :class:`InputError`
    on the right line. Lines are read as bytes and decoded one by one, so an invalid byte
    is reported on its own line."""
    path = Path(path)
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a JSON Lines file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=path) from None
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            yield lineno, parse_json_line(raw, path, lineno)


def iter_jsonl(path: str | Path, model: type[M], *, form: Form | None = None,
               form_key: str | None = None) -> Iterator[M]:
    """Yield validated objects from a JSON Lines file.

    ``form_key`` names the attribute holding a filled-in form ("gold" or "form") that is
    checked against ``form``. Blank lines are skipped.
    """
    path = Path(path)
    for lineno, data in iter_json_lines(path):
        if not isinstance(data, dict):
            raise InputError(f"expected a JSON object, got {type(data).__name__}", path=path,
                             line=lineno)
        try:
            obj = model.model_validate(data)
        except ValidationError as exc:
            key, msg = _first_error(exc)
            raise InputError(msg, path=path, line=lineno, key=key) from None
        except RecursionError:
            raise InputError("nested too deeply", path=path, line=lineno) from None
        if form is not None and form_key is not None:
            problems = form.check_values(getattr(obj, form_key))
            if problems:
                key, msg = problems[0]
                raise InputError(msg, path=path, line=lineno, key=f"{form_key}.{key}" if key else form_key)
        try:
            obj._line = lineno
        except (AttributeError, ValueError):
            pass
        yield obj


def read_conversations(path: str | Path) -> list[Conversation]:
    return list(iter_jsonl(path, Conversation))


def read_contacts(path: str | Path, form: Form) -> list[Contact]:
    return list(iter_jsonl(path, Contact, form=form, form_key="gold"))


def read_form_records(path: str | Path, form: Form) -> list[FormRecord]:
    return list(iter_jsonl(path, FormRecord, form=form, form_key="form"))


def check_unique_ids(items: Iterable[BaseModel], path: str | Path) -> None:
    """Refuse a second record with an id already seen; the error names both lines, never the id."""
    seen: dict[str, int] = {}
    for n, item in enumerate(items, start=1):
        ident = getattr(item, "id")
        line = getattr(item, "_line", None) or n
        if ident in seen:
            raise InputError(f"duplicate id (the same id as on line {seen[ident]})", path=path, line=line, key="id")
        seen[ident] = line


# --- writing ----------------------------------------------------------------------------


#: Hidden temporary names carry the writing process's id: ``.{name}.{pid}.{random}.tmp``
#: (files) and ``.{name}.{pid}.{random}`` (folders). A later run removes those whose
#: process is gone (a killed run), and never one that is still being written.
_TMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+(?:\.tmp)?$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temp(folder: str | Path, name: str) -> int:
    """Remove the hidden temporary files and folders that a killed run left for ``name``
    in ``folder``; returns how many. Those of a live process are left alone."""
    import shutil

    folder = Path(folder)
    removed = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        m = _TMP_RE.match(entry.name)
        if not m or m["name"] != name or _alive(int(m["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                continue
        removed += 1
    return removed


def temp_dir_for(out: str | Path) -> Path:
    """A new hidden folder beside ``out`` to build a result in (then :func:`replace_dir`);
    what killed runs left beside ``out`` is removed first."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temp(out.parent, out.name)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", dir=out.parent))


@contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.
    Temporary files of killed earlier runs for the same ``path`` are removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temp(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline=None if "b" in mode else "\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system cannot. The standard library has no call for it, hence ctypes."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def replace_dir(tmp: str | Path, out: str | Path) -> Path:
    """Move a finished folder ``tmp`` to ``out`` as one unit, so a failed or killed run
    never leaves a half-written folder (or a mix of new and old files) where a good one was.

    Where the system can swap two folders in one step (Linux), ``out`` is never missing;
    elsewhere the old folder is renamed aside first, and a run killed between the two
    renames is repaired by the next one (the old folder is put back)."""
    import shutil

    tmp, out = Path(tmp), Path(out)
    old = out.with_name(f".{out.name}.old")
    if old.exists() and not out.exists():
        old.rename(out)  # an earlier run was killed between its two renames
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        if out.is_dir() and not out.is_symlink() and _exchange(tmp, out):
            shutil.rmtree(tmp, ignore_errors=True)  # now the old folder
            return out
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
    return out


# --- outputs never destroy inputs ---------------------------------------------------------

#: The small file a folder-writing command leaves in its output, so that a later run knows
#: the folder is its own to replace (and refuses any other non-empty folder).
OUTPUT_MARKER = ".childx-output.json"


def _contains(parent: Path, child: Path) -> bool:
    return parent == child or parent in child.parents


def check_not_input(output: str | Path, inputs: Iterable[str | Path | None], *, option: str = "--out") -> None:
    """Refuse an output path equal to an input, or a folder that contains one (writing it
    would overwrite or delete the input). Paths are compared resolved (links, ``.``)."""
    out = Path(output).resolve()
    for inp in inputs:
        if inp is None:
            continue
        p = Path(inp).resolve()
        if out == p:
            raise InputError(f"{option} must not be the input file (the original would be lost)", path=output)
        if _contains(out, p):
            raise InputError(f"{option} must not be a folder that holds the input {Path(inp).name!s}",
                             path=output)


def check_output_dir(out: str | Path, command: str, inputs: Iterable[str | Path | None] = (), *,
                     legacy: Iterable[str] = (), option: str = "--out") -> None:
    """A folder the command will replace as a whole: refused when it is or holds an input,
    when it is a file, or when it exists, is not empty and is not an earlier output of the
    same ``command`` (its :data:`OUTPUT_MARKER`, or one of the ``legacy`` files that such
    an output held before the marker existed)."""
    path = Path(out)
    check_not_input(path, inputs, option=option)
    if path.resolve() == Path.cwd().resolve() or path.resolve() == Path(path.resolve().anchor):
        raise InputError(f"{option} must be a folder of its own, not the current folder", path=out)
    if not path.exists():
        return
    if not path.is_dir():
        raise InputError("exists and is not a folder", path=out)
    if not any(path.iterdir()):
        return
    marker = path / OUTPUT_MARKER
    if marker.is_file():
        try:
            found = json.loads(marker.read_text(encoding="utf-8")).get("command")
        except (OSError, ValueError, AttributeError, RecursionError):
            found = None
        if found == command:
            return
    elif any((path / name).exists() for name in legacy):
        return
    raise InputError(f"exists, is not empty and is not an earlier output of `childx {command}`: "
                     f"choose another {option} (nothing was changed)", path=out)


def write_output_marker(folder: str | Path, command: str) -> None:
    from . import __version__

    (Path(folder) / OUTPUT_MARKER).write_text(
        json.dumps({"command": command, "version": __version__}) + "\n", encoding="utf-8")


def dumps(obj: BaseModel | dict[str, Any]) -> str:
    data = obj.model_dump(exclude_none=True) if isinstance(obj, BaseModel) else obj
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))


def write_jsonl(path: str | Path, items: Iterable[BaseModel | dict[str, Any]]) -> int:
    n = 0
    with atomic_open(path) as fh:
        for item in items:
            fh.write(dumps(item))
            fh.write("\n")
            n += 1
    return n


def write_json(path: str | Path, data: Any) -> None:
    with atomic_open(path) as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=False)
        fh.write("\n")


# --- datasets ---------------------------------------------------------------------------

SPLITS = ("train", "validation", "test")


def dataset_features(form: Form):
    """`datasets.Features` derived from the form: ClassLabel for single fields,
    Sequence(ClassLabel) for multi fields, string for text fields."""
    from datasets import ClassLabel, Features, List, Value

    feats: dict[str, Any] = {
        "id": Value("string"),
        "organisation": Value("string"),
        "channel": Value("string"),
        "started_at": Value("string"),
        "roles": List(Value("string")),
        "texts": List(Value("string")),
    }
    for f in form.fields:
        if f.kind == "single":
            feats[f.key] = ClassLabel(names=f.option_keys)
        elif f.kind == "multi":
            feats[f.key] = List(ClassLabel(names=f.option_keys))
        else:
            feats[f.key] = Value("string")
    return Features(feats)


def _row(conv: Conversation, values: dict[str, Any], form: Form) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": conv.id,
        "organisation": conv.organisation,
        "channel": conv.channel,
        "started_at": conv.started_at,
        "roles": [m.role for m in conv.messages],
        "texts": [m.text for m in conv.messages],
    }
    for f in form.fields:
        v = values.get(f.key)
        if f.kind == "single":
            row[f.key] = f.option_keys.index(v)
        elif f.kind == "multi":
            row[f.key] = sorted(f.option_keys.index(x) for x in v)
        else:
            row[f.key] = v or ""
    return row


def _hash01(text: str, seed: int) -> float:
    h = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def split_ids(items: list[tuple[str, dict[str, Any]]], form: Form, *, seed: int = 0,
              fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> dict[str, str]:
    """Deterministic split by conversation, stratified on each item's rarest option.

    Items are grouped by the rarest (field, option) they hold over the whole set; inside
    a group they are ordered by a seeded hash of the id and dealt out so every split
    gets its share of every group, rare options included.
    """
    freq: Counter[tuple[str, str]] = Counter()
    held: dict[str, list[tuple[str, str]]] = {}
    for ident, values in items:
        opts = []
        for f in form.choice_fields:
            v = values.get(f.key)
            for o in ([v] if isinstance(v, str) else (v or [])):
                opts.append((f.key, o))
        held[ident] = opts
        freq.update(opts)
    groups: dict[tuple[str, str] | None, list[str]] = {}
    for ident, opts in held.items():
        key = min(opts, key=lambda o: (freq[o], o)) if opts else None
        groups.setdefault(key, []).append(ident)
    out: dict[str, str] = {}
    carry = [0.0, 0.0, 0.0]
    for key in sorted(groups, key=lambda k: (k is None, k or ("", ""))):
        ids = sorted(groups[key], key=lambda i: _hash01(i, seed))
        for ident in ids:
            # give the item to the split that is furthest below its target share
            for s in range(3):
                carry[s] += fractions[s]
            best = max(range(3), key=lambda s: carry[s])
            carry[best] -= 1.0
            out[ident] = SPLITS[best]
    return out


def to_dataset_dict(pairs: Iterable[tuple[Conversation, dict[str, Any]]], form: Form, *, seed: int = 0,
                    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)):
    """A `datasets.DatasetDict` (train/validation/test) from (conversation, form values) pairs."""
    from datasets import Dataset, DatasetDict

    pairs = list(pairs)
    assignment = split_ids([(c.id, v) for c, v in pairs], form, seed=seed, fractions=fractions)
    features = dataset_features(form)
    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for conv, values in pairs:
        rows[assignment[conv.id]].append(_row(conv, values, form))
    # column-wise, so that an empty split (few annotated conversations) is still a valid Dataset
    return DatasetDict({s: Dataset.from_dict({k: [r[k] for r in rows[s]] for k in features}, features=features)
                        for s in SPLITS})


def contacts_to_dataset_dict(contacts: Iterable[Contact], form: Form, *, seed: int = 0):
    return to_dataset_dict(((c, c.gold) for c in contacts), form, seed=seed)


def decode_row(row: dict[str, Any], form: Form) -> dict[str, Any]:
    """Turn a dataset row's label ids back into a form's option keys."""
    values: dict[str, Any] = {}
    for f in form.fields:
        v = row[f.key]
        if f.kind == "single":
            values[f.key] = f.option_keys[v]
        elif f.kind == "multi":
            values[f.key] = [f.option_keys[i] for i in v]
        else:
            values[f.key] = v
    return values


class LabelledConversation(Conversation):
    """A conversation with a gold form; personal-data items are not checked (the hand-written
    dev set lists only ``text`` and ``label`` for each)."""

    gold: dict[str, Any]


def read_labelled_conversations(path: str | Path, form: Any) -> list[tuple[Conversation, dict[str, Any]]]:
    """``(conversation, gold form)`` pairs of a JSONL of conversations with a ``gold`` key
    (generated contacts or hand-written ones), the gold checked against ``form``."""
    out = []
    for item in iter_jsonl(path, LabelledConversation, form=form, form_key="gold"):
        conv = Conversation.model_validate(item.model_dump(exclude={"gold", "pii", "meta"}, exclude_none=True))
        out.append((conv, item.gold))
    return out
