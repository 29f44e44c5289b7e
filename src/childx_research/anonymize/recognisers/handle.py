"""User names: "@x", Discord tags, handle-shaped tokens ("kevv.19", "hemligbeundrare_08"),
words after "hans snap är", "heter X på insta" ..., and names dressed up as handles.
Platform names come from ``wordlists/platforms.yaml``.
"""

from __future__ import annotations


from .base import Candidate, Recogniser, TextView
from .common import FUNCTION_WORDS, is_typo_of_common
from .url import _TLD_END

import re

from ..lexicon import Lexicon
from ..words import platforms, word_list, word_set
from .common import _L, _W, _typo_of_word


_H = rf"[\"'“”‘’]?@?[{_W}_](?:[{_W}_.\-]{{0,28}}[{_W}_])?[\"'“”‘’]?"


_HETER = r"(?:heter|hette|he+t+e*r+|he+t+r+e+|hete|hter)\b"


_OWNER = r"(?:hans|haans|hennes|hens|min|mitt|din|ditt|deras|vår|sin|dens)\b"


_ACCOUNT = r"(?:konto|kontot|konton|kontona|oknton|konon|profil|profilen|användarnamn|användarnamnet|alias)\b"


_FILL = r"(?:(?:typ|liksom|asså|alltså|ba|bara)\b[ \t]+)?"


def _plat(k: int) -> str:
    """A slot for a platform name, checked in Python (typos such as "nista", "snapp" too)."""
    return rf"(?P<p{k}>[{_L}]{{2,12}}(?:[ \t]?tok)?)\b"


HANDLE_CONTEXT_RES = [re.compile(p, re.I) for p in (
    # 0 "heter kevv.19 på telegram", "kallar sig X på insta"
    rf"\b(?:{_HETER}|kallar[ \t]+s(?:ig|ej)|kallade[ \t]+s(?:ig|ej)|har[ \t]+namnet)[ \t]+{_FILL}(?P<h>{_H})[ \t]+(?:på|i|on)[ \t]+{_plat(1)}\b",
    # 1 "hans snap är X", "min insta: X", "hennes tiktok heter X"
    rf"\b{_OWNER}[ \t]+{_plat(2)}(?:[ \t]+(?:är|e|ä|va|var|heter|hette|namn)\b)*[ \t]*[:=]?[ \t]*{_FILL}(?P<h>{_H})",
    # 2 "snap: X", "insta - X"
    rf"\b{_plat(3)}[ \t]*[:=][ \t]*(?P<h>{_H})",
    # 3 "på telegram heter han X", "där heter han X"
    rf"\b(?:(?:på|i)[ \t]+{_plat(4)}|där|på[ \t]+den|i[ \t]+den|på[ \t]+appen|i[ \t]+appen)[ \t]*,?[ \t]*(?:{_HETER}|kallar[ \t]+sig)[ \t]+(?:han|hon|hen|den|jag|dom|de|vi|killen|tjejen|typen|gubben)[ \t]+{_FILL}(?P<h>{_H})",
    # 4 "adda X på snap", "lägg till mig: X på insta"
    rf"\b(?:adda|addade|addat|addar|lägg[ \t]+till|la[ \t]+till|lade[ \t]+till|följ|följer|följde|sök[ \t]+på|sök[ \t]+upp)[ \t]+(?:mig|honom|henne|hen|oss)?[ \t]*:?[ \t]*(?P<h>{_H})[ \t]+(?:på|i)[ \t]+{_plat(5)}\b",
    # 5 "användarnamnet är X", "username: X", "två konton, X", "ett konto som heter X"
    rf"\b(?:{_ACCOUNT}|(?:username|user|anv\.?namn|nick|nicket)\b)(?:[ \t]+som[ \t]+{_HETER})?[ \t]*(?:(?:är|e|ä|var|va)\b|:|=)?[ \t]*{_FILL}(?P<h>{_H})",
    # 6 "snap X" / "insta @X" directly: only for handle-shaped X (checked in code)
    rf"\b{_plat(6)}[ \t]+(?P<h>{_H})",
    # 7 "X är hans konto", "X e hennes insta"
    rf"(?P<h>{_H})[ \t]+(?:är|e|ä|va|var)\b[ \t]+{_OWNER}[ \t]+(?:{_ACCOUNT}|{_plat(7)}|namn[ \t]+på[ \t]+{_plat(8)})\b",
    # 8 "han kallar sig X" (a name one gives oneself online)
    rf"\bkallar[ \t]+s(?:ig|ej)[ \t]+{_FILL}(?P<h>{_H})",
    # 9 "två konton, X" (a list: X must look like a handle or be no ordinary word)
    rf"\b{_ACCOUNT}[ \t]*,[ \t]*(?P<h>{_H})",
)]


PLATFORM_NAMES = frozenset(platforms().names)


_PLATFORM_MAIN = platforms().typo_bases


def _edits1(w: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyzåäö"
    splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    return out


PLATFORM_TYPOS = {v for w in _PLATFORM_MAIN for v in _edits1(w) if len(v) >= 4} - frozenset(platforms().typo_exceptions)


def is_platform(word: str | None) -> bool:
    if not word:
        return False
    low = re.sub(r"[ \t]+", " ", word.lower())
    return low in PLATFORM_NAMES or low.replace(" ", "") in PLATFORM_NAMES or low in PLATFORM_TYPOS


CONTEXT_STRONG = {1, 2, 5, 7}  # the handle may be an ordinary word there


CONTEXT_SHAPED_ONLY = {6}


DISCORD_TAG_RE = re.compile(rf"(?<![{_W}@#])[{_W}_.]{{2,32}}#\d{{4}}(?![\d])")  # "kevin#1234"


AT_HANDLE_RE = re.compile(rf"(?<![{_W}@.])@[{_W}_](?:[{_W}_.\-]{{0,28}}[{_W}_])?")


# anchors of handle-shaped words: an underscore, a letter next to a digit, letter.letter
HANDLE_ANCHOR_RE = re.compile(rf"_|[{_L}][.\-]?\d|[{_L}]\.[{_L}]")


_CHUNK_CHARS = set("abcdefghijklmnopqrstuvwxyzåäöéüæøABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉÜÆØ0123456789_.-")


_LETTERS_DIGITS = re.compile(rf"^([{_L}]+)[.\-]?(\d+)$")


_NOT_HANDLE_PREFIX = word_set("not_handle_prefix")


def _chunk_at(text: str, pos: int) -> tuple[int, int]:
    s = pos
    while s > 0 and text[s - 1] in _CHUNK_CHARS:
        s -= 1
    e = pos
    n = len(text)
    while e < n and text[e] in _CHUNK_CHARS:
        e += 1
    while s < e and text[s] in ".-_":
        s += 1
    while e > s and text[e - 1] in ".-":
        e -= 1
    return s, e


def _is_handle_shaped(tok: str, lex: Lexicon) -> bool:
    low = tok.lower()
    if not re.search(rf"[{_L}]", low):
        return False
    if "_" in low:
        return True
    m = _LETTERS_DIGITS.match(low)
    if m:
        letters, digits = m.group(1), m.group(2)
        if letters in _NOT_HANDLE_PREFIX or len(letters) < 3:
            return False
        if letters in lex.first_gender or letters in lex.surnames or letters in lex.first_folded:
            return True
        if len(digits) == 1 and len(letters) < 5:
            return False  # "mp3", "åk9", "fas3"
        return not lex.is_strong(letters) and (len(digits) >= 2 or len(letters) >= 4)
    parts = re.split(r"[.\-]", low)
    if len(parts) >= 2 and all(parts):
        if any(ch.isdigit() for ch in low):
            head = parts[0]
            if head in _NOT_HANDLE_PREFIX or (len(parts) == 2 and parts[1].isdigit() and len(head) <= 2):
                return False
            return not re.fullmatch(r"[\d.\-]+[a-zåäö]{1,3}", low)  # "3.5kg", "10-15st"
        if "." in low and all(len(p) >= 2 for p in parts):
            # "emma.lundh", "kungen.lidstrom": not two ordinary words run together ("okej.jag")
            return not all(lex.is_strong(p) and p not in lex.first_gender for p in parts)
    return False


_DECORATED = re.compile(r"^(?:x{2,}[a-zåäö]{2,}x{2,}|[a-zåäö]*([a-zåäö])\1\1)$")


HANDLE_AFFIXES = word_list("handle_affixes")


def _handle_word(low: str, lex: Lexicon) -> bool:
    """A lower-case word that is a name dressed up as a handle: "xxannikaxx", "natalieee",
    "icejoachim", "sthlmaaron", "hockeyaxel", "theingegard"."""
    names = lex.first_folded
    if _DECORATED.match(low) or low.startswith("xx") or low.endswith("xx"):
        core = re.sub(r"^x{2,}|x{2,}$", "", low)
        core = re.sub(r"([a-zåäö])\1{2,}", r"\1", core)
        if low.startswith("xx") and low.endswith("xx"):
            return True
        if core in names or core + core[-1:] in names or core in lex.surnames or core in lex.first_gender \
                or core + core[-1:] in lex.first_gender:
            return True
    n = len(low)
    if n >= 5 and low[0] == "x" and low[1:] in names:
        return True  # "xharry"
    if n >= 7 and "-" not in low:
        for k in range(4, n - 1):
            if low[n - k:] in names and n - k >= 2:  # "hockeyaxel", "snusastrid"
                return not lex.is_ordinary(low) and low not in lex.clean and not _typo_of_word(low, lex)
        for k in range(4, n - 2):
            if low[:k] in names and low[k:] in _NAME_TAILS:  # "annelie98", "hampussthlm"
                return not lex.is_ordinary(low) and not _typo_of_word(low, lex)
    for aff in HANDLE_AFFIXES:
        if low.startswith(aff) and len(low) - len(aff) >= 3 and low[len(aff):] in names:
            return True
    return False


_NAME_TAILS = word_set("name_tails")


TRIGGER_WORDS = word_set("account_words") | PLATFORM_NAMES | \
    frozenset(platforms().trigger_spellings)


def _maybe_dressed_name(low: str, lex: Lexicon) -> bool:
    names = lex.first_folded
    n = len(low)
    return any(low[n - k:] in names for k in range(4, n - 1)) or any(low[:k] in names for k in range(4, n - 2))


class HandleRecogniser(Recogniser):
    """Discord tags and @handles (priority 6), handles named by their context (7) and
    handle-shaped words (8)."""

    name, labels, priority = "handle", ("ANVANDARNAMN",), 6

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:
        text = view.text
        out: list[Candidate] = []
        if "#" in text:
            for m in DISCORD_TAG_RE.finditer(text):
                out.append((m.start(), m.end(), "ANVANDARNAMN", 6))
        if view.has_at:
            for m in AT_HANDLE_RE.finditer(text):
                e = m.end()
                while e > m.start() + 2 and text[e - 1] in ".-":
                    e -= 1
                out.append((m.start(), e, "ANVANDARNAMN", 6))
        self._context(view, lex, out)
        self._shaped(view, lex, out)
        return out

    @staticmethod
    def _context(view: TextView, lex: Lexicon, out: list[Candidate]) -> None:
        # the context rules are tried only at the words just before and at a platform or account
        # word (anchored matches: cheap), and rule 3 ("där heter han X") at "där"/"på"/"i"
        text, t_starts, t_lows = view.text, view.starts, view.lows
        trigger = [k for k, lw in enumerate(t_lows) if lw in TRIGGER_WORDS or lw in PLATFORM_TYPOS]
        if not trigger:
            return
        near = sorted({t_starts[j] for k in trigger for j in range(max(0, k - 7), k + 1)})
        at_where = [t_starts[j] for j, lw in enumerate(t_lows) if lw in ("där", "på", "i")]
        for i, rx in enumerate(HANDLE_CONTEXT_RES):
            positions = at_where if i == 3 else near
            for m in (mm for mm in (rx.match(text, pos) for pos in positions) if mm is not None):
                plats = [v for k, v in m.groupdict().items() if k.startswith("p") and v is not None]
                if plats and not any(is_platform(v) for v in plats):
                    continue
                s, e = m.span("h")
                h = text[s:e]
                while h and h[-1] in ".-\"'“”‘’":
                    h = h[:-1]
                    e -= 1
                while h and h[0] in "\"'“”‘’":
                    h = h[1:]
                    s += 1
                if not h:
                    continue
                low = h.lower().lstrip("@")
                shaped = h.startswith("@") or bool(re.search(r"[\d_.]", h))
                if low in FUNCTION_WORDS or low in lex.allow or len(low) < 2:
                    continue
                if i in CONTEXT_SHAPED_ONLY and not shaped:
                    continue  # "snap X" alone: only handle-shaped X
                if not shaped and i != 0 and (len(low) <= 3 or is_typo_of_common(low, lex)):
                    continue  # "hans insta rä granlund93": the typo is not the handle
                if not shaped and lex.is_ordinary(low) and i != 0 and (i not in CONTEXT_STRONG or low in lex.common):
                    continue  # (rule 0, "heter X på snap", takes any word but a function word)
                if i == 7 and low in ("det", "de", "den", "detta", "som", "vilket"):
                    continue
                out.append((s, e, "ANVANDARNAMN", 7))

    @staticmethod
    def _shaped(view: TextView, lex: Lexicon, out: list[Candidate]) -> None:
        text = view.text
        chunk_end = -1
        for m in HANDLE_ANCHOR_RE.finditer(text):
            if m.start() < chunk_end:
                continue  # inside the chunk already looked at
            s, e = _chunk_at(text, m.start())
            chunk_end = max(e, m.end())
            if e - s < 3 or e - s > 64:
                continue  # a handle is short
            if s > 0 and text[s - 1] in "@/":
                continue
            if _TLD_END.search(text, s, e):
                continue  # a web address ("UMO.se"): the URL recogniser decides
            if _is_handle_shaped(text[s:e], lex):
                out.append((s, e, "ANVANDARNAMN", 8))
