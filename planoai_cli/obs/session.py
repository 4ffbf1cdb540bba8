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
        self, key: str, *, since_ns: int | None = None, limit: int | None = None, after_id: int | None = None
    ) -> list[SpanRecord]: ...

    def last_span_id(self) -> int: ...


class StoreSource:
    """The collector's store, opened read-only once its file exists (a collector that has received nothing yet
    has none: until then there are no spans)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: Store | None = None

    def spans_with_attribute(
        self, key: str, *, since_ns: int | None = None, limit: int | None = None, after_id: int | None = None
    ) -> list[SpanRecord]:
        store = self._opened()
        if store is None:
            return []
        return store.spans_with_attribute(key, since_ns=since_ns, limit=limit, after_id=after_id)

    def last_span_id(self) -> int:
        store = self._opened()
        return store.last_span_id() if store is not None else 0

    def _opened(self) -> Store | None:
        if self._store is None and self.path.exists():
            from planoai_cli.trace.store import Store

            self._store = Store.open(self.path, readonly=True)
        return self._store

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

    The store is queried again only when its files changed (every commit of the collector touches the WAL file),
    and then only for the spans stored since the last query (by span id: a long call's span arrives late with an
    early start); every `full_every` seconds the whole window is read again, which also lets go of spans the store
    dropped. A span already read is not read again, so an idle redraw costs a stat() and a redraw after new spans
    one query over the new rows, however large the store.
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
        self._last_id: int | None = None  # the newest span id the calls were read up to
        self._calls: list[LlmCall] = []
        self._truncated = False

    def __call__(self, now: datetime | None = None) -> Summary:
        now = now or datetime.now(UTC)
        window = self._window
        start = now - timedelta(seconds=window.since_seconds) if window.since_seconds else None
        since_ns = int(start.timestamp()) * 10**9 + start.microsecond * 1000 if start else None
        seen = _signature(self._files)
        full = not self._files or self._last_id is None or time.monotonic() - self._read_at >= self._full_every
        if full or seen != self._seen:
            self._read(since_ns, after_id=None if full else self._last_id)
            self._seen = seen
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

    def _read(self, since_ns: int | None, *, after_id: int | None) -> None:
        """The window's calls (the newest `limit`), read whole or, after `after_id`, added to those read before."""
        limit = self._window.limit
        last = self._source.last_span_id()  # first: a span stored meanwhile is read now and again next time, once
        if after_id is not None and last < after_id:
            after_id = None  # ids start again in an emptied store: read it all
        spans = self._source.spans_with_attribute(MODEL, since_ns=since_ns, limit=limit + 1, after_id=after_id)
        known = {(c.trace_id, c.span_id): c for c in self._calls}
        calls = llm_calls(spans, known)
        if after_id is None:
            self._truncated, self._read_at = len(calls) > limit, time.monotonic()
        else:
            merged = {**known, **{(c.trace_id, c.span_id): c for c in calls}}
            calls = sorted(merged.values(), key=lambda c: (c.start_ns, c.span_id), reverse=True)
            self._truncated = self._truncated or len(calls) > limit
        self._calls, self._last_id = calls[:limit], last


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
