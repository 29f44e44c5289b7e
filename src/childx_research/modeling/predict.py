"""Using a model folder: ``predict(model folder, conversations) -> form records``.

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

Training (``train(config) -> model folder``) is :mod:`.train`; ``train`` is re-exported
here for older callers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from .. import yamlio
from ..errors import InputError
from ..forms import Form, load_form
from ..records import Conversation, FormRecord, Message
from . import calibration as cal
from .folder import verify_files
from .train import MODEL_FILE, _family_class, check_model_target, train  # noqa: F401 - re-exported


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
            from ..summary import load_wording

            # the wording copied beside the model's form; older folders: the form's own
            self.wording = load_wording(model_dir / "form.yaml") or load_wording(self.form.id)
            from .stacking import FILE as STACKING_FILE, Stacker

            self.stacker, self.finder = None, None
            if (model_dir / STACKING_FILE).exists():
                from ..evidence import load_finder

                self.stacker = Stacker.from_dict(json.loads((model_dir / STACKING_FILE).read_text(encoding="utf-8")))
                self.finder = load_finder(self.form, model_dir / "form.yaml")
            self.model = _family_class(self.family).load(model_dir, self.form)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to load (a truncated file: EOFError, UnpicklingError)
            raise InputError(f"incomplete or damaged model folder ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})", path=model_dir) from None
        missing = [f.key for f in self.form.choice_fields if f.key not in self.calibration.fields]
        if missing:
            raise InputError(f"calibration.json lacks field {missing[0]!r}", path=model_dir)

    def logits(self, conversations: list[Conversation], found: list | None = None) -> dict[str, np.ndarray]:
        """The classifier's logits, combined with the evidence when the model learned to."""
        logits = self.model.logits(conversations)
        if self.stacker is None or self.finder is None:
            return logits
        from .stacking import evidence_features

        found = found if found is not None else self.finder.find(conversations)
        return self.stacker.apply(self.form, logits, evidence_features(self.form, found))

    def evidence(self, conversations: list[Conversation]) -> list | None:
        return self.finder.find(conversations) if self.finder is not None else None

    def predict(self, conversations: Iterable[Conversation], key_sentence: bool | None = None,
                batch_size: int = 256) -> list[FormRecord]:
        conversations = list(conversations)
        scfg = self.config.get("summary") or {}
        use_key = scfg.get("key_sentence", True) if key_sentence is None else key_sentence
        from ..progress import track

        records: list[FormRecord] = []
        starts = range(0, len(conversations), batch_size)
        for start in track(starts, "Fyller i formulär", total=len(conversations), unit="samtal",
                           step=lambda s: len(conversations[s:s + batch_size])):
            chunk = conversations[start:start + batch_size]
            found = self.evidence(chunk) if chunk else None
            decisions = cal.decide(self.form, self.logits(chunk, found), self.calibration) if chunk else []
            keys = self.key_sentences(chunk, decisions, found) if use_key else [None] * len(chunk)
            if found is not None and (self.config.get("calibration") or {}).get("require_evidence", True):
                for d, fd in zip(decisions, found):
                    d["needs_review"] = sorted(set(d["needs_review"]) | self._ungrounded(fd, d["values"]),
                                               key=self.form.keys.index)
            for i, (conv, d, key) in enumerate(zip(chunk, decisions, keys)):
                records.append(self._record(conv, d, key, found[i] if found is not None else None))
        return records

    def _ungrounded(self, found, values: dict[str, Any]) -> set[str]:
        """Fields the model has no grounds to fill in alone: a chosen option the evidence file
        has cues for, without counted evidence; or an option it has none for ("not stated",
        "no immediate danger") while another option has counted evidence."""
        out = set()
        rules = self.finder.rules.fields
        for f in self.form.choice_fields:
            fr = rules.get(f.key)
            if fr is None:
                continue
            v = values[f.key]
            chosen = [v] if isinstance(v, str) else list(v)
            with_cues = {o for o, pats in fr.options.items() if pats}
            if fr.values is not None:
                with_cues |= set(self.finder.rules.bins.get(f.key, {}))
            evidenced = {e.option for e in found.counted(f.key)}
            for o in chosen:
                if (o in with_cues and o not in evidenced) or (o not in with_cues and evidenced - set(chosen)):
                    out.add(f.key)
        return out

    def _record(self, conv: Conversation, d: dict[str, Any], key: str | None, found=None) -> FormRecord:
        from ..summary import summarise

        values = dict(d["values"])
        confident = {k: v for k, v in values.items() if k not in d["needs_review"]}
        text = summarise(confident, self.wording)
        if key:
            text = f"{text} Citat: ”{key}”".strip()
        for i, f in enumerate(self.form.text_fields):
            values[f.key] = text if i == 0 else ""
        form = {f.key: values[f.key] for f in self.form.fields}
        extra = {"evidence": found.record_evidence(self.form, d["values"])} if found is not None else {}
        return FormRecord(id=conv.id, started_at=conv.started_at, organisation=conv.organisation, form=form,
                          confidence=d["confidence"], field_confidence=d["field_confidence"],
                          needs_review=d["needs_review"], model=self.family, **extra)

    # --- the key sentence ------------------------------------------------------------
    def key_field(self):
        key = (self.config.get("summary") or {}).get("key_field")
        if key and key in self.form.by_key and self.form.field(key).kind != "text":
            return self.form.field(key)
        fields = self.form.multi_fields or self.form.choice_fields
        return fields[0] if fields else None

    def key_sentences(self, conversations: list[Conversation], decisions: list[dict[str, Any]],
                      found: list | None = None) -> list[str | None]:
        """One short help-seeker sentence per conversation that best shows the key field's
        predicted options, when the model is confident and the anonymiser's guard passes it.

        Each candidate sentence is scored on its own (the classifier reads the sentence
        alone); its evidence is the conversation's (``found``) that lies inside it, so the
        cue patterns are not run a second time on every sentence."""
        out: list[str | None] = [None] * len(conversations)
        f = self.key_field()
        guard = anonymiser_guard()
        if f is None or guard is None:
            return out
        scfg = self.config.get("summary") or {}
        min_conf = float(scfg.get("min_confidence", 0.9))
        max_words = int(scfg.get("max_words", 25))
        cands: list[tuple[int, str]] = []
        spans: list[tuple[int, int, int]] = []   # (message, start, end) of each candidate
        for i, (conv, d) in enumerate(zip(conversations, decisions)):
            if f.key in d["needs_review"]:
                continue
            for m, a, b, s in help_seeker_spans(conv, max_words):
                cands.append((i, s))
                spans.append((m, a, b))
        if not cands:
            return out
        pseudo = [Conversation(id=f"s{j}", messages=[Message(role="stodsokande", text=s)])
                  for j, (_, s) in enumerate(cands)]
        if self.stacker is not None and self.finder is not None and found is not None:
            pseudo_found = [_evidence_within(found[i], f.key, sp) for (i, _), sp in zip(cands, spans)]
            logits = self.logits(pseudo, pseudo_found)
        else:
            logits = self.logits(pseudo)
        P = cal.probabilities(f, logits[f.key], self.calibration.fields[f.key].temperature)
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


def help_seeker_spans(conv: Conversation, max_words: int = 25,
                      min_words: int = 4) -> list[tuple[int, int, int, str]]:
    """The help-seeker's sentences of ``min_words`` to ``max_words`` words:
    ``(message index, start, end, text)``, ``text == message.text[start:end]``."""
    from .features import SENTENCE_END

    out = []
    for k, m in enumerate(conv.messages):
        if m.role != "stodsokande":
            continue
        pos = 0
        for cut in [*SENTENCE_END.finditer(m.text), None]:
            end = cut.start() if cut is not None else len(m.text)
            piece = m.text[pos:end]
            a = pos + len(piece) - len(piece.lstrip())
            b = pos + len(piece.rstrip())
            if min_words <= len(m.text[a:b].split()) <= max_words:
                out.append((k, a, b, m.text[a:b]))
            if cut is not None:
                pos = cut.end()
    return out


def _evidence_within(found, key: str, span: tuple[int, int, int]):
    """The conversation's evidence for field ``key`` inside one sentence (message, start,
    end), as the evidence of that sentence alone: answers to the worker's question are
    left out (a sentence alone answers nothing) and offsets are the sentence's own."""
    from dataclasses import replace

    from ..evidence import Found

    m, a, b = span
    items = [replace(e, message=0, start=e.start - a, end=e.end - a) for e in found.items.get(key, [])
             if e.message == m and e.source != "answer" and a <= e.start and e.end <= b]
    return Found({key: items} if items else {})


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
