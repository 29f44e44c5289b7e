"""The generator config's schema: every key typed and checked before anything is generated.

``default.yaml`` and a user's ``--config`` (merged into it section by section) must fit
:class:`GeneratorConfig`; a misspelt key, a wrong type, a time zone that does not exist, a
rhythm with the wrong number of days or hours, or an option the form does not have is one
:class:`~childx_research.errors.InputError` naming the file and the key, before a single
contact is drawn (instead of a KeyError, an IndexError or a ZoneInfoNotFoundError later).
The generator itself keeps reading the plain dict; this module only checks it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError

Prob = Field(ge=0.0, le=1.0)
Weights = dict[str, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _nonnegative(weights: Weights) -> Weights:
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    return weights


class Organisation(_Strict):
    weight: float = Field(ge=0.0)
    mejl: float = Prob
    kon: Weights
    alder: Weights
    scenarios: Weights = {}

    _w = field_validator("kon", "alder", "scenarios")(_nonnegative)


class Scenario(_Strict):
    weight: float = Field(ge=0.0)
    utsatthet: Weights = Field(min_length=1)
    forovare: Weights = Field(min_length=1)
    vague: bool = False

    _w = field_validator("utsatthet", "forovare")(_nonnegative)


class BerattatFor(_Strict):
    ingen: float = Prob
    ej_angivet: float = Prob
    others: Weights = Field(min_length=1)
    second: float = Prob

    _w = field_validator("others")(_nonnegative)


class Maende(_Strict):
    ej_angivet: float = Prob
    options: Weights = Field(min_length=1)
    max: int = Field(ge=1)


class AkutRisk(_Strict):
    base: float = Prob
    with_suicidtankar: float = Prob
    with_manniskohandel: float = Prob


class Hanvisning(_Strict):
    none: float = Prob
    mail_reply: float = Prob


class Labels(_Strict):
    forovare_unknown: float = Prob
    pagaende: Weights = Field(min_length=1)
    berattat_for: BerattatFor
    polisanmalan: Weights = Field(min_length=1)
    maende: Maende
    akut_risk: AkutRisk
    hanvisning: Hanvisning
    about_friend: float = Prob
    late_disclosure: float = Prob
    negations: float = Prob
    english: float = Prob

    _w = field_validator("pagaende", "polisanmalan")(_nonnegative)


class Rhythm(_Strict):
    weekday: list[float] = Field(min_length=7, max_length=7, description="Monday..Sunday")
    hours: list[float] = Field(min_length=24, max_length=24)
    summer: float = Field(ge=0.0)
    christmas: float = Field(ge=0.0)
    school_break: float = Field(ge=0.0)
    term_start: float = Field(ge=0.0)
    growth_per_year: float

    @field_validator("weekday", "hours")
    @classmethod
    def _positive_somewhere(cls, v: list[float]) -> list[float]:
        if any(x < 0 for x in v) or not any(x > 0 for x in v):
            raise ValueError("weights must not be negative and at least one must be positive")
        return v


class Period(_Strict):
    start: date
    end: date


class TrendConfig(_Strict):
    field: str
    option: str
    kind: Literal["outbreak", "rise"]
    start: date
    weeks: int = Field(ge=1)
    factor: float = Field(gt=0.0)


class TermTrend(_Strict):
    term: str = Field(min_length=1)
    start: date
    share: float = Prob


class GeneratorConfig(_Strict):
    form: str | None = None
    period: Period
    timezone: str
    organisations: dict[str, Organisation] = Field(min_length=1)
    scenarios: dict[str, Scenario] = Field(min_length=1)
    labels: Labels
    rhythm: Rhythm
    trends: list[TrendConfig] = []
    term_trends: list[TermTrend] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("not a known time zone (an IANA name such as Europe/Stockholm)") from None
        return v

    @model_validator(mode="after")
    def _period(self) -> "GeneratorConfig":
        if self.period.end <= self.period.start:
            raise ValueError("period.end must be after period.start")
        return self


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[") or "config"


def check_config(cfg: dict[str, Any], path: str | Path | None = None, form=None) -> None:
    """Raise :class:`InputError` (file and key, never the value) unless ``cfg`` fits the
    schema and, when ``form`` is given, names only options the form has."""
    try:
        GeneratorConfig.model_validate(cfg)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = "missing key" if err["type"] == "missing" else \
            "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise InputError(msg, path=path, key=_loc(err["loc"])) from None
    if form is not None:
        _check_options(cfg, form, path)


def _check_options(cfg: dict[str, Any], form, path: str | Path | None) -> None:
    def known(key: str, field: str, names) -> None:
        f = form.by_key.get(field)
        if f is None or f.kind == "text":
            return
        for name in names:  # a config's own key (not data) may be named
            if name not in f.option_keys:
                raise InputError(f"not one of the options of form field {field!r} ({', '.join(f.option_keys)})",
                                 path=path, key=f"{key}.{name}")

    scenarios = cfg["scenarios"]
    for org, o in cfg["organisations"].items():
        known(f"organisations.{org}.kon", "kon", o["kon"])
        known(f"organisations.{org}.alder", "alder", o["alder"])
        for name in o.get("scenarios") or {}:
            if name not in scenarios:
                raise InputError("not one of the config's scenarios", path=path, key=f"organisations.{org}.scenarios.{name}")
    for name, sc in scenarios.items():
        known(f"scenarios.{name}.utsatthet", "utsatthet", sc["utsatthet"])
        known(f"scenarios.{name}.forovare", "forovare", sc["forovare"])
    lab = cfg["labels"]
    known("labels.pagaende", "pagaende", lab["pagaende"])
    known("labels.polisanmalan", "polisanmalan", lab["polisanmalan"])
    known("labels.berattat_for.others", "berattat_for", lab["berattat_for"]["others"])
    known("labels.maende.options", "maende", lab["maende"]["options"])
