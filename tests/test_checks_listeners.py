"""Semantic checks on listeners: counts per type, names, ports, reserved ports, agents."""

from __future__ import annotations

from textwrap import dedent

from planoai_cli.checks import check
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.loader import parse
from planoai_cli.model import build

HEADER = """\
version: v0.4.0
agents:
  - {id: flights, url: "http://flights:9000"}
listeners:
"""  # four lines: the first listener below is on line 5


def found(body: str, code: str) -> list[Diagnostic]:
    return [d for d in check(build(parse(HEADER + dedent(body), "x.yaml"))) if d.code == code]


def brief(body: str, code: str) -> list[tuple[str, str, int | None, str | None]]:
    return [(d.message, d.path, d.line, d.hint) for d in found(body, code)]


MODEL = "- {name: egress, type: model, port: 12000}\n"
DESK = "- {name: desk, type: agent, port: 8001, agents: [{id: flights, description: books flights}]}\n"


def test_second_model_listener() -> None:
    body = MODEL + "- {name: egress2, type: model, port: 12500}\n"
    assert brief(body, "check.multiple-model-listeners") == [
        (
            "listener 'egress2' is a second model listener (the first is 'egress' at listeners[0] (line 5)); only one "
            "is supported",
            "listeners[1].type",
            6,
            "merge them into one `type: model` listener",
        )
    ]
    assert found(MODEL + DESK, "check.multiple-model-listeners") == []


def test_second_prompt_listener() -> None:
    body = "- {name: p1, type: prompt, port: 10000}\n- {name: p2, type: prompt, port: 10005}\n"
    assert brief(body, "check.multiple-prompt-listeners") == [
        (
            "listener 'p2' is a second prompt listener (the first is 'p1' at listeners[0] (line 5)); only one is "
            "supported",
            "listeners[1].type",
            6,
            "merge them into one `type: prompt` listener",
        )
    ]
    assert found("- {name: p1, type: prompt, port: 10000}\n" + MODEL, "check.multiple-prompt-listeners") == []


def test_duplicate_listener_names() -> None:
    body = MODEL + "- {name: egress, type: prompt, port: 10000}\n"
    assert brief(body, "check.duplicate-listener-name") == [
        (
            "listener 'egress' has the same name as the listener at listeners[0] (line 5)",
            "listeners[1].name",
            6,
            "give each listener a distinct name",
        )
    ]


def test_agent_listeners_clash_on_their_envoy_name() -> None:
    body = DESK.replace("desk", "travel desk") + DESK.replace("desk", "travel_desk").replace("8001", "8002")
    assert [d.message for d in found(body, "check.duplicate-listener-name")] == [
        "listener 'travel_desk' has the same Envoy name 'travel_desk' (spaces become _) as the listener at "
        "listeners[0] (line 5)"
    ]


def test_distinct_listener_names_pass() -> None:
    body = MODEL + DESK + "- {name: travel_desk, type: prompt, port: 10000}\n"
    assert found(body, "check.duplicate-listener-name") == []


def test_agent_listener_named_like_a_fixed_envoy_listener() -> None:
    body = MODEL + DESK.replace("desk", "egress traffic")
    assert brief(body, "check.reserved-listener-name") == [
        (
            "agent listener 'egress traffic' would be named like Plano's own Envoy listener 'egress_traffic'",
            "listeners[1].name",
            6,
            "choose another name for the agent listener",
        )
    ]
    assert found(MODEL.replace("egress", "egress_traffic"), "check.reserved-listener-name") == []


def test_two_listeners_on_one_port() -> None:
    body = MODEL + DESK.replace("8001", "12000")
    assert brief(body, "check.port-conflict") == [
        (
            "listener 'desk' uses port 12000, already taken by listener 'egress' at listeners[0].port (line 5)",
            "listeners[1].port",
            6,
            "give each listener its own port",
        )
    ]
    assert found(MODEL + DESK, "check.port-conflict") == []


def test_ports_reserved_inside_the_container() -> None:
    body = MODEL.replace("12000", "9901") + DESK.replace("8001", "10000")
    assert brief(body, "check.reserved-port") == [
        (
            "listener 'egress' cannot use port 9901: Plano uses it inside the container for the Envoy admin interface",
            "listeners[0].port",
            5,
            "choose another port",
        ),
        (
            "listener 'desk' cannot use port 10000: the prompt ingress always binds it, so only a prompt listener may "
            "use it",
            "listeners[1].port",
            6,
            "choose another port",
        ),
    ]


def test_default_model_port_is_taken_when_no_model_listener_is_declared() -> None:
    assert [d.message for d in found(DESK.replace("8001", "12000"), "check.reserved-port")] == [
        "listener 'desk' cannot use port 12000: no model listener is declared, so the default one binds it"
    ]
    moved = MODEL.replace("12000", "12500") + DESK.replace("8001", "12000")
    assert found(moved, "check.reserved-port") == []


def test_prompt_listener_may_use_10000() -> None:
    assert found(MODEL + "- {name: prompts, type: prompt, port: 10000}\n", "check.reserved-port") == []


def test_agents_only_on_agent_listeners() -> None:
    body = MODEL.replace("}", ", agents: [{id: flights, description: books flights}]}")
    assert brief(body, "check.listener-agents") == [
        (
            "listener 'egress' lists agents but has type 'model'; only agent listeners serve agents",
            "listeners[0].type",
            5,
            "set `type: agent`, or move the agents to an agent listener",
        )
    ]


def test_agent_listener_without_agents() -> None:
    body = MODEL + "- {name: desk, type: agent, port: 8001}\n"
    assert brief(body, "check.listener-agents") == [
        (
            "agent listener 'desk' serves no agents",
            "listeners[1].agents",
            6,
            "add `agents:` entries (each with the id of a top-level agent and a description)",
        )
    ]
    assert found(MODEL + DESK, "check.listener-agents") == []
