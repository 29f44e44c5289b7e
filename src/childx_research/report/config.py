"""Report settings: which form fields are age, gender and exploitation, and more.

Looked up as ``report/config/<form id>.yaml`` (or passed explicitly). A form without a
file gets the defaults: every choice field gets time series, and the figures that need
an age, gender or exploitation field are left out (with a note).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..yamlio import read_yaml
from ..forms import Form

CONFIG_DIR = Path(__file__).with_name("config")


class Roles(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: str | None = None
    gender: str | None = None
    exploitation: str | None = None


class ReportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: str | None = None
    source: str | None = None
    roles: Roles = Field(default_factory=Roles)
    time_series_fields: Literal["all"] | list[str] = "all"
    period: Literal["auto", "month", "week"] = "auto"
    current_alert_weeks: int = Field(default=4, ge=1, le=52)
    # alerts on one option at most this many weeks apart are one episode (one table row)
    episode_gap_weeks: int = Field(default=4, ge=1, le=52)
    max_alert_panels: int = Field(default=12, ge=1, le=48)
    terms_recent_weeks: int = Field(default=8, ge=1, le=52)

    def source_line(self, form: Form) -> str:
        return self.source or f"Källa: {form.title}"

    def series_fields(self, form: Form) -> list[str]:
        if self.time_series_fields == "all":
            return [f.key for f in form.choice_fields]
        return list(self.time_series_fields)


def load_report_config(form: Form, path: str | Path | None = None) -> ReportConfig:
    """The report config for ``form``: from ``path``, else the packaged file, else defaults."""
    if path is None:
        candidate = CONFIG_DIR / f"{form.id}.yaml"
        if not candidate.exists():
            return ReportConfig(form=form.id)
        path = candidate
    path = Path(path)
    data = read_yaml(path, "report config")
    try:
        cfg = ReportConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(err["msg"], path=path, key=".".join(str(p) for p in err["loc"])) from None
    check_against_form(cfg, form, path)
    return cfg


def check_against_form(cfg: ReportConfig, form: Form, path: str | Path | None = None) -> None:
    if cfg.form and cfg.form != form.id:
        raise InputError(f"report config is for form {cfg.form!r}, not {form.id!r}", path=path, key="form")
    want = {"age": ("single",), "gender": ("single",), "exploitation": ("multi", "single")}
    for role, kinds in want.items():
        key = getattr(cfg.roles, role)
        if key is None:
            continue
        if key not in form.by_key:
            raise InputError(f"unknown field {key!r} for form {form.id!r}", path=path, key=f"roles.{role}")
        if form.field(key).kind not in kinds:
            raise InputError(f"field {key!r} is {form.field(key).kind}, expected {' or '.join(kinds)}",
                             path=path, key=f"roles.{role}")
    for key in cfg.series_fields(form):
        if key not in form.by_key or form.field(key).kind == "text":
            raise InputError(f"not a choice field of form {form.id!r}: {key!r}", path=path,
                             key="time_series_fields")
