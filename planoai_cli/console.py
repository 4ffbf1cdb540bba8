"""Presentation: the only module that imports rich. Results go to stdout, diagnostics to stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.text import Text

from planoai_cli.diagnostics import Diagnostic, Severity

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.NOTICE: "cyan"}
_LABELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def _console(stderr: bool) -> Console:
    # Built per call so tests (and redirected streams) always get the current sys.stdout/sys.stderr.
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, highlight=False, markup=False, soft_wrap=True,
                   no_color="NO_COLOR" in os.environ or None)


def diagnostic_lines(source: str, diagnostic: Diagnostic) -> list[tuple[str, str]]:
    """The text of one diagnostic as (text, style) lines; shared by the golden tests."""
    label = _LABELS[diagnostic.severity]
    lines = [(f"{diagnostic.where(source)}: {label}: {diagnostic.message} [{diagnostic.code}]",
              _STYLES[diagnostic.severity]),
             (f"  at {diagnostic.path}", "dim")]
    if diagnostic.hint:
        lines.append((f"  hint: {diagnostic.hint}", ""))
    return lines


def render_diagnostics(source: str, diagnostics: Iterable[Diagnostic]) -> str:
    """Plain text of several diagnostics (no colour), exactly what a user sees."""
    return "".join(text + "\n" for d in diagnostics for text, _ in diagnostic_lines(source, d))


def show_diagnostics(source: str, diagnostics: Iterable[Diagnostic]) -> None:
    console = _console(stderr=True)
    for diagnostic in diagnostics:
        for text, style in diagnostic_lines(source, diagnostic):
            console.print(Text(text, style=style))


def verdict(message: str) -> None:
    """The result line of a check, on stdout."""
    _console(stderr=False).print(Text(message, style="bold green"))


def success(message: str) -> None:
    _console(stderr=True).print(Text(message, style="bold green"))


def info(message: str) -> None:
    _console(stderr=True).print(Text(message))


def quoted_output(title: str, text: str) -> None:
    """Another program's own words (e.g. Envoy's), on stderr, indented under a title line."""
    console = _console(stderr=True)
    console.print(Text(title, style="bold red"))
    for line in text.splitlines():
        console.print(Text(f"  {line}"))


def error(message: str, hint: str | None = None) -> None:
    console = _console(stderr=True)
    console.print(Text(f"error: {message}", style="bold red"))
    if hint:
        console.print(Text(f"hint: {hint}"))


def unexpected(summary: str, trace: str | None) -> None:
    console = _console(stderr=True)
    if trace:
        console.print(Text(trace, style="dim"))
    console.print(Text(f"unexpected error (a bug in planoai-cli): {summary}", style="bold red"))
    if not trace:
        console.print(Text("hint: run again with --debug (or PLANOAI_DEBUG=1) for the traceback, and report it"))


def out(text: str) -> None:
    """Write a result to stdout verbatim (YAML, diffs, plain lines)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def out_json(value: Any) -> None:
    out(json.dumps(value, indent=2, sort_keys=False))
