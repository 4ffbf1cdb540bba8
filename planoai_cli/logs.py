"""Logs stage: the container's lines by component (envoy, brightstaff, access, supervisord)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterable, Iterator

COMPONENTS = ("envoy", "brightstaff", "access", "supervisord")
# Upstream's `logs --debug`: its access logs plus "debug logs", which it defines as Envoy's and Brightstaff's.
DEBUG_COMPONENTS = ("access", "envoy", "brightstaff")
_PREFIX = re.compile(r"^\[(envoy|brightstaff|access)\] ")
# supervisord's own report of a program that ended, and our stop-on-exit listener's.
_EXITED = re.compile(r"(?:exited|gave up): (envoy|brightstaff)\b|stop-on-exit: (envoy|brightstaff) exited")


def component_of(line: str) -> str:
    """Which component wrote a line; unprefixed lines are supervisord's own."""
    match = _PREFIX.match(line)
    return match.group(1) if match else "supervisord"


def chosen_components(components: Collection[str], *, debug: bool) -> frozenset[str] | None:
    """The components `logs` shows: those named, plus the debug set with `debug`; None (all) when neither.

    `--debug` is a shorthand for naming the debug set, so it adds to `-c` like another `-c` would, and the
    default stays every component (upstream shows only access logs by default; ours never hid anything).
    """
    picked = frozenset(components) | (frozenset(DEBUG_COMPONENTS) if debug else frozenset())
    return picked if picked and picked != frozenset(COMPONENTS) else None


def select(lines: Iterable[str], components: Collection[str] | None) -> Iterator[str]:
    """Only the lines of the chosen components (all when None)."""
    for line in lines:
        if components is None or component_of(line) in components:
            yield line


def tail(lines: Iterable[str], count: int) -> list[str]:
    return list(deque(lines, maxlen=count))


def failed_component(lines: Iterable[str]) -> str | None:
    """The first component supervisord reported as exited, if any."""
    for line in lines:
        match = _EXITED.search(line)
        if match:
            return match.group(1) or match.group(2)
    return None
