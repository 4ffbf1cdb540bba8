"""OTLP requests to stored spans: which service a span is shown under."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from planoai_cli.trace.receiver import spans_from_request


def _text(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def test_the_span_override_names_the_service_else_the_resource() -> None:
    spans = [
        Span(
            trace_id=bytes(range(1, 17)),
            span_id=bytes([i] * 8),
            name=f"s{i}",
            start_time_unix_nano=10**18,
            end_time_unix_nano=10**18 + 5,
            attributes=attrs,
        )
        for i, attrs in (
            (1, [_text("service.name.override", "plano(llm)")]),
            (2, []),
            (3, [_text("service.name.override", "")]),
        )
    ]
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=[_text("service.name", "plano")]), scope_spans=[ScopeSpans(spans=spans)]
            )
        ]
    )
    found = {s.name: s.service for s in spans_from_request(request)}
    assert found == {"s1": "plano(llm)", "s2": "plano", "s3": "plano"}
    bare = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans[1:2])])])
    assert [s.service for s in spans_from_request(bare)] == ["unknown"]
