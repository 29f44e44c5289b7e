"""Reading the project's YAML files (forms, configs, phrase banks) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError


def read_yaml(path: str | Path, what: str = "YAML file", *, mapping: bool = True) -> Any:
    """Parse ``path``; a missing file, bad YAML (with its line) or a non-mapping top level
    (when ``mapping``) raises :class:`InputError` naming the file. An empty file is ``{}``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} ({getattr(exc, 'strerror', None) or exc})", path=path) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"invalid YAML ({getattr(exc, 'problem', None) or exc})", path=path,
                         line=mark.line + 1 if mark is not None else None) from None
    if data is None:
        data = {}
    if mapping and not isinstance(data, dict):
        raise InputError(f"a {what} must be a YAML mapping", path=path)
    return data
