"""Logs stage: the container's lines by component (envoy, brightstaff, access, supervisord)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterable, Iterator

COMPONENTS = ("envoy", "brightstaff", "access", "supervisord")
_PREFIX = re.compile(r"^\[(envoy|brightstaff|access)\] ")
# supervisord's own report of a program that ended, and our stop-on-exit listener's.
_EXITED = re.compile(r"(?:exited|gave up): (envoy|brightstaff)\b|stop-on-exit: (envoy|brightstaff) exited")


def component_of(line: str) -> str:
    """Which component wrote a line; unprefixed lines are supervisord's own."""
    match = _PREFIX.match(line)
    return match.group(1) if match else "supervisord"


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
