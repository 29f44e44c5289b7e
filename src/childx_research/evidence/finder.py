"""Find the evidence for every field in a conversation: cue matches with an assertion status.

Each message is tokenized and split into sentences by ``spacy.blank("sv")`` with the
``sentencizer`` (rules only, no downloaded model). Cues, assertion triggers, terminating
words and the worker's questions are spaCy ``Matcher`` patterns compiled from the evidence
file (:mod:`.rules`). An item's offsets are the message's own characters, so its ``text``
is always the exact substring ``message.text[start:end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from datetime import date
from typing import Any, Iterable

from ..forms import Form
from ..records import Conversation
from .rules import NUM, PLACEHOLDERS, STATUSES, EvidenceRules, compile_pattern

_NUM_RE = re.compile(rf"^({NUM})$")
_YEAR_RE = re.compile(rf"^{PLACEHOLDERS['<year>']}$")
_YY_RE = re.compile(rf"^{PLACEHOLDERS['<yy>']}$")


@dataclass(frozen=True)
class Evidence:
    """One cue in one message."""

    field: str
    option: str
    message: int
    start: int
    end: int
    text: str
    status: tuple[str, ...] = ()       # empty: affirmed, the help-seeker's own, now
    source: str = "cue"                # cue | value (a derived number) | answer (to the worker's question)
    value: int | None = None           # the derived age, when there is one
    counts: bool = True                # no status the field excludes

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "text": self.text, "start": self.start, "end": self.end}


@dataclass
class Found:
    """The evidence of one conversation, per field."""

    items: dict[str, list[Evidence]] = dc_field(default_factory=dict)

    def counted(self, field: str, option: str | None = None) -> list[Evidence]:
        return [e for e in self.items.get(field, []) if e.counts and (option is None or e.option == option)]

    def record_evidence(self, form: Form, values: dict[str, Any]) -> dict[str, Any]:
        """The ``evidence`` key of a form record: for each field whose value has counted
        evidence, a list (single fields) or a dict option -> list (multi fields)."""
        out: dict[str, Any] = {}
        for f in form.choice_fields:
            v = values.get(f.key)
            if v is None:
                continue
            if f.kind == "single":
                items = _dedupe(self.counted(f.key, v))
                if items:
                    out[f.key] = [e.to_json() for e in items]
            else:
                d = {o: [e.to_json() for e in _dedupe(self.counted(f.key, o))] for o in v}
                d = {o: items for o, items in d.items() if items}
                if d:
                    out[f.key] = d
        return out


def _dedupe(items: list[Evidence]) -> list[Evidence]:
    seen, out = set(), []
    for e in sorted(items, key=lambda e: (e.message, e.start)):
        k = (e.message, e.start, e.end)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


class _Gated:
    """Matchers, one per key, each run only where a message holds one of its anchor words.

    spaCy's Matcher starts every pattern at every token; with hundreds of cue patterns that
    dominated prediction time. Each pattern names an anchor — the alternatives of its most
    telling required token — and a key's matcher runs only when a message holds one, and
    then only on the tokens around each anchor (as far as the key's longest pattern
    reaches): every match holds its anchor, so it lies in that stretch, and the matches are
    the same as over the whole message."""

    def __init__(self, vocab) -> None:
        self.vocab = vocab
        self.items: list[tuple[Any, set[str], tuple[str, ...], int]] = []

    def add(self, key: str, patterns: list[str], compiled: list[list[dict[str, Any]]]) -> None:
        from spacy.matcher import Matcher

        m = Matcher(self.vocab)
        m.add(key, compiled)
        words: set[str] = set()
        prefixes: list[str] = []
        for text in patterns:
            w, p = _anchor(text)
            if w is None:  # no usable anchor: always run
                words, prefixes = {""}, []
                break
            words |= w
            prefixes += p
        self.items.append((m, words, tuple(prefixes), max(len(c) for c in compiled)))

    def __call__(self, doc, words: set[str] | dict[str, list[int]]) -> list[tuple[int, int, int]]:
        """``words``: the message's lower-case words, best with their token positions
        (``{word: [i, ...]}``); a plain set runs each matcher on the whole message."""
        out = []
        where = words if isinstance(words, dict) else None
        for m, anchors, prefixes, reach in self.items:
            if "" in anchors:
                out += m(doc)
                continue
            hit = [w for w in anchors if w in words]
            if prefixes:
                hit += [w for w in words if w.startswith(prefixes)]
            if not hit:
                continue
            if where is None:
                out += m(doc)
                continue
            positions = sorted({i for w in hit for i in where[w]})
            start = end = None
            for i in positions:  # stretches around the anchors, merged where they touch
                a, b = max(0, i - reach + 1), min(len(doc), i + reach)
                if end is not None and a <= end:
                    end = max(end, b)
                    continue
                if end is not None:
                    out += [(mid, s + start, e + start) for mid, s, e in m(doc[start:end])]
                start, end = a, b
            if end is not None:
                out += [(mid, s + start, e + start) for mid, s, e in m(doc[start:end])]
        return out


def _anchor(text: str) -> tuple[set[str] | None, list[str]]:
    best = None
    for tok in text.lower().split():
        if tok.endswith("?") and len(tok) > 1 or tok == "_":
            continue
        alts = tok.split("|")
        if any(a.startswith("<") for a in alts):
            continue
        score = min(len(a.rstrip("*")) for a in alts)
        if best is None or score > best[0]:
            best = (score, alts)
    if best is None:
        return None, []
    alts = best[1]
    return {a for a in alts if not a.endswith("*")}, [a[:-1] for a in alts if a.endswith("*") and len(a) > 1]


class EvidenceFinder:
    """Compiled rules for one form: ``find(conversations) -> list[Found]``."""

    def __init__(self, form: Form, rules: EvidenceRules) -> None:
        import spacy
        from spacy.matcher import Matcher

        self.form, self.rules = form, rules
        self.nlp = spacy.blank("sv")
        self.nlp.add_pipe("sentencizer")
        vocab, nums = self.nlp.vocab, rules.numbers
        self.cues = _Gated(vocab)
        self._cue_meta: dict[int, tuple[str, str, str]] = {}   # match id -> (field, option or value kind, source)
        for key, fr in rules.fields.items():
            for o, pats in fr.options.items():
                if pats:
                    self._add(self.cues, f"cue|{key}|{o}", pats, (key, o, "cue"))
            if fr.values is not None:
                for kind in ("age", "turns", "born"):
                    pats = getattr(fr.values, kind)
                    if pats:
                        self._add(self.cues, f"value|{key}|{kind}", pats, (key, kind, "value"))
        self.context = _Gated(vocab)
        self._ctx_meta: dict[int, tuple[str, str]] = {}
        for status, tr in rules.context.triggers.items():
            for side in ("before", "after"):
                pats = getattr(tr, side)
                if pats:
                    self._add(self.context, f"ctx|{status}|{side}", pats, None)
                    self._ctx_meta[vocab.strings[f"ctx|{status}|{side}"]] = (status, side)
        if rules.context.terminate:
            self._add(self.context, "ctx|terminate", rules.context.terminate, None)
        self._terminate_id = vocab.strings["ctx|terminate"]
        self.questions = Matcher(vocab)
        self.answers = Matcher(vocab)
        for i, q in enumerate(rules.questions.items):
            self._add(self.questions, f"q|{i}", q.question, None)
            for o, pats in q.answers.items():
                self._add(self.answers, f"a|{i}|{o}", pats, None)
        self.not_about = Matcher(vocab)
        if rules.questions.not_about:
            self._add(self.not_about, "notabout", rules.questions.not_about, None)
        self._nums = nums

    def _add(self, matcher, key: str, pats: list[str], meta: tuple[str, str, str] | None) -> None:
        compiled = [compile_pattern(p, self._nums_of(), self.rules.wildcard_excludes) for p in pats]
        if isinstance(matcher, _Gated):
            matcher.add(key, pats, compiled)
        else:
            matcher.add(key, compiled)
        if meta is not None:
            self._cue_meta[self.nlp.vocab.strings[key]] = meta

    def _nums_of(self) -> dict[str, int]:
        return self.rules.numbers

    # --- finding ------------------------------------------------------------------------
    def find(self, conversations: Iterable[Conversation]) -> list[Found]:
        conversations = list(conversations)
        texts = [m.text for c in conversations for m in c.messages]
        docs = iter(self.nlp.pipe(texts, batch_size=256))
        out = []
        for conv in conversations:
            cdocs = [next(docs) for _ in conv.messages]
            out.append(self._find_one(conv, cdocs))
        return out

    def _find_one(self, conv: Conversation, docs: list) -> Found:
        found = Found()
        when = _contact_date(conv.started_at)
        for i, (m, doc) in enumerate(zip(conv.messages, docs)):
            words: dict[str, list[int]] = {}
            for t in doc:
                words.setdefault(t.lower_, []).append(t.i)
            by_field: dict[str, list[tuple[int, int, str, str, str]]] = {}
            for mid, s, e in self.cues(doc, words):
                key, opt, source = self._cue_meta[mid]
                if m.role not in self.rules.fields[key].reads:
                    continue
                by_field.setdefault(key, []).append((s, e, opt, source, ""))
            triggers, terminate = self._context(doc, words) if by_field else ([], set())
            for key, spans in by_field.items():
                for s, e, opt, source, _ in _longest(spans):
                    value = None
                    if source == "value":
                        value = self._age(doc[s:e], opt, when)
                        opt = self._bin(key, value)
                        if opt is None:
                            continue
                    status = self._status(doc, s, e, triggers, terminate, m.role)
                    span = doc[s:e]
                    found.items.setdefault(key, []).append(Evidence(
                        key, opt, i, span.start_char, span.end_char, span.text, status, source, value,
                        counts=not (set(status) & self.rules.excluded(key, opt))))
            if m.role == "stodsokande":
                self._answers(conv, docs, i, when, found)
        return found

    def _context(self, doc, words: set[str]) -> tuple[list[tuple[str, str, int, int]], set[int]]:
        triggers, terminate = [], set()
        for mid, s, e in self.context(doc, words):
            if mid == self._terminate_id:
                terminate.update(range(s, e))
            else:
                status, side = self._ctx_meta[mid]
                triggers.append((status, side, s, e))
        return triggers, terminate

    def _status(self, doc, s: int, e: int, triggers, terminate: set[int], role: str) -> tuple[str, ...]:
        sent = doc[s].sent
        window = self.rules.context.window
        found = set()
        for status, side, ts, te in triggers:
            if ts < sent.start or te > sent.end or (ts < e and te > s):
                continue  # another sentence, or inside the cue itself
            if side == "before" and te <= s and s - te <= window and not terminate & set(range(te, s)):
                found.add(status)
            elif side == "after" and ts >= e and ts - e <= window and not terminate & set(range(e, ts)):
                found.add(status)
        if role in self.rules.context.question_mark_is_hypothetical_for and "?" in sent.text:
            found.add("hypothetical")
        return tuple(x for x in STATUSES if x in found)

    def _answers(self, conv: Conversation, docs: list, i: int, when: date | None, found: Found) -> None:
        """A short help-seeker answer read with the worker's question just before it."""
        q = self.rules.questions
        doc = docs[i]
        words = [t for t in doc if not t.is_punct]
        if not words or len(words) > q.max_tokens:
            return
        j = i - 1
        while j >= 0 and conv.messages[j].role == "stodsokande" and i - j <= 2:
            j -= 1
        if j < 0 or conv.messages[j].role != "stodperson":
            return
        qdoc = docs[j]
        asked = [sent for sent in qdoc.sents if "?" in sent.text]
        if not asked:
            return
        sent = asked[-1]
        if any(sent.start <= s and e <= sent.end for _, s, e in self.not_about(qdoc)):
            return
        items = {int(self.nlp.vocab.strings[mid].split("|")[1]) for mid, s, e in self.questions(qdoc)
                 if sent.start <= s and e <= sent.end}
        for k in sorted(items):
            item = q.items[k]
            if item.value == "age":
                tok = next((t for t in words if self._number(t.lower_) is not None), None)
                if tok is None:
                    continue
                age = self._number(tok.lower_)
                opt = self._bin(item.field, age)
                if opt is not None:
                    found.items.setdefault(item.field, []).append(Evidence(
                        item.field, opt, i, tok.idx, tok.idx + len(tok.text), tok.text, (), "answer", age))
            spans = [(s, e, self.nlp.vocab.strings[mid].split("|")[2]) for mid, s, e in self.answers(doc)
                     if int(self.nlp.vocab.strings[mid].split("|")[1]) == k]
            if spans:
                s, e, opt = max(spans, key=lambda t: t[1] - t[0])
                span = doc[s:e]
                found.items.setdefault(item.field, []).append(Evidence(
                    item.field, opt, i, span.start_char, span.end_char, span.text, (), "answer"))

    # --- values ---------------------------------------------------------------------
    def _number(self, word: str) -> int | None:
        if word in self.rules.numbers:
            return self.rules.numbers[word]
        m = _NUM_RE.match(word)
        return int(re.match(r"\d+", word).group()) if m else None

    def _age(self, span, kind: str, when: date | None) -> int | None:
        for t in span:
            w = t.lower_
            if kind == "born":
                if _YEAR_RE.match(w):
                    year = int(w)
                elif _YY_RE.match(w):
                    yy = int(w.lstrip("-'"))
                    ref = (when.year if when else 2026) % 100
                    year = 2000 + yy if yy <= ref else 1900 + yy
                else:
                    continue
                if when is None:
                    return None
                return when.year - year - (1 if when.month <= 6 else 0)
            n = self._number(w)
            if n is not None:
                return n - 1 if kind == "turns" else n
        return None

    def _bin(self, field: str, value: int | None) -> str | None:
        if value is None or not 3 <= value <= 110:
            return None
        for opt, (lo, hi) in self.rules.bins.get(field, {}).items():
            if lo <= value <= hi:
                return opt
        return None


def _longest(spans: list[tuple[int, int, str, str, str]]) -> list[tuple[int, int, str, str, str]]:
    """Overlapping matches of one field: the longest wins (value matches before cues)."""
    spans = sorted(spans, key=lambda t: (-(t[1] - t[0]), t[3] != "value", t[0]))
    taken: list[tuple[int, int, str, str, str]] = []
    for sp in spans:
        if all(sp[1] <= t[0] or sp[0] >= t[1] for t in taken):
            taken.append(sp)
    return sorted(taken)


def _contact_date(started_at: str | None) -> date | None:
    if not started_at:
        return None
    try:
        return date.fromisoformat(started_at[:10])
    except ValueError:
        return None
