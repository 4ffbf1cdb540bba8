"""Helpers shared by the migration tests: run one step purely, and summarize its diagnostics."""

from __future__ import annotations

import copy
import textwrap

from planoai_cli.diagnostics import Diagnostic
from planoai_cli.loader import parse
from planoai_cli.migrate.common import Step
from planoai_cli.tree import YMap, plain


def run(step: Step, *parts: str) -> tuple[YMap, list[Diagnostic]]:
    """Parse the (dedented, joined) YAML parts, run `step`, and check that it left its input untouched."""
    doc = parse("".join(textwrap.dedent(p) for p in parts), "config.yaml")
    before = copy.deepcopy(doc)
    out, found = step(doc)
    assert plain(doc) == plain(before)
    return out, found


def brief(found: list[Diagnostic]) -> list[tuple[str, str, str, int | None]]:
    return [(d.severity.value, d.code, d.path, d.line) for d in found]
