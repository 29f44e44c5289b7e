"""One interface for both families: ``train(config) -> model folder`` and
``predict(model folder, conversations) -> form records``.

A model folder holds everything needed to use and to reproduce it:

```
childx_model.json   family, form id, when, package version, sha256 of every file loading reads
form.yaml           the form the model fills in (a copy)
config.yaml         the resolved training config
calibration.json    temperatures, thresholds, alarm thresholds, confidence bars
run.json            seed, package versions, data, timings
metrics.json        validation (calibration) and test metrics
model_card.md       data, metrics, intended use, known limits
baseline.skops | transformer/    the fitted model (skops / safetensors: no code runs on load)
```

It is written to a temporary folder beside the target and renamed into place, so a
failed run never leaves a half-written model where a good one was.
"""

from __future__ import annotations

import json
import platform
import random
import re
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import yaml

from .. import yamlio
from ..errors import InputError
from ..forms import Form, load_form, resolve_form_path
from ..records import Conversation, FormRecord, Message, replace_dir, temp_dir_for
from . import calibration as cal
from .config import alarms_for, load_config
from .data import examples, load_dataset
from .folder import file_digests, verify_files

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
        (tmp / "calibration.json").write_text(json.dumps(calib.to_dict(), indent=2), encoding="utf-8")
        (tmp / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
        meta = {"family": family, "name": cfg["name"], "form": form.id, "form_version": form.version,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "childx_research": _version(), "files": file_digests(tmp, MODEL_FILE)}
        (tmp / MODEL_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")

        metrics: dict[str, Any] = {"validation": cal_report}
        if test_ex:
            from ..evaluation import compute_metrics

            t = time.perf_counter()
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


# --- predict ----------------------------------------------------------------------------

class Predictor:
    """A loaded model folder: ``predict(conversations) -> list[FormRecord]``."""

    def __init__(self, model_dir: str | Path) -> None:
        model_dir = Path(model_dir)
        meta_path = model_dir / MODEL_FILE
        if not meta_path.exists():
            raise InputError(f"not a model folder (no {MODEL_FILE})", path=model_dir)
        self.model_dir = model_dir
        try:
            self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(self.meta, dict):
                raise InputError(f"{MODEL_FILE} is not an object", path=model_dir)
            verify_files(model_dir, self.meta, MODEL_FILE)
            self.form: Form = load_form(model_dir / "form.yaml")
            self.config = yamlio.safe_load((model_dir / "config.yaml").read_text(encoding="utf-8")) or {}
            self.calibration = cal.Calibration.from_dict(
                json.loads((model_dir / "calibration.json").read_text(encoding="utf-8")))
            self.family = self.meta["family"]
            self.model = _family_class(self.family).load(model_dir, self.form)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to load (a truncated file: EOFError, UnpicklingError)
            raise InputError(f"incomplete or damaged model folder ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})", path=model_dir) from None
        missing = [f.key for f in self.form.choice_fields if f.key not in self.calibration.fields]
        if missing:
            raise InputError(f"calibration.json lacks field {missing[0]!r}", path=model_dir)

    def logits(self, conversations: list[Conversation]) -> dict[str, np.ndarray]:
        return self.model.logits(conversations)

    def predict(self, conversations: Iterable[Conversation], key_sentence: bool | None = None,
                batch_size: int = 256) -> list[FormRecord]:
        conversations = list(conversations)
        scfg = self.config.get("summary") or {}
        use_key = scfg.get("key_sentence", True) if key_sentence is None else key_sentence
        records: list[FormRecord] = []
        for start in range(0, len(conversations), batch_size):
            chunk = conversations[start:start + batch_size]
            decisions = cal.decide(self.form, self.logits(chunk), self.calibration) if chunk else []
            keys = self.key_sentences(chunk, decisions) if use_key else [None] * len(chunk)
            for conv, d, key in zip(chunk, decisions, keys):
                records.append(self._record(conv, d, key))
        return records

    def _record(self, conv: Conversation, d: dict[str, Any], key: str | None) -> FormRecord:
        from ..summary import summarise

        values = dict(d["values"])
        confident = {k: v for k, v in values.items() if k not in d["needs_review"]}
        text = summarise(confident)
        if key:
            text = f"{text} Citat: ”{key}”"
        for i, f in enumerate(self.form.text_fields):
            values[f.key] = text if i == 0 else ""
        form = {f.key: values[f.key] for f in self.form.fields}
        return FormRecord(id=conv.id, started_at=conv.started_at, organisation=conv.organisation, form=form,
                          confidence=d["confidence"], field_confidence=d["field_confidence"],
                          needs_review=d["needs_review"], model=self.family)

    # --- the key sentence ------------------------------------------------------------
    def key_field(self):
        key = (self.config.get("summary") or {}).get("key_field")
        if key and key in self.form.by_key and self.form.field(key).kind != "text":
            return self.form.field(key)
        fields = self.form.multi_fields or self.form.choice_fields
        return fields[0] if fields else None

    def key_sentences(self, conversations: list[Conversation], decisions: list[dict[str, Any]]) -> list[str | None]:
        """One short help-seeker sentence per conversation that best shows the key field's
        predicted options, when the model is confident and the anonymiser's guard passes it."""
        out: list[str | None] = [None] * len(conversations)
        f = self.key_field()
        guard = anonymiser_guard()
        if f is None or guard is None:
            return out
        scfg = self.config.get("summary") or {}
        min_conf = float(scfg.get("min_confidence", 0.9))
        max_words = int(scfg.get("max_words", 25))
        cands: list[tuple[int, str]] = []
        for i, (conv, d) in enumerate(zip(conversations, decisions)):
            if f.key in d["needs_review"]:
                continue
            for s in help_seeker_sentences(conv, max_words):
                cands.append((i, s))
        if not cands:
            return out
        pseudo = [Conversation(id=f"s{j}", messages=[Message(role="stodsokande", text=s)])
                  for j, (_, s) in enumerate(cands)]
        P = cal.probabilities(f, self.logits(pseudo)[f.key], self.calibration.fields[f.key].temperature)
        scored: dict[int, list[tuple[float, str]]] = {}
        for (i, s), p in zip(cands, P):
            chosen = decisions[i]["values"][f.key]
            chosen = [chosen] if isinstance(chosen, str) else chosen
            idx = [f.option_keys.index(o) for o in chosen if o not in f.exclusive_keys]
            if not idx:
                continue
            score = float(max(p[j] for j in idx))
            if score >= min_conf:
                scored.setdefault(i, []).append((score, s))
        for i, items in scored.items():
            for _, s in sorted(items, key=lambda t: -t[0]):
                clean = guard(s)
                if clean:
                    out[i] = clean
                    break
        return out


_SENT = re.compile(r"(?<=[.!?])\s+|\n+")


def help_seeker_sentences(conv: Conversation, max_words: int = 25, min_words: int = 4) -> list[str]:
    out = []
    for m in conv.messages:
        if m.role != "stodsokande":
            continue
        for s in _SENT.split(m.text):
            s = s.strip()
            if min_words <= len(s.split()) <= max_words:
                out.append(s)
    return out


_UNSAFE = re.compile(r"\d{3,}|@|https?:|www\.|\.se\b|\.com\b", re.IGNORECASE)


def anonymiser_guard() -> Callable[[str], str | None] | None:
    """A function: sentence -> the sentence when it may be quoted, else ``None``.

    A sentence may be quoted only when the anonymiser's detector finds no personal data
    in it at all (``childx_research.anonymize.guard`` passes it) and it holds no long
    number, address or link. Without the anonymiser nothing from a conversation is ever
    quoted: privacy is the floor.
    """
    try:
        from ..anonymize import guard
    except Exception:  # not installed or broken: never quote
        return None

    def run(text: str) -> str | None:
        text = " ".join(text.split())
        if not text or _UNSAFE.search(text):
            return None
        try:
            guard(Conversation(id="nyckelmening", messages=[Message(role="stodsokande", text=text)]))
        except Exception:  # PersonalDataFound, or anything unexpected: do not quote
            return None
        return text

    return run


_CACHE: dict[str, tuple[float, Predictor]] = {}


def load_model(model_dir: str | Path) -> Predictor:
    """A :class:`Predictor`, cached per folder (reloaded when the folder changes)."""
    p = Path(model_dir)
    if not p.is_dir():
        raise InputError("model folder not found", path=p)
    meta = p / MODEL_FILE
    stamp = meta.stat().st_mtime if meta.exists() else -1.0
    key = str(p.resolve())
    hit = _CACHE.get(key)
    if hit and hit[0] == stamp:
        return hit[1]
    pred = Predictor(p)
    _CACHE[key] = (stamp, pred)
    return pred


def predict(model_dir: str | Path, conversations: Iterable[Conversation], **kwargs: Any) -> list[FormRecord]:
    """Form records (with ``confidence``, ``field_confidence``, ``needs_review``) for conversations."""
    return load_model(model_dir).predict(conversations, **kwargs)


def predict_file(model_dir: str | Path, input_path: str | Path, output_path: str | Path) -> int:
    """``childx predict``: read conversations (JSONL), write form records (JSONL, atomically)."""
    from ..records import check_unique_ids, read_conversations, write_jsonl

    convs = read_conversations(input_path)
    check_unique_ids(convs, input_path)
    predictor = load_model(model_dir)
    return write_jsonl(output_path, predictor.predict(convs))


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
