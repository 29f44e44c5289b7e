"""Train both families on one dataset, compare them on its test split, keep the better.

Used by ``childx demo`` and notebook 04. "Better" is measured on the test split: the
higher mean per-field macro-F1 (acute risk is one of the fields), then, on a tie, the
higher recall of the alarm options. Both models' alarm recall and false-alarm rate are in
the comparison table: on a test split of a few hundred contacts one missed acute case
moves recall by several points, so recall alone would pick by chance.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from ..records import replace_dir
from .train import train

DEFAULT_CONFIGS = {"baseline": "baseline", "transformer": "transformer"}
DEMO_CONFIGS = {"baseline": "demo-baseline", "transformer": "demo-transformer"}
#: the demo on a CPU without a local checkpoint: the transformer in a small configuration
#: (named so in the comparison table), so that the whole demo takes minutes, not ten; the
#: baseline as in the full demo (about 35 s of training on a 2-core CPU): its model is the
#: one `childx demo` keeps
DEMO_SMALL_CONFIGS = {"baseline": "demo-baseline", "transformer-liten": "demo-transformer-small"}
#: below this many contacts a run is a smoke test (tests, tiny notebooks): the tiny transformer
SMOKE_CONFIGS = {"baseline": "baseline", "transformer": "tiny"}
SMOKE_BELOW = 1000
TRANSFORMER_MODES = ("auto", "small", "full", "off")


def full_transformer_possible() -> bool:
    """A GPU, or a local checkpoint named by env CHILDX_ENCODER: the full transformer is worth its time."""
    import os

    if os.environ.get("CHILDX_ENCODER"):
        return True
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:  # pragma: no cover
        return False


def resolve_transformer_mode(mode: str = "auto") -> str:
    """``auto`` -> ``full`` with a GPU or a local checkpoint, else ``small``."""
    from ..errors import InputError

    if mode not in TRANSFORMER_MODES:
        raise InputError(f"unknown --transformer {mode!r} ({', '.join(TRANSFORMER_MODES)})")
    if mode == "auto":
        return "full" if full_transformer_possible() else "small"
    return mode


def demo_configs(n_contacts: int, transformer: str = "full") -> dict[str, str]:
    """The configs ``childx demo`` and notebook 04 train for a dataset of ``n_contacts``;
    ``transformer``: full | small | off (see :func:`resolve_transformer_mode`)."""
    if n_contacts < SMOKE_BELOW:
        configs = dict(SMOKE_CONFIGS)
    else:
        configs = dict(DEMO_SMALL_CONFIGS if transformer == "small" else DEMO_CONFIGS)
    if transformer == "off":
        configs = {k: v for k, v in configs.items() if not k.startswith("transformer")}
    return configs


def rank_key(metrics: dict[str, Any]) -> tuple[float, float]:
    recalls = [a["recall"] for a in metrics.get("alarms") or [] if a.get("recall") is not None]
    return (round(metrics.get("mean_macro_f1") or 0.0, 3), min(recalls) if recalls else 1.0)


def train_and_compare(data: str | Path | None, out_dir: str | Path, configs: dict[str, Any] | None = None,
                      overrides: dict[str, dict[str, Any]] | None = None,
                      log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train every config in ``configs`` (family -> config) on ``data``; copy the best model
    to ``out_dir/model``; write the comparison (metrics and charts) to ``out_dir/modelljamforelse``."""
    from ..evaluation import comparison_table, write_report
    from ..forms import load_form

    from .train import check_model_target

    out_dir = Path(out_dir)
    configs = configs or DEFAULT_CONFIGS
    check_model_target(out_dir / "model")
    results: dict[str, dict[str, Any]] = {}
    for name, cfg in configs.items():
        log(f"— {name}")
        t = time.perf_counter()
        path = train(cfg, out_dir / "models" / name, data=data, overrides=(overrides or {}).get(name), log=log)
        metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
        run = json.loads((path / "run.json").read_text(encoding="utf-8"))
        results[name] = {"path": path, "metrics": metrics["test"], "family": run["family"],
                         "seconds": round(time.perf_counter() - t, 1), "timings": run["timings"]}
    best = max(results, key=lambda k: rank_key(results[k]["metrics"]))
    model = out_dir / "model"
    copy_model(results[best]["path"], model)
    form = load_form(results[best]["path"] / "form.yaml")
    series = {k: r["metrics"] for k, r in results.items()}
    table = comparison_table(series)
    table["tid (s)"] = [round(results[k]["seconds"]) for k in series]
    table["vald"] = ["ja" if k == best else "" for k in series]
    report_dir = out_dir / "modelljamforelse"
    paths = write_report(results[best]["metrics"], form, report_dir, label=best,
                         others={k: v for k, v in series.items() if k != best})
    (report_dir / "jamforelse.json").write_text(json.dumps(
        {"best": best, "rule": "highest mean macro-F1 (3 decimals), then highest alarm recall (test split)",
         "models": {k: {"path": str(r["path"]), "seconds": r["seconds"], "mean_macro_f1": r["metrics"]["mean_macro_f1"],
                        "alarms": r["metrics"]["alarms"]} for k, r in results.items()}},
        indent=2, ensure_ascii=False), encoding="utf-8")
    return {"results": results, "best": best, "model": model, "table": table, "report": paths}


def copy_model(src: Path, dst: Path) -> Path:
    """Copy a model folder into place atomically (temporary sibling, then rename)."""
    from .train import check_model_target

    check_model_target(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        shutil.copytree(src, tmp, dirs_exist_ok=True)
        replace_dir(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dst
