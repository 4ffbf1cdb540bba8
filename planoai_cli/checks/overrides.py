"""Semantic checks on `overrides`: keys nothing reads are flagged (the section is open on purpose)."""

from __future__ import annotations

from collections.abc import Iterator

from planoai_cli.checks.base import Check, suggest, warning
from planoai_cli.contract import KNOWN_OVERRIDES
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import PlanoConfig


def unknown_overrides(config: PlanoConfig) -> Iterator[Diagnostic]:
    for key in config.overrides.extra:
        yield warning(
            "check.unknown-override",
            f"unknown override {key!r} is ignored",
            config.overrides.where(key, at_key=True),
            suggest(key, KNOWN_OVERRIDES, "known overrides: " + ", ".join(KNOWN_OVERRIDES)),
        )


CHECKS: tuple[Check, ...] = (unknown_overrides,)
