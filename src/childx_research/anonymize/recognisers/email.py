"""E-mail addresses, also written with "(at)", "[at]" or "(snabel-a)".
"""

from __future__ import annotations


from ..lexicon import Lexicon
from .base import Candidate, Recogniser, TextView

import re

from .common import _W


EMAIL_RE = re.compile(
    rf"(?<![{_W}.+\-_])[{_W}_][{_W}_.+\-]*"
    rf"(?:@|[ \t]?\((?:at|snabel-a)\)[ \t]?|[ \t]?\[at\][ \t]?)"
    rf"[{_W}\-]+(?:\.[{_W}\-]+)*\.[A-Za-z]{{2,}}(?![{_W}])", re.I)


class EmailRecogniser(Recogniser):
    name, labels, priority = "email", ("EPOST",), 0

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:
        if not view.has_at:
            return []
        return [(m.start(), m.end(), "EPOST", self.priority) for m in EMAIL_RE.finditer(view.text)]
