"""Shared helpers for the trends and report tests: a tiny form and dated records.

Nothing here reads ``shared/``; the form is built inline.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np

from childx_research.forms import Form

TINY_FORM = {
    "id": "liten-v1",
    "title": "Litet testformulär",
    "fields": [
        {"key": "grupp", "label": "Åldersgrupp", "kind": "single",
         "options": [{"key": "yngre", "label": "Yngre än 15"}, {"key": "aldre", "label": "15 år och äldre"},
                     {"key": "okand", "label": "Framgår inte"}]},
        {"key": "kon", "label": "Kön", "kind": "single",
         "options": [{"key": "tjej", "label": "Tjej"}, {"key": "kille", "label": "Kille"}]},
        {"key": "typ", "label": "Typ av händelse", "kind": "multi",
         "options": [{"key": "natet", "label": "På nätet"}, {"key": "hemma", "label": "Hemma"},
                     {"key": "skolan", "label": "I skolan"},
                     {"key": "ingen", "label": "Framgår inte", "exclusive": True}]},
        {"key": "not", "label": "Anteckning", "kind": "text"},
    ],
}

TINY_REPORT_CONFIG = {
    "form": "liten-v1",
    "source": "Källa: testdata",
    "roles": {"age": "grupp", "gender": "kon", "exploitation": "typ"},
    "time_series_fields": ["typ"],
}


def tiny_form() -> Form:
    return Form.model_validate(TINY_FORM)


def record(ident: str, day: date, *, grupp="yngre", kon="tjej", typ=("natet",), org="org_a", hour=12) -> dict:
    return {"id": ident, "started_at": datetime.combine(day, time(hour, 0)).isoformat(timespec="minutes"),
            "organisation": org, "form": {"grupp": grupp, "kon": kon, "typ": list(typ), "not": ""}}


def records_from_weekly(counts: list[int], *, start: date = date(2022, 1, 3), option: str = "natet",
                        last_day: int = 6, orgs=("org_a", "org_b"), seed: int = 0, others: int = 0) -> list[dict]:
    """Records whose weekly count of ``typ=option`` follows ``counts`` exactly.

    Those contacts have that option; ``others`` more contacts a week have ``typ=hemma``
    only (so the option's share can change). Other fields vary. ``last_day`` is the
    weekday of the last contact of the last week (6 = Sunday: the week is complete).
    """
    rng = np.random.default_rng(seed)
    out = []
    n = 0
    for w in range(len(counts)):
        for i in range(others):
            n += 1
            out.append(record(f"o{n:06d}", start + timedelta(weeks=w, days=min(i % 7, 5)), typ=("hemma",),
                              org=orgs[int(rng.integers(0, len(orgs)))]))
    for w, c in enumerate(counts):
        for i in range(c):
            day_in_week = (i % 7) if w < len(counts) - 1 else min(i % 7, last_day)
            if w == len(counts) - 1 and i == c - 1:
                day_in_week = last_day
            n += 1
            out.append(record(f"r{n:06d}", start + timedelta(weeks=w, days=day_in_week),
                              grupp=["yngre", "aldre", "okand"][int(rng.integers(0, 3))],
                              kon=["tjej", "kille"][int(rng.integers(0, 2))],
                              typ=(option,) if rng.random() < 0.7 else (option, "skolan"),
                              org=orgs[int(rng.integers(0, len(orgs)))]))
    return out
