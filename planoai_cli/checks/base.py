"""Semantic checks, shared helpers: building located diagnostics and wording references to other elements."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from planoai_cli.diagnostics import Diagnostic, Severity, at, did_you_mean
from planoai_cli.model import PlanoConfig
from planoai_cli.tree import Location, format_path

Check = Callable[[PlanoConfig], Iterable[Diagnostic]]
T = TypeVar("T")
K = TypeVar("K")


def error(code: str, message: str, loc: Location, hint: str | None = None) -> Diagnostic:
    return at(Severity.ERROR, code, message, loc, hint)


def warning(code: str, message: str, loc: Location, hint: str | None = None) -> Diagnostic:
    return at(Severity.WARNING, code, message, loc, hint)


def where_text(loc: Location) -> str:
    """`model_providers[0] (line 5)`: how a message points at another element."""
    path = format_path(loc.path) or "the top level"
    return f"{path} (line {loc.mark.line})" if loc.mark else path


def repeats(elements: Iterable[T], key: Callable[[T], K | None]) -> Iterator[tuple[T, T]]:
    """(first, later) for every element whose key an earlier element already had; None keys are skipped."""
    first: dict[K, T] = {}
    for element in elements:
        k = key(element)
        if k is None:
            continue
        if k in first:
            yield first[k], element
        else:
            first[k] = element


def suggest(word: str, choices: Iterable[str], fallback: str | None = None) -> str | None:
    """A hint: 'did you mean …?' when something is close, else `fallback`."""
    close = did_you_mean(word, choices)
    return close or fallback


def listing(names: Iterable[str], limit: int = 6) -> str:
    """`'a', 'b', 'c'` (and how many more), for hints that list the valid choices."""
    unique = sorted(set(names))
    shown = ", ".join(repr(n) for n in unique[:limit])
    more = len(unique) - limit
    return f"{shown} and {more} more" if more > 0 else shown
