"""Synthetic Swedish support contacts with gold forms, gold personal-data spans and
injected trends: the stand-in for real data until annotated real data exists.

Public API:
- :func:`generate_contacts` — a list of :class:`records.Contact` (plus the truth).
- :func:`generate_to_dir` — what ``childx generate`` writes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

from ..errors import InputError
from ..forms import Form, load_form
from ..yamlio import read_yaml
from ..records import Contact, Message, PiiSpan, write_json, write_jsonl
from ..summary import load_wording, summarise
from .bank import load_bank
from .config import check_config
from .dialogue import Writer
from .labels import sample_story
from .templates import join
from .timeline import Trend, expected_share, sample_timestamps

DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")


@dataclass
class Generated:
    contacts: list[Contact]
    truth: dict[str, Any]


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The default config, updated section by section with a user's file."""
    cfg = read_yaml(DEFAULT_CONFIG, "generator config")
    if path is not None:
        path = Path(path)
        user = read_yaml(path, "generator config")
        for k, v in user.items():
            if k not in cfg:
                raise InputError("unknown config key", path=path, key=k)
            cfg[k] = _deep_update(copy.deepcopy(cfg[k]), v) if isinstance(cfg[k], dict) and isinstance(v, dict) else v
    check_config(cfg, path if path is not None else DEFAULT_CONFIG)
    if isinstance(cfg.get("form"), str) or cfg.get("form") is None:
        check_config(cfg, path if path is not None else DEFAULT_CONFIG, form=load_form(cfg.get("form")))
    return cfg


def _deep_update(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    for k, v in b.items():
        a[k] = _deep_update(a[k], v) if isinstance(a.get(k), dict) and isinstance(v, dict) else v
    return a


def _as_date(v: Any, key: str) -> date:
    try:
        return v if isinstance(v, date) else date.fromisoformat(str(v))
    except ValueError:
        raise InputError(f"not a date: {v!r}", key=key) from None


def _trends(cfg: dict[str, Any], form: Form) -> list[Trend]:
    cores = {next(iter(sc["utsatthet"])) for sc in cfg["scenarios"].values()}
    out = []
    for i, t in enumerate(cfg.get("trends") or []):
        if t["field"] != "utsatthet" or t["option"] not in cores:
            raise InputError(f"a trend must name a scenario's core utsatthet option, got {t['field']}.{t['option']}",
                             key=f"trends[{i}]")
        if t["kind"] not in ("outbreak", "rise"):
            raise InputError(f"trend kind must be outbreak or rise, got {t['kind']!r}", key=f"trends[{i}]")
        out.append(Trend(t["field"], t["option"], t["kind"], _as_date(t["start"], f"trends[{i}].start"),
                         int(t["weeks"]), float(t["factor"])))
    return out


def generator_fingerprint() -> str:
    """A short hash of the generator's code, configuration and phrase banks: anything built
    from generated text (the small encoder) is rebuilt when the generator changes."""
    import hashlib

    root = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *root.glob("*.yaml"), *(root / "phrases").glob("*.yaml")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _truth(t: Trend, cfg: dict[str, Any], trends: list[Trend]) -> dict[str, Any]:
    """A trend for truth.json, with the option's expected share of all contacts before it and
    at its peak (the last day of an outbreak, the end of a rise's ramp, with every trend
    active then): ``factor`` multiplies the share of the scenarios with this core option; the
    option's share rises a little less where other scenarios also carry it."""
    before = expected_share(cfg, t.field, t.option, trends, t.start - timedelta(days=1))
    peak = expected_share(cfg, t.field, t.option, trends, t.end)
    return {**t.truth(), "expected_share": {"before": round(before, 4), "peak": round(peak, 4),
                                            "ratio": round(peak / before, 3) if before else None}}


def generate_contacts(n: int, seed: int = 1, config: dict[str, Any] | str | Path | None = None,
                      form: Form | None = None) -> Generated:
    """``n`` contacts, deterministic for ``seed``."""
    if isinstance(config, dict):
        cfg = config
        check_config(cfg)
    else:
        cfg = load_config(config)
    form = form or load_form(cfg.get("form"))
    check_config(cfg, None if isinstance(config, dict) else config, form=form)
    bank = load_bank()
    wording = load_wording(cfg.get("form") or form.id)
    start = _as_date(cfg["period"]["start"], "period.start")
    end = _as_date(cfg["period"]["end"], "period.end")
    if end <= start:
        raise InputError("period.end must be after period.start", key="period")
    trends = _trends(cfg, form)
    term_trends = [dict(t, start=_as_date(t["start"], "term_trends.start")) for t in cfg.get("term_trends") or []]
    stamps = sample_timestamps(n, Random(f"{seed}:timeline"), start, end, cfg["rhythm"], cfg["timezone"])
    from ..progress import track

    contacts: list[Contact] = []
    for i, ts in enumerate(track(stamps, "Genererar kontakter", unit="kontakter")):
        rng = Random(f"{seed}:{i}")
        day = ts.date()
        story = sample_story(rng, cfg, form, day, trends)
        writer = Writer(story, bank, rng, day, term_trends, cfg["labels"])
        turns = writer.chat() if story.channel == "chatt" else writer.mail()
        messages, spans = [], []
        for mi, turn in enumerate(turns):
            text, found = join(turn.segments)
            messages.append(Message(role=turn.role, text=text))
            spans += [PiiSpan(message=mi, start=s, end=e, label=lab, text=t) for s, e, lab, t in found]
        gold = dict(story.gold)
        gold["sammanfattning"] = summarise(gold, wording)
        contacts.append(Contact(
            id=f"g-{i + 1:06d}", organisation=story.organisation, channel=story.channel,
            started_at=ts.isoformat(timespec="minutes"), messages=messages, gold=gold, pii=spans,
            meta={"scenario": story.scenario, "register": writer.register.name, "about_friend": story.about_friend,
                  "late_disclosure": story.late_disclosure, "akut_kind": story.akut_kind},
        ))
    truth = {
        "seed": seed, "n": n, "form": form.id,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "trends": [_truth(t, cfg, trends) for t in trends],
        "term_trends": [{"term": t["term"], "start": t["start"].isoformat(), "share": t["share"]} for t in term_trends],
    }
    return Generated(contacts, truth)


def generate_to_dir(n: int, seed: int, out_dir: str | Path, config_path: str | Path | None = None) -> dict[str, Path]:
    """Write contacts.jsonl, gold_forms.jsonl, conversations.jsonl and truth.json to ``out_dir``."""
    cfg = load_config(config_path)
    result = generate_contacts(n, seed, cfg)
    out = Path(out_dir)
    paths = {
        "contacts": out / "contacts.jsonl",
        "conversations": out / "conversations.jsonl",
        "gold_forms": out / "gold_forms.jsonl",
        "truth": out / "truth.json",
    }
    write_jsonl(paths["contacts"], result.contacts)
    write_jsonl(paths["conversations"], (c.conversation() for c in result.contacts))
    write_jsonl(paths["gold_forms"], (c.form_record() for c in result.contacts))
    write_json(paths["truth"], result.truth)
    return paths
