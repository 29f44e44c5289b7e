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


def detect(text: str, *, lexicon: Lexicon | None = None) -> list[Span]:
    """Personal data in one text, as non-overlapping spans in order."""
    return _detect_text(text, lexicon or load_lexicon())


def detect_messages(texts: Sequence[str], *, lexicon: Lexicon | None = None) -> list[list[Span]]:
    """Personal data in the messages of one conversation, per message.

    The messages are read together, so that a name found with certainty in one message is
    also found where it appears in another in a position that alone would not have been
    enough (at the start of a sentence, or in lower case).
    """
    lex = lexicon or load_lexicon()
    if not texts:
        return []
    joined = SEPARATOR.join(texts)
    spans = _detect_text(joined, lex)
    out: list[list[Span]] = [[] for _ in texts]
    offsets = []
    pos = 0
    for t in texts:
        offsets.append(pos)
        pos += len(t) + len(SEPARATOR)
    for sp in spans:
        k = bisect.bisect_right(offsets, sp.start) - 1
        base = offsets[k]
        end = min(sp.end, base + len(texts[k]))
        if end > sp.start:
            out[k].append(Span(sp.start - base, end - base, sp.label))
    return out
