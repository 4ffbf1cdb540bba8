"""Shared by the export tests: the cases (every example and init template) and a way to export one."""

from __future__ import annotations

from pathlib import Path

from planoai_cli.export import Exported, ExportOptions, Target, export
from planoai_cli.pipeline import validate_file

REPO = Path(__file__).resolve().parent.parent
CASES = {
    **{f"example-{p.stem}": p for p in sorted((REPO / "examples").rglob("*.yaml"))},
    **{f"template-{p.stem}": p for p in sorted((REPO / "planoai_cli" / "init" / "templates").glob("*.yaml"))},
}


def export_case(case: str, target: Target, *, helm: bool = False, **options: object) -> Exported:
    """The case exported under its own name as the project (so the output does not depend on the folder)."""
    path = CASES[case]
    settings = ExportOptions(project=case, helm=helm, **options)  # type: ignore[arg-type]
    return export(validate_file(path, path.parent), target, settings)


def export_file(config: Path, target: Target, **options: object) -> Exported:
    return export(validate_file(config, config.parent), target, ExportOptions(**options))  # type: ignore[arg-type]
