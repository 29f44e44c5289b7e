"""Saving a DatasetDict to disk (Arrow) and as Parquet, atomically per folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .records import replace_dir


def save_dataset_dict(dd, out: str | Path) -> Path:
    """Write ``dd`` with ``save_to_disk`` plus one Parquet file per split under ``parquet/``.

    Everything is written to a temporary sibling folder first and moved into place, so
    an interrupted run never leaves a half-written dataset where a good one was.
    """
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # a pipeline step, not an interactive download
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        dd.save_to_disk(str(tmp / "arrow"))
        (tmp / "parquet").mkdir()
        for split, ds in dd.items():
            ds.to_parquet(str(tmp / "parquet" / f"{split}.parquet"))
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def load_dataset_dict(path: str | Path):
    from datasets import load_from_disk

    return load_from_disk(str(Path(path) / "arrow"))
