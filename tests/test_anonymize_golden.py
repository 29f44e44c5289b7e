"""Golden-file test: the anonymiser's output on fixed inputs, as sha256 digests.

Written before the recognisers were split into files, so that the refactoring is shown to
change nothing. Two inputs: 300 generated contacts (seed 5; synthetic) in both styles, and
the first 4,000 sentences of the Swedish NER corpus (20 to a conversation, ``--style tags``;
skipped where the corpus is not beside the repository). Only digests are stored: no corpus
text is committed.

Where a later change *means* to change the output, regenerate the file and say so in the
commit:  ``CHILDX_REGEN_GOLDEN=1 pytest tests/test_anonymize_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from childx_research.anonymize import anonymize_conversations
from childx_research.records import Conversation

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "anonymize_golden.json"
REGEN = os.environ.get("CHILDX_REGEN_GOLDEN") == "1"
N_CONTACTS, SEED = 300, 5
NER_SENTENCES, PER_CONV = 4000, 20


def _ner_path() -> Path | None:
    cands = [os.environ.get("CHILDX_SHARED_DATA"), ROOT.parent / "shared" / "data",
             ROOT.parent.parent / "shared" / "data"]
    for c in cands:
        if c:
            p = Path(c) / "swedish-ner-corpus" / "train_corpus.txt"
            if p.is_file():
                return p
    return None


def _digests(convs: list[Conversation]) -> list[str]:
    """One digest per conversation over its messages' roles and texts only: the seal and the
    replaced id in the ``anonymisation`` record are keyed with a local secret, so they differ
    from machine to machine by design and are tested in test_seal.py."""
    out = []
    for c in convs:
        body = json.dumps([[m.role, m.text] for m in c.messages], ensure_ascii=False)
        out.append(hashlib.sha256(body.encode("utf-8")).hexdigest()[:24])
    return out


def _ner_conversations(path: Path) -> list[Conversation]:
    sents: list[list[str]] = []
    cur: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if not parts:
                if cur:
                    sents.append(cur)
                    cur = []
                    if len(sents) >= NER_SENTENCES:
                        break
                continue
            cur.append(" ".join(parts[:-1]) if len(parts) > 1 else parts[0])
    return [Conversation(id=f"ner-{k // PER_CONV:05d}", channel="mejl",
                         messages=[{"role": "stodsokande", "text": " ".join(s)} for s in sents[k:k + PER_CONV]])
            for k in range(0, len(sents), PER_CONV)]


def _load() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.is_file() else {}


def _check(key: str, got: list[str]) -> None:
    data = _load()
    if REGEN:
        data[key] = got
        GOLDEN.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        return
    want = data.get(key)
    assert want is not None, f"no golden digests for {key}; regenerate with CHILDX_REGEN_GOLDEN=1"
    assert len(got) == len(want)
    differ = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
    assert not differ, f"{key}: {len(differ)} conversations differ from the golden file, first {differ[:10]}"


@pytest.fixture(scope="module")
def generated_convs():
    from childx_research.generate import generate_contacts

    got = generate_contacts(N_CONTACTS, seed=SEED)
    return [c.conversation() for c in got.contacts]


@pytest.mark.parametrize("style", ["pseudonym", "tags"])
def test_generated_contacts_golden(generated_convs, style):
    out, _ = anonymize_conversations(generated_convs, style=style, seed=1)
    _check(f"generated-{style}", _digests(out))


def test_ner_corpus_golden():
    path = _ner_path()
    if path is None:
        pytest.skip("the Swedish NER corpus is not beside the repository (../shared/data)")
    out, _ = anonymize_conversations(_ner_conversations(path), style="tags")
    _check("ner-tags", _digests(out))
