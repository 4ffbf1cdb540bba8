"""Testbed stand-in for Brightstaff's tracing: one LLM span per chat completion, exported over OTLP/gRPC.

brightstaff.py imports this module only when the rendered config turns tracing on. The OpenTelemetry SDK and
its OTLP/gRPC exporter are imported inside start(), from /opt/otel in the image (docker/testbed/build.sh installs
them there, pinned), so the attribute functions below work without them.

A span (name `chat <model sent upstream>`, kind SERVER) joins the trace of an incoming W3C `traceparent` when
the client sent one, and its own context goes on to Envoy's 12001 hop in `traceparent`, so Envoy's
`plano(outbound)` span for the provider call is its child. Resource `service.name` is OTEL_SERVICE_NAME, else
`plano` (what the real Brightstaff sets); the attribute `service.name.override` = `plano(llm)` names the
component, as upstream's trace viewer expects. Attributes, by precedence (a later group wins on a clash):

1. request headers matching `tracing.span_attributes.header_prefixes` (case-insensitive): the matched prefix is
   stripped and every `-` becomes `.`, so `x-acme-user-id: usr_12` under prefix `x-acme-` is `user.id` = "usr_12".
   The reference does not say how the real Brightstaff names them; this is the stand-in's documented choice.
   Credential headers (authorization, cookie, x-api-key, ...) are never recorded.
2. `tracing.span_attributes.static`, as written;
3. the stand-in's own, under the names upstream's `obs` reads: `request_id`, `model.requested`, `llm.model`,
   `llm.provider`, `llm.is_streaming`, `llm.usage.*`, `llm.time_to_first_token` (streams only), `llm.duration_ms`,
   `http.status_code`, `routing.strategy`, `routing.selection_reason`, `plano.route.name`, `error.message`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

LIBS = "/opt/otel"
SERVICE = "plano"  # the real Brightstaff's OTEL_SERVICE_NAME default
SERVICE_OVERRIDE = "plano(llm)"
# The SDK's default is 5 s; this gets spans to the collector within a fraction of a second. The SDK's own
# OTEL_BSP_SCHEDULE_DELAY (milliseconds), when set, wins.
SCHEDULE_DELAY_MS = 200
EXPORT_TIMEOUT_S = 2.0  # bounds each export with its retries, so a stop waits at most this for a dead collector
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-goog-api-key"})
TRACE_HEADERS = ("traceparent", "tracestate")
# llm.usage.<name> -> where the value is in an OpenAI-style `usage` object.
USAGE = {
    "prompt_tokens": ("prompt_tokens",),
    "completion_tokens": ("completion_tokens",),
    "total_tokens": ("total_tokens",),
    "cached_input_tokens": ("prompt_tokens_details", "cached_tokens"),
    "reasoning_tokens": ("completion_tokens_details", "reasoning_tokens"),
}


def header_attributes(headers: Iterable[tuple[str, str]], prefixes: Iterable[str]) -> dict[str, str]:
    """Span attributes for the headers matching a prefix: the prefix stripped, `-` -> `.` (see the docstring)."""
    found: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        prefix = next((p for p in prefixes if lower.startswith(p) and len(lower) > len(p)), None)
        if prefix is not None and lower not in SECRET_HEADERS:
            key = lower[len(prefix) :].replace("-", ".")
            found[key] = f"{found[key]},{value}" if key in found else value
    return found


def usage_attributes(usage: object) -> dict[str, int]:
    """`llm.usage.*` from the provider's `usage` (only the counts it reports; a missing total is the sum)."""
    if not isinstance(usage, dict):
        return {}
    counts: dict[str, int] = {}
    for name, path in USAGE.items():
        value: object = usage
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            counts[name] = value
    if "total_tokens" not in counts and {"prompt_tokens", "completion_tokens"} <= counts.keys():
        counts["total_tokens"] = counts["prompt_tokens"] + counts["completion_tokens"]
    return {f"llm.usage.{name}": value for name, value in counts.items()}


def error_message(call: Any) -> str | None:
    """Why the call failed (the provider's error message, a connection failure), or None if it did not."""
    if call.error:
        return str(call.error)
    return f"HTTP {call.status}" if call.status is not None and call.status >= 400 else None


def call_attributes(call: Any, request_id: str | None) -> dict[str, Any]:
    """The stand-in's own attributes for a finished brightstaff.Call."""
    attributes: dict[str, Any] = {"service.name.override": SERVICE_OVERRIDE, "llm.is_streaming": call.streaming}
    if request_id:
        attributes["request_id"] = request_id
    if isinstance(call.requested, str):
        attributes["model.requested"] = call.requested
    if call.choice is not None:
        attributes.update(
            {
                "llm.model": call.choice.model,
                "llm.provider": call.choice.provider.interface,
                "routing.strategy": call.choice.strategy,
                "routing.selection_reason": call.choice.reason,
            }
        )
        if call.choice.route:
            attributes["plano.route.name"] = call.choice.route
    if call.status is not None:
        attributes["http.status_code"] = call.status
    attributes.update(usage_attributes(call.usage))
    if call.streaming and call.first_chunk is not None:
        attributes["llm.time_to_first_token"] = _ms(call.first_chunk - call.started)
    attributes["llm.duration_ms"] = _ms(call.ended - call.started)
    message = error_message(call)
    if message:
        attributes["error.message"] = message
    return attributes


def span_attributes(call: Any, headers: list[tuple[str, str]], config: Any) -> dict[str, Any]:
    """Every attribute of a call's span: header ones, then static ones, then the stand-in's own."""
    request_id = next((value for name, value in headers if name.lower() == "x-request-id"), None)
    return {
        **header_attributes(headers, config.header_prefixes),
        **dict(config.static),
        **call_attributes(call, request_id),
    }


def _ms(seconds: float) -> int:
    return max(round(seconds * 1000), 0)


class Spans:
    """The OpenTelemetry SDK side: a tracer provider exporting in batches over OTLP/gRPC."""

    enabled = True

    def __init__(self, provider: Any, config: Any) -> None:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self.provider = provider
        self.tracer = provider.get_tracer("brightstaff")
        self.config = config
        self.propagator = TraceContextTextMapPropagator()  # W3C only, whatever OTEL_PROPAGATORS says

    def begin(self, headers: Any, start_ns: int) -> Span:
        from opentelemetry.trace import SpanKind

        carrier = {name.lower(): value for name, value in headers.items() if name.lower() in TRACE_HEADERS}
        parent = self.propagator.extract(carrier)
        return Span(self, self.tracer.start_span("chat", parent, SpanKind.SERVER, start_time=start_ns))

    def shutdown(self) -> None:
        self.provider.shutdown()  # exports what the batch still holds


class Span:
    """One chat completion's span, from the request's arrival to the end of the relayed response."""

    def __init__(self, spans: Spans, span: Any) -> None:
        self.spans = spans
        self.span = span

    def inject(self, headers: dict[str, str]) -> None:
        from opentelemetry.trace import set_span_in_context

        for name in [n for n in headers if n.lower() in TRACE_HEADERS]:
            del headers[name]  # the client's context is this span's parent now, not the provider call's
        self.spans.propagator.inject(headers, set_span_in_context(self.span))

    def end(self, call: Any, headers: Any) -> None:
        from opentelemetry.trace import Status, StatusCode

        end_ns = call.started_ns + round((call.ended - call.started) * 1e9)
        if self.span.is_recording():
            if call.choice is not None:
                self.span.update_name(f"chat {call.choice.model}")
            self.span.set_attributes(span_attributes(call, list(headers.items()), self.spans.config))
            message = error_message(call)
            if message:
                self.span.set_status(Status(StatusCode.ERROR, message))
        self.span.end(end_ns)


class _ToLog(logging.Handler):
    """The SDK's and exporter's warnings (an unreachable collector, say) as stand-in log lines."""

    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log(f"tracing: {record.getMessage()}")


def start(config: Any, log: Callable[[str], None], libs: str = LIBS) -> Spans:
    """Set up the SDK for a brightstaff.TracingConfig that is enabled; returns the span recorder."""
    if os.path.isdir(libs) and libs not in sys.path:
        sys.path.append(libs)
    otel_logger = logging.getLogger("opentelemetry")
    otel_logger.addHandler(_ToLog(log))
    otel_logger.propagate = False
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    service = os.environ.get("OTEL_SERVICE_NAME") or SERVICE
    ratio = min(config.sampling, 100.0) / 100.0
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}),
        sampler=ParentBased(TraceIdRatioBased(ratio)),
        shutdown_on_exit=False,
    )
    # An http:// endpoint is plaintext gRPC, as the render accepts only http:// collector endpoints.
    exporter = OTLPSpanExporter(endpoint=config.endpoint, insecure=True, timeout=EXPORT_TIMEOUT_S)
    delay = None if os.environ.get("OTEL_BSP_SCHEDULE_DELAY") else SCHEDULE_DELAY_MS  # None: the SDK reads it
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=delay))
    log(f"tracing: OTLP/gRPC to {config.endpoint}, {config.sampling:g}% of new traces, service {service!r}")
    return Spans(provider, config)
