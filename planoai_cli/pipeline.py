"""The backbone: the only module that knows the stage order (load → schema → migrate → model → checks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from planoai_cli.diagnostics import Diagnostic, Severity, sorted_diagnostics
from planoai_cli.errors import InvalidConfig
from planoai_cli.loader import RawConfig, discover, load
from planoai_cli.tree import YMap

if TYPE_CHECKING:
    from planoai_cli.detect import Generation
    from planoai_cli.model import PlanoConfig
    from planoai_cli.versions import Version


@dataclass(frozen=True)
class Validated:
    """A config that passed every stage, with what the stages noticed on the way."""

    raw: RawConfig
    generation: Generation
    declared: Version | None
    doc: YMap
    config: PlanoConfig
    findings: tuple[Diagnostic, ...]  # notices (migrated legacy forms) and warnings, sorted by position

    @property
    def notices(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.findings if d.severity is Severity.NOTICE)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.findings if d.severity is Severity.WARNING)


def locate_config(file: Path | None, search_dir: Path) -> Path:
    """Config discovery (an explicit FILE must exist; else search `search_dir`)."""
    return discover(file, search_dir)


def validate_file(file: Path | None, search_dir: Path) -> Validated:
    """Find, load and validate a config; raises InvalidConfig listing every problem."""
    return validate_raw(load(discover(file, search_dir)))


def validate_raw(raw: RawConfig) -> Validated:
    """Run every stage after loading; stops after a stage that found errors, reporting them all."""
    from planoai_cli import checks, detect, migrate, model, schema, versions

    findings: list[Diagnostic] = []
    doc, declared, found = versions.read_version(raw.data, raw.source)
    label = declared.label if declared else None
    _collect(raw, findings, found, label)
    generation = detect.detect(doc, raw.source)
    _collect(raw, findings, schema.validate(doc, generation), label)
    migrated = migrate.migrate(doc)
    _collect(raw, findings, migrated.diagnostics, label)
    _collect(raw, findings, schema.validate(migrated.doc, detect.Generation.CANONICAL), label)
    config = model.build(migrated.doc)
    _collect(raw, findings, checks.check(config), label)
    return Validated(raw, generation, declared, migrated.doc, config, sorted_diagnostics(findings))


def _collect(raw: RawConfig, findings: list[Diagnostic], new: tuple[Diagnostic, ...] | list[Diagnostic],
             version: str | None) -> None:
    """Add findings; if any error is among everything so far, stop with all of them."""
    findings.extend(new)
    errors = [d for d in findings if d.severity is Severity.ERROR]
    if errors:
        # Notices describe migrations as done; for a refused file nothing was done, so only warnings stay.
        others = [d for d in findings if d.severity is Severity.WARNING]
        raise InvalidConfig(raw.source, sorted_diagnostics(errors), sorted_diagnostics(others), version=version)
