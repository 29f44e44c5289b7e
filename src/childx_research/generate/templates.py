"""Phrase templates: parse once, render many times into labelled segments.

Syntax (see phrases/README.md): ``[a|b|c]`` picks one alternative, ``{slot}`` is filled by
the generator, `` // `` breaks a chat message. A rendered template is a list of messages,
each a list of :class:`Segment` (text plus an optional personal-data label), so that
gold spans keep exact character offsets through every later transformation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from random import Random
from typing import Callable

BREAK = " // "
_TOKEN = re.compile(r"\[([^\[\]]*)\]|\{([a-z_]+)\}")
_SLOT = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Segment:
    text: str
    label: str | None = None  # a PII label, or None for ordinary text


@dataclass(frozen=True)
class _Choice:
    options: tuple[str, ...]


@dataclass(frozen=True)
class _Slot:
    name: str


Part = str | _Choice | _Slot


class TemplateError(ValueError):
    pass


@lru_cache(maxsize=None)
def parse(template: str) -> tuple[tuple[Part, ...], ...]:
    """Parse a template into messages of parts (cached: each template is parsed once)."""
    if not isinstance(template, str):
        raise TemplateError(f"template must be a string, got {template!r}")
    messages = []
    for chunk in template.split(BREAK):
        parts: list[Part] = []
        pos = 0
        for m in _TOKEN.finditer(chunk):
            if m.start() > pos:
                parts.append(chunk[pos:m.start()])
            if m.group(1) is not None:
                parts.append(_Choice(tuple(m.group(1).split("|"))))
            else:
                parts.append(_Slot(m.group(2)))
            pos = m.end()
        if pos < len(chunk):
            parts.append(chunk[pos:])
        for p in parts:
            if isinstance(p, str) and any(c in p for c in "[]{}"):
                raise TemplateError(f"unbalanced bracket in template {template!r}")
        messages.append(tuple(parts))
    return tuple(messages)


def slots_of(template: str) -> set[str]:
    """Every slot of a template, including those inside alternatives."""
    out = set()
    for msg in parse(template):
        for p in msg:
            if isinstance(p, _Slot):
                out.add(p.name)
            elif isinstance(p, _Choice):
                out |= {m.group(1) for o in p.options for m in _SLOT.finditer(o)}
    return out


SlotFiller = Callable[[str], Segment]


def render(template: str, rng: Random, fill: SlotFiller) -> list[list[Segment]]:
    """Render a template: one list of segments per message; empty messages are dropped."""
    out: list[list[Segment]] = []
    for msg in parse(template):
        segs: list[Segment] = []
        for p in msg:
            if isinstance(p, str):
                segs.append(Segment(p))
            elif isinstance(p, _Choice):
                choice = p.options[rng.randrange(len(p.options))]
                # an alternative may hold slots ("[pengar|{gava}]"): fill them too, or the
                # placeholder would reach the text (and the typo step) as literal words
                pos = 0
                for m in _SLOT.finditer(choice):
                    if m.start() > pos:
                        segs.append(Segment(choice[pos:m.start()]))
                    segs.append(fill(m.group(1)))
                    pos = m.end()
                if pos < len(choice):
                    segs.append(Segment(choice[pos:]))
            else:
                segs.append(fill(p.name))
        segs = _tidy(segs)
        if segs:
            out.append(segs)
    return out


def _tidy(segs: list[Segment]) -> list[Segment]:
    """Merge adjacent plain text, collapse doubled spaces left by empty choices, strip ends."""
    merged: list[Segment] = []
    for s in segs:
        if not s.text:
            continue
        if merged and merged[-1].label is None and s.label is None:
            merged[-1] = Segment(merged[-1].text + s.text)
        else:
            merged.append(s)
    cleaned: list[Segment] = []
    for s in merged:
        if s.label is None:
            t = re.sub(r"  +", " ", s.text)
            t = re.sub(r" ([,.!?])", r"\1", t)
            cleaned.append(Segment(t))
        else:
            cleaned.append(s)
    if cleaned and cleaned[0].label is None:
        cleaned[0] = Segment(cleaned[0].text.lstrip())
    if cleaned and cleaned[-1].label is None:
        cleaned[-1] = Segment(cleaned[-1].text.rstrip())
    return [s for s in cleaned if s.text]


def join(segments: list[Segment]) -> tuple[str, list[tuple[int, int, str, str]]]:
    """Concatenate segments; return the text and (start, end, label, text) for PII segments."""
    text_parts: list[str] = []
    spans: list[tuple[int, int, str, str]] = []
    pos = 0
    for s in segments:
        if s.label is not None:
            spans.append((pos, pos + len(s.text), s.label, s.text))
        text_parts.append(s.text)
        pos += len(s.text)
    return "".join(text_parts), spans
