"""The backbone: the only module that knows the stage order (load → schema → migrate → model → checks → render)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from planoai_cli.diagnostics import Diagnostic, Severity, sorted_diagnostics
from planoai_cli.errors import InvalidConfig
from planoai_cli.loader import RawConfig, discover, load, parse
from planoai_cli.project import content_hash
from planoai_cli.tree import YMap

if TYPE_CHECKING:
    from planoai_cli.detect import Generation
    from planoai_cli.gateway.options import Target
    from planoai_cli.model import PlanoConfig
    from planoai_cli.render import Rendered
    from planoai_cli.versions import Version

    Source = Target | Path | RawConfig


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


@dataclass(frozen=True)
class Prepared:
    """A validated config, its rendered files, and the hash a gateway started from them is labelled with."""

    validated: Validated
    rendered: Rendered
    config_hash: str


def prepare(source: Source) -> Prepared:
    """Every stage in order: find and load (a Target or a path), validate, render, hash.

    Raises InvalidConfig listing every problem, or RenderError.
    """
    return render_validated(validate(source))


def validate(source: Source) -> Validated:
    """Find (a Target or a path), load and validate a config; raises InvalidConfig listing every problem."""
    if isinstance(source, RawConfig):
        return validate_raw(source)
    if isinstance(source, Path):
        return validate_file(source, Path())
    return validate_file(source.file, source.search_dir)


def render_validated(validated: Validated, config: PlanoConfig | None = None) -> Prepared:
    """The render stage and the hash, for `validated` (or `config`, a changed copy of its config)."""
    from planoai_cli.render import render

    rendered = render(validated.config if config is None else config)
    return Prepared(validated, rendered, rendered_hash(rendered))


def rendered_hash(rendered: Rendered) -> str:
    """The content hash of the two rendered files, as a running gateway's label records it."""
    return content_hash(rendered.envoy_yaml, rendered.plano_config)


def raw_from_text(path: Path, text: str) -> RawConfig:
    """A config that is not read from disk (a zero-config, a template about to be written), parsed as `path`."""
    return RawConfig(path, text, parse(text, str(path)))


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


def _collect(
    raw: RawConfig, findings: list[Diagnostic], new: tuple[Diagnostic, ...] | list[Diagnostic], version: str | None
) -> None:
    """Add findings; if any error is among everything so far, stop with all of them."""
    findings.extend(new)
    errors = [d for d in findings if d.severity is Severity.ERROR]
    if errors:
        # Notices describe migrations as done; for a refused file nothing was done, so only warnings stay.
        others = [d for d in findings if d.severity is Severity.WARNING]
        raise InvalidConfig(raw.source, sorted_diagnostics(errors), sorted_diagnostics(others), version=version)
