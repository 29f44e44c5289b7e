"""Shared check for the command-line contract: bad input gives one line, exit code 2."""

from __future__ import annotations


def assert_one_line_error(res, *needles: str) -> None:
    """``res`` (a typer CliRunner result) failed with exactly one ``childx: error: …`` line
    that contains every needle."""
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("childx: error: "), res.output
    for n in needles:
        assert n in lines[0], lines[0]
