"""How many processes a step may use (shared by the steps that spread work over cores)."""

from __future__ import annotations

import os


def default_jobs() -> int:
    """All the cores this process may use (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def die_with_parent(parent_pid: int) -> None:
    """A worker's initializer: the worker is killed when the process that started it dies.

    A killed command must not leave workers behind that go on writing into a temporary
    folder the next run has already cleaned up (Linux: ``prctl(PR_SET_PDEATHSIG)``;
    elsewhere only the check that the parent is still there)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent_pid:     # the parent died before the line above took effect
        os._exit(1)
