from __future__ import annotations

import re
from pathlib import Path

import pytest

from childx_research.errors import InputError
from childx_research.forms import FORMS_DIR, load_form

ROOT = Path(__file__).resolve().parents[1]


def _spec_table() -> dict[str, tuple[str, str, dict[str, str]]]:
    """Parse the form table of form.md as written in the spec (kept in sync by hand here)."""
    spec = ROOT.parent / "shared" / "spec" / "form.md"
    if not spec.exists():
        pytest.skip("shared/spec not beside this checkout")
    rows = {}
    for line in spec.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `(\w+)` \| (.+?) \| (single|multi|text) \| (.*) \|$", line)
        if not m:
            continue
        key, label, kind, opts = m.groups()
        options = dict(re.findall(r"`(\w+)` = ([^·]+?)(?: ·|$)", opts))
        rows[key] = (label, kind, {k: v.strip() for k, v in options.items()})
    return rows


def test_default_form_matches_spec(form):
    spec = _spec_table()
    assert list(spec) == form.keys
    for f in form.fields:
        label, kind, options = spec[f.key]
        assert f.label == label
        assert f.kind == kind
        assert {o.key: o.label for o in f.options} == options
        assert f.guideline, f"field {f.key} has no guideline"
        for o in f.options:
            assert o.guideline, f"option {f.key}.{o.key} has no guideline"


def test_default_form_derived_views(form):
    assert [f.key for f in form.single_fields] == ["alder", "kon", "pagaende", "polisanmalan", "akut_risk"]
    assert [f.key for f in form.text_fields] == ["sammanfattning"]
    assert form.field("forovare").exclusive_keys == {"ej_angivet"}
    assert form.field("berattat_for").exclusive_keys == {"ingen", "ej_angivet"}
    assert form.field("alder").label_of("13_15") == "13–15 år"


def test_check_values(form):
    good = {"alder": "13_15", "kon": "tjej", "utsatthet": ["sextortion", "grooming"], "forovare": ["natkontakt"],
            "pagaende": "ja", "berattat_for": ["ingen"], "polisanmalan": "ej_angivet", "maende": ["angest"],
            "akut_risk": "nej", "hanvisning": ["polis"], "sammanfattning": "x"}
    assert form.check_values(good) == []
    assert form.check_values({**good, "alder": "14"})[0][0] == "alder"
    assert "not one of the form's options" in form.check_values({**good, "utsatthet": ["pengar"]})[0][1]
    assert "pengar" not in form.check_values({**good, "utsatthet": ["pengar"]})[0][1]
    assert form.check_values({**good, "kon": ["tjej"]})[0] == ("kon", "must be one option key (a string), got list")
    assert "cannot be combined" in form.check_values({**good, "berattat_for": ["ingen", "van"]})[0][1]
    assert form.check_values({**good, "maende": []})[0] == ("maende", "must hold at least one option")
    missing = dict(good)
    del missing["akut_risk"]
    assert form.check_values(missing) == [("akut_risk", "missing key")]
    [(key, problem)] = form.check_values({**good, "extra": 1})
    assert key == "" and "not one of the fields of form 'stodklustret-v1'" in problem and "extra" not in problem


def test_mini_form_loads(mini_form):
    assert mini_form.keys == ["kanal_fragan", "behov", "anteckning"]
    assert mini_form.field("behov").exclusive_keys == {"inget"}


@pytest.mark.parametrize("broken, needle", [
    ("id: x\ntitle: y\nfields:\n  - {key: a, label: A, kind: single, options: [{key: b, label: B}]}\n", "at least two options"),
    ("id: x\ntitle: y\nfields:\n  - {key: a, label: A, kind: nope}\n", "fields[a].kind"),
    ("id: x\ntitle: y\nfields:\n  - {key: a, label: A, kind: text}\n  - {key: a, label: B, kind: text}\n", "duplicate field keys"),
    ("id: x\ntitle: [\n", "invalid YAML"),
])
def test_broken_form_gives_one_line_error(tmp_path, broken, needle):
    p = tmp_path / "form.yaml"
    p.write_text(broken, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_form(p)
    msg = str(exc.value)
    assert needle in msg and str(p) in msg and "\n" not in msg


def test_missing_form_file():
    with pytest.raises(InputError, match="form file not found"):
        load_form(FORMS_DIR / "finns-inte.yaml")
