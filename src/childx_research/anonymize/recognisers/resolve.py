"""Overlap resolution, in one place: candidates from every recogniser, the lower priority number
wins, then the longer span; neighbouring parts of one person's name are joined.
"""

from __future__ import annotations

from .base import Candidate, Span


def _select(cands: list[tuple[int, int, str, int]]) -> list[Span]:
    """Non-overlapping spans: by priority, then longer first."""
    import bisect

    cands.sort(key=lambda c: (c[3], -(c[1] - c[0]), c[0]))
    starts: list[int] = []  # taken intervals, sorted by start, never overlapping
    ends: list[int] = []
    spans: list[Span] = []
    for s, e, label, _ in cands:
        if e <= s:
            continue
        k = bisect.bisect_left(starts, s)
        if (k < len(starts) and starts[k] < e) or (k > 0 and ends[k - 1] > s):
            continue
        starts.insert(k, s)
        ends.insert(k, e)
        spans.append(Span(s, e, label))
    spans.sort(key=lambda sp: sp.start)
    return spans


def _merge(spans: list[Span], text: str) -> list[Span]:
    """Join neighbouring spans of the same name type ("Johan" "Harju" -> "Johan Harju")."""
    out: list[Span] = []
    for sp in spans:
        if out and out[-1].label == sp.label and sp.label in ("PERSON",) and \
                text[out[-1].end:sp.start] in (" ", "-"):
            out[-1] = Span(out[-1].start, sp.end, sp.label)
        else:
            out.append(sp)
    return out


def resolve(structured: list[Candidate], tokens: list[Candidate], text: str) -> list[Span]:
    """The spans of one text: the structured candidates first among themselves (they bar the
    token stage), then everything together; neighbouring parts of one name joined."""
    first = _select(list(structured))
    return _merge(_select([(s.start, s.end, s.label, 0) for s in first] + tokens), text)
