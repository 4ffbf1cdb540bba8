"""The `planoai` command group and its global options."""

from __future__ import annotations

import click

from planoai_cli import __version__


class _Flags:
    """Global flags the error handler needs after click has returned (or raised)."""

    debug = False


def debug_requested() -> bool:
    """`planoai --debug` or PLANOAI_DEBUG, as click parsed them (not `--debug` anywhere on the line)."""
    return _Flags.debug


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
    _Flags.debug = debug
