"""Output written without rich (to a file or a pipe) is byte for byte what rich writes there."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console
from rich.text import Text

from planoai_cli import console

LINES = [
    "plain",
    "error: x [schema.bad-value]",
    "  at listeners[0].port",
    "✓ container started (0.30s)",
    "",
    "wide 中文 and emoji 🙂 and combining é",
    "trailing spaces   ",
    "a\x1b[31mred\x1b[0m",
    "tab\there",
    "bell\a back\b form\f vertical\v return\r",
    "brackets [bold]not markup[/bold] :smile: http://x.y/z",
    "x" * 300,
    "two\nlines",
]


class Pipe(io.StringIO):
    """Like a pipe or a file: not a terminal."""

    def isatty(self) -> bool:
        return False


def _rich(text: str, style: str) -> str:
    stream = Pipe()
    Console(file=stream, highlight=False, markup=False, soft_wrap=True).print(Text(text, style=style))
    return stream.getvalue()


@pytest.mark.parametrize("text", LINES)
@pytest.mark.parametrize("style", ["", "bold red", "dim"])
def test_plain_lines_are_what_rich_writes(text: str, style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Pipe()
    monkeypatch.setattr(sys, "stderr", stream)
    console._emit(text, style)
    assert stream.getvalue() == _rich(text, style)


@pytest.mark.parametrize(
    ("variable", "value", "plain"),
    [
        ("FORCE_COLOR", "1", False),
        ("FORCE_COLOR", "", True),
        ("TTY_COMPATIBLE", "1", False),
        ("TTY_COMPATIBLE", "0", True),
        ("NO_COLOR", "1", True),
    ],
)
def test_a_stream_is_plain_exactly_when_rich_sees_no_terminal(
    variable: str, value: str, plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    assert console._plain(Pipe()) is plain
    assert Console(file=Pipe()).is_terminal is not plain


def test_forced_colour_goes_through_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    stream = Pipe()
    monkeypatch.setattr(sys, "stderr", stream)
    console._emit("error: x", "bold red")
    assert "\x1b[" in stream.getvalue()
