"""The report: figures in PNG and SVG with Swedish text, disclosure control, one HTML file."""

from __future__ import annotations

import csv
import io
import json
import re
from html import escape
from datetime import timedelta

import numpy as np
import pytest
from trends_helpers import TINY_REPORT_CONFIG, record, records_from_weekly, tiny_form

from childx_research.errors import InputError
from childx_research.report import ReportConfig, build_report, load_report_config
from childx_research.report import disclosure as dc
from childx_research.trends import analyse
from childx_research.trends.synthetic import Injection, synthetic_records

SWEDISH = re.compile(r"[åäöÅÄÖ]|Vecka|Månad|Antal|Andel")


def _report_inputs():
    form = tiny_form()
    recs = synthetic_records(form, n_weeks=130, per_week=18, seed=3,
                             injections={("typ", "hemma"): [Injection("outbreak", 126, 129, 3.5)]},
                             organisations=("org_a", "org_b", "org_c"))
    # a rare combination so that some cells are 1-4
    convs = [{"id": r["id"], "started_at": r["started_at"],
              "messages": [{"role": "stodsokande", "text": "hej jag behöver hjälp" +
                            (" han vill ses på zingr" if i % 4 == 0 and r["started_at"] >= "2024-06" else "")}]}
             for i, r in enumerate(recs)]
    return form, recs, convs


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One report on a tiny form: ~2.5 years, a spike in the last weeks, small cells."""
    form, recs, convs = _report_inputs()
    out = tmp_path_factory.mktemp("rapport")
    html = build_report(recs, form, out, conversations=convs, config=ReportConfig(**TINY_REPORT_CONFIG))
    return out, html, json.loads((out / "figurer.json").read_text(encoding="utf-8"))


def test_every_figure_exists_in_png_and_svg_with_swedish_text(built):
    out, _, manifest = built
    figs = manifest["figures"]
    slugs = {f["slug"] for f in figs}
    assert {"kontakter_over_tid", "antal_typ", "andel_typ", "grupp_kon", "typ_per_grupp", "samforekomst_typ",
            "kontakter_per_organisation", "typ_per_organisation", "larm_over_tid", "aktuella_larm"} <= slugs
    for f in figs:
        png, svg = out / f["png"], out / f["svg"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        text = svg.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert SWEDISH.search(f["title"]) or SWEDISH.search(f["caption"])
        assert SWEDISH.search(text), f["slug"]
        assert "Källa:" in text and "Period:" in text        # source and period line
        assert f["title"].split(":")[0] in text             # the title is in the image
    # 300 dpi: a 16 cm wide figure is about 1890 pixels wide
    import struct
    w = struct.unpack(">I", (out / figs[0]["png"]).read_bytes()[16:20])[0]
    assert 1800 < w < 1960


def test_no_exported_cell_holds_a_count_between_1_and_4(built):
    out, _, _ = built
    csvs = sorted((out / "figurer").glob("*.csv"))
    assert len(csvs) >= 10
    seen_small = False
    for path in csvs:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name           # UTF-8 with BOM for Excel
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        header = rows[0]
        assert all(re.search(r"[a-zåäö]", h, re.I) for h in header)
        for row in rows[1:]:
            for cell in row:
                assert cell.strip() not in {"1", "2", "3", "4"}, (path.name, row)
                seen_small |= cell == dc.SMALL
    assert seen_small, "the test data should have produced some suppressed cells"
    assert "Antal kontakter" in open(out / "figurer" / "antal_typ.csv", encoding="utf-8-sig").readline()


def test_html_is_self_contained(built):
    out, html, manifest = built
    text = html.read_text(encoding="utf-8")
    assert text.count("<figure") == len(manifest["figures"])
    assert text.count('src="data:image/svg+xml;base64,') == len(manifest["figures"])
    assert not re.search(r'src="(?!data:)', text)
    assert "<script" not in text and "<link" not in text and "@import" not in text and "url(" not in text
    assert "Aktuella larm" in text and "Figur 1." in text and escape(dc.EXPLANATION_SV) in text


def test_current_alert_is_listed_with_suppressed_counts(built):
    out, html, _ = built
    table = (out / "figurer" / "aktuella_larm_tabell.csv").read_text(encoding="utf-8-sig")
    assert "Hemma" in table and "Plötslig ökning" in table
    # one row per alert episode, not per week: the spike alarms several weeks running
    rows = list(csv.DictReader(io.StringIO(table), delimiter=";" if ";" in table.splitlines()[0] else ","))
    hemma = [r for r in rows if r["Alternativ"] == "Hemma"]
    assert len(hemma) == 1 and re.fullmatch(r"\d+ av \d+", hemma[0]["Veckor med larm"])
    assert hemma[0]["Första larmvecka"] <= hemma[0]["Senaste larmvecka"]


def test_disclosure_rules():
    assert [dc.table_count(n) for n in (0, 1, 4, 5, 123)] == ["0", "<5", "<5", "5", "123"]
    assert np.isnan(dc.plot_counts([0, 3, 7])).tolist() == [False, True, False]
    sh = dc.shares([5, 5, 3, 0], [9, 10, 50, 50])
    assert np.isnan(sh[0]) and sh[1] == 50 and np.isnan(sh[2]) and sh[3] == 0
    assert dc.table_share(np.nan) == ".." and dc.table_share(12.345) == "12,3"
    import pandas as pd
    with pytest.raises(dc.DisclosureBug):
        dc.check_table(dc.with_counts(pd.DataFrame({"Antal": ["<5", 3]}), ["Antal"]), "t")
    # a label column is not a count: an organisation coded "1" is fine
    dc.check_table(dc.with_counts(pd.DataFrame({"Organisation": ["1", "2"], "Antal": ["<5", "7"]}), ["Antal"]),
                   "t")


def test_cell_key_perturbation_is_consistent_and_never_small():
    rk = dc.record_keys([f"k{i}" for i in range(400)])
    assert rk.min() >= 0 and rk.max() < 2 ** 32
    idx = np.arange(400) % 40                      # 40 cells of 10 contacts
    n, k = dc.grouped(idx, 40, rk)
    pub = dc.publish(n, k)
    assert (n == 10).all() and np.isfinite(pub).all() and (pub >= dc.MIN_COUNT).all()
    assert (np.abs(pub - n) <= dc.MAX_PERTURBATION).all() and (pub != n).any()
    # the same contacts give the same number, whatever table they are in
    again = dc.publish([10], [dc.key_of(idx == 3, rk)])[0]
    assert again == pub[3] == dc.publish([10], [dc.key_of_ids([f"k{i}" for i in range(3, 400, 40)])])[0]
    # zeros stay zero, 1-4 are hidden, 5 and more never come out below 5
    small = dc.publish([0, 1, 4, 5, 6, 1000], [123, 456, 789, 2 ** 31, 7, 99])
    assert small[0] == 0 and np.isnan(small[1:3]).all() and (small[3:] >= 5).all()
    # the p-table is symmetric and sums to one
    assert abs(sum(p for _, p in dc.PTABLE) - 1) < 1e-12
    assert all(p == q for (_, p), (_, q) in zip(dc.PTABLE, reversed(dc.PTABLE)))


def test_config_comes_from_yaml_and_is_checked(tmp_path, form):
    cfg = load_report_config(form)
    assert (cfg.roles.age, cfg.roles.gender, cfg.roles.exploitation) == ("alder", "kon", "utsatthet")
    bad = tmp_path / "bad.yaml"
    bad.write_text("roles:\n  age: finns_inte\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_report_config(form, bad)
    assert "roles.age" in str(err.value) and "finns_inte" in str(err.value)
    # a form without a config file: defaults, no age/gender figures
    assert load_report_config(tiny_form()).roles.age is None


def test_published_terms_count_the_same_contacts_as_the_detector():
    from childx_research.report.build import publish_terms
    from childx_research.trends import emerging_terms
    from childx_research.trends.terms import TermParams

    form = tiny_form()
    recs = synthetic_records(form, n_weeks=70, per_week=12, seed=5)
    convs = [{"id": r["id"], "messages": [{"role": "stodsokande", "text": "hej" + (
        " vi pratar på kvittra" if i % 3 == 0 and r["started_at"] >= "2023-03-20" else "") + (
        " om kvittra" if i % 25 == 0 else "")}]} for i, r in enumerate(recs)]
    dates = {r["id"]: r["started_at"] for r in recs}
    params = TermParams(recent_weeks=8)
    terms = emerging_terms(convs, params=params, dates=dates)
    assert "kvittra" in set(terms.term)
    pub = publish_terms(terms, convs, dates, params)
    for col in ("contacts_recent", "contacts_baseline"):
        true, shown = terms[col].to_numpy(), pub[col].to_numpy()
        assert (np.isnan(shown) == dc.is_small(true)).all()
        ok = ~np.isnan(shown)
        assert (np.abs(shown[ok] - true[ok]) <= dc.MAX_PERTURBATION).all()
    for attr in ("contacts_recent", "contacts_baseline"):
        assert abs(pub.attrs[attr] - terms.attrs[attr]) <= dc.MAX_PERTURBATION
    hidden = np.isnan(pub.contacts_baseline.to_numpy())
    assert np.isnan(pub.g2.to_numpy()[hidden]).all() and np.isfinite(pub.g2.to_numpy()[~hidden]).all()


def test_figures_drawn_on_several_cores_are_those_drawn_one_by_one(built, tmp_path, monkeypatch):
    """The report draws its figures in forked processes where there are cores: the figures,
    their order and every PNG and table are byte for byte those of a run on one core."""
    import childx_research.report.build as build

    out, _, manifest = built
    form, recs, convs = _report_inputs()
    jobs = {}
    for n in (1, 2):
        monkeypatch.setattr(build, "default_jobs", lambda n=n: n)
        one = tmp_path / f"jobs{n}"
        build_report(recs, form, one, conversations=convs, config=ReportConfig(**TINY_REPORT_CONFIG))
        jobs[n] = one
    m1 = json.loads((jobs[1] / "figurer.json").read_text(encoding="utf-8"))
    m2 = json.loads((jobs[2] / "figurer.json").read_text(encoding="utf-8"))
    assert m1 == m2 and [f["slug"] for f in m1["figures"]] == [f["slug"] for f in manifest["figures"]]
    for f in m1["figures"]:
        for kind in ("png", "csv"):
            assert (jobs[1] / f[kind]).read_bytes() == (jobs[2] / f[kind]).read_bytes(), (f["slug"], kind)
