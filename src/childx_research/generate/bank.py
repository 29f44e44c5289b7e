"""Load the phrase banks (phrases/*.yaml): merged, slot-checked, cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..yamlio import read_yaml
from .pii import PII_SLOTS
from .templates import TemplateError, slots_of

PHRASES_DIR = Path(__file__).with_name("phrases")
CONTEXT_SLOTS = frozenset({"app", "alder_tal", "alder_nasta", "klass", "p_alder", "summa", "gava", "tid"})
ALL_SLOTS = PII_SLOTS | CONTEXT_SLOTS
#: Each file is a namespace named by its stem; these files add to another namespace.
NAMESPACES = {"utsatthet": "stodsokande", "indirekt": "stodsokande"}


def _merge(a: dict[str, Any], b: dict[str, Any], where: str) -> dict[str, Any]:
    for k, v in b.items():
        if k in a:
            if isinstance(a[k], dict) and isinstance(v, dict):
                _merge(a[k], v, f"{where}.{k}")
            elif isinstance(a[k], list) and isinstance(v, list):
                a[k] = a[k] + v
            else:
                raise InputError(f"section {where}.{k} has different shapes in two files")
        else:
            a[k] = v
    return a


def _check(node: Any, path: Path, where: str) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str):
                raise InputError(f"key {k!r} is not text (quote keys such as \"13_15\")", path=path, key=where)
            _check(v, path, f"{where}.{k}" if where else str(k))
    elif isinstance(node, list):
        for i, t in enumerate(node):
            if not isinstance(t, str):
                raise InputError(f"entry {i} is not a string", path=path, key=where)
            try:
                unknown = slots_of(t) - ALL_SLOTS
            except TemplateError as exc:
                raise InputError(str(exc), path=path, key=f"{where}[{i}]") from None
            if unknown:
                raise InputError(f"unknown slot {{{sorted(unknown)[0]}}} in {t!r}", path=path, key=f"{where}[{i}]")
    elif node is not None and not isinstance(node, str):
        raise InputError(f"unexpected {type(node).__name__}", path=path, key=where)


@lru_cache(maxsize=8)
def load_bank(folder: str | None = None) -> dict[str, Any]:
    root = Path(folder) if folder else PHRASES_DIR
    merged: dict[str, Any] = {}
    for path in sorted(root.glob("*.yaml")):
        data = read_yaml(path, "phrase bank")
        _check(data, path, "")
        ns = NAMESPACES.get(path.stem, path.stem)
        _merge(merged.setdefault(ns, {}), data, path.stem)
    return merged
