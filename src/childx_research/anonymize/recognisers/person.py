"""Names of people (and one-word places, which share the decision): capitalisation, sentence position,
the gazetteers and chat context ("jag heter emma", "min kille jocke", "mamma och kim").
"""

from __future__ import annotations

from .common import (
    AGGRESSIVE_START, COMPANY_PREPS, DETERMINERS, FINITE_VERBS, FUNCTION_WORDS, GREETINGS, SUBJECT_OPENERS, HETER, NAME_PARTICLES, OWNERS, PLACE_PREPS, PLACE_VERBS,
    PRONOUNS_3, RELATIONS, SPEECH_AFTER, SPEECH_BEFORE, STRONG_PLACE_PREPS, TITLES, _CORE_RELATIONS,
    _NAME_SHAPE, _NEVER_NAMES, _ROMAN, _SLANG, _is_cap, _possessive_base, _typo_of, _typo_of_word,
    is_typo_of_common,
)
from .handle import _handle_word


class PersonRules:
    """Rules of the token stage (mixed into :class:`.names._Pass`)."""

    def is_first(self, base: str) -> bool:
        return base in self.lex.first_gender or base in self.lex.foreign_first

    def known(self, base: str) -> bool:
        lex = self.lex
        return (base in lex.first_gender or base in lex.foreign_first or base in lex.surnames
                or base in lex.proper or lex.is_place(base))

    def name_like_next(self, i: int) -> bool:
        """The next word is a capitalised name-like word right after this one."""
        j = i + 1
        if not self.adjacent(i, j):
            return False
        w = self.words[j]
        if not _is_cap(w):
            return False
        low = self.lows[j]
        return self.known(_possessive_base(low, self.lex)) or not self.lex.is_strong(low)

    def apposition(self, i: int) -> bool:
        """"sanna, min kompis": a relation noun right after the word."""
        j = i + 1
        if j + 1 >= self.n or not self.words[j]:
            return False
        gap = self.text[self.ends[i]:self.starts[j]].strip(" \t")
        if gap not in (",", "(", "-", "–"):
            return False
        a, b = self.lows[j], self.lows[j + 1]
        if a in OWNERS and b in DETERMINERS and j + 2 < self.n and self.lows[j + 2] in RELATIONS:
            return True  # "X, min bästa vän", "X, min nya kille"
        return (a in OWNERS and b in RELATIONS) or a in ("mamma", "pappa", "bror", "syster", "kompis")

    def phrase_before(self, i: int, words: frozenset[str]) -> bool:
        """The one or two words right before word ``i`` are an entry of ``words``."""
        if i < 1 or not self.words[i - 1] or self.text[self.ends[i - 1]:self.starts[i]].strip(" \t"):
            return False
        prev = self.lows[i - 1]
        if prev in words:
            return True
        return i >= 2 and self.adjacent(i - 2, i - 1) and f"{self.lows[i - 2]} {prev}" in words

    def vocative_end(self, i: int) -> bool:
        """Nothing but punctuation, an emoji or the end of the text after word ``i`` ("tack X 💜")."""
        rest = self.text[self.ends[i]:self.ends[i] + 4].lstrip(" \t")
        return rest == "" or not (rest[0].isalnum() or rest[0] in "-'’@_")

    def ordinary_reading(self, i: int) -> bool:
        """An article, a possessive or an adjective right before: the word's ordinary sense
        ("en sten", "den rosen", "ingen saga")."""
        return i >= 1 and self.lows[i - 1] in DETERMINERS and self.adjacent(i - 1, i)

    def name_from_context(self, i: int) -> bool:
        """A known first name that is also a word, shown to be a name by its context: a vocative
        ("tack X", "…, X."), company ("hos X", "med X"), or the subject of a finite verb at the
        start of a clause ("X kollar min mobil", "men X är 15")."""
        if self.ordinary_reading(i):
            return False
        if self.vocative_end(i) and (self.phrase_before(i, GREETINGS) or (
                i >= 1 and self.text[self.ends[i - 1]:self.starts[i]].strip(" \t") == ","
                and self.text[self.ends[i]:self.ends[i] + 1] in (".", "!", "?", "…"))):
            return True
        if self.phrase_before(i, COMPANY_PREPS) and (self.vocative_end(i) or self.low(i + 1) not in FINITE_VERBS):
            return True
        if self.adjacent(i, i + 1) and self.low(i + 1) in FINITE_VERBS and self.low(i + 1) not in DETERMINERS:
            if self.sentence_start(i) or (self.phrase_before(i, SUBJECT_OPENERS) and
                                          self.text[self.ends[i - 1]:self.starts[i]].strip(" \t") == ""):
                return True
        return False

    def line_alone(self, i: int) -> bool:
        """Followed by a comma, the end of the line or the end of the text (a signature)."""
        rest = self.text[self.ends[i]:self.ends[i] + 3].lstrip(" \t")
        return rest == "" or rest[0] in ",\n(+<" or rest[0].isdigit()

    def signature_position(self, i: int) -> bool:
        """First on its line, perhaps after "/", "-" or "–" (how mails are signed)."""
        k = self.starts[i] - 1
        text = self.text
        while k >= 0 and text[k] in " \t/-–—":
            k -= 1
        return k < 0 or text[k] == "\n"

    # rules -------------------------------------------------------------------------------
    def label_for(self, base: str, i: int) -> str:
        lex = self.lex
        prev = self.low(i - 1)
        first = self.is_first(base)
        place = lex.is_place(base)
        if place and (prev in STRONG_PLACE_PREPS or not first):
            return "PLATS"
        if first:
            return "PERSON"
        if prev in PLACE_PREPS and base not in lex.surnames:
            return "PLATS"
        return "PERSON"

    def classify_cap(self, i: int) -> str | None:
        lex = self.lex
        low = self.lows[i]
        base = _possessive_base(low, lex)
        if not self.sentence_start(i):
            strong = lex.is_strong(low) or (base != low and lex.is_strong(base))
            if not strong:
                return self.label_for(base, i)
            if base in lex.first_gender or base in lex.surnames or base in lex.foreign_first:
                return "PERSON"  # "Bo", "Klara", "Vilja", "Björn" inside a sentence
            if self.low(i - 1) in STRONG_PLACE_PREPS and low not in FUNCTION_WORDS and low not in lex.common \
                    and low not in RELATIONS and low not in TITLES:
                return "PLATS"  # "vi bor i Herrgården", "från Backa"
            if lex.is_place(base) and (self.low(i - 1) in STRONG_PLACE_PREPS or (
                    self.low(i - 1) in PLACE_PREPS and base in lex.places)):
                return "PLATS"  # "vid <torget>", "mot <stadsdelen>": a place list knows it
            if low in FUNCTION_WORDS or low in lex.common or low in RELATIONS or low in TITLES:
                return None
            # a capitalised ordinary word inside a sentence: a name when a name list knows it
            # ("Hurtig", "Frost"), when a name follows ("Mo Yan"), or after "säger" -- not
            # when a chat writer just forgot a full stop ("i Rinkeby Förövaren är ...")
            if base in lex.proper or self.name_like_next(i) or self.low(i - 1) in SPEECH_BEFORE or \
                    (i > 0 and self.labels[i - 1] == "PERSON" and self.adjacent(i - 1, i)):
                return self.label_for(base, i)
            nxt = self.low(i + 1)
            if self.adjacent(i, i + 1) and _is_cap(self.words[i + 1]) and nxt not in _NEVER_NAMES and \
                    nxt not in lex.common and not self.sentence_start(i + 1):
                return self.label_for(base, i)  # "med Chuck Hagel", "Ed King"
            return None
        # at the start of a sentence: a gazetteer, or the context, must say it is a name
        if base in lex.countries and low not in FUNCTION_WORDS and low not in lex.common:
            return "PLATS"  # "Japan börjar ...", "Israels premiärminister"
        if self.is_first(base) and self.line_alone(i) and self.signature_position(i):
            return "PERSON"  # a signature: "/Inge (svara hellre på ...)", "- May", "Max, ni når mig på"
        if (low in FUNCTION_WORDS or low in lex.common) and not (
                self.is_first(base) and self.name_like_next(i) and not lex.is_strong(self.low(i + 1))):
            return None
        weak = lex.is_strong(low) or (base != low and lex.is_strong(base)) or \
            (lex.is_ordinary(low) and base in lex.first_gender)
        known = self.known(base)
        nxt = self.low(i + 1)
        if known and not weak:
            return self.label_for(base, i)
        if known:
            if self.is_first(base) and (self.line_alone(i) or self.apposition(i)):
                return "PERSON"
            if (self.is_first(base) or base in lex.proper or base in lex.surnames) and (
                    (self.name_like_next(i) and not lex.is_strong(nxt)) or
                    (nxt in SPEECH_AFTER and self.adjacent(i, i + 1))):
                return "PERSON"
            return None
        if weak or lex.is_compound(low) or len(low) < 3 or _SLANG.match(low) or is_typo_of_common(low, lex) \
                or _typo_of_word(low, lex):
            return None
        if AGGRESSIVE_START:
            return "PERSON"
        if (self.name_like_next(i) and not lex.is_strong(nxt)) or \
                (nxt in SPEECH_AFTER and self.adjacent(i, i + 1)):
            return "PERSON"
        return None

    def classify_lower(self, i: int) -> str | None:
        lex = self.lex
        low = self.lows[i]
        if low in lex.allow:
            return None
        prev, prev2 = self.low(i - 1), self.low(i - 2)
        heter = (prev in HETER or (len(prev) == 5 and _typo_of(prev, {"heter"}))) and \
            prev2 not in ("vad", "det", "den", "appen", "stället", "hur", "sidan", "grejen", "filmen", "spelet",
                          "serien", "boken")
        if i >= 2 and prev in ("kallas", "kallades", "kalla", "namn") and prev2 not in PRONOUNS_3 and \
                self.labels[i - 2] != "PERSON":
            heter = False
        if prev in ("mig", "mej", "honom", "henne", "hen", "oss") and prev2 in ("kallar", "kallade", "kalla"):
            heter = True  # "alla kallar mig soffi"
        if prev in ("är", "ä", "e") and prev2 in ("namn", "namnet", "name", "nman", "nmn"):
            heter = True
        if low in FUNCTION_WORDS and not (heter and low in lex.first_gender):
            return None
        base = _possessive_base(low, lex)
        weak = lex.is_ordinary(low) and not (base != low and not lex.is_ordinary(base))
        sv_first = base in lex.first_gender
        if not weak:
            if sv_first:
                if prev in STRONG_PLACE_PREPS and lex.is_place(base):
                    return "PLATS"
                return "PERSON"
            if lex.is_place(base):
                return "PLATS"
            if base in lex.proper and prev in STRONG_PLACE_PREPS and not lex.is_ordinary(base):
                return "PLATS"
            if low not in lex.lower_cands and _handle_word(low, lex):
                return "ANVANDARNAMN"
        elif (base in lex.places or base in lex.countries) and (
                prev in ("från", "ifrån", "utanför", "nära") or
                (prev in ("i", "till") and (prev2 in PLACE_VERBS or not lex.is_strong(low)))):
            return "PLATS"  # "bor i lund", "flytta till borås" (not "kniven i handen")
        # context: "jag heter X", "min kille X", "mamma och X", "X, min kompis"
        rel = (prev in RELATIONS or (prev2 in OWNERS and 4 <= len(prev) <= 7 and _typo_of(prev, _CORE_RELATIONS))) \
            and (prev2 in OWNERS or prev in ("mamma", "pappa", "morsan", "farsan", "syrran", "brorsan", "bästis"))
        chain = prev in ("och", "&") and i >= 2 and (self.labels[i - 2] == "PERSON" or
                                                     prev2 in ("mamma", "pappa", "morsan", "farsan",
                                                               "syrran", "brorsan", "bästis"))
        if heter or rel:
            if weak and not sv_first and not (heter and base in lex.foreign_first):
                return None
            if not _NAME_SHAPE.match(low):
                return None
            if not sv_first and (is_typo_of_common(low, lex) or (rel and prev2 not in OWNERS)):
                return None
            return "PERSON"
        after_rel = False
        if i >= 1 and self.text[self.ends[i - 1]:self.starts[i]].strip(" \t") == "," and prev in RELATIONS:
            after_rel = True  # "en släkting, jon"
        if i >= 1 and self.labels[i - 1] == "PERSON" and self.text[self.ends[i - 1]:self.starts[i]].strip(" \t") == ",":
            chain = True  # a list of names: "Bo, sten och Klara"
        if sv_first and (chain or after_rel or self.apposition(i)):
            return "PERSON"
        if sv_first and _NAME_SHAPE.match(low) and self.name_from_context(i):
            return "PERSON"
        return None

    def classify_upper(self, i: int) -> str | None:
        """ALL CAPITALS: names only when a name list knows them ("BENGT WADENSJÖ")."""
        lex = self.lex
        low = self.lows[i]
        if low in lex.allow or lex.is_strong(low):
            return None
        base = _possessive_base(low, lex)
        if self.is_first(base):
            return "PERSON"
        if base in lex.countries:
            return "PLATS"  # "USA"
        if lex.is_place(base) and not lex.is_ordinary(base):
            return "PLATS"
        if i > 0 and self.labels[i - 1] == "PERSON" and self.adjacent(i - 1, i):
            return "PERSON"
        return None

    # extensions --------------------------------------------------------------------------
    def extend_person(self, i: int) -> int:
        lex = self.lex
        words, lows = self.words, self.lows
        j = i
        upper = words[i].isupper()
        cap = upper or _is_cap(words[i])
        while self.adjacent(j, j + 1):
            nw, nlow = words[j + 1], lows[j + 1]
            if nlow in lex.allow or nlow in _NEVER_NAMES or (nlow in lex.common and not _is_cap(nw)):
                break
            if cap:
                if nlow in NAME_PARTICLES and self.adjacent(j + 1, j + 2) and _is_cap(words[j + 2]):
                    j += 2
                    continue
                if (len(nw) == 1 and nw.isupper()) or _ROMAN.match(nw):
                    # an initial ("Lars G Brandt") or a regnal number ("Carl XVI Gustaf")
                    if self.adjacent(j + 1, j + 2) and (_is_cap(words[j + 2]) or words[j + 2].isupper()):
                        j += 1
                        continue
                    if _ROMAN.match(nw) and len(nw) > 1:
                        j += 1
                        continue
                    break
                if _is_cap(nw) or (upper and nw.isupper()):
                    nbase = _possessive_base(nlow, lex)
                    if lex.is_strong(nlow) and not self.known(nbase) and \
                            (nlow in RELATIONS or nlow in TITLES or not (_is_cap(words[i]) or words[i].isupper())):
                        break  # "Anna Frost", "Jens Lind" -- but not "Emma Mamma"
                    if lex.is_place(nbase) and not self.is_first(nbase) and nbase not in lex.surnames:
                        break
                    j += 1
                    continue
                break
            nbase = _possessive_base(nlow, lex)
            if (nbase in lex.surnames or (nbase in lex.proper and not lex.is_place(nbase))) and \
                    not lex.is_ordinary(nlow):
                j += 1
                continue
            break
        return j
