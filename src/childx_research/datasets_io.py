"""Saving a DatasetDict to disk (Arrow) and as Parquet, atomically per folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterable

from .records import check_output_dir, replace_dir, temp_dir_for, write_output_marker

#: What a dataset folder held before the output marker existed (an earlier `childx dataset`).
LEGACY_FILES = ("arrow/dataset_dict.json",)


def save_dataset_dict(dd, out: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write ``dd`` with ``save_to_disk`` plus one Parquet file per split under ``parquet/``.

    ``out`` is refused when it is or holds one of ``inputs``, or when it is a non-empty
    folder that is not an earlier dataset. Everything is written to a temporary sibling
    folder first and swapped into place, so an interrupted run never leaves a half-written
    dataset where a good one was (and what a killed run left is removed on the next).
    """
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # a pipeline step, not an interactive download
    out = Path(out)
    check_output_dir(out, "dataset", inputs, legacy=LEGACY_FILES)
    tmp = temp_dir_for(out)
    try:
        dd.save_to_disk(str(tmp / "arrow"))
        (tmp / "parquet").mkdir()
        for split, ds in dd.items():
            ds.to_parquet(str(tmp / "parquet" / f"{split}.parquet"))
        write_output_marker(tmp, "dataset")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def load_dataset_dict(path: str | Path):
    from datasets import load_from_disk

    return load_from_disk(str(Path(path) / "arrow"))
