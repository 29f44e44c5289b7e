"""Helpers for the model tests: small labelled data for the default and the mini form."""

from __future__ import annotations

from pathlib import Path

from childx_research.records import Contact, write_jsonl


def mini_gold(contact: Contact, form) -> dict:
    """A deterministic gold form of the mini form (annotation/forms/exempel-mini.yaml),
    derived from a generated contact's text, so a model has something to learn."""
    text = " ".join(m.text.lower() for m in contact.messages if m.role == "stodsokande")
    single, multi = form.single_fields[0], form.multi_fields[0]
    so = single.option_keys
    value = so[0] if any(w in text for w in ("snap", "insta", "bild", "nätet", "app")) else \
        so[1] if any(w in text for w in ("mamma", "pappa", "hemma")) else so[-1]
    mo = multi.option_keys
    chosen = [o for o, words in zip(mo[:-1], (("prata", "skriva"), ("vad ska", "hjälp"), ("sova", "rädd")))
              if any(w in text for w in words)]
    gold = {single.key: value, multi.key: chosen or [mo[-1]]}
    for f in form.text_fields:
        gold[f.key] = ""
    return gold


def write_mini_contacts(contacts: list[Contact], form, path: Path) -> Path:
    out = [Contact.model_validate({**c.model_dump(exclude={"gold", "meta"}), "gold": mini_gold(c, form)})
           for c in contacts]
    write_jsonl(path, out)
    return path
