"""Loopback hosts in URL fields become host.docker.internal for the container: structurally, with a notice each."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from planoai_cli.diagnostics import Severity
from planoai_cli.model import PlanoConfig
from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.render import render
from planoai_cli.render.localhost import containerize, rewrite_url

REPO = Path(__file__).resolve().parent.parent
CASE = REPO / "tests" / "golden" / "localhost-rewrites" / "config.yaml"


def load(text: str) -> PlanoConfig:
    return validate_raw(raw_from_text(Path("config.yaml"), text)).config


@pytest.mark.parametrize(
    ("url", "rewritten", "host"),
    [
        ("http://localhost:11434", "http://host.docker.internal:11434", "localhost"),
        ("http://LocalHost:11434/v1", "http://host.docker.internal:11434/v1", "localhost"),
        ("https://127.0.0.1", "https://host.docker.internal", "127.0.0.1"),
        (
            "http://[::1]:8000/v1?next=http://localhost",
            "http://host.docker.internal:8000/v1?next=http://localhost",
            "::1",
        ),
        ("http://0.0.0.0:1234", "http://host.docker.internal:1234", "0.0.0.0"),
        (
            "http://me:secret@localhost:9/x#localhost",
            "http://me:secret@host.docker.internal:9/x#localhost",
            "localhost",
        ),
    ],
)
def test_only_the_host_part_changes(url: str, rewritten: str, host: str) -> None:
    assert rewrite_url(url) == (rewritten, host)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost.example.com",
        "http://my-localhost:1",
        "http://127.0.0.2",
        "http://host.docker.internal:11434",
        "localhost:11434",
        "http://$HOST:1",
        "ftp://localhost",
        "http://[::1",
    ],
)
def test_other_hosts_and_unparsable_text_are_left_alone(url: str) -> None:
    assert rewrite_url(url) is None


def test_every_url_field_is_rewritten_with_a_located_notice() -> None:
    config = load(CASE.read_text(encoding="utf-8"))
    changed, notices = containerize(config)
    assert [(n.severity, n.code, n.path, n.line) for n in notices] == [
        (Severity.NOTICE, "render.localhost", "agents[0].url", 6),
        (Severity.NOTICE, "render.localhost", "filters[0].url", 9),
        (Severity.NOTICE, "render.localhost", "model_providers[0].base_url", 24),
        (Severity.NOTICE, "render.localhost", "model_providers[1].base_url", 28),
        (Severity.NOTICE, "render.localhost", "model_providers[2].base_url", 33),
        (Severity.NOTICE, "render.localhost", "endpoints.local_api.endpoint", 36),
        (Severity.NOTICE, "render.localhost", "model_metrics_sources[0].url", 40),
        (Severity.NOTICE, "render.localhost", "tracing.opentracing_grpc_endpoint", 45),
    ]
    assert notices[5].message == (
        "endpoint 'local_api': endpoint host 'LOCALHOST' becomes 'host.docker.internal' inside the gateway container"
    )
    assert [p.cluster_name for p in changed.providers] == [
        "ollama_host.docker.internal",
        "openai_host.docker.internal_8000",
        "openai_host.docker.internal_1234",
    ]
    assert changed.endpoints[0].endpoint == "host.docker.internal:18080"
    assert changed.system_prompt == config.system_prompt == "Never call http://localhost yourself."
    assert changed.providers[1].headers == {"x-origin": "http://localhost:3000"}


def test_the_render_notices_are_the_rewrites() -> None:
    config = load(CASE.read_text(encoding="utf-8"))
    assert render(config).notices == containerize(config)[1]


def test_without_containerize_nothing_is_touched() -> None:
    config = load(CASE.read_text(encoding="utf-8"))
    rendered = render(config, containerize=False)
    assert rendered.notices == ()
    assert "host.docker.internal" not in rendered.envoy_yaml
    plano = yaml.safe_load(rendered.plano_config)
    assert plano["model_providers"][0]["base_url"] == "http://localhost:11434"
    assert plano["tracing"]["opentracing_grpc_endpoint"] == "http://localhost:4317"


def test_the_default_collector_is_on_this_machine() -> None:
    text = (
        "version: v0.4.0\nlisteners:\n  - {name: llm, type: model, port: 12000}\n"
        "model_providers:\n  - {model: openai/gpt-4o, access_key: $K, default: true}\n"
        "tracing:\n  random_sampling: 1\n"
    )
    assert "opentracing_grpc_endpoint: http://host.docker.internal:4317" in render(load(text)).plano_config
    native = render(load(text), containerize=False)
    assert "opentracing_grpc_endpoint: http://localhost:4317" in native.plano_config
    collector = yaml.safe_load(native.envoy_yaml)["static_resources"]["clusters"][-1]
    assert collector["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"] == {
        "socket_address": {"address": "localhost", "port_value": 4317}
    }
