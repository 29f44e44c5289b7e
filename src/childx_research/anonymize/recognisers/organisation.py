"""Organisations: schools ("Ekskolan", "Norra gymnasiet"), clubs ("IFK X", "X IF"), named shops and
businesses ("ICA Kvantum X", "Pizzeria X", "X Bygg AB"): rules of the token stage.
"""

from __future__ import annotations

import re

from ..words import word_list, word_set
from .common import DIRECTIONS, FUNCTION_WORDS, WORK_BETWEEN, WORK_VERBS, _is_cap, _possessive_base, _typo_of, is_typo_of_common


SCHOOL_SUFFIXES = word_list("school_suffixes")


_SCHOOL_SUFFIX_RE = re.compile("(?:" + "|".join(sorted(SCHOOL_SUFFIXES, key=len, reverse=True)) + ")$")


GENERIC_SCHOOLS = word_set("generic_schools")


CLUB_PREFIX = word_set("club_prefix")


CLUB_SUFFIX = word_set("club_suffix")


CHAINS = word_set("chains")


_NOT_SCHOOL_NAMES = word_set("not_school_names")


_TRADES = word_set("trades")


BUSINESS_HEADS = word_set("business_heads")


CLUB_WORDS = word_set("club_words")


CLUB_ENDINGS = word_list("club_endings")


STORE_WORDS = word_set("store_words")


_NEXT_WORDS = CLUB_SUFFIX | CLUB_WORDS | _TRADES | word_set("next_words_extra")


_SCHOOL_HEADS = word_set("school_heads")


class OrganisationRules:
    """Rules of the token stage (mixed into :class:`.names._Pass`)."""

    def workplace(self, i: int) -> int | None:
        """A workplace or school by its short name after "jobbar på", "går (tvåan) på",
        "praktik på" ("jobbar på <kedja>", "går på <skola>"): the last word of the name, or None.
        An ordinary word there ("går på bio", "jobbar på lager") is kept."""
        if i < 2 or self.lows[i - 1] != "på" or not self.adjacent(i - 1, i):
            return None
        k = i - 2
        while k >= 0 and k >= i - 4 and self.lows[k] in WORK_BETWEEN:
            k -= 1
        if k < 0 or self.lows[k] not in WORK_VERBS:
            return None
        low, lex, w = self.lows[i], self.lex, self.words[i]
        if low in FUNCTION_WORDS or len(low) < 2:
            return None
        if self.club_or_shop(i) is not None or self.school_words(i) is not None or \
                (low.endswith(SCHOOL_SUFFIXES) and self.school(i) is not None):
            return None  # the longer name rules read it ("ICA Kvantum Torsby", "X gymnasium")
        chain = low in CHAINS
        if not chain and (lex.is_ordinary(low) or low in lex.allow or lex.is_place(low)):
            return None
        j = i
        while self.adjacent(j, j + 1) and _is_cap(self.words[j + 1]) and _is_cap(w) and \
                not lex.is_ordinary(self.lows[j + 1]) and not lex.is_place(self.lows[j + 1]):
            j += 1
        return j

    def school(self, i: int) -> int | None:
        lex, low = self.lex, self.lows[i]
        m = _SCHOOL_SUFFIX_RE.search(low)
        if m is None or m.start() < 2 or low in GENERIC_SCHOOLS or low in lex.clean:
            return None
        if not _is_cap(self.words[i]) and _typo_of(low, GENERIC_SCHOOLS):
            return None  # "höfskolan"
        if not _is_cap(self.words[i]) and lex._affix_word_flagged(low):
            return None
        j = i
        if self.adjacent(j, j + 1) and self.lows[j + 1] in _SCHOOL_HEADS:
            return j + 1  # "Söderskolans gymnasium"
        if self.adjacent(j, j + 1) and _is_cap(self.words[j + 1]) and not lex.is_strong(self.lows[j + 1]) \
                and not self.sentence_start(j + 1):
            j += 1  # "Kunskapsgymnasiet Globen"
        return j

    def school_words(self, i: int) -> int | None:
        """"Norra gymnasiet", "Viktor Rydbergs gymnasium", "Thoren Business School"."""
        k = i
        while self.adjacent(k, k + 1) and k - i < 3:
            nlow = self.lows[k + 1]
            if nlow in _SCHOOL_HEADS:
                return k + 1
            if _is_cap(self.words[k + 1]):
                k += 1
                continue
            break
        return None

    def nameish(self, i: int) -> bool:
        """A word that can name a club, school or shop: a place, a capitalised non-word,
        or a lower-case word no dictionary knows ("uddevallas", "kvarn", "Malm")."""
        w, low = self.words[i], self.lows[i]
        if not w or low in FUNCTION_WORDS or low in self.lex.allow:
            return False
        if not _is_cap(w) and is_typo_of_common(re.sub(r"(.)\1+$", r"\1", low), self.lex):
            return False  # "åp gymnasiet", "mittt gymnasium", "coh kör"
        base = _possessive_base(low, self.lex)
        if self.lex.is_place(base) or self.lex.is_place(low[:-1] if low.endswith("s") else low):
            return True
        if _is_cap(w):
            return not self.lex.is_strong(low) or not self.sentence_start(i)
        return not self.lex.is_ordinary(low)

    def club_or_shop(self, i: int) -> int | None:
        lex, w, low = self.lex, self.words[i], self.lows[i]
        n = self.n
        if low in CLUB_PREFIX and (w.isupper() or low in ("ifk", "aik", "gais", "bois", "ik", "bk", "fk", "gif",
                                                          "ibk", "hk", "fc", "ifk")) and \
                self.adjacent(i, i + 1):
            nlow = self.lows[i + 1]
            if (_is_cap(self.words[i + 1]) or lex.is_place(nlow) or low != "if" and nlow not in FUNCTION_WORDS) \
                    and nlow not in lex.allow:
                j = i + 1
                while self.adjacent(j, j + 1) and _is_cap(self.words[j + 1]):
                    j += 1
                return j
        if low in CHAINS and self.adjacent(i, i + 1):
            j = i
            while self.adjacent(j, j + 1) and j - i < 3:
                nw, nlow = self.words[j + 1], self.lows[j + 1]
                if nlow in STORE_WORDS:
                    j += 1
                    if self.adjacent(j, j + 1) and self.lows[j + 1] not in FUNCTION_WORDS:
                        j += 1  # "ICA Nära For", "ica kvantum borås"
                        break
                    continue
                if nlow in ("i", "på", "vid") and self.adjacent(j + 1, j + 2) and self.nameish(j + 2) and \
                        low in ("max", "mcdonalds", "mcdonald's", "ica", "coop", "willys", "hemköp", "lidl",
                                "pressbyrån", "burger", "subway", "espresso"):
                    j += 2  # "Max i Örnsköldsvik"
                    break
                if (_is_cap(nw) and not lex.is_strong(nlow)) or lex.is_place(nlow) or \
                        (not lex.is_ordinary(nlow) and nlow not in FUNCTION_WORDS):
                    j += 1
                    continue
                break
            if j > i:
                return j
        if low in BUSINESS_HEADS and self.adjacent(i, i + 1) and self.lows[i + 1] not in FUNCTION_WORDS and \
                self.lows[i + 1] not in lex.common and not self.words[i + 1].isdigit() and \
                (low in ("pizzeria", "restaurang", "café", "kafé", "cafe", "frisörsalong", "konditori", "gatukök")
                 or self.nameish(i + 1)):
            return i + 1  # "Pizzeria Rosendal", "café Sol", "pizzeria norr", "pizzeria park"
        nl = self.lows[i + 1] if i + 1 < n else ""
        if nl and (nl in CLUB_SUFFIX or nl in CLUB_WORDS or nl in _SCHOOL_HEADS or nl in _TRADES or
                   nl.endswith(CLUB_ENDINGS)) and self.adjacent(i, i + 1) and (
                self.nameish(i) or (nl in ("ab", "hb") and low not in FUNCTION_WORDS and not lex.is_strong(low))):
            nw, nlow = self.words[i + 1], self.lows[i + 1]
            if (nlow in CLUB_SUFFIX and (nw.isupper() or nw in ("GoIF", "BoIS") or nlow not in ("if", "ss", "ab", "hb")
                                         or lex.is_place(_possessive_base(low, lex))
                                         or lex.is_place(low[:-1]))) or \
                    nlow in CLUB_WORDS or nlow.endswith(CLUB_ENDINGS):
                if nlow in ("ab", "hb") and not _is_cap(w) and lex.is_strong(low) and low not in lex.surnames:
                    return None
                return i + 1  # "Hammarby IF", "uddevallas if", "örebro basket", "motalas simsällskap"
            if nlow in _SCHOOL_HEADS and (lex.is_place(_possessive_base(low, lex)) or lex.is_place(low[:-1])
                                          or _is_cap(w) or not lex.is_ordinary(low)):
                return i + 1  # "sundsvalls gymnasium", "Malm gymnasium"
            if nlow in _TRADES and self.adjacent(i + 1, i + 2) and \
                    self.lows[i + 2] in ("ab", "hb") and low not in FUNCTION_WORDS:
                return i + 2  # "björk bygg ab"
        if self.adjacent(i, i + 1) and self.lows[i + 1] == "gymnasium" and low not in FUNCTION_WORDS and \
                low not in _NOT_SCHOOL_NAMES and re.sub(r"(.)\1+$", r"\1", low) not in _NOT_SCHOOL_NAMES \
                and not is_typo_of_common(low, self.lex) and not is_typo_of_common(re.sub(r"(.)\1+$", r"\1", low),
                                                                                  self.lex):
            return i + 1  # "tall gymnasium", "torps gymnasium" (but "ett bra gymnasium" is not)
        if low in DIRECTIONS and self.adjacent(i, i + 1) and self.lows[i + 1] in ("gymnasiet", "real", "latin",
                                                                                   "skolan"):
            return i + 1  # "norra gymnasiet", "Norra Real"
        return None
