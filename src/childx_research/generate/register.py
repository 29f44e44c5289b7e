"""How young people write: per-contact register transforms applied to help-seeker text.

Only plain segments are transformed; personal-data segments keep their exact text
(except lower-casing, which real chats do to names too), so gold offsets stay right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from random import Random

from .templates import Segment

# Spoken/chat spellings, applied word by word with a per-contact probability.
SLANG = {
    "och": ("o", "å", "och"), "jag": ("ja", "jag", "jag"), "det": ("de", "det"), "är": ("e", "ä", "är"),
    "inte": ("int", "inte", "inge"), "mig": ("mej", "mig"), "dig": ("dej", "dig"), "sig": ("sej", "sig"),
    "också": ("oxå", "också"), "något": ("nåt", "nånting"), "någon": ("nån",), "några": ("nåra", "några"),
    "vad": ("va", "vad"), "med": ("me", "med"), "bara": ("ba", "bara"),
    "säger": ("sär", "säger"), "sedan": ("sen",), "vet inte": ("vet int", "vetej", "vet inte"),
    "jättemycket": ("sjukt mycket", "jättemycket"), "väldigt": ("sjukt", "väldigt", "typ jätte"),
    "förstår": ("fattar", "förstår"), "mamma": ("mamma", "morsan"), "pappa": ("pappa", "farsan"),
    "okej": ("ok", "oki", "okej"), "kanske": ("kanske", "kanske typ"), "dem": ("dom",), "de": ("dom", "de"),
    "honom": ("han", "honom"), "alltså": ("asså", "alltså", "aa"),
}
_SLANG_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, SLANG), key=len, reverse=True)) + r")\b",
                       re.IGNORECASE)
EMOJIS = ("😭", "🙈", "😔", "😕", "🥺", "💔", "😅", "😬", "🙃", "😢", "😞", ":(", ":/", "haha", "lol")
KEYBOARD_NEIGHBOURS = {
    "a": "sq", "s": "ad", "d": "sf", "e": "wr", "r": "et", "t": "ry", "i": "uo", "o": "ip",
    "n": "bm", "m": "n", "g": "fh", "k": "jl", "l": "kö", "ä": "öå", "å": "äp", "v": "cb", "h": "gj",
}


@dataclass(frozen=True)
class Register:
    name: str
    lowercase: float      # chance a message is all lower case
    slang: float          # chance a slang-able word is respelled
    typo: float           # chance per message of one typo
    emoji: float          # chance per message of an emoji at the end
    drop_period: float    # chance the final full stop goes
    lower_names: float    # chance a name/place is written in lower case


REGISTERS = {
    "ung_chatt": Register("ung_chatt", 0.9, 0.55, 0.25, 0.12, 0.9, 0.7),
    "vardaglig": Register("vardaglig", 0.35, 0.15, 0.08, 0.06, 0.5, 0.2),
    "formell": Register("formell", 0.0, 0.0, 0.02, 0.0, 0.0, 0.0),
}


def _respell(m: re.Match[str], rng: Random, p: float) -> str:
    word = m.group(0)
    if rng.random() >= p:
        return word
    choice = rng.choice(SLANG[word.lower()])
    return choice.capitalize() if word[:1].isupper() else choice


def _typo(text: str, rng: Random) -> str:
    idx = [i for i, c in enumerate(text) if c.isalpha()]
    if len(idx) < 4:
        return text
    i = rng.choice(idx[1:-1])
    kind = rng.random()
    c = text[i]
    if kind < 0.35 and text[i + 1 : i + 2].isalpha():  # swap
        return text[:i] + text[i + 1] + c + text[i + 2 :]
    if kind < 0.6:  # drop
        return text[:i] + text[i + 1 :]
    if kind < 0.8:  # double
        return text[:i] + c + text[i:]
    near = KEYBOARD_NEIGHBOURS.get(c.lower())
    return text[:i] + (rng.choice(near) if near else c) + text[i + 1 :]


def apply(messages: list[list[Segment]], register: Register, rng: Random) -> list[list[Segment]]:
    """Transform help-seeker messages in place of style; PII segments keep their characters."""
    out: list[list[Segment]] = []
    for segs in messages:
        lower = rng.random() < register.lowercase
        new: list[Segment] = []
        for s in segs:
            if s.label is not None:
                t = s.text.lower() if (lower and rng.random() < register.lower_names
                                      and s.label in ("PERSON", "PLATS", "ORGANISATION", "ADRESS")) else s.text
                new.append(Segment(t, s.label))
                continue
            t = s.text
            if register.slang:
                t = _SLANG_RE.sub(lambda m: _respell(m, rng, register.slang), t)
            if lower:
                t = t.lower()
            new.append(Segment(t))
        plain = [i for i, s in enumerate(new) if s.label is None and len(s.text) > 6]
        if plain and rng.random() < register.typo:
            i = rng.choice(plain)
            new[i] = Segment(_typo(new[i].text, rng))
        if new and new[-1].label is None:
            t = new[-1].text
            if t.endswith(".") and not t.endswith("..") and rng.random() < register.drop_period:
                t = t[:-1]
            if rng.random() < register.emoji:
                t = t + " " + rng.choice(EMOJIS)
            new[-1] = Segment(t) if t else new[-1]
        elif new and rng.random() < register.emoji:
            new.append(Segment(" " + rng.choice(EMOJIS)))
        out.append([s for s in new if s.text])
    return out
