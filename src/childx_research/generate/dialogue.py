"""Turn a :class:`Story` (the gold form and how to tell it) into chat or mail messages.

The help-seeker's side is built from independent phrase units per option (never one
template with slots), ordered like real contacts: a hesitant opening, small talk,
late or partial disclosure, denials of things that did not happen; the worker's side
follows good practice: open questions, validation, safety checks when risk appears, and
the referrals the gold `hanvisning` names.

So that a model trained on this text copes with real contacts, cues do not always come the
same way: short answers to the worker's questions, evasive answers that leave a field
unknown, people the seeker has NOT told named in denials and fears, cues left out where the
text already implies them, and several messages sent as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
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
# School year words per age: several ways young people name the same year.
_CLASS_BY_AGE = {
    10: ("fyran", "4an", "årskurs 4", "fjärde klass"),
    11: ("femman", "5an", "årskurs 5", "femte klass"),
    12: ("sexan", "6an", "årskurs 6", "sjätte klass", "sexan på mellanstadiet"),
    13: ("sjuan", "7an", "åk 7", "årskurs 7", "första året på högstadiet"),
    14: ("åttan", "8an", "åk 8", "årskurs 8"),
    15: ("nian", "9an", "åk 9", "årskurs 9", "sista året på högstadiet"),
    16: ("ettan på gymnasiet", "första året på gymnasiet", "ettan på gymnasiet", "åk 1 på gymnasiet",
         "ettan på gy"),
    17: ("tvåan på gymnasiet", "andra året på gymnasiet", "tvåan på gy", "åk 2 på gymnasiet"),
    18: ("trean på gymnasiet", "sista året på gymnasiet", "trean på gy"),
}
#: Chance that the help-seeker answers a worker's question with a short answer (bank `svar`).
P_SHORT_ANSWER = 0.55
#: Chance of a denial or a non-telling mention (feared, hypothetical, planned) of someone the
#: help-seeker has NOT told, next to the `berattat_for` unit (or alone when it is unknown).
P_TOLD_DISTRACTOR = {"with_unit": 0.6, "alone": 0.3}
#: Chance the worker suggests a trusted adult (a parent, a teacher) and the seeker answers
#: without having told them.
P_SUGGEST_ADULT = 0.18
#: Chance an explicit cue is left out because the text already implies the option:
#: a seeker who describes being paid makes the payer a sexköpare; a suicide plan implies
#: suicidal thoughts; an ongoing situation is often only described (bank `implied`), when
#: the worker did not ask.
P_IMPLIED_ONLY = {"sexkopare": 0.4, "suicidtankar": 0.5, "pagaende": 0.4}
#: Chance the worker asks about a field that stays unknown and gets an evasive answer.
P_DEFLECT = 0.3
#: Per contact, how often consecutive help-seeker messages are sent as one message.
MERGE_LEVELS = (0.0, 0.15, 0.3, 0.5)
_JOINERS = {"formell": (". ", " "), "vardaglig": (". ", ", ", " ", " och ", "... "),
            "ung_chatt": (". ", ", ", " ", " o ", " och ", "... ", " asså ")}
AGE_RANGES = {"under_13": (10, 12), "13_15": (13, 15), "16_17": (16, 17), "18_25": (18, 25), "over_25": (26, 45)}


_ONLY = re.compile(r"\b(bara|enda|ingen annan|inga andra|ingen vuxen|nån vuxen|någon vuxen)\b", re.IGNORECASE)


@lru_cache(maxsize=None)
def _only_free(templates: tuple[str, ...]) -> list[str]:
    return [t for t in templates if not _ONLY.search(t)]


def _without_only(templates: list[str]) -> list[str]:
    """Templates that do not say that this is the only person told."""
    return _only_free(tuple(templates)) or templates


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
        self.merge_p = rng.choice(MERGE_LEVELS)

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
            return Segment(self.rng.choice(_CLASS_BY_AGE[self.age]))
        if slot == "alder_nasta":
            if self.age is None:
                raise _Skip
            return Segment(str(self.age + 1))
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
    def _answer(self, field: str, option: str, asked: bool, several: bool = False) -> list[Turn]:
        """The seeker's cue for one option: a short answer when the worker just asked."""
        short = self.S.get("svar", {}).get(field, {}).get(option)
        asked = asked and self.s.channel == "chatt"  # a mail keeps no question to answer
        templates = short if asked and short and self.rng.random() < P_SHORT_ANSWER else self.S["options"][field][option]
        implied = self.S.get("implied", {}).get(field, {}).get(option)
        if implied and not asked and field in P_IMPLIED_ONLY and self.rng.random() < P_IMPLIED_ONLY[field]:
            templates = implied
        if several:  # "bara mamma" is false when a friend knows too
            templates = _without_only(templates)
        return self.seeker(templates)

    def _asked_unit(self, field: str, options: list[str], p_ask: float) -> list[Turn]:
        asked = self.rng.random() < p_ask
        several = field == "berattat_for" and len(options) > 1
        unit = [t for o in options for t in self._answer(field, o, asked, several)]
        if asked:
            unit = self.worker(self.W["ask"][field]) + unit
        return unit

    def _deflected(self, field: str) -> list[Turn]:
        """The worker asks; the answer leaves the field unknown."""
        if self.s.channel != "chatt" or field not in self.E["deflections"] or field not in self.W["ask"]:
            return []
        return self.worker(self.W["ask"][field]) + self.seeker(self.E["deflections"][field])

    def _told_distractor(self, alone: bool) -> list[Turn]:
        """Someone the seeker has NOT told, named in a denial or a feared/planned telling."""
        g = self.s.gold
        pools = [self.S.get("mentions", {}).get("berattat_for", {})]
        if not alone or g["berattat_for"] != ["ej_angivet"]:
            pools.append(self.S["negations"].get("berattat_for", {}))
        cands = [(pool, o) for pool in pools for o in pool if o not in g["berattat_for"]]
        if not cands:
            return []
        pool, o = self.rng.choice(cands)
        return self.seeker(pool[o])

    def _option_units(self) -> tuple[list[list[Turn]], list[list[Turn]]]:
        """(core units: who did what; other units: cues for the remaining fields)."""
        g, S, W, rng = self.s.gold, self.S["options"], self.W, self.rng
        core: list[list[Turn]] = []
        for o in g["forovare"]:
            if o in UNKNOWN:
                continue
            if (o == "sexkopare" and "sex_mot_ersattning" in g["utsatthet"]
                    and rng.random() < P_IMPLIED_ONLY["sexkopare"]):
                continue  # the paid-sex description already says who he is
            unit = self.seeker(S["forovare"][o])
            if "forovare" in W["ask"] and rng.random() < 0.15:
                unit = self.worker(W["ask"]["forovare"]) + unit
            core.append(unit)
        if g["forovare"] == ["ej_angivet"] and rng.random() < P_DEFLECT:
            core.append(self._deflected("forovare"))
        for o in g["utsatthet"]:
            core.append(self.seeker(S["utsatthet"][o]))
        if len(core) > 1 and rng.random() < 0.5:
            rng.shuffle(core)
        other: list[list[Turn]] = []
        # age: volunteered, or asked by the worker
        if g["alder"] not in UNKNOWN:
            other.append(self._asked_unit("alder", [g["alder"]], 0.5))
        elif rng.random() < 0.3:
            other.append(self._deflected("alder"))
        if g["kon"] not in UNKNOWN:
            other.append(self._asked_unit("kon", [g["kon"]], 0.1))
        if g["pagaende"] not in UNKNOWN:
            other.append(self._asked_unit("pagaende", [g["pagaende"]], 0.3))
        elif rng.random() < 2 * P_DEFLECT:
            other.append(self._deflected("pagaende"))
        if g["berattat_for"] == ["ej_angivet"] and rng.random() < P_DEFLECT / 2:
            other.append(self._deflected("berattat_for"))
        told = [o for o in g["berattat_for"] if o not in UNKNOWN]
        if told:
            unit = self._asked_unit("berattat_for", told, 0.6)
            if rng.random() < P_TOLD_DISTRACTOR["with_unit"]:
                extra = self._told_distractor(alone=False)
                unit = unit + extra if rng.random() < 0.7 else extra + unit
            other.append(unit)
        if rng.random() < P_TOLD_DISTRACTOR["alone"]:
            other.append(self._told_distractor(alone=True))
        # the worker suggests telling an adult only when no adult has been told
        adults_told = set(g["berattat_for"]) - {"ingen", "ej_angivet", "van"}
        if (self.s.channel == "chatt" and "suggest_adult" in W and not adults_told
                and rng.random() < P_SUGGEST_ADULT):
            other.append(self.worker(W["suggest_adult"]) + self._told_distractor(alone=True))
        if g["polisanmalan"] not in UNKNOWN:
            other.append(self._asked_unit("polisanmalan", [g["polisanmalan"]], 0.4))
        moods = [o for o in g["maende"] if o not in UNKNOWN]
        if self.s.akut_kind == "suicid_plan" and rng.random() < P_IMPLIED_ONLY["suicidtankar"]:
            moods = [o for o in moods if o != "suicidtankar"]  # the plan itself says it
        if moods:
            if len(moods) > 1 and rng.random() < 0.5:
                rng.shuffle(moods)
            other.append(self._asked_unit("maende", moods, 0.4))
        return core, other

    def _negation_units(self) -> list[list[Turn]]:
        out = []
        if self.rng.random() >= self.labels_cfg["negations"]:
            return out
        neg = self.S["negations"]
        g = self.s.gold
        # "mamma vet inget" alone would make an unknown berattat_for look like "ingen"
        candidates = [(f, o) for f, opts in neg.items() for o in opts if o not in g.get(f, [])
                      and not (f == "berattat_for" and g["berattat_for"] == ["ej_angivet"])]
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
            if rng.random() < 0.3:
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
        turns = self._merge_runs(turns)
        turns += self._referrals()
        if rng.random() < 0.75:
            turns += self.seeker(S["thanks"] if rng.random() < 0.6 else S["goodbyes"])
        turns += self.worker(W["closings"])
        return self._fit(turns)

    def _merge_runs(self, turns: list[Turn]) -> list[Turn]:
        """Like real chats: some help-seekers pack several things into one message."""
        if not self.merge_p:
            return turns
        joiners = _JOINERS.get(self.register.name, (". ", " "))
        out: list[Turn] = []
        for t in turns:
            prev = out[-1] if out else None
            if (prev is not None and prev.role == t.role == "stodsokande" and len(out) > 1
                    and self.rng.random() < self.merge_p):
                last = prev.segments[-1].text if prev.segments else ""
                joiner = self.rng.choice(joiners) if last[-1:].isalnum() else " "
                segs = list(t.segments)
                if joiner.strip() not in (".", "...") and segs and segs[0].label is None:
                    segs[0] = Segment(segs[0].text[:1].lower() + segs[0].text[1:])  # mid-sentence now
                out[-1] = Turn(t.role, prev.segments + [Segment(joiner)] + segs)
            else:
                out.append(t)
        return out

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
