"""OTLP receivers: gRPC TraceService/Export (grpcio) here, OTLP/HTTP POST /v1/traces in otlp_http.py.

Both turn an ExportTraceServiceRequest (opentelemetry-proto's generated types) into store batches in the
caller's thread and hand them to a `Sink` (the collector's ingest queue); neither ever waits on SQLite. A sink
that is full makes the export fail as retryable: gRPC UNAVAILABLE, HTTP 503 with Retry-After.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from concurrent import futures
from typing import Any, Protocol

import grpc
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from planoai_cli.trace.model import AttributeValue, SpanRecord
from planoai_cli.trace.rows import Row, SpanBatch, encode

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # the largest export accepted (decompressed), for gRPC and HTTP alike
_HEX_ID = re.compile(r"[0-9a-fA-F]{16}|[0-9a-fA-F]{32}")
_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


class Sink(Protocol):
    """Where converted spans go: True when accepted, False when the queue is full (the client should retry)."""

    def submit(self, batches: Sequence[SpanBatch], spans: int) -> bool: ...


class Converted:
    """An export request as store batches, and the spans refused (invalid ids) with the reason."""

    __slots__ = ("batches", "rejected", "spans", "why")

    def __init__(self) -> None:
        self.batches: list[SpanBatch] = []
        self.spans = 0
        self.rejected = 0
        self.why = ""


def convert(request: ExportTraceServiceRequest) -> Converted:
    """Store batches for a request: ids as lowercase hex, attributes flattened (arrays, maps, bytes as JSON text),
    service from the span's service.name.override when set (Plano's Brightstaff names its hops that way, e.g.
    `plano(llm)`), else the resource's service.name ("unknown" when absent). Spans with invalid ids are counted,
    not kept."""
    out = Converted()
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        service = str(resource.get("service.name", "unknown"))
        rows: list[Row] = []
        keys: set[str] = set()
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                if (
                    len(span.trace_id) != 16
                    or len(span.span_id) != 8
                    or not any(span.trace_id)
                    or not any(span.span_id)
                ):
                    out.rejected += 1
                    out.why = "a span's trace_id must be 16 bytes and its span_id 8 bytes, not all zero"
                    continue
                attrs = attributes(span.attributes)
                keys.update(attrs)
                parent = span.parent_span_id.hex() if len(span.parent_span_id) == 8 else None
                named = attrs.get("service.name.override")
                rows.append(
                    (
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        parent,
                        span.name,
                        named if isinstance(named, str) and named else service,
                        span.start_time_unix_nano,
                        span.end_time_unix_nano,
                        span.kind,
                        span.status.code,
                        span.status.message,
                        encode(attrs),
                    )
                )
        if rows:
            out.batches.append(SpanBatch(encode(resource), rows, frozenset(keys)))
            out.spans += len(rows)
    return out


def spans_from_request(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    """The request's valid spans as SpanRecord values (what the store returns for them)."""
    found = []
    for batch in convert(request).batches:
        resource = json.loads(batch.resource)
        found += [SpanRecord.from_row(r, resource) for r in batch.rows]
    return found


def attributes(pairs: Iterable[KeyValue]) -> dict[str, AttributeValue]:
    """OTLP key/values as a flat dict; a pair without a value is left out."""
    found: dict[str, AttributeValue] = {}
    for pair in pairs:
        value = pair.value
        which = value.WhichOneof("value")
        if which == "string_value":  # by far the most common: checked first
            found[pair.key] = value.string_value
        elif which is not None:
            found[pair.key] = _scalar(value, which)
    return found


def _scalar(value: AnyValue, which: str) -> AttributeValue:
    if which == "int_value":
        return value.int_value
    if which == "bool_value":
        return value.bool_value
    if which == "double_value":
        return value.double_value
    return encode(_plain(value))


def _plain(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_plain(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _plain(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None if which is None else getattr(value, which)


def parse_json(body: bytes) -> ExportTraceServiceRequest:
    """An OTLP/JSON request: protobuf's JSON mapping, except that trace and span ids are hex (the OTLP spec).
    Raises ValueError when it is not one."""
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError("the body is not a JSON object")
    for resource_spans in _items(document, "resourceSpans", "resource_spans"):
        for scope_spans in _items(resource_spans, "scopeSpans", "scope_spans"):
            for span in _items(scope_spans, "spans"):
                _hex_ids_to_base64(span)
                for link in _items(span, "links"):
                    _hex_ids_to_base64(link)
    request = ExportTraceServiceRequest()
    json_format.ParseDict(document, request, ignore_unknown_fields=True)
    return request


def _items(parent: Any, *names: str) -> list[Any]:
    for name in names:
        value = parent.get(name) if isinstance(parent, dict) else None
        if isinstance(value, list):
            return value
    return []


def _hex_ids_to_base64(item: Any) -> None:
    if not isinstance(item, dict):
        return
    for name in _ID_FIELDS:
        value = item.get(name)
        if isinstance(value, str) and _HEX_ID.fullmatch(value):
            item[name] = base64.b64encode(bytes.fromhex(value)).decode()


# --- gRPC ---------------------------------------------------------------------------------------------------------


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def Export(self, request: ExportTraceServiceRequest, context: Any) -> ExportTraceServiceResponse:
        converted = convert(request)
        if converted.batches and not self._sink.submit(converted.batches, converted.spans):
            context.abort(grpc.StatusCode.UNAVAILABLE, "the collector is busy storing spans; retry")
        return response(converted)


def grpc_server(sink: Sink, hosts: Sequence[str], port: int, *, workers: int = 4) -> Any:
    """A started gRPC server on every host at `port`. Raises OSError naming the address that cannot be bound."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otlp-grpc"),
        options=[
            ("grpc.so_reuseport", 0),  # a second collector on the port must fail, not share it
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(sink), server)  # type: ignore[no-untyped-call]
    for host in hosts:
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            server.add_insecure_port(address)
        except RuntimeError as e:
            server.stop(None)
            raise OSError(f"cannot listen on {address} (gRPC): the address is in use or not on this machine") from e
    server.start()
    return server


def response(converted: Converted) -> ExportTraceServiceResponse:
    response = ExportTraceServiceResponse()
    if converted.rejected:
        response.partial_success.rejected_spans = converted.rejected
        response.partial_success.error_message = converted.why
    return response
