"""`up --with-tracing`'s change to the config: the collector's endpoint, sampling, and what it tells the user."""

from __future__ import annotations

from planoai_cli.diagnostics import Severity
from planoai_cli.gateway.tracing import trace_to_collector
from planoai_cli.loader import parse
from planoai_cli.model import PlanoConfig, build
from planoai_cli.render import render
from tests.configs import MINIMAL

BASE = MINIMAL.format(port=12000)


def config(extra: str = "") -> PlanoConfig:
    return build(parse(BASE + extra, "c.yaml"))


def test_no_tracing_section_gets_full_sampling_to_the_collector() -> None:
    traced, notes = trace_to_collector(config(), 4317)
    assert traced.tracing is not None
    assert (traced.tracing.random_sampling, traced.tracing.opentracing_grpc_endpoint) == (
        100,
        "http://host.docker.internal:4317",
    )
    assert [(n.severity, n.code) for n in notes] == [(Severity.NOTICE, "up.tracing-added")]
    assert "every request is traced (random_sampling 100)" in notes[0].message
    # The renderer turns it into Envoy's tracer and Brightstaff's endpoint.
    rendered = render(traced)
    assert "opentelemetry_collector" in rendered.envoy_yaml
    assert "http://host.docker.internal:4317" in rendered.plano_config


def test_the_configs_sampling_and_attributes_are_kept_and_its_endpoint_replaced() -> None:
    traced, notes = trace_to_collector(
        config(
            "tracing:\n  random_sampling: 25\n  opentracing_grpc_endpoint: http://otel.example:4317\n"
            "  span_attributes:\n    header_prefixes: [x-user-]\n"
        ),
        14317,
    )
    assert traced.tracing is not None
    assert traced.tracing.random_sampling == 25
    assert traced.tracing.header_prefixes == ("x-user-",)
    assert traced.tracing.opentracing_grpc_endpoint == "http://host.docker.internal:14317"
    assert [(n.code, n.line) for n in notes] == [("up.tracing-endpoint", 12)]  # the endpoint's line in MINIMAL + extra
    assert "instead of the config's http://otel.example:4317" in notes[0].message


def test_sampling_is_filled_in_and_zero_is_a_warning() -> None:
    _, filled = trace_to_collector(config("tracing:\n  trace_arch_internal: true\n"), 4317)
    assert [n.code for n in filled] == ["up.tracing-sampling"]
    traced, zero = trace_to_collector(config("tracing:\n  random_sampling: 0\n"), 4317)
    assert [(n.severity, n.code) for n in zero] == [(Severity.WARNING, "up.tracing-off")]
    assert traced.tracing is not None
    assert traced.tracing.random_sampling == 0  # the config said so: kept, and the user is told
