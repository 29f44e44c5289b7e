"""A short, neutral Swedish summary written from a filled-in form.

Used for the generator's gold `sammanfattning` and by the model's summary. The wording
is data beside the form (``annotation/forms/<form id>.summary.yaml``, keyed by the form's
option keys); this module only joins the pieces into grammatical Swedish. It never copies text
from the conversation, so it cannot carry personal data.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

SUFFIX = ".summary.yaml"


def wording_path(form_path: str | Path) -> Path:
    """``annotation/forms/x.yaml`` -> ``annotation/forms/x.summary.yaml``."""
    p = Path(form_path)
    return p.with_name(p.name.removesuffix(p.suffix) + SUFFIX)


@lru_cache(maxsize=16)
def _load(path: str) -> dict[str, Any]:
    from .yamlio import read_yaml

    data = read_yaml(Path(path), "summary wording")
    return data if isinstance(data, dict) else {}


def load_wording(form: str | Path | None = None) -> dict[str, Any]:
    """The summary wording beside a form file (a path or a form id; ``None`` = the default
    form); ``{}`` when the form has none."""
    from .forms import resolve_form_path

    p = wording_path(resolve_form_path(form))
    return _load(str(p)) if p.exists() else {}


def join_sv(items: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def _share_prefix(phrases: list[str]) -> list[str]:
    """'har utsatts för a', 'har utsatts för b' -> 'har utsatts för a', 'b' (reads as Swedish)."""
    out: list[str] = []
    prev: list[str] = []
    for p in [p for p in phrases if p]:
        words = p.split()
        k = 0
        while k < min(len(words), len(prev)) - 1 and words[k] == prev[k]:
            k += 1
        out.append(" ".join(words[k:]) if k >= 2 else p)
        prev = words
    return out


def _get(bank: dict[str, Any], field: str, key: str) -> str:
    return (bank.get(field) or {}).get(key) or ""


def summarise(values: dict[str, Any], bank: dict[str, Any] | None = None) -> str:
    """The summary of ``values`` in ``bank``'s wording (default: the default form's); ``""``
    without wording."""
    if bank is None:
        bank = load_wording()
    if not bank:
        return ""
    person = bank.get("person", {})
    kon = (person.get("kon") or {}).get(values.get("kon", ""), "") or "Stödsökande"
    alder = (person.get("alder") or {}).get(values.get("alder", ""), "")
    subject = f"{kon} {alder}".strip()

    def many(field: str) -> list[str]:
        v = values.get(field) or []
        return [_get(bank, field, o) for o in ([v] if isinstance(v, str) else v)]

    what = join_sv(_share_prefix(many("utsatthet")))
    who = join_sv(many("forovare"))
    first = subject
    if what:
        first += f" som {what}"
    if who:
        first += f" {who}"
    sentences = [first.rstrip(".") + "."]
    for field in ("pagaende",):
        s = _get(bank, field, values.get(field, ""))
        if s:
            sentences.append(s)
    told = values.get("berattat_for") or []
    if "ingen" in told:
        sentences.append(_get(bank, "berattat_for", "ingen"))
    else:
        nouns = [_get(bank, "berattat_for", o) for o in told]
        if any(nouns):
            sentences.append(f"Har berättat för {join_sv(nouns)}.")
    for field in ("polisanmalan", "akut_risk"):
        s = _get(bank, field, values.get(field, ""))
        if s:
            sentences.append(s)
    refs = [_get(bank, "hanvisning", o) for o in values.get("hanvisning") or [] if o != "ingen"]
    if any(refs):
        sentences.append(f"Hänvisad till {join_sv(refs)}.")
    return " ".join(s.strip() for s in sentences if s.strip())
