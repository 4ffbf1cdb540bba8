"""The OTLP/HTTP receiver: POST /v1/traces with a protobuf or JSON ExportTraceServiceRequest (gzip or deflate
allowed), answered as the OTLP spec asks: 200 with an ExportTraceServiceResponse in the request's content type, else
4xx/5xx with a google.rpc.Status body (503 with Retry-After while the collector's queue is full)."""

from __future__ import annotations

import json
import socket
import threading
import zlib
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from planoai_cli.trace.receiver import MAX_MESSAGE_BYTES, Sink, convert, parse_json, response

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


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
            self._fail(
                HTTPStatus.SERVICE_UNAVAILABLE, "the collector is busy storing spans; retry", kind, retry_after=1
            )
            return
        answer = response(converted)
        payload = (
            json_format.MessageToJson(answer, indent=None).encode() if kind == JSON else answer.SerializeToString()
        )
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
            raise _Refused(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Encoding {encoding} is not supported (gzip, deflate or none)",
            )
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
_GRPC_CODES = {
    HTTPStatus.BAD_REQUEST: 3,
    HTTPStatus.NOT_FOUND: 5,
    HTTPStatus.METHOD_NOT_ALLOWED: 12,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: 3,
    HTTPStatus.LENGTH_REQUIRED: 3,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: 8,
    HTTPStatus.SERVICE_UNAVAILABLE: 14,
}


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

            proto = descriptor_pb2.FileDescriptorProto(
                name="planoai/google_rpc_status.proto", package="google.rpc", syntax="proto3"
            )
            status = proto.message_type.add(name="Status")
            status.field.add(
                name="code",
                number=1,
                type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
                label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            )
            status.field.add(
                name="message",
                number=2,
                type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            )
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
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"otlp-http-{host}", daemon=True
        ).start()
        servers.append(server)
    return servers
