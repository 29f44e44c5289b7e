"""Reading the project's YAML files (forms, configs, phrase banks) with one-line errors.

A key given twice in one mapping is an error (PyYAML keeps the last one silently): a form or
config where a second ``pagaende:`` quietly replaces the first is a mistake nobody sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):  # noqa: D401 - PyYAML's hook
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    dup = key in seen
                except TypeError:  # an unhashable key: SafeLoader names that problem itself
                    break
                if dup:
                    raise _DuplicateKey(None, None, "a key is given twice in one mapping", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with duplicate keys refused (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def read_yaml(path: str | Path, what: str = "YAML file", *, mapping: bool = True) -> Any:
    """Parse ``path``; a missing file, bad YAML (with its line), a key given twice or a
    non-mapping top level (when ``mapping``) raises :class:`InputError` naming the file.
    An empty file is ``{}``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=path) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, expected a {what}", path=path) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise InputError(f"cannot read {what} (not UTF-8 text)", path=path, line=line) from None
    except OSError as exc:
        raise InputError(f"cannot read {what} ({exc.strerror})", path=path) from None
    try:
        data = safe_load(text)
    except RecursionError:
        raise InputError(f"invalid YAML (nested too deeply)", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # PyYAML's problem text names the construct, never the file's content
        raise InputError(f"invalid YAML ({getattr(exc, 'problem', None) or type(exc).__name__})", path=path,
                         line=mark.line + 1 if mark is not None else None) from None
    if data is None:
        data = {}
    if mapping and not isinstance(data, dict):
        raise InputError(f"a {what} must be a YAML mapping", path=path)
    return data
