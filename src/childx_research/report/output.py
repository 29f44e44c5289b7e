"""The report folder is written whole or not at all.

The report is built in a hidden temporary folder beside ``--out`` and swapped in as one
unit (``records.replace_dir``), so a crash or a kill leaves the earlier report as it was
and no file of an earlier run is left in ``figurer/``. Temporary folders left by a killed
run are removed by the next run. A folder that holds an input, or a non-empty folder that
is not an earlier report, is refused: replacing it would delete what the command did not
write.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import InputError
from ..records import check_not_input, replace_dir

MANIFEST = "figurer.json"
HTML_NAME = "rapport.html"


def _tmp_prefix(out: Path) -> str:
    return f".{out.name}.report-tmp-"


def is_report(folder: Path) -> bool:
    """An earlier ``childx report`` output: its manifest names the HTML report."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("html") == HTML_NAME


def check_out_dir(out: str | Path, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Refuse an output that is or contains an input, is a file, or is a non-empty folder
    that is not an earlier report."""
    out = Path(out)
    check_not_input(out, inputs)  # the same rule as every other command's outputs
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", path=out)
    if out.is_dir() and any(out.iterdir()) and not is_report(out):
        raise InputError("folder is not empty and is not an earlier report; choose a new or empty folder",
                         path=out)
    return out


def clean_stale(out: Path) -> None:
    """Remove temporary folders of killed runs; put back a report a kill left renamed aside."""
    parent = out.parent
    if not parent.is_dir():
        return
    for tmp in parent.glob(_tmp_prefix(out) + "*"):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
    old = parent / f".{out.name}.old"          # replace_dir's aside name
    if old.is_dir() and not old.is_symlink():
        if not out.exists() and is_report(old):
            old.rename(out)                    # killed between the two renames
        else:
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def building(out: str | Path, inputs: Iterable[str | Path | None] = ()) -> Iterator[Path]:
    """A temporary folder to build the report in; swapped in as ``out`` when the block ends
    without error, removed otherwise."""
    out = check_out_dir(out, inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    check_out_dir(out, inputs)                 # a put-back folder is an earlier report
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(out), dir=out.parent))
    try:
        yield tmp
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
