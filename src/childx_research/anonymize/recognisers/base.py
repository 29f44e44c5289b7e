"""What every recogniser shares: the span type, the labels, the :class:`Recogniser` shape and the
tokenised view of one text (computed once, read by all).
"""

from __future__ import annotations


from ..lexicon import Lexicon
from .common import DIGITS5_RE, _tokenise

from dataclasses import dataclass


IDNUMMER = "IDNUMMER"


LABELS = ("PERSON", "PLATS", "ORGANISATION", "TELEFON", "EPOST", "PERSONNUMMER", "ADRESS",
          "ANVANDARNAMN", "URL", IDNUMMER)


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of personal data: ``text[start:end]`` has type ``label``."""

    start: int
    end: int
    label: str


#: A candidate: (start, end, label, priority); a lower priority number wins an overlap.
Candidate = tuple[int, int, str, int]


class TextView:
    """One text and its words, tokenised once and read by every recogniser."""

    __slots__ = ("text", "starts", "ends", "words", "lows", "_at", "_digits")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts, self.ends, self.words, self.lows = _tokenise(text)
        self._at: bool | None = None
        self._digits: bool | None = None

    @property
    def tokens(self) -> tuple[list[int], list[int], list[str], list[str]]:
        return self.starts, self.ends, self.words, self.lows

    @property
    def has_at(self) -> bool:
        """An "@" or a spelt-out at sign: e-mail and @handles are looked for."""
        if self._at is None:
            t = self.text
            self._at = "@" in t or "(at)" in t or "[at]" in t or "(snabel-a)" in t
        return self._at

    @property
    def has_digits(self) -> bool:
        """Five digits close together: numbers are looked for."""
        if self._digits is None:
            self._digits = DIGITS5_RE.search(self.text) is not None
        return self._digits


class Recogniser:
    """One kind of personal data. A subclass sets :attr:`name`, :attr:`labels` and
    :attr:`priority` and implements :meth:`find`; it is listed in
    :data:`childx_research.anonymize.recognisers.REGISTRY`."""

    name: str = ""
    labels: tuple[str, ...] = ()
    priority: int = 0

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:  # pragma: no cover - abstract
        raise NotImplementedError
