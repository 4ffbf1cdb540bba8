"""How lifecycle steps report progress (the CLI passes a rich implementation; tests a recording one)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from planoai_cli.diagnostics import Diagnostic
from planoai_cli.health import Observation
from planoai_cli.runtime.image import PullProgress


class Reporter(Protocol):
    def phase_started(self, name: str) -> None: ...
    def phase_done(self, name: str, seconds: float) -> None: ...
    def findings(self, source: str, items: tuple[Diagnostic, ...]) -> None: ...
    def pull(self, event: PullProgress) -> None: ...
    def health(self, observations: tuple[Observation, ...]) -> None: ...
    def log_line(self, line: str) -> None: ...


@dataclass
class Timings:
    """Phase durations, in the order they ran."""

    phases: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def phase(self, reporter: Reporter, name: str) -> Iterator[None]:
        reporter.phase_started(name)
        start = time.monotonic()
        yield
        seconds = time.monotonic() - start
        self.phases.append((name, seconds))
        reporter.phase_done(name, seconds)


class Silent:
    """A reporter that shows nothing (for --json and for tests)."""

    def phase_started(self, name: str) -> None:
        pass

    def phase_done(self, name: str, seconds: float) -> None:
        pass

    def findings(self, source: str, items: tuple[Diagnostic, ...]) -> None:
        pass

    def pull(self, event: PullProgress) -> None:
        pass

    def health(self, observations: tuple[Observation, ...]) -> None:
        pass

    def log_line(self, line: str) -> None:
        pass
