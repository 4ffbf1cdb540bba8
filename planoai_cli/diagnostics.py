"""Diagnostics: one located finding (error, warning or migration notice) as a frozen value."""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from planoai_cli.tree import JsonPath, Location, format_path, locate


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"  # a legacy form that was migrated (a deprecation)


@dataclass(frozen=True)
class Diagnostic:
    """What is wrong (or was changed), where, and what to do next."""

    severity: Severity
    code: str
    message: str
    path: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line or 0, self.column or 0, self.path, self.message)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }

    def where(self, source: str) -> str:
        """`file:line:col` (or just the file when the position is unknown)."""
        if self.line is None:
            return source
        return f"{source}:{self.line}:{self.column or 1}"


def at(severity: Severity, code: str, message: str, location: Location, hint: str | None = None) -> Diagnostic:
    """Build a diagnostic from a resolved location."""
    mark = location.mark
    return Diagnostic(
        severity,
        code,
        message,
        format_path(location.path) or "(top level)",
        mark.line if mark else None,
        mark.column if mark else None,
        hint,
    )


def error_at(
    root: Any, path: JsonPath, code: str, message: str, hint: str | None = None, *, at_key: bool = False
) -> Diagnostic:
    """An error located at `path` in tree `root` (the user's position and path)."""
    return at(Severity.ERROR, code, message, locate(root, path, at_key=at_key), hint)


def warning_at(
    root: Any, path: JsonPath, code: str, message: str, hint: str | None = None, *, at_key: bool = False
) -> Diagnostic:
    """A warning located at `path` in tree `root`."""
    return at(Severity.WARNING, code, message, locate(root, path, at_key=at_key), hint)


def notice_at(
    root: Any, path: JsonPath, code: str, message: str, hint: str | None = None, *, at_key: bool = True
) -> Diagnostic:
    """A migration notice located at `path` in tree `root` (by default at the key)."""
    return at(Severity.NOTICE, code, message, locate(root, path, at_key=at_key), hint)


def sorted_diagnostics(items: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Sort by position and drop exact duplicates (two stages may find the same thing)."""
    return tuple(sorted(set(items), key=Diagnostic.sort_key))


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean …?' phrase for the closest choice, or None."""
    matches = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None
