"""The collector process: OTLP/gRPC and OTLP/HTTP receivers feeding one thread that writes the SQLite store.

`planoai trace listen` runs it as `python -m planoai_cli.trace.collector --state-dir DIR --host H [--host H]
--port N --http-port N --max-spans N --max-age-seconds N` (or in its own process with --foreground). It writes
the state file once every address listens, which is the readiness signal the CLI polls for. On SIGTERM or SIGINT
it stops receiving, stores what is queued, closes the store, removes the state file and exits 0. An address it
cannot bind exits 7 (the CLI then names who holds it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from planoai_cli.errors import ExitCode, PlanoError
from planoai_cli.trace.daemon import LOG_FILE, STORE_FILE, CollectorState, remove_state, write_state
from planoai_cli.trace.otlp_http import http_servers
from planoai_cli.trace.process import process_start_ticks
from planoai_cli.trace.receiver import grpc_server
from planoai_cli.trace.rows import SpanBatch
from planoai_cli.trace.store import Store

Log = Callable[[str], None]
QUEUE_SPANS = 50_000  # spans waiting for the writer at most (about 40 MB); beyond it exports are refused as busy
TRANSACTION_SPANS = 20_000  # spans written per transaction at most: large ones amortize the commit
SUBMIT_WAIT = 2.0  # seconds an export may wait for room in a full queue before it is refused
IDLE_PRUNE = 60.0  # seconds between age prunes when no span arrives
REPORT_EVERY = 300.0  # seconds between the log's counters lines (only when something arrived)


@dataclass(frozen=True)
class Settings:
    """One collector: its state directory, addresses and limits. http_port 0: no OTLP/HTTP receiver."""

    state_dir: Path
    hosts: tuple[str, ...]
    port: int
    http_port: int
    max_spans: int
    max_age_seconds: int
    foreground: bool = False


class Ingest:
    """A bounded queue of span batches between the receivers (any thread) and the one thread writing the store."""

    def __init__(self, store: Store, log: Log, *, capacity: int = QUEUE_SPANS, wait: float = SUBMIT_WAIT) -> None:
        self._store = store
        self._log = log
        self._capacity = capacity
        self._wait = wait
        self._pending: deque[tuple[Sequence[SpanBatch], int]] = deque()
        self._queued = 0
        self._stopping = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self.received = self.stored = self.refused = self.failed = self.expired = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, batches: Sequence[SpanBatch], spans: int) -> bool:
        """Queue spans for the writer; False when the queue stayed full for `wait` seconds (or the collector stops)."""
        deadline = time.monotonic() + self._wait
        with self._changed:
            while self._queued and self._queued + spans > self._capacity and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.refused += spans
                    return False
                self._changed.wait(remaining)
            if self._stopping:
                self.refused += spans
                return False
            self._pending.append((batches, spans))
            self._queued += spans
            self.received += spans
            self._changed.notify_all()
        return True

    def stop(self) -> None:
        """Refuse new spans, write those queued, and end the writer thread."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join()

    def _take(self) -> tuple[list[SpanBatch], int] | None:
        with self._changed:
            if not self._pending and not self._stopping:
                self._changed.wait(IDLE_PRUNE)
            if not self._pending:
                return None
            taken: list[SpanBatch] = []
            spans = 0
            while self._pending and (not taken or spans + self._pending[0][1] <= TRANSACTION_SPANS):
                batches, count = self._pending.popleft()
                taken.extend(batches)
                spans += count
            self._queued -= spans
            self._changed.notify_all()
        return taken, spans

    def _run(self) -> None:
        reported, last = time.monotonic(), (0, 0)
        while True:
            taken = self._take()
            try:
                if taken is not None:
                    self.stored += self._store.add_batches(taken[0])
                elif self._stopping:
                    return
                else:
                    self._store.prune()
            except PlanoError as e:
                self.failed += taken[1] if taken is not None else 0
                self._log(f"error: {e.message}")
            except Exception:  # a bug: say so, but keep the writer alive (a dead writer would refuse every export)
                self.failed += taken[1] if taken is not None else 0
                self._log("unexpected error in the store writer:\n" + traceback.format_exc())
            if self._store.expired and not self.expired:  # at once the first time: spans that vanish confuse
                self._log(
                    f"{self._store.expired} spans started before the age limit "
                    f"({self._store.max_age_seconds} s ago) and were not stored: is the sender's clock right?"
                )
            self.expired = self._store.expired
            if time.monotonic() - reported >= REPORT_EVERY and (self.received, self.stored) != last:
                reported, last = time.monotonic(), (self.received, self.stored)
                self._log(self.counters())

    def counters(self) -> str:
        return (
            f"{self.received} spans received, {self.stored} new stored, {self.expired} older than the age "
            f"limit, {self.refused} refused while busy, {self.failed} lost to store errors"
        )


def serve(settings: Settings, log: Log) -> int:
    """Run a collector in this process until SIGTERM or SIGINT; returns the exit code (0, or 7: address in use)."""
    try:
        store = Store.open(
            settings.state_dir / STORE_FILE, max_spans=settings.max_spans, max_age_seconds=settings.max_age_seconds
        )
    except PlanoError as e:
        log(f"error: {e.message}")
        return ExitCode.FAILURE
    ingest = Ingest(store, log)
    ingest.start()
    try:
        receivers = _listen(settings, ingest)
    except OSError as e:
        log(f"error: {e}")
        ingest.stop()
        store.close()
        return ExitCode.PORT_BUSY
    state = _state(settings)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda _s, _f: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    write_state(settings.state_dir, state)
    log(
        f"listening: OTLP/gRPC on {', '.join(state.grpc_addresses())}"
        + (f"; OTLP/HTTP on {', '.join(state.http_urls())}" if state.http_port else "")
        + f"; store {store.path} (at most {settings.max_spans} spans, {settings.max_age_seconds} s)"
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log("stopping")
        _close(receivers)
        ingest.stop()
        store.close()
        remove_state(settings.state_dir, state.pid)
        for sig, handler in previous.items():
            signal.signal(sig, _handler(handler))
        log(f"stopped: {ingest.counters()}")
    return ExitCode.OK


def _listen(settings: Settings, ingest: Ingest) -> list[Any]:
    receivers: list[Any] = [grpc_server(ingest, settings.hosts, settings.port)]
    if settings.http_port:
        try:
            receivers += http_servers(ingest, settings.hosts, settings.http_port)
        except OSError:
            _close(receivers)
            raise
    return receivers


def _close(receivers: list[Any]) -> None:
    for receiver in receivers:
        if hasattr(receiver, "server_close"):  # an OTLP/HTTP server
            receiver.shutdown()
            receiver.server_close()
        else:  # the gRPC server: let exports in flight finish
            receiver.stop(grace=2.0).wait()


def _handler(previous: Any) -> Callable[[int, FrameType | None], Any] | int:
    return previous if previous is not None else signal.SIG_DFL


def _state(settings: Settings) -> CollectorState:
    pid = os.getpid()
    return CollectorState(
        pid=pid,
        hosts=settings.hosts,
        port=settings.port,
        http_port=settings.http_port,
        db_path=str(settings.state_dir / STORE_FILE),
        log_path=str(settings.state_dir / LOG_FILE),
        max_spans=settings.max_spans,
        max_age_seconds=settings.max_age_seconds,
        started_at=time.time(),
        foreground=settings.foreground,
        process_start=process_start_ticks(pid),
    )


def _log_line(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sys.stdout.write(f"{stamp} {message}\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__spec__.name if __spec__ else 'collector'}",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--host", action="append", dest="hosts", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--max-spans", type=int, required=True)
    parser.add_argument("--max-age-seconds", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return serve(
        Settings(args.state_dir, tuple(args.hosts), args.port, args.http_port, args.max_spans, args.max_age_seconds),
        _log_line,
    )


if __name__ == "__main__":
    raise SystemExit(main())
