"""Semantic checks on routing (metrics sources, budget, session cache), tracing and overrides."""

from __future__ import annotations

from textwrap import dedent

from planoai_cli.checks import check
from planoai_cli.diagnostics import Diagnostic, Severity
from planoai_cli.loader import parse
from planoai_cli.model import build

HEADER = """\
version: v0.4.0
listeners:
  - name: egress
    type: model
    port: 12000
model_providers:
  - model: openai/gpt-4o
"""  # seven lines: snippets below start on line 8

PREFER = """\
routing_preferences:
  - name: code
    description: writes code
    models: [openai/gpt-4o]
    selection_policy:
      prefer: {prefer}
"""
COST = "model_metrics_sources:\n  - {type: cost, provider: models.dev}\n"
LATENCY = "model_metrics_sources:\n  - {type: latency, provider: prometheus, url: 'http://prom:9090', query: q}\n"


def found(body: str, code: str) -> list[Diagnostic]:
    return [d for d in check(build(parse(HEADER + dedent(body), "x.yaml"))) if d.code == code]


def brief(body: str, code: str) -> list[tuple[str, str, int | None, str | None]]:
    return [(d.message, d.path, d.line, d.hint) for d in found(body, code)]


# --- routing -----------------------------------------------------------------------------------------


def test_cheapest_needs_a_cost_source() -> None:
    assert brief(PREFER.replace("{prefer}", "cheapest") + LATENCY, "check.missing-metrics-source") == [
        (
            "routing preference 'code' prefers the cheapest model, which needs a 'cost' source in "
            "model_metrics_sources",
            "routing_preferences[0].selection_policy.prefer",
            13,
            "add one under model_metrics_sources: `- type: cost` with `provider: models.dev`",
        )
    ]
    assert found(PREFER.replace("{prefer}", "cheapest") + COST, "check.missing-metrics-source") == []


def test_fastest_needs_a_latency_source() -> None:
    assert [d.message for d in found(PREFER.replace("{prefer}", "fastest") + COST, "check.missing-metrics-source")] == [
        "routing preference 'code' prefers the fastest model, which needs a 'latency' source in model_metrics_sources"
    ]
    assert found(PREFER.replace("{prefer}", "fastest") + LATENCY, "check.missing-metrics-source") == []
    assert found(PREFER.replace("{prefer}", "none"), "check.missing-metrics-source") == []


def test_routing_budget_needs_a_cost_source() -> None:
    body = "routing:\n  routing_budget:\n    max_switch_spend_pct: 20\n"
    assert brief(body, "check.missing-metrics-source") == [
        (
            "routing.routing_budget prices model switches, which needs a 'cost' source in model_metrics_sources",
            "routing.routing_budget",
            10,
            "add one under model_metrics_sources: `- type: cost` with `provider: models.dev`",
        )
    ]
    assert found(body + COST, "check.missing-metrics-source") == []


def test_one_metrics_source_per_type() -> None:
    body = COST + "  - {type: cost, provider: digitalocean}\n" + LATENCY.split("\n", 1)[1]
    assert brief(body, "check.duplicate-metrics-source") == [
        (
            "a 'cost' metrics source is already defined at model_metrics_sources[0] (line 9); only one of each type is "
            "allowed",
            "model_metrics_sources[1].type",
            10,
            "remove one of the two sources",
        )
    ]
    assert found(COST + LATENCY.split("\n", 1)[1], "check.duplicate-metrics-source") == []


def test_redis_session_cache_needs_a_url() -> None:
    body = "routing:\n  session_cache:\n    type: redis\n"
    assert brief(body, "check.session-cache-url") == [
        (
            "routing.session_cache uses redis but has no url",
            "routing.session_cache.url",
            10,
            "add `url:` (e.g. redis://redis:6379, or $REDIS_URL)",
        )
    ]
    assert found(body + "    url: $REDIS_URL\n", "check.session-cache-url") == []
    assert found("routing:\n  session_cache:\n    type: memory\n", "check.session-cache-url") == []


# --- tracing -----------------------------------------------------------------------------------------


def otel(value: str) -> str:
    return f"tracing:\n  random_sampling: 10\n  opentracing_grpc_endpoint: {value}\n"


def test_otel_endpoint_without_port() -> None:
    assert brief(otel("http://collector"), "check.otel-endpoint") == [
        (
            "tracing.opentracing_grpc_endpoint 'http://collector' has no port",
            "tracing.opentracing_grpc_endpoint",
            10,
            "add the port, e.g. http://collector:4317",
        )
    ]


def test_otel_endpoint_with_a_path_or_https() -> None:
    assert [(d.message, d.hint) for d in found(otel("http://collector:4317/"), "check.otel-endpoint")] == [
        ("tracing.opentracing_grpc_endpoint 'http://collector:4317/' must not have a path", "use http://collector:4317")
    ]
    assert [d.message for d in found(otel("https://collector:4317"), "check.otel-endpoint")] == [
        "tracing.opentracing_grpc_endpoint 'https://collector:4317' must be http://host:port"
    ]
    assert [d.message for d in found(otel("http://collector:43x7"), "check.otel-endpoint")] == [
        "tracing.opentracing_grpc_endpoint 'http://collector:43x7' has an invalid port"
    ]


def test_otel_endpoint_valid_or_variable_passes() -> None:
    assert found(otel("http://collector:4317"), "check.otel-endpoint") == []
    assert found(otel("${OTEL_ENDPOINT}"), "check.otel-endpoint") == []
    assert found("tracing:\n  random_sampling: 10\n", "check.otel-endpoint") == []


# --- overrides ---------------------------------------------------------------------------------------


def test_unknown_override_warns_with_a_suggestion() -> None:
    body = "overrides:\n  upstream_conect_timeout: 10s\n  totally_new: 1\n"
    got = found(body, "check.unknown-override")
    assert [(d.severity, d.message, d.path, d.line, d.column, d.hint) for d in got] == [
        (
            Severity.WARNING,
            "unknown override 'upstream_conect_timeout' is ignored",
            "overrides.upstream_conect_timeout",
            9,
            3,
            "did you mean 'upstream_connect_timeout'?",
        ),
        (
            Severity.WARNING,
            "unknown override 'totally_new' is ignored",
            "overrides.totally_new",
            10,
            3,
            "known overrides: prompt_target_intent_matching_threshold, optimize_context_window, "
            "use_agent_orchestrator, disable_signals, upstream_connect_timeout, upstream_tls_ca_path, "
            "llm_routing_model, agent_orchestration_model, orchestrator_model_context_length",
        ),
    ]


def test_known_overrides_pass() -> None:
    body = "overrides:\n  upstream_connect_timeout: 10s\n  llm_routing_model: plano/Plano-Orchestrator\n"
    assert found(body, "check.unknown-override") == []


# --- the whole set -----------------------------------------------------------------------------------


def test_a_clean_config_has_no_findings() -> None:
    body = (
        PREFER.replace("{prefer}", "cheapest")
        + COST
        + otel("http://collector:4317")
        + dedent("""\
        agents:
          - {id: flights, url: "http://flights:9000"}
        filters:
          - {id: guard, url: "http://guard:9100"}
        endpoints:
          weather_api: {endpoint: weather:8080}
        model_aliases:
          fast: {target: gpt-4o}
        """)
    )
    assert check(build(parse(HEADER + body, "x.yaml"))) == ()
