"""Spans and traces for the trace tests: real SpanRecord values at fixed times, and a list-backed store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planoai_cli.trace.model import AttributeValue, SpanRecord, TraceRecord
from planoai_cli.trace.query import matches, newest_first

T0 = 1_735_787_045_678_000_000  # 2025-01-02 03:04:05.678 UTC
MS = 1_000_000


def span(
    trace_id: str,
    span_id: str,
    parent: str | None,
    name: str,
    service: str,
    *,
    at: float,
    took: float,
    attrs: Mapping[str, AttributeValue] | None = None,
    status_code: int = 0,
    status_message: str = "",
) -> SpanRecord:
    """A span starting `at` ms after T0 and lasting `took` ms."""
    start = T0 + int(at * MS)
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        service=service,
        start_ns=start,
        end_ns=start + int(took * MS),
        status_code=status_code,
        status_message=status_message,
        attributes=dict(attrs or {}),
    )


def trace(*spans: SpanRecord) -> TraceRecord:
    return TraceRecord(spans[0].trace_id, tuple(sorted(spans, key=lambda s: s.start_ns)))


def trace_id(n: int) -> str:
    return f"{n:08x}" + "ab" * 12


def chat_trace(
    n: int, start_ms: float, *, model: str = "gpt-4o-mini", status: int = 200, user: str = "usr_1"
) -> TraceRecord:
    """What the gateway records for one chat completion: Envoy's inbound hop, Brightstaff's LLM span and the
    outbound hop to the provider."""
    tid = trace_id(n)
    return trace(
        span(
            tid,
            f"{n:04x}000000000001",
            None,
            "ingress",
            "plano(inbound)",
            at=start_ms,
            took=120.0,
            attrs={
                "http.method": "POST",
                "http.target": "/v1/chat/completions",
                "http.status_code": status,
                "component": "proxy",
                "upstream_cluster": "bright_staff",
                "user.id": user,
            },
        ),
        span(
            tid,
            f"{n:04x}000000000002",
            f"{n:04x}000000000001",
            "POST /v1/chat/completions",
            "brightstaff",
            at=start_ms + 1.5,
            took=115.25,
            attrs={
                "llm.model": model,
                "model.requested": model,
                "llm.provider": "openai",
                "llm.usage.prompt_tokens": 12,
                "llm.usage.completion_tokens": 30,
                "llm.is_streaming": False,
                "http.status_code": status,
            },
        ),
        span(
            tid,
            f"{n:04x}000000000003",
            f"{n:04x}000000000002",
            "egress",
            "plano(outbound)",
            at=start_ms + 3.0,
            took=110.0,
            attrs={
                "http.method": "POST",
                "http.status_code": status,
                "upstream_cluster": "openai",
                "peer.address": "10.0.0.1",
            },
        ),
    )


@dataclass
class ListSource:
    """The store's read API over a list of traces, with the reference filters of trace/query.py."""

    items: Sequence[TraceRecord]

    def traces(
        self,
        *,
        since_ns: int | None = None,
        limit: int | None = None,
        trace_ids: Sequence[str] | None = None,
        id_prefix: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[TraceRecord]:
        found = [
            t
            for t in newest_first(self.items)
            if matches(t, since_ns=since_ns, id_prefix=id_prefix, where=where)
            and (trace_ids is None or t.trace_id in trace_ids)
        ]
        return found[:limit] if limit is not None else found

    def trace_ids(self, **filters: Any) -> list[str]:
        return [t.trace_id for t in self.traces(**filters)]

    def attribute_keys(self) -> set[str]:
        return {k for t in self.items for s in t.spans for k in s.attributes}

    def stats(self) -> Any:
        return _Stats(len(self.items))

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class _Stats:
    traces: int
