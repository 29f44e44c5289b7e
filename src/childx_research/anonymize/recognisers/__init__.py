"""The recognisers of personal data, one kind to a file, and the registry.

The shape follows Presidio's (the field's reference): each recogniser is a small class with a
name, the labels it gives and a priority, and a ``find(view, lexicon)`` that returns
candidates; :data:`STRUCTURED` lists the pattern recognisers in precedence order, and
:data:`TOKEN_STAGE` the recogniser of names, places, organisations and streets that reads the
words the structured ones left. Every recogniser reads one shared :class:`TextView` (the text
tokenised once); overlaps are resolved in one place (:func:`.resolve.resolve`). Every word list
is a data file in ``../wordlists/`` read by :mod:`..words`.

Adding a rule for a new kind of personal data: a file here with a :class:`Recogniser`
subclass, an entry in :data:`STRUCTURED` at its precedence, and a ``tests/test_recognisers_<name>.py``.
"""

from __future__ import annotations

from .address import PostcodeRecogniser
from .base import IDNUMMER, LABELS, Candidate, Recogniser, Span, TextView
from .email import EmailRecogniser
from .handle import HandleRecogniser
from .idnumber import IdNumberRecogniser
from .names import NameRecogniser
from .personnummer import PersonnummerRecogniser
from .phone import PhoneRecogniser
from .resolve import resolve
from .url import UrlRecogniser

#: The pattern recognisers, in precedence order (a lower priority number wins an overlap).
STRUCTURED: tuple[Recogniser, ...] = (
    EmailRecogniser(), UrlRecogniser(), PersonnummerRecogniser(), PhoneRecogniser(), IdNumberRecogniser(),
    PostcodeRecogniser(), HandleRecogniser(),
)
#: The token stage (after the structured spans are fixed; their words are barriers).
TOKEN_STAGE: tuple[NameRecogniser, ...] = (NameRecogniser(),)
REGISTRY: tuple[Recogniser, ...] = STRUCTURED + TOKEN_STAGE

__all__ = ["REGISTRY", "STRUCTURED", "TOKEN_STAGE", "Recogniser", "TextView", "Candidate", "Span", "LABELS",
           "IDNUMMER", "resolve"]
