"""Addresses: postcodes (with the town after them, PLATS) in the structured stage; street names with
or without a house number (rules of the token stage, :class:`AddressRules`).
"""

from __future__ import annotations


from ..lexicon import Lexicon
from .base import Candidate, Recogniser, TextView
from .common import FUNCTION_WORDS
from .phone import SERVICE_NUMBERS

import re

from ..words import word_list, word_set
from .common import _L, _is_cap


POSTCODE_RE = re.compile(r"(?<![\w\-])(?:SE-?[ \t]?)?\d{3}[ \t]?\d{2}(?![\w])")


_POSTCODE_AFTER = re.compile(r"[ \t]+[A-ZÅÄÖ][a-zåäöéü]")


_POSTCODE_TOWN = re.compile(rf"[ \t]+([{_L}][{_L}\-]+(?:[ \t]+[A-ZÅÄÖ][{_L}\-]+)?)")


_POSTCODE_BEFORE = re.compile(rf"(?:\d[ \t]?[A-Za-z]?|lgh[ \t]?\d{{3,4}}|[{_L}]),?[ \t]*$")


STREET_SUFFIXES = word_list("street_suffixes")


_STREET_SUFFIX_RE = re.compile("(?:" + "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True)) + ")$")


_STREET_WORDS = word_set("street_words")


_HOUSE_NUMBER = re.compile(r"[ \t]+\d{1,4}(?:[A-Za-z](?![\w])|[ \t][A-Z](?![\w]))?"
                           r"(?:[ \t]*,?[ \t]*(?:lgh|lägenhet|lägh)\.?[ \t]*\d{3,4})?(?![\d])")


class AddressRules:
    """Rules of the token stage (mixed into :class:`.names._Pass`)."""

    def street(self, i: int) -> int | None:
        lex, text, low, w = self.lex, self.text, self.lows[i], self.words[i]
        m = _STREET_SUFFIX_RE.search(low)
        if m is None or m.start() < 2:
            return None
        num = _HOUSE_NUMBER.match(text, self.ends[i])
        if num:
            return num.end()
        if lex.is_strong(low) or low in lex.words:
            return None  # "motorvägen", "järnvägen", "hemvägen"
        if _is_cap(w):
            return self.ends[i]
        if low.endswith(("gatan", "gränd", "gränden", "gata")):
            return self.ends[i]
        if self.low(i - 1) == "på" and self.low(i - 2) in ("bor", "bodde", "adress", "flyttat", "flyttade"):
            return self.ends[i]
        return None

    def street_two_words(self, i: int) -> int | None:
        """"Drottning Kristinas väg 12": capitalised word + street word + number."""
        if self.adjacent(i, i + 1) and self.lows[i + 1] in _STREET_WORDS and not self.lex.is_strong(self.lows[i]):
            num = _HOUSE_NUMBER.match(self.text, self.ends[i + 1])
            if num:
                return num.end()
        return None


class PostcodeRecogniser(Recogniser):
    """A postcode next to a street or a town ("602 23 Norrköping", "Storgatan 1, 123 45")."""

    name, labels, priority = "postcode", ("ADRESS", "PLATS"), 5

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:
        if not view.has_digits:
            return []
        text = view.text
        out: list[Candidate] = []
        for m in POSTCODE_RE.finditer(text):
            s, e = m.start(), m.end()
            after = _POSTCODE_AFTER.match(text, e)
            before = _POSTCODE_BEFORE.search(text, max(0, s - 24), s)
            if after or (before and s > 0 and "," in text[max(0, s - 3):s]):
                digits = re.sub(r"\D", "", m.group(0))
                if digits in SERVICE_NUMBERS:
                    continue
                out.append((s, e, "ADRESS", self.priority))
                town = _POSTCODE_TOWN.match(text, e)
                if town and town.group(1).lower() not in FUNCTION_WORDS:
                    out.append((town.start(1), town.end(1), "PLATS", self.priority))  # "602 23 Norrköping"
        return out
