"""Personnummer and samordningsnummer, (YY)YYMMDD-NNNN, Luhn-checked; a personnummer-shaped number
with a wrong check digit is IDNUMMER.
"""

from __future__ import annotations


from ..lexicon import Lexicon
from .base import IDNUMMER, Candidate, Recogniser, TextView
from .phone import _phone_digits, _phone_ok

import re


# personnummer / samordningsnummer: (YY)YYMMDD[-+ ]NNNN
PNR_RE = re.compile(r"(?<![\d\w+\-])((?:19|20)?\d{2})(\d{2})(\d{2})[ \t]?([-+])?[ \t]?(\d{4})(?![\d\w])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _valid_date(mm: str, dd: str) -> bool:
    m, d = int(mm), int(dd)
    return 1 <= m <= 12 and (1 <= d <= 31 or 61 <= d <= 91)


class PersonnummerRecogniser(Recogniser):
    name, labels, priority = "personnummer", ("PERSONNUMMER", IDNUMMER), 2

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:
        if not view.has_digits:
            return []
        text = view.text
        out: list[Candidate] = []
        for m in PNR_RE.finditer(text):
            yy, mm, dd, sign, serial = m.groups()
            if not _valid_date(mm, dd):
                continue
            ten = yy[-2:] + mm + dd + serial
            raw = m.group(0)
            if not sign and len(yy) == 2 and raw[0] == "0" and " " not in raw:
                nat = _phone_digits(raw)
                if nat and _phone_ok(nat) and nat[1] == "7":
                    continue  # 07xxxxxxxx: a mobile number, left to the phone recogniser
            out.append((m.start(), m.end(), "PERSONNUMMER" if _luhn_ok(ten) else IDNUMMER, self.priority))
        return out
