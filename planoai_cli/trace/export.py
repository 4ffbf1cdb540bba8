"""The JSON forms of `planoai trace` (documented in the README) and the times shown with traces."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from planoai_cli.trace.model import TraceRecord
from planoai_cli.trace.tree import (
    SpanNode,
    build_tree,
    http_status,
    key_matches,
    key_rank,
    root_span,
    span_error,
    span_status,
    walk,
)

NS_PER_MS = 1_000_000


def iso_time(ns: int) -> str:
    """UTC ISO 8601 with milliseconds and a Z."""
    return _moment(ns, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def local_time(ns: int, tz: tzinfo | None = None) -> str:
    """Wall-clock time in tz (default: the local zone) with milliseconds and the zone's name, for text output."""
    moment = _moment(ns, tz) if tz else _moment(ns, UTC).astimezone()
    return (moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " " + moment.strftime("%Z")).rstrip()


def _moment(ns: int, tz: tzinfo) -> datetime:
    seconds, rest = divmod(ns, 1_000_000_000)  # integers: a float of Unix nanoseconds loses the milliseconds
    return datetime.fromtimestamp(seconds, tz).replace(microsecond=rest // 1000)


def milliseconds(ns: int) -> float:
    return round(ns / NS_PER_MS, 3)


def trace_json(trace: TraceRecord, patterns: Sequence[str] = ()) -> dict[str, Any]:
    """One trace in `trace --json` (documented in the README): full ids, spans by start time with offsets,
    status and every attribute (or only those --filter chose)."""
    root = root_span(trace)
    return {
        "trace_id": trace.trace_id,
        "short_id": trace.short_id,
        "start_time": iso_time(trace.start_ns),
        "start_ns": trace.start_ns,
        "duration_ms": milliseconds(trace.end_ns - trace.start_ns),
        "span_count": len(trace.spans),
        "root_service": root.service if root else None,
        "root_name": root.name if root else None,
        "error": any(span_error(s) for s in trace.spans),
        "spans": [_span_json(n, patterns) for n in walk(build_tree(trace))],
    }


def _span_json(node: SpanNode, patterns: Sequence[str]) -> dict[str, Any]:
    span = node.span
    keys = sorted(span.attributes, key=key_rank)
    if patterns:
        keys = [k for k in keys if key_matches(k, patterns)]
    return {
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id,
        "name": span.name,
        "service": span.service,
        "kind": span.kind,
        "start_time": iso_time(span.start_ns),
        "start_ns": span.start_ns,
        "end_ns": span.end_ns,
        "offset_ms": milliseconds(node.offset_ns),
        "duration_ms": milliseconds(span.duration_ns),
        "depth": node.depth,
        "status": span_status(span).split()[0],
        "status_code": span.status_code,
        "status_message": span.status_message,
        "http_status": http_status(span),
        "error": span_error(span),
        "attributes": {k: span.attributes[k] for k in keys},
        "resource": dict(span.resource),
    }


def summary_json(trace: TraceRecord) -> dict[str, Any]:
    """One line of `trace --list --json`: the trace without its spans."""
    full = trace_json(trace)
    del full["spans"]
    return full


def list_json(traces: Sequence[TraceRecord]) -> dict[str, Any]:
    return {"trace_ids": [t.trace_id for t in traces], "summaries": [summary_json(t) for t in traces]}


def dumps_line(value: Any) -> str:
    """One JSON document on one line (--follow --json prints one per trace)."""
    return json.dumps(value, separators=(",", ":"))
