"""Output of `planoai trace listen`, `status` and `down`: where the collector listens and what its store holds."""

from __future__ import annotations

from datetime import datetime

from planoai_cli.console import JSONValue, duration_text, info, out, out_json, success
from planoai_cli.trace.daemon import CollectorState, CollectorStatus


def show_started(state: CollectorState) -> None:
    """The new collector's pid, addresses, store and log, on stderr (progress, like `up`'s)."""
    success(f"✓ trace collector started (pid {state.pid})")
    for line in _where(state):
        info(line)
    first = state.grpc_addresses()[0]
    info(
        f"send OTLP to it (e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://{first}), then: planoai trace; "
        "planoai trace down stops it"
    )


def show_status(report: CollectorStatus, *, as_json: bool) -> None:
    """`trace status`: running or not, addresses, uptime, limits, what the store holds (stdout)."""
    if as_json:
        out_json(status_json(report))
        return
    state = report.state
    if state is None:
        lines = ["trace collector: not running (planoai trace listen starts it)"]
    else:
        mode = ", in the foreground" if state.foreground else ""
        lines = [f"trace collector: running (pid {state.pid}, up {duration_text(report.uptime_seconds() or 0)}{mode})"]
        lines += _where(state)
    lines.append(f"  stored     {_stored(report)}")
    out("\n".join(lines))


def _where(state: CollectorState) -> list[str]:
    lines = [f"  OTLP/gRPC  {', '.join(state.grpc_addresses())}"]
    if state.http_port:
        lines.append(f"  OTLP/HTTP  {', '.join(state.http_urls())}")
    lines += [
        f"  store      {state.db_path} (at most {state.max_spans} spans, {age_text(state.max_age_seconds)})",
        f"  log        {state.log_path}",
    ]
    return lines


def _stored(report: CollectorStatus) -> str:
    if report.spans is None:
        return f"nothing yet ({report.db_path} does not exist)"
    size = f"{(report.db_bytes or 0) / 1e6:.1f} MB"
    if not report.traces:
        return f"no traces ({report.db_path}, {size})"
    span_word = "span" if report.spans == 1 else "spans"
    trace_word = "trace" if report.traces == 1 else "traces"
    return (
        f"{report.traces} {trace_word}, {report.spans} {span_word}, from {_local(report.oldest_ns)} to "
        f"{_local(report.newest_ns)} ({report.db_path}, {size})"
    )


def status_json(report: CollectorStatus) -> dict[str, JSONValue]:
    """`trace status --json`: every field of the text form; null where there is nothing to say."""
    state = report.state
    return {
        "running": report.running,
        "pid": state.pid if state else None,
        "grpc": list(state.grpc_addresses()) if state else [],
        "http": list(state.http_urls()) if state else [],
        "hosts": list(state.hosts) if state else [],
        "port": state.port if state else None,
        "http_port": state.http_port if state else None,
        "foreground": state.foreground if state else None,
        "started_at": state.started_at if state else None,
        "uptime_seconds": report.uptime_seconds(),
        "max_spans": state.max_spans if state else None,
        "max_age_seconds": state.max_age_seconds if state else None,
        "log_path": state.log_path if state else None,
        "db_path": str(report.db_path),
        "db_bytes": report.db_bytes,
        "spans": report.spans,
        "traces": report.traces,
        "oldest_ns": report.oldest_ns,
        "newest_ns": report.newest_ns,
    }


def age_text(seconds: int) -> str:
    """7 days, 12 hours, 30 minutes, 45 seconds: the largest unit that divides it."""
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _local(ns: int | None) -> str:
    return "?" if ns is None else datetime.fromtimestamp(ns / 1e9).astimezone().strftime("%Y-%m-%d %H:%M:%S")
