"""The form file: load, validate, and everything derived from it.

A form (``annotation/forms/*.yaml``) is the single source of truth for the Label
Studio config, the model heads, the metrics and the charts. Nothing downstream may
name a field or option key of a particular form.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError
from .yamlio import read_yaml

KEY_PATTERN = r"^[a-z0-9_]+$"
FieldKind = Literal["single", "multi", "text"]

#: The repository's forms folder (used when running from a checkout).
FORMS_DIR = Path(__file__).resolve().parents[2] / "annotation" / "forms"
DEFAULT_FORM_ID = "stodklustret-v1"


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1)
    guideline: str = ""
    guideline_en: str = ""
    exclusive: bool = False
    #: A recall-first option: missing it is the worst error the form can make (acute risk).
    #: Training lowers its threshold until every validation case is caught; the metrics
    #: report its recall and false-alarm rate; annotators see it first.
    alarm: bool = False


class FormField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1)
    kind: FieldKind
    guideline: str = ""
    guideline_en: str = ""
    options: tuple[Option, ...] = ()

    @model_validator(mode="after")
    def _check_options(self) -> "FormField":
        if self.kind == "text":
            if self.options:
                raise ValueError(f"field {self.key!r}: a text field has no options")
            return self
        if len(self.options) < 2:
            raise ValueError(f"field {self.key!r}: a {self.kind} field needs at least two options")
        keys = [o.key for o in self.options]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"field {self.key!r}: duplicate option keys {dupes}")
        if self.kind == "single" and any(o.exclusive for o in self.options):
            raise ValueError(f"field {self.key!r}: 'exclusive' only applies to multi fields")
        if any(o.alarm and o.exclusive for o in self.options):
            raise ValueError(f"field {self.key!r}: an 'exclusive' option cannot be an alarm")
        return self

    @property
    def option_keys(self) -> list[str]:
        return [o.key for o in self.options]

    def option(self, key: str) -> Option:
        for o in self.options:
            if o.key == key:
                return o
        raise KeyError(key)

    def label_of(self, option_key: str) -> str:
        return self.option(option_key).label

    @property
    def exclusive_keys(self) -> set[str]:
        return {o.key for o in self.options if o.exclusive}


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    version: int = 1
    language: str = "sv"
    fields: tuple[FormField, ...]

    @field_validator("fields")
    @classmethod
    def _unique_fields(cls, fields: tuple[FormField, ...]) -> tuple[FormField, ...]:
        keys = [f.key for f in fields]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate field keys {dupes}")
        if not fields:
            raise ValueError("a form needs at least one field")
        return fields

    # --- derived views -------------------------------------------------------------
    @cached_property
    def by_key(self) -> dict[str, FormField]:
        return {f.key: f for f in self.fields}

    def field(self, key: str) -> FormField:
        return self.by_key[key]

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    @property
    def choice_fields(self) -> list[FormField]:
        """Fields a classifier predicts (single and multi)."""
        return [f for f in self.fields if f.kind != "text"]

    @property
    def single_fields(self) -> list[FormField]:
        return [f for f in self.fields if f.kind == "single"]

    @property
    def multi_fields(self) -> list[FormField]:
        return [f for f in self.fields if f.kind == "multi"]

    @property
    def text_fields(self) -> list[FormField]:
        return [f for f in self.fields if f.kind == "text"]

    @property
    def alarm_options(self) -> list[tuple[str, str]]:
        """``(field key, option key)`` of every option marked ``alarm: true``, in form order."""
        return [(f.key, o.key) for f in self.choice_fields for o in f.options if o.alarm]

    # --- validation of filled-in forms -----------------------------------------------
    def check_values(self, values: Any, *, require_all: bool = True) -> list[tuple[str, str]]:
        """Problems with a filled-in form as ``(key, problem)`` pairs; empty when valid.

        A problem never quotes a value of the form (it may be free text from a conversation)
        nor an unknown key (``""`` is the key then): it names the field and the problem."""
        if not isinstance(values, dict):
            return [("form", f"must be an object, got {type(values).__name__}")]
        problems: list[tuple[str, str]] = []
        for f in self.fields:
            if f.key not in values:
                if require_all:
                    problems.append((f.key, "missing key"))
                continue
            v = values[f.key]
            if f.kind == "text":
                if not isinstance(v, str):
                    problems.append((f.key, f"must be a string, got {type(v).__name__}"))
            elif f.kind == "single":
                if not isinstance(v, str):
                    problems.append((f.key, f"must be one option key (a string), got {type(v).__name__}"))
                elif v not in f.option_keys:
                    problems.append((f.key, f"not one of the form's options ({', '.join(f.option_keys)})"))
            else:
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    problems.append((f.key, f"must be a list of option keys, got {type(v).__name__}"))
                    continue
                if not v:
                    problems.append((f.key, "must hold at least one option"))
                    continue
                unknown = [i for i, x in enumerate(v) if x not in f.option_keys]
                if unknown:
                    problems.append((f.key, f"not one of the form's options ({', '.join(f.option_keys)})"))
                    continue
                if len(set(v)) != len(v):
                    problems.append((f.key, "an option is listed twice"))
                excl = f.exclusive_keys & set(v)
                if excl and len(v) > 1:
                    problems.append((f.key, f"{sorted(excl)[0]!r} cannot be combined with other options"))
        unknown_keys = [k for k in values if k not in self.by_key]
        if unknown_keys:
            # the key itself comes from the input and is not echoed
            problems.append(("", f"a key that is not one of the fields of form {self.id!r} "
                                     f"({', '.join(self.keys)})"))
        return problems


def load_form(path_or_id: str | Path | None = None) -> Form:
    """Load and validate a form file; ``None`` or a bare id means a form in ``annotation/forms``."""
    path = resolve_form_path(path_or_id)
    data = read_yaml(path, "form file")
    try:
        return Form.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _describe_loc(data, err["loc"])
        msg = "missing key" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
        raise InputError(msg, path=path, key=loc) from None


def resolve_form_path(path_or_id: str | Path | None) -> Path:
    if path_or_id is None:
        path_or_id = DEFAULT_FORM_ID
    p = Path(path_or_id)
    if p.suffix in {".yaml", ".yml"} or p.exists():
        return p
    return FORMS_DIR / f"{path_or_id}.yaml"


def _describe_loc(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic location into 'fields[alder].options[2].key'-style text."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            node = node[item]
            name = node.get("key") if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{name or item}]"]
        else:
            node = node.get(item) if isinstance(node, dict) else None
            parts.append(str(item))
    return ".".join(parts) or "form"
