"""Other long ID-like numbers (nine digits or more): IDNUMMER.
"""

from __future__ import annotations


from ..lexicon import Lexicon
from .base import IDNUMMER, Candidate, Recogniser, TextView

import re


LONG_NUMBER_RE = re.compile(r"(?<![\d\w+\-.,])\d{9,}(?![\d\w])")


class IdNumberRecogniser(Recogniser):
    name, labels, priority = "idnumber", (IDNUMMER,), 4

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:
        if not view.has_digits:
            return []
        return [(m.start(), m.end(), IDNUMMER, self.priority) for m in LONG_NUMBER_RE.finditer(view.text)]
