"""OTLP receivers: gRPC TraceService/Export (grpcio) and OTLP/HTTP POST /v1/traces (protobuf or JSON, gzip).

Both turn an ExportTraceServiceRequest (opentelemetry-proto's generated types) into store batches in the
caller's thread and hand them to a `Sink` (the collector's ingest queue); neither ever waits on SQLite. A sink
that is full makes the export fail as retryable: gRPC UNAVAILABLE, HTTP 503 with Retry-After.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import zlib
from collections.abc import Iterable, Sequence
from concurrent import futures
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import grpc
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from planoai_cli.trace.model import AttributeValue, SpanRecord
from planoai_cli.trace.store import Row, SpanBatch, encode

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # the largest export accepted (decompressed), for gRPC and HTTP alike
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
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
    service from the resource's service.name ("unknown" when absent). Spans with invalid ids are counted, not kept."""
    out = Converted()
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        service = str(resource.get("service.name", "unknown"))
        rows: list[Row] = []
        keys: set[str] = set()
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                if len(span.trace_id) != 16 or len(span.span_id) != 8 or not any(span.trace_id) \
                        or not any(span.span_id):
                    out.rejected += 1
                    out.why = "a span's trace_id must be 16 bytes and its span_id 8 bytes, not all zero"
                    continue
                attrs = attributes(span.attributes)
                keys.update(attrs)
                parent = span.parent_span_id.hex() if len(span.parent_span_id) == 8 else None
                rows.append((span.trace_id.hex(), span.span_id.hex(), parent, span.name, service,
                             span.start_time_unix_nano, span.end_time_unix_nano, span.kind, span.status.code,
                             span.status.message, encode(attrs)))
        if rows:
            out.batches.append(SpanBatch(encode(resource), rows, frozenset(keys)))
            out.spans += len(rows)
    return out


def spans_from_request(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    """The request's valid spans as SpanRecord values (what the store returns for them)."""
    found = []
    for batch in convert(request).batches:
        resource = json.loads(batch.resource)
        for r in batch.rows:
            found.append(SpanRecord(trace_id=r[0], span_id=r[1], parent_span_id=r[2], name=r[3], service=r[4],
                                    start_ns=r[5], end_ns=r[6], kind=r[7], status_code=r[8], status_message=r[9],
                                    attributes=json.loads(r[10]), resource=resource))
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
        return _response(converted)


def grpc_server(sink: Sink, hosts: Sequence[str], port: int, *, workers: int = 4) -> Any:
    """A started gRPC server on every host at `port`. Raises OSError naming the address that cannot be bound."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otlp-grpc"),
                         options=[("grpc.so_reuseport", 0),  # a second collector on the port must fail, not share it
                                  ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)])
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


def _response(converted: Converted) -> ExportTraceServiceResponse:
    response = ExportTraceServiceResponse()
    if converted.rejected:
        response.partial_success.rejected_spans = converted.rejected
        response.partial_success.error_message = converted.why
    return response


# --- OTLP/HTTP ----------------------------------------------------------------------------------------------------

class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # like any server: ignore TIME_WAIT leftovers (a listener still fails the bind)
    sink: Sink


class _HttpServer6(_HttpServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the exporters reuse their connection
    server: _HttpServer

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != "/v1/traces":
            self._fail(HTTPStatus.NOT_FOUND, "only /v1/traces is served here (traces)", JSON)
            return
        kind = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if kind not in (PROTOBUF, JSON):
            self._fail(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Type must be {PROTOBUF} or {JSON}", JSON)
            return
        try:
            body = self._body()
        except _Refused as e:
            self._fail(e.status, e.message, kind)
            return
        self._export(body, kind)

    def do_GET(self) -> None:
        self._fail(HTTPStatus.METHOD_NOT_ALLOWED, "send traces with POST /v1/traces", JSON)

    def _export(self, body: bytes, kind: str) -> None:
        try:
            request = parse_json(body) if kind == JSON else ExportTraceServiceRequest.FromString(body)
        except (ValueError, DecodeError, json_format.ParseError) as e:
            self._fail(HTTPStatus.BAD_REQUEST, f"not an OTLP trace export ({kind}): {e}", kind)
            return
        converted = convert(request)
        if converted.batches and not self.server.sink.submit(converted.batches, converted.spans):
            self._fail(HTTPStatus.SERVICE_UNAVAILABLE, "the collector is busy storing spans; retry", kind,
                       retry_after=1)
            return
        response = _response(converted)
        payload = json_format.MessageToJson(response, indent=None).encode() if kind == JSON \
            else response.SerializeToString()
        self._send(HTTPStatus.OK, payload, kind)

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raw = self._chunked()
        else:
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                raise _Refused(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
            if int(length) > MAX_MESSAGE_BYTES:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body exceeds {MAX_MESSAGE_BYTES} bytes")
            raw = self.rfile.read(int(length))
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            return raw
        if encoding not in ("gzip", "deflate"):
            raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Encoding {encoding} is not supported "
                                                              "(gzip, deflate or none)")
        return _inflate(raw, gzip=encoding == "gzip")

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                length = int(line, 16)
            except ValueError:
                raise _Refused(HTTPStatus.BAD_REQUEST, "malformed chunked body") from None
            size += length
            if size > MAX_MESSAGE_BYTES:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body exceeds {MAX_MESSAGE_BYTES} bytes")
            if length == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(length))
            self.rfile.readline(8)

    def _fail(self, status: HTTPStatus, message: str, kind: str, *, retry_after: int | None = None) -> None:
        if kind == PROTOBUF:
            payload = _status_message(int(status), message)
        else:
            payload = json.dumps({"code": _GRPC_CODES.get(status, 2), "message": message}).encode()
            kind = JSON
        self._send(status, payload, kind, retry_after=retry_after)

    def _send(self, status: HTTPStatus, payload: bytes, kind: str, *, retry_after: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per export would flood the collector's log


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# The google.rpc.Status code an OTLP/HTTP error body carries, by HTTP status.
_GRPC_CODES = {HTTPStatus.BAD_REQUEST: 3, HTTPStatus.NOT_FOUND: 5, HTTPStatus.METHOD_NOT_ALLOWED: 12,
               HTTPStatus.UNSUPPORTED_MEDIA_TYPE: 3, HTTPStatus.LENGTH_REQUIRED: 3,
               HTTPStatus.REQUEST_ENTITY_TOO_LARGE: 8, HTTPStatus.SERVICE_UNAVAILABLE: 14}


def _inflate(raw: bytes, *, gzip: bool) -> bytes:
    decompressor = zlib.decompressobj(wbits=31 if gzip else 15)
    try:
        data = decompressor.decompress(raw, MAX_MESSAGE_BYTES + 1)
    except zlib.error as e:
        raise _Refused(HTTPStatus.BAD_REQUEST, f"the body is not valid {'gzip' if gzip else 'deflate'}: {e}") from e
    if len(data) > MAX_MESSAGE_BYTES:
        raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the decompressed body exceeds {MAX_MESSAGE_BYTES} bytes")
    return data


_status_type: list[Any] = []  # google.rpc.Status, declared once through protobuf's descriptor API
_status_lock = threading.Lock()


def _status_message(code: int, message: str) -> bytes:
    """A google.rpc.Status (code, message), the body OTLP/HTTP requires for errors (googleapis' package is not a
    dependency, so its two fields are declared here through protobuf's own descriptor API)."""
    with _status_lock:
        if not _status_type:
            from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

            proto = descriptor_pb2.FileDescriptorProto(name="planoai/google_rpc_status.proto", package="google.rpc",
                                                       syntax="proto3")
            status = proto.message_type.add(name="Status")
            status.field.add(name="code", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
                             label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
            status.field.add(name="message", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                             label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
            pool = descriptor_pool.DescriptorPool()
            pool.Add(proto)
            _status_type.append(message_factory.GetMessageClass(pool.FindMessageTypeByName("google.rpc.Status")))
    result: bytes = _status_type[0](code=code, message=message).SerializeToString()
    return result


def http_servers(sink: Sink, hosts: Sequence[str], port: int) -> list[ThreadingHTTPServer]:
    """OTLP/HTTP servers (one per host) at `port`, serving in daemon threads. Raises OSError naming the address."""
    servers: list[ThreadingHTTPServer] = []
    for host in hosts:
        kind = _HttpServer6 if ":" in host else _HttpServer
        try:
            server = kind((host, port), _Handler)
        except OSError as e:
            for started in servers:
                started.shutdown()
                started.server_close()
            raise OSError(f"cannot listen on {host}:{port} (OTLP/HTTP): {e.strerror or e}") from e
        server.sink = sink
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"otlp-http-{host}",
                         daemon=True).start()
        servers.append(server)
    return servers

