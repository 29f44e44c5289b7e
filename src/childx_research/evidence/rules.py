"""The evidence file (``annotation/forms/<form id>.evidence.yaml``): load and validate.

A misspelt key, a pattern that does not compile, or a field or option the form does not
have is one line naming the file and the key (never a traceback).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError

Status = Literal["negated", "other", "hypothetical", "historical"]
STATUSES: tuple[str, ...] = ("negated", "other", "hypothetical", "historical")
SUFFIX = ".evidence.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Triggers(_Strict):
    before: list[str] = []
    after: list[str] = []


class Context(_Strict):
    window: int = Field(6, ge=1)
    terminate: list[str] = []
    triggers: dict[Status, Triggers] = {}
    question_mark_is_hypothetical_for: list[Literal["stodsokande", "stodperson"]] = []


class Values(_Strict):
    age: list[str] = []
    turns: list[str] = []
    born: list[str] = []


class FieldRules(_Strict):
    reads: list[Literal["stodsokande", "stodperson"]] = ["stodsokande"]
    excludes: list[Status] = ["negated", "other", "hypothetical"]
    option_excludes: dict[str, list[Status]] = {}
    values: Values | None = None
    options: dict[str, list[str]] = {}


class Question(_Strict):
    field: str
    question: list[str]
    value: Literal["age"] | None = None
    answers: dict[str, list[str]] = {}


class Questions(_Strict):
    max_tokens: int = Field(5, ge=1)
    not_about: list[str] = []
    items: list[Question] = []


class EvidenceRules(_Strict):
    form: str
    context: Context = Context()
    numbers: dict[str, int] = {}
    wildcard_excludes: list[str] = []
    bins: dict[str, dict[str, tuple[int, int]]] = {}
    fields: dict[str, FieldRules]
    questions: Questions = Questions()

    def excluded(self, field: str, option: str) -> set[str]:
        fr = self.fields[field]
        return set(fr.option_excludes.get(option, fr.excludes))


def evidence_path(form_path: str | Path) -> Path:
    """``annotation/forms/x.yaml`` -> ``annotation/forms/x.evidence.yaml``."""
    p = Path(form_path)
    return p.with_name(p.name.removesuffix(p.suffix) + SUFFIX)


# --- the pattern language -------------------------------------------------------------------
# One line of tokens (see the evidence file's header) -> a spaCy Matcher pattern.

NUM = r"\d{1,2}(?:år|-?åring|-?årig|-?åringen)?"
PLACEHOLDERS = {"<num>": None, "<year>": r"(?:19[3-9]\d|20[0-2]\d)", "<yy>": r"(?:-|')?\d{2}"}


def _alt_regex(alts: list[str], numbers: dict[str, int]) -> str:
    parts = []
    for a in alts:
        if a == "<num>":
            parts.append("|".join([NUM] + [re.escape(w) for w in sorted(numbers, key=len, reverse=True)]))
        elif a in PLACEHOLDERS:
            parts.append(PLACEHOLDERS[a])
        elif a.endswith("*") and len(a) > 1:
            parts.append(re.escape(a[:-1]) + r"\w*")
        else:
            parts.append(re.escape(a))
    return "^(?:" + "|".join(parts) + ")$"


def _expand(placeholder: str, numbers: dict[str, int]) -> list[str]:
    """Every token a placeholder stands for (the same sets as the regular expressions)."""
    if placeholder == "<num>":
        out = list(numbers)
        for n in range(100):
            for d in ({str(n), f"{n:02d}"} if n < 10 else {str(n)}):
                out += [d] + [d + suf for suf in ("år", "åring", "-åring", "årig", "-årig", "åringen", "-åringen")]
        return out
    if placeholder == "<year>":
        return [str(y) for y in range(1930, 2030)]
    return [p + f"{n:02d}" for n in range(100) for p in ("", "-", "'")]


def compile_pattern(text: str, numbers: dict[str, int], wild_not: list[str] = ()) -> list[dict[str, Any]]:
    """``"jag är|e <num> år?"`` -> ``[{"LOWER": "jag"}, {"LOWER": {"REGEX": ...}}, ...]``."""
    tokens = text.lower().split()
    if not tokens:
        raise ValueError("an empty pattern")
    out: list[dict[str, Any]] = []
    for tok in tokens:
        optional = tok.endswith("?") and len(tok) > 1
        tok = tok[:-1] if optional else tok
        if tok == "_":
            spec: dict[str, Any] = {"LOWER": {"NOT_IN": list(wild_not)}} if wild_not else {}
        else:
            alts = [a for a in tok.split("|") if a]
            if not alts:
                raise ValueError(f"an empty token in {text!r}")
            if not any(a.endswith("*") and len(a) > 1 for a in alts):
                # placeholders expanded to finite sets: spaCy's IN is far faster than REGEX
                alts = [w for a in alts for w in (_expand(a, numbers) if a in PLACEHOLDERS else [a])]
            plain = all(a not in PLACEHOLDERS and not (a.endswith("*") and len(a) > 1) for a in alts)
            if plain:
                spec = {"LOWER": alts[0]} if len(alts) == 1 else {"LOWER": {"IN": alts}}
            else:
                spec = {"LOWER": {"REGEX": _alt_regex(alts, numbers)}}
        if optional:
            spec = {**spec, "OP": "?"}
        out.append(spec)
    if all(t.get("OP") == "?" for t in out):
        raise ValueError(f"every token of {text!r} is optional")
    return out


def load_rules(path: str | Path, form: Any) -> EvidenceRules:
    """Read, validate and check ``path`` against ``form`` (its fields and options)."""
    from ..yamlio import read_yaml

    path = Path(path)
    data = read_yaml(path, "evidence file")
    try:
        rules = EvidenceRules.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = "missing key" if err["type"] == "missing" else \
            "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise InputError(msg, path=path, key=loc or None) from None
    if rules.form != form.id:
        raise InputError(f"written for form {rules.form!r}, not {form.id!r}", path=path, key="form")
    for key, fr in rules.fields.items():
        f = form.by_key.get(key)
        if f is None or f.kind == "text":
            raise InputError("not a choice field of the form", path=path, key=f"fields.{key}")
        for group, opts in (("options", fr.options), ("option_excludes", fr.option_excludes)):
            for o in opts:
                if o not in f.option_keys:
                    raise InputError("not an option of the field", path=path, key=f"fields.{key}.{group}.{o}")
        if fr.values is not None and key not in rules.bins:
            raise InputError("values need bins for the field", path=path, key=f"fields.{key}.values")
    for key, bins in rules.bins.items():
        f = form.by_key.get(key)
        if f is None or any(o not in f.option_keys for o in bins):
            raise InputError("not a field of the form, or an option it does not have", path=path, key=f"bins.{key}")
    for i, q in enumerate(rules.questions.items):
        f = form.by_key.get(q.field)
        if f is None or q.field not in rules.fields:
            raise InputError("not a field of this file", path=path, key=f"questions.items[{i}].field")
        if any(o not in f.option_keys for o in q.answers):
            raise InputError("not an option of the field", path=path, key=f"questions.items[{i}].answers")
    # every pattern compiles
    for where, text in _all_patterns(rules):
        try:
            compile_pattern(text, rules.numbers)
        except (ValueError, re.error) as exc:
            raise InputError(f"a pattern that does not compile ({exc})", path=path, key=where) from None
    return rules


def _all_patterns(rules: EvidenceRules):
    c = rules.context
    for i, t in enumerate(c.terminate):
        yield f"context.terminate[{i}]", t
    for status, tr in c.triggers.items():
        for side in ("before", "after"):
            for i, t in enumerate(getattr(tr, side)):
                yield f"context.triggers.{status}.{side}[{i}]", t
    for key, fr in rules.fields.items():
        if fr.values is not None:
            for kind in ("age", "turns", "born"):
                for i, t in enumerate(getattr(fr.values, kind)):
                    yield f"fields.{key}.values.{kind}[{i}]", t
        for o, pats in fr.options.items():
            for i, t in enumerate(pats):
                yield f"fields.{key}.options.{o}[{i}]", t
    for i, t in enumerate(rules.questions.not_about):
        yield f"questions.not_about[{i}]", t
    for i, q in enumerate(rules.questions.items):
        for j, t in enumerate(q.question):
            yield f"questions.items[{i}].question[{j}]", t
        for o, pats in q.answers.items():
            for j, t in enumerate(pats):
                yield f"questions.items[{i}].answers.{o}[{j}]", t
