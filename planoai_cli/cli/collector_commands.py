"""`planoai trace listen | down | stop | status`: the trace collector's commands.

Interface for cli/trace_commands.py, which owns `planoai trace` and dispatches its pseudo-targets here by name:
  listen  click command  [--port 4317] [--http-port 4318] [--host H]... [--foreground] [--max-spans N] [--max-age 7d]
  down    click command  (no options; `trace stop` is the same command)
  status  click command  [--json]
Each is a plain click.Command (not registered on a group): the dispatcher builds its context with
`command.make_context(name, args, parent=ctx)` and invokes it. Each returns an ExitCode and raises PlanoError
subclasses for the CLI's one handler; the work is in trace/daemon.py (and trace/collector.py for --foreground).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from planoai_cli.cli.options import JSON, ip_addresses
from planoai_cli.errors import ExitCode, UsageError

LOOPBACK = "127.0.0.1"


def _hosts(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    return ip_addresses(
        "--host",
        values,
        hint="use 127.0.0.1, this host's Docker bridge address (e.g. 172.17.0.1), or 0.0.0.0 for every interface",
    )


@click.command(short_help="Start the trace collector (in the background).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=4317,
    show_default=True,
    help="OTLP/gRPC port (what the gateway and most SDKs send to).",
)
@click.option(
    "--http-port",
    type=click.IntRange(0, 65535),
    default=4318,
    show_default=True,
    help="OTLP/HTTP port for POST /v1/traces (protobuf or JSON); 0: no OTLP/HTTP receiver.",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    callback=_hosts,
    metavar="ADDRESS",
    help="Address to listen on (repeatable) [default: 127.0.0.1 and this host's Docker bridge address, "
    "so the gateway container reaches it]. 0.0.0.0 listens on every interface.",
)
@click.option("--foreground", is_flag=True, help="Run in this terminal until Ctrl-C instead of in the background.")
@click.option(
    "--max-spans",
    type=click.IntRange(min=1),
    default=200_000,
    show_default=True,
    help="Spans kept at most; the oldest traces are dropped beyond it.",
)
@click.option(
    "--max-age",
    default="7d",
    show_default=True,
    metavar="AGE",
    help="Traces older than this are dropped: 30m, 12h, 7d.",
)
def listen(port: int, http_port: int, hosts: tuple[str, ...], foreground: bool, max_spans: int, max_age: str) -> int:
    """Start the OTLP trace collector: gRPC on --port, HTTP on --http-port, spans kept in SQLite.

    It runs in the background (stop it with `planoai trace down`) unless --foreground. `planoai trace` and
    `planoai obs` read what it stores, also after a restart.

    Exit codes: 0 listening, 2 usage error, 7 a port is taken or a collector already runs (the message names the
    owner), 1 it failed to start (the message quotes its log).
    """
    from planoai_cli import console
    from planoai_cli.console.collector import show_started
    from planoai_cli.trace import daemon

    if http_port == port:
        raise UsageError(
            f"--port and --http-port are both {port}",
            hint="OTLP/HTTP needs a port of its own (or --http-port 0 for none)",
        )
    limits = daemon.Limits(max_spans, daemon.parse_age(max_age))
    options = daemon.ListenOptions(hosts or _default_hosts(console.info), port, http_port, limits)
    if "0.0.0.0" in options.hosts or "::" in options.hosts:
        console.warning("listening on every interface: other machines can send spans to this collector")
    if foreground:
        console.info("trace collector in the foreground; Ctrl-C stops it")
        daemon.run_foreground(options, console.info)
        return ExitCode.OK
    show_started(daemon.start(options))
    return ExitCode.OK


@click.command(short_help="Stop the trace collector (its traces are kept).")
def down() -> int:
    """Stop the background trace collector (SIGTERM, then SIGKILL after 10 s). Its stored traces are kept.

    Exit code 0, also when no collector was running.
    """
    from planoai_cli import console
    from planoai_cli.trace import daemon

    stopped = daemon.stop()
    if stopped is None:
        console.info("no trace collector is running; nothing to stop")
    else:
        console.success(f"stopped the trace collector (pid {stopped.pid}); its traces stay in {stopped.db_path}")
    return ExitCode.OK


@click.command(short_help="Is the trace collector running, where, and what it stores.")
@JSON
def status(as_json: bool) -> int:
    """Show whether the trace collector runs: pid, uptime, addresses, limits, stored spans and traces, the store file.

    Exit codes: 0 running, 12 not running (what the store holds is shown either way).
    """
    from planoai_cli.console.collector import show_status
    from planoai_cli.trace import daemon

    report = daemon.status()
    show_status(report, as_json=as_json)
    return ExitCode.OK if report.running else ExitCode.COLLECTOR_NOT_RUNNING


def _default_hosts(note: Callable[[str], None]) -> tuple[str, ...]:
    """Loopback plus the Docker bridge address, so the gateway container reaches the collector; loopback alone (with
    a note saying why) when no engine answers or its bridge is not on this machine."""
    from planoai_cli.errors import DockerUnavailable
    from planoai_cli.runtime.engine import session

    try:
        with session() as engine:
            found = engine.host_address()
    except DockerUnavailable as e:
        note(
            f"listening on {LOOPBACK} only: no Docker bridge address ({e.message.splitlines()[0]}); containers "
            "cannot reach the collector (--host adds addresses)"
        )
        return (LOOPBACK,)
    if not found.local:
        note(
            f"listening on {LOOPBACK} only: the engine's bridge address {found.address} is not on this machine "
            "(containers reach loopback through host.docker.internal there)"
        )
        return (LOOPBACK,)
    return (LOOPBACK, found.address)
