"""Semantic checks on providers: identity (names, models, defaults, reserved names) and upstreams."""

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
"""  # six lines: the first provider item below is on line 7


def found(body: str, code: str) -> list[Diagnostic]:
    return [d for d in check(build(parse(HEADER + dedent(body), "x.yaml"))) if d.code == code]


def brief(body: str, code: str) -> list[tuple[str, str, int | None]]:
    return [(d.message, d.path, d.line) for d in found(body, code)]


# --- identity ----------------------------------------------------------------------------------------


def test_duplicate_explicit_name() -> None:
    body = """\
        - name: fast
          model: openai/gpt-4o-mini
        - name: fast
          model: anthropic/claude-haiku-4
        """
    assert brief(body, "check.duplicate-provider-name") == [
        ("provider name 'fast' is already used by model_providers[0] (line 7)", "model_providers[1].name", 9)
    ]


def test_duplicate_defaulted_name_is_caught() -> None:
    body = """\
        - name: openai/gpt-4o
          model: azure_openai/gpt-4o-prod
          base_url: https://team.openai.azure.com
        - model: openai/gpt-4o
        """
    got = found(body, "check.duplicate-provider-name")
    assert [(d.message, d.path, d.line) for d in got] == [
        (
            "provider 'openai/gpt-4o' has no `name`, so it is named after its model, and that name is already used "
            "by model_providers[0] (line 7)",
            "model_providers[1].model",
            10,
        )
    ]
    assert got[0].hint == (
        "give each provider a distinct `name` (clients and routing preferences select providers by it)"
    )


def test_distinct_names_pass() -> None:
    body = """\
        - name: fast
          model: openai/gpt-4o-mini
        - model: openai/gpt-4o
        """
    assert found(body, "check.duplicate-provider-name") == []


def test_duplicate_model_is_reported_once() -> None:
    body = """\
        - model: openai/gpt-4o
        - model: openai/gpt-4o
        """
    assert brief(body, "check.duplicate-model") == [
        ("model 'openai/gpt-4o' is already configured at model_providers[0] (line 7)", "model_providers[1].model", 8)
    ]
    assert found(body, "check.duplicate-provider-name") == []
    assert found(body, "check.duplicate-model-id") == []


def test_different_models_pass() -> None:
    assert found("- model: openai/gpt-4o\n- model: openai/gpt-4o-mini\n", "check.duplicate-model") == []


def test_duplicate_model_id_across_prefixes() -> None:
    body = """\
        - model: openai/gpt-4o
        - model: azure_openai/gpt-4o
          base_url: https://team.openai.azure.com
        """
    assert brief(body, "check.duplicate-model-id") == [
        (
            "model id 'gpt-4o' of 'azure_openai/gpt-4o' is also the id of 'openai/gpt-4o' at model_providers[0] "
            "(line 7)",
            "model_providers[1].model",
            8,
        )
    ]


def test_gateway_id_equal_to_another_full_model_is_allowed() -> None:
    # Upstream rejected this pair (bug 22); the bare ids differ, so nothing is ambiguous.
    body = """\
        - model: openai/gpt-4o
        - model: openrouter/openai/gpt-4o
          base_url: https://openrouter.ai/api/v1
        - model: anthropic/*
        - model: xai/*
        """
    assert found(body, "check.duplicate-model-id") == []


def test_two_defaults_name_both_places() -> None:
    body = """\
        - model: openai/gpt-4o
          default: true
        - model: anthropic/claude-sonnet-4
          default: true
        """
    got = found(body, "check.multiple-defaults")
    assert [(d.message, d.path, d.line) for d in got] == [
        (
            "model provider 'anthropic/claude-sonnet-4' is marked default, but so is 'openai/gpt-4o' at "
            "model_providers[0].default (line 8); only one provider can be the default",
            "model_providers[1].default",
            10,
        )
    ]


def test_one_default_passes() -> None:
    body = """\
        - model: openai/gpt-4o
          default: true
        - model: anthropic/claude-sonnet-4
          default: false
        """
    assert found(body, "check.multiple-defaults") == []


def test_wildcard_default() -> None:
    got = found("- model: openai/*\n  default: true\n", "check.wildcard-default")
    assert [(d.message, d.path, d.line) for d in got] == [
        ("model provider 'openai/*' is a wildcard and cannot be the default", "model_providers[0].default", 8)
    ]
    assert got[0].hint == (
        "add an entry for one concrete model (e.g. `model: openai/<model id>`) and make it the default instead"
    )
    assert found("- model: openai/gpt-4o\n  default: true\n", "check.wildcard-default") == []


ROUTED = """\
- name: plano-orchestrator
  model: openai/gpt-4o
routing_preferences:
  - name: code
    description: writes code
    models: [plano-orchestrator]
"""


def test_router_name_collides_when_plano_adds_its_own() -> None:
    got = found(ROUTED, "check.reserved-provider-name")
    assert [(d.message, d.path, d.line) for d in got] == [
        (
            "provider name 'plano-orchestrator' is reserved: Plano adds its own 'plano-orchestrator' provider "
            "(model 'Plano-Orchestrator') because routing preferences are configured",
            "model_providers[0].name",
            7,
        )
    ]
    assert got[0].hint is not None
    assert "overrides.llm_routing_model" in got[0].hint


def test_router_name_is_fine_when_the_provider_serves_the_router_model() -> None:
    body = ROUTED.replace("openai/gpt-4o", "plano/Plano-Orchestrator\n  base_url: http://router:8000")
    assert found(body, "check.reserved-provider-name") == []
    no_preferences = ROUTED.split("routing_preferences", maxsplit=1)[0]
    assert found(no_preferences, "check.reserved-provider-name") == []


def test_agent_orchestrator_defaulted_name_collides() -> None:
    body = "- model: plano/orchestrator\n  base_url: http://orch:8000\n"
    assert brief(body, "check.reserved-provider-name") == [
        (
            "provider name 'plano/orchestrator' is reserved: Plano adds its own 'plano/orchestrator' provider "
            "(model 'Plano-Orchestrator') for agent orchestration",
            "model_providers[0].model",
            7,
        )
    ]
    serving = body + "overrides:\n  agent_orchestration_model: plano/orchestrator\n"
    assert found(serving, "check.reserved-provider-name") == []


def test_arch_function_name_warns() -> None:
    body = "- name: arch-function\n  model: plano/Arch-Function\n  base_url: http://fc:8000\n"
    got = found(body, "check.internal-provider-override")
    assert [(d.severity, d.message, d.path, d.line) for d in got] == [
        (
            Severity.WARNING,
            "provider 'arch-function' replaces Plano's built-in function-calling model used by prompt targets",
            "model_providers[0].name",
            7,
        )
    ]
    assert found(body.replace("arch-function", "arch-functions"), "check.internal-provider-override") == []


# --- upstreams ---------------------------------------------------------------------------------------


def test_base_url_required() -> None:
    got = found("- model: ollama/llama3\n", "check.base-url-required")
    assert [(d.message, d.path, d.line, d.hint) for d in got] == [
        (
            "model provider 'ollama/llama3': 'ollama' models have no public default upstream, so base_url is required",
            "model_providers[0].base_url",
            7,
            "add `base_url: http://host.docker.internal:11434` (Ollama running on this machine)",
        )
    ]
    body = "- model: ollama/llama3\n  base_url: http://host.docker.internal:11434\n"
    assert found(body, "check.base-url-required") == []


def test_unsupported_prefix_needs_base_url_and_interface() -> None:
    got = found("- model: opneai/gpt-4o\n", "check.custom-provider-incomplete")
    assert [(d.message, d.path, d.line, d.hint) for d in got] == [
        (
            "model provider 'opneai/gpt-4o': 'opneai' is not a built-in provider, so it needs base_url and "
            "provider_interface (missing: base_url, provider_interface)",
            "model_providers[0].model",
            7,
            "did you mean 'openai'?",
        )
    ]
    half = "- model: my-llm/x\n  base_url: http://llm:8000\n"
    assert [d.message for d in found(half, "check.custom-provider-incomplete")] == [
        "model provider 'my-llm/x': 'my-llm' is not a built-in provider, so it needs base_url and "
        "provider_interface (missing: provider_interface)"
    ]
    full = half + "  provider_interface: openai\n"
    assert found(full, "check.custom-provider-incomplete") == []


def test_base_url_with_a_variable_gets_a_specific_hint() -> None:
    got = found("- model: ollama/llama3\n  base_url: $OLLAMA_URL\n", "check.base-url-invalid")
    assert [(d.message, d.path, d.line) for d in got] == [
        ("model provider 'ollama/llama3': base_url uses an environment variable", "model_providers[0].base_url", 8)
    ]
    assert got[0].hint == (
        "base_url is parsed before variables are substituted: write the URL itself (keep secrets "
        "in access_key or headers)"
    )


def test_base_url_scheme_and_port() -> None:
    body = """\
        - model: ollama/a
          base_url: ftp://models.local/x?token=abc
        - model: ollama/b
          base_url: http://models.local:99999
        - model: ollama/c
          base_url: https://models.local:8443/v1
        """
    assert brief(body, "check.base-url-invalid") == [
        (
            "model provider 'ollama/a': base_url 'ftp://models.local/x' must start with http:// or https://",
            "model_providers[0].base_url",
            8,
        ),
        (
            "model provider 'ollama/b': base_url 'http://models.local:99999' has an invalid port",
            "model_providers[1].base_url",
            10,
        ),
    ]


def test_gateway_prefix_without_base_url_has_no_cluster() -> None:
    got = found("- model: openrouter/anthropic/claude-sonnet-4\n", "check.no-builtin-cluster")
    assert [(d.message, d.path, d.line) for d in got] == [
        (
            "model provider 'openrouter/anthropic/claude-sonnet-4': Plano has no built-in upstream for 'openrouter', "
            "so requests would go to a cluster that does not exist",
            "model_providers[0].base_url",
            7,
        )
    ]
    body = """\
        - model: openrouter/anthropic/claude-sonnet-4
          base_url: https://openrouter.ai/api/v1
        - model: chatgpt/gpt-5
        - model: openai/gpt-4o
        """
    assert found(body, "check.no-builtin-cluster") == []


def test_providers_sharing_a_cluster_must_agree_on_http_host() -> None:
    body = """\
        - model: ollama/a
          base_url: http://box:11434
          http_host: a.internal
        - model: ollama/b
          base_url: http://box:11434/v1
          http_host: b.internal
        """
    assert brief(body, "check.shared-cluster-conflict") == [
        (
            "model provider 'ollama/b' shares the upstream cluster 'ollama_box' with 'ollama/a' at model_providers[0] "
            "(line 7) but sets a different http_host",
            "model_providers[1].http_host",
            12,
        )
    ]
    assert found(body.replace("b.internal", "a.internal"), "check.shared-cluster-conflict") == []


def test_passthrough_with_access_key_warns() -> None:
    body = "- model: openai/gpt-4o\n  passthrough_auth: true\n  access_key: $OPENAI_API_KEY\n"
    got = found(body, "check.passthrough-with-key")
    assert [(d.severity, d.message, d.path, d.line) for d in got] == [
        (
            Severity.WARNING,
            "model provider 'openai/gpt-4o' sets both passthrough_auth and access_key; with "
            "passthrough_auth the client's own credential is forwarded",
            "model_providers[0].access_key",
            9,
        )
    ]
    assert found("- model: openai/gpt-4o\n  passthrough_auth: true\n", "check.passthrough-with-key") == []


def test_literal_access_key_warns_without_echoing_it() -> None:
    body = "- model: openai/gpt-4o\n  access_key: sk-proj-SECRET123\n"
    got = found(body, "check.literal-secret")
    assert [(d.severity, d.message, d.path, d.line, d.hint) for d in got] == [
        (
            Severity.WARNING,
            "model provider 'openai/gpt-4o': access_key looks like a literal key; move it to an environment variable",
            "model_providers[0].access_key",
            8,
            "write `access_key: $OPENAI_API_KEY` and put the key in .env or your environment",
        )
    ]
    every_text = " ".join(f"{d.message} {d.hint}" for d in check(build(parse(HEADER + body, "x.yaml"))))
    assert "SECRET123" not in every_text


def test_referenced_access_keys_pass() -> None:
    body = """\
        - model: openai/gpt-4o
          access_key: $OPENAI_API_KEY
        - model: anthropic/claude-sonnet-4
          access_key: Bearer ${ANTHROPIC_KEY}
        """
    assert found(body, "check.literal-secret") == []
