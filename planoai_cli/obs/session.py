"""What `planoai obs` runs: pick and load the prices (flags, config, catalog) and read a summary from the store."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from planoai_cli.errors import ConfigError
from planoai_cli.obs.calls import MODEL, LlmCall, llm_calls
from planoai_cli.obs.catalog import Choice, Pricing, cache_dir, choose, load
from planoai_cli.obs.summary import Summary, summarize

if TYPE_CHECKING:
    from planoai_cli.model import MetricsSource
    from planoai_cli.trace.model import SpanRecord
    from planoai_cli.trace.store import Store


class SpanSource(Protocol):
    """The part of the collector's store obs reads (trace/store.py's Store)."""

    def spans_with_attribute(
        self, key: str, *, since_ns: int | None = None, limit: int | None = None
    ) -> list[SpanRecord]: ...


class StoreSource:
    """The collector's store, opened read-only once its file exists (a collector that has received nothing yet
    has none: until then there are no spans)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: Store | None = None

    def spans_with_attribute(
        self, key: str, *, since_ns: int | None = None, limit: int | None = None
    ) -> list[SpanRecord]:
        if self._store is None:
            if not self.path.exists():
                return []
            from planoai_cli.trace.store import Store

            self._store = Store.open(self.path, readonly=True)
        return self._store.spans_with_attribute(key, since_ns=since_ns, limit=limit)

    def files(self) -> list[Path]:
        """The files every commit of the collector changes (the WAL, and the database after a checkpoint)."""
        return [self.path, self.path.with_name(self.path.name + "-wal")]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


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


def load_pricing(
    request: PricingRequest, warn: Callable[[str], None], *, now: datetime | None = None, directory: Path | None = None
) -> Pricing:
    """The prices in force (never fails: a fetch problem falls back and says so in the result)."""
    return load(
        choose_pricing(request, warn),
        directory=directory or cache_dir(),
        now=now or datetime.now(UTC),
        refresh=request.refresh,
    )


def read_summary(
    source: SpanSource, pricing: Pricing | None, window: Window, *, collector: str | None, now: datetime | None = None
) -> Summary:
    """The summary of the calls in `window`, newest `window.limit` at most (the summary says when it cut)."""
    return Reader(source, pricing, window, collector=collector)(now)


class Reader:
    """Summaries of one store as time goes by, for the live console.

    The store is queried again only when its files changed (every commit of the collector touches the WAL file) or
    `full_every` seconds have passed, and a span already read is not read again, so an idle redraw costs a stat()
    and a redraw after new spans costs one query.
    """

    def __init__(
        self,
        source: SpanSource,
        pricing: Pricing | None,
        window: Window,
        *,
        collector: str | None,
        files: Sequence[Path] = (),
        full_every: float = 5.0,
    ) -> None:
        self._source, self._pricing, self._window, self._collector = source, pricing, window, collector
        self._files, self._full_every = tuple(files), full_every
        self._seen: tuple[object, ...] | None = None
        self._read_at = 0.0
        self._calls: list[LlmCall] = []
        self._truncated = False

    def __call__(self, now: datetime | None = None) -> Summary:
        now = now or datetime.now(UTC)
        window = self._window
        start = now - timedelta(seconds=window.since_seconds) if window.since_seconds else None
        since_ns = int(start.timestamp()) * 10**9 + start.microsecond * 1000 if start else None
        seen = _signature(self._files)
        if not self._files or seen != self._seen or time.monotonic() - self._read_at >= self._full_every:
            spans = self._source.spans_with_attribute(MODEL, since_ns=since_ns, limit=window.limit + 1)
            calls = llm_calls(spans, {(c.trace_id, c.span_id): c for c in self._calls})
            self._calls, self._truncated = calls[: window.limit], len(calls) > window.limit
            self._seen, self._read_at = seen, time.monotonic()
        calls = self._calls if since_ns is None else [c for c in self._calls if c.start_ns >= since_ns]
        return summarize(
            calls,
            self._pricing,
            now=now,
            since=window.since,
            window_start=start,
            collector=self._collector,
            recent=window.recent,
            truncated=self._truncated,
        )


def _signature(files: Sequence[Path]) -> tuple[object, ...]:
    found: list[object] = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            found.append(None)
        else:
            found.append((info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(found)


def _config_sources(request: PricingRequest, warn: Callable[[str], None]) -> tuple[Sequence[MetricsSource], str]:
    from planoai_cli.errors import InvalidConfig
    from planoai_cli.loader import discover
    from planoai_cli.pipeline import validate_file

    if request.provider and request.url:
        return (), ""  # the flags say everything: no need to read a config
    try:
        path = discover(request.config, request.search_dir)
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
