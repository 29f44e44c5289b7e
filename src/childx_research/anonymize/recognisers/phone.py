"""Phone numbers in every common Swedish format, and international numbers. Helplines
(``wordlists/service_numbers.txt``) are kept.
"""

from __future__ import annotations


from ..lexicon import Lexicon
from .base import Candidate, Recogniser, TextView

import re

from ..words import word_set


PHONE_RE = re.compile(
    r"(?<![\w+/.,])(?:\+[ \t]?46|0046|\(\+46\)|\+[ \t]?\(46\)|0)"
    r"(?:[ \t]?\(0\))?(?:[ \t\-./]{0,3}\(?\d\)?){6,13}(?![\w])")


INTL_PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)(?!46)[1-9]\d{0,2}(?:[ \t\-]{0,2}\d){6,13}(?![\w])")


_TIME_OR_DATE = re.compile(r"^\d{1,2}[.:]\d{2}(?!\d)|^\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}$|^\d{4}-\d{2}-\d{2}")


SERVICE_NUMBERS = word_set("service_numbers")


def _phone_digits(raw: str) -> str | None:
    """National digits ("07...") of a candidate, or None when it is not a phone number."""
    s = raw.strip()
    intl = False
    m = re.match(r"^(?:\+[ \t]?\(?46\)?|0046|\(\+46\))", s)
    if m:
        intl = True
        s = s[m.end():]
        s = re.sub(r"^[ \t\-]*\(0\)", "", s)
    digits = re.sub(r"\D", "", s)
    if intl:
        digits = digits.lstrip("0")
        digits = "0" + digits
    if not digits.startswith("0") or digits.startswith("00") or len(digits) < 8:
        return None
    return digits


def _phone_ok(national: str) -> bool:
    if national[1] == "7":
        return len(national) == 10
    return 8 <= len(national) <= 10


def _trim_phone(raw: str) -> str | None:
    """Longest prefix of ``raw`` (cut at separators) that is a valid phone number."""
    if _TIME_OR_DATE.match(raw.strip()):
        return None
    # candidate cut points: ends of digit groups
    ends = [m.end() for m in re.finditer(r"\d\)?", raw)]
    for end in reversed(ends):
        cand = raw[:end]
        nat = _phone_digits(cand)
        if nat is None:
            continue
        if _phone_ok(nat):
            if nat in SERVICE_NUMBERS or nat.startswith("020"):
                return None
            return cand
    return None


class PhoneRecogniser(Recogniser):
    name, labels, priority = "phone", ("TELEFON",), 3

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:
        if not view.has_digits:
            return []
        text = view.text
        out: list[Candidate] = []
        for m in PHONE_RE.finditer(text):
            cut = _trim_phone(m.group(0))
            if cut:
                out.append((m.start(), m.start() + len(cut.rstrip(" \t-./(")), "TELEFON", self.priority))
        for m in INTL_PHONE_RE.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if 8 <= len(digits) <= 15:
                out.append((m.start(), m.end(), "TELEFON", self.priority))
        return out
