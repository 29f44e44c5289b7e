"""Character classes, the tokeniser, the shared word sets (data files in ``wordlists/``) and the
helpers that several recognisers use (capitalisation, sentence position, typos of ordinary words).
"""

from __future__ import annotations

import re
import unicodedata

from ..lexicon import Lexicon
from ..words import word_list, word_set


_L = r"A-Za-zÀ-ÖØ-öø-ÿ"  # letters incl. å ä ö é ü ...


_W = _L + r"0-9"


DIGITS5_RE = re.compile(r"\d(?:[ \t\-./()+]{0,2}\d){4}")


TOKEN_RE = re.compile(rf"[{_L}](?:[{_W}]|['’:\-](?=[{_W}]))*")


HETER = word_set("heter")


RELATIONS = word_set("relations")


PLACE_PREPS = word_set("place_preps")


STRONG_PLACE_PREPS = word_set("strong_place_preps")


NAME_PARTICLES = word_set("name_particles")


PLACE_TAILS = word_set("place_tails")


DIRECTIONS = word_set("directions")


FUNCTION_WORDS = word_set("function_words")


PLACE_VERBS = word_set("place_verbs")


PRONOUNS_3 = word_set("pronouns_3")


SENT_END = set(".!?…:;\"”“»«()[]–—•*\n\r|/")


_ALPHABET = "abcdefghijklmnopqrstuvwxyzåäö"


_KEY_ROWS = ("qwertyuiopå", "asdfghjklöä", "zxcvbnm")


_NEIGHBOURS: dict[str, str] = {}


for _r, _row in enumerate(_KEY_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[_c - 1] if _c > 0 else "", _row[_c + 1] if _c + 1 < len(_row) else ""]
        for _rr in (_r - 1, _r + 1):
            if 0 <= _rr < len(_KEY_ROWS):
                near += [_KEY_ROWS[_rr][k] for k in (_c - 1, _c, _c + 1) if 0 <= k < len(_KEY_ROWS[_rr])]
        _NEIGHBOURS[_ch] = "".join(near)


def is_typo_of_common(low: str, lex: Lexicon) -> bool:
    """One slip of the finger away from a common word ("jga", "hna", "eler", "mitr", "hsn").
    Short words only count slips that are likely on a keyboard (swapped or doubled letters,
    a neighbouring key, a missing letter): a short name is often one letter from some word."""
    common = lex.common
    if low in common or low in FUNCTION_WORDS:
        return True
    n = len(low)
    if n < 2 or n > 12:
        return False
    for i in range(n):
        if low[:i] + low[i + 1:] in common and (n >= 5 or (i > 0 and low[i] == low[i - 1])):
            return True  # one letter too many ("jagg")
        if i + 1 < n and low[:i] + low[i + 1] + low[i] + low[i + 2:] in common:  # swapped letters
            return True
    for i in range(n):
        subs = _ALPHABET if n >= 5 else _NEIGHBOURS.get(low[i], "")
        for c in subs:
            if c != low[i] and low[:i] + c + low[i + 1:] in common:  # wrong letter
                return True
    if n < 4:
        return False
    for i in range(n + 1):
        for c in _ALPHABET:
            if low[:i] + c + low[i:] in common:  # a letter missing ("eler", "någo")
                return True
    return False


_INFLECTIONS = word_list("inflections")


def _typo_of_word(low: str, lex: Lexicon) -> bool:
    """One slip away from an ordinary word ("klassne", "polusen", "skeiv", "kommpisarna")."""
    clean, common = lex.clean, lex.common

    def word(c: str) -> bool:
        if c in clean or c in common:
            return True
        for end in _INFLECTIONS:
            if c.endswith(end) and len(c) - len(end) >= 3 and c[: -len(end)] in clean:
                return True
        return False

    n = len(low)
    if n < 6 or n > 16:
        return False
    for i in range(n):
        if word(low[:i] + low[i + 1:]):
            return True
        if i + 1 < n and word(low[:i] + low[i + 1] + low[i] + low[i + 2:]):
            return True
    for i in range(n):
        for c in _NEIGHBOURS.get(low[i], ""):  # a neighbouring key ("polusen", "skeiv")
            if word(low[:i] + c + low[i + 1:]):
                return True
    for i in range(1, n):
        for c in _ALPHABET:  # a letter missing ("lektioerna")
            if word(low[:i] + c + low[i:]):
                return True
    return False


def _typo_of(low: str, words: set[str]) -> bool:
    n = len(low)
    for w in words:
        if abs(len(w) - n) > 1:
            continue
        if len(w) == n and sum(a != b for a, b in zip(w, low)) <= 1:
            return True
        if len(w) == n + 1 and any(w[:i] + w[i + 1:] == low for i in range(len(w))):
            return True
        if len(w) + 1 == n and any(low[:i] + low[i + 1:] == w for i in range(n)):
            return True
    return False


def _sentence_start(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t\u00a0":
        i -= 1
    if i < 0:
        return True
    c = text[i]
    if c in SENT_END or (c == "-" and (i == 0 or text[i - 1] in " \t\n")):
        return True
    if c.isalnum() or c in ",'’&+=%$€#@_":
        return False
    cat = unicodedata.category(c)
    return cat.startswith("S") or cat in ("Cs", "Co", "Mn", "Cf")  # emoji and symbols


_PARTICLE_CAP = re.compile(r"^(?:al|el|ad|as|ash|bin|ibn|abu|ben|di|da|de|van|von|le|la|d|o|mc|mac)['’\-][A-ZÅÄÖ]")


def _is_cap(t: str) -> bool:
    """Capitalised (not all capitals): "Emma", "Anna-Karin", "al-Assad"."""
    if not t:
        return False
    if t[0].isupper():
        return not (len(t) > 1 and t.isupper())
    return t[0] in "adbiomclvs" and ("-" in t or "'" in t or "’" in t) and _PARTICLE_CAP.match(t) is not None


def _possessive_base(low: str, lex: Lexicon) -> str:
    if low in lex.lower_cands or low in lex.foreign_first:
        return low
    if ":" in low:
        head = low.split(":", 1)[0]
        return head
    if lex.is_ordinary(low):
        return low  # "klass" is not Klas's
    for suf in ("'s", "’s", "s"):
        if low.endswith(suf) and len(low) - len(suf) >= 2:
            b = low[: -len(suf)]
            if b in lex.lower_cands or b in lex.foreign_first:
                return b
    return low


SPEECH_AFTER = word_set("speech_after")


SPEECH_BEFORE = word_set("speech_before")


OWNERS = word_set("owners")


LOWER_TRIGGERS = HETER | RELATIONS | word_set("lower_triggers_extra")


_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{1,3}|IX|X|XI{1,3}|XIV|XV|XVI{1,3})$")


def _tokenise(text: str) -> tuple[list[int], list[int], list[str], list[str]]:
    ms = list(TOKEN_RE.finditer(text))
    words = [m.group() for m in ms]
    return [m.start() for m in ms], [m.end() for m in ms], words, [w.lower() for w in words]


MAX_WORD = 40  # no name, place or school name is longer; longer "words" are not looked at


AGGRESSIVE_START = True


_SLANG = re.compile(r"^(?:h[aeiou]h[aeiou]h?\w*|[a-zåäö]*([a-zåäö])\1\1\w*|x+d+|lo+l|o+k\w*|m+h*|a+h*|o+h*|n+[aäe]+j*|j+a+|ö+h*)$")


TITLES = word_set("titles")


_NEVER_NAMES = FUNCTION_WORDS | RELATIONS | TITLES | word_set("never_names_extra")


_CORE_RELATIONS = word_set("core_relations")


_NAME_SHAPE = re.compile(rf"^[{_L}][{_L}\-]*$")


GREETINGS = word_set("greetings")


COMPANY_PREPS = word_set("company_preps")


DETERMINERS = word_set("determiners")


SUBJECT_OPENERS = word_set("subject_openers")


FINITE_VERBS = word_set("finite_verbs")


FACILITY_SUFFIXES = tuple(sorted(word_list("facility_suffixes"), key=len, reverse=True))


WORK_VERBS = word_set("work_verbs")


WORK_BETWEEN = word_set("work_between")
