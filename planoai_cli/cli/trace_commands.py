"""`planoai trace`: the stored traces as trees, a list or JSON, or followed as they arrive; `trace listen`, `down`,
`stop` and `status` manage the collector (cli/collector_commands.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from planoai_cli.cli.options import JSON
from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode

if TYPE_CHECKING:
    from planoai_cli.trace.query import Query, TraceSource, View

PSEUDO = ("listen", "down", "stop", "status")  # = trace.query.PSEUDO_TARGETS, kept here so --help imports nothing
_PSEUDO_KEY = "planoai.trace.pseudo"
_COLLECTOR_COMMANDS = {"listen": "listen", "down": "down", "stop": "down", "status": "status"}


class _TraceCommand(click.Command):
    """`trace` whose first word may be a collector command (`trace listen --port 4317`): those run with their own
    options; anything else is TARGET plus the display options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in PSEUDO:
            ctx.meta[_PSEUDO_KEY] = (args[0], args[1:])
            return []
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        pseudo = ctx.meta.get(_PSEUDO_KEY)
        if pseudo is None:
            return super().invoke(ctx)
        return _dispatch(ctx, *pseudo)


def _dispatch(ctx: click.Context, name: str, args: list[str]) -> Any:
    # The collector's own click commands (cli/collector_commands.py), each parsing its own options. No parent
    # context: click would put `trace`'s [TARGET] into the sub-command's usage line ("planoai trace [TARGET] listen").
    from planoai_cli.cli import collector_commands

    command: click.Command = getattr(collector_commands, _COLLECTOR_COMMANDS[name])
    with command.make_context(f"{ctx.command_path} {name}", list(args), help_option_names=ctx.help_option_names) as sub:
        return command.invoke(sub)


@planoai.command(cls=_TraceCommand, short_help="Show the stored traces as trees, a list or JSON; follow new ones.")
@click.argument("target", required=False)
@click.option(
    "--list",
    "listing",
    is_flag=True,
    help="List trace ids, newest first, with spans, duration, start time and root span, instead of trees.",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="KEY=VALUE",
    help="Only traces with a span whose attribute KEY equals VALUE (repeatable: all must hold).",
)
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="GLOB",
    help="Show only attributes whose key matches GLOB (repeatable, or comma-separated; `llm` also matches llm.*).",
)
@click.option(
    "--since",
    default=None,
    metavar="AGE",
    help="Only traces with a span that started in the last AGE: 30s, 5m, 2h, 1d.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="At most N traces (or ids with --list; 0: no limit) [default: 50]; with --follow, stop after N.",
)
@JSON
@click.option("--verbose", "-v", is_flag=True, help="Show every attribute (Envoy hop spans show a few by default).")
@click.option("--follow", "-f", is_flag=True, help="Print each new trace as it arrives, until Ctrl-C.")
@click.option(
    "--no-interactive",
    is_flag=True,
    expose_value=False,
    help="Accepted for compatibility with upstream planoai; trace never prompts.",
)
def trace(
    target: str | None,
    listing: bool,
    where: tuple[str, ...],
    filters: tuple[str, ...],
    since: str | None,
    limit: int | None,
    as_json: bool,
    verbose: bool,
    follow: bool,
) -> int:
    """Show the traces the collector stored: TARGET is `last` (default), `any`, an 8-hex short id or a 32-hex id.

    Each trace is a tree: every span's offset from the trace's start, service, name, duration and status, an
    error banner for a failed span, then its attributes. Without TARGET, --list, --since and --limit mean `any`.

    \b
    Collector commands:
      planoai trace listen [--port 4317] [--host 127.0.0.1]   start the collector in the background
      planoai trace status [--json]                           is it running, where, how many traces
      planoai trace down   (or stop)                          stop it (the stored traces are kept)

    Exit codes: 0 shown, 1 nothing matched (the message says what was searched), 2 usage error,
    12 no collector is running.
    """
    from planoai_cli.trace.query import View, parse_filter, parse_query

    query = parse_query(target, where=where, since=since, limit=limit, listing=listing)
    view = View(parse_filter(filters), verbose, as_json)
    running, store = _open_store()
    try:
        if follow:
            return _follow(query, store, running, view)
        return show(query, store, running, view)
    finally:
        if store is not None:
            store.close()


def show(query: Query, store: TraceSource | None, running: bool, view: View, *, now_ns: int | None = None) -> int:
    """The query's traces on stdout (trees, list or JSON). Raises CollectorNotRunning, UsageError, PlanoError."""
    from planoai_cli.console import trace as out
    from planoai_cli.trace.query import collector_not_running, nothing_found, select
    from planoai_cli.trace.tree import unmatched_filter

    if store is None:  # no store file yet: nothing was ever received
        raise nothing_found(query, 0) if running else collector_not_running(None)
    selection = select(query, store, running=running, now_ns=time.time_ns() if now_ns is None else now_ns)
    traces = selection.traces
    missed = unmatched_filter(traces, view.patterns)
    if missed:
        out.warn(f"--filter {', '.join(missed)} matches no attribute of the traces shown")
    if query.listing:
        out.show_list(traces, as_json=view.as_json)
    else:
        out.show_traces(traces, as_json=view.as_json, patterns=view.patterns, verbose=view.verbose)
    if selection.more and not view.as_json:
        out.more_note(len(traces))
    if query.target.kind == "id" and len(traces) > 1 and not view.as_json:
        out.warn(f"{len(traces)} traces start with {query.target.trace_id}; give the full 32-hex id for one")
    return ExitCode.OK


def _follow(query: Query, store: TraceSource | None, running: bool, view: View) -> int:
    from planoai_cli.console import trace as out
    from planoai_cli.trace.follow import follow
    from planoai_cli.trace.query import collector_not_running, unknown_where_keys

    if store is None or not running:  # a running collector has created its store before it says it runs
        raise collector_not_running(store)
    unknown = unknown_where_keys(query.where, store.attribute_keys())
    if unknown:  # a key may simply not have arrived yet: warn, and wait for it
        out.warn(f"no stored span has {', '.join(unknown)} yet; waiting for traces that do")
    shown = 0

    def emit(trace: Any) -> None:
        nonlocal shown
        out.show_followed(
            trace,
            as_json=view.as_json,
            listing=query.listing,
            patterns=view.patterns,
            verbose=view.verbose,
            first=shown == 0,
        )
        shown += 1

    try:
        follow(
            query,
            store,
            emit,
            still_running=_collector_running,
            ready=lambda: out.note(f"following new traces{_searched(query)}; Ctrl-C stops"),
        )
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED  # Ctrl-C is how --follow ends: no "error: interrupted"
    return ExitCode.OK


def _searched(query: Query) -> str:
    described = query.describe()
    return f" ({described})" if described else ""


def _collector_running() -> bool:
    from planoai_cli.trace import daemon

    return daemon.read_state() is not None


def _open_store() -> tuple[bool, TraceSource | None]:
    """Whether the collector runs, and its store opened read-only (None when no store file exists yet)."""
    from pathlib import Path

    from planoai_cli.trace import daemon
    from planoai_cli.trace.store import Store

    state = daemon.read_state()
    path = Path(state.db_path) if state is not None else daemon.store_path()
    if not path.exists():
        return state is not None, None
    return state is not None, Store.open(path, readonly=True)
