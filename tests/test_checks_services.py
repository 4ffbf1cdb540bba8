"""Semantic checks on agents, filters and endpoints: ids, Envoy cluster names, URLs, the agent orchestrator."""

from __future__ import annotations

from textwrap import dedent

from planoai_cli.checks import check
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.loader import parse
from planoai_cli.model import build

HEADER = """\
version: v0.4.0
listeners:
  - name: egress
    type: model
    port: 12000
"""  # five lines: snippets below start on line 6


def found(body: str, code: str) -> list[Diagnostic]:
    return [d for d in check(build(parse(HEADER + dedent(body), "x.yaml"))) if d.code == code]


def brief(body: str, code: str) -> list[tuple[str, str, int | None, str | None]]:
    return [(d.message, d.path, d.line, d.hint) for d in found(body, code)]


def test_agent_and_filter_ids_share_one_namespace() -> None:
    body = """\
        agents:
          - {id: research, url: "http://research:9000"}
        filters:
          - {id: research, url: "http://guard:9100"}
        """
    assert brief(body, "check.duplicate-service-id") == [
        (
            "filter id 'research' is already used by the agent at agents[0] (line 7)",
            "filters[0].id",
            9,
            "agents and filters share one set of ids: rename one of them",
        )
    ]
    assert (
        found(
            body.replace('{id: research, url: "http://guard', '{id: guard, url: "http://guard'),
            "check.duplicate-service-id",
        )
        == []
    )


def test_agent_id_overwriting_an_endpoint() -> None:
    body = """\
        endpoints:
          search: {endpoint: search:8080}
        agents:
          - {id: search, url: "http://search-agent:9000"}
        """
    assert brief(body, "check.cluster-name-collision") == [
        (
            "agent id 'search' would define the Envoy cluster 'search', which the endpoint of the same name also "
            "defines",
            "agents[0].id",
            9,
            "rename it (e.g. 'search_svc') and update whatever refers to it",
        )
    ]


def test_endpoint_named_like_a_built_in_cluster() -> None:
    body = """\
        endpoints:
          openai: {endpoint: api.example.com}
          bright_staff: {endpoint: staff.example.com}
        """
    assert [(d.message, d.path, d.line) for d in found(body, "check.cluster-name-collision")] == [
        (
            "endpoint 'openai' would define the Envoy cluster 'openai', which is a built-in cluster",
            "endpoints.openai",
            7,
        ),
        (
            "endpoint 'bright_staff' would define the Envoy cluster 'bright_staff', which is a built-in cluster",
            "endpoints.bright_staff",
            8,
        ),
    ]


def test_filter_named_like_a_provider_cluster() -> None:
    body = """\
        model_providers:
          - model: ollama/llama3
            base_url: http://box:11434
        filters:
          - {id: ollama_box, url: "http://guard:9100"}
        """
    assert [d.message for d in found(body, "check.cluster-name-collision")] == [
        "filter id 'ollama_box' would define the Envoy cluster 'ollama_box', which is also the cluster made for a "
        "model provider's base_url"
    ]


def test_distinct_cluster_names_pass() -> None:
    body = """\
        endpoints:
          weather_api: {endpoint: weather:8080}
        agents:
          - {id: flights, url: "http://flights:9000"}
        filters:
          - {id: guard, url: "http://guard:9100"}
        """
    assert found(body, "check.cluster-name-collision") == []


def test_service_url_without_scheme_or_host() -> None:
    body = """\
        agents:
          - {id: flights, url: "localhost:10500"}
        filters:
          - {id: guard, url: "grpc://guard:9100"}
          - {id: ok, url: "https://guard.example.com/mcp"}
        """
    assert brief(body, "check.service-url") == [
        (
            "agent 'flights' has url 'localhost:10500', which lacks an http(s) scheme or a host, so no cluster can be "
            "made for it",
            "agents[0].url",
            7,
            "write the full URL, e.g. http://localhost:10500",
        ),
        (
            "filter 'guard' has url 'grpc://guard:9100', which lacks an http(s) scheme or a host, so no cluster can be "
            "made for it",
            "filters[0].url",
            9,
            "use an http:// or https:// URL with a host",
        ),
    ]


def test_agent_orchestrator_needs_exactly_one_endpoint() -> None:
    none = "overrides:\n  use_agent_orchestrator: true\n"
    assert brief(none, "check.agent-orchestrator-endpoints") == [
        (
            "use_agent_orchestrator needs exactly one endpoint to act as the orchestrator; found none",
            "overrides.use_agent_orchestrator",
            7,
            "add the orchestrator under endpoints",
        )
    ]
    two = none + "endpoints:\n  a: {endpoint: a}\nagents:\n  - {id: b, url: 'http://b'}\n"
    assert [d.message for d in found(two, "check.agent-orchestrator-endpoints")] == [
        "use_agent_orchestrator needs exactly one endpoint to act as the orchestrator; found 'a', 'b'"
    ]


def test_agent_orchestrator_with_one_endpoint_or_switched_off_passes() -> None:
    one = "overrides:\n  use_agent_orchestrator: true\nendpoints:\n  orch: {endpoint: orch:8000}\n"
    assert found(one, "check.agent-orchestrator-endpoints") == []
    off = "overrides:\n  use_agent_orchestrator: false\n"
    assert found(off, "check.agent-orchestrator-endpoints") == []
