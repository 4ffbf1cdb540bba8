"""Semantic checks on references: aliases, routing preferences, listener filters and agents, endpoints, limits."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

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
  - name: claude
    model: anthropic/claude-sonnet-4
  - model: openai/gpt-4o
  - model: xai/*
"""  # ten lines: snippets below start on line 11


def found(body: str, code: str, header: str = HEADER) -> list[Diagnostic]:
    return [d for d in check(build(parse(header + dedent(body), "x.yaml"))) if d.code == code]


def brief(body: str, code: str, header: str = HEADER) -> list[tuple[str, str, int | None, str | None]]:
    return [(d.message, d.path, d.line, d.hint) for d in found(body, code, header)]


# --- model_aliases -----------------------------------------------------------------------------------


def test_alias_to_an_unknown_model_suggests_the_closest() -> None:
    body = "model_aliases:\n  fast:\n    target: gpt-4\n"
    assert brief(body, "check.unknown-alias-target") == [
        (
            "model alias 'fast' points to 'gpt-4', which is not a configured model",
            "model_aliases.fast.target",
            13,
            "did you mean 'gpt-4o'?",
        )
    ]


def test_alias_far_from_any_model_lists_the_configured_ones() -> None:
    body = "model_aliases:\n  fast:\n    target: llama\n"
    assert [d.hint for d in found(body, "check.unknown-alias-target")] == [
        "configured models: 'anthropic/claude-sonnet-4', 'claude-sonnet-4', 'gpt-4o', 'openai/gpt-4o'"
    ]


def test_alias_to_a_provider_name_points_at_its_model() -> None:
    body = "model_aliases:\n  smart:\n    target: claude\n"
    assert brief(body, "check.unknown-alias-target") == [
        (
            "model alias 'smart' points to 'claude', which is not a configured model",
            "model_aliases.smart.target",
            13,
            "'claude' is a provider name; aliases point at models: use 'anthropic/claude-sonnet-4'",
        )
    ]


def test_alias_targets_full_models_bare_ids_and_wildcard_covered_models() -> None:
    body = """\
        model_aliases:
          a: {target: anthropic/claude-sonnet-4}
          b: {target: claude-sonnet-4}
          c: {target: gpt-4o}
          d: {target: xai/grok-4}
        """
    assert found(body, "check.unknown-alias-target") == []


def test_wildcard_itself_is_not_an_alias_target() -> None:
    body = "model_aliases:\n  any:\n    target: xai/*\n"
    assert [d.path for d in found(body, "check.unknown-alias-target")] == ["model_aliases.any.target"]


# --- routing_preferences -----------------------------------------------------------------------------


def test_preference_model_covered_only_by_a_wildcard() -> None:
    body = """\
        routing_preferences:
          - name: code
            description: writes code
            models: [claude, xai/grok-4]
        """
    assert brief(body, "check.unknown-preference-model") == [
        (
            "routing preference 'code' lists 'xai/grok-4', which is not a configured provider",
            "routing_preferences[0].models[1]",
            14,
            "wildcards do not cover routing preferences: add an entry `model: xai/grok-4` under model_providers",
        )
    ]


def test_preference_model_typo_suggests_a_provider() -> None:
    body = """\
        routing_preferences:
          - name: code
            description: writes code
            models:
              - openai/gpt-4
        """
    assert brief(body, "check.unknown-preference-model") == [
        (
            "routing preference 'code' lists 'openai/gpt-4', which is not a configured provider",
            "routing_preferences[0].models[0]",
            15,
            "did you mean 'openai/gpt-4o'?",
        )
    ]


def test_preference_models_by_name_full_model_or_bare_id_pass() -> None:
    body = """\
        routing_preferences:
          - name: code
            description: writes code
            models: [claude, anthropic/claude-sonnet-4, openai/gpt-4o, gpt-4o]
        """
    assert found(body, "check.unknown-preference-model") == []


def test_duplicate_preference_name() -> None:
    body = """\
        routing_preferences:
          - name: code
            description: writes code
            models: [claude]
          - name: code
            description: reviews code
            models: [gpt-4o]
        """
    assert brief(body, "check.duplicate-preference-name") == [
        (
            "routing preference 'code' is already defined at routing_preferences[0] (line 12)",
            "routing_preferences[1].name",
            15,
            "merge the two entries' models into one, or rename one of them",
        )
    ]
    renamed = "- name: review".join(body.rsplit("- name: code", 1))
    assert found(renamed, "check.duplicate-preference-name") == []


# --- listeners: filters and agents -------------------------------------------------------------------

LISTENERS = """\
version: v0.4.0
agents:
  - id: flights
    url: http://flights:9000
filters:
  - id: pii_guard
    url: http://guard:9100
listeners:
  - name: egress
    type: model
    port: 12000
    input_filters: [pii_guard]
    output_filters: [pii_gaurd]
  - name: desk
    type: agent
    port: 8001
    agents:
      - id: flights
        description: books flights
        input_filters: [pii_guard, audit]
      - id: hotels
        description: books hotels
      - id: pii_guard
        description: not an agent
"""


def test_unknown_listener_and_agent_filters() -> None:
    assert brief("", "check.unknown-filter", LISTENERS) == [
        (
            "listener 'egress' uses filter 'pii_gaurd', which is not defined under filters or agents",
            "listeners[0].output_filters[0]",
            13,
            "did you mean 'pii_guard'?",
        ),
        (
            "agent 'flights' of listener 'desk' uses filter 'audit', which is not defined under filters or agents",
            "listeners[1].agents[0].input_filters[1]",
            20,
            "define it under filters (`- id: audit` with its `url`)",
        ),
    ]


def test_known_filters_pass() -> None:
    fixed = LISTENERS.replace("pii_gaurd", "pii_guard").replace("pii_guard, audit", "pii_guard, flights")
    assert found("", "check.unknown-filter", fixed) == []


UNDEFINED = (
    "which is not defined under agents: every request routed to it would fail (the gateway answers AgentNotFound)"
)


def test_listener_agents_must_be_top_level_agents() -> None:
    assert brief("", "check.unknown-agent", LISTENERS) == [
        (
            f"listener 'desk' serves agent 'hotels', {UNDEFINED}",
            "listeners[1].agents[1].id",
            21,
            "define it under agents (`- id: hotels` with its `url`), or remove it from this listener",
        ),
        (
            f"listener 'desk' serves agent 'pii_guard', {UNDEFINED}",
            "listeners[1].agents[2].id",
            23,
            "'pii_guard' is a filter: list it under input_filters instead",
        ),
    ]
    only_known = LISTENERS.split("      - id: hotels", maxsplit=1)[0]
    assert found("", "check.unknown-agent", only_known) == []


DANGLING = Path(__file__).resolve().parent / "invalid" / "check-unknown-agent.yaml"


def test_migrate_reports_a_dangling_agent_like_validate_and_writes_nothing(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A legacy file that migrates cleanly but serves an undefined agent: migrate shows the error, not the YAML."""
    monkeypatch.chdir(DANGLING.parent.parent.parent)
    code, out, err = cli("migrate", "tests/invalid/check-unknown-agent.yaml")
    assert (code, out) == (3, "")
    assert err == DANGLING.with_suffix(".err").read_text(encoding="utf-8")
    config = tmp_path / "config.yaml"
    shutil.copy(DANGLING, config)
    for flags in (("--diff",), ("--write",)):
        code, out, err = cli("migrate", *flags, str(config))
        assert (code, out) == (3, "")
        assert "every request routed to it would fail (the gateway answers AgentNotFound) [check.unknown-agent]" in err
    assert config.read_text(encoding="utf-8") == DANGLING.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]


# --- prompt target endpoints -------------------------------------------------------------------------


def test_prompt_target_endpoint_must_exist() -> None:
    body = """\
        endpoints:
          weather_api: {endpoint: weather:8080}
        prompt_targets:
          - name: weather
            description: current weather
            endpoint: {name: wether_api, path: /w}
          - name: book
            description: books flights
            endpoint: {name: flights, path: /book}
        agents:
          - {id: flights, url: "http://flights:9000"}
        """
    assert brief(body, "check.unknown-endpoint") == [
        (
            "prompt target 'weather' calls endpoint 'wether_api', which is not defined",
            "prompt_targets[0].endpoint.name",
            16,
            "did you mean 'weather_api'?",
        )
    ]
    assert found(body.replace("wether_api", "weather_api"), "check.unknown-endpoint") == []


# --- ratelimits --------------------------------------------------------------------------------------


def test_ratelimit_on_a_prefixed_model_never_fires() -> None:
    body = """\
        ratelimits:
          - model: openai/gpt-4o
            selector: {key: x-user, value: alice}
            limit: {tokens: 100, unit: minute}
        """
    got = found(body, "check.ratelimit-model")
    assert [(d.severity, d.message, d.path, d.line, d.hint) for d in got] == [
        (
            Severity.WARNING,
            "rate limit for 'openai/gpt-4o' matches no configured model id, so it never applies",
            "ratelimits[0].model",
            12,
            "limits match the bare model id: write 'gpt-4o'",
        )
    ]


def test_ratelimit_on_a_bare_id_or_wildcard_covered_id_passes() -> None:
    body = """\
        ratelimits:
          - {model: gpt-4o, selector: {key: x-user, value: a}, limit: {tokens: 1, unit: second}}
          - {model: grok-4, selector: {key: x-user, value: a}, limit: {tokens: 1, unit: second}}
        """
    assert found(body, "check.ratelimit-model") == []
    no_wildcard = HEADER.replace("  - model: xai/*\n", "")
    assert [d.message for d in found(body, "check.ratelimit-model", no_wildcard)] == [
        "rate limit for 'grok-4' matches no configured model id, so it never applies"
    ]
