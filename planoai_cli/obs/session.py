"""What `planoai obs` runs: pick and load the prices (flags, config, catalog) and read a summary from the store."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from planoai_cli.errors import ConfigError
from planoai_cli.obs.calls import MODEL, llm_calls
from planoai_cli.obs.catalog import Choice, Pricing, cache_dir, choose, load
from planoai_cli.obs.summary import Summary, summarize

if TYPE_CHECKING:
    from planoai_cli.model import MetricsSource
    from planoai_cli.trace.model import SpanRecord


class SpanSource(Protocol):
    """The part of the collector's store obs reads (trace/store.py's Store)."""

    def spans_with_attribute(self, key: str, *, since_ns: int | None = None,
                             limit: int | None = None) -> list[SpanRecord]: ...


@dataclass(frozen=True)
class PricingRequest:
    """Everything the command line says about prices."""

    config: Path | None  # --config: must exist and be valid
    search_dir: Path  # else a config found here is used when valid (a broken one is skipped with a warning)
    provider: str | None = None
    url: str | None = None
    refresh: bool = False


@dataclass(frozen=True)
class Window:
    """Which calls a summary covers and how much of them it lists."""

    since: str | None = None  # as given, e.g. "1h"; None: everything stored
    since_seconds: int | None = None
    recent: int = 15
    limit: int = 10_000  # the newest calls read at most


def choose_pricing(request: PricingRequest, warn: Callable[[str], None]) -> Choice:
    """The catalog the flags, else the config's cost source, else the default name."""
    sources, name = _config_sources(request, warn)
    return choose(request.provider, request.url, sources, name)


def load_pricing(request: PricingRequest, warn: Callable[[str], None], *, now: datetime | None = None,
                 directory: Path | None = None) -> Pricing:
    """The prices in force (never fails: a fetch problem falls back and says so in the result)."""
    return load(choose_pricing(request, warn), directory=directory or cache_dir(), now=now or datetime.now(UTC),
                refresh=request.refresh)


def read_summary(source: SpanSource, pricing: Pricing | None, window: Window, *, collector: str | None,
                 now: datetime | None = None) -> Summary:
    """The summary of the calls in `window`, newest `window.limit` at most (the summary says when it cut)."""
    now = now or datetime.now(UTC)
    start = now - timedelta(seconds=window.since_seconds) if window.since_seconds else None
    since_ns = int(start.timestamp()) * 10**9 + start.microsecond * 1000 if start else None
    spans = source.spans_with_attribute(MODEL, since_ns=since_ns, limit=window.limit + 1)
    calls = llm_calls(spans)
    return summarize(calls[:window.limit], pricing, now=now, since=window.since, window_start=start,
                     collector=collector, recent=window.recent, truncated=len(calls) > window.limit)


def _config_sources(request: PricingRequest, warn: Callable[[str], None]) -> tuple[Sequence[MetricsSource], str]:
    from planoai_cli.errors import InvalidConfig
    from planoai_cli.pipeline import locate_config, validate_file

    if request.provider and request.url:
        return (), ""  # the flags say everything: no need to read a config
    try:
        path = locate_config(request.config, request.search_dir)
    except ConfigError:
        if request.config is not None or not request.search_dir.is_dir():
            raise
        return (), ""  # no config here: the default catalog
    try:
        validated = validate_file(path, request.search_dir)
    except ConfigError as e:
        if request.config is not None:
            raise  # asked for by name: its problems are the answer
        count = f"{len(e.diagnostics)} problem(s)" if isinstance(e, InvalidConfig) else e.message
        warn(f"pricing: ignoring {path} ({count}; see planoai validate {path})")
        return (), ""
    return validated.config.metrics_sources, path.name


def monotonic_ticks(interval: float) -> Callable[[], None]:
    """A sleep that keeps a steady cadence: each call returns at the next multiple of `interval`."""
    start = time.monotonic()
    count = 0

    def wait() -> None:
        nonlocal count
        count += 1
        delay = start + count * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            count = int((time.monotonic() - start) / interval)  # fell behind: skip the missed ticks

    return wait
