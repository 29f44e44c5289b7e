"""Training configs: YAML files under ``training/configs/``, resolved into one plain dict.

A config may name a file it builds on with ``extends: other.yaml`` (relative to itself);
sections are merged key by key, the extending file winning. The resolved dict is what a
run writes beside its model (``config.yaml``), so one file reproduces a run.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from ..errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIGS_DIR = REPO_ROOT / "training" / "configs"
DEFAULTS = CONFIGS_DIR / "defaults.yaml"
FAMILIES = ("baseline", "transformer")


def deep_update(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``a`` updated with ``b``, recursively for nested mappings (``a`` is modified)."""
    for k, v in (b or {}).items():
        if isinstance(a.get(k), dict) and isinstance(v, dict):
            a[k] = deep_update(a[k], v)
        else:
            a[k] = copy.deepcopy(v)
    return a


def _read_yaml(path: Path) -> dict[str, Any]:
    from ..yamlio import read_yaml

    return read_yaml(path, "config file")


def resolve_config_path(name_or_path: str | Path) -> Path:
    """A path, or a bare name of a file in ``training/configs`` ("baseline", "tiny")."""
    p = Path(name_or_path)
    if p.suffix in {".yaml", ".yml"} or p.exists() or len(p.parts) > 1:
        return p
    return CONFIGS_DIR / f"{name_or_path}.yaml"


def load_config(source: str | Path | dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The resolved config: ``extends`` chains followed, ``overrides`` applied last."""
    if isinstance(source, dict):
        cfg = copy.deepcopy(source)
        base_dir = CONFIGS_DIR
        path = None
    else:
        path = resolve_config_path(source)
        cfg = _read_yaml(path)
        base_dir = path.parent
    seen: list[Path] = [path] if path else []
    while "extends" in cfg and cfg["extends"]:
        parent_path = (base_dir / str(cfg.pop("extends"))).resolve()
        if parent_path in seen:
            raise InputError("'extends' forms a cycle", path=path, key="extends")
        seen.append(parent_path)
        parent = _read_yaml(parent_path)
        base_dir = parent_path.parent
        child = cfg
        cfg = deep_update(parent, child)
    cfg.pop("extends", None)
    deep_update(cfg, overrides or {})
    family = cfg.get("family")
    if family not in FAMILIES:
        raise InputError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}", path=path, key="family")
    if not isinstance(cfg.get("seed", 0), int):
        raise InputError("seed must be an integer", path=path, key="seed")
    cfg.setdefault("seed", 1)
    cfg.setdefault("name", path.stem if path else family)
    return cfg


def config_hash(obj: Any, length: int = 12) -> str:
    """A short stable hash of a JSON-able object (used to key cached encoders)."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def alarms_for(form, cfg: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The recall-first options (e.g. acute risk) of a config that exist in ``form``.

    Without a config, the project defaults (``training/configs/defaults.yaml``).
    """
    if cfg is None:
        cfg = _read_yaml(DEFAULTS) if DEFAULTS.exists() else {}
    out = []
    for a in (cfg.get("calibration") or {}).get("alarms") or []:
        f = form.by_key.get(a.get("field"))
        if f is not None and f.kind != "text" and a.get("option") in f.option_keys:
            out.append(dict(a))
    return out
