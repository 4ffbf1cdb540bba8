"""How lifecycle steps report progress (the CLI passes a rich implementation; tests a recording one)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from planoai_cli.diagnostics import Diagnostic
    from planoai_cli.health import Observation
    from planoai_cli.runtime.image import PullProgress


class Reporter(Protocol):
    def phase_started(self, name: str) -> None: ...
    def phase_done(self, name: str, seconds: float) -> None: ...
    def phase_aborted(self, name: str) -> None: ...
    def findings(self, source: str, items: tuple[Diagnostic, ...]) -> None: ...
    def pull(self, event: PullProgress) -> None: ...
    def health(self, observations: tuple[Observation, ...]) -> None: ...
    def log_line(self, line: str) -> None: ...
    def note(self, text: str) -> None: ...  # something the user should know, always shown
    def detail(self, text: str) -> None: ...  # a phase's detail, shown with --verbose only


@dataclass
class Timings:
    """Phase durations, in the order they ran."""

    phases: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def phase(self, reporter: Reporter, name: str) -> Iterator[None]:
        reporter.phase_started(name)
        start = time.monotonic()
        try:
            yield
        except BaseException:
            reporter.phase_aborted(name)  # e.g. stop a spinner before the error (or Ctrl-C) is reported
            raise
        seconds = time.monotonic() - start
        self.phases.append((name, seconds))
        reporter.phase_done(name, seconds)


class Silent:
    """A reporter that shows nothing (for --json and for tests)."""

    def phase_started(self, name: str) -> None:
        pass

    def phase_done(self, name: str, seconds: float) -> None:
        pass

    def phase_aborted(self, name: str) -> None:
        pass

    def findings(self, source: str, items: tuple[Diagnostic, ...]) -> None:
        pass

    def pull(self, event: PullProgress) -> None:
        pass

    def health(self, observations: tuple[Observation, ...]) -> None:
        pass

    def log_line(self, line: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def detail(self, text: str) -> None:
        pass


@dataclass
class PullTally:
    """A whole pull at a glance from the engine's per-layer events: layers done, megabytes downloaded."""

    layers: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)
    downloaded: dict[str, tuple[int, int]] = field(default_factory=dict)  # layer → (current, total) bytes
    extracting: bool = False

    def add(self, event: PullProgress) -> None:
        status = event.status
        if not event.layer or status.startswith(("Pulling from", "Digest:", "Status:")):
            return  # image-level lines: the layers carry the progress
        self.layers.add(event.layer)
        if status == "Downloading" and event.total:
            self.downloaded[event.layer] = (event.current or 0, event.total)
        elif status == "Download complete" and event.layer in self.downloaded:
            total = self.downloaded[event.layer][1]
            self.downloaded[event.layer] = (total, total)
        elif status == "Extracting":
            self.extracting = True
        elif status in ("Pull complete", "Already exists"):
            self.done.add(event.layer)

    def summary(self) -> str:
        if not self.layers:
            return "every layer already present"
        current = sum(c for c, _ in self.downloaded.values()) / 1e6
        total = sum(t for _, t in self.downloaded.values()) / 1e6
        size = f", {current:.1f}/{total:.1f} MB downloaded" if total else ""
        extracting = ", extracting" if self.extracting and len(self.done) < len(self.layers) else ""
        return f"{len(self.done)}/{len(self.layers)} layers{size}{extracting}"
