"""Progress output: quiet (one summary line, no bar) when not a terminal or in CI; a bar on a
terminal; never the text of what is being worked on."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from childx_research import progress as P
from childx_research.generate import generate_contacts
from childx_research.anonymize.cli import anonymise_lines

BAR_CHARS = ("━", "╸", "╺")


@pytest.fixture()
def contacts():
    return generate_contacts(12, seed=5).contacts


def texts_of(contacts) -> list[str]:
    return [m.text for c in contacts for m in c.messages if len(m.text) > 12]


def capture(terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, force_jupyter=False, width=120), buf


def test_quiet_when_not_a_terminal_one_summary_line_no_text(contacts, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    console, buf = capture(terminal=False)
    P.set_console(console)
    try:
        anonymise_lines([c.conversation() for c in contacts], style="pseudonym", seed=0, jobs=1)
    finally:
        P.set_console(None)
    out = buf.getvalue()
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert lines[0].startswith("Anonymiserar: 12 samtal (")
    assert not any(ch in out for ch in BAR_CHARS)
    assert "\x1b[" not in out  # no terminal control sequences
    assert not any(t in out for t in texts_of(contacts))


def test_quiet_in_ci_even_on_a_terminal(monkeypatch):
    monkeypatch.setenv("CI", "true")
    console, buf = capture(terminal=True)
    assert P.is_quiet(console)
    items = list(P.track(range(5), "Räknar", unit="saker", console=console))
    assert items == [0, 1, 2, 3, 4]
    lines = [line for line in buf.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Räknar: 5 saker (")
    assert not any(ch in buf.getvalue() for ch in BAR_CHARS)


def test_a_bar_on_a_terminal_without_conversation_text(contacts, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    console, buf = capture(terminal=True)
    assert not P.is_quiet(console)
    P.set_console(console)
    try:
        lines, _ = anonymise_lines([c.conversation() for c in contacts], style="pseudonym", seed=0, jobs=1)
    finally:
        P.set_console(None)
    out = buf.getvalue()
    assert len(lines) == 12
    assert "Anonymiserar" in out and "12/12" in out
    assert any(ch in out for ch in BAR_CHARS)
    assert not any(t in out for t in texts_of(contacts))


def test_nested_bars_share_one_display(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    console, buf = capture(terminal=True)
    for _ in P.track(range(2), "yttre", console=console):
        assert list(P.track(range(3), "inre", console=console)) == [0, 1, 2]
    out = buf.getvalue()
    assert "yttre" in out and "inre" in out


def test_no_summary_when_the_work_fails(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    console, buf = capture(terminal=False)

    def boom():
        yield 1
        raise ValueError("x")

    with pytest.raises(ValueError):
        list(P.track(boom(), "Går sönder", console=console))
    assert buf.getvalue() == ""
