#!/usr/bin/env python3
"""Testbed stand-in for Plano's Brightstaff: lists the configured models and forwards chat completions to Envoy.

It is NOT the real Brightstaff (a Rust service): no routing models, agents, tracing, state or metrics. It keeps
only the model-traffic contract so the testbed image exercises real Envoy routes and clusters:

    client -> :12000 (Envoy) -> this process (:9091) -> LLM_PROVIDER_ENDPOINT (Envoy :12001)
           -> provider cluster chosen by the `x-arch-llm-provider` header.

Python 3 standard library plus PyYAML (Debian's python3-yaml in the image); nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import sys
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import yaml

DEFAULT_CONFIG = "./plano_config_rendered.yaml"
DEFAULT_BIND = "0.0.0.0:9091"
DEFAULT_UPSTREAM = "http://localhost:12001"
CHAT_PATH = "/v1/chat/completions"
UPSTREAM_TIMEOUT = 300.0  # the model listener's default route timeout
CHUNK = 64 * 1024
# Hop-by-hop headers describe one connection only; length and host are recomputed for the next hop.
NOT_RELAYED = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "content-length", "host",
})
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
            return requested[len(prefix):] if requested.startswith(prefix) else None
        if requested in (self.name, self.model, f"{self.interface}/{self.model}"):
            return self.model
        return None


@dataclass(frozen=True)
class Table:
    """Everything the handler needs: providers in config order and alias -> target names."""

    providers: tuple[Provider, ...]
    aliases: dict[str, str]

    def select(self, requested: object) -> tuple[Provider, str] | None:
        """Pick the provider for a request's `model`: by name, then full model or alias, else the default."""
        public = [p for p in self.providers if not p.internal]
        if isinstance(requested, str) and requested:
            for wanted in (requested, self.aliases.get(requested)):
                found = _lookup(public, wanted) if wanted else None
                if found:
                    return found
        default = next((p for p in public if p.default), None)
        return (default, default.model) if default else None


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
    return Table(_providers(document.get("model_providers")), _aliases(document.get("model_aliases")))


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


def _aliases(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(alias): str(spec["target"]) for alias, spec in raw.items()
            if isinstance(spec, dict) and isinstance(spec.get("target"), str)}


def models_listing(table: Table) -> dict[str, Any]:
    """OpenAI-style `/v1/models` body: one entry per non-internal provider, in config order."""
    data = [{"id": p.name, "object": "model", "created": 0, "owned_by": p.interface}
            for p in table.providers if not p.internal]
    return {"object": "list", "data": data}


def log(line: str) -> None:
    # No component prefix here: supervisord's component.sh adds "[brightstaff] " to every line.
    sys.stdout.write(f"stand-in: {line}\n")
    sys.stdout.flush()


class Server(ThreadingHTTPServer):
    """HTTP server carrying the provider table and the upstream (Envoy egress) address."""

    daemon_threads = True

    def __init__(self, bind: tuple[str, int], table: Table, upstream: str) -> None:
        super().__init__(bind, Handler)
        self.table = table
        self.upstream = urllib.parse.urlsplit(upstream)


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
        body = self.read_body()
        if path != CHAT_PATH:
            self.reply(404, error_body(f"no route for POST {path} in the testbed stand-in"))
            return
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if isinstance(request, dict):
            self.forward(request)
        else:
            self.reply(400, error_body("the request body is not a JSON object"))

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

    def forward(self, request: dict[str, Any]) -> None:
        chosen = self.app.table.select(request.get("model"))
        if chosen is None:
            self.reply(400, error_body(f"no provider serves model {request.get('model')!r} and none is default"))
            return
        provider, bare = chosen
        self.note = f"provider={provider.name} cluster={provider.cluster} model={bare}"
        request["model"] = bare
        try:
            self.relay(provider, json.dumps(request).encode())
        except (OSError, http.client.HTTPException) as exc:
            if self.code == "-":
                self.reply(502, error_body(f"upstream {self.app.upstream.netloc} failed: {exc}"))
            else:  # the status line is already out: all that is left is to cut the connection
                self.close_connection = True
                self.note += f" upstream failed mid-response: {exc}"

    def relay(self, provider: Provider, payload: bytes) -> None:
        upstream = self.app.upstream
        conn = http.client.HTTPConnection(upstream.hostname or "localhost", upstream.port or 80,
                                          timeout=UPSTREAM_TIMEOUT)
        try:
            conn.request("POST", upstream.path.rstrip("/") + CHAT_PATH, payload, self.upstream_headers(provider))
            response = conn.getresponse()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in OWN_RESPONSE_HEADERS:
                    self.send_header(name, value)
            self.copy_body(response)
        finally:
            conn.close()

    def upstream_headers(self, provider: Provider) -> dict[str, str]:
        # Envoy's own x-envoy-* headers from the first hop would steer the second one (timeouts, retries).
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in NOT_RELAYED and not k.lower().startswith("x-envoy-")}
        headers["Content-Type"] = "application/json"
        # What llm_gateway would set after reading the hint; the pass-through wasm leaves it to us.
        headers["x-arch-llm-provider"] = provider.cluster
        headers["x-arch-llm-provider-hint"] = provider.name
        if provider.access_key:
            headers["Authorization"] = f"Bearer {provider.access_key}"
        return headers

    def copy_body(self, response: http.client.HTTPResponse) -> None:
        if response.length is not None:
            data = response.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        # No length (chunked or close-delimited, e.g. server-sent events): relay each piece as it arrives.
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while piece := response.read1(CHUNK):
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


def main() -> int:
    path = os.environ.get("PLANO_CONFIG_PATH_RENDERED", DEFAULT_CONFIG)
    upstream = os.environ.get("LLM_PROVIDER_ENDPOINT", DEFAULT_UPSTREAM)
    bind_text = os.environ.get("BIND_ADDRESS", DEFAULT_BIND)
    bind = parse_bind(bind_text)
    if bind is None:
        return fail(f"BIND_ADDRESS {bind_text!r} is not HOST:PORT")
    try:
        table = load_table(path)
    except ConfigError as exc:
        return fail(f"cannot use config {path}: {exc}")
    try:
        server = Server(bind, table, upstream)
    except OSError as exc:
        return fail(f"cannot listen on {bind_text}: {exc.strerror or exc}")
    log(f"stand-in listening on {bind[0]}:{bind[1]}; {len(table.providers)} providers; upstream {upstream}")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
