"""Semantic checks on listeners: one model listener, unique names and ports, ports the container reserves."""

from __future__ import annotations

from collections.abc import Iterator

from planoai_cli.checks.base import Check, error, repeats, where_text
from planoai_cli.contract import DEFAULT_MODEL_PORT, FIXED_ENVOY_LISTENERS, PROMPT_INGRESS_PORT, RESERVED_PORTS
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import Listener, PlanoConfig


def single_listener_per_gateway(config: PlanoConfig) -> Iterator[Diagnostic]:
    """One model listener (the runtime refuses more); one prompt listener (more would be merged silently)."""
    for kind, code in (("model", "check.multiple-model-listeners"), ("prompt", "check.multiple-prompt-listeners")):
        of_kind = [li for li in config.listeners if li.type == kind]
        for li in of_kind[1:]:
            yield error(
                code,
                f"listener {li.name!r} is a second {kind} listener (the first is {of_kind[0].name!r} at "
                f"{where_text(of_kind[0].loc)}); only one is supported",
                li.where("type"),
                f"merge them into one `type: {kind}` listener",
            )


def _is_agent(li: Listener) -> bool:
    return li.type == "agent" or bool(li.agents)


def duplicate_names(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Agent listeners also become Envoy listeners named with spaces turned into `_`, so compare those too."""

    def key(li: Listener) -> str:
        return f"agent:{li.envoy_name}" if _is_agent(li) else li.name

    reported: set[int] = set()
    for first, dup in (*repeats(config.listeners, lambda li: li.name), *repeats(config.listeners, key)):
        if id(dup) in reported:
            continue
        reported.add(id(dup))
        same = "name" if first.name == dup.name else f"Envoy name {dup.envoy_name!r} (spaces become _)"
        yield error(
            "check.duplicate-listener-name",
            f"listener {dup.name!r} has the same {same} as the listener at {where_text(first.loc)}",
            dup.where("name"),
            "give each listener a distinct name",
        )


def reserved_listener_names(config: PlanoConfig) -> Iterator[Diagnostic]:
    for li in config.listeners:
        if _is_agent(li) and li.envoy_name in FIXED_ENVOY_LISTENERS:
            yield error(
                "check.reserved-listener-name",
                f"agent listener {li.name!r} would be named like Plano's own Envoy listener {li.envoy_name!r}",
                li.where("name"),
                "choose another name for the agent listener",
            )


def port_conflicts(config: PlanoConfig) -> Iterator[Diagnostic]:
    for first, dup in repeats(config.listeners, lambda li: li.port):
        yield error(
            "check.port-conflict",
            f"listener {dup.name!r} uses port {dup.port}, already taken by listener {first.name!r} at "
            f"{where_text(first.where('port'))}",
            dup.where("port"),
            "give each listener its own port",
        )


def reserved_ports(config: PlanoConfig) -> Iterator[Diagnostic]:
    has_model_listener = config.model_listener is not None
    for li in config.listeners:
        reason = _port_owner(li, has_model_listener)
        if reason:
            yield error(
                "check.reserved-port",
                f"listener {li.name!r} cannot use port {li.port}: {reason}",
                li.where("port"),
                "choose another port",
            )


def _port_owner(li: Listener, has_model_listener: bool) -> str | None:
    if li.port in RESERVED_PORTS:
        return f"Plano uses it inside the container for {RESERVED_PORTS[li.port]}"
    if li.port == PROMPT_INGRESS_PORT and li.type != "prompt":
        return "the prompt ingress always binds it, so only a prompt listener may use it"
    if li.port == DEFAULT_MODEL_PORT and li.type != "model" and not has_model_listener:
        return "no model listener is declared, so the default one binds it"
    return None


def listener_agents(config: PlanoConfig) -> Iterator[Diagnostic]:
    for li in config.listeners:
        if li.agents and li.type != "agent":
            yield error(
                "check.listener-agents",
                f"listener {li.name!r} lists agents but has type {li.type!r}; only agent listeners serve agents",
                li.where("type"),
                "set `type: agent`, or move the agents to an agent listener",
            )
        elif li.type == "agent" and not li.agents:
            yield error(
                "check.listener-agents",
                f"agent listener {li.name!r} serves no agents",
                li.where("agents"),
                "add `agents:` entries (each with the id of a top-level agent and a description)",
            )


CHECKS: tuple[Check, ...] = (
    single_listener_per_gateway,
    duplicate_names,
    reserved_listener_names,
    port_conflicts,
    reserved_ports,
    listener_agents,
)
