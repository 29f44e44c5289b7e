"""Emerging words and phrases in help-seekers' own words.

From anonymised conversations with a date, every help-seeker message is lower-cased and
split into words; stopwords (``stopwords_sv.txt``), numbers and the anonymiser's
placeholders are dropped. Each contact contributes the *set* of its words and two-word
phrases (adjacent words, neither a stopword), so one talkative contact counts once.

A term is *emerging* when its share of contacts in the recent weeks is far above its
share in the baseline weeks before them: Dunning's log-likelihood ratio G² on the 2x2
table (recent/baseline x with/without the term) above ``min_g2`` (10.83 = p < 0.001),
a share ratio of at least ``min_ratio``, at least ``min_recent`` recent contacts, and —
always — at least ``min_contacts`` (5) contacts ever. Terms seen in fewer than five
contacts are never returned, whatever the parameters.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .weeks import local_date, make_grid, parse_as_of

#: the hard floor: no term seen in fewer contacts is ever shown
MIN_CONTACTS_FLOOR = 5
STOPWORDS_FILE = Path(__file__).with_name("stopwords_sv.txt")
TERM_COLUMNS = ["term", "words", "contacts_recent", "contacts_baseline", "contacts_total",
                "share_recent", "share_baseline", "ratio", "g2"]

_PLACEHOLDER = re.compile(r"\[[^\]\s]{1,40}\]|<[^>\s]{1,40}>|\{[^}\s]{1,40}\}")
_TOKEN = re.compile(r"[a-zåäöéüæø]+(?:[-'][a-zåäöéüæø]+)*")
_PII_WORDS = {"person", "plats", "organisation", "telefon", "epost", "personnummer", "adress",
              "anvandarnamn", "användarnamn", "url", "namn"}


@dataclass(frozen=True)
class TermParams:
    recent_weeks: int = 4
    baseline_weeks: int = 52
    min_contacts: int = MIN_CONTACTS_FLOOR
    min_recent: int = 5
    min_g2: float = 10.83
    min_ratio: float = 2.0
    max_terms: int = 30
    bigrams: bool = True
    role: str = "stodsokande"


@lru_cache(maxsize=4)
def load_stopwords(path: str | Path = STOPWORDS_FILE) -> frozenset[str]:
    words = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


def tokens(text: str) -> list[str]:
    text = _PLACEHOLDER.sub(" ", text.lower())
    return [t for t in _TOKEN.findall(text) if len(t) > 1 and t not in _PII_WORDS]


def contact_terms(text: str, stopwords: frozenset[str], bigrams: bool = True) -> set[str]:
    toks = tokens(text)
    out = {t for t in toks if t not in stopwords}
    if bigrams:
        for a, b in zip(toks, toks[1:]):
            if a not in stopwords and b not in stopwords and a != b:
                out.add(f"{a} {b}")
    return out


def g2(a: int, b: int, c: int, d: int) -> float:
    """Dunning's log-likelihood ratio for the 2x2 table [[a, b], [c, d]]."""
    n = a + b + c + d
    if n == 0:
        return 0.0
    total = 0.0
    for obs, row, col in ((a, a + b, a + c), (b, a + b, b + d), (c, c + d, a + c), (d, c + d, b + d)):
        if obs > 0:
            total += obs * math.log(obs * n / (row * col))
    return 2.0 * total


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def _text_of(conv: Any, role: str) -> str:
    msgs = _get(conv, "messages") or []
    return "\n".join(str(_get(m, "text") or "") for m in msgs if _get(m, "role") == role)


def emerging_terms(conversations: Iterable[Any], *, as_of: str | date | datetime | None = None,
                   params: TermParams = TermParams(), stopwords: Iterable[str] | None = None,
                   dates: dict[str, str] | None = None) -> pd.DataFrame:
    """Emerging terms, strongest first (columns ``TERM_COLUMNS``); empty when none.

    ``conversations`` are ``records.Conversation`` objects or dicts. A conversation without
    ``started_at`` takes its date from ``dates`` (id -> timestamp, e.g. from form records)
    or is skipped. The frame's ``attrs`` hold the windows and contact numbers.
    """
    sw = frozenset(stopwords) if stopwords is not None else load_stopwords()
    min_contacts = max(params.min_contacts, MIN_CONTACTS_FLOOR)
    as_of_date = parse_as_of(as_of)
    dated: list[tuple[date, set[str]]] = []
    for conv in conversations:
        ts = _get(conv, "started_at") or (dates or {}).get(str(_get(conv, "id")))
        if not ts:
            continue
        d = local_date(datetime.fromisoformat(ts))
        if as_of_date is not None and d > as_of_date:
            continue
        dated.append((d, contact_terms(_text_of(conv, params.role), sw, params.bigrams)))
    empty = pd.DataFrame(columns=TERM_COLUMNS)
    if not dated:
        empty.attrs.update(contacts_recent=0, contacts_baseline=0)
        return empty
    grid = make_grid([d for d, _ in dated], as_of_date)
    last = grid.last_complete
    if last < 0:
        empty.attrs.update(contacts_recent=0, contacts_baseline=0)
        return empty
    recent_start = grid.weeks[max(0, last - params.recent_weeks + 1)]
    recent_end = grid.weeks[last] + timedelta(days=6)
    base_start = recent_start - timedelta(weeks=params.baseline_weeks)
    recent, base, total = Counter(), Counter(), Counter()
    n_recent = n_base = 0
    for d, terms in dated:
        if d > recent_end:
            continue  # the incomplete week
        total.update(terms)
        if d >= recent_start:
            recent.update(terms)
            n_recent += 1
        elif d >= base_start:
            base.update(terms)
            n_base += 1
    attrs = dict(recent_start=recent_start.isoformat(), recent_end=recent_end.isoformat(),
                 baseline_start=base_start.isoformat(),
                 baseline_end=(recent_start - timedelta(days=1)).isoformat(),
                 contacts_recent=n_recent, contacts_baseline=n_base)
    rows = []
    if n_recent and n_base:
        for term, a in recent.items():
            if a < params.min_recent or total[term] < min_contacts:
                continue
            c = base.get(term, 0)
            share_r, share_b = a / n_recent, c / n_base
            if share_r <= share_b:
                continue
            ratio = share_r / max(share_b, 0.5 / n_base)
            score = g2(a, n_recent - a, c, n_base - c)
            if score < params.min_g2 or ratio < params.min_ratio:
                continue
            rows.append((term, term.count(" ") + 1, a, c, total[term], share_r, share_b, ratio, score))
    out = pd.DataFrame(rows, columns=TERM_COLUMNS)
    out = out.sort_values(["g2", "term"], ascending=[False, True]).head(params.max_terms).reset_index(drop=True)
    out.attrs.update(attrs)
    return out
