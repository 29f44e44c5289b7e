"""Training: ``train(config) -> model folder`` for both families.

A model folder holds everything needed to use and to reproduce it:

```
childx_model.json   family, form id, when, package version, sha256 of every file loading reads
form.yaml           the form the model fills in (a copy)
form.summary.yaml   the summary's wording beside the form (a copy; when the form has one)
form.evidence.yaml  the evidence rules (a copy; when the form has them) and
stacking.json       the learned combination of classifier and evidence (modeling/stacking.py)
config.yaml         the resolved training config
calibration.json    temperatures, thresholds, alarm thresholds, confidence bars
run.json            seed, package versions, data, timings
metrics.json        validation (calibration) and test metrics
model_card.md       data, metrics, intended use, known limits
baseline.skops | transformer/   the fitted model (skops / safetensors: no code runs on load)
```

It is written to a temporary folder beside the target and renamed into place, so a
failed run never leaves a half-written model where a good one was. Using a model folder
is :mod:`.predict`.
"""

from __future__ import annotations

import json
import platform
import random
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from ..errors import InputError
from ..forms import Form, load_form, resolve_form_path
from ..records import FormRecord, replace_dir, temp_dir_for
from . import calibration as cal
from .config import alarms_for, load_config
from .data import examples, load_dataset
from .folder import file_digests

MODEL_FILE = "childx_model.json"
PACKAGES = ("torch", "transformers", "tokenizers", "datasets", "evaluate", "accelerate", "scikit-learn", "numpy",
            "pandas", "childx-research")


def _family_class(family: str):
    if family == "baseline":
        from .baseline import BaselineModel

        return BaselineModel
    if family == "transformer":
        from .transformer import TransformerModel

        return TransformerModel
    raise InputError(f"unknown model family {family!r}")


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def _git_commit() -> str | None:
    import subprocess

    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True,
                             timeout=5)
        return res.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover
        pass


# --- train ------------------------------------------------------------------------------

def train(config: str | Path | dict[str, Any], out: str | Path | None = None, *, data: str | Path | None = None,
          overrides: dict[str, Any] | None = None, log: Callable[[str], None] = print,
          allow_unsealed: bool = False) -> Path:
    """Train one model from a config; returns the model folder (``out``, default ``runs/models/<name>``).

    Only sealed anonymised data (or synthetic contacts generated in memory) unless
    ``allow_unsealed`` (:func:`.data.load_dataset`)."""
    t_start = time.perf_counter()
    cfg = load_config(config, overrides)
    if data is not None:  # the resolved config names the data it was trained on
        cfg.setdefault("data", {})["path"] = str(Path(data).resolve())
    form = load_form(cfg.get("form"))
    seed = int(cfg.get("seed", 1))
    seed_everything(seed)
    out = Path(out) if out is not None else Path("runs") / "models" / str(cfg["name"])
    check_model_target(out)

    timings: dict[str, float] = {}
    t = time.perf_counter()
    dd, origin = load_dataset(cfg, form, allow_unsealed=allow_unsealed)
    train_ex, val_ex = examples(dd["train"], form), examples(dd["validation"], form)
    test_ex = examples(dd["test"], form) if "test" in dd else []
    timings["data_s"] = round(time.perf_counter() - t, 2)
    log(f"  data: {origin}; train {len(train_ex)}, validation {len(val_ex)}, test {len(test_ex)}")

    family = cfg["family"]
    Model = _family_class(family)
    from .encoder import distributed_state

    state = distributed_state()
    if state is not None and not state.is_main_process and family != "transformer":
        return out  # under `accelerate launch`: only the transformer's training is spread over processes
    t = time.perf_counter()
    model = Model.fit(train_ex, form, cfg, seed=seed, log=log)
    timings["fit_s"] = round(time.perf_counter() - t, 2)
    if state is not None and not state.is_main_process:
        return out  # the main process calibrates, evaluates and writes the model folder

    t = time.perf_counter()
    val_logits = model.logits([e.conversation for e in val_ex])
    timings["validation_logits_s"] = round(time.perf_counter() - t, 2)
    stacker, stack_report, finder = None, None, None
    scfg = cfg.get("stacking") or {}
    if scfg.get("enabled", True):
        from ..evidence import load_finder
        from . import stacking

        finder = load_finder(form, resolve_form_path(cfg.get("form")))
        if finder is not None:
            t = time.perf_counter()
            feats = stacking.evidence_features(form, finder.find([e.conversation for e in val_ex]))
            stacker, stack_report = stacking.fit(form, val_logits, feats, [e.values for e in val_ex],
                                                 C=float(scfg.get("C", 1.0)), seed=seed)
            val_logits = stacker.apply(form, val_logits, feats)
            timings["stacking_s"] = round(time.perf_counter() - t, 2)
            log(f"  evidens + klassificerare: staplad på valideringsdelen ({len(val_ex)} samtal)")
    t = time.perf_counter()
    alarms = alarms_for(form, cfg)
    calib, cal_report = cal.fit(form, val_logits, [e.values for e in val_ex], cfg.get("calibration") or {}, alarms)
    timings["calibration_s"] = round(time.perf_counter() - t, 2)
    for a in cal_report["alarms"]:
        log(f"  larm {a['field']}={a['option']}: tröskel {a['threshold']:.4f}, recall (validering) "
            f"{_fmt(a['recall'])}, falsklarm {_fmt(a['false_alarm_rate'])}")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir_for(out)  # also removes what a killed earlier run left
    try:
        model.save(tmp)
        form_src = resolve_form_path(cfg.get("form"))
        shutil.copyfile(form_src, tmp / "form.yaml")
        from ..summary import wording_path

        if wording_path(form_src).exists():  # the summary's wording travels with the form
            shutil.copyfile(wording_path(form_src), wording_path(tmp / "form.yaml"))
        if stacker is not None:  # the evidence rules travel with the model that learned to weigh them
            from ..evidence import evidence_path
            from .stacking import FILE as STACKING_FILE

            shutil.copyfile(evidence_path(form_src), evidence_path(tmp / "form.yaml"))
            (tmp / STACKING_FILE).write_text(json.dumps(stacker.to_dict()), encoding="utf-8")
        (tmp / "calibration.json").write_text(json.dumps(calib.to_dict(), indent=2), encoding="utf-8")
        (tmp / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
        meta = {"family": family, "name": cfg["name"], "form": form.id, "form_version": form.version,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "childx_research": _version(),
                "files": file_digests(tmp, MODEL_FILE)}  # written last of what loading reads
        (tmp / MODEL_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")

        metrics: dict[str, Any] = {"validation": cal_report}
        if stack_report is not None:
            metrics["stacking"] = stack_report
        if test_ex:
            from ..evaluation import compute_metrics

            t = time.perf_counter()
            from .predict import Predictor

            predictor = Predictor(tmp)
            preds = predictor.predict([e.conversation for e in test_ex], key_sentence=False)
            timings["predict_test_s"] = round(time.perf_counter() - t, 2)
            gold = [FormRecord(id=e.conversation.id, form=e.values) for e in test_ex]
            metrics["test"] = compute_metrics(gold, preds, form, alarms=alarms)
            log(f"  test: medel-makro-F1 {metrics['test']['mean_macro_f1']:.3f}, "
                f"exakt rätt fält {metrics['test']['exact_match_share']:.3f}")
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        timings["total_s"] = round(time.perf_counter() - t_start, 2)
        run = {"seed": seed, "family": family, "config": cfg.get("name"), "data": origin,
               "sizes": {"train": len(train_ex), "validation": len(val_ex), "test": len(test_ex)},
               "timings": timings, "versions": package_versions(), "git_commit": _git_commit(),
               "platform": platform.platform(), "argv": sys.argv}
        if family == "transformer":
            run["encoder"] = model.mcfg.get("encoder_source")
        (tmp / "run.json").write_text(json.dumps(run, indent=2, ensure_ascii=False), encoding="utf-8")
        (tmp / "model_card.md").write_text(model_card(meta, cfg, run, metrics, form), encoding="utf-8")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"  modell: {out} ({timings['total_s']:.0f} s)")
    return out


def check_model_target(out: Path) -> None:
    """A model is written only to a new folder, an empty one or an earlier model folder:
    never over something else."""
    if out.exists():
        if not out.is_dir():
            raise InputError("exists and is not a folder", path=out)
        if any(out.iterdir()) and not (out / MODEL_FILE).exists():
            raise InputError("exists and is not a model folder: choose another --out", path=out)


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}"


def _version() -> str:
    from .. import __version__

    return __version__


# --- the model card ---------------------------------------------------------------------

def model_card(meta: dict[str, Any], cfg: dict[str, Any], run: dict[str, Any], metrics: dict[str, Any],
               form: Form) -> str:
    test = metrics.get("test") or {}
    lines = [
        f"# Modellkort: {meta['name']} ({meta['family']})",
        "",
        f"Fyller i formuläret **{form.title}** (`{form.id}`, version {form.version}) från ett samtal.",
        f"Skapad {meta['created']}, childx-research {meta['childx_research']}, frö {run['seed']}.",
        "",
        "## Avsedd användning",
        "",
        "Stöd för dokumentation och forskning: ett förslag som en stödperson eller annoterare granskar "
        "och rättar. **Aldrig automatiska beslut om ett barn.** Fält under sin säkerhetsgräns "
        "(`needs_review`) lämnas till en människa. Missad akut risk är det värsta felet; tröskeln är "
        "satt för full recall på valideringsdata, men ingen modell ersätter en människas bedömning.",
        "",
        "## Data",
        "",
        f"- Källa: {run['data']}",
        f"- Storlek: träning {run['sizes']['train']}, validering {run['sizes']['validation']}, "
        f"test {run['sizes']['test']} samtal (uppdelning per samtal).",
        "- Syntetiska samtal från `childx generate` tills annoterade riktiga samtal finns: "
        "modellens kvalitet på riktiga samtal kan vara lägre än siffrorna nedan.",
    ]
    if run.get("encoder"):
        lines.append(f"- Kodare: {run['encoder']}")
    lines += ["", "## Resultat (testdelen)", ""]
    if test:
        lines += [f"- Medel av makro-F1 per fält: **{test['mean_macro_f1']:.3f}**; "
                  f"andel exakt rätt fält: {test['exact_match_share']:.3f}",
                  f"- Kalibreringsfel (ECE): {_fmt(test.get('ece'))}; täckning vid "
                  f"{test.get('coverage', {}).get('precision', 0.95):.0%} precision: "
                  f"{_fmt(test.get('coverage', {}).get('coverage'))}"]
        for a in test.get("alarms", []):
            lines.append(f"- Larm `{a['field']}={a['option']}`: recall {_fmt(a['recall'])}, "
                         f"falsklarmfrekvens {_fmt(a['false_alarm_rate'])} ({a['positives']} positiva)")
        lines += ["", "| fält | makro-F1 | mikro-F1 | exakt rätt |", "|---|---|---|---|"]
        for key, m in test["fields"].items():
            lines.append(f"| {form.field(key).label} (`{key}`) | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} | "
                         f"{m['exact_match']:.3f} |")
    else:
        lines.append("Ingen testdel.")
    val = metrics.get("validation") or {}
    for a in val.get("alarms", []):
        lines += ["", f"Larmtröskel `{a['field']}={a['option']}` = {a['threshold']:.4f} "
                      f"(validering: recall {_fmt(a['recall'])}, falsklarm {_fmt(a['false_alarm_rate'])})."]
    lines += [
        "",
        "## Kända begränsningar",
        "",
        "- Tränad på syntetiska samtal: ovanliga formuleringar, dialekter, ironi och långa "
        "berättelser om andra personer kan läsas fel.",
        "- Sällsynta alternativ har få exempel; deras F1 är osäker.",
        "- Sammanfattningen skrivs från de säkra fälten; ett citat tas bara med när "
        "anonymiseringens vakt godkänner det.",
        "- Tidsstämplar, organisation och kanal används inte av modellen.",
        "",
        "Återskapa: `childx train --config config.yaml --out DIR` (se `run.json` för versioner).",
    ]
    return "\n".join(lines) + "\n"
