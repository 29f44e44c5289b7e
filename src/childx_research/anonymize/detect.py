"""Finding personal data in Swedish chat and mail text.

The recognisers live one to a file in :mod:`.recognisers` (registry, shared text view,
overlap resolution); this module runs them over a text or a conversation.

Two stages, both deterministic:

1. Structured recognisers (compiled regular expressions, validated in Python): e-mail,
   URL, personnummer/samordningsnummer (Luhn-checked), other ID-like numbers, phone
   numbers in every common Swedish format, postcodes, handles (``@x``, handle-shaped
   tokens such as ``kevv.19`` and ``hemligbeundrare_08``, and words after "hans snap är",
   "heter X på insta" ...).
2. Token rules for names, places and organisations: gazetteers (see :mod:`.lexicon`),
   capitalisation and sentence position (Swedish capitalises only proper nouns, so a
   capitalised word inside a sentence that is not an ordinary word is a name), and chat
   context for lower-case names ("jag heter emma", "min kille jocke", "mamma och kim").
   Words that are both names and ordinary words ("Bo", "Klara", "Vilja", "Per") are
   masked only when capitalisation or context shows a name.

Labels are the nine of ``records.PII_LABELS`` plus ``IDNUMMER``: a number shaped like a
personnummer whose check digit is wrong (masked, but not claimed to be a personnummer).
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

from .lexicon import Lexicon, load_lexicon
from .recognisers import IDNUMMER, LABELS, STRUCTURED, TOKEN_STAGE, Span, TextView, resolve
from .recognisers.personnummer import _luhn_ok  # noqa: F401  (used by surrogate and the tests)

__all__ = ["IDNUMMER", "LABELS", "Span", "detect", "detect_messages"]


def _detect_text(text: str, lex: Lexicon) -> list[Span]:
    view = TextView(text)
    structured = [c for r in STRUCTURED for c in r.find(view, lex)]
    covered = [(s.start, s.end) for s in resolve(structured, [], text)]
    tokens = [c for r in TOKEN_STAGE for c in r.find(view, lex, covered)]
    return resolve(structured, tokens, text)


SEPARATOR = "\n\n"
#: Between two messages of the same person where the first ends in a number and the next
#: begins with one ("070 174" then "06 53"): the number is read as one.
JOINER = " "
_TAIL_NUMBER = re.compile(r"(?:^|[^\w])(?:\+[ \t]?46|0)[\d \t\-]*\d[ \t]*$")
_HEAD_NUMBER = re.compile(r"^[ \t]*\d[\d \t\-]*(?:$|[^\w])")


def _continues_number(prev: str, nxt: str) -> bool:
    """``nxt`` continues a number that ``prev`` ends with (a phone split over two messages)."""
    return _TAIL_NUMBER.search(prev) is not None and _HEAD_NUMBER.match(nxt) is not None


def detect(text: str, *, lexicon: Lexicon | None = None) -> list[Span]:
    """Personal data in one text, as non-overlapping spans in order."""
    return _detect_text(text, lexicon or load_lexicon())


def detect_messages(texts: Sequence[str], *, lexicon: Lexicon | None = None,
                    roles: Sequence[str] | None = None) -> list[list[Span]]:
    """Personal data in the messages of one conversation, per message.

    The conversation is one document: the messages are read together, so that a name found
    with certainty in one message is also found where it appears in another in a position
    that alone would not have been enough (at the start of a sentence, or in lower case).
    With ``roles``, a number that one person continues in their next message is read as
    one number, and its two parts are found in both messages.
    """
    lex = lexicon or load_lexicon()
    if not texts:
        return []
    parts: list[str] = []
    offsets = []
    pos = 0
    for k, t in enumerate(texts):
        if k:
            sep = SEPARATOR
            if roles is not None and roles[k] == roles[k - 1] and _continues_number(texts[k - 1], t):
                sep = JOINER
            parts.append(sep)
            pos += len(sep)
        offsets.append(pos)
        parts.append(t)
        pos += len(t)
    joined = "".join(parts)
    spans = _detect_text(joined, lex)
    out: list[list[Span]] = [[] for _ in texts]
    for sp in spans:
        k = bisect.bisect_right(offsets, sp.start) - 1
        while k < len(texts) and offsets[k] < sp.end:
            base = offsets[k]
            start = max(sp.start, base)
            end = min(sp.end, base + len(texts[k]))
            if end > start:
                piece = texts[k][start - base:end - base]
                lead = len(piece) - len(piece.lstrip())
                trail = len(piece) - len(piece.rstrip())
                if end - trail > start + lead:
                    out[k].append(Span(start - base + lead, end - base - trail, sp.label))
            k += 1
    return out
