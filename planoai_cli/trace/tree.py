"""A trace as a tree (parent/child, offsets from the trace's start), why a span failed, and which of its
attributes to show in what order. Pure functions over TraceRecord values."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from planoai_cli.trace.model import STATUS_ERROR, AttributeValue, SpanRecord, TraceRecord


@dataclass(frozen=True)
class SpanNode:
    """A span placed in its trace: offset from the trace's start, depth, and its children by start time."""

    span: SpanRecord
    offset_ns: int
    depth: int
    children: tuple[SpanNode, ...]


def build_tree(trace: TraceRecord) -> tuple[SpanNode, ...]:
    """The trace's roots, each with its descendants. A span whose parent is not stored is a root too, and a
    span caught in a parent cycle is still shown once (as a root) rather than lost."""
    spans = sorted(trace.spans, key=lambda s: (s.start_ns, s.span_id))
    ids = {s.span_id for s in spans}
    children: dict[str, list[SpanRecord]] = {}
    for span in spans:
        if span.parent_span_id and span.parent_span_id in ids and span.parent_span_id != span.span_id:
            children.setdefault(span.parent_span_id, []).append(span)
    roots = [s for s in spans if not s.parent_span_id or s.parent_span_id not in ids or s.parent_span_id == s.span_id]
    seen: set[str] = set()
    nodes = [_node(root, trace.start_ns, 0, children, seen) for root in roots]
    nodes += [_node(s, trace.start_ns, 0, children, seen) for s in spans if s.span_id not in seen]
    return tuple(nodes)


def _node(
    span: SpanRecord, start_ns: int, depth: int, children: Mapping[str, list[SpanRecord]], seen: set[str]
) -> SpanNode:
    seen.add(span.span_id)
    kids = [c for c in children.get(span.span_id, ()) if c.span_id not in seen]
    seen.update(c.span_id for c in kids)
    return SpanNode(
        span, span.start_ns - start_ns, depth, tuple(_node(c, start_ns, depth + 1, children, seen) for c in kids)
    )


def walk(nodes: Iterable[SpanNode]) -> Iterable[SpanNode]:
    for node in nodes:
        yield node
        yield from walk(node.children)


def root_span(trace: TraceRecord) -> SpanRecord | None:
    roots = build_tree(trace)
    return roots[0].span if roots else None


# --- errors and attributes ------------------------------------------------------------------------------------------

ERROR_KEYS = ("error.message", "exception.message", "exception.type", "error.type", "error")
_PRIORITY = (
    "llm.model",
    "model.requested",
    "llm.provider",
    "llm.usage.*",
    "llm.time_to_first_token",
    "llm.duration_ms",
    "llm.*",
    "routing.*",
    "plano.*",
    "http.method",
    "http.target",
    "http.url",
    "http.status_code",
    "http.*",
    "url.*",
)
# Envoy's inbound/outbound spans carry dozens of proxy attributes; these few say what the hop did.
_HOP_KEYS = frozenset(
    {
        "http.method",
        "http.target",
        "http.url",
        "http.status_code",
        "url.scheme",
        "guid:x-request-id",
        "request_size",
        "response_size",
        "upstream_cluster",
    }
)
_ALWAYS_HIDDEN = frozenset({"service.name.override"})


def http_status(span: SpanRecord) -> int | None:
    for key in ("http.status_code", "http.response.status_code"):
        value = span.attributes.get(key)
        if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip().isdigit():
            return int(value)
    return None


def span_error(span: SpanRecord) -> str | None:
    """Why the span failed, or None: an HTTP status >= 400, an error/exception message, or OTLP status ERROR."""
    parts = []
    status = http_status(span)
    if status is not None and status >= 400:
        try:
            parts.append(f"HTTP {status} {HTTPStatus(status).phrase}")
        except ValueError:
            parts.append(f"HTTP {status}")
    message = next(
        (
            str(span.attributes[k])
            for k in ("error.message", "exception.message")
            if str(span.attributes.get(k, "")).strip()
        ),
        "",
    )
    if message:
        parts.append(message)
    if not parts and span.status_code == STATUS_ERROR:
        parts.append(span.status_message or "span status ERROR")
    return ": ".join(parts) or None


def span_status(span: SpanRecord) -> str:
    """`ok`, `ok 200`, `error 502` or `error`: the status column of a tree line."""
    status = http_status(span)
    word = "error" if span_error(span) else "ok"
    return f"{word} {status}" if status is not None else word


def is_hop(span: SpanRecord) -> bool:
    """Envoy's inbound/outbound spans, whose attributes are mostly proxy noise."""
    service = span.service.lower()
    return "inbound" in service or "outbound" in service


def key_rank(key: str) -> tuple[int, str]:
    """Sort key for attributes: errors first, then the priority list, then alphabetical."""
    if key in ERROR_KEYS:
        return 0, key
    for index, pattern in enumerate(_PRIORITY, start=1):
        if fnmatch.fnmatchcase(key, pattern):
            return index, key
    return len(_PRIORITY) + 1, key


def key_matches(key: str, patterns: Sequence[str]) -> bool:
    """A --filter glob matches a key; a pattern without wildcards also matches its dotted children (`llm`)."""
    return any(
        fnmatch.fnmatchcase(key, p) or (not any(c in p for c in "*?[") and key.startswith(p + ".")) for p in patterns
    )


def shown_attributes(
    span: SpanRecord, *, patterns: Sequence[str] = (), verbose: bool = False
) -> tuple[list[tuple[str, AttributeValue]], int]:
    """The attributes a tree shows under a span, sorted, and how many were hidden. --filter patterns choose
    keys among all of them; otherwise hop spans show only a few keys unless verbose."""
    keys = sorted(span.attributes, key=key_rank)
    if patterns:
        chosen = [k for k in keys if key_matches(k, patterns)]
    elif verbose:
        chosen = keys
    else:
        chosen = [
            k for k in keys if k not in _ALWAYS_HIDDEN and (not is_hop(span) or k in _HOP_KEYS or k in ERROR_KEYS)
        ]
    return [(k, span.attributes[k]) for k in chosen], len(keys) - len(chosen)


def unmatched_filter(traces: Iterable[TraceRecord], patterns: Sequence[str]) -> list[str]:
    """The --filter patterns that match no attribute key of these traces."""
    keys = {k for t in traces for s in t.spans for k in s.attributes}
    return [p for p in patterns if not any(key_matches(k, [p]) for k in keys)]
