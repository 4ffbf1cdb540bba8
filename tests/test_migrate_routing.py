"""Migration of router settings: legacy `routing` keys, Arch-Router overrides, the budget rename."""

from __future__ import annotations

import pytest

from planoai_cli.loader import parse
from planoai_cli.migrate.routing import budget_rename, legacy_routing, routing_model_override
from planoai_cli.tree import locate, plain
from tests.migratehelp import brief, run

G2 = """\
version: v0.1
listeners: {egress_traffic: {port: 12000}}
model_providers:
  - {name: smart, provider_interface: openai, model: gpt-4o, usage: Reasoning.}
  - {name: router, provider_interface: openai, model: my-router, base_url: "http://h:1"}
  - {name: arch-router, provider_interface: arch, model: Arch-Router}
"""


def test_routing_llm_provider_becomes_the_routing_model_override() -> None:
    out, found = run(legacy_routing, G2, "routing:\n  llm_provider: router\n  model: Arch-Router\n")
    expected = plain(parse(G2, "config.yaml"))
    expected["overrides"] = {"llm_routing_model": "openai/my-router"}
    assert plain(out) == expected  # `routing` is gone, the providers are untouched
    assert brief(found) == [("warning", "migrate.routing-model", "routing.llm_provider", 8)]
    assert found[0].message.startswith(
        "`routing.llm_provider`, `routing.model` became `overrides.llm_routing_model: openai/my-router`"
    )
    assert "must understand that protocol" in found[0].message
    location = locate(out, ("overrides", "llm_routing_model"))
    assert location.path == ("routing", "llm_provider")
    assert location.mark is not None
    assert location.mark.line == 8


def test_routing_model_naming_a_provider_entry_uses_its_model() -> None:
    # 0.3.0–0.3.2: `routing.model` was the name of the entry hosting the router.
    out, found = run(legacy_routing, G2, "routing:\n  model: router\noverrides: {optimize_context_window: true}\n")
    assert plain(out)["overrides"] == {"optimize_context_window": True, "llm_routing_model": "openai/my-router"}
    assert brief(found) == [("warning", "migrate.routing-model", "routing.model", 8)]


@pytest.mark.parametrize(
    "routing",
    [
        "routing: {model: arch-router}",
        "routing: {model_provider: arch-router}",
        "routing: {model: Arch-Router}",
        "routing: {llm_provider: Arch-Router-host}",
    ],
)
def test_an_arch_router_choice_is_dropped(routing: str) -> None:
    out, found = run(legacy_routing, G2, routing + "\n")
    assert "routing" not in out
    assert "overrides" not in out
    assert [(d.severity.value, d.code) for d in found] == [("warning", "migrate.arch-router")]
    assert "Arch-Router was retired in 0.4.19" in found[0].message


def test_legacy_keys_next_to_current_ones_are_simply_dropped() -> None:
    out, found = run(legacy_routing, G2, "routing:\n  llm_provider: router\n  session_ttl_seconds: 60\n")
    assert plain(out)["routing"] == {"session_ttl_seconds": 60}
    assert "overrides" not in out
    assert brief(found) == [("notice", "migrate.routing-legacy", "routing.llm_provider", 8)]
    assert found[0].message == (
        "dropped `routing.llm_provider`: since 0.4.12 `overrides.llm_routing_model` chooses "
        "the router model, and nothing reads this key"
    )


def test_several_legacy_keys_are_named_together() -> None:
    _, found = run(legacy_routing, G2, "routing:\n  model: a\n  llm_provider: router\n  session_ttl_seconds: 60\n")
    assert found[0].message == (
        "dropped `routing.model`, `routing.llm_provider`: since 0.4.12 "
        "`overrides.llm_routing_model` chooses the router model, and nothing reads these keys"
    )


def test_a_router_that_names_nothing_is_dropped_with_a_warning() -> None:
    out, found = run(legacy_routing, G2, "routing: {llm_provider: missing}\n")
    assert "routing" not in out
    assert brief(found) == [("warning", "migrate.routing-legacy", "routing.llm_provider", 7)]


def test_the_default_router_is_dropped_quietly() -> None:
    out, found = run(legacy_routing, G2, "routing: {model: Plano-Orchestrator}\n")
    assert "overrides" not in out
    assert brief(found) == [("notice", "migrate.routing-legacy", "routing.model", 7)]


def test_arch_router_override_is_dropped() -> None:
    text = "version: v0.4.0\noverrides:\n  llm_routing_model: plano/Arch-Router\n  disable_signals: true\n"
    out, found = run(routing_model_override, text)
    assert plain(out) == {"version": "v0.4.0", "overrides": {"disable_signals": True}}
    assert brief(found) == [("warning", "migrate.arch-router", "overrides.llm_routing_model", 3)]
    alone, _ = run(routing_model_override, "version: v0.4.0\noverrides:\n  llm_routing_model: Arch-Router\n")
    assert "overrides" not in alone


def test_other_routing_models_are_kept() -> None:
    doc = parse("version: v0.4.0\noverrides: {llm_routing_model: openai/my-router}\n", "config.yaml")
    assert routing_model_override(doc) == (doc, [])


def test_max_overhead_pct_is_renamed() -> None:
    text = "version: v0.4.0\nrouting:\n  routing_budget:\n    max_overhead_pct: 15\n    replenish_on_rebind: false\n"
    out, found = run(budget_rename, text)
    assert plain(out) == {
        "version": "v0.4.0",
        "routing": {"routing_budget": {"max_switch_spend_pct": 15, "replenish_on_rebind": False}},
    }
    assert brief(found) == [("notice", "migrate.routing-budget", "routing.routing_budget.max_overhead_pct", 4)]


def test_max_overhead_pct_next_to_its_new_name_is_dropped() -> None:
    text = "version: v0.4.0\nrouting:\n  routing_budget: {max_overhead_pct: 15, max_switch_spend_pct: 20}\n"
    out, found = run(budget_rename, text)
    assert plain(out)["routing"] == {"routing_budget": {"max_switch_spend_pct": 20}}
    assert brief(found) == [("warning", "migrate.routing-budget", "routing.routing_budget.max_overhead_pct", 3)]
