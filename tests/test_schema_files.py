"""The versioned JSON Schemas in config_schema/ and the example configs that must satisfy them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from planoai_cli.loader import parse

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "config_schema"
EXAMPLE_DIR = ROOT / "examples"
SCHEMA_NAMES = ("g1", "g2", "g3", "v0.4.0")

# Every example and the schema of its own generation.
EXAMPLE_SCHEMAS = {
    "generations/g1a-singular-listener.yaml": "g1",
    "generations/g1b-provider-interface.yaml": "g1",
    "generations/g2a-listeners-mapping.yaml": "g2",
    "generations/g2b-prefixed-models.yaml": "g2",
    "generations/g3a-list-listeners.yaml": "g3",
    "generations/g3b-filters.yaml": "g3",
    "generations/g4-canonical.yaml": "v0.4.0",
    "listeners/model.yaml": "v0.4.0",
    "listeners/prompt.yaml": "v0.4.0",
    "listeners/agent.yaml": "v0.4.0",
    "quickstart/config.yaml": "v0.4.0",
}
CANONICAL = sorted(name for name, schema in EXAMPLE_SCHEMAS.items() if schema == "v0.4.0")
LEGACY = sorted(name for name, schema in EXAMPLE_SCHEMAS.items() if schema != "v0.4.0")

DOCS_ONLY = "docs-only; dropped by migration"

# The smallest canonical config; negative cases change one thing in it.
BASE = """\
version: v0.4.0
listeners:
  - name: model_gateway
    type: model
    port: 12000
    timeout: 300s
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
"""


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_schema(name))


def failures(schema: str, text: str) -> set[tuple[str, str]]:
    """(JSON path, failing keyword) for every violation of `schema` in the YAML `text`."""
    doc = parse(text, "test.yaml")
    return {(error.json_path, str(error.validator)) for error in _validator(schema).iter_errors(doc)}


def example(name: str) -> str:
    return (EXAMPLE_DIR / name).read_text(encoding="utf-8")


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return own.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


# --- the schema files themselves ---------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:planoai-cli:config-schema:{name}"
    assert schema["title"]
    assert schema["description"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_def_is_used_and_every_ref_resolves(name: str) -> None:
    schema = _schema(name)
    defined = {f"#/$defs/{key}" for key in schema["$defs"]}
    assert _refs(schema) == defined


def test_config_schema_folder_holds_exactly_the_four_schemas() -> None:
    found = sorted(path.name for path in SCHEMA_DIR.glob("*.json"))
    assert found == sorted(f"{name}.schema.json" for name in SCHEMA_NAMES)


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        ("g1", ("properties", "error_target")),
        ("g1", ("$defs", "listener", "properties", "common_tls_context")),
        ("g1", ("$defs", "llmProvider", "properties", "stream")),
        ("g1", ("$defs", "llmProvider", "properties", "rate_limits")),
        ("g1", ("$defs", "llmProvider", "properties", "port")),
        ("g1", ("$defs", "tracing", "properties", "sampling_rate")),
        ("g1", ("$defs", "onException", "properties", "forward_to_error_target")),
        ("g1", ("$defs", "onException", "properties", "error_handler")),
        ("g2", ("properties", "error_target")),
        ("g2", ("$defs", "gatewayListener", "properties", "common_tls_context")),
        ("g2", ("$defs", "llmProvider", "properties", "stream")),
        ("g2", ("$defs", "llmProvider", "properties", "rate_limits")),
        ("g2", ("$defs", "llmProvider", "properties", "port")),
        ("g2", ("$defs", "tracing", "properties", "sampling_rate")),
        ("g2", ("$defs", "onException", "properties", "forward_to_error_target")),
        ("g2", ("$defs", "onException", "properties", "error_handler")),
        ("g3", ("$defs", "tracing", "properties", "sampling_rate")),
    ],
)
def test_docs_only_keys_are_marked(schema: str, pointer: tuple[str, ...]) -> None:
    node: Any = _schema(schema)
    for step in pointer:
        node = node[step]
    assert node["description"].startswith(DOCS_ONLY)


# --- examples ------------------------------------------------------------------------------


def test_every_example_file_is_mapped_to_a_schema() -> None:
    found = sorted(str(path.relative_to(EXAMPLE_DIR)) for path in EXAMPLE_DIR.rglob("*.yaml"))
    assert found == sorted(EXAMPLE_SCHEMAS)


@pytest.mark.parametrize("name", sorted(EXAMPLE_SCHEMAS))
def test_example_validates_against_its_generation(name: str) -> None:
    assert failures(EXAMPLE_SCHEMAS[name], example(name)) == set()


@pytest.mark.parametrize("name", CANONICAL)
def test_canonical_example_is_v040_and_also_accepted_by_the_list_era_schema(name: str) -> None:
    text = example(name)
    assert parse(text, name)["version"] == "v0.4.0"
    assert failures("v0.4.0", text) == set()
    assert failures("g3", text) == set()


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_example_needs_migration(name: str) -> None:
    assert ("$.version", "const") in failures("v0.4.0", example(name))


@pytest.mark.parametrize("name", CANONICAL)
def test_canonical_example_keeps_clear_of_reserved_ports(name: str) -> None:
    ports = [listener["port"] for listener in parse(example(name), name)["listeners"]]
    assert len(ports) == len(set(ports))
    assert not set(ports) & {9091, 9092, 9901, 10001, 11000, 12001}


def test_listener_examples_use_the_documented_ports() -> None:
    def ports(name: str) -> dict[str, int]:
        return {item["type"]: item["port"] for item in parse(example(name), name)["listeners"]}

    assert ports("listeners/model.yaml") == {"model": 12000}
    assert ports("listeners/prompt.yaml") == {"prompt": 10000, "model": 12000}
    assert ports("listeners/agent.yaml") == {"agent": 8001, "model": 12000}


# --- v0.4.0 strictness ---------------------------------------------------------------------


def test_base_document_is_valid() -> None:
    assert failures("v0.4.0", BASE) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(BASE + "tracer: {}\n", {("$", "additionalProperties")}, id="unknown-root-key"),
        pytest.param(
            BASE + "    stream: true\n", {("$.model_providers[0]", "additionalProperties")}, id="unknown-provider-key"
        ),
        pytest.param(
            BASE.replace("    port: 12000\n", "    port: 12000\n    prot: 1\n"),
            {("$.listeners[0]", "additionalProperties")},
            id="unknown-listener-key",
        ),
        pytest.param(
            BASE.replace("type: model", "type: modle"), {("$.listeners[0].type", "enum")}, id="bad-listener-type"
        ),
        pytest.param(
            BASE + "    provider_interface: claude\n",
            {("$.model_providers[0].provider_interface", "enum")},
            id="bad-provider-interface",
        ),
        pytest.param(
            BASE.replace("    port: 12000\n", ""), {("$.listeners[0]", "required")}, id="listener-without-port"
        ),
        pytest.param(BASE.replace("port: 12000", "port: 70000"), {("$.listeners[0].port", "maximum")}, id="port-range"),
        pytest.param(
            BASE.replace("model_providers:", "llm_providers:"), {("$", "additionalProperties")}, id="llm-providers"
        ),
        pytest.param(
            BASE + "    provider: openai\n", {("$.model_providers[0]", "additionalProperties")}, id="provider-key"
        ),
        pytest.param(
            BASE + "    routing_preferences: [{name: code, description: write code}]\n",
            {("$.model_providers[0]", "additionalProperties")},
            id="inline-preferences",
        ),
        pytest.param(
            BASE.replace("openai/gpt-4o", "gpt-4o"),
            {("$.model_providers[0].model", "pattern")},
            id="model-without-prefix",
        ),
        pytest.param(BASE + "mode: llm\n", {("$", "additionalProperties")}, id="mode"),
        pytest.param(BASE.replace("version: v0.4.0", "version: v0.3.0"), {("$.version", "const")}, id="old-version"),
        pytest.param(
            BASE.replace("timeout: 300s", "timeout: forever"),
            {("$.listeners[0].timeout", "pattern")},
            id="bad-duration",
        ),
        pytest.param(
            BASE.replace("timeout: 300s", "timeout: 300"),
            {("$.listeners[0].timeout", "type")},
            id="duration-without-unit",
        ),
        pytest.param(
            BASE.replace("    port: 12000\n", "    port: 12000\n    max_retries: 11\n"),
            {("$.listeners[0].max_retries", "maximum")},
            id="max-retries",
        ),
        pytest.param(
            BASE + "ratelimits:\n  - model: gpt-4o\n    selector: {key: x-team, value: research}\n"
            "    limit: {tokens: 1000, unit: week}\n",
            {("$.ratelimits[0].limit.unit", "enum")},
            id="ratelimit-unit-week",
        ),
        pytest.param(
            BASE + "ratelimits:\n  - model: gpt-4o\n    selector: {key: x-team, value: research}\n"
            "    limit: {tokens: 0, unit: minute}\n",
            {("$.ratelimits[0].limit.tokens", "minimum")},
            id="ratelimit-zero-tokens",
        ),
        pytest.param(
            BASE + "tracing:\n  random_sampling: 500\n",
            {("$.tracing.random_sampling", "maximum")},
            id="random-sampling-500",
        ),
        pytest.param(
            BASE + "endpoints:\n  svc:\n    endpoint: http://svc.internal:8080\n",
            {("$.endpoints.svc.endpoint", "pattern")},
            id="endpoint-with-scheme",
        ),
        pytest.param(
            BASE + "endpoints:\n  svc:\n    endpoint: svc.internal:8080\n    connect_timeout: soon\n",
            {("$.endpoints.svc.connect_timeout", "pattern")},
            id="endpoint-connect-timeout",
        ),
        pytest.param(
            BASE + "overrides:\n  upstream_connect_timeout: 5 seconds\n",
            {("$.overrides.upstream_connect_timeout", "pattern")},
            id="override-duration",
        ),
        pytest.param(
            BASE + "routing:\n  model: Arch-Router\n", {("$.routing", "additionalProperties")}, id="legacy-routing-key"
        ),
        pytest.param(
            BASE + "routing:\n  routing_budget: {max_overhead_pct: 10}\n",
            {("$.routing.routing_budget", "additionalProperties"), ("$.routing.routing_budget", "required")},
            id="max-overhead-pct",
        ),
        pytest.param(
            BASE + "state_storage:\n  type: postgres\n",
            {("$.state_storage", "required")},
            id="postgres-without-connection-string",
        ),
        pytest.param(
            BASE + "model_metrics_sources:\n  - {type: latency, provider: prometheus, url: http://p:9090}\n",
            {("$.model_metrics_sources[0]", "required")},
            id="latency-without-query",
        ),
        pytest.param(
            BASE + "model_metrics_sources:\n  - {type: cost_metrics, url: http://p}\n",
            {("$.model_metrics_sources[0].type", "enum")},
            id="legacy-metrics-type",
        ),
        pytest.param(
            BASE + "model_metrics_sources:\n  - {type: cost, provider: models.dev, query: x}\n",
            {("$.model_metrics_sources[0]", "additionalProperties")},
            id="cost-source-extra-key",
        ),
        pytest.param(
            "version: v0.4.0\nlisteners:\n  egress_traffic: {port: 12000}\n",
            {("$.listeners", "type")},
            id="listener-mapping",
        ),
        pytest.param("version: v0.4.0\nlisteners: []\n", {("$.listeners", "minItems")}, id="no-listeners"),
        pytest.param(
            BASE.replace("    timeout: 300s\n", "    agents:\n      - id: rag\n"),
            {("$.listeners[0].agents[0]", "required")},
            id="listener-agent-without-description",
        ),
        pytest.param(
            BASE + "filters:\n  - {id: guard, url: http://guard:80, type: rest}\n",
            {("$.filters[0].type", "enum")},
            id="filter-type-rest",
        ),
    ],
)
def test_v040_rejects(text: str, expected: set[tuple[str, str]]) -> None:
    assert failures("v0.4.0", text) == expected


def test_v040_validates_endpoints_whatever_their_key() -> None:
    text = BASE + "endpoints:\n  1svc:\n    endpoint: svc:80\n    timeout: 5s\n"
    assert failures("v0.4.0", text) == {("$.endpoints", "pattern"), ("$.endpoints['1svc']", "additionalProperties")}


@pytest.mark.parametrize("endpoint", ["svc", "svc.internal:8080", "10.0.0.7:65535", "host.docker.internal"])
def test_v040_accepts_host_and_host_port(endpoint: str) -> None:
    assert failures("v0.4.0", BASE + f"endpoints:\n  my-svc:\n    endpoint: {endpoint}\n") == set()


@pytest.mark.parametrize("duration", ["30s", "0.3s", "1.5s", "300s"])
def test_v040_accepts_envoy_durations(duration: str) -> None:
    assert failures("v0.4.0", BASE.replace("timeout: 300s", f"timeout: {duration}")) == set()


@pytest.mark.parametrize("duration", ["300ms", "5m", "1h", "30sec", "s"])
def test_v040_rejects_durations_envoy_cannot_read(duration: str) -> None:
    # Envoy parses durations as protobuf JSON, which only takes seconds.
    assert failures("v0.4.0", BASE.replace("timeout: 300s", f"timeout: {duration}")) == {
        ("$.listeners[0].timeout", "pattern")
    }


def test_v040_overrides_stay_open_but_typed() -> None:
    assert failures("v0.4.0", BASE + "overrides:\n  some_future_knob: 3\n") == set()
    assert failures("v0.4.0", BASE + "overrides:\n  use_agent_orchestrator: yes please\n") == {
        ("$.overrides.use_agent_orchestrator", "type")
    }


# --- legacy generations --------------------------------------------------------------------

# Keys the documentation of G1/G2 showed although the schema of the time rejected them.
_DOCS_KEYS_REST = """\
llm_providers:
  - name: gpt-4o
    provider: openai
    model: gpt-4o
    stream: true
    port: 443
    rate_limits:
      selector: {http_header: {name: x-user, value: alice}}
      limit: {tokens: 1000, unit: minute}
prompt_guards:
  input_guards:
    jailbreak:
      on_exception:
        message: Not allowed.
        forward_to_error_target: true
        error_handler: errors
tracing:
  sampling_rate: 0.1
"""
G1_DOCS_KEYS = (
    """\
version: v0.1
error_target:
  endpoint: {name: errors, path: /error}
listener:
  address: 0.0.0.0
  port: 10000
  common_tls_context: {tls_certificates: []}
"""
    + _DOCS_KEYS_REST
)
G2_DOCS_KEYS = (
    """\
version: v0.1
error_target:
  endpoint: {name: errors, path: /error}
listeners:
  ingress_traffic:
    address: 0.0.0.0
    port: 10000
    common_tls_context: {tls_certificates: []}
"""
    + _DOCS_KEYS_REST
)


def test_g1_accepts_the_docs_only_keys() -> None:
    assert failures("g1", G1_DOCS_KEYS) == set()


def test_g2_accepts_the_docs_only_keys() -> None:
    assert failures("g2", G2_DOCS_KEYS) == set()


def test_docs_only_keys_are_still_rejected_by_v040() -> None:
    assert failures("v0.4.0", G2_DOCS_KEYS) == {
        ("$", "additionalProperties"),  # error_target, llm_providers
        ("$.version", "const"),
        ("$.listeners", "type"),
        ("$.prompt_guards.input_guards.jailbreak.on_exception", "additionalProperties"),
        ("$.tracing", "additionalProperties"),
    }


@pytest.mark.parametrize(
    ("schema", "text", "expected"),
    [
        pytest.param("g1", G1_DOCS_KEYS + "routing: {model: x}\n", {("$", "additionalProperties")}, id="g1-routing"),
        pytest.param(
            "g1",
            G1_DOCS_KEYS.replace("    stream: true", "    provider_interface: claude"),
            {("$.llm_providers[0].provider_interface", "enum")},
            id="g1-claude",
        ),
        pytest.param(
            "g1",
            G1_DOCS_KEYS.replace("    model: gpt-4o\n", "    modle: gpt-4o\n"),
            {("$.llm_providers[0]", "additionalProperties"), ("$.llm_providers[0]", "required")},
            id="g1-provider-typo",
        ),
        pytest.param(
            "g1", G1_DOCS_KEYS.replace("  port: 10000\n", ""), {("$.listener", "required")}, id="g1-listener-port"
        ),
        pytest.param(
            "g2",
            "version: v0.1\nllm_providers:\n  - access_key: $OPENAI_API_KEY\n",
            {("$.llm_providers[0]", "anyOf")},
            id="g2-provider-without-name-or-model",
        ),
        pytest.param(
            "g2",
            "version: v0.1\nllm_providers:\n  - {name: a, model: gpt-4o, provider_interface: plano}\n",
            {("$.llm_providers[0].provider_interface", "enum")},
            id="g2-plano-interface",
        ),
        pytest.param(
            "g2",
            "version: v0.1\nllm_providers: []\nlisteners:\n  - {name: m, type: model}\n",
            {("$.listeners", "type")},
            id="g2-list-listeners",
        ),
        pytest.param(
            "g3",
            "version: v0.3.0\nlisteners:\n  - {name: m, type: model, prot: 1}\n",
            {("$.listeners[0]", "additionalProperties")},
            id="g3-listener-typo",
        ),
        pytest.param(
            "g3",
            "version: v0.3.0\nlisteners: []\nmodel_providers:\n  - {model: openai/gpt-4o, usage: x}\n",
            {("$.model_providers[0]", "additionalProperties")},
            id="g3-provider-usage",
        ),
        pytest.param(
            "g3",
            "version: v0.3.0\nlisteners: []\nrouting:\n  routing_budget: {cache_read_discount: 0.1}\n",
            {("$.routing.routing_budget", "anyOf")},
            id="g3-budget-without-percent",
        ),
        pytest.param(
            "g3",
            "version: v0.3.0\nlisteners: []\nerror_target: {}\n",
            {("$", "additionalProperties")},
            id="g3-error-target",
        ),
    ],
)
def test_legacy_schema_rejects(schema: str, text: str, expected: set[tuple[str, str]]) -> None:
    assert failures(schema, text) == expected


G3_DEPRECATED_FORMS = """\
version: v0.2.0
mode: llm
listeners:
  - name: gateway
    type: model
    port: 12000
    message_format: openai
    model_providers:
      - model: openai/gpt-4o
        provider_interface: claude
        routing_preferences:
          - {name: code, description: write code}
  - name: agents
    type: agent
    port: 8001
    agents:
      - id: rag
        filter_chain: [rewriter]
agents:
  - {id: rag, url: "http://rag:80", kind: agent, notes: free-form keys were accepted}
  - {id: rewriter, url: "http://rewriter:80"}
filters:
  - {id: guard, url: "http://guard:80", type: rest}
routing:
  model: Arch-Router
  llm_provider: arch-router
  model_provider: arch-router
  routing_budget: {max_overhead_pct: 20}
tracing:
  sampling_rate: 0.25
model_metrics_sources:
  - {type: cost_metrics, url: "http://costs:8080/prices"}
  - {type: prometheus_metrics, url: "http://prom:9090", query: up}
  - {type: digitalocean_pricing, refresh_interval: 600}
"""


def test_g3_accepts_every_deprecated_list_era_form() -> None:
    assert failures("g3", G3_DEPRECATED_FORMS) == set()


def test_g3_accepts_the_legacy_listener_mapping_with_model_providers() -> None:
    text = (
        "version: v0.2.0\nlisteners:\n  egress_traffic: {address: 0.0.0.0, port: 12000, message_format: openai}\n"
        "model_providers:\n  - model: openai/gpt-4o\n"
    )
    assert failures("g3", text) == set()
    assert failures("g3", text.replace("message_format: openai", "message_format: json")) == {
        ("$.listeners.egress_traffic.message_format", "enum")
    }
