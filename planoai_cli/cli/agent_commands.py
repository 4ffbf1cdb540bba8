"""`planoai cli-agent`: run Claude Code or Codex through the project's gateway (also spelled `cli_agent`)."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from planoai_cli.cli.options import FILE, PATH, PROJECT, gateway_options
from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode

if TYPE_CHECKING:
    from planoai_cli.gateway.options import PullPolicy

AGENT_ARGS = "planoai.agent_args"


class AgentCommand(click.Command):
    """Everything after the first `--` belongs to the agent, untouched (so FILE can never swallow it)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[AGENT_ARGS] = tuple(args[cut + 1 :])
            args = args[:cut]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), "[-- AGENT ARGS...]"]


@planoai.command("cli-agent", cls=AgentCommand)
@click.argument("agent", type=click.Choice(["claude", "codex"]))
@FILE
@PATH
@PROJECT
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the environment changes (keys masked), model checks and command; start nothing.",
)
@click.option(
    "--no-model-check",
    is_flag=True,
    help="Launch even if a model the agent will ask for is not routable by the config.",
)
@gateway_options(
    image="Gateway image if it must be started",
    pull="When to pull the image (if the gateway must be started).",
    admin_port="Host port for the Envoy admin interface (if the gateway must be started).",
    wait_timeout="Seconds to wait for the gateway to be healthy.",
    listener_port="Model listener port of a zero-config gateway [default: 12000].",
    log_level="LOG_LEVEL inside the gateway (if it must be started).",
)
@click.option(
    "--settings",
    "settings_json",
    metavar="JSON",
    default=None,
    help="Upstream's JSON object: NON_INTERACTIVE_MODE (true: CI=true, FORCE_COLOR=0, NODE_NO_READLINE=1, "
    "TERM=dumb), ANTHROPIC_SMALL_FAST_MODEL (claude), CODEX_MODEL (codex's model); other keys go to "
    "Claude Code as --settings=<json> (codex ignores them).",
)
@click.pass_context
def cli_agent(
    ctx: click.Context,
    agent: str,
    file: Path | None,
    search_dir: Path,
    project: str | None,
    dry_run: bool,
    no_model_check: bool,
    image: str | None,
    pull: PullPolicy,
    admin_port: int,
    wait_timeout: float,
    listener_port: int | None,
    log_level: str,
    settings_json: str | None,
) -> int:
    """Run AGENT (claude or codex) through the project's gateway, starting it if needed.

    Arguments after `--` go to the agent: planoai cli-agent claude -- --model claude-sonnet.
    The exit code is the agent's; before it runs: 127 not installed, 3 a model it would ask for is not routable
    (or the config is invalid), else `up`'s codes.
    """
    from planoai_cli.agent import launch, session, settings
    from planoai_cli.console import agent as shown
    from planoai_cli.gateway.options import Target
    from planoai_cli.zeroconfig import write

    shell = dict(os.environ)
    prepared = session.prepare(
        agent,
        Target(file, search_dir, project),
        shell,
        ctx.meta.get(AGENT_ARGS, ()),
        listener_port,
        settings=settings.parse(settings_json),
    )
    if dry_run:
        return _dry_run(prepared, check=not no_model_check)
    shown.show_findings(prepared.findings, prepared.plan.notes)
    if not no_model_check:
        session.refuse_unroutable(prepared)
    binary = launch.find_binary(prepared.agent, prepared.plan.child_env(shell))
    if prepared.resolution.zero is not None:
        shown.show_zero_config(write(prepared.resolution.zero))
    gateway = _gateway(
        prepared, image=image, pull=pull, admin_port=admin_port, wait_timeout=wait_timeout, log_level=log_level
    )
    plan = prepared.rebuilt(gateway.base_url)
    shown.show_launch(prepared.agent.title, gateway)
    return launch.run(binary, plan.args, plan.child_env(shell))


def _dry_run(prepared: Any, *, check: bool) -> int:
    """The whole plan first (model verdicts included), then the same refusals a real run would meet."""
    from planoai_cli.agent import launch, session
    from planoai_cli.console import agent as shown
    from planoai_cli.errors import AgentNotFound

    if prepared.resolution.zero is not None:
        shown.show_zero_config(prepared.resolution.zero, written=False)
    shown.show_findings((), prepared.plan.notes)
    binary: str | None = None
    missing: AgentNotFound | None = None
    try:
        binary = launch.find_binary(prepared.agent, prepared.plan.child_env(prepared.shell))
    except AgentNotFound as e:
        missing = e
    shown.show_plan(prepared, binary)
    if check:
        session.refuse_unroutable(prepared)
    if missing is not None:
        raise missing
    return ExitCode.OK


def _gateway(
    prepared: Any, *, image: str | None, pull: PullPolicy, admin_port: int, wait_timeout: float, log_level: str
) -> Any:
    from planoai_cli import console
    from planoai_cli.agent.gateway import ensure
    from planoai_cli.gateway.options import UpOptions, image_reference

    options = UpOptions(
        image=image_reference(image, os.environ),
        pull=pull,
        admin_port=admin_port,
        wait_timeout=wait_timeout,
        log_level=log_level,
        environment=prepared.resolution.environment,
    )
    return ensure(
        prepared.resolution.target,
        prepared.validated.raw.path,
        prepared.config_hash,
        options,
        reporter=console.UpReporter(),
    )


# The spelling in upstream's docs: the same command, hidden from the help.
_alias = copy.copy(cli_agent)
_alias.hidden = True
planoai.add_command(_alias, "cli_agent")
