"""The `planoai` command group and its global options."""

from __future__ import annotations

import importlib

import click

from planoai_cli import __version__

# The module that registers each command (importing it adds its commands to `planoai`). A module is imported when
# one of its commands is looked up, so running one command does not import the others; --help looks up them all.
COMMAND_MODULES = {
    "validate": "config_commands",
    "migrate": "config_commands",
    "render": "config_commands",
    "up": "gateway_commands",
    "down": "gateway_commands",
    "status": "gateway_commands",
    "logs": "gateway_commands",
    "build": "gateway_commands",
    "wait": "ops_commands",
    "doctor": "ops_commands",
    "cli-agent": "agent_commands",
    "cli_agent": "agent_commands",
    "init": "init_command",
    "obs": "obs_command",
    "trace": "trace_commands",
    "export": "export_command",
}


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


class _Commands(click.Group):
    """A group whose commands' modules load on first lookup."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            # An unknown name loads every command, so click's "Did you mean …?" can choose among them all.
            known = COMMAND_MODULES.get(cmd_name)
            for module in [known] if known else sorted(set(COMMAND_MODULES.values())):
                importlib.import_module(f"planoai_cli.cli.{module}")
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the CLI version and the config versions it understands.",
)
@click.option("--debug", is_flag=True, envvar="PLANOAI_DEBUG", help="Show tracebacks for unexpected errors.")
def planoai(debug: bool) -> None:
    """Validate, migrate, render and run Plano AI gateway configs."""
    _Flags.debug = debug
