"""Finding personal data in Swedish chat and mail text.

Two stages, both deterministic:

1. Structured recognisers (compiled regular expressions, validated in Python): e-mail,
   URL, personnummer/samordningsnummer (Luhn-checked), other ID-like numbers, phone
   numbers in every common Swedish format, postcodes, handles (``@x``, handle-shaped
   tokens such as ``kevv.19`` and ``hemligbeundrare_08``, and words after "hans snap är",
   "heter X på insta" ...).
2. Token rules for names, places and organisations: gazetteers (see :mod:`.lexicon`),
   capitalisation and sentence position (Swedish capitalises only proper nouns, so a
   capitalised word inside a sentence that is not an ordinary word is a name), and chat
   context for lower-case names ("jag heter emma", "min kille jocke", "mamma och kim").
   Words that are both names and ordinary words ("Bo", "Klara", "Vilja", "Per") are
   masked only when capitalisation or context shows a name.

Labels are the nine of ``records.PII_LABELS`` plus ``IDNUMMER``: a number shaped like a
personnummer whose check digit is wrong (masked, but not claimed to be a personnummer).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from .lexicon import Lexicon, load_lexicon
from .words import platforms, word_list, word_set

IDNUMMER = "IDNUMMER"
LABELS = ("PERSON", "PLATS", "ORGANISATION", "TELEFON", "EPOST", "PERSONNUMMER", "ADRESS",
          "ANVANDARNAMN", "URL", IDNUMMER)


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of personal data: ``text[start:end]`` has type ``label``."""

    start: int
    end: int
    label: str


# --- structured recognisers --------------------------------------------------------------

_L = r"A-Za-zÀ-ÖØ-öø-ÿ"  # letters incl. å ä ö é ü ...
_W = _L + r"0-9"

EMAIL_RE = re.compile(
    rf"(?<![{_W}.+\-_])[{_W}_][{_W}_.+\-]*"
    rf"(?:@|[ \t]?\((?:at|snabel-a)\)[ \t]?|[ \t]?\[at\][ \t]?)"
    rf"[{_W}\-]+(?:\.[{_W}\-]+)*\.[A-Za-z]{{2,}}(?![{_W}])", re.I)

_TLDS = ("|".join(word_list("tlds")))
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'”“]+", re.I)
# bare domains ("kevin.se/bilder"): found from the dot of the top-level domain backwards
DOMAIN_TAIL_RE = re.compile(rf"\.(?:{_TLDS})(?![{_W}\-])(?:/[^\s<>\"'”“]*)?", re.I)
_TLD_END = re.compile(rf"\.(?:{_TLDS})$", re.I)
_DOMAIN_CHARS = set("abcdefghijklmnopqrstuvwxyzåäöéüABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉÜ0123456789-.")

# Public services whose addresses are referrals, not personal data: kept whatever the path.
SERVICE_DOMAINS = word_list("service_domains")
# Platforms: the bare domain is kept, any path (a profile, an invite) is personal.
PLATFORM_DOMAINS = platforms().domains

# personnummer / samordningsnummer: (YY)YYMMDD[-+ ]NNNN
PNR_RE = re.compile(r"(?<![\d\w+\-])((?:19|20)?\d{2})(\d{2})(\d{2})[ \t]?([-+])?[ \t]?(\d{4})(?![\d\w])")
LONG_NUMBER_RE = re.compile(r"(?<![\d\w+\-.,])\d{9,}(?![\d\w])")

PHONE_RE = re.compile(
    r"(?<![\w+/.,])(?:\+[ \t]?46|0046|\(\+46\)|\+[ \t]?\(46\)|0)"
    r"(?:[ \t]?\(0\))?(?:[ \t\-./]{0,3}\(?\d\)?){6,13}(?![\w])")
INTL_PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)(?!46)[1-9]\d{0,2}(?:[ \t\-]{0,2}\d){6,13}(?![\w])")
_TIME_OR_DATE = re.compile(r"^\d{1,2}[.:]\d{2}(?!\d)|^\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}$|^\d{4}-\d{2}-\d{2}")
SERVICE_NUMBERS = word_set("service_numbers")

POSTCODE_RE = re.compile(r"(?<![\w\-])(?:SE-?[ \t]?)?\d{3}[ \t]?\d{2}(?![\w])")
_POSTCODE_AFTER = re.compile(r"[ \t]+[A-ZÅÄÖ][a-zåäöéü]")
_POSTCODE_TOWN = re.compile(rf"[ \t]+([{_L}][{_L}\-]+(?:[ \t]+[A-ZÅÄÖ][{_L}\-]+)?)")
_POSTCODE_BEFORE = re.compile(rf"(?:\d[ \t]?[A-Za-z]?|lgh[ \t]?\d{{3,4}}|[{_L}]),?[ \t]*$")

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
DIGITS5_RE = re.compile(r"\d(?:[ \t\-./()+]{0,2}\d){4}")
_LETTERS_DIGITS = re.compile(rf"^([{_L}]+)[.\-]?(\d+)$")
_NOT_HANDLE_PREFIX = word_set("not_handle_prefix")

# --- token rules -----------------------------------------------------------------------

TOKEN_RE = re.compile(rf"[{_L}](?:[{_W}]|['’:\-](?=[{_W}]))*")

STREET_SUFFIXES = word_list("street_suffixes")
_STREET_SUFFIX_RE = re.compile("(?:" + "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True)) + ")$")
_STREET_WORDS = word_set("street_words")
_HOUSE_NUMBER = re.compile(r"[ \t]+\d{1,4}(?:[A-Za-z](?![\w])|[ \t][A-Z](?![\w]))?"
                           r"(?:[ \t]*,?[ \t]*(?:lgh|lägenhet|lägh)\.?[ \t]*\d{3,4})?(?![\d])")

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


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _valid_date(mm: str, dd: str) -> bool:
    m, d = int(mm), int(dd)
    return 1 <= m <= 12 and (1 <= d <= 31 or 61 <= d <= 91)


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


def _url_candidates(text: str) -> list[tuple[int, int]]:
    out = [m.span() for m in URL_RE.finditer(text)] if ("www." in text or "://" in text) else []
    last_end = -1
    for m in DOMAIN_TAIL_RE.finditer(text):
        if m.start() < last_end:
            continue
        s = m.start()
        floor = max(0, s - 253, last_end)  # a domain name is at most 253 characters
        while s > floor and text[s - 1] in _DOMAIN_CHARS:
            s -= 1
        while s < m.start() and text[s] in ".-":
            s += 1
        if s == m.start() or (s > 0 and text[s - 1] in "@/:"):
            continue  # ".se" alone, an e-mail, or part of a scheme URL
        out.append((s, m.end()))
        last_end = m.end()
    return out


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


def _structured(text: str, lex: Lexicon, trigger: list[int] | None = None,
                tokens: tuple[list[int], list[int], list[str], list[str]] | None = None
                ) -> list[tuple[int, int, str, int]]:
    """(start, end, label, priority) candidates; lower priority number wins overlaps."""
    out: list[tuple[int, int, str, int]] = []
    has_at = "@" in text or "(at)" in text or "[at]" in text or "(snabel-a)" in text
    if has_at:
        for m in EMAIL_RE.finditer(text):
            out.append((m.start(), m.end(), "EPOST", 0))
    for s, e in _url_candidates(text):
        while e > s and text[e - 1] in ".,;:!?)]}'\"":
            e -= 1
        url = text[s:e]
        low = url.lower()
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", low)
        domain, _, path = host.partition("/")
        domain = domain.split(":")[0]
        if any(domain == d or domain.endswith("." + d) for d in SERVICE_DOMAINS):
            continue
        if any(domain == d or domain.endswith("." + d) for d in PLATFORM_DOMAINS):
            if not path.strip("/") or path.strip("/") in {"explore", "download", "help", "sv", "sv-se"}:
                continue
        # "t.ex", "bl.a" never match (no TLD); skip bare "X.se" where X is an ordinary word
        # written without a space ("hej.nu" is not a URL; "kevin.se" is).
        if not re.match(r"(?:https?://|www\.)", low) and "/" not in host:
            first = domain.split(".")[0]
            if lex.is_ordinary(first) and first not in lex.first_gender:
                continue
        out.append((s, e, "URL", 1))
    if DIGITS5_RE.search(text):
        _numbers(text, out)
    if "#" in text:
        for m in DISCORD_TAG_RE.finditer(text):
            out.append((m.start(), m.end(), "ANVANDARNAMN", 6))
    if has_at:
        for m in AT_HANDLE_RE.finditer(text):
            e = m.end()
            while e > m.start() + 2 and text[e - 1] in ".-":
                e -= 1
            out.append((m.start(), e, "ANVANDARNAMN", 6))
    # the context rules are tried only at the words just before and at a platform or account
    # word (anchored matches: cheap), and rule 3 ("där heter han X") at "där"/"på"/"i"
    if tokens is None:
        tokens = _tokenise(text)
    t_starts, t_lows = tokens[0], tokens[3]
    if trigger is None:
        trigger = [k for k, lw in enumerate(t_lows) if lw in TRIGGER_WORDS]
    if trigger:
        near = sorted({t_starts[j] for k in trigger for j in range(max(0, k - 7), k + 1)})
        at_where = [t_starts[j] for j, lw in enumerate(t_lows) if lw in ("där", "på", "i")]
        contexts = HANDLE_CONTEXT_RES
    else:
        contexts = ()
    for i, rx in enumerate(contexts):
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
    return out


def _numbers(text: str, out: list[tuple[int, int, str, int]]) -> None:
    for m in PNR_RE.finditer(text):
        yy, mm, dd, sign, serial = m.groups()
        if not _valid_date(mm, dd):
            continue
        ten = yy[-2:] + mm + dd + serial
        raw = m.group(0)
        if not sign and len(yy) == 2 and raw[0] == "0" and " " not in raw:
            nat = _phone_digits(raw)
            if nat and _phone_ok(nat) and nat[1] == "7":
                continue  # 07xxxxxxxx: a mobile number, left to the phone recogniser
        out.append((m.start(), m.end(), "PERSONNUMMER" if _luhn_ok(ten) else IDNUMMER, 2))
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        cut = _trim_phone(raw)
        if cut:
            out.append((m.start(), m.start() + len(cut.rstrip(" \t-./(")), "TELEFON", 3))
    for m in INTL_PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 8 <= len(digits) <= 15:
            out.append((m.start(), m.end(), "TELEFON", 3))
    for m in LONG_NUMBER_RE.finditer(text):
        out.append((m.start(), m.end(), IDNUMMER, 4))
    for m in POSTCODE_RE.finditer(text):
        s, e = m.start(), m.end()
        after = _POSTCODE_AFTER.match(text, e)
        before = _POSTCODE_BEFORE.search(text, max(0, s - 24), s)
        if after or (before and s > 0 and "," in text[max(0, s - 3):s]):
            digits = re.sub(r"\D", "", m.group(0))
            if digits in SERVICE_NUMBERS:
                continue
            out.append((s, e, "ADRESS", 5))
            town = _POSTCODE_TOWN.match(text, e)
            if town and town.group(1).lower() not in FUNCTION_WORDS:
                out.append((town.start(1), town.end(1), "PLATS", 5))  # "602 23 Norrköping"


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


def _select(cands: list[tuple[int, int, str, int]]) -> list[Span]:
    """Non-overlapping spans: by priority, then longer first."""
    import bisect

    cands.sort(key=lambda c: (c[3], -(c[1] - c[0]), c[0]))
    starts: list[int] = []  # taken intervals, sorted by start, never overlapping
    ends: list[int] = []
    spans: list[Span] = []
    for s, e, label, _ in cands:
        if e <= s:
            continue
        k = bisect.bisect_left(starts, s)
        if (k < len(starts) and starts[k] < e) or (k > 0 and ends[k - 1] > s):
            continue
        starts.insert(k, s)
        ends.insert(k, e)
        spans.append(Span(s, e, label))
    spans.sort(key=lambda sp: sp.start)
    return spans


# --- token stage ---------------------------------------------------------------------


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
_SPECIAL_SUFFIXES = tuple(sorted(set(STREET_SUFFIXES) | set(SCHOOL_SUFFIXES), key=len, reverse=True))


def _tokenise(text: str) -> tuple[list[int], list[int], list[str], list[str]]:
    ms = list(TOKEN_RE.finditer(text))
    words = [m.group() for m in ms]
    return [m.start() for m in ms], [m.end() for m in ms], words, [w.lower() for w in words]


TRIGGER_WORDS = word_set("account_words") | PLATFORM_NAMES | \
    frozenset(platforms().trigger_spellings)


_SPECIAL_TAILS = {x[-3:] for x in STREET_SUFFIXES + SCHOOL_SUFFIXES}


def _next_trigger(low: str, cache: dict[str, bool]) -> bool:
    """The word after is one that makes the word before part of a name ("X gymnasium")."""
    got = cache.get(low)
    if got is None:
        got = low in _NEXT_WORDS or low.endswith(CLUB_ENDINGS)
        if len(cache) < 300_000:
            cache[low] = got
    return got


MAX_WORD = 40  # no name, place or school name is longer; longer "words" are not looked at


def _skippable(low: str, lex: Lexicon) -> bool:
    """A lower-case word that no rule looks at, whatever its neighbours."""
    if len(low) > MAX_WORD:
        return True
    if low[-3:] in _SPECIAL_TAILS and low.endswith(_SPECIAL_SUFFIXES):
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


def _maybe_dressed_name(low: str, lex: Lexicon) -> bool:
    names = lex.first_folded
    n = len(low)
    return any(low[n - k:] in names for k in range(4, n - 1)) or any(low[:k] in names for k in range(4, n - 2))


class _Pass:
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
        return (a in OWNERS and b in RELATIONS) or a in ("mamma", "pappa", "bror", "syster", "kompis")

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
            if lex.is_place(base) and self.low(i - 1) in STRONG_PLACE_PREPS:
                return "PLATS"
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
        if sv_first and (chain or after_rel or self.apposition(i)):
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

    def extend_place(self, j: int) -> int:
        if self.adjacent(j, j + 1) and self.lows[j + 1] in PLACE_TAILS:
            return j + 1
        return j

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

    def multiword(self, i: int, table: dict[str, list[tuple[str, ...]]]) -> int | None:
        for entry in table.get(self.lows[i], ()):
            k = i
            for part in entry[1:]:
                k += 1
                if k >= self.n or self.lows[k] != part or not self.adjacent(k - 1, k):
                    break
            else:
                return k
        return None

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
                if i > 0 and lows[i - 1] in DIRECTIONS and _is_cap(words[i - 1]) and \
                        self.adjacent(i - 1, i) and labels[i - 1] is None:
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


AGGRESSIVE_START = True
_SLANG = re.compile(r"^(?:h[aeiou]h[aeiou]h?\w*|[a-zåäö]*([a-zåäö])\1\1\w*|x+d+|lo+l|o+k\w*|m+h*|a+h*|o+h*|n+[aäe]+j*|j+a+|ö+h*)$")
TITLES = word_set("titles")
_LOWER_SPECIAL = CHAINS | CLUB_PREFIX | BUSINESS_HEADS | DIRECTIONS
_NEVER_NAMES = FUNCTION_WORDS | RELATIONS | TITLES | word_set("never_names_extra")
_CORE_RELATIONS = word_set("core_relations")
_NEXT_WORDS = CLUB_SUFFIX | CLUB_WORDS | _TRADES | word_set("next_words_extra")
_NAME_SHAPE = re.compile(rf"^[{_L}][{_L}\-]*$")
_SCHOOL_HEADS = word_set("school_heads")


def _detect_text(text: str, lex: Lexicon) -> list[Span]:
    tokens = _tokenise(text)
    lows = tokens[3]
    trigger = [k for k, lw in enumerate(lows) if lw in TRIGGER_WORDS or lw in PLATFORM_TYPOS]
    structured = _select(_structured(text, lex, trigger, tokens))
    covered = [(s.start, s.end) for s in structured]
    tp = _Pass(text, covered, lex, tokens)
    toks = tp.run()
    known: dict[str, str] = {}
    for k, lab in enumerate(tp.labels):
        if lab in ("PERSON", "PLATS"):
            low = tp.lows[k]
            if low in NAME_PARTICLES or low in lex.allow or low in lex.common:
                continue
            base = _possessive_base(low, lex)
            if len(base) >= 3 and not lex.is_strong(base):
                known.setdefault(base, lab)
    if known:
        # a name found with certainty somewhere is also found where its position alone was
        # not enough (at the start of a sentence, or in lower case)
        out2: list[tuple[int, int, str, int]] = []
        for k in range(tp.n):
            if tp.labels[k] is not None or not tp.words[k]:
                continue
            low = tp.lows[k]
            if low not in known and ":" not in low and not (low[-1] == "s" and low[:-1] in known) and \
                    not (low[-2:] in ("'s", "’s") and low[:-2] in known):
                continue
            base = _possessive_base(low, lex)
            if base in known and (_is_cap(tp.words[k]) or tp.words[k].isupper() or not lex.is_ordinary(low)):
                tp.labels[k] = known[base]
                out2.append((tp.starts[k], tp.ends[k], known[base], 13))
        toks += out2
    return _merge(_select([(s.start, s.end, s.label, 0) for s in structured] + toks), text)


def _merge(spans: list[Span], text: str) -> list[Span]:
    """Join neighbouring spans of the same name type ("Johan" "Harju" -> "Johan Harju")."""
    out: list[Span] = []
    for sp in spans:
        if out and out[-1].label == sp.label and sp.label in ("PERSON",) and \
                text[out[-1].end:sp.start] in (" ", "-"):
            out[-1] = Span(out[-1].start, sp.end, sp.label)
        else:
            out.append(sp)
    return out


SEPARATOR = "\n\n"


def detect(text: str, *, lexicon: Lexicon | None = None) -> list[Span]:
    """Personal data in one text, as non-overlapping spans in order."""
    return _detect_text(text, lexicon or load_lexicon())


def detect_messages(texts: Sequence[str], *, lexicon: Lexicon | None = None) -> list[list[Span]]:
    """Personal data in the messages of one conversation, per message.

    The messages are read together, so that a name found with certainty in one message is
    also found where it appears in another in a position that alone would not have been
    enough (at the start of a sentence, or in lower case).
    """
    lex = lexicon or load_lexicon()
    if not texts:
        return []
    joined = SEPARATOR.join(texts)
    spans = _detect_text(joined, lex)
    out: list[list[Span]] = [[] for _ in texts]
    offsets = []
    pos = 0
    for t in texts:
        offsets.append(pos)
        pos += len(t) + len(SEPARATOR)
    import bisect

    for sp in spans:
        k = bisect.bisect_right(offsets, sp.start) - 1
        base = offsets[k]
        end = min(sp.end, base + len(texts[k]))
        if end > sp.start:
            out[k].append(Span(sp.start - base, end - base, sp.label))
    return out
