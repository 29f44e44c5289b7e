"""Training data for both families: a `datasets.DatasetDict` whose features match the form.

Sources (``data.path`` in the config, or ``childx train --data``); without
``--allow-unsealed`` only the first (with the anonymiser's seals) and the last:
- a folder written by ``childx dataset`` (``arrow/`` inside) or by ``save_to_disk``;
- a folder written by ``childx generate`` (``contacts.jsonl`` inside), or a contacts JSONL
  file: split 80/10/10 by conversation, as ``childx dataset`` does;
- nothing: ``data.generate.n`` synthetic contacts from the generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..forms import Form
from ..records import Conversation, Message, decode_row


@dataclass
class Example:
    """One conversation with its form values (gold labels; may be ``None`` at predict time)."""

    conversation: Conversation
    values: dict[str, Any] | None = None


UNSEALED_HINT = ("training takes sealed anonymised data only: a dataset folder from `childx annotate pull` "
                 "(its conversations came out of `childx anonymize`); pass --allow-unsealed to train on "
                 "other data on purpose")


def _unsealed(source: Any, what: str) -> InputError:
    return InputError(f"{what}; {UNSEALED_HINT}", path=source)


def load_dataset(cfg: dict[str, Any], form: Form, data: str | Path | None = None, *, allow_unsealed: bool = False):
    """The DatasetDict a config (or ``data``, which wins) points at; checked against ``form``.

    Unless ``allow_unsealed``, only sealed anonymised data is accepted: a dataset folder
    with the anonymiser's seals beside it (``anonymisation.jsonl``, written by
    ``childx annotate pull`` and the demo), every row of which must match its seal and
    pass the anonymiser's guard again; or synthetic contacts that the generator makes in
    memory (``data.path: null``), which hold no one's data. A contacts file, a generated
    folder on disk or a dataset without seals is refused.
    """
    from ..records import contacts_to_dataset_dict, read_contacts

    dcfg = cfg.get("data") or {}
    source = data if data is not None else dcfg.get("path")
    split_seed = int(dcfg.get("split_seed", 0))
    if source is None:
        gen = dcfg.get("generate") or {}
        contacts = _generated_contacts(int(gen.get("n", 2000)), int(gen.get("seed", 1)), form)
        dd = contacts_to_dataset_dict(contacts, form, seed=split_seed)
        origin = f"generated: n={gen.get('n', 2000)}, seed={gen.get('seed', 1)}"
    else:
        path = Path(source)
        if path.is_dir():
            if (path / "arrow").is_dir():
                path = path / "arrow"
            if (path / "dataset_dict.json").exists():
                from datasets import load_from_disk

                dd = load_from_disk(str(path))
                origin = f"dataset: {source}"
                if not allow_unsealed:
                    from ..anonymize.seal import MANIFEST, require_sealed_dataset

                    manifest = next((p / MANIFEST for p in (path, path.parent) if (p / MANIFEST).exists()), None)
                    if manifest is None:
                        raise _unsealed(source, f"a dataset without the anonymiser's seals ({MANIFEST})")
                    n = require_sealed_dataset(dd, manifest, source=source)
                    origin += f" (sealed: {n} conversations checked)"
            elif (path / "contacts.jsonl").exists():
                if not allow_unsealed:
                    raise _unsealed(source, "a folder of contacts, not of sealed anonymised conversations")
                dd = contacts_to_dataset_dict(read_contacts(path / "contacts.jsonl", form), form, seed=split_seed)
                origin = f"contacts: {path / 'contacts.jsonl'}"
            else:
                raise InputError("not a dataset folder (no arrow/, dataset_dict.json or contacts.jsonl)",
                                 path=source)
        elif path.exists():
            if not allow_unsealed:
                raise _unsealed(source, "a contacts file, not sealed anonymised conversations")
            dd = contacts_to_dataset_dict(read_contacts(path, form), form, seed=split_seed)
            origin = f"contacts: {source}"
        else:
            raise InputError("data not found", path=source)
    check_dataset(dd, form, source)
    aug = dcfg.get("augment_generated") or {}
    if int(aug.get("n") or 0) > 0:
        dd = augment_train(dd, form, int(aug["n"]), int(aug.get("seed", 1001)))
        origin += f" + {int(aug['n'])} generated for training only (seed {int(aug.get('seed', 1001))})"
    return dd, origin


def _generated_contacts(n: int, seed: int, form: Form):
    from ..generate import generate_contacts

    contacts = generate_contacts(n, seed=seed).contacts
    problems = form.check_values(contacts[0].gold) if contacts else []
    if problems:
        raise InputError(f"the generator writes another form than {form.id!r}: give data for this form "
                         "(--data or data.path)", key="data")
    return contacts


def augment_train(dd, form: Form, n: int, seed: int):
    """``dd`` with ``n`` extra generated contacts (ids ``aug-…``) appended to its train split."""
    from datasets import DatasetDict, concatenate_datasets

    from ..records import to_dataset_dict

    contacts = _generated_contacts(n, seed, form)
    for c in contacts:
        c.id = f"aug-{seed}-{c.id}"
    extra = to_dataset_dict(((c, c.gold) for c in contacts), form, fractions=(1.0, 0.0, 0.0))["train"]
    extra = extra.cast(dd["train"].features)
    out = dict(dd)
    out["train"] = concatenate_datasets([dd["train"], extra])
    return DatasetDict(out)


def check_dataset(dd, form: Form, source: Any = None) -> None:
    from datasets import ClassLabel

    for split in ("train", "validation"):
        if split not in dd:
            raise InputError(f"the dataset has no {split!r} split", path=source)
    if len(dd["train"]) == 0:
        raise InputError("the train split is empty", path=source)
    feats = dd["train"].features
    for col in ("roles", "texts"):
        if col not in feats:
            raise InputError(f"the dataset has no {col!r} column", path=source)
    for f in form.choice_fields:
        feat = feats.get(f.key)
        if feat is None:
            raise InputError(f"the dataset has no column for field {f.key!r} of form {form.id!r}", path=source)
        inner = feat if f.kind == "single" else getattr(feat, "feature", None)
        if not isinstance(inner, ClassLabel) or list(inner.names) != f.option_keys:
            raise InputError(f"column {f.key!r} does not hold the options of form {form.id!r}", path=source)


def examples(ds, form: Form) -> list[Example]:
    """Rows of one split as :class:`Example` objects."""
    out = []
    for row in ds:
        conv = Conversation(id=row["id"], organisation=row.get("organisation"), channel=row.get("channel"),
                            started_at=row.get("started_at"),
                            messages=[Message(role=r, text=t) for r, t in zip(row["roles"], row["texts"])])
        out.append(Example(conv, decode_row(row, form)))
    return out


def split_texts(conv: Conversation) -> tuple[str, str]:
    """(help-seeker text, worker text) of a conversation."""
    return conv.text_of("stodsokande"), conv.text_of("stodperson")


def read_labelled(path: str | Path, form: Form) -> list[Example]:
    """Conversations with a gold form (generated contacts or hand-written ones) as examples."""
    from ..records import read_labelled_conversations

    return [Example(conv, gold) for conv, gold in read_labelled_conversations(path, form)]
