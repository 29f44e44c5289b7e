"""Emerging words and phrases in help-seekers' text."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from childx_research.trends.terms import TermParams, contact_terms, emerging_terms, g2, load_stopwords

START = date(2024, 1, 1)  # a Monday
COMMON = ["jag mår dåligt och vet inte vad jag ska göra", "någon har skickat bilder på mig",
          "min kompis säger att jag borde berätta", "han skriver hela tiden och jag blir rädd"]


def conv(i: int, day: date, text: str, started=True) -> dict:
    c = {"id": f"c{i}", "messages": [{"role": "stodsokande", "text": text},
                                     {"role": "stodperson", "text": "Vad bra att du skriver. zingr zingr"}]}
    if started:
        c["started_at"] = datetime.combine(day, datetime.min.time()).isoformat()
    return c


def corpus(weeks=30, per_week=20, new_term_weeks=4, new_term_per_week=3, rare_total=4):
    out, n = [], 0
    for w in range(weeks):
        for k in range(per_week):
            n += 1
            text = COMMON[(n + w) % len(COMMON)]
            if w >= weeks - new_term_weeks and k < new_term_per_week:
                text += " han vill att vi pratar på zingr i stället"
            if w == weeks - 1 and k >= per_week - rare_total:
                text += " kalle anka"   # in only four contacts ever
            out.append(conv(n, START + timedelta(weeks=w, days=k % 7), text))
    return out


def test_new_app_name_surfaces_and_rare_terms_never_do():
    terms = emerging_terms(corpus(), params=TermParams(min_contacts=1, min_recent=1, min_g2=0, min_ratio=0))
    assert isinstance(terms, pd.DataFrame)
    assert terms.term.iloc[0] in {"zingr", "på zingr"} or "zingr" in set(terms.term)
    assert "pratar på" not in set(terms.term)        # stopword inside: not a phrase
    # "kalle", "anka" and "kalle anka" are in four contacts only: never shown, whatever the parameters
    assert not {"kalle", "anka", "kalle anka"} & set(terms.term)
    assert (terms.contacts_total >= 5).all()
    assert terms.attrs["contacts_recent"] == 4 * 20


def test_worker_text_is_ignored_and_stopwords_dropped():
    sw = load_stopwords()
    assert {"och", "jag", "att"} <= sw
    got = contact_terms("Jag och min kompis, [PERSON], skrev på Zingr!", sw)
    assert "zingr" in got and "kompis" in got and "jag" not in got and "person" not in got
    # the worker says "zingr" in every contact: it never becomes a help-seeker term
    terms = emerging_terms(corpus(new_term_weeks=0))
    assert "zingr" not in set(terms.term)


def test_g2_matches_a_hand_computed_value():
    # table [[10, 90], [10, 990]]: G2 = 2 * sum O ln(O/E)
    import math
    a, b, c, d = 10, 90, 10, 990
    n = a + b + c + d
    exp = [(a + b) * (a + c) / n, (a + b) * (b + d) / n, (c + d) * (a + c) / n, (c + d) * (b + d) / n]
    want = 2 * sum(o * math.log(o / e) for o, e in zip((a, b, c, d), exp))
    assert abs(g2(a, b, c, d) - want) < 1e-9


def test_dates_can_come_from_form_records():
    convs = corpus()
    dates = {c["id"]: c.pop("started_at") for c in convs}
    assert not emerging_terms(convs).attrs["contacts_recent"]
    assert "zingr" in set(emerging_terms(convs, dates=dates).term)
