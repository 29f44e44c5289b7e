"""The evidence layer: cues with ConText/NegEx-style assertion status, per rule family.

Sentences here are written for the tests (how Swedish young people write), never taken
from the development sets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from childx_research.errors import InputError
from childx_research.evidence import evidence_path, load_finder, load_rules
from childx_research.forms import FORMS_DIR, load_form
from childx_research.records import Conversation, Message

FORM = load_form()
FINDER = load_finder(FORM)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")


def conv(*messages, started="2024-03-01T10:00"):
    msgs = [Message(role="stodsokande", text=m) if isinstance(m, str) else Message(role=m[0], text=m[1])
            for m in messages]
    return Conversation(id="t", started_at=started, messages=msgs)


def found(*messages, **kw):
    return FINDER.find([conv(*messages, **kw)])[0]


def options(f, field):
    return {e.option for e in f.counted(field)}


def test_every_item_is_an_exact_substring_of_its_message():
    c = conv("hej. jag e 15 o går i nian", ("stodperson", "Hur gammal är du?"), "16", "mamma vet inget")
    for items in FINDER.find([c])[0].items.values():
        for e in items:
            assert c.messages[e.message].text[e.start:e.end] == e.text


# --- ages -----------------------------------------------------------------------------------
def test_age_positive_and_derived():
    assert options(found("jag e 13 år"), "alder") == {"13_15"}
    assert options(found("jag fyller 18 nästa vecka"), "alder") == {"16_17"}
    assert options(found("jag är född 2001", started="2024-09-01T10:00"), "alder") == {"18_25"}
    assert options(found("jag går i femman"), "alder") == {"under_13"}
    assert options(found("jag pluggar på universitetet"), "alder") == {"18_25"}
    assert options(found("jag är en man på 40 år"), "alder") == {"over_25"}


def test_age_answering_the_worker():
    f = found(("stodperson", "Hur gammal är du?"), "fjorton")
    assert options(f, "alder") == {"13_15"} and f.counted("alder")[0].source == "answer"
    # a question about someone else is not the help-seeker's age
    assert options(found(("stodperson", "Hur gammal är killen?"), "20"), "alder") == set()


def test_age_of_someone_else_is_not_the_help_seekers():
    f = found("min kille är 19 och jag är 14")
    assert options(f, "alder") == {"13_15"}


def test_age_historical_does_not_count():
    f = found("det började när jag var 11")
    assert options(f, "alder") == set()


# --- gender ---------------------------------------------------------------------------------
def test_gender_positive_negated_other():
    assert options(found("jag är kille"), "kon") == {"kille"}
    assert options(found("jag är ickebinär"), "kon") == {"ickebinar"}
    assert options(found("jag är inte tjej"), "kon") == set()                     # negated
    f = found("jag är inte kille")
    assert all(not e.counts for e in f.items.get("kon", []))


# --- told -----------------------------------------------------------------------------------
def test_told_positive_negated_and_nobody():
    assert options(found("jag har berättat för min mamma"), "berattat_for") == {"foralder"}
    assert options(found("jag har inte berättat för mamma"), "berattat_for") == set()
    assert options(found("pappa vet inte om det"), "berattat_for") == set()
    assert options(found("ingen vet om det här"), "berattat_for") == {"ingen"}
    assert options(found(("stodperson", "Har du berättat för någon?"), "nej"), "berattat_for") == {"ingen"}


def test_told_hypothetical_does_not_count():
    f = found("om jag berättar för mamma blir hon arg")
    assert options(f, "berattat_for") == set()


# --- police report --------------------------------------------------------------------------
def test_police_report_done_not_done_considering():
    assert options(found("vi har polisanmält det"), "polisanmalan") == {"ja"}
    assert options(found("jag har inte anmält"), "polisanmalan") == {"nej"}
    assert options(found("jag funderar på att anmäla honom"), "polisanmalan") == {"overvager"}
    # considering is said hypothetically and still counts; a hypothetical report does not
    assert options(found("undrar om jag ska anmäla"), "polisanmalan") == {"overvager"}
    assert "ja" not in options(found("om jag skulle anmält honom hade det blivit värre"), "polisanmalan")


# --- ongoing --------------------------------------------------------------------------------
def test_ongoing_or_over():
    assert options(found("han skickar fortfarande grejer"), "pagaende") == {"ja"}
    assert options(found("det hände i somras men det är över nu"), "pagaende") == {"nej"}


# --- wellbeing and acute risk ---------------------------------------------------------------
def test_wellbeing_other_person():
    f = found("min syster mår dåligt")
    assert options(f, "maende") == set() and f.items["maende"][0].status == ("other",)
    assert options(found("jag mår så dåligt"), "maende") == {"nedstamdhet"}


def test_acute_risk_needs_danger_not_words():
    assert options(found("jag har ingenstans att sova ikväll"), "akut_risk") == {"ja"}
    assert options(found("ikväll ska jag vara ensam hemma och kolla på film"), "akut_risk") == set()
    assert options(found("jag tänker inte ta livet av mig"), "akut_risk") == set()


def test_acute_risk_kinds_positive_negated_other_hypothetical_historical():
    acute = ["jag vill försvinna inatt", "han väntar på mig utanför porten", "jag sitter på bussen till honom",
             "jag har ingenstans att gå", "pappa har slängt ut mig", "dom släpper inte ut mig",
             "jag står på bron", "jag har lovat att komma till honom"]
    for text in acute:
        assert options(found(text), "akut_risk") == {"ja"}, text
    assert options(found("han har aldrig slängt ut mig"), "akut_risk") == set()                 # negated
    assert options(found("min kompis har ingenstans att gå"), "akut_risk") == set()      # someone else
    assert options(found("om han väntar på mig utanför, vad gör jag då?"), "akut_risk") == set()  # hypothetical
    assert options(found("när jag var 14 sov jag ute en hel vinter"), "akut_risk") == set()     # historical
    assert options(found("vi satt på bussen till skolan"), "akut_risk") == set()                # no danger
    assert options(found("mamma säger att jag inte får gå ut efter tio"), "akut_risk") == set()  # a curfew


def test_referral_reads_the_worker():
    f = found(("stodperson", "Du kan alltid ringa 112 om det blir farligt."), "ok")
    assert options(f, "hanvisning") == {"akut_112"}
    assert options(found("jag ringde 112"), "hanvisning") == set()   # the help-seeker's words


# --- the file -------------------------------------------------------------------------------
def test_the_file_is_validated(tmp_path):
    text = evidence_path(FORMS_DIR / "stodklustret-v1.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "x.evidence.yaml"
    bad.write_text(text.replace("  window: 6", "  windw: 6"), encoding="utf-8")
    with pytest.raises(InputError, match="unknown key"):
        load_rules(bad, FORM)
    bad.write_text(text.replace("      tjej:\n", "      tjejj:\n", 1), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_rules(bad, FORM)
    assert exc.value.key == "fields.kon.options.tjejj"
    assert load_finder(load_form(FORMS_DIR / "exempel-mini.yaml"), FORMS_DIR / "exempel-mini.yaml") is None


def _ngrams(words, n):
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.skipif(not (SHARED / "dev-conversations-2.jsonl").exists(), reason="the dev sets (../shared) are absent")
def test_no_dev_set_phrase_in_the_cues():
    """No pattern (with its alternatives expanded) is a 5-word n-gram of a dev-set message.
    (Four-word overlaps exist, all ordinary Swedish written independently: "funderar på att
    anmäla", "när jag gick i".)"""
    import itertools
    import json

    dev: set[str] = set()
    for name in ("dev-conversations.jsonl", "dev-conversations-2.jsonl"):
        p = SHARED / name
        if p.exists():
            for line in p.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    for m in json.loads(line)["messages"]:
                        dev |= _ngrams(re.findall(r"\w+", m["text"].lower()), 5)
    rules = load_rules(evidence_path(FORMS_DIR / "stodklustret-v1.yaml"), FORM)
    from childx_research.evidence.rules import _all_patterns

    hits = []
    for where, pat in _all_patterns(rules):
        toks = [t.rstrip("?").split("|") for t in pat.lower().split()]
        if len(toks) < 5 or any(a.startswith("<") or a.endswith("*") or a == "_" for t in toks for a in t):
            continue
        for combo in itertools.islice(itertools.product(*toks), 2000):
            if " ".join(combo) in dev:
                hits.append(where)
                break
    assert hits == [], hits
