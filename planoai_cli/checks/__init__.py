"""Semantic checks: everything the data plane would only discover when the container crashes or misroutes.

`check(config)` runs every check (small functions `(PlanoConfig) -> Iterable[Diagnostic]`, grouped by concern)
and returns the findings sorted by position.
"""

from __future__ import annotations

from planoai_cli.checks import listeners, overrides, providers, references, routing, services, tracing, upstreams
from planoai_cli.checks.base import Check
from planoai_cli.diagnostics import Diagnostic, sorted_diagnostics
from planoai_cli.model import PlanoConfig

ALL_CHECKS: tuple[Check, ...] = (
    *providers.CHECKS,
    *upstreams.CHECKS,
    *references.CHECKS,
    *services.CHECKS,
    *listeners.CHECKS,
    *routing.CHECKS,
    *tracing.CHECKS,
    *overrides.CHECKS,
)


def check(config: PlanoConfig) -> tuple[Diagnostic, ...]:
    """Every finding of every semantic check on `config`, sorted by position (errors and warnings)."""
    return sorted_diagnostics(d for run in ALL_CHECKS for d in run(config))


__all__ = ["ALL_CHECKS", "Check", "check"]
