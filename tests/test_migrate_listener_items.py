"""Migration of list-form listeners: default ports, stray keys, `router`, `filter_chain`, nested providers."""

from __future__ import annotations

from pathlib import Path

from planoai_cli.loader import parse
from planoai_cli.migrate.listener_items import hoist_providers, list_listeners
from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.tree import locate, plain
from tests.migratehelp import brief, run


def test_missing_ports_get_the_gateway_defaults() -> None:
    text = """\
    version: v0.3.0
    listeners:
      - type: model
        name: llm
      - type: prompt
        name: prompts
    """
    out, found = run(list_listeners, text)
    assert plain(out) == {
        "version": "v0.3.0",
        "listeners": [
            {"type": "model", "name": "llm", "port": 12000},
            {"type": "prompt", "name": "prompts", "port": 10000},
        ],
    }
    assert brief(found) == [
        ("notice", "migrate.listener-port", "listeners[0]", 3),
        ("notice", "migrate.listener-port", "listeners[1]", 5),
    ]
    assert "listener 'llm' had no `port`; 12000 is written" in found[0].message


def test_agent_listener_without_port_is_refused() -> None:
    text = """\
    version: v0.3.0
    listeners:
      - type: agent
        name: assistant
        agents: [{id: a, description: d}]
    """
    out, found = run(list_listeners, text)
    assert "port" not in plain(out)["listeners"][0]
    assert brief(found) == [("error", "migrate.listener-port", "listeners[0]", 3)]
    assert "agent listeners have no default port" in found[0].message
    assert found[0].hint == "add `port: <number>` to listener 'assistant', e.g. `port: 8001`"


def test_stray_keys_are_dropped_and_ignored_ports_reported() -> None:
    text = """\
    version: v0.3.0
    listeners:
      - type: model
        name: llm
        port: 12500
        message_format: openai
      - type: prompt
        name: prompts
        port: 10000
    """
    out, found = run(list_listeners, text)
    assert plain(out) == {
        "version": "v0.3.0",
        "listeners": [
            {"type": "model", "name": "llm", "port": 12500},
            {"type": "prompt", "name": "prompts", "port": 10000},
        ],
    }
    assert brief(found) == [
        ("notice", "migrate.listener-key", "listeners[0].message_format", 6),
        ("warning", "migrate.listener-port-ignored", "listeners[0].port", 5),
    ]
    assert "ignored it and served on 12000" in found[1].message


def test_a_custom_port_in_a_current_file_is_just_kept() -> None:
    out, found = run(list_listeners, "version: v0.4.0\nlisteners:\n  - {type: model, name: llm, port: 12500}\n")
    assert plain(out)["listeners"] == [{"type": "model", "name": "llm", "port": 12500}]
    assert found == []


ROUTERS = """\
version: v0.3.0
listeners:
  - {type: agent, name: travel, port: 8001, router: plano_agent_router, agents: [{id: a, description: d}]}
  - {type: agent, name: desk, port: 8002, router: arch_agent_router, agents: [{id: a, description: d}]}
  - {type: agent, name: shop, port: 8003, router: smart_router, agents: [{id: a, description: d}]}
  - {type: agent, name: help, port: 8004, router: plano_orchestrator_v1, agents: [{id: a, description: d}]}
"""


def test_documented_router_names_become_the_current_one() -> None:
    out, found = run(list_listeners, ROUTERS)
    routers = [item.get("router") for item in plain(out)["listeners"]]
    assert routers == ["plano_orchestrator_v1", "plano_orchestrator_v1", None, "plano_orchestrator_v1"]
    assert brief(found)[:2] == [
        ("notice", "migrate.listener-router", "listeners[0].router", 3),
        ("notice", "migrate.listener-router", "listeners[1].router", 4),
    ]
    assert found[0].message.startswith(
        "`router: plano_agent_router` of listener 'travel' became "
        "`router: plano_orchestrator_v1`: upstream's documentation shows the old name"
    )


def test_an_unknown_router_is_dropped_with_a_warning_naming_it() -> None:
    out, found = run(list_listeners, ROUTERS)
    assert "router" not in plain(out)["listeners"][2]
    assert brief(found)[2:] == [("warning", "migrate.listener-router", "listeners[2].router", 5)]
    assert found[2].message == (
        "dropped `router: smart_router` from listener 'shop': Plano has no router of that name, and the gateway never "
        "reads the field (agents are chosen by the orchestrator model, `overrides.agent_orchestration_model`), so "
        "requests are routed as before"
    )
    assert found[2].hint == (
        "delete the line (or write `router: plano_orchestrator_v1`); to choose the orchestrator "
        "model, set `overrides.agent_orchestration_model`"
    )


def test_a_migrated_router_passes_the_canonical_schema() -> None:
    text = ROUTERS + "model_providers: [{model: openai/gpt-4o}]\nagents: [{id: a, url: 'http://a:9000'}]\n"
    validated = validate_raw(raw_from_text(Path("config.yaml"), text))
    assert [li.router for li in validated.config.listeners] == ["plano_orchestrator_v1"] * 2 + [None] + [
        "plano_orchestrator_v1"
    ]
    assert [d.code for d in validated.warnings] == ["migrate.listener-router"]


def test_filter_chain_is_renamed_input_filters() -> None:
    text = """\
    version: v0.3.0
    listeners:
      - type: agent
        name: assistant
        port: 8001
        agents:
          - id: rag
            description: answers
            filter_chain: [rewriter, builder]
    """
    out, found = run(list_listeners, text)
    assert plain(out)["listeners"][0]["agents"] == [
        {"id": "rag", "description": "answers", "input_filters": ["rewriter", "builder"]}
    ]
    assert brief(found) == [("notice", "migrate.filter-chain", "listeners[0].agents[0].filter_chain", 9)]
    location = locate(out, ("listeners", 0, "agents", 0, "input_filters"), at_key=True)
    assert location.path == ("listeners", 0, "agents", 0, "filter_chain")
    assert location.mark is not None
    assert location.mark.line == 9


def test_filter_chain_next_to_input_filters_is_refused() -> None:
    text = """\
    version: v0.3.0
    listeners:
      - type: agent
        name: assistant
        port: 8001
        agents:
          - {id: rag, description: d, filter_chain: [a], input_filters: [b]}
    """
    out, found = run(list_listeners, text)
    assert plain(out)["listeners"][0]["agents"][0]["filter_chain"] == ["a"]
    assert brief(found) == [("error", "migrate.filter-chain", "listeners[0].agents[0].filter_chain", 7)]


NESTED = """\
version: v0.3.0
listeners:
  - type: model
    name: llm
    port: 12000
    model_providers:
      - model: openai/gpt-4o
      - model: openai/gpt-4o-mini
"""


def test_nested_providers_move_to_the_top_level() -> None:
    out, found = run(hoist_providers, NESTED)
    assert list(out) == ["version", "listeners", "model_providers"]
    assert plain(out) == {
        "version": "v0.3.0",
        "listeners": [{"type": "model", "name": "llm", "port": 12000}],
        "model_providers": [{"model": "openai/gpt-4o"}, {"model": "openai/gpt-4o-mini"}],
    }
    assert brief(found) == [("notice", "migrate.listener-providers", "listeners[0].model_providers", 6)]
    location = locate(out, ("model_providers", 1, "model"))
    assert location.path == ("listeners", 0, "model_providers", 1, "model")
    assert location.mark is not None
    assert location.mark.line == 8


def test_nested_providers_mark_the_file_as_early_for_ports() -> None:
    _, found = run(list_listeners, NESTED.replace("port: 12000", "port: 12100"))
    assert brief(found) == [("warning", "migrate.listener-port-ignored", "listeners[0].port", 5)]


def test_nested_and_top_level_providers_are_refused() -> None:
    text = NESTED + "llm_providers:\n  - model: openai/o3\n"
    out, found = run(hoist_providers, text)
    assert out is not None
    assert "model_providers" in plain(out)["listeners"][0]
    assert brief(found) == [("error", "migrate.listener-providers", "listeners[0].model_providers", 6)]
    assert "also has `llm_providers`" in found[0].message


def test_providers_under_two_listeners_are_refused() -> None:
    text = NESTED + "  - type: prompt\n    name: p\n    model_providers:\n      - model: openai/o3\n"
    _, found = run(hoist_providers, text)
    assert brief(found) == [("error", "migrate.listener-providers", "listeners[1].model_providers", 11)]
    assert "and so does listener 'llm'" in found[0].message
    assert found[0].hint == (
        "move both listeners' entries into one top-level `model_providers` list and delete "
        "`model_providers` from the listeners"
    )


def test_other_listener_shapes_are_left_alone() -> None:
    mapping = "version: v0.1\nlisteners:\n  egress_traffic: {port: 12000}\n"
    for step in (list_listeners, hoist_providers):
        doc = parse(mapping, "config.yaml")
        assert step(doc) == (doc, [])
