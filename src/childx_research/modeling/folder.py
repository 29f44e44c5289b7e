"""A model folder's integrity: the sha256 of every file the model is loaded from.

``childx train`` records, in ``childx_model.json``, the digest of each file that loading
reads (the model file itself, ``form.yaml``, ``config.yaml``, ``calibration.json``, the
transformer's folder); ``childx predict`` verifies them before it loads anything, and
refuses a folder with a changed, missing or added file, or one without digests (written
by an earlier version). The model files themselves are formats that never run code when
loaded (skops for the baseline, safetensors for the transformer); the digests add that the
folder is the one training wrote, whole.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import InputError

#: Written after the digests, for people to read; never read by loading.
DOCUMENTATION = frozenset({"run.json", "metrics.json", "model_card.md"})


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _loaded_files(folder: Path, meta_name: str) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).as_posix() not in DOCUMENTATION | {meta_name})


def file_digests(folder: Path, meta_name: str) -> dict[str, str]:
    """{relative path: sha256} for every file in ``folder`` that loading reads."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in _loaded_files(folder, meta_name)}


def verify_files(folder: Path, meta: dict, meta_name: str) -> None:
    """Raise :class:`InputError` unless every file loading reads is the one training wrote."""
    folder = Path(folder)
    want = meta.get("files")
    if not isinstance(want, dict) or not want:
        raise InputError(f"{meta_name} has no file digests (an earlier version's model, or not one written by "
                         "childx train): train the model again", path=folder)
    have = {p.relative_to(folder).as_posix() for p in _loaded_files(folder, meta_name)}
    missing = sorted(set(want) - have)
    if missing:
        raise InputError(f"{len(missing)} model file(s) listed in {meta_name} are missing", path=folder)
    added = sorted(have - set(want))
    if added:
        raise InputError(f"{len(added)} file(s) in the model folder were not written by childx train; "
                         "the folder is not loaded", path=folder)
    changed = [name for name, digest in sorted(want.items()) if _sha256(folder / name) != digest]
    if changed:
        raise InputError(f"{len(changed)} model file(s) differ from the digests in {meta_name}: "
                         "a changed or damaged model folder, not loaded", path=folder)
