"""`planoai trace --follow`: poll the store at a steady (monotonic) interval and hand over each new trace once its
spans have stopped changing for a short settle time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from planoai_cli.errors import CollectorNotRunning
from planoai_cli.trace.model import TraceRecord
from planoai_cli.trace.query import START_HINT, Query, TraceSource

LOOKBACK_SECONDS = 900  # a trace's spans arrive after its requests end; one as old as this still counts as new


class Settler:
    """Remembers each unprinted trace's shape (span count, last end) and when it last changed; a trace is ready
    once that shape has held for `settle` seconds. Ids in `done` are never handed over (again)."""

    def __init__(self, settle: float, done: Iterable[str] = ()) -> None:
        self.settle = settle
        self._done = set(done)
        self._pending: dict[str, tuple[tuple[int, int], float]] = {}

    def observe(self, traces: Iterable[TraceRecord], now: float) -> list[TraceRecord]:
        """The traces that became ready at monotonic time `now`, oldest first."""
        ready = []
        for trace in traces:
            if trace.trace_id in self._done:
                continue
            shape = (len(trace.spans), trace.end_ns)
            seen = self._pending.get(trace.trace_id)
            if seen is None or seen[0] != shape:
                seen = self._pending[trace.trace_id] = (shape, now)
            if now - seen[1] >= self.settle:
                ready.append(trace)
                self._done.add(trace.trace_id)
                del self._pending[trace.trace_id]
        return sorted(ready, key=lambda t: (t.start_ns, t.trace_id))

    def is_done(self, trace_id: str) -> bool:
        return trace_id in self._done

    def forget_except(self, trace_ids: set[str]) -> None:
        """Drop the memory of ids that left the polled window (it only moves forward), keeping memory bounded."""
        self._done &= trace_ids
        self._pending = {k: v for k, v in self._pending.items() if k in trace_ids}


@dataclass(frozen=True)
class FollowOptions:
    interval: float = 0.5  # seconds between polls
    settle: float = 1.0  # seconds a trace must stay unchanged before it is printed
    check_every: float = 2.0  # seconds between checks that the collector still runs


def follow(
    query: Query,
    source: TraceSource,
    emit: Callable[[TraceRecord], None],
    *,
    still_running: Callable[[], bool],
    options: FollowOptions = FollowOptions(),
    clock: Callable[[], float] = time.monotonic,
    wall_ns: Callable[[], int] = time.time_ns,
    sleep: Callable[[float], None] = time.sleep,
    ready: Callable[[], None] = lambda: None,
) -> int:
    """Emit each matching trace as it arrives until Ctrl-C (KeyboardInterrupt propagates) or --limit traces.

    Traces already stored are skipped unless --since or an id TARGET asks for them; `ready` is called once they
    are known. Returns the number emitted; raises CollectorNotRunning when the collector stops meanwhile.
    """
    stop_after = query.limit or (1 if query.target.kind == "id" else None)
    keep_existing = query.since_seconds is not None or query.target.kind == "id"
    existing = () if keep_existing else _poll_ids(query, source, wall_ns())
    settler = Settler(0.0 if keep_existing else options.settle, existing)
    ready()
    emitted, next_check = 0, clock() + options.check_every
    while True:
        tick = clock()
        ids = set(_poll_ids(query, source, wall_ns()))
        settler.forget_except(ids)
        fresh = [i for i in ids if not settler.is_done(i)]
        for trace in settler.observe(source.traces(trace_ids=fresh) if fresh else (), clock()):
            emit(trace)
            emitted += 1
            if stop_after is not None and emitted >= stop_after:
                return emitted
        settler.settle = options.settle  # stored traces asked for settle at once in the first round only
        if clock() >= next_check:
            if not still_running():
                raise CollectorNotRunning("the trace collector stopped while following", hint=START_HINT)
            next_check = clock() + options.check_every
        sleep(max(0.0, tick + options.interval - clock()))


def _poll_ids(query: Query, source: TraceSource, now_ns: int) -> list[str]:
    since = query.since_ns(now_ns)
    if since is None:
        since = now_ns - LOOKBACK_SECONDS * 1_000_000_000
    return source.trace_ids(since_ns=since, id_prefix=query.target.trace_id or None, where=dict(query.where) or None)
