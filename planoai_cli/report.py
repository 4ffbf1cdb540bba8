"""What `validate` and `migrate` show: text and JSON reports built from pipeline results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planoai_cli import console
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.errors import ExitCode, InvalidConfig
from planoai_cli.pipeline import Validated
from planoai_cli.upgrade import canonical_text, rewrite, unified_diff


def validate_text(result: Validated) -> None:
    """Show notices and warnings, then a one-line verdict."""
    console.show_diagnostics(result.raw.source, result.findings)
    console.verdict(f"{result.raw.source}: valid ({_summary(result)})")


def _summary(result: Validated) -> str:
    if result.notices:
        count = len(result.notices)
        parts = [f"{result.generation.title}; {count} legacy form{'s' if count != 1 else ''} migrated to v0.4.0"]
    else:
        parts = ["canonical v0.4.0"]
    if result.warnings:
        parts.append(f"{len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''}")
    return "; ".join(parts)


def validate_json(run: Callable[[], Validated]) -> int:
    """Print the machine-readable verdict; exit 3 when invalid, 0 otherwise."""
    try:
        result = run()
    except InvalidConfig as e:
        console.out_json(_payload(False, None, e.diagnostics, e.warnings))
        return ExitCode.INVALID_CONFIG
    version = result.declared.label if result.declared else None
    console.out_json(_payload(True, version, (), result.findings))
    return ExitCode.OK


def _payload(valid: bool, version: str | None, errors: tuple[Diagnostic, ...],
             warnings: tuple[Diagnostic, ...]) -> dict[str, Any]:
    return {"valid": valid, "version": version,
            "errors": [d.as_json() for d in errors],
            "warnings": [{**d.as_json(), "severity": d.severity.value} for d in warnings]}


def migrate(result: Validated, *, write: bool, show_diff: bool) -> None:
    """Print the canonical form or a diff, or rewrite the file (keeping a .bak)."""
    console.show_diagnostics(result.raw.source, result.findings)
    after = canonical_text(result.doc)
    if show_diff or write:
        diff = unified_diff(result.raw.text, after, result.raw.path.name)
        if not diff:
            console.success(f"{result.raw.source} is already in the canonical form; nothing to change")
            return
        if show_diff:
            console.out(diff)
    else:
        console.out(after)
    if write:
        backup = rewrite(result.raw.path, after)
        console.success(f"rewrote {result.raw.source} in the v0.4.0 form (previous content kept in {backup})")
