"""Turn a :class:`Story` (the gold form and how to tell it) into chat or mail messages.

The help-seeker's side is built from independent phrase units per option (never one
template with slots), ordered like real contacts: a hesitant opening, small talk,
late or partial disclosure, denials of things that did not happen; the worker's side
follows good practice: open questions, validation, safety checks when risk appears, and
the referrals the gold `hanvisning` names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import Any

from . import register as reg
from .labels import Story
from .pii import PII_SLOTS, PiiFactory
from .templates import Segment, render

MIN_CHAT, MAX_CHAT = 6, 40
UNKNOWN = {"okand", "okant", "ej_angivet", "oklart"}
_SELF_NAME = re.compile(r"(jag heter|ja heter|heter jag|mitt namn (är|e)|jag e|jag är)\s*\{(namn|namn_k|namn_t|fullnamn)\}",
                        re.IGNORECASE)
_CLASS_BY_AGE = {10: "fyran", 11: "femman", 12: "sexan", 13: "sjuan", 14: "åttan", 15: "nian",
                 16: "ettan på gymnasiet", 17: "tvåan på gymnasiet", 18: "trean på gymnasiet"}
AGE_RANGES = {"under_13": (10, 12), "13_15": (13, 15), "16_17": (16, 17), "18_25": (18, 25), "over_25": (26, 45)}


class _Skip(Exception):
    """A phrase does not fit this contact (e.g. names the age when age is unknown)."""


@dataclass
class Turn:
    role: str
    segments: list[Segment]


class Writer:
    def __init__(self, story: Story, bank: dict[str, Any], rng: Random, day: date,
                 term_trends: list[dict[str, Any]], labels_cfg: dict[str, Any]):
        self.s = story
        self.bank = bank
        self.S, self.W, self.M, self.E = bank["stodsokande"], bank["stodperson"], bank["mejl"], bank["engine"]
        self.labels_cfg = labels_cfg
        self.rng = rng
        g = story.gold
        self.age = rng.randint(*AGE_RANGES[g["alder"]]) if g["alder"] in AGE_RANGES else None
        gender = {"tjej": "female", "kille": "male"}.get(g["kon"])
        self.pii = PiiFactory(rng, year=day.year, seeker_age=self.age or rng.randint(14, 30), seeker_gender=gender)
        ctx = self.E["context"]
        app = rng.choice(ctx["app"])
        for t in term_trends:
            if day >= t["start"] and rng.random() < t["share"]:
                app = t["term"]
        self.context = {
            "app": app, "summa": rng.choice(ctx["summa"]), "gava": rng.choice(ctx["gava"]),
            "tid": rng.choice(ctx["tid"]), "p_alder": rng.choice(ctx["p_alder"]),
        }
        if story.channel == "mejl":
            name = "formell" if rng.random() < 0.6 else "vardaglig"
        elif self.age is not None and self.age >= 18:
            name = rng.choice(("vardaglig", "vardaglig", "ung_chatt", "formell"))
        else:
            name = "ung_chatt" if rng.random() < 0.8 else "vardaglig"
        self.register = reg.REGISTERS[name]
        self._self_name_slot = False

    # --- rendering ----------------------------------------------------------------------
    def _fill(self, slot: str) -> Segment:
        if slot in PII_SLOTS:
            if self._self_name_slot and slot in ("namn", "namn_k", "namn_t", "fullnamn"):
                self._self_name_slot = False
                name = self.pii.seeker_name()
                if slot == "fullnamn":
                    name = f"{name} {self.pii._cast['seeker'][1]}"
                return Segment(name, "PERSON")
            return self.pii.segment(slot)
        if slot == "alder_tal":
            if self.age is None:
                raise _Skip
            return Segment(str(self.age))
        if slot == "klass":
            if self.age not in _CLASS_BY_AGE:
                raise _Skip
            return Segment(_CLASS_BY_AGE[self.age])
        return Segment(self.context[slot])

    def _render_one(self, template: str) -> list[list[Segment]]:
        m = _SELF_NAME.search(template)
        if m:
            slot = m.group(3)
            kon = self.s.gold["kon"]
            if kon not in ("tjej", "kille") or (slot == "namn_t" and kon != "tjej") or (slot == "namn_k" and kon != "kille"):
                raise _Skip
            self._self_name_slot = True
        try:
            return render(template, self.rng, self._fill)
        finally:
            self._self_name_slot = False

    def phrase(self, templates: list[str], tries: int = 12) -> list[list[Segment]]:
        """Render one phrase drawn from ``templates`` that fits this contact."""
        if not templates:
            return []
        for _ in range(tries):
            try:
                return self._render_one(self.rng.choice(templates))
            except _Skip:
                continue
        return []

    def seeker(self, templates: list[str]) -> list[Turn]:
        msgs = self.phrase(templates)
        msgs = reg.apply(msgs, self.register, self.rng)
        return [Turn("stodsokande", m) for m in msgs if m]

    def worker(self, templates: list[str]) -> list[Turn]:
        return [Turn("stodperson", m) for m in self.phrase(templates) if m]

    # --- the story's units ----------------------------------------------------------------
    def _option_units(self) -> tuple[list[list[Turn]], list[list[Turn]]]:
        """(core units: who did what; other units: cues for the remaining fields)."""
        g, S, W = self.s.gold, self.S["options"], self.W
        core: list[list[Turn]] = []
        for o in g["forovare"]:
            if o not in UNKNOWN:
                core.append(self.seeker(S["forovare"][o]))
        for o in g["utsatthet"]:
            core.append(self.seeker(S["utsatthet"][o]))
        if len(core) > 1 and self.rng.random() < 0.5:
            self.rng.shuffle(core)
        other: list[list[Turn]] = []
        # age: volunteered, or asked by the worker
        if g["alder"] not in UNKNOWN:
            unit = self.seeker(S["alder"][g["alder"]])
            if self.rng.random() < 0.5:
                unit = self.worker(W["ask"]["alder"]) + unit
            other.append(unit)
        elif self.rng.random() < 0.3:
            other.append(self.worker(W["ask"]["alder"]) + self.seeker(self.E["deflections"]["alder"]))
        if g["kon"] not in UNKNOWN:
            other.append(self.seeker(S["kon"][g["kon"]]))
        if g["pagaende"] not in UNKNOWN:
            unit = self.seeker(S["pagaende"][g["pagaende"]])
            if self.rng.random() < 0.3:
                unit = self.worker(W["ask"]["pagaende"]) + unit
            other.append(unit)
        told = [o for o in g["berattat_for"] if o not in UNKNOWN]
        if told:
            unit = [t for o in told for t in self.seeker(S["berattat_for"][o])]
            if self.rng.random() < 0.6:
                unit = self.worker(W["ask"]["berattat_for"]) + unit
            other.append(unit)
        if g["polisanmalan"] not in UNKNOWN:
            unit = self.seeker(S["polisanmalan"][g["polisanmalan"]])
            if self.rng.random() < 0.4:
                unit = self.worker(W["ask"]["polisanmalan"]) + unit
            other.append(unit)
        moods = [o for o in g["maende"] if o not in UNKNOWN]
        if moods:
            unit = [t for o in moods for t in self.seeker(S["maende"][o])]
            if self.rng.random() < 0.4:
                unit = self.worker(W["ask"]["maende"]) + unit
            other.append(unit)
        return core, other

    def _negation_units(self) -> list[list[Turn]]:
        out = []
        if self.rng.random() >= self.labels_cfg["negations"]:
            return out
        neg = self.S["negations"]
        candidates = [(f, o) for f, opts in neg.items() for o in opts if o not in self.s.gold.get(f, [])]
        for f, o in self.rng.sample(candidates, k=min(len(candidates), self.rng.choice((1, 1, 2)))):
            out.append(self.seeker(neg[f][o]))
        return out

    def _risk_units(self) -> list[Turn]:
        g, W = self.s.gold, self.W
        risky = bool({"suicidtankar", "sjalvskada"} & set(g["maende"])) or self.s.akut_kind
        if not risky and self.rng.random() > 0.12:
            return []
        turns = self.worker(W["safety_checks"])
        if self.s.akut_kind:
            turns += self.seeker(self.S["akut"][self.s.akut_kind])
            turns += self.worker(W["acute_response"])
        else:
            turns += self.seeker(self.S["inte_akut"])
        return turns

    def _combined(self, *lists: list[str]) -> list[Turn]:
        segs: list[Segment] = []
        for templates in lists:
            for msg in self.phrase(templates):
                if segs:
                    segs.append(Segment(" "))
                segs += msg
        return [Turn("stodperson", segs)] if segs else []

    def _referrals(self) -> list[Turn]:
        W = self.W
        turns: list[Turn] = []
        for o in self.s.gold["hanvisning"]:
            if o != "ingen":
                if self.rng.random() < 0.3:
                    turns += self._combined(W["hanvisning"][o], W["open_questions"])
                else:
                    turns += self.worker(W["hanvisning"][o])
        return turns

    # --- chat ---------------------------------------------------------------------------
    def chat(self) -> list[Turn]:
        rng, S, W = self.rng, self.S, self.W
        opening = self.seeker(S["openings"])
        if rng.random() < 0.4:
            opening += self.seeker(S["hesitation"])
        opening += self.worker(W["greetings"])
        if self.s.about_friend:
            opening += self.seeker(S["friend_ruse"])
        core, other = self._option_units()
        optional: list[list[Turn]] = []
        if rng.random() < 0.5:
            optional.append(self.seeker(S["smalltalk"]))
        if self.s.english:
            optional.append(self.seeker(S["english_fillers"]))
        if rng.random() < 0.3:
            optional.append(self.seeker(S["downplaying"]))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            optional.append(self.seeker(S["pii_asides"]))
        optional += self._negation_units()

        body = other + optional
        rng.shuffle(body)
        if self.s.late_disclosure:
            units = body + core
        else:
            cut = rng.randint(0, min(2, len(body)))
            units = body[:cut] + core + body[cut:]
        turns: list[Turn] = list(opening)
        for unit in units:
            turns += unit
            r = rng.random()
            if r < 0.25:
                # like real workers: validation and a question in one message
                turns += self._combined(W["validation"], W["open_questions"])
            elif r < 0.5:
                turns += self.worker(W["validation"] if rng.random() < 0.5 else W["open_questions"])
        turns += self._risk_units()
        turns += self._referrals()
        if rng.random() < 0.75:
            turns += self.seeker(S["thanks"] if rng.random() < 0.6 else S["goodbyes"])
        turns += self.worker(W["closings"])
        return self._fit(turns)

    def _fit(self, turns: list[Turn]) -> list[Turn]:
        while len(turns) < MIN_CHAT:
            pos = max(1, len(turns) - 1)
            turns[pos:pos] = self.seeker(self.E["fillers"]["stodsokande"]) + self.worker(self.E["fillers"]["stodperson"])
        if len(turns) > MAX_CHAT:
            # keep the start and the end (referrals, closing); merge the middle's short seeker turns
            head, tail = turns[:4], turns[-8:]
            middle = turns[4:-8]
            merged: list[Turn] = []
            for t in middle:
                if merged and merged[-1].role == t.role == "stodsokande":
                    merged[-1] = Turn(t.role, merged[-1].segments + [Segment(" ")] + t.segments)
                else:
                    merged.append(t)
            turns = head + merged + tail
            if len(turns) > MAX_CHAT:
                # drop worker validations in the middle, never the help-seeker's content
                excess = len(turns) - MAX_CHAT
                keep: list[Turn] = turns[:4]
                for t in turns[4:-8]:
                    if excess and t.role == "stodperson":
                        excess -= 1
                        continue
                    keep.append(t)
                turns = keep + turns[-8:]
        return turns

    # --- mail ---------------------------------------------------------------------------
    def mail(self) -> list[Turn]:
        rng, M, S = self.rng, self.M, self.S
        core, other = self._option_units()
        parts: list[list[Turn]] = [self.seeker(S["hesitation"])] if rng.random() < 0.3 else []
        fill = [self.seeker(M["rambling"]) for _ in range(rng.randint(1, 5))]
        extras = [self.seeker(S["pii_asides"]) for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))]
        extras += self._negation_units()
        if rng.random() < 0.2:
            extras.append(self.seeker(S["downplaying"]))
        body = other + fill + extras
        rng.shuffle(body)
        if self.s.late_disclosure:
            parts += body + core
        else:
            parts += core + body
        risk = self._risk_units()
        # in a mail the seeker's risk answer is part of the mail; the safety check is in the reply
        seeker_risk = [t for t in risk if t.role == "stodsokande"]
        segs: list[Segment] = []
        opening = self.phrase(M["openings"])
        for msg in opening:
            segs += msg
        segs.append(Segment("\n\n"))
        # a mail holds only the help-seeker's words (the worker's questions belong to chats)
        sentences = [t.segments for unit in parts for t in unit if t.role == "stodsokande"]
        sentences += [t.segments for t in seeker_risk]
        for s in sentences:
            segs += s
            if s and s[-1].label is None and s[-1].text.rstrip()[-1:].isalnum():
                segs.append(Segment("."))  # a chat-style phrase ends a sentence in a mail
            segs.append(Segment("\n\n" if rng.random() < 0.3 else " "))
        for msg in self.phrase(M["closings"]):
            segs += msg
        sig = self.phrase(M["signatures"])
        if sig:
            segs.append(Segment("\n"))
            for msg in sig:
                segs += msg
        turns = [Turn("stodsokande", _strip(segs))]
        if self.s.mail_reply:
            W = self.W
            reply: list[Segment] = []
            blocks = [self.phrase(W["mail_reply_openings"]), self.phrase(W["validation"])]
            if any(t.role == "stodperson" for t in risk):
                blocks.append(self.phrase(W["acute_response"] if self.s.akut_kind else W["safety_checks"]))
            blocks += [self.phrase(W["hanvisning"][o]) for o in self.s.gold["hanvisning"] if o != "ingen"]
            blocks.append(self.phrase(W["mail_reply_closings"]))
            for block in blocks:
                for msg in block:
                    reply += msg + [Segment(" ")]
                reply.append(Segment("\n\n"))
            turns.append(Turn("stodperson", _strip(reply)))
        return turns


def _strip(segs: list[Segment]) -> list[Segment]:
    out = [s for s in segs if s.text]
    while out and out[0].label is None and not out[0].text.strip():
        out.pop(0)
    while out and out[-1].label is None and not out[-1].text.strip():
        out.pop()
    if out and out[0].label is None:
        out[0] = Segment(out[0].text.lstrip())
    if out and out[-1].label is None:
        out[-1] = Segment(out[-1].text.rstrip())
    return out
