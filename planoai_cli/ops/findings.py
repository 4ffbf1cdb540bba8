"""What `doctor` found: problems (with the exit code `up` would fail with) and warnings, by area."""

from __future__ import annotations

from dataclasses import dataclass, field

# The order in which `up` meets each kind of problem: the first one found decides doctor's exit code.
UP_ORDER = ("config", "render", "keys", "docker", "image", "ports")


@dataclass(frozen=True)
class Finding:
    """A problem (`up` would fail, with `exit_code`) or a warning (exit_code 0), and the area it belongs to."""

    area: str
    exit_code: int
    message: str


@dataclass
class Collected:
    """Findings gathered while the probes run (nothing is raised for a problem that is being reported)."""

    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    def fail(self, area: str, exit_code: int, message: str) -> None:
        self.problems.append(Finding(area, int(exit_code), message))

    def warn(self, area: str, message: str) -> None:
        self.warnings.append(Finding(area, 0, message))
