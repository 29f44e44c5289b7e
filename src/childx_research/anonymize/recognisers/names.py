"""The token stage: one left-to-right pass over the words that the structured recognisers left, with
the rules of :mod:`.address`, :mod:`.organisation`, :mod:`.place` and :mod:`.person` (their decisions
interact, so they share one pass; the order of the rules in :meth:`_Pass.run` is their precedence).
"""

from __future__ import annotations

from ..lexicon import Lexicon
from .base import Candidate, Recogniser, TextView
from .common import (
    DETERMINERS, DIRECTIONS, FACILITY_SUFFIXES, FUNCTION_WORDS, LOWER_TRIGGERS, MAX_WORD, NAME_PARTICLES, PLACE_PREPS, _PARTICLE_CAP,
    _is_cap, _possessive_base, _sentence_start, _tokenise,
)
from .address import AddressRules, STREET_SUFFIXES
from .handle import HANDLE_AFFIXES, _maybe_dressed_name
from .organisation import (
    BUSINESS_HEADS, CHAINS, CLUB_ENDINGS, CLUB_PREFIX, OrganisationRules, SCHOOL_SUFFIXES, _NEXT_WORDS,
)
from .place import PlaceRules
from .person import PersonRules


_SPECIAL_SUFFIXES = tuple(sorted(set(STREET_SUFFIXES) | set(SCHOOL_SUFFIXES), key=len, reverse=True))


_SPECIAL_TAILS = {x[-3:] for x in STREET_SUFFIXES + SCHOOL_SUFFIXES}


def _next_trigger(low: str, cache: dict[str, bool]) -> bool:
    """The word after is one that makes the word before part of a name ("X gymnasium")."""
    got = cache.get(low)
    if got is None:
        got = low in _NEXT_WORDS or low.endswith(CLUB_ENDINGS)
        if len(cache) < 300_000:
            cache[low] = got
    return got


def _skippable(low: str, lex: Lexicon) -> bool:
    """A lower-case word that no rule looks at, whatever its neighbours."""
    if len(low) > MAX_WORD:
        return True
    if low[-3:] in _SPECIAL_TAILS and low.endswith(_SPECIAL_SUFFIXES):
        return False
    if low.endswith(FACILITY_SUFFIXES):
        return False
    cands = lex.lower_cands
    if low in cands or low in _LOWER_SPECIAL or ":" in low or (low[-1] == "s" and low[:-1] in cands):
        return False
    if len(low) > 4 and (low[-1] == low[-2] == low[-3] or low.startswith(HANDLE_AFFIXES)
                         or low.endswith(HANDLE_AFFIXES)):
        return False
    if len(low) >= 7 and _maybe_dressed_name(low, lex):
        return False
    if len(low) >= 5 and low[0] == "x" and low[1:] in lex.first_folded:
        return False
    return True


_LOWER_SPECIAL = CHAINS | CLUB_PREFIX | BUSINESS_HEADS | DIRECTIONS


class _Pass(PersonRules, PlaceRules, AddressRules, OrganisationRules):
    """The token stage for one text."""

    def __init__(self, text: str, covered: list[tuple[int, int]], lex: Lexicon,
                 tokens: tuple[list[int], list[int], list[str], list[str]] | None = None) -> None:
        self.text = text
        self.lex = lex
        starts, ends, words, lows = tokens if tokens is not None else _tokenise(text)
        words = list(words)
        lows = list(lows)
        cov = list(covered)
        if lex.allow_phrases is not None:
            cov += [m.span() for m in lex.allow_phrases.finditer(text)]
        if cov:
            import bisect

            for cs, ce in cov:
                k = bisect.bisect_right(ends, cs)  # first token ending after cs
                while k < len(starts) and starts[k] < ce:
                    words[k] = ""  # a barrier: part of a structured span or a service name
                    lows[k] = ""
                    k += 1
        self.starts, self.ends, self.words, self.lows = starts, ends, words, lows
        self.n = len(words)
        self.labels: list[str | None] = [None] * self.n

    # helpers ---------------------------------------------------------------------------
    def low(self, i: int) -> str:
        return self.lows[i] if 0 <= i < self.n else ""

    def adjacent(self, i: int, j: int) -> bool:
        if j >= self.n or i < 0 or not self.words[j] or not self.words[i]:
            return False
        a, b = self.ends[i], self.starts[j]
        return b - a <= 2 and self.text[a:b].strip(" \t") == ""

    def sentence_start(self, i: int) -> bool:
        return _sentence_start(self.text, self.starts[i])

    # the pass ----------------------------------------------------------------------------------
    def run(self, known: dict[str, str] | None = None) -> list[tuple[int, int, str, int]]:
        lex = self.lex
        words, lows, starts, labels = self.words, self.lows, self.starts, self.labels
        out: list[tuple[int, int, str, int]] = []
        skip_cache = lex.skip_cache
        next_cache = lex.next_cache
        n = self.n
        i = 0
        while i < n:
            w = words[i]
            if not w or len(w) > MAX_WORD or len(w) < 2 or (starts[i] > 0 and self.text[starts[i] - 1].isdigit()):
                i += 1
                continue
            low = lows[i]
            c0 = w[0]
            if c0.islower() and not (c0 in "adbiomclvs" and ("-" in w or "'" in w or "’" in w)
                                     and _PARTICLE_CAP.match(w)):
                lower = True
                # fast path: most words are lower-case ordinary words that no rule looks at
                skip = skip_cache.get(low)
                if skip is None:
                    skip = _skippable(low, lex)
                    if len(skip_cache) < 300_000:
                        skip_cache[low] = skip
                if skip and (i == 0 or lows[i - 1] not in LOWER_TRIGGERS):
                    if i + 1 >= n:
                        i += 1
                        continue
                    nt = next_cache.get(lows[i + 1])
                    if nt is None:
                        nt = _next_trigger(lows[i + 1], next_cache)
                    if not nt:
                        i += 1
                        continue
            else:
                lower = False
            sp = low.endswith(_SPECIAL_SUFFIXES)
            j = self.workplace(i) if i >= 2 and lows[i - 1] == "på" else None
            if j is not None:
                self._mark(out, i, j, "ORGANISATION")  # "jobbar på <kedja>", "går på <skola>"
                i = j + 1
                continue
            if low.endswith(FACILITY_SUFFIXES) and self.place_compound(i):
                self._mark(out, i, i, "PLATS")  # "<ort>badet"
                i += 1
                continue
            if low in lex.allow or (":" in low and low.split(":", 1)[0] in lex.allow) or \
                    (low.endswith("s") and low[:-1] in lex.allow and low[:-1] in ("bris", "ecpat", "umo", "rfsl")):
                j = self.club_or_shop(i) if low in CHAINS else None
                if j is not None:
                    self._mark(out, i, j, "ORGANISATION")  # "ICA Kvantum Torsby" (but not "ICA")
                    i = j + 1
                else:
                    i += 1
                continue
            # streets and organisations: they contain names and places
            if sp:
                e = self.street(i)
                if e is not None:
                    j = i
                    while j < n and starts[j] < e:
                        labels[j] = "ADRESS"
                        j += 1
                    out.append((starts[i], e, "ADRESS", 10))
                    i = j
                    continue
                j = self.school(i)
                if j is not None:
                    self._mark(out, i, j, "ORGANISATION")
                    i = j + 1
                    continue
            if not lower or low in DIRECTIONS:
                e = self.street_two_words(i) if not lower else None
                if e is not None:
                    # "Drottning Kristinas väg 12": capitalised words before belong to the name
                    while i > 0 and labels[i - 1] is None and _is_cap(words[i - 1]) and self.adjacent(i - 1, i) \
                            and lows[i - 1] not in FUNCTION_WORDS and lows[i - 1] not in lex.common:
                        i -= 1
                    j = i
                    while j < n and starts[j] < e:
                        labels[j] = "ADRESS"
                        j += 1
                    out.append((starts[i], e, "ADRESS", 10))
                    i = j
                    continue
                if low in DIRECTIONS or not lex.is_strong(low):
                    j = self.school_words(i)
                    if j is not None:
                        self._mark(out, i, j, "ORGANISATION")
                        i = j + 1
                        continue
            j = self.club_or_shop(i)
            if j is not None:
                self._mark(out, i, j, "ORGANISATION")
                i = j + 1
                continue
            j = self.multiword(i, lex.multiword_places)
            if j is not None and (not lower or not lex.is_ordinary(low) or self.low(i - 1) in PLACE_PREPS):
                j = self.extend_place(j)
                self._mark(out, i, j, "PLATS")
                i = j + 1
                continue
            if w.isupper() and len(w) > 1:
                label = self.classify_upper(i)
            elif lower:
                label = self.classify_lower(i)
            else:
                label = self.classify_cap(i)
            if label is None and known:
                base = _possessive_base(low, lex)
                if base in known and (not lower or not lex.is_ordinary(low)):
                    label = known[base]
            if label is None:
                i += 1
                continue
            start = i
            if label == "PERSON":
                j = self.extend_person(i)
                # "van der Burgh", "de Grey": particles before the name
                while start > 0 and self.adjacent(start - 1, start) and labels[start - 1] is None and _is_cap(w) and (
                        (lows[start - 1] in NAME_PARTICLES and words[start - 1][:1].islower()) or
                        (len(words[start - 1]) == 1 and words[start - 1].isupper() and start - 1 > 0
                         and not self.sentence_start(start - 1))):
                    start -= 1  # "van der Burgh", "C G Jung"
            elif label == "PLATS":
                j = self.extend_place(i)
                if i > 0 and lows[i - 1] in DIRECTIONS and (_is_cap(words[i - 1]) or lows[i - 1][-1] == "a") and \
                        self.adjacent(i - 1, i) and labels[i - 1] is None:  # "i södra Stockholm"
                    start = i - 1
            else:
                j = i
            self._mark(out, start, j, label)
            i = j + 1
        return out

    def _mark(self, out: list[tuple[int, int, str, int]], i: int, j: int, label: str) -> None:
        for k in range(i, j + 1):
            self.labels[k] = label
        out.append((self.starts[i], self.ends[j], label, 12))


def _propagate_lower(tp: _Pass, k: int) -> bool:
    """A lower-case occurrence of a name that is a word, inside a sentence: the name unless
    a word that takes a noun is right before ("till sam" is the name, "en sten" is not)."""
    return k >= 1 and tp.lows[k - 1] not in DETERMINERS and tp.adjacent(k - 1, k)


class NameRecogniser(Recogniser):
    """Names of people, places, organisations and streets, from the words (the token stage).

    Runs after the structured recognisers: the words inside their spans are barriers.
    A name found with certainty somewhere in the text is then also found where its
    position alone was not enough (at the start of a sentence, or in lower case)."""

    name, labels, priority = "names", ("PERSON", "PLATS", "ORGANISATION", "ADRESS"), 10

    def find(self, view: TextView, lex: Lexicon, covered: list[tuple[int, int]] | None = None) -> list[Candidate]:
        tp = _Pass(view.text, covered or [], lex, view.tokens)
        toks = tp.run()
        known: dict[str, str] = {}
        # a first name that is also a word ("Sam", "saga", "ros"), found as a name from its
        # capital or its context: every other occurrence is the name too, in any case, unless
        # the words around it give the ordinary reading ("en ros")
        words_known: set[str] = set()
        for k, lab in enumerate(tp.labels):
            if lab in ("PERSON", "PLATS"):
                low = tp.lows[k]
                if low in NAME_PARTICLES or low in lex.allow or low in lex.common:
                    continue
                base = _possessive_base(low, lex)
                if len(base) >= 3 and not lex.is_strong(base):
                    known.setdefault(base, lab)
                elif lab == "PERSON" and len(base) >= 3 and base in lex.first_gender and \
                        base not in FUNCTION_WORDS and base not in lex.common:
                    words_known.add(base)
                    known.setdefault(base, lab)
        if known:
            out2: list[Candidate] = []
            for k in range(tp.n):
                if tp.labels[k] is not None or not tp.words[k]:
                    continue
                low = tp.lows[k]
                if low not in known and ":" not in low and not (low[-1] == "s" and low[:-1] in known) and \
                        not (low[-2:] in ("'s", "’s") and low[:-2] in known):
                    continue
                base = _possessive_base(low, lex)
                if base not in known and low[-1] == "s" and low[:-1] in words_known:
                    base = low[:-1]  # "Sams", "sagas": the genitive of a name that is a word
                if base not in known:
                    continue
                if base in words_known:
                    if not tp.ordinary_reading(k) and (not tp.words[k].islower() or tp.sentence_start(k) or
                                                       tp.name_from_context(k) or _propagate_lower(tp, k)):
                        tp.labels[k] = "PERSON"
                        out2.append((tp.starts[k], tp.ends[k], "PERSON", 13))
                elif _is_cap(tp.words[k]) or tp.words[k].isupper() or not lex.is_ordinary(low):
                    tp.labels[k] = known[base]
                    out2.append((tp.starts[k], tp.ends[k], known[base], 13))
            toks += out2
        return toks
