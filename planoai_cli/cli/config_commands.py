"""Config commands: validate, migrate and render (no Docker needed)."""

from __future__ import annotations

from pathlib import Path

import click

from planoai_cli.cli.options import FILE, PATH
from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode, UsageError


@planoai.command()
@FILE
@PATH
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format; json prints {valid, version, errors, warnings} (and envoy with --envoy).",
)
@click.option(
    "--envoy",
    "with_envoy",
    is_flag=True,
    help="Also render the config and let Envoy validate the result (the wasm plugins are stood in by "
    "a pass-through module).",
)
def validate(file: Path | None, search_dir: Path, fmt: str, with_envoy: bool) -> int:
    """Check a config (any generation) and report every problem at once."""
    from planoai_cli.console import report
    from planoai_cli.pipeline import validate_file

    if fmt == "json":
        return report.validate_json(lambda: validate_file(file, search_dir), envoy=with_envoy)
    result = validate_file(file, search_dir)
    if with_envoy:
        report.validate_envoy_text(result)
    else:
        report.validate_text(result)
    return ExitCode.OK


@planoai.command()
@FILE
@PATH
@click.option(
    "--write",
    is_flag=True,
    help="Rewrite FILE in the canonical v0.4.0 form, keeping the old one as FILE.bak (FILE.bak.1, … when taken).",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of the whole file.")
def migrate(file: Path | None, search_dir: Path, write: bool, show_diff: bool) -> int:
    """Print the config in the canonical v0.4.0 form (or a diff), or rewrite it with --write."""
    from planoai_cli.console import report
    from planoai_cli.pipeline import validate_file

    report.migrate(validate_file(file, search_dir), write=write, show_diff=show_diff)
    return ExitCode.OK


@planoai.command()
@FILE
@PATH
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write envoy.yaml and plano_config_rendered.yaml into (created if missing).",
)
@click.option("--stdout", "to_stdout", is_flag=True, help="Print envoy.yaml to stdout instead of writing files.")
def render(file: Path | None, search_dir: Path, out_dir: Path | None, to_stdout: bool) -> int:
    """Render the files the Plano data plane reads; secrets stay $VAR references."""
    from planoai_cli.console import report
    from planoai_cli.pipeline import validate_file

    if (out_dir is None) != to_stdout:
        raise UsageError(
            "give exactly one of --out DIR and --stdout",
            hint="planoai render --out rendered/ writes both files; --stdout prints envoy.yaml",
        )
    report.render(validate_file(file, search_dir), out=out_dir)
    return ExitCode.OK
