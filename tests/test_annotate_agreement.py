"""Agreement, lead times and missed personal data on hand-made annotations with known answers."""

from __future__ import annotations

import math

import pytest

from childx_research.annotate.agreement import (anonymisation_failures, disagreements, field_agreement,
                                                krippendorff_alpha, lead_time_per_task, lead_times)
from childx_research.annotate.results import AnnotationRecord, MissedSpan


def test_alpha_by_hand():
    # two annotators, four conversations: a/a, a/b, b/b, b/b.
    # coincidences: o_aa = 2, o_ab = o_ba = 1, o_bb = 4; n_a = 3, n_b = 5, n = 8
    # D_o = 2/8, D_e = 2·3·5 / (8·7) = 30/56, alpha = 1 - (1/4)/(30/56) = 1 - 7/15 = 8/15
    assert krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]) == pytest.approx(8 / 15)
    assert krippendorff_alpha([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    # perfect disagreement on two values: D_o = 1, D_e = 2·2·2/(4·3) = 2/3 -> alpha = -1/2
    assert krippendorff_alpha([["a", "b"], ["a", "b"]]) == pytest.approx(-0.5)
    # undefined without variation or without a unit coded twice
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None
    assert krippendorff_alpha([["a"], ["b"]]) is None


def test_alpha_with_three_annotators_and_a_missing_value():
    # units: (a,a,b), (b,b), (a,a,a) -> coincidences per unit weighted 1/(m-1):
    # unit 1: o_aa += 2·1/2 = 1, o_ab += 2·1/2 = 1, o_ba += 1 ; unit 2: o_bb += 2 ; unit 3: o_aa += 6/2 = 3
    # o_aa = 4, o_ab = o_ba = 1, o_bb = 2 ; n_a = 5, n_b = 3, n = 8
    # D_o = 2/8, D_e = 2·5·3/(8·7) = 30/56 -> alpha = 1 - (1/4)(56/30) = 8/15
    assert krippendorff_alpha([["a", "a", "b"], ["b", "b"], ["a", "a", "a"]]) == pytest.approx(8 / 15)


def _rec(cid, ann_id, who, values, lead=None, missed=(), **kw):
    return AnnotationRecord(id=cid, task_id=int(cid[-1]), annotation_id=ann_id, annotator=who, form=values,
                            complete=kw.pop("complete", True), lead_time=lead, missed_pii=list(missed),
                            updated_at=f"2025-01-0{ann_id}", **kw)


@pytest.fixture()
def known_case():
    # four conversations, each annotated by annotators 1 and 2; conversation 5 only by 1;
    # one skipped annotation that must count for nothing
    f = lambda k, b: {"kanal_fragan": k, "behov": b}  # noqa: E731
    return [
        _rec("c-1", 1, 1, f("natet", ["prata"]), lead=30), _rec("c-1", 2, 2, f("natet", ["prata"]), lead=50),
        _rec("c-2", 3, 1, f("natet", ["prata", "rad"]), lead=40), _rec("c-2", 4, 2, f("hemma", ["prata"]), lead=60),
        _rec("c-3", 5, 1, f("hemma", ["rad"]), missed=[MissedSpan(message=1, end_message=1, start=0, end=5,
                                                                  type="TELEFON")]),
        _rec("c-3", 6, 2, f("hemma", ["rad"])),
        _rec("c-4", 7, 1, f("hemma", ["skydd"])), _rec("c-4", 8, 2, f("hemma", ["skydd"])),
        _rec("c-5", 9, 1, f("skolan", ["inget"])),
        _rec("c-4", 9, 3, {}, was_cancelled=True, complete=False),
    ]


def test_field_agreement_on_a_known_case(known_case, mini_form):
    df = field_agreement(known_case, mini_form).set_index(["fält", "alternativ"])
    # kanal_fragan over c-1..c-4: (natet,natet) (natet,hemma) (hemma,hemma) (hemma,hemma) = a/a a/b b/b b/b
    assert df.loc[("kanal_fragan", ""), "alpha"] == pytest.approx(8 / 15)
    assert df.loc[("kanal_fragan", ""), "andel_lika"] == pytest.approx(3 / 4)
    assert df.loc[("kanal_fragan", ""), "uppgifter"] == 4 and df.loc[("kanal_fragan", ""), "annoteringar"] == 8
    # behov/prata: (1,1) (1,1) (0,0) (0,0) -> perfect; behov/rad: (0,0) (1,0) (1,1) (0,0) -> 8/15 again
    assert df.loc[("behov", "prata"), "alpha"] == pytest.approx(1.0)
    assert df.loc[("behov", "rad"), "alpha"] == pytest.approx(8 / 15)
    # behov/inget never chosen on a doubly annotated conversation: undefined
    assert math.isnan(df.loc[("behov", "inget"), "alpha"])
    assert df.loc[("behov", "inget"), "andel_lika"] == 1.0


def test_disagreements_lead_times_and_failures(known_case, mini_form):
    dis = disagreements(known_case, mini_form)
    assert sorted(map(tuple, dis[["id", "fält"]].values)) == [("c-2", "behov"), ("c-2", "kanal_fragan")]
    lt = lead_times(known_case)
    assert len(lt) == len(known_case)
    per_task = lead_time_per_task(known_case).set_index("id")
    assert per_task.loc["c-1", "sekunder_totalt"] == 80 and per_task.loc["c-2", "sekunder_median"] == 50
    fail = anonymisation_failures(known_case)
    assert fail[["id", "typ", "meddelande"]].values.tolist() == [["c-3", "TELEFON", 1]]
