"""Web addresses, with or without a scheme ("kevin.se/bilder"). Public services' addresses and a
platform's bare domain are kept; a path on a platform (a profile) is masked.
"""

from __future__ import annotations


from ..lexicon import Lexicon
from .base import Candidate, Recogniser, TextView

import re

from ..words import platforms, word_list
from .common import _W


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


class UrlRecogniser(Recogniser):
    name, labels, priority = "url", ("URL",), 1

    def find(self, view: TextView, lex: Lexicon) -> list[Candidate]:
        text = view.text
        out: list[Candidate] = []
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
            out.append((s, e, "URL", self.priority))
        return out
