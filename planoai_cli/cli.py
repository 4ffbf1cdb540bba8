"""Command-line layer: the only importer of click. Commands are thin adapters over the pipeline."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from planoai_cli import __version__
from planoai_cli.errors import ExitCode, InvalidConfig, PlanoError, UsageError

_FILE = click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=True))
_PATH = click.option("--path", "search_dir", default=".", show_default=True,
                     type=click.Path(path_type=Path, file_okay=False),
                     help="Folder searched for config.yaml, plano_config.yaml, arch_config.yaml when FILE is omitted.")


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from planoai_cli.versions import CANONICAL, KNOWN_LABELS

    click.echo(f"planoai-cli {__version__}")
    click.echo(f"config versions read: {', '.join(KNOWN_LABELS)} (generations G1–G3 are migrated)")
    click.echo(f"config version written: {CANONICAL}")
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the CLI version and the config versions it understands.")
@click.option("--debug", is_flag=True, envvar="PLANOAI_DEBUG", help="Show tracebacks for unexpected errors.")
def planoai(debug: bool) -> None:
    """Validate, migrate, render and run Plano AI gateway configs."""


@planoai.command()
@_FILE
@_PATH
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format; json prints {valid, version, errors, warnings} (and envoy with --envoy).")
@click.option("--envoy", "with_envoy", is_flag=True,
              help="Also render the config and let Envoy validate the result (the wasm plugins are stood in by "
                   "a pass-through module).")
def validate(file: Path | None, search_dir: Path, fmt: str, with_envoy: bool) -> int:
    """Check a config (any generation) and report every problem at once."""
    from planoai_cli import report
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
@_FILE
@_PATH
@click.option("--write", is_flag=True, help="Rewrite FILE in the canonical v0.4.0 form, keeping FILE.bak.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of the whole file.")
def migrate(file: Path | None, search_dir: Path, write: bool, show_diff: bool) -> int:
    """Print the config in the canonical v0.4.0 form (or a diff), or rewrite it with --write."""
    from planoai_cli import report
    from planoai_cli.pipeline import validate_file

    report.migrate(validate_file(file, search_dir), write=write, show_diff=show_diff)
    return ExitCode.OK


@planoai.command()
@_FILE
@_PATH
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write envoy.yaml and plano_config_rendered.yaml into (created if missing).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print envoy.yaml to stdout instead of writing files.")
def render(file: Path | None, search_dir: Path, out_dir: Path | None, to_stdout: bool) -> int:
    """Render the files the Plano data plane reads; secrets stay $VAR references."""
    from planoai_cli import report
    from planoai_cli.pipeline import validate_file

    if (out_dir is None) != to_stdout:
        raise UsageError("give exactly one of --out DIR and --stdout",
                         hint="planoai render --out rendered/ writes both files; --stdout prints envoy.yaml")
    report.render(validate_file(file, search_dir), out=out_dir)
    return ExitCode.OK


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; the single place where errors are handled."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("PLANOAI_DEBUG", "") not in ("", "0")
    try:
        result: Any = planoai.main(args=args, prog_name="planoai", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _console().error("interrupted")
        return ExitCode.INTERRUPTED
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except InvalidConfig as e:
        _console().show_diagnostics(e.source, _by_position((*e.warnings, *e.diagnostics)))
        _console().error(e.message, e.hint)
        return e.exit_code
    except PlanoError as e:
        _console().error(e.message, e.hint)
        return e.exit_code
    except Exception as e:  # the one place where bugs become a readable report
        _console().unexpected(f"{type(e).__name__}: {e}", traceback.format_exc() if debug else None)
        return ExitCode.INTERNAL
    return int(result or 0)


def _by_position(items: tuple[Any, ...]) -> tuple[Any, ...]:
    from planoai_cli.diagnostics import sorted_diagnostics

    return sorted_diagnostics(items)


def _console() -> Any:
    from planoai_cli import console

    return console


def main() -> NoReturn:
    """Console-script entry point."""
    sys.exit(run())
