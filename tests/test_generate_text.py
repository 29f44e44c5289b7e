"""Generated text never shows template syntax: every slot is filled, also inside alternatives."""

from __future__ import annotations

import re
from random import Random

from childx_research.generate import generate_contacts
from childx_research.generate.templates import Segment, render, slots_of

TEMPLATE_SYNTAX = re.compile(r"[{}\[\]]")


def test_slots_inside_alternatives_are_filled():
    fill = lambda name: Segment(f"<{name}>", label="X" if name == "ort" else None)  # noqa: E731
    seen = set()
    for seed in range(20):
        segs = render("han ger mig [pengar|{gava}] i {ort}", Random(seed), fill)[0]
        text = "".join(s.text for s in segs)
        assert "{" not in text
        seen.add(text)
        assert any(s.label == "X" and s.text == "<ort>" for s in segs)
    assert seen == {"han ger mig pengar i <ort>", "han ger mig <gava> i <ort>"}
    assert slots_of("[a|{gava}] {ort}") == {"gava", "ort"}


def test_no_template_syntax_in_generated_messages():
    gen = generate_contacts(1500, seed=5)
    bad = [(c.id, m.text) for c in gen.contacts for m in c.messages if TEMPLATE_SYNTAX.search(m.text)]
    assert not bad, bad[:3]
