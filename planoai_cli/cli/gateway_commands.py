"""Gateway commands: up, down, status, logs and build (they need a Docker engine)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from planoai_cli.cli.options import DOCKER, FILE, JSON, PATH, PROJECT, gateway_options
from planoai_cli.cli.root import planoai
from planoai_cli.contract import DEFAULT_IMAGE
from planoai_cli.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from planoai_cli.gateway.options import PullPolicy

COMPONENTS = ("envoy", "brightstaff", "access", "supervisord")


@planoai.command()
@FILE
@PATH
@PROJECT
@gateway_options(
    check_bind=True,
    image="Gateway image",
    pull="When to pull the image.",
    bind="Host address the listener and admin ports are published on (0.0.0.0 for every interface).",
)
@click.option(
    "--bridge/--no-bridge",
    "publish_bridge",
    default=True,
    show_default=True,
    help="Also publish the listeners on this host's Docker bridge address, so containers here reach "
    "them at host.docker.internal (not other machines).",
)
@click.option(
    "--publish-internal",
    is_flag=True,
    help="Also publish the internal LLM hop (port 12001), for agents that call it directly.",
)
@gateway_options(
    admin_port="Host port for the Envoy admin interface.", wait_timeout="Seconds to wait for every listener's /healthz."
)
@click.option("--keep-on-failure", is_flag=True, help="Keep a container that failed to become healthy.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Show each phase's detail and the container's start-up log lines as they come.",
)
@click.option(
    "--with-tracing",
    is_flag=True,
    help="Start (or reuse) planoai's trace collector and send every request's spans to it (planoai trace, "
    "planoai obs read them).",
)
@click.option(
    "--tracing-port",
    type=click.IntRange(1, 65535),
    default=4317,
    show_default=True,
    help="The collector's OTLP/gRPC port (OTLP/HTTP on 4318, or on the next port for another one).",
)
@click.option("--foreground", is_flag=True, help="Stream the logs after start; Ctrl-C stops and removes the gateway.")
@gateway_options(
    log_level="LOG_LEVEL inside the gateway.",
    listener_port="Model listener port of a zero-config gateway (no config found) [default: 12000].",
)
@JSON
@DOCKER
def up(
    file: Path | None,
    search_dir: Path,
    project: str | None,
    image: str | None,
    pull: PullPolicy,
    bind: str,
    publish_bridge: bool,
    publish_internal: bool,
    admin_port: int,
    wait_timeout: float,
    keep_on_failure: bool,
    verbose: bool,
    with_tracing: bool,
    tracing_port: int,
    foreground: bool,
    log_level: str,
    listener_port: int | None,
    as_json: bool,
) -> int:
    """Validate, render and start the gateway, then wait until every listener is healthy.

    With no FILE and no config in --path, a zero-config gateway is built from the provider keys in the shell
    and .env (see the README).
    """
    from planoai_cli import console
    from planoai_cli.gateway.options import Target, UpOptions, image_reference
    from planoai_cli.gateway.progress import Silent
    from planoai_cli.gateway.up import up
    from planoai_cli.zeroconfig import resolve

    resolved = resolve(
        Target(file, search_dir, project), dict(os.environ), listener_port, write_file=True, passthrough=True
    )
    if resolved.zero is not None:
        from planoai_cli.console.agent import show_zero_config

        show_zero_config(resolved.zero)
    options = UpOptions(
        image=image_reference(image, os.environ),
        pull=pull,
        bind=bind,
        admin_port=admin_port,
        wait_timeout=wait_timeout,
        keep_on_failure=keep_on_failure,
        foreground=foreground,
        log_level=log_level,
        environment=resolved.environment,
        publish_bridge=publish_bridge,
        publish_internal=publish_internal,
        verbose=verbose,
        with_tracing=with_tracing,
        tracing_port=tracing_port,
    )
    reporter = Silent() if as_json else console.UpReporter(verbose=verbose)
    up(resolved.target, options, reporter, on_healthy=lambda running: console.show_running(running, as_json=as_json))
    return ExitCode.OK


@planoai.command()
@FILE
@PATH
@PROJECT
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds to wait for a graceful stop before the container is killed.",
)
@click.option(
    "--with-tracing",
    is_flag=True,
    help="Also stop planoai's trace collector (its stored traces are kept); without it the collector keeps running.",
)
@DOCKER
def down(file: Path | None, search_dir: Path, project: str | None, timeout: float, with_tracing: bool) -> int:
    """Stop and remove the project's gateway (succeeds when nothing is running)."""
    from planoai_cli import console
    from planoai_cli.gateway.down import down as stop
    from planoai_cli.gateway.options import Target

    chosen, removed = stop(Target(file, search_dir, project), timeout, dict(os.environ), notify=console.info)
    if removed is None:
        console.info(f"no gateway is running for project {chosen!r}; nothing to stop")
    else:
        console.success(f"stopped and removed {removed}")
    if with_tracing:
        from planoai_cli.trace.daemon import stop as stop_collector

        collector = stop_collector(dict(os.environ))
        if collector is None:
            console.info("no trace collector is running")
        else:
            console.success(
                f"stopped the trace collector (pid {collector.pid}); its traces are kept in {collector.db_path}"
            )
    return ExitCode.OK


@planoai.command()
@FILE
@PATH
@PROJECT
@JSON
def status(file: Path | None, search_dir: Path, project: str | None, as_json: bool) -> int:
    """Report the gateway: running or not, health per listener, image, uptime, config drift."""
    from planoai_cli import console
    from planoai_cli.gateway.options import Target
    from planoai_cli.gateway.status import status as gateway_status

    report = gateway_status(Target(file, search_dir, project), dict(os.environ), notify=console.info)
    console.show_status(report, as_json=as_json)
    if report.state != "running":
        return ExitCode.CONTAINER_EXITED
    return ExitCode.OK if report.healthy else ExitCode.FAILURE


@planoai.command()
@FILE
@PATH
@PROJECT
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option(
    "--tail",
    "-n",
    "tail_lines",
    type=click.IntRange(min=0),
    default=None,
    help="Only the last N lines (of the chosen components).",
)
@click.option("--since", default=None, help="Only lines newer than this: 30s, 10m, 2h, or a Unix timestamp.")
@click.option(
    "--component",
    "-c",
    "components",
    multiple=True,
    type=click.Choice(COMPONENTS),
    help="Only these components (repeatable) [default: all four].",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Upstream's debug view: the same as -c access -c envoy -c brightstaff, added to any -c given.",
)
@DOCKER
def logs(
    file: Path | None,
    search_dir: Path,
    project: str | None,
    follow: bool,
    tail_lines: int | None,
    since: str | None,
    components: tuple[str, ...],
    debug: bool,
) -> int:
    """Show the gateway's logs (also after it exited), by component.

    With neither -c nor --debug every component is shown: access, envoy, brightstaff and supervisord (its own
    lines: start-up, and which program exited). Upstream's default, access logs only, is -c access.
    """
    from planoai_cli import console
    from planoai_cli.gateway.logs import logs as read_logs
    from planoai_cli.gateway.options import Target
    from planoai_cli.logs import chosen_components

    lines = read_logs(
        Target(file, search_dir, project),
        dict(os.environ),
        follow=follow,
        tail=tail_lines,
        since=_since(since),
        components=chosen_components(components, debug=debug),
        notify=console.info,
    )
    for line in lines:
        console.out(line)
    return ExitCode.OK


def _since(value: str | None) -> int | None:
    if value is None:
        return None
    import time

    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if value[-1:] in units:
            return int(time.time() - float(value[:-1]) * units[value[-1]])
        return int(float(value))
    except ValueError:
        raise UsageError(
            f"--since {value!r} is not a duration or timestamp", hint="use 30s, 10m, 2h, 1d or a Unix timestamp"
        ) from None


@planoai.command()
@click.option(
    "--base",
    default=DEFAULT_IMAGE,
    show_default=True,
    help="Image to build on (the production image, or planoai-testbed:latest offline).",
)
@click.option("--tag", default=None, help="Tag of the built image [default: planoai-gateway:<cli version>].")
@DOCKER
def build(base: str, tag: str | None) -> int:
    """Build the derived gateway image: the base plus planoai-cli's supervisord config baked in."""
    from planoai_cli import __version__, console
    from planoai_cli.gateway.build import build as build_image

    image = build_image(
        base=base, tag=tag or f"planoai-gateway:{__version__}", env=dict(os.environ), on_line=console.info
    )
    console.success(f"built {image}")
    return ExitCode.OK
