"""One error type for bad input: the CLI prints it as one line and exits non-zero."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input a person can fix: names the file, the line and the problem."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key
        self.problem = message
        super().__init__(self.format())

    def format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.problem}"
