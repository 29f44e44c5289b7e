"""Progress on long work: a rich bar (count, rate, time left) on a terminal and in Jupyter,
one summary line per step where output is not a terminal or env ``CI`` is set.

Callers wrap what they loop over, touching nothing else::

    for conv in track(conversations, "Anonymiserar", unit="samtal"):
        ...
    with progress("Tränar baslinjen", total=len(jobs), unit="modeller") as advance:
        ...; advance(1)

A line shows only the caller's fixed description and counts: never an item, so never
conversation text. Bars started while another is running join the same display (rich
allows one live display at a time); the summary line goes to stderr, like every other
status line of the command line.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TypeVar

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

T = TypeVar("T")

_console: Console | None = None
_live: dict[str, object] = {"progress": None, "users": 0}


def set_console(console: Console | None) -> None:
    """Where bars and summary lines go (default: a console on stderr, made when first needed)."""
    global _console
    _console = console


def get_console() -> Console:
    return _console if _console is not None else Console(stderr=True)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def is_quiet(console: Console | None = None) -> bool:
    """No bar: output is not a terminal (a log, a pipe, a test) and not a notebook, or env CI is set."""
    c = console or get_console()
    return in_ci() or not (c.is_terminal or c.is_jupyter)


def _rate(done: int, seconds: float, unit: str) -> str:
    if seconds <= 0 or done <= 0:
        return ""
    per = done / seconds
    return f", {per:.1f} {unit}/s" if per < 10 else f", {per:.0f} {unit}/s"


@contextmanager
def progress(description: str, total: int | None = None, *, unit: str = "",
             console: Console | None = None) -> Iterator[Callable[[int], None]]:
    """A step with a count: yields ``advance(n=1)``. A bar while it runs (quiet: nothing),
    and in quiet mode one line at the end: ``description: done[/total] unit (s, rate)``."""
    c = console or get_console()
    done = [0]
    t0 = time.perf_counter()
    if is_quiet(c):
        def advance(n: int = 1) -> None:
            done[0] += n

        yield advance
        seconds = time.perf_counter() - t0
        count = f"{done[0]}" if total is None or total == done[0] else f"{done[0]} av {total}"
        c.print(f"{description}: {count} {unit}".rstrip() + f" ({seconds:.1f} s{_rate(done[0], seconds, unit)})",
                markup=False, highlight=False)
        return
    bar = _live["progress"]
    owner = bar is None
    if owner:
        bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                       TextColumn(unit, markup=False) if unit else TextColumn(""), TaskProgressColumn(),
                       TextColumn("{task.fields[rate]}", markup=False), TimeElapsedColumn(),
                       TextColumn("kvar"), TimeRemainingColumn(), console=c, transient=False)
        bar.start()
        _live["progress"] = bar
    task = bar.add_task(description, total=total, rate="")

    def advance(n: int = 1) -> None:
        done[0] += n
        seconds = time.perf_counter() - t0
        bar.update(task, advance=n, rate=_rate(done[0], seconds, unit).lstrip(", "))

    try:
        yield advance
    finally:
        if total is None:
            bar.update(task, total=done[0])
        if owner:
            bar.stop()
            _live["progress"] = None


def track(items: Iterable[T], description: str, total: int | None = None, *, unit: str = "",
          step: Callable[[T], int] | None = None, console: Console | None = None) -> Iterator[T]:
    """``items``, one by one, with a bar. ``total`` defaults to ``len(items)`` where there is one;
    ``step(item)`` says how much one item counts (e.g. the size of a chunk; default 1)."""
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with progress(description, total, unit=unit, console=console) as advance:
        for item in items:
            yield item
            advance(step(item) if step is not None else 1)


def trainer_callback(description: str, unit: str = "steg", console: Console | None = None):
    """A ``transformers.TrainerCallback``: a bar over the training steps (main process only)."""
    from transformers import TrainerCallback

    class ProgressBar(TrainerCallback):
        def __init__(self) -> None:
            self._cm = None
            self._advance = None

        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                self._cm = progress(description, total=state.max_steps or None, unit=unit, console=console)
                self._advance = self._cm.__enter__()

        def on_step_end(self, args, state, control, **kwargs):
            if self._advance is not None:
                self._advance(1)

        def on_train_end(self, args, state, control, **kwargs):
            if self._cm is not None:
                self._cm.__exit__(None, None, None)
                self._cm = self._advance = None

    return ProgressBar()
