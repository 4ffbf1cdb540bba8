"""Semantic checks on tracing: the OTLP collector address must render to a valid Envoy cluster."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from planoai_cli.checks.base import Check, error
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import PlanoConfig
from planoai_cli.secrets import has_refs, redact_url


def otel_endpoint(config: PlanoConfig) -> Iterator[Diagnostic]:
    """`http://host:port`, no path: the port goes verbatim into Envoy (a variable is checked once substituted)."""
    value = config.tracing.opentracing_grpc_endpoint if config.tracing else None
    if config.tracing is None or value is None or has_refs(value):
        return
    problem = _endpoint_problem(value)
    if problem:
        yield error(
            "check.otel-endpoint",
            f"tracing.opentracing_grpc_endpoint {redact_url(value)!r} {problem[0]}",
            config.tracing.where("opentracing_grpc_endpoint"),
            problem[1],
        )


def _endpoint_problem(value: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return "has an invalid port", "use http://host:port with a numeric port, e.g. http://otel-collector:4317"
    host = parts.hostname or "otel-collector"
    if parts.scheme != "http" or not parts.hostname:
        return "must be http://host:port", f"e.g. http://{host}:4317 (the collector is reached over plain gRPC)"
    if port is None:
        return "has no port", f"add the port, e.g. http://{host}:4317"
    if parts.path or parts.query or parts.fragment:
        return "must not have a path", f"use http://{host}:{port}"
    return None


CHECKS: tuple[Check, ...] = (otel_endpoint,)
