"""The disclosure-attack test: try to get the hidden ("<5") counts back out of a report.

A report is built on a small, skewed set (60 contacts, two organisations of very
different size, rare options, an alert on a small count, a new word seen in two
baseline contacts). The attacker reads every published CSV (and the HTML's number of
contacts) and knows the method: a published count ``p >= 5`` is the true count within
``disclosure.MAX_PERTURBATION`` (never below 5), "<5" is 1-4, "0" is 0. The attacker then

- combines every linear relation between published cells: totals = the sum of the
  options of a single field, of the organisations, of the months; group sizes = margins
  of the cross tables; the co-occurrence diagonal = the sum over organisations and over
  age groups (interval propagation over all relations together, so "total − the rest",
  "diagonal − the other organisation" and "group size − the other genders" are included);
- inverts the alert score: ``expected + score × (bound − expected)``, and "an alert
  means above the bound";
- inverts G²: which hidden baseline count gives the published G².

The test fails if any hidden count comes back (only one value of 1-4 stays possible).
It also checks its own attacker: every true count must lie in the attacker's interval
(the relations are exact and the model of the method is right).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from trends_helpers import TINY_REPORT_CONFIG, tiny_form

from childx_research.report import ReportConfig, build_report
from childx_research.report import disclosure as dc
from childx_research.trends.terms import g2

D = getattr(dc, "MAX_PERTURBATION", 0)     # what the attacker knows of the method
BIG = 10 ** 9
NEW_WORD = "blixtapp"                     # an invented app name


def skewed_set():
    """60 contacts, 1 Sep 2023 – Sun 31 Mar 2024 (whole months), skewed in every field."""
    rng = np.random.default_rng(7)
    start, end = date(2023, 9, 1), date(2024, 3, 31)
    days = (end - start).days
    recs, convs = [], []
    for i in range(60):
        d = start + timedelta(days=int(days * i / 59))
        typ = ["natet"] if rng.random() < 0.8 else ["skolan"]
        if rng.random() < 0.15 and "skolan" not in typ:
            typ.append("skolan")
        if d >= date(2024, 3, 4):          # a sudden rise of a rare option: alerts on 1-4 a week
            typ.append("hemma")
        recs.append({"id": f"x{i:03d}",
                     "started_at": datetime.combine(d, time(10 + i % 8)).isoformat(timespec="minutes"),
                     "organisation": "org_a" if rng.random() < 0.83 else "org_b",
                     "form": {"grupp": ["yngre", "aldre", "okand"][int(rng.choice(3, p=[0.7, 0.25, 0.05]))],
                              "kon": "tjej" if rng.random() < 0.85 else "kille", "typ": typ, "not": ""}})
        word = (d >= date(2024, 2, 5) and i % 2 == 1) or i in (5, 20)   # 2 baseline contacts
        convs.append({"id": f"x{i:03d}", "messages": [
            {"role": "stodsokande", "text": "hej jag behöver prata" + (f" om {NEW_WORD}" if word else "")}]})
    return recs, convs


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    form = tiny_form()
    recs, convs = skewed_set()
    out = tmp_path_factory.mktemp("skev") / "rapport"
    cfg = ReportConfig(**{**TINY_REPORT_CONFIG, "time_series_fields": "all"})
    build_report(recs, form, out, conversations=convs, config=cfg)
    tables = {}
    for path in sorted((out / "figurer").glob("*.csv")):
        text = path.read_bytes().decode("utf-8-sig")
        tables[path.stem] = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    html = (out / "rapport.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "figurer.json").read_text(encoding="utf-8"))
    return form, recs, tables, html, manifest


# --- the attacker's reading of a published cell ---------------------------------------------------


def interval(text: str) -> tuple[int, int] | None:
    text = text.strip()
    if text == dc.SMALL:
        return (1, dc.MIN_COUNT - 1)
    if text.isdigit():
        p = int(text)
        return (0, 0) if p == 0 else (max(dc.MIN_COUNT, p - D), p + D)
    return None


def number(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


class Cells:
    """Published cells by identity; the same cell in two tables must read the same."""

    def __init__(self):
        self.text: dict[tuple, str] = {}

    def put(self, cell: tuple, text: str) -> None:
        old = self.text.setdefault(cell, text)
        assert old == text, f"the same count is published as {old!r} and {text!r}: {cell}"


def read_cells(form, tables, html) -> Cells:
    labels = {f.key: {f.label_of(o): o for o in f.option_keys} for f in form.choice_fields}
    c = Cells()
    period = "Månad"
    assert period in tables["kontakter_over_tid"][0], "the skewed set spans whole months"
    for r in tables["kontakter_over_tid"]:
        c.put(("T", r[period]), r["Antal kontakter"])
    for f in form.choice_fields:
        for name in (f"antal_{f.key}", f"andel_{f.key}"):
            for r in tables[name]:
                c.put(("F", f.key, labels[f.key][r["Alternativ"]], r[period]), r["Antal kontakter"])
                c.put(("T", r[period]), r["Kontakter totalt"])
    for r in tables["kontakter_per_organisation"]:
        c.put(("O", r["Organisation"], r[period]), r["Antal kontakter"])
    age, gender, typ = form.field("grupp"), form.field("kon"), form.field("typ")
    for r in tables["grupp_kon"]:
        c.put(("X", labels["grupp"][r[age.label]], labels["kon"][r[gender.label]]), r["Antal kontakter"])
    for r in tables["typ_per_organisation"]:
        c.put(("OT", labels["typ"][r[typ.label]], r["Organisation"]), r["Antal kontakter"])
        c.put(("G", r["Organisation"]), r["Kontakter i gruppen"])
    for r in tables["typ_per_grupp"]:
        c.put(("AT", labels["typ"][r[typ.label]], labels["grupp"][r[age.label]]), r["Antal kontakter"])
        c.put(("A", labels["grupp"][r[age.label]]), r["Kontakter i gruppen"])
    for r in tables["samforekomst_typ"]:
        i, j = labels["typ"][r[f"{typ.label} (rad)"]], labels["typ"][r[f"{typ.label} (kolumn)"]]
        c.put(("D", i) if i == j else ("C",) + tuple(sorted((i, j))), r["Antal kontakter med båda"])
    m = re.search(r"· (\S+) kontakter ·", html)
    c.put(("N",), m.group(1))
    return c


def relations(form, cells: Cells) -> list[tuple[tuple, list[tuple]]]:
    """(total, parts): every exact linear relation between the published cells."""
    months = sorted({k[1] for k in cells.text if k[0] == "T"})
    orgs = sorted({k[1] for k in cells.text if k[0] == "G"})
    ages, genders = form.field("grupp").option_keys, form.field("kon").option_keys
    typ = form.field("typ").option_keys
    rel = []
    for p in months:
        for key in ("grupp", "kon"):
            rel.append((("T", p), [("F", key, o, p) for o in form.field(key).option_keys]))
        rel.append((("T", p), [("O", g, p) for g in orgs]))
    rel += [(("N",), [("T", p) for p in months]), (("N",), [("G", g) for g in orgs]),
            (("N",), [("X", a, g) for a in ages for g in genders]), (("N",), [("A", a) for a in ages])]
    for a in ages:
        rel += [(("A", a), [("X", a, g) for g in genders]), (("A", a), [("F", "grupp", a, p) for p in months])]
    for g in genders:  # the gender margin is not published: an unknown the attacker solves for
        rel += [(("K", g), [("X", a, g) for a in ages]), (("K", g), [("F", "kon", g, p) for p in months])]
    for g in orgs:
        rel.append((("G", g), [("O", g, p) for p in months]))
    for o in typ:
        rel += [(("D", o), [("OT", o, g) for g in orgs]), (("D", o), [("AT", o, a) for a in ages]),
                (("D", o), [("F", "typ", o, p) for p in months])]
    return rel


def truth(form, recs) -> dict[tuple, int]:
    t: dict[tuple, int] = defaultdict(int)
    typ = form.field("typ").option_keys
    for r in recs:
        p = r["started_at"][:7] + "-01"
        org, v = r["organisation"], r["form"]
        a, g = v["grupp"], v["kon"]
        for cell in [("N",), ("T", p), ("O", org, p), ("G", org), ("X", a, g), ("A", a), ("K", g),
                     ("F", "grupp", a, p), ("F", "kon", g, p)]:
            t[cell] += 1
        for o in v["typ"]:
            for cell in [("D", o), ("OT", o, org), ("AT", o, a), ("F", "typ", o, p)]:
                t[cell] += 1
        for i, x in enumerate(typ):
            for y in typ[i + 1:]:
                if x in v["typ"] and y in v["typ"]:
                    t[("C",) + tuple(sorted((x, y)))] += 1
    return t


def propagate(cells: Cells, rel) -> dict[tuple, list[int]]:
    """Interval propagation over all relations until nothing narrows."""
    box: dict[tuple, list[int]] = {}
    for total, parts in rel:
        for cell in (total, *parts):
            iv = interval(cells.text[cell]) if cell in cells.text else None
            box.setdefault(cell, list(iv) if iv else [0, BIG])
    for _ in range(200):
        changed = False
        for total, parts in rel:
            lo = sum(box[p][0] for p in parts)
            hi = sum(box[p][1] for p in parts)
            t = box[total]
            new_t = [max(t[0], lo), min(t[1], hi)]
            for p in parts:
                b = box[p]
                nb = [max(b[0], t[0] - (hi - b[1])), min(b[1], t[1] - (lo - b[0]))]
                if nb != b:
                    box[p], changed = nb, True
            if new_t != t:
                box[total], changed = new_t, True
        if not changed:
            break
    return box


# --- the attacks ---------------------------------------------------------------------------------------


def test_subtraction_over_every_table_gives_no_hidden_count_back(attack):
    form, recs, tables, html, _ = attack
    cells = read_cells(form, tables, html)
    true = truth(form, recs)
    hidden = [k for k, v in cells.text.items() if v == dc.SMALL]
    assert len(hidden) >= 20, "the skewed set must have many hidden cells"
    box = propagate(cells, relations(form, cells))
    for cell, (lo, hi) in box.items():
        assert lo <= true.get(cell, 0) <= hi, f"the attacker model is wrong for {cell}"
    came_back = [c for c in hidden if c in box and box[c][0] == box[c][1]]
    assert not came_back, f"{len(came_back)} hidden counts come back by arithmetic, e.g. {came_back[:3]}"


def test_shares_give_back_nothing_but_the_published_counts(attack):
    form, recs, tables, _, _ = attack
    checked = 0
    for name, rows in tables.items():
        for r in rows:
            share = number(r.get("Andel (%)", ""))
            den = r.get("Kontakter totalt", r.get("Kontakter i gruppen"))
            if share is None or den is None:
                continue
            num, den = int(r["Antal kontakter"]), int(den)
            assert abs(share - 100 * num / den) < 0.051, (name, r)
            checked += 1
    assert checked > 20


def test_alert_rows_with_a_hidden_count_show_no_bound_and_no_score(attack):
    _, _, tables, _, _ = attack
    rows = [(name, r) for name in ("larm_over_tid", "aktuella_larm_tabell", "aktuella_larm")
            for r in tables.get(name, [])]
    count_col = {"aktuella_larm_tabell": "Antal kontakter senaste larmveckan"}
    hidden_alerts = 0
    for name, r in rows:
        n = r[count_col.get(name, "Antal kontakter")]
        e, u = number(r["Förväntat"]), number(r["Larmgräns"])
        s = number(r.get("Poäng", r.get("Högsta poäng", "")))
        if n == dc.SMALL:
            hidden_alerts += name != "aktuella_larm"
            assert u is None and s is None and e is None, (name, r)   # no inversion, no "above the bound"
        elif e is not None and u is not None and s is not None and name == "larm_over_tid":
            # the inversion gives back the published count, nothing more
            assert abs(e + s * max(u - e, 0.5) - int(n)) < 0.01 * max(u - e, 0.5) + 0.06, (name, r)
    assert hidden_alerts >= 1, "the skewed set must alarm on a small count"


def test_g2_gives_no_hidden_baseline_count_back(attack):
    _, _, tables, _, manifest = attack
    rows = tables["nya_ord"]
    caption = next(f["caption"] for f in manifest["figures"] if f["slug"] == "nya_ord")
    n_r, n_b = (int(x) for x in re.findall(r"\((\d+) kontakter\)", caption))
    seen_hidden = False
    for r in rows:
        if r["Kontakter jämförelseperioden"] != dc.SMALL:
            continue
        seen_hidden = True
        a, shown = int(r["Kontakter senaste veckorna"]), number(r["G2"])
        if shown is None:
            continue
        # which hidden count fits the published G² (the attacker may even know a and the windows)
        fits = [c for c in range(1, dc.MIN_COUNT)
                for aa in range(a - D, a + D + 1) for nr in range(n_r - D, n_r + D + 1)
                for nb in range(n_b - D, n_b + D + 1)
                if 0 < aa <= nr and c <= nb and abs(g2(aa, nr - aa, c, nb - c) - shown) < 0.05]
        assert len(set(fits)) > 1, f"G² {shown} gives the hidden baseline count back"
    assert seen_hidden, f"the skewed set must hide a baseline count of {NEW_WORD!r}"
