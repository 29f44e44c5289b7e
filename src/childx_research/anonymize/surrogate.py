"""Realistic replacements ("pseudonyms") that are consistent inside one conversation.

One :class:`Surrogates` object per conversation holds the mapping from original to
replacement in memory only; it is dropped when the conversation is done. The same person
gets the same fake name in every message, also in possessive or lower-case form
("Emma", "emmas" -> "Sara", "saras"); a first name keeps its gender where the name lists
know it; a phone number keeps its format (and becomes a number from the series that the
Swedish regulator PTS reserves for fiction); a personnummer keeps its format, its birth
year and the parity of its gender digit, and gets a valid check digit.
"""

from __future__ import annotations

import random
import re
import string

from .detect import IDNUMMER, _luhn_ok
from .lexicon import Lexicon
from .words import platforms, word_list, word_set

TAGS = {
    "PERSON": "[NAMN]", "PLATS": "[PLATS]", "ORGANISATION": "[ORGANISATION]", "TELEFON": "[TELEFON]",
    "EPOST": "[EPOST]", "PERSONNUMMER": "[PERSONNUMMER]", "ADRESS": "[ADRESS]",
    "ANVANDARNAMN": "[ANVANDARNAMN]", "URL": "[URL]", IDNUMMER: "[IDNUMMER]",
}

# PTS: number series for use in fiction (never assigned to a subscriber)
_FICTIONAL = {
    "07": "0701740",  # 070-174 06 00 .. 070-174 06 99 -> "07017406xx"
    "08": "0846500",  # 08-46 500 400 .. 499
    "031": "0313900",  # 031-390 06 00 .. 99
    "040": "0406280",  # 040-628 04 00 .. 99
    "0980": "0980319",  # 0980-319 200 .. 299
}
_FICTIONAL_TAIL = {"07": "6", "08": "4", "031": "6", "040": "4", "0980": "2"}

_HANDLE_WORDS = word_list("surrogate_handle_words")
_SCHOOL_STEMS = word_list("surrogate_school_stems")
_ORG_WORDS = word_set("surrogate_org_words")
#: A chain in a workplace's name ("jobbar på <kedja> i <ort>") is replaced by another chain.
_CHAINS = word_list("chains")
_PLACE_TAILS = word_set("surrogate_place_tails")


def case_like(model: str, word: str) -> str:
    """``word`` written the way ``model`` is: lower case, Capitalised or UPPER."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    if model.islower():
        return word.lower()
    return word


def _split_possessive(word: str) -> tuple[str, str]:
    for suf in (":s", "'s", "’s"):
        if word.lower().endswith(suf) and len(word) > len(suf) + 1:
            return word[: -len(suf)], word[-len(suf):]
    return word, ""


class Surrogates:
    """Replacements for one conversation. Deterministic for a given ``rng`` state."""

    def __init__(self, lex: Lexicon, rng: random.Random) -> None:
        self.lex = lex
        self.rng = rng
        self._map: dict[tuple[str, str], str] = {}
        self._used: set[tuple[str, str]] = set()

    def forget(self) -> None:
        self._map.clear()
        self._used.clear()

    # -- helpers ---------------------------------------------------------------------------

    def _pick(self, kind: str, key: str, pool: list[str] | tuple[str, ...], avoid: str = "") -> str:
        k = (kind, key)
        got = self._map.get(k)
        if got is not None:
            return got
        for _ in range(50):
            cand = self.rng.choice(pool)
            if cand.lower() != avoid.lower() and (kind, cand.lower()) not in self._used:
                break
        self._map[k] = cand
        self._used.add((kind, cand.lower()))
        return cand

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    # -- types -------------------------------------------------------------------------------

    def person(self, text: str) -> str:
        parts = re.split(r"([\s\-]+)", text)
        out = []
        word_index = 0
        for p in parts:
            if not p or re.fullmatch(r"[\s\-]+", p):
                out.append(p)
                continue
            if len(p) <= 2 and p.replace(".", "").isupper():
                out.append(self.rng.choice(string.ascii_uppercase) + p[1:])  # an initial
                continue
            if p.lower() in ("de", "van", "von", "af", "la", "del", "di", "da", "du", "le", "al", "el"):
                out.append(p)
                continue
            out.append(self._name_word(p, first_position=word_index == 0))
            word_index += 1
        return "".join(out)

    def _name_word(self, word: str, first_position: bool) -> str:
        lex = self.lex
        stem, suffix = _split_possessive(word)
        low = stem.lower()
        if not suffix and low.endswith("s") and low not in lex.first_gender and low not in lex.surnames and \
                (low[:-1] in lex.first_gender or low[:-1] in lex.surnames or ("PERSON", low[:-1]) in self._map
                 or ("SURNAME", low[:-1]) in self._map):
            stem, suffix, low = stem[:-1], stem[-1], low[:-1]
        if ("PERSON", low) in self._map:
            fake = self._map[("PERSON", low)]
        elif ("SURNAME", low) in self._map:
            fake = self._map[("SURNAME", low)]
        elif low in lex.first_gender or low in lex.foreign_first or (first_position and low not in lex.surnames):
            g = lex.first_gender.get(low) or lex.foreign_first.get(low) or _guess_gender(low)
            pool = lex.pool_first_f if g == "f" else lex.pool_first_m if g == "m" else \
                lex.pool_first_f + lex.pool_first_m
            fake = self._pick("PERSON", low, pool, avoid=low)
        else:
            fake = self._pick("SURNAME", low, lex.pool_last, avoid=low)
        if suffix == "s" and fake.lower().endswith(("s", "x", "z")):
            suffix = ""
        return case_like(stem, fake) + suffix

    def place(self, text: str) -> str:
        words = text.split()
        tail = ""
        if len(words) > 1 and words[-1].lower() in _PLACE_TAILS:
            tail = " " + words[-1]
            words = words[:-1]
        core = " ".join(words)
        stem, suffix = _split_possessive(core)
        low = stem.lower()
        if not suffix and low.endswith("s") and (low[:-1] in self.lex.places or ("PLATS", low[:-1]) in self._map):
            stem, suffix, low = stem[:-1], "s", low[:-1]
        pool = self.lex.pool_countries if low in self.lex.countries else self.lex.pool_places
        fake = self._pick("PLATS", low, pool, avoid=low)
        if suffix == "s" and fake.lower().endswith(("s", "x", "z")):
            suffix = ""
        return case_like(stem, fake) + suffix + tail

    def organisation(self, text: str) -> str:
        low = text.lower()
        got = self._map.get(("ORGANISATION", low))
        if got is not None:
            return got
        words = text.split()
        m = re.search(r"(skolan|skola|gymnasiet|gymnasium|högstadiet|akademin|akademi)$", low)
        if len(words) == 1 and m:
            suffix = text[m.start():]
            stem = self.rng.choice(_SCHOOL_STEMS)
            joint = "" if stem.endswith("s") or suffix.lower().startswith("s") and stem.endswith("s") else ""
            fake = case_like(text, stem.lower() + joint + suffix.lower())
        else:
            out = []
            for w in words:
                wl = w.lower()
                if wl in _CHAINS and len(_CHAINS) > 1:
                    chain = self._pick("KEDJA", wl, _CHAINS, avoid=wl)
                    out.append(chain.upper() if len(chain) <= 4 else chain.capitalize() if w[:1].isupper() else chain)
                elif wl in _ORG_WORDS or (w.isupper() and len(w) <= 4):
                    out.append(w)
                else:
                    base, suf = _split_possessive(w)
                    if not suf and base.endswith("s") and len(base) > 3:
                        base, suf = base[:-1], "s"
                    fake_place = self._pick("PLATS", base.lower(), self.lex.pool_places, avoid=base)
                    out.append(case_like(base, fake_place) + suf)
            fake = " ".join(out)
            if fake.lower() == low:
                fake = case_like(text, self.rng.choice(_SCHOOL_STEMS) + "skolan")
        self._map[("ORGANISATION", low)] = fake
        return fake

    def phone(self, text: str) -> str:
        """The same number (whatever its format) gets the same fake number, written in the
        format of each occurrence."""
        digits = re.sub(r"\D", "", text)
        positions = [i for i, ch in enumerate(text) if ch.isdigit()]
        m = re.match(r"^\s*(?:\+\s?\(?46\)?|0046|\(\+46\))", text)
        prefix_len = len(re.sub(r"\D", "", m.group(0))) if m else 0
        national = "0" + digits[prefix_len:].lstrip("0") if m else digits
        fake_nat = self._map.get(("TELEFON", national))
        if fake_nat is None:
            for _ in range(20):
                fake_nat = self._fake_national(national)
                if fake_nat != national and ("TELEFON#", fake_nat) not in self._used:
                    break
            self._map[("TELEFON", national)] = fake_nat
            self._used.add(("TELEFON#", fake_nat))
        body = fake_nat[1:] if m else fake_nat
        keep = digits[:prefix_len]
        if m and digits[prefix_len:prefix_len + 1] == "0":  # "+46 (0)70 ..." keeps its "(0)"
            keep += "0"
        new_digits = keep + body
        if len(new_digits) != len(positions):
            new_digits = (new_digits + self._digits(len(positions)))[: len(positions)]
        chars = list(text)
        for pos, d in zip(positions, new_digits):
            chars[pos] = d
        return "".join(chars)

    def _fake_national(self, national: str) -> str:
        n = len(national)
        for area, series in _FICTIONAL.items():
            if national.startswith(area) and n == 10 and (area != "07" or national[1] == "7"):
                return series + _FICTIONAL_TAIL[area] + self._digits(2)
        if national.startswith("07") and n == 10:
            return "07017406" + self._digits(2)
        # other area codes: keep the area code's first digits, invent the rest
        keep = 3 if n >= 9 else 2
        return national[:keep] + self._digits(n - keep)

    def personnummer(self, text: str, valid: bool = True) -> str:
        """Same number, same fake number (with or without century, dash or plus); a valid one
        keeps its birth year, samordningsnummer-ness and gender digit parity and gets a
        valid check digit."""
        digits = re.sub(r"\D", "", text)
        positions = [i for i, ch in enumerate(text) if ch.isdigit()]
        key = digits[-10:] if len(digits) in (10, 12) else digits
        fake10 = self._map.get(("PERSONNUMMER", key))
        if fake10 is None:
            if valid and len(digits) in (10, 12):
                yy = key[:2]
                dd_orig = int(key[4:6])
                for _ in range(100):
                    mm = self.rng.randint(1, 12)
                    dd = self.rng.randint(1, 28) + (60 if dd_orig > 60 else 0)
                    serial3 = self._digits(2) + str(self.rng.randrange(int(key[-2]) % 2, 10, 2))
                    nine = f"{yy}{mm:02d}{dd:02d}{serial3}"
                    check = next(c for c in "0123456789" if _luhn_ok(nine + c))
                    fake10 = nine + check
                    if fake10 != key:
                        break
            else:
                fake10 = self._digits(len(key))
                if len(fake10) == 10 and _luhn_ok(fake10):
                    fake10 = fake10[:-1] + str((int(fake10[-1]) + 1) % 10)
            self._map[("PERSONNUMMER", key)] = fake10
        new = digits[: len(digits) - len(key)] + fake10 if len(digits) >= len(key) else fake10
        chars = list(text)
        for pos, d in zip(positions, new):
            chars[pos] = d
        return "".join(chars)

    def email(self, text: str) -> str:
        low = text.lower()
        got = self._map.get(("EPOST", low))
        if got is not None:
            return got
        name = self.rng.choice(self.lex.pool_first_f + self.lex.pool_first_m).lower()
        name = _ascii(name)
        local = name + self.rng.choice(["", ".", "_"]) + (self._digits(2) if self.rng.random() < 0.6 else "")
        local = local.rstrip("._")
        domain = "exempel.se" if low.endswith(".se") else "example.com"
        fake = f"{local}@{domain}"
        self._map[("EPOST", low)] = fake
        return fake

    def url(self, text: str) -> str:
        low = text.lower()
        got = self._map.get(("URL", low))
        if got is not None:
            return got
        m = re.match(r"^(https?://)?(www\.)?([^/]+)(/.*)?$", text, re.I)
        scheme, www, domain, path = (m.group(1) or "", m.group(2) or "", m.group(3), m.group(4) or "") if m \
            else ("", "", text, "")
        dl = domain.lower()
        if any(dl == d or dl.endswith("." + d) for d in platforms().domains):
            fake = f"{scheme}{www}{domain}/{self._fake_handle('x')}"
        else:
            fake = f"{scheme}{www}exempel.se" + (f"/{self._fake_handle('x')}" if path.strip("/") else "")
        self._map[("URL", low)] = fake
        return fake

    def handle(self, text: str) -> str:
        low = text.lower()
        got = self._map.get(("ANVANDARNAMN", low))
        if got is not None:
            return got
        for _ in range(20):
            fake = self._fake_handle(text)
            if fake.lower() != low:
                break
        self._map[("ANVANDARNAMN", low)] = fake
        return fake

    def _fake_handle(self, text: str) -> str:
        at = "@" if text.startswith("@") else ""
        body = text[1:] if at else text
        sep = next((c for c in body if c in "._-"), "")
        n_digits = sum(c.isdigit() for c in body)
        word = self.rng.choice(_HANDLE_WORDS)
        if sep and self.rng.random() < 0.5:
            word += sep + self.rng.choice(_HANDLE_WORDS)
        elif sep:
            word += sep
        digits = self._digits(max(n_digits, 0 if sep else 2)) if n_digits or not sep else ""
        fake = (word + digits).strip("._-")
        if body.isupper():
            fake = fake.upper()
        return at + fake

    def address(self, text: str) -> str:
        low = text.lower()
        got = self._map.get(("ADRESS", low))
        if got is not None:
            return got
        m_post = re.fullmatch(r"(SE-?\s?)?(\d{3})(\s?)(\d{2})", text.strip())
        if m_post:
            fake = (m_post.group(1) or "") + self._digits(1).replace("0", "1") + self._digits(2) + \
                m_post.group(3) + self._digits(2)
        else:
            m = re.match(r"^(.*?)(gatan|gata|vägen|väg|stigen|stig|gränden|gränd|torget|torg|backen|backe|"
                         r"allén|allé|leden|platsen|plan|gången|slingan|höjden|liden|stråket|kajen|"
                         r"esplanaden|promenaden|ringen)(.*)$", text, re.I | re.S)
            if m:
                suffix = m.group(2)
                rest = re.sub(r"\d", lambda _: self.rng.choice("123456789"), m.group(3))
                prefix = self.rng.choice(self.lex.pool_street_prefixes)
                word = prefix + (" " if m.group(1).endswith(" ") else "") + suffix.lower()
                fake = case_like(m.group(1) or text, word) + rest
            else:
                fake = re.sub(r"\d", lambda _: self.rng.choice("123456789"), text)
                fake = re.sub(r"[A-Za-zÅÄÖåäö]{3,}", lambda mm: case_like(mm.group(0), self.rng.choice(
                    self.lex.pool_street_prefixes).lower() + "gatan"), fake, count=1)
        self._map[("ADRESS", low)] = fake
        return fake

    # -- dispatch ---------------------------------------------------------------------------

    def replace(self, label: str, text: str) -> str:
        if label == "PERSON":
            return self.person(text)
        if label == "PLATS":
            return self.place(text)
        if label == "ORGANISATION":
            return self.organisation(text)
        if label == "TELEFON":
            return self.phone(text)
        if label == "PERSONNUMMER":
            return self.personnummer(text, valid=True)
        if label == IDNUMMER:
            return self.personnummer(text, valid=False)
        if label == "EPOST":
            return self.email(text)
        if label == "URL":
            return self.url(text)
        if label == "ANVANDARNAMN":
            return self.handle(text)
        if label == "ADRESS":
            return self.address(text)
        return TAGS.get(label, "[UPPGIFT]")


def _guess_gender(low: str) -> str:
    return "f" if low.endswith(("a", "ie", "y", "i", "ine", "elle", "lin", "lyn")) else "m"


_ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})


def _ascii(s: str) -> str:
    return s.translate(_ASCII)
