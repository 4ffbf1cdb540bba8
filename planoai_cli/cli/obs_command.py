"""`planoai obs`: a live console of the LLM calls the trace collector stored, with their cost."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from planoai_cli.cli.options import JSON
from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode

if TYPE_CHECKING:
    from planoai_cli.obs.summary import Summary


@planoai.command()
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Config whose first model_metrics_sources entry of type cost picks the pricing catalog "
    "[default: the config in --path, if there is one].",
)
@click.option(
    "--path",
    "search_dir",
    default=".",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder searched for config.yaml, plano_config.yaml, arch_config.yaml when --config is omitted.",
)
@click.option(
    "--pricing-provider",
    type=click.Choice(["models.dev", "digitalocean"]),
    default=None,
    help="Catalog format and default URL [default: the config's, else models.dev].",
)
@click.option("--pricing-url", default=None, metavar="URL", help="Fetch the catalog from URL instead.")
@click.option("--refresh-pricing", is_flag=True, help="Fetch the catalog now even if the cached copy is fresh.")
@click.option(
    "--since",
    default=None,
    metavar="AGE",
    help="Only calls started in the last AGE: 30s, 5m, 2h, 1d [default: everything stored].",
)
@click.option("--once", is_flag=True, help="Print the summary once and exit (tables, or JSON with --json).")
@JSON
@click.option(
    "--refresh-ms",
    type=click.IntRange(min=100),
    default=500,
    show_default=True,
    help="Milliseconds between redraws of the live console.",
)
@click.option(
    "--recent", type=click.IntRange(min=0), default=15, show_default=True, help="How many of the newest calls to list."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Read at most the newest N calls (the summary says when it cut).",
)
def obs(
    config_file: Path | None,
    search_dir: Path,
    pricing_provider: str | None,
    pricing_url: str | None,
    refresh_pricing: bool,
    since: str | None,
    once: bool,
    as_json: bool,
    refresh_ms: int,
    recent: int,
    limit: int,
) -> int:
    """Watch the LLM calls going through the gateway: requests, errors, cost, tokens, latency and TTFT
    percentiles, per model and per route, the newest calls and the last error.

    It reads the store of the trace collector (`planoai up --with-tracing` or `planoai trace listen`), so it
    shares the collector with `planoai trace`. Costs come from a pricing catalog (models.dev or DigitalOcean),
    fetched at most once a day and cached; without network the cache, else a bundled snapshot, is used, and the
    footer says which and how old.

    --json implies --once. Exit codes: 0 shown, 2 usage error, 3 the --config file is missing or invalid,
    12 no collector is running, 130 Ctrl-C.
    """
    from planoai_cli.console import obs as screen
    from planoai_cli.obs.session import (
        PricingRequest,
        Reader,
        StoreSource,
        Window,
        load_pricing,
        monotonic_ticks,
        read_summary,
    )
    from planoai_cli.trace.query import parse_since

    window = Window(since, parse_since(since), recent, limit)
    address, store_path = _running_collector()
    source = StoreSource(store_path)
    try:
        request = PricingRequest(config_file, search_dir, pricing_provider, pricing_url, refresh_pricing)
        pricing = load_pricing(request, screen.note)
        if not (once or as_json) and not screen.is_terminal():
            screen.note("stdout is not a terminal: printing the summary once (--once says so explicitly)")
            once = True
        if once or as_json:
            screen.show_once(read_summary(source, pricing, window, collector=address), as_json=as_json)
        else:
            reader = Reader(source, pricing, window, collector=address, files=source.files())
            screen.live(lambda: _still_running(reader(), address), monotonic_ticks(refresh_ms / 1000))
    finally:
        source.close()
    return ExitCode.OK


def _running_collector() -> tuple[str, Path]:
    """The running collector's OTLP addresses and its store; CollectorNotRunning when none runs (never "no calls
    found")."""
    from planoai_cli.trace import daemon
    from planoai_cli.trace.query import collector_not_running

    state = daemon.read_state()
    if state is None:
        raise collector_not_running(None)
    return "OTLP " + ", ".join(state.grpc_addresses()), Path(state.db_path)


def _still_running(summary: Summary, address: str) -> Summary:
    """The live console keeps showing what is stored when the collector stops, and says so."""
    from dataclasses import replace

    from planoai_cli.trace import daemon

    if daemon.read_state() is not None:
        return summary
    return replace(summary, collector=f"{address} (stopped: no new calls arrive; planoai trace listen)")
