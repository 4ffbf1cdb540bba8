"""Real spans from the testbed: the stand-in Brightstaff's LLM spans (OpenTelemetry SDK, OTLP/gRPC exporter) next to
the real Envoy's own, received by a real OTLP/gRPC server (grpcio + opentelemetry-proto's TraceService) in this
process, from a gateway started with `planoai up`.

The stand-in's attributes are documented in docker/testbed/brightstaff_tracing.py and docker/testbed/README.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import pytest
from docker.client import DockerClient
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from planoai_cli.trace.model import STATUS_ERROR, STATUS_UNSET, SpanRecord
from tests.configs import GATEWAY
from tests.dockerfix import STREAM_USAGE, USAGE, MockProvider, bridge_gateway, free_port, remove_labelled

REPO = Path(__file__).resolve().parent.parent
TESTBED = REPO / "docker" / "testbed"
KEY = "sk-tracing-0123456789abcdef"
PROJECT_LABEL = "org.planoai.project"
SPAN_DEADLINE = 20.0  # Envoy's OpenTelemetry tracer flushes every 5 s; the stand-in every 0.2 s
SERVER_KIND = 2  # OTLP SPAN_KIND_SERVER

CONFIG = (
    GATEWAY
    + """\
  - model: openai/gpt-4o-mini
    base_url: http://localhost:{mock_port}
    access_key: $OPENAI_API_KEY
  - model: openai/gpt-4.1
    base_url: http://localhost:{dead_port}
    access_key: $OPENAI_API_KEY
model_aliases:
  fast:
    target: openai/gpt-4o-mini
routing_preferences:
  - name: code generation
    description: Writing new code from a description.
    models: [openai/gpt-4o-mini]
tracing:
  random_sampling: 100
  opentracing_grpc_endpoint: http://host.docker.internal:{otel_port}
  span_attributes:
    header_prefixes: [x-acme-]
    static:
      deployment.environment: testbed
"""
)


# --- a real OTLP/gRPC receiver ------------------------------------------------------------------------


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind in ("string_value", "bool_value", "int_value", "double_value"):
        return getattr(value, kind)
    from google.protobuf.json_format import MessageToDict

    return json.dumps(MessageToDict(value))


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    """Keeps every span exported to it, as the collector's SpanRecord values."""

    def __init__(self) -> None:
        self.spans: list[SpanRecord] = []
        self.arrived = threading.Condition()

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        records: list[SpanRecord] = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                records.extend(
                    SpanRecord(
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_span_id=s.parent_span_id.hex() or None,
                        name=s.name,
                        service=str(resource.get("service.name", "unknown")),
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                        kind=s.kind,
                        status_code=s.status.code,
                        status_message=s.status.message,
                        attributes=_attributes(s.attributes),
                        resource=resource,
                    )
                    for s in scope_spans.spans
                )
        with self.arrived:
            self.spans.extend(records)
            self.arrived.notify_all()
        return trace_service_pb2.ExportTraceServiceResponse()

    def wait_for(self, what: str, match: Callable[[SpanRecord], bool]) -> SpanRecord:
        """The one span matching `match`, waiting for it (a monotonic deadline); fails naming `what`."""
        deadline = time.monotonic() + SPAN_DEADLINE
        with self.arrived:
            while not (found := [s for s in self.spans if match(s)]):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {what} within {SPAN_DEADLINE}s; received: {self.spans}", pytrace=False)
                self.arrived.wait(left)
        assert len(found) == 1, f"expected one {what}, got {found}"
        return found[0]


@pytest.fixture(scope="module")
def receiver(docker_client: DockerClient, testbed_image: str) -> Iterator[tuple[Receiver, int]]:
    # On the bridge address only: the gateway container reaches it as host.docker.internal.
    servicer = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port(f"{bridge_gateway()}:0")
    server.start()
    yield servicer, port
    server.stop(grace=None)


# --- a traced gateway started by `planoai up` ---------------------------------------------------------


@dataclass(frozen=True)
class Gateway:
    url: str
    receiver: Receiver


def _planoai(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "NO_COLOR": "1", "OPENAI_API_KEY": KEY}
    return subprocess.run(
        [sys.executable, "-m", "planoai_cli", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def gateway(
    docker_client: DockerClient,
    mock_provider: MockProvider,
    receiver: tuple[Receiver, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateway]:
    servicer, otel_port = receiver
    root = tmp_path_factory.mktemp("traced")
    port, name = free_port(), f"t-tracing-{os.getpid()}"
    config = root / "config.yaml"
    config.write_text(
        CONFIG.format(port=port, mock_port=mock_provider.server_address[1], dead_port=free_port(), otel_port=otel_port),
        encoding="utf-8",
    )
    project = [str(config), "--project-name", name]
    try:
        up = _planoai(
            root / "home",
            "up",
            *project,
            "--image",
            "planoai-testbed:latest",
            "--pull",
            "never",
            "--admin-port",
            str(free_port()),
        )
        assert up.returncode == 0, up.stderr
        yield Gateway(f"http://127.0.0.1:{port}", servicer)
        down = _planoai(root / "home", "down", *project)
        assert down.returncode == 0, down.stderr
    finally:
        remove_labelled(docker_client, PROJECT_LABEL, name)


@dataclass(frozen=True)
class Sent:
    """One chat completion sent through the gateway: its answer and the x-request-id it carried."""

    status: int
    body: bytes
    request_id: str


CLIENT_TRACE, CLIENT_SPAN = uuid.uuid4().hex, uuid.uuid4().hex[:16]
# Sent together before any test looks for spans: Envoy's tracer exports every 5 s, so waiting once is enough.
REQUESTS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "plain": (
        {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "marker-trace-plain"}]},
        {"x-acme-user-id": "usr_12", "X-Acme-Team-Name": "blue", "x-other": "not an attribute"},
    ),
    "stream": (
        {
            "model": "fast",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "marker-trace-stream"}],
        },
        {},
    ),
    "route": (
        {
            "model": "openai/gpt-4o",
            "messages": [
                {"role": "user", "content": "marker-trace-route"},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": "Now some Code Generation, please."},
            ],
        },
        {},
    ),
    "context": (
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "marker-trace-context"}]},
        {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"},
    ),
    # openai/gpt-4.1's base_url is a port nothing listens on: Envoy answers 503 for the provider.
    "error": ({"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "marker-trace-error"}]}, {}),
}


@pytest.fixture(scope="module")
def sent(gateway: Gateway) -> dict[str, Sent]:
    return {case: _chat(gateway.url, body, headers) for case, (body, headers) in REQUESTS.items()}


def _chat(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Sent:
    """POST a chat completion with a fresh x-request-id."""
    request_id = str(uuid.uuid4())
    request = urllib.request.Request(
        f"{url}/v1/chat/completions",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "x-request-id": request_id, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return Sent(response.status, response.read(), request_id)
    except urllib.error.HTTPError as exc:
        with exc:
            return Sent(exc.code, exc.read(), request_id)


def _llm_span(receiver: Receiver, request_id: str) -> SpanRecord:
    return receiver.wait_for(
        f"stand-in span for request {request_id}", lambda s: s.attributes.get("request_id") == request_id
    )


def _envoy_span(receiver: Receiver, parent: SpanRecord) -> SpanRecord:
    return receiver.wait_for(f"Envoy span under {parent.span_id}", lambda s: s.parent_span_id == parent.span_id)


def _timings(span: SpanRecord, *names: str) -> dict[str, Any]:
    """The span's attributes without the timing ones, after checking those are sane integers."""
    attributes = dict(span.attributes)
    values = [attributes.pop(name) for name in names]
    assert all(isinstance(v, int) and 0 <= v < 15_000 for v in values), values
    assert values == sorted(values), f"{names} out of order: {values}"  # time to first token <= duration
    return attributes


def test_plain_completion_span(gateway: Gateway, sent: dict[str, Sent], mock_provider: MockProvider) -> None:
    plain = sent["plain"]
    assert plain.status == 200
    assert mock_provider.find("marker-trace-plain").headers["x-request-id"]  # reached the provider through Envoy
    span = _llm_span(gateway.receiver, plain.request_id)
    assert (span.name, span.service, span.kind, span.status_code) == ("chat gpt-4o", "plano", SERVER_KIND, STATUS_UNSET)
    assert span.parent_span_id is None  # the client sent no trace context: the stand-in starts the trace
    assert _timings(span, "llm.duration_ms") == {
        "user.id": "usr_12",
        "team.name": "blue",
        "deployment.environment": "testbed",
        "service.name.override": "plano(llm)",
        "request_id": plain.request_id,
        "model.requested": "openai/gpt-4o",
        "llm.model": "gpt-4o",
        "llm.provider": "openai",
        "llm.is_streaming": False,
        "http.status_code": 200,
        "routing.strategy": "model",
        "routing.selection_reason": "model 'openai/gpt-4o' is served by provider 'openai/gpt-4o'",
        "llm.usage.prompt_tokens": USAGE["prompt_tokens"],
        "llm.usage.completion_tokens": USAGE["completion_tokens"],
        "llm.usage.total_tokens": USAGE["total_tokens"],
        "llm.usage.cached_input_tokens": 4,
    }
    # The real Envoy's span for the provider call (the 12001 hop) is the stand-in span's child, in its trace.
    envoy = _envoy_span(gateway.receiver, span)
    assert (envoy.trace_id, envoy.service) == (span.trace_id, "plano(outbound)")
    assert envoy.name == "POST host.docker.internal/v1/chat/completions"
    assert envoy.attributes["http.status_code"] == "200"
    assert span.start_ns <= envoy.start_ns <= span.end_ns


def test_streamed_completion_span(gateway: Gateway, sent: dict[str, Sent]) -> None:
    stream = sent["stream"]
    assert stream.status == 200
    assert b"[DONE]" in stream.body
    span = _llm_span(gateway.receiver, stream.request_id)
    assert span.name == "chat gpt-4o-mini"
    assert _timings(span, "llm.time_to_first_token", "llm.duration_ms") == {
        "deployment.environment": "testbed",
        "service.name.override": "plano(llm)",
        "request_id": stream.request_id,
        "model.requested": "fast",
        "llm.model": "gpt-4o-mini",
        "llm.provider": "openai",
        "llm.is_streaming": True,
        "http.status_code": 200,
        "routing.strategy": "alias",
        "routing.selection_reason": "alias 'fast' targets 'openai/gpt-4o-mini'",
        **{f"llm.usage.{name}": count for name, count in STREAM_USAGE.items()},
    }
    assert _envoy_span(gateway.receiver, span).trace_id == span.trace_id


def test_routing_preference_names_the_route(gateway: Gateway, sent: dict[str, Sent]) -> None:
    assert sent["route"].status == 200
    attributes = _llm_span(gateway.receiver, sent["route"].request_id).attributes
    assert {
        k: attributes[k]
        for k in ("model.requested", "llm.model", "routing.strategy", "routing.selection_reason", "plano.route.name")
    } == {
        "model.requested": "openai/gpt-4o",
        "llm.model": "gpt-4o-mini",
        "routing.strategy": "preference",
        "routing.selection_reason": "route 'code generation' named in the last user message",
        "plano.route.name": "code generation",
    }


def test_client_trace_context_is_continued(gateway: Gateway, sent: dict[str, Sent]) -> None:
    assert sent["context"].status == 200
    span = _llm_span(gateway.receiver, sent["context"].request_id)
    assert (span.trace_id, span.parent_span_id) == (CLIENT_TRACE, CLIENT_SPAN)
    assert _envoy_span(gateway.receiver, span).trace_id == CLIENT_TRACE


def test_provider_failure_is_an_error_span(gateway: Gateway, sent: dict[str, Sent]) -> None:
    assert sent["error"].status == 503
    span = _llm_span(gateway.receiver, sent["error"].request_id)
    assert (span.status_code, span.status_message) == (STATUS_ERROR, "HTTP 503")
    assert {k: span.attributes[k] for k in ("llm.model", "http.status_code", "error.message")} == {
        "llm.model": "gpt-4.1",
        "http.status_code": 503,
        "error.message": "HTTP 503",
    }
    assert not any(k.startswith("llm.usage.") for k in span.attributes)
    assert _envoy_span(gateway.receiver, span).attributes["http.status_code"] == "503"


# --- the stand-in on the host (no Docker) ---------------------------------------------------------------


def _load(name: str) -> ModuleType:
    if str(TESTBED) not in sys.path:
        sys.path.append(str(TESTBED))  # brightstaff.py imports brightstaff_tracing from beside itself
    spec = importlib.util.spec_from_file_location(name, TESTBED / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


BRIGHTSTAFF = _load("brightstaff")
TRACING = _load("brightstaff_tracing")


@pytest.mark.parametrize(
    ("section", "environ", "expected"),
    [
        (
            {
                "random_sampling": 100,
                "opentracing_grpc_endpoint": "http://otel:4317",
                "span_attributes": {"header_prefixes": ["X-Acme-"], "static": {"env": "ci", "n": 1}},
            },
            {},
            ("http://otel:4317", 100.0, ("x-acme-",), (("env", "ci"), ("n", "1")), True),
        ),
        (
            {"random_sampling": 5},
            {"OTEL_TRACING_GRPC_ENDPOINT": "http://env:4317"},
            ("http://env:4317", 5.0, (), (), True),
        ),
        ({"random_sampling": 5}, {}, (None, 5.0, (), (), False)),  # nowhere to send spans
        ({"opentracing_grpc_endpoint": "http://otel:4317"}, {}, ("http://otel:4317", 0.0, (), (), False)),  # absent: 0
    ],
)
def test_tracing_settings_from_the_rendered_config(
    section: dict[str, Any], environ: dict[str, str], expected: tuple[Any, ...]
) -> None:
    t = BRIGHTSTAFF.tracing_from({"tracing": section}, environ)
    assert (t.endpoint, t.sampling, t.header_prefixes, t.static, t.enabled) == expected


def test_no_tracing_section_imports_no_sdk() -> None:
    probe = (
        "import sys; sys.path.append(sys.argv[1]); import brightstaff as b\n"
        "for doc in ({}, {'tracing': {'random_sampling': 0, 'opentracing_grpc_endpoint': 'http://x:1'}}):\n"
        "    print(type(b.start_spans(b.tracing_from(doc, {}))).__name__)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'opentelemetry', 'grpc', 'google'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(TESTBED)], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.splitlines() == ["NoSpans", "NoSpans", "[]"]


@pytest.mark.parametrize(
    ("headers", "prefixes", "expected"),
    [
        ([("x-acme-user-id", "usr_12")], ("x-acme-",), {"user.id": "usr_12"}),
        ([("X-User-Id", "u")], ("x-",), {"user.id": "u"}),  # case-insensitive; the prefix goes, dashes become dots
        ([("x-acme-", "empty")], ("x-acme-",), {}),  # nothing after the prefix: no key
        ([("x-api-key", "sk-1"), ("authorization", "Bearer k")], ("x-", "a"), {}),  # credentials never recorded
        ([("x-a-b", "1"), ("x-a-b", "2")], ("x-",), {"a.b": "1,2"}),  # a repeated header: its values joined
        ([("x-team", "t")], ("x-acme-", "x-"), {"team": "t"}),
    ],
)
def test_header_attributes(headers: list[tuple[str, str]], prefixes: tuple[str, ...], expected: dict[str, str]) -> None:
    assert TRACING.header_attributes(headers, prefixes) == expected


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (
            USAGE,
            {
                "llm.usage.prompt_tokens": 12,
                "llm.usage.completion_tokens": 5,
                "llm.usage.total_tokens": 17,
                "llm.usage.cached_input_tokens": 4,
            },
        ),
        (
            {"prompt_tokens": 3, "completion_tokens": 2, "completion_tokens_details": {"reasoning_tokens": 1}},
            {
                "llm.usage.prompt_tokens": 3,
                "llm.usage.completion_tokens": 2,
                "llm.usage.total_tokens": 5,
                "llm.usage.reasoning_tokens": 1,
            },
        ),
        ({"prompt_tokens": "3", "total_tokens": True}, {}),  # only integer counts
        (None, {}),
    ],
)
def test_usage_attributes(usage: object, expected: dict[str, int]) -> None:
    assert TRACING.usage_attributes(usage) == expected


CHOICES = """\
model_aliases: {fast: {target: mini}}
routing_preferences:
- {name: code generation, description: d, models: [nowhere, mini]}
- {name: code, description: d, models: [openai/gpt-4o]}
model_providers:
- {name: openai/gpt-4o, model: gpt-4o, provider_interface: openai, default: true}
- {name: mini, model: gpt-4o-mini, provider_interface: openai}
"""


@pytest.mark.parametrize(
    ("model", "text", "expected"),
    [
        ("mini", "hi", ("mini", "model", "model 'mini' is served by provider 'mini'", None)),
        ("fast", "hi", ("mini", "alias", "alias 'fast' targets 'mini'", None)),
        ("nope", "hi", ("openai/gpt-4o", "default", "no provider serves model 'nope'; the default provider", None)),
        (None, "hi", ("openai/gpt-4o", "default", "the request names no model; the default provider", None)),
        # A route named in the last user message wins over the model; its first served model gets the request.
        (
            "openai/gpt-4o",
            "CODE generation!",
            ("mini", "preference", "route 'code generation' named in the last user message", "code generation"),
        ),
        ("mini", "some code", ("openai/gpt-4o", "preference", "route 'code' named in the last user message", "code")),
        ("mini", "barcode", ("mini", "model", "model 'mini' is served by provider 'mini'", None)),  # whole words only
    ],
)
def test_standin_choices(tmp_path: Path, model: str | None, text: str, expected: tuple[Any, ...]) -> None:
    (tmp_path / "c.yaml").write_text(CHOICES, encoding="utf-8")
    messages = [{"role": "user", "content": [{"type": "text", "text": text}]}, {"role": "assistant", "content": "x"}]
    choice = BRIGHTSTAFF.load_table(str(tmp_path / "c.yaml")).choose(model, messages)
    assert (choice.provider.name, choice.strategy, choice.reason, choice.route) == expected


def test_spans_are_flushed_on_sigterm(tmp_path: Path) -> None:
    """A span still in the batch when supervisord stops the stand-in is exported before it exits (host run)."""
    servicer = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    otel_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    upstream = MockProvider("127.0.0.1")
    threading.Thread(target=upstream.serve_forever, args=(0.05,), daemon=True).start()
    config = tmp_path / "rendered.yaml"
    config.write_text(
        "model_providers:\n- {name: openai/gpt-4o, model: gpt-4o, provider_interface: openai, default: true}\n"
        f"tracing: {{random_sampling: 100, opentracing_grpc_endpoint: 'http://127.0.0.1:{otel_port}'}}\n",
        encoding="utf-8",
    )
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PLANO_CONFIG_PATH_RENDERED": str(config),
        "BIND_ADDRESS": f"127.0.0.1:{port}",
        "LLM_PROVIDER_ENDPOINT": f"http://127.0.0.1:{upstream.server_address[1]}",
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
    }  # ten minutes: only the flush on exit can send the span
    standin = subprocess.Popen(
        [sys.executable, str(TESTBED / "brightstaff.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert standin.stdout is not None
        assert "tracing: OTLP/gRPC to" in standin.stdout.readline()
        assert "listening" in standin.stdout.readline()
        answer = _chat(f"http://127.0.0.1:{port}", {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})
        assert answer.status == 200
        time.sleep(0.5)
        assert servicer.spans == []  # still in the batch
        standin.send_signal(signal.SIGTERM)
        assert standin.wait(timeout=15) == 0
        assert _llm_span(servicer, answer.request_id).attributes["llm.model"] == "gpt-4o"
    finally:
        standin.kill()
        standin.wait()
        if standin.stdout:
            standin.stdout.close()
        upstream.shutdown()
        upstream.server_close()
        server.stop(grace=None)
