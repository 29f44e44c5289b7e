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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    check_config(cfg, path)
    from ..forms import load_form

    alarms_for(load_form(cfg.get("form")), cfg, path)  # an alarm entry must name an alarm option of the form
    cfg.setdefault("seed", 1)
    cfg.setdefault("name", path.stem if path else family)
    return cfg


def config_hash(obj: Any, length: int = 12) -> str:
    """A short stable hash of a JSON-able object (used to key cached encoders)."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def alarms_for(form, cfg: dict[str, Any] | None = None, path: str | Path | None = None) -> list[dict[str, Any]]:
    """The form's alarm options (``alarm: true`` in the form file, e.g. acute risk "ja"),
    each as ``{field, option, recall, margin}``.

    ``calibration.alarm`` sets recall and margin for every alarm option; an entry of
    ``calibration.alarms`` sets them for one option, and must name an alarm option of the
    form (a misspelt field or option is an error, never an alarm silently lost).
    """
    calib = (cfg or {}).get("calibration") or {}
    default = {"recall": 1.0, "margin": 1.0, **(calib.get("alarm") or {})}
    declared = form.alarm_options
    tuned: dict[tuple[str, str], dict[str, Any]] = {}
    for i, a in enumerate(calib.get("alarms") or []):
        key = (a.get("field"), a.get("option"))
        if key not in declared:
            where = "field" if a.get("field") not in form.by_key else "option"
            raise InputError(f"not an alarm option of form {form.id!r} (alarm options: "
                             f"{', '.join(f'{k}={o}' for k, o in declared) or 'none'})", path=path,
                             key=f"calibration.alarms[{i}].{where}")
        tuned[key] = a
    out = []
    for k, o in declared:
        a = {**default, **tuned.get((k, o), {})}
        out.append({"field": k, "option": o, "recall": float(a["recall"]), "margin": float(a["margin"])})
    return out


# --- the schema ---------------------------------------------------------------------------
# Every section a training config may hold, typed. A misspelt key or a value of the wrong
# type ("C: mycket") is one line naming the file and the key, before any training starts.


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class _Seeded(_Section):
    n: int = Field(ge=0)
    seed: int = 1


class DataSection(_Section):
    path: str | None = None
    generate: _Seeded | None = None
    split_seed: int = 0
    augment_generated: _Seeded | None = None


class AlarmTuning(_Section):
    recall: float = Field(1.0, ge=0.0, le=1.0)
    margin: float = Field(1.0, ge=0.0)


class Alarm(AlarmTuning):
    field: str
    option: str


class CalibrationSection(_Section):
    temperature: bool = True
    thresholds: bool = True
    min_positives: int = Field(3, ge=0)
    confidence_precision: float = Field(0.95, ge=0.0, le=1.0)
    min_bar: float = Field(0.8, ge=0.0, le=1.0)
    alarm: AlarmTuning | None = None
    alarms: list[Alarm] = []
    require_evidence: bool = True


class SummarySection(_Section):
    key_sentence: bool = True
    key_field: str | None = None
    min_confidence: float = Field(0.9, ge=0.0, le=1.0)
    max_words: int = Field(25, ge=1)


class Windows(_Section):
    sentences: int | None = Field(None, ge=1)
    fields: list[str] = []


class BaselineSection(_Section):
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = Field(2, ge=1)
    max_features_word: int | None = Field(None, ge=1)
    max_features_char: int | None = Field(None, ge=1)
    sublinear_tf: bool = True
    solver: Literal["sgd", "lbfgs"] = "sgd"
    C: float = Field(8.0, gt=0.0)
    class_weight: Literal["balanced"] | None = "balanced"
    single_class_weight: Literal["balanced"] | None = None
    max_iter: int = Field(50, ge=1)
    n_jobs: int = 2
    windows: Windows | None = None


class ModelSection(_Section):
    encoder: str | None = None
    encoder_source: str | None = None
    max_length: int = Field(256, ge=8)
    overlap: int = Field(32, ge=0)
    max_windows: int = Field(32, ge=1)
    pooling: Literal["max", "mean"] = "max"
    window_vector: Literal["label_attention", "mean", "cls"] = "label_attention"
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    predict_batch_windows: int | None = Field(None, ge=1)


class Mlm(_Section):
    epochs: float = Field(1, gt=0)
    max_steps: int = -1
    batch_size: int = Field(32, ge=1)
    learning_rate: float = Field(1e-3, gt=0)
    mask_prob: float = Field(0.15, gt=0, lt=1)
    logging_steps: int = Field(250, ge=1)
    max_samples: int | None = Field(None, ge=1)
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    bf16: bool = False


class EncoderSection(_Section):
    cache_dir: str | None = None
    seed: int = 1
    vocab_size: int = Field(6000, ge=10)
    hidden_size: int = Field(128, ge=1)
    num_layers: int = Field(2, ge=1)
    num_heads: int = Field(2, ge=1)
    intermediate_size: int = Field(512, ge=1)
    max_position_embeddings: int = Field(512, ge=8)
    mlm_max_length: int = Field(128, ge=8)
    corpus: _Seeded | None = None
    mlm: Mlm | None = None


class TrainSection(_Section):
    epochs: float = Field(7, gt=0)
    max_steps: int = -1
    batch_size: int = Field(8, ge=1)
    learning_rate: float = Field(5e-4, gt=0)
    head_lr_factor: float = Field(20, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    logging_steps: int = Field(250, ge=1)
    bf16: bool = False
    gradient_accumulation_steps: int = Field(1, ge=1)


class StackingSection(_Section):
    enabled: bool = True
    C: float = Field(1.0, gt=0.0)


class TrainingConfig(_Section):
    family: Literal["baseline", "transformer"]
    name: str | None = None
    seed: int = 1
    form: str | None = None
    data: DataSection | None = None
    reads: dict[str, list[Literal["stodsokande", "stodperson"]]] | None = None
    calibration: CalibrationSection | None = None
    summary: SummarySection | None = None
    stacking: StackingSection | None = None
    baseline: BaselineSection | None = None
    model: ModelSection | None = None
    encoder: EncoderSection | None = None
    train: TrainSection | None = None


def check_config(cfg: dict[str, Any], path: str | Path | None = None) -> None:
    """Raise :class:`InputError` naming the file and the key (never the value) unless the
    resolved ``cfg`` fits :class:`TrainingConfig`."""
    try:
        TrainingConfig.model_validate(cfg)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
        msg = "missing key" if err["type"] == "missing" else \
            "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise InputError(msg, path=path, key=loc or None) from None
