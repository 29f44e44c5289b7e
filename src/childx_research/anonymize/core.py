"""Anonymising conversations, the report, and the guard."""

from __future__ import annotations

import bisect
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Literal

from ..errors import InputError
from ..records import Conversation, Message
from . import seal
from .detect import LABELS, Span, detect_messages
from .lexicon import Lexicon, load_lexicon
from .surrogate import TAGS, Surrogates

Style = Literal["pseudonym", "tags"]
STYLES = ("pseudonym", "tags")
#: The key under which an anonymised conversation records what was replaced: the style
#: and, per replacement, [message index, start, end, label] in the *anonymised* text.
#: Never the original strings. The guard uses it to tell surrogates from leftovers.
RECORD_KEY = "anonymisation"
#: Conversation keys that are carried over; any other key is dropped (it may hold free
#: text such as a gold summary, or the original strings of a contact's ``pii`` list).
KEPT_KEYS = ("id", "organisation", "channel", "started_at")
MAX_PASSES = 3


@dataclass(frozen=True)
class Finding:
    """Personal data the detector still finds in an anonymised conversation."""

    message: int
    label: str
    start: int
    end: int

    def __str__(self) -> str:  # never the string itself
        return f"message {self.message}: {self.label}"


class PersonalDataFound(InputError):
    """The guard's refusal: names the conversation, the message index and the type."""

    def __init__(self, conv_id: str, findings: list[Finding]) -> None:
        self.findings = findings
        first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(f"conversation {conv_id!r}: message {first.message}: {first.label} still present "
                         f"after anonymisation{more}; refusing it")


def _rng_for(seed: int, conv_id: str, index: int) -> random.Random:
    return random.Random(f"childx-anonymize:{seed}:{index}:{conv_id}")


def _apply(text: str, repl: list[tuple[int, int, str, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """Replace ``(start, end, label, new)`` in ``text``; return the text and the new spans."""
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    shift = 0
    for s, e, label, new in sorted(repl):
        out.append(text[pos:s])
        ns = s + shift
        out.append(new)
        spans.append((ns, ns + len(new), label))
        shift += len(new) - (e - s)
        pos = e
    out.append(text[pos:])
    return "".join(out), spans


def _covered(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Recorded spans joined where only spaces or hyphens separate them."""
    merged: list[list[int]] = []
    for s, e, _ in sorted(spans):
        if merged and (s <= merged[-1][1] or text[merged[-1][1]:s].strip(" \t-") == ""):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _uncovered(text: str, found: list[Span], recorded: list[tuple[int, int, str]]) -> list[Span]:
    if not recorded:
        return list(found)
    cov = _covered(text, recorded)
    starts = [cs for cs, _ in cov]
    out = []
    for sp in found:
        k = bisect.bisect_right(starts, sp.start) - 1
        if not (k >= 0 and cov[k][1] >= sp.end):
            out.append(sp)
    return out


def _recorded(conv: Conversation) -> dict[int, list[tuple[int, int, str]]]:
    rec = getattr(conv, RECORD_KEY, None)
    if rec is None and conv.model_extra:
        rec = conv.model_extra.get(RECORD_KEY)
    out: dict[int, list[tuple[int, int, str]]] = {}
    if not isinstance(rec, dict):
        return out
    for item in rec.get("spans") or []:
        try:
            m, s, e, label = item
            out.setdefault(int(m), []).append((int(s), int(e), str(label)))
        except (TypeError, ValueError):
            continue
    return out


def check_anonymised(conv: Conversation, *, lexicon: Lexicon | None = None) -> list[Finding]:
    """Personal data the detector still finds in ``conv``.

    Replacements that the anonymiser recorded (``conv.anonymisation.spans``) are
    surrogates, not findings. A conversation without that record is checked strictly:
    every realistic name in it counts.
    """
    lex = lexicon or load_lexicon()
    recorded = _recorded(conv)
    texts = [m.text for m in conv.messages]
    findings: list[Finding] = []
    roles = [m.role for m in conv.messages]
    for i, (text, found) in enumerate(zip(texts, detect_messages(texts, lexicon=lex, roles=roles))):
        for sp in _uncovered(text, found, recorded.get(i, [])):
            findings.append(Finding(i, sp.label, sp.start, sp.end))
    return findings


def guard(conv: Conversation, *, lexicon: Lexicon | None = None) -> None:
    """Refuse (raise :class:`PersonalDataFound`) a conversation in which personal data is
    still found. The error names the type and the message index, never the string."""
    findings = check_anonymised(conv, lexicon=lexicon)
    if findings:
        raise PersonalDataFound(conv.id, findings)


def _anonymise_one(conv: Conversation, style: str, seed: int, index: int, lex: Lexicon, key: bytes
                   ) -> tuple[Conversation, Counter[str], list[str]]:
    texts = [m.text for m in conv.messages]
    surrogates = Surrogates(lex, _rng_for(seed, conv.id, index))
    counts: Counter[str] = Counter()
    recorded: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    roles = [m.role for m in conv.messages]
    found = detect_messages(texts, lexicon=lex, roles=roles)
    for _ in range(MAX_PASSES):
        changed = False
        for i, spans in enumerate(found):
            todo = _uncovered(texts[i], spans, recorded[i])
            if not todo:
                continue
            changed = True
            repl = []
            for sp in todo:
                original = texts[i][sp.start:sp.end]
                new = TAGS[sp.label] if style == "tags" else surrogates.replace(sp.label, original)
                repl.append((sp.start, sp.end, sp.label, new))
                counts[sp.label] += 1
            # keep earlier surrogates that the new replacements do not touch, shifted
            keep = [r for r in recorded[i] if not any(r[0] < e and s < r[1] for s, e, _, _ in repl)]
            marker = [(s, e, "\0" + lab, texts[i][s:e]) for s, e, lab in keep]
            texts[i], spans_new = _apply(texts[i], repl + marker)
            recorded[i] = [(s, e, lab.lstrip("\0")) for s, e, lab in spans_new]
        if not changed or style == "tags":
            break  # a tag is never detected and leaves its neighbours as they were
        # check again what was changed (a surrogate next to a leftover, a name split in two)
        touched = [i for i, rec in enumerate(recorded) if rec]
        found = [[] for _ in texts]
        if touched:
            for i, spans in zip(touched, detect_messages([texts[i] for i in touched], lexicon=lex)):
                found[i] = spans
    else:
        # still something after MAX_PASSES: tag whatever is left (never happens in tests)
        for i, spans in enumerate(detect_messages(texts, lexicon=lex, roles=roles)):
            todo = _uncovered(texts[i], spans, recorded[i])
            if todo:
                keep = [r for r in recorded[i] if not any(r[0] < sp.end and sp.start < r[1] for sp in todo)]
                marker = [(s, e, "\0" + lab, texts[i][s:e]) for s, e, lab in keep]
                texts[i], spans_new = _apply(texts[i], [(sp.start, sp.end, sp.label, TAGS[sp.label])
                                                        for sp in todo] + marker)
                recorded[i] = [(s, e, lab.lstrip("\0")) for s, e, lab in spans_new]
                counts.update(sp.label for sp in todo)
    surrogates.forget()
    data: dict[str, Any] = {k: getattr(conv, k) for k in KEPT_KEYS if getattr(conv, k, None) is not None}
    data["messages"] = [Message(role=m.role, text=t) for m, t in zip(conv.messages, texts)]
    data[RECORD_KEY] = {"style": style,
                        "spans": [[i, s, e, lab] for i, rec in enumerate(recorded) for s, e, lab in rec]}
    # an id or organisation that holds personal data is not passed through
    if seal.personal_labels(conv.id, lexicon=lex):
        data["id"] = seal.pseudonym_id(key, conv.id, lexicon=lex)
        counts["_id"] += 1
    if seal.personal_labels(conv.organisation, organisation=True, lexicon=lex):
        data.pop("organisation", None)
        counts["_organisation"] += 1
    data["messages"] = [m.model_dump() for m in data["messages"]]
    data[RECORD_KEY][seal.SEAL_KEY] = seal.make_seal(key, data)
    present = {k for k, v in conv.model_dump(exclude_none=True).items() if v not in ([], {}, "")}
    dropped = sorted(present - set(KEPT_KEYS) - {"messages", RECORD_KEY})
    for m in conv.messages:
        dropped += [f"messages.{k}" for k in (m.model_extra or {})]
    return Conversation.model_validate(data), counts, sorted(set(dropped))


def anonymize_conversations(conversations: Iterable[Conversation], style: Style = "pseudonym", seed: int = 0,
                            *, lexicon: Lexicon | None = None, key: bytes | None = None, start: int = 0
                            ) -> tuple[list[Conversation], dict[str, Any]]:
    """Replace the personal data in each conversation.

    ``style="pseudonym"``: realistic surrogates, consistent inside a conversation;
    ``style="tags"``: ``[NAMN]``, ``[TELEFON]`` .... The same ``seed`` gives the same output.

    Returns the anonymised conversations (only the keys id, organisation, channel,
    started_at and messages with role and text are carried over, plus the record under
    ``anonymisation``) and a report: counts per type, per conversation and in total, and
    the names of dropped keys. The report never holds an original string, and the mapping
    from original to surrogate is never kept beyond one conversation.

    Each conversation is sealed (``anonymisation.seal``, :mod:`.seal`) with ``key``
    (default: the local seal key); an id that holds personal data is replaced by a keyed
    pseudonym, an organisation that does is removed (counted in the report).

    ``start``: the index of the first conversation in the whole file (the surrogates of a
    conversation depend on the seed, its id and its index), so that a file cut into parts
    for several processes gives the same bytes as the whole file in one.
    """
    if style not in STYLES:
        raise InputError(f"unknown style {style!r} (pseudonym or tags)")
    lex = lexicon or load_lexicon()
    key = key if key is not None else seal.load_key()
    out: list[Conversation] = []
    per_conv: list[dict[str, Any]] = []
    total: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    n_messages = n_chars = ids_replaced = orgs_removed = 0
    for index, conv in enumerate(conversations, start=start):
        new, counts, drop = _anonymise_one(conv, style, seed, index, lex, key)
        out.append(new)
        ids_replaced += counts.pop("_id", 0)
        orgs_removed += counts.pop("_organisation", 0)
        total.update(counts)
        dropped.update(drop)
        n_messages += len(conv.messages)
        n_chars += sum(len(m.text) for m in conv.messages)
        per_conv.append({"id": new.id, "counts": {k: counts[k] for k in LABELS if counts[k]}})
    report: dict[str, Any] = {
        "style": style,
        "seed": seed,
        "lexicon": lex.source,
        "conversations": len(out),
        "messages": n_messages,
        "characters": n_chars,
        "total": {k: total[k] for k in LABELS},
        "replacements": sum(total.values()),
        "dropped_keys": dict(sorted(dropped.items())),
        "ids_replaced": ids_replaced,
        "organisations_removed": orgs_removed,
        "per_conversation": per_conv,
    }
    return out, report
