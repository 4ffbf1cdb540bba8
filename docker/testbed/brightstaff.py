#!/usr/bin/env python3
"""Testbed stand-in for Plano's Brightstaff: lists the configured models and forwards chat completions to Envoy.

It is NOT the real Brightstaff (a Rust service): no routing models, agents, state or metrics. It keeps only the
model-traffic contract so the testbed image exercises real Envoy routes and clusters:

    client -> :12000 (Envoy) -> this process (:9091) -> LLM_PROVIDER_ENDPOINT (Envoy :12001)
           -> provider cluster chosen by the `x-arch-llm-provider` header.

When the rendered config turns tracing on (`tracing.random_sampling` > 0 and an OTLP endpoint), it also emits
one LLM span per chat completion through the OpenTelemetry SDK (brightstaff_tracing.py beside this file, which
imports the SDK from /opt/otel); without tracing the SDK is never imported.

Python 3 standard library plus PyYAML (Debian's python3-yaml in the image); the SDK only for tracing.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import sys
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import yaml

DEFAULT_CONFIG = "./plano_config_rendered.yaml"
DEFAULT_BIND = "0.0.0.0:9091"
DEFAULT_UPSTREAM = "http://localhost:12001"
CHAT_PATH = "/v1/chat/completions"
UPSTREAM_TIMEOUT = 300.0  # the model listener's default route timeout
CHUNK = 64 * 1024
SSE_LINE_LIMIT = 1024 * 1024  # a longer unfinished server-sent-events line is not scanned for usage
# Hop-by-hop headers describe one connection only; length and host are recomputed for the next hop.
NOT_RELAYED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)
# Headers this process writes itself on the response (send_response adds Server and Date).
OWN_RESPONSE_HEADERS = NOT_RELAYED | {"server", "date"}


class ConfigError(Exception):
    """The rendered config cannot be read or lacks what this stand-in needs."""


@dataclass(frozen=True)
class Provider:
    """One `model_providers` entry of the rendered config, reduced to what forwarding needs."""

    name: str
    model: str
    interface: str
    cluster: str
    access_key: str | None
    default: bool
    internal: bool

    def bare_model(self, requested: str) -> str | None:
        """The upstream model id for `requested` if this provider serves it, else None."""
        if self.model == "*":
            # Wildcard `openai/*`: any `openai/<id>` is served, and `<id>` goes upstream.
            prefix = self.name[:-1] if self.name.endswith("/*") else f"{self.interface}/"
            return requested[len(prefix) :] if requested.startswith(prefix) else None
        if requested in (self.name, self.model, f"{self.interface}/{self.model}"):
            return self.model
        return None


@dataclass(frozen=True)
class Preference:
    """One top-level `routing_preferences` entry: a route name and the models serving it, best first."""

    name: str
    models: tuple[str, ...]

    def matches(self, text: str) -> bool:
        return re.search(rf"(?<!\w){re.escape(self.name)}(?!\w)", text, re.IGNORECASE) is not None


@dataclass(frozen=True)
class Choice:
    """The provider picked for a request and how (the span's `routing.*` and `plano.route.name`)."""

    provider: Provider
    model: str  # the bare model id sent upstream
    strategy: str  # "preference", "model", "alias" or "default"
    reason: str
    route: str | None = None


@dataclass(frozen=True)
class Table:
    """Everything the handler needs: providers in config order, alias -> target names, routing preferences."""

    providers: tuple[Provider, ...]
    aliases: dict[str, str]
    preferences: tuple[Preference, ...] = ()

    def select(self, requested: object) -> tuple[Provider, str] | None:
        """Pick the provider for a request's `model`: by name, then full model or alias, else the default."""
        choice = self.choose(requested)
        return (choice.provider, choice.model) if choice else None

    def choose(self, requested: object, messages: object = None) -> Choice | None:
        """A routing preference named in the last user message, else the request's model (name, model id or
        alias), else the default provider."""
        public = [p for p in self.providers if not p.internal]
        routed = self._route(public, last_user_text(messages))
        if routed:
            return routed
        if isinstance(requested, str) and requested:
            found = _lookup(public, requested)
            if found:
                return Choice(*found, "model", f"model {requested!r} is served by provider {found[0].name!r}")
            target = self.aliases.get(requested)
            found = _lookup(public, target) if target else None
            if found:
                return Choice(*found, "alias", f"alias {requested!r} targets {target!r}")
        default = next((p for p in public if p.default), None)
        if default is None:
            return None
        asked = f"no provider serves model {requested!r}" if requested else "the request names no model"
        return Choice(default, default.model, "default", f"{asked}; the default provider")

    def _route(self, public: list[Provider], text: str) -> Choice | None:
        # The real Brightstaff asks its router model which route fits the conversation. The stand-in's router is
        # a deterministic keyword match: the first preference whose name appears, as whole words and in any
        # case, in the last user message; its first model that a provider serves gets the request.
        for preference in self.preferences if text else ():
            if preference.matches(text):
                for model in preference.models:
                    found = _lookup(public, model)
                    if found:
                        reason = f"route {preference.name!r} named in the last user message"
                        return Choice(*found, "preference", reason, preference.name)
        return None


def last_user_text(messages: object) -> str:
    """The text of the last `user` message (string content, or the text parts of a content list)."""
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
            return content if isinstance(content, str) else ""
    return ""


@dataclass(frozen=True)
class TracingConfig:
    """The rendered config's `tracing` section, as far as the stand-in's spans need it."""

    sampling: float  # percent of new traces sampled; 0 turns tracing off
    endpoint: str | None  # OTLP/gRPC collector, http://host:port
    header_prefixes: tuple[str, ...] = ()
    static: tuple[tuple[str, str], ...] = ()

    @property
    def enabled(self) -> bool:
        return self.sampling > 0 and bool(self.endpoint)


def _lookup(providers: list[Provider], wanted: str) -> tuple[Provider, str] | None:
    # A provider *named* `wanted` wins over one whose model id happens to be spelled the same.
    named = next((p for p in providers if p.name == wanted and p.model != "*"), None)
    if named:
        return named, named.model
    for provider in providers:
        bare = provider.bare_model(wanted)
        if bare is not None:
            return provider, bare
    return None


def load_table(path: str) -> Table:
    """Read the rendered (env-substituted) config; ConfigError says why it is unusable."""
    return table_from(read_config(path))


def read_config(path: str) -> dict[str, Any]:
    """The rendered (env-substituted) config as a mapping; ConfigError says why it is unusable."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        raise ConfigError(exc.strerror or str(exc)) from exc
    except yaml.MarkedYAMLError as exc:
        # Only the problem and its position: the offending line may hold a secret.
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"invalid YAML{where}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError("invalid YAML") from exc
    if not isinstance(document, dict):
        raise ConfigError("the document is not a mapping")
    return document


def table_from(document: dict[str, Any]) -> Table:
    return Table(
        _providers(document.get("model_providers")),
        _aliases(document.get("model_aliases")),
        _preferences(document.get("routing_preferences")),
    )


def tracing_from(document: dict[str, Any], environ: dict[str, str] | os._Environ[str]) -> TracingConfig | None:
    """The `tracing` section (None without one); the endpoint falls back to OTEL_TRACING_GRPC_ENDPOINT."""
    raw = document.get("tracing")
    if not isinstance(raw, dict):
        return None
    sampling = raw.get("random_sampling")
    endpoint = raw.get("opentracing_grpc_endpoint") or environ.get("OTEL_TRACING_GRPC_ENDPOINT")
    spans = raw.get("span_attributes") if isinstance(raw.get("span_attributes"), dict) else {}
    prefixes = spans.get("header_prefixes") if isinstance(spans.get("header_prefixes"), list) else []
    static = spans.get("static") if isinstance(spans.get("static"), dict) else {}
    return TracingConfig(
        sampling=float(sampling) if isinstance(sampling, int | float) and not isinstance(sampling, bool) else 0.0,
        endpoint=endpoint if isinstance(endpoint, str) and endpoint else None,
        header_prefixes=tuple(p.lower() for p in prefixes if isinstance(p, str) and p),
        static=tuple((str(k), str(v)) for k, v in static.items()),
    )


def _providers(raw: object) -> tuple[Provider, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("`model_providers` must be a non-empty list")
    return tuple(_provider(index, entry) for index, entry in enumerate(raw))


def _provider(index: int, entry: object) -> Provider:
    if not isinstance(entry, dict):
        raise ConfigError(f"model_providers[{index}] is not a mapping")
    name, interface = entry.get("name"), entry.get("provider_interface")
    if not isinstance(name, str) or not isinstance(interface, str):
        raise ConfigError(f"model_providers[{index}] needs string `name` and `provider_interface`")
    key = entry.get("access_key")
    return Provider(
        name=name,
        model=str(entry.get("model") or ""),
        interface=interface,
        cluster=str(entry.get("cluster_name") or interface),
        access_key=key if isinstance(key, str) and key else None,
        default=entry.get("default") is True,
        internal=entry.get("internal") is True,
    )


def _preferences(raw: object) -> tuple[Preference, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Preference(entry["name"], tuple(str(m) for m in entry.get("models") or ()))
        for entry in raw
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    )


def _aliases(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(alias): str(spec["target"])
        for alias, spec in raw.items()
        if isinstance(spec, dict) and isinstance(spec.get("target"), str)
    }


def models_listing(table: Table) -> dict[str, Any]:
    """OpenAI-style `/v1/models` body: one entry per non-internal provider, in config order."""
    data = [
        {"id": p.name, "object": "model", "created": 0, "owned_by": p.interface}
        for p in table.providers
        if not p.internal
    ]
    return {"object": "list", "data": data}


def log(line: str) -> None:
    # No component prefix here: supervisord's component.sh adds "[brightstaff] " to every line.
    sys.stdout.write(f"stand-in: {line}\n")
    sys.stdout.flush()


@dataclass
class Call:
    """One chat completion as its span reports it, filled in while the exchange runs.

    `watch` is on only when spans are recorded: then the relayed body is also read for the provider's `usage`
    (the JSON body, or the last server-sent event that carries one) and an error response for its message.
    """

    started: float  # time.monotonic() when the request arrived
    started_ns: int  # the same moment in Unix nanoseconds (the span's start)
    watch: bool = False
    requested: object = None
    streaming: bool = False
    choice: Choice | None = None
    status: int | None = None
    first_chunk: float | None = None  # time.monotonic() of the first streamed piece
    ended: float | None = None
    usage: dict[str, Any] | None = None
    error: str | None = None
    _partial: bytes = field(default=b"", repr=False)  # an unfinished server-sent-events line

    def fail(self, status: int, message: str) -> None:
        self.status, self.error = status, message

    def body(self, data: bytes, encoding: str | None) -> None:
        if not self.watch:
            return
        document = _json_body(data, encoding)
        if isinstance(document, dict):
            usage, error = document.get("usage"), document.get("error")
            if isinstance(usage, dict):
                self.usage = usage
            if self.status is not None and self.status >= 400 and isinstance(error, dict):
                message = error.get("message")
                self.error = message if isinstance(message, str) and message else None

    def chunk(self, piece: bytes) -> None:
        if self.first_chunk is None:
            self.first_chunk = time.monotonic()
        if not self.watch:
            return
        lines = (self._partial + piece).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > SSE_LINE_LIMIT:
            self._partial = b""
        for line in lines:
            self._event(line.strip())

    def _event(self, line: bytes) -> None:
        # OpenAI streams report usage in a last chunk (with stream_options.include_usage); keep the last one seen.
        if not line.startswith(b"data:") or b'"usage"' not in line:
            return
        try:
            event = json.loads(line[5:])
        except ValueError:
            return
        if isinstance(event, dict) and isinstance(event.get("usage"), dict):
            self.usage = event["usage"]


def _json_body(data: bytes, encoding: str | None) -> object:
    try:
        if encoding and encoding.lower() in ("gzip", "deflate"):
            data = zlib.decompress(data, 47)  # 47: a gzip or zlib header, detected
        return json.loads(data)
    except (ValueError, zlib.error):
        return None


class NoSpan:
    """The span of a request when tracing is off: it does nothing."""

    def inject(self, headers: dict[str, str]) -> None:
        pass

    def end(self, call: Call, headers: Any) -> None:
        pass


class NoSpans:
    """Tracing off: no SDK imported, nothing recorded (brightstaff_tracing.Spans is the other implementation)."""

    enabled = False

    def begin(self, headers: Any, start_ns: int) -> NoSpan:
        return NO_SPAN

    def shutdown(self) -> None:
        pass


NO_SPAN = NoSpan()


class Server(ThreadingHTTPServer):
    """HTTP server carrying the provider table, the upstream (Envoy egress) address and the span recorder."""

    daemon_threads = True

    def __init__(self, bind: tuple[str, int], table: Table, upstream: str, spans: Any = None) -> None:
        super().__init__(bind, Handler)
        self.table = table
        self.upstream = urllib.parse.urlsplit(upstream)
        self.spans = spans or NoSpans()


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: Envoy's `bright_staff` cluster pools connections to this server."""

    protocol_version = "HTTP/1.1"
    note = ""

    @property
    def app(self) -> Server:
        return cast(Server, self.server)

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/healthz":
            self.reply(200, {"status": "ok"})
        elif path == "/v1/models":
            self.reply(200, models_listing(self.app.table))
        else:
            self.reply(404, error_body(f"no route for GET {path} in the testbed stand-in"))

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        call = Call(time.monotonic(), time.time_ns(), watch=self.app.spans.enabled)
        body = self.read_body()
        if path != CHAT_PATH:
            self.reply(404, error_body(f"no route for POST {path} in the testbed stand-in"))
            return
        span = self.app.spans.begin(self.headers, call.started_ns)
        try:
            self.chat(body, call, span)
        finally:
            call.ended = time.monotonic()
            span.end(call, self.headers)

    def chat(self, body: bytes, call: Call, span: Any) -> None:
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if isinstance(request, dict):
            self.forward(request, call, span)
        else:
            call.fail(400, "the request body is not a JSON object")
            self.reply(400, error_body(call.error or ""))

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self.read_chunked()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def read_chunked(self) -> bytes:
        parts = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk
        while self.rfile.readline().strip():  # optional trailers up to the blank line
            pass
        return b"".join(parts)

    def forward(self, request: dict[str, Any], call: Call, span: Any) -> None:
        call.requested, call.streaming = request.get("model"), request.get("stream") is True
        choice = self.app.table.choose(call.requested, request.get("messages"))
        if choice is None:
            call.fail(400, f"no provider serves model {call.requested!r} and none is default")
            self.reply(400, error_body(call.error or ""))
            return
        provider, call.choice = choice.provider, choice
        self.note = f"provider={provider.name} cluster={provider.cluster} model={choice.model}"
        request["model"] = choice.model
        try:
            self.relay(provider, json.dumps(request).encode(), call, span)
        except (OSError, http.client.HTTPException) as exc:
            if self.code == "-":
                call.fail(502, f"upstream {self.app.upstream.netloc} failed: {exc}")
                self.reply(502, error_body(call.error or ""))
            else:  # the status line is already out: all that is left is to cut the connection
                self.close_connection = True
                self.note += f" upstream failed mid-response: {exc}"
                call.error = f"upstream failed mid-response: {exc}"

    def relay(self, provider: Provider, payload: bytes, call: Call, span: Any) -> None:
        upstream = self.app.upstream
        headers = self.upstream_headers(provider)
        span.inject(headers)  # W3C traceparent: Envoy's span for the provider call joins this trace
        conn = http.client.HTTPConnection(
            upstream.hostname or "localhost", upstream.port or 80, timeout=UPSTREAM_TIMEOUT
        )
        try:
            conn.request("POST", upstream.path.rstrip("/") + CHAT_PATH, payload, headers)
            response = conn.getresponse()
            call.status = response.status
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in OWN_RESPONSE_HEADERS:
                    self.send_header(name, value)
            self.copy_body(response, call)
        finally:
            conn.close()

    def upstream_headers(self, provider: Provider) -> dict[str, str]:
        # Envoy's own x-envoy-* headers from the first hop would steer the second one (timeouts, retries).
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in NOT_RELAYED and not k.lower().startswith("x-envoy-")
        }
        headers["Content-Type"] = "application/json"
        # What llm_gateway would set after reading the hint; the pass-through wasm leaves it to us.
        headers["x-arch-llm-provider"] = provider.cluster
        headers["x-arch-llm-provider-hint"] = provider.name
        if provider.access_key:
            headers["Authorization"] = f"Bearer {provider.access_key}"
        return headers

    def copy_body(self, response: http.client.HTTPResponse, call: Call) -> None:
        if response.length is not None:
            data = response.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            call.body(data, response.getheader("content-encoding"))
            return
        # No length (chunked or close-delimited, e.g. server-sent events): relay each piece as it arrives.
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while piece := response.read1(CHUNK):
            call.chunk(piece)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called by send_response, so a code here also means the status line has been sent.
        # The log line itself is written once the whole exchange is over.
        self.code = code

    def parse_request(self) -> bool:
        # Timed from the request line, not from handle_one_request: on a pooled keep-alive connection that one
        # starts by waiting, possibly long, for the next request.
        self.started = time.monotonic()
        return super().parse_request()

    def handle_one_request(self) -> None:
        self.note, self.code, self.started = "", "-", time.monotonic()
        super().handle_one_request()
        if self.code != "-":
            elapsed = (time.monotonic() - self.started) * 1000
            log(f"{self.command} {self.path} {self.code} {elapsed:.0f}ms {self.note}".rstrip())

    def log_message(self, format: str, *args: Any) -> None:
        log(format % args)


def error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "testbed_brightstaff"}}


def parse_bind(value: str) -> tuple[str, int] | None:
    host, _, port = value.rpartition(":")
    return (host or "0.0.0.0", int(port)) if port.isdigit() else None


def fail(message: str) -> int:
    sys.stderr.write(f"brightstaff (testbed stand-in): {message}\n")
    return 1


def start_spans(tracing: TracingConfig | None) -> Any:
    """The span recorder: the OpenTelemetry SDK when tracing is on (imported only then), else NoSpans."""
    if tracing is None or not tracing.enabled:
        return NoSpans()
    import brightstaff_tracing  # beside this file (/app in the image); it finds the SDK under /opt/otel

    spans = brightstaff_tracing.start(tracing, log)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)  # out of serve_forever, so main() flushes the spans not yet exported

    signal.signal(signal.SIGTERM, stop)  # supervisord stops programs with TERM
    return spans


def main() -> int:
    path = os.environ.get("PLANO_CONFIG_PATH_RENDERED", DEFAULT_CONFIG)
    upstream = os.environ.get("LLM_PROVIDER_ENDPOINT", DEFAULT_UPSTREAM)
    bind_text = os.environ.get("BIND_ADDRESS", DEFAULT_BIND)
    bind = parse_bind(bind_text)
    if bind is None:
        return fail(f"BIND_ADDRESS {bind_text!r} is not HOST:PORT")
    try:
        document = read_config(path)
        table = table_from(document)
    except ConfigError as exc:
        return fail(f"cannot use config {path}: {exc}")
    try:
        server = Server(bind, table, upstream)
    except OSError as exc:
        return fail(f"cannot listen on {bind_text}: {exc.strerror or exc}")
    server.spans = start_spans(tracing_from(document, os.environ))
    log(f"stand-in listening on {bind[0]}:{bind[1]}; {len(table.providers)} providers; upstream {upstream}")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.spans.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
