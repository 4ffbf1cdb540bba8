"""The migrate stage as a whole: step order, purity, idempotence, canonical output, positions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planoai_cli.diagnostics import Severity
from planoai_cli.loader import parse
from planoai_cli.migrate import STEPS, Migrated, migrate, misc
from planoai_cli.tree import YMap, locate, plain

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "config_schema" / "v0.4.0.schema.json"
EXAMPLES = sorted((REPO / "examples" / "generations").glob("*.yaml"))

G1 = """\
version: "0.1-beta"
listener:
  address: 127.0.0.1
  port: 8080
  message_format: huggingface
  common_tls_context: {}
mode: llm
llm_providers:
  - name: gpt-4o
    provider: openai
    access_key: $OPENAI_API_KEY
    model: gpt-4o
    default: true
    stream: true
  - name: local
    provider: local_llm
    model: llama3
  - name: hosted
    provider_interface: openai
    model: qwen
    endpoint: "llm.example.com:443"
    protocol: https
    rate_limits:
      selector: {http_header: {name: x-team, value: blue}}
      limit: {tokens: 1000, unit: minute}
endpoints:
  local_llm:
    endpoint: "host.docker.internal:11434"
  api:
    endpoint: "api.internal:8080"
prompt_targets:
  - name: fallback
    description: Everything else.
    default: true
    endpoint: {name: api, path: /fallback}
  - name: weather
    description: Weather.
    parameters:
      - {name: days, description: Days ahead., type: number}
    endpoint: {name: api, path: /weather}
prompt_guards:
  input_guards:
    jailbreak:
      on_exception:
        message: Not allowed.
        forward_to_error_target: true
error_target:
  name: errors
ratelimits:
  - model: gpt-4o
    selector: {key: x-team, value: red}
    limit: {tokens: 100, unit: minute}
tracing:
  sampling_rate: 0.25
"""

G2A = """\
version: v0.1
listeners:
  ingress_traffic:
    port: 10000
    message_format: openai
  egress_traffic:
    address: 0.0.0.0
    port: 12000
    timeout: 30s
llm_providers:
  - name: reasoning
    provider_interface: openai
    access_key: $OPENAI_API_KEY
    model: gpt-4o
    usage: Complex reasoning and planning.
  - name: chat
    provider_interface: openai
    access_key: $OPENAI_API_KEY
    model: gpt-4o
    default: true
    usage: General conversation.
  - name: claude
    provider_interface: claude
    access_key: $ANTHROPIC_API_KEY
    model: claude-3-5-sonnet
    usage: Long documents.
  - name: vllm
    provider_interface: openai
    model: meta-llama/Llama-3-8b
    endpoint: "vllm.internal:8000"
  - name: router
    provider_interface: openai
    model: my-router
    base_url: http://router.internal:9000
routing:
  llm_provider: router
  model: Arch-Router
prompt_targets:
  - name: search
    description: Search.
overrides:
  prompt_target_intent_matching_threshold: 0.7
"""

G2B = """\
version: v0.1.0
listeners:
  egress_traffic:
    port: 12000
    message_format: openai
llm_providers:
  - model: openai/gpt-4o-mini
    access_key: $OPENAI_API_KEY
    default: true
  - name: coder
    model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    routing_preferences:
      - name: code generation
        description: Write new code.
  - model: claude/claude-3-7-sonnet
    access_key: $ANTHROPIC_API_KEY
    routing_preferences:
      - name: code generation
        description: Generate code.
      - name: long documents
        description: Summarise long documents.
  - model: arch/Arch-Function
  - model: local/qwen-coder
    provider_interface: openai
    base_url: http://host.docker.internal:11434
model_aliases:
  smart: {target: claude/claude-3-7-sonnet}
routing:
  llm_provider: arch-router
ratelimits:
  - model: openai/gpt-4o
    selector: {key: x-user, value: u}
    limit: {tokens: 10, unit: hour}
"""

G3A = """\
version: v0.3.0
agents:
  - id: rag_agent
    url: http://host.docker.internal:10505
    kind: agent
  - id: query_rewriter
    url: http://host.docker.internal:10501
    kind: filter
listeners:
  - type: agent
    name: assistant
    port: 8001
    agents:
      - id: rag_agent
        description: Answers policy questions.
        filter_chain: [query_rewriter]
  - type: model
    name: llm
    port: 12500
    message_format: openai
    model_providers:
      - model: openai/gpt-4o
        access_key: $OPENAI_API_KEY
        routing_preferences:
          - {name: chat, description: General chat.}
      - model: groq/llama-3.3-70b
        access_key: $GROQ_API_KEY
  - type: prompt
    name: prompts
routing:
  model_provider: openai/gpt-4o
  routing_budget: {max_overhead_pct: 10}
tracing:
  random_sampling: 20
  trace_arch_internal: false
"""

DOCUMENTS = {"g1": G1, "g2a": G2A, "g2b": G2B, "g3a": G3A}


def migrated(text: str) -> Migrated:
    return migrate(parse(text, "config.yaml"))


def codes(result: Migrated, severity: Severity) -> list[str]:
    return [d.code for d in result.diagnostics if d.severity is severity]


def snapshot(node: Any) -> Any:
    """Values plus every position record, to prove a step left its input exactly as it was."""
    if isinstance(node, dict):
        return (
            getattr(node, "mark", None),
            getattr(node, "origin", None),
            dict(getattr(node, "slots", {})),
            {k: snapshot(v) for k, v in node.items()},
        )
    if isinstance(node, list):
        return (
            getattr(node, "mark", None),
            getattr(node, "origin", None),
            list(getattr(node, "slots", [])),
            [snapshot(v) for v in node],
        )
    return node


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_the_version_is_set_by_the_last_step() -> None:
    assert STEPS[-1] is misc.set_version
    assert len(set(STEPS)) == len(STEPS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_no_step_changes_its_input(name: str) -> None:
    doc: YMap = parse(DOCUMENTS[name], "config.yaml")
    for step in STEPS:
        before = copy.deepcopy(doc)
        after, _ = step(doc)
        assert snapshot(doc) == snapshot(before), step.__name__
        doc = after


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_of_each_generation_become_valid_v040(name: str, validator: jsonschema.Draft202012Validator) -> None:
    result = migrated(DOCUMENTS[name])
    assert codes(result, Severity.ERROR) == []
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(plain(result.doc))]
    assert problems == []
    assert result.doc["version"] == "v0.4.0"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_migrating_twice_changes_nothing_more(name: str) -> None:
    once = migrated(DOCUMENTS[name])
    twice = migrate(once.doc)
    assert plain(twice.doc) == plain(once.doc)
    assert codes(twice, Severity.NOTICE) == []
    assert codes(twice, Severity.ERROR) == []
    # Inert-but-kept features keep being reported on every run.
    assert set(codes(twice, Severity.WARNING)) <= {"migrate.prompt-guards", "migrate.inert-key"}


def test_g1_document_in_full() -> None:
    result = migrated(G1)
    doc = plain(result.doc)
    assert doc["listeners"] == [
        {"type": "prompt", "name": "ingress_traffic", "address": "0.0.0.0", "port": 10000},
        {"type": "model", "name": "egress_traffic", "address": "0.0.0.0", "port": 12000},
    ]
    assert doc["model_providers"] == [
        {"name": "gpt-4o", "access_key": "$OPENAI_API_KEY", "model": "openai/gpt-4o", "default": True},
        {"name": "local", "model": "openai/llama3", "base_url": "http://host.docker.internal:11434"},
        {"name": "hosted", "model": "openai/qwen", "base_url": "https://llm.example.com"},
    ]
    assert doc["prompt_targets"][0]["auto_llm_dispatch_on_response"] is False
    assert doc["prompt_targets"][1]["parameters"][0]["type"] == "float"
    assert doc["prompt_guards"] == {"input_guards": {"jailbreak": {"on_exception": {"message": "Not allowed."}}}}
    assert doc["tracing"] == {"random_sampling": 25}
    assert "mode" not in doc
    assert "error_target" not in doc
    assert codes(result, Severity.WARNING) == [
        "migrate.provider-model",
        "migrate.listener-ignored",
        "migrate.parameter-type",
        "migrate.prompt-guards",
        "migrate.sampling-rate",
    ]
    assert not any("$OPENAI_API_KEY" in d.message or "blue" in d.message for d in result.diagnostics)


def test_g2a_document_in_full() -> None:
    doc = plain(migrated(G2A).doc)
    assert doc["model_providers"] == [
        {"name": "chat", "access_key": "$OPENAI_API_KEY", "model": "openai/gpt-4o", "default": True},
        {"name": "claude", "access_key": "$ANTHROPIC_API_KEY", "model": "anthropic/claude-3-5-sonnet"},
        {"name": "vllm", "model": "openai/meta-llama/Llama-3-8b", "base_url": "http://vllm.internal:8000"},
        {"name": "router", "model": "openai/my-router", "base_url": "http://router.internal:9000"},
    ]
    assert doc["routing_preferences"] == [
        {"name": "reasoning", "description": "Complex reasoning and planning.", "models": ["chat"]},
        {"name": "chat", "description": "General conversation.", "models": ["chat"]},
        {"name": "claude", "description": "Long documents.", "models": ["claude"]},
    ]
    assert doc["overrides"] == {"prompt_target_intent_matching_threshold": 0.7, "llm_routing_model": "openai/my-router"}
    assert "routing" not in doc
    assert doc["listeners"][1] == {"type": "prompt", "name": "ingress_traffic", "address": "0.0.0.0", "port": 10000}


def test_g2b_document_in_full() -> None:
    doc = plain(migrated(G2B).doc)
    assert doc["model_providers"] == [
        {"model": "openai/gpt-4o-mini", "access_key": "$OPENAI_API_KEY", "default": True},
        {"name": "coder", "model": "openai/gpt-4o", "access_key": "$OPENAI_API_KEY"},
        {
            "model": "anthropic/claude-3-7-sonnet",
            "access_key": "$ANTHROPIC_API_KEY",
            "name": "claude/claude-3-7-sonnet",
        },
        {"model": "local/qwen-coder", "provider_interface": "openai", "base_url": "http://host.docker.internal:11434"},
    ]
    assert doc["routing_preferences"] == [
        {"name": "code generation", "description": "Write new code.", "models": ["coder", "claude/claude-3-7-sonnet"]},
        {"name": "long documents", "description": "Summarise long documents.", "models": ["claude/claude-3-7-sonnet"]},
    ]
    assert doc["model_aliases"] == {"smart": {"target": "anthropic/claude-3-7-sonnet"}}
    assert doc["ratelimits"][0]["model"] == "gpt-4o"
    assert "routing" not in doc


def test_g3a_document_in_full() -> None:
    doc = plain(migrated(G3A).doc)
    assert list(doc) == [
        "version",
        "agents",
        "filters",
        "listeners",
        "model_providers",
        "routing",
        "tracing",
        "routing_preferences",
    ]
    assert doc["filters"] == [{"id": "query_rewriter", "url": "http://host.docker.internal:10501", "type": "http"}]
    assert doc["listeners"][0]["agents"][0]["input_filters"] == ["query_rewriter"]
    assert doc["listeners"][1] == {"type": "model", "name": "llm", "port": 12500}
    # A routing budget (0.4.28+) means the legacy router key was already read by nothing: dropped, not moved.
    assert doc["routing"] == {"routing_budget": {"max_switch_spend_pct": 10}}
    assert "overrides" not in doc
    assert doc["routing_preferences"] == [{"name": "chat", "description": "General chat.", "models": ["openai/gpt-4o"]}]


def test_a_moved_provider_still_reports_the_users_line_and_path() -> None:
    doc = migrated(G1).doc
    location = locate(doc, ("model_providers", 1, "model"))
    assert location.path == ("llm_providers", 1, "model")
    assert location.mark is not None
    assert location.mark.line == 17
    nested = locate(migrated(G3A).doc, ("model_providers", 1, "access_key"))
    assert nested.path == ("listeners", 1, "model_providers", 1, "access_key")
    assert nested.mark is not None
    assert nested.mark.line == 27


def test_refusals_leave_the_entry_as_written_and_the_rest_migrated() -> None:
    result = migrated(G1.replace("provider: local_llm", "provider: local"))
    assert codes(result, Severity.ERROR) == ["migrate.provider-unknown"]
    error = next(d for d in result.diagnostics if d.severity is Severity.ERROR)
    assert (error.path, error.line) == ("llm_providers[1].provider", 16)
    providers = plain(result.doc)["model_providers"]
    assert providers[1] == {"name": "local", "provider": "local", "model": "llama3"}
    assert providers[0]["model"] == "openai/gpt-4o"
    assert result.doc["version"] == "v0.4.0"


def test_a_canonical_file_needs_nothing() -> None:
    text = (
        "version: v0.4.0\nlisteners:\n  - {type: model, name: llm, port: 12000}\nmodel_providers:\n"
        "  - model: openai/gpt-4o\n"
    )
    doc = parse(text, "config.yaml")
    result = migrate(doc)
    assert result.diagnostics == ()
    assert plain(result.doc) == plain(doc)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_shipped_examples_migrate_cleanly(path: Path, validator: jsonschema.Draft202012Validator) -> None:
    result = migrated(path.read_text(encoding="utf-8"))
    assert codes(result, Severity.ERROR) == []
    assert [e.message for e in validator.iter_errors(plain(result.doc))] == []
    assert codes(migrate(result.doc), Severity.NOTICE) == []


KEYS = [
    "version",
    "listener",
    "listeners",
    "llm_providers",
    "model_providers",
    "routing",
    "overrides",
    "agents",
    "filters",
    "endpoints",
    "prompt_targets",
    "prompt_guards",
    "ratelimits",
    "tracing",
    "model_aliases",
    "routing_preferences",
    "model_metrics_sources",
    "mode",
    "error_target",
    "name",
    "type",
    "model",
    "provider",
    "provider_interface",
    "endpoint",
    "protocol",
    "port",
    "usage",
    "base_url",
    "default",
    "filter_chain",
    "input_filters",
    "ingress_traffic",
    "egress_traffic",
    "llm_provider",
    "model_provider",
    "sampling_rate",
    "random_sampling",
    "routing_budget",
    "max_overhead_pct",
    "id",
    "url",
    "kind",
    "input_guards",
    "jailbreak",
    "on_exception",
    "forward_to_error_target",
    "parameters",
    "target",
    "rate_limits",
    "description",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 20000),
    st.floats(0, 2),
    st.sampled_from(
        [
            "openai",
            "arch",
            "claude",
            "local",
            "gpt-4o",
            "openai/gpt-4o",
            "arch/Arch-Router",
            "claude/c",
            "x/y/z",
            "openai/*",
            "model",
            "agent",
            "prompt",
            "rest",
            "number",
            "h:8000",
            "http://h/v2",
            "Arch-Router",
            "cost_metrics",
            "prometheus_metrics",
        ]
    ),
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=30,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), TREES, max_size=8))
def test_any_document_migrates_without_crashing_or_changing_its_input(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data)
    doc = parse(text, "config.yaml")
    before = copy.deepcopy(doc)
    result = migrate(doc)
    assert snapshot(doc) == snapshot(before)
    assert result.doc["version"] == "v0.4.0"
