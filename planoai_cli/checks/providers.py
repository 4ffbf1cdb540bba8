"""Semantic checks on provider identity: names, models, ids, the default provider and reserved names."""

from __future__ import annotations

from collections.abc import Iterator

from planoai_cli.checks.base import Check, error, repeats, warning, where_text
from planoai_cli.contract import AGENT_ORCHESTRATOR_PROVIDER_NAME, FUNCTION_PROVIDER_NAME, ROUTER_PROVIDER_NAME
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import PlanoConfig, Provider
from planoai_cli.tree import Location


def name_loc(p: Provider) -> Location:
    """Where a provider's name is: its `name`, or its `model` when the name is the defaulted model."""
    return p.where("name") if p.named else p.where("model")


def duplicate_names(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Names must be unique, defaulted ones included (upstream only re-checked explicit names)."""
    for first, dup in repeats(config.providers, lambda p: p.name):
        if first.model == dup.model and not dup.named:
            continue  # the same model twice: reported once, by duplicate_models
        taken = f"already used by {where_text(first.loc)}"
        message = (
            f"provider name {dup.name!r} is {taken}"
            if dup.named
            else f"provider {dup.model!r} has no `name`, so it is named after its model, and that name is {taken}"
        )
        yield error(
            "check.duplicate-provider-name",
            message,
            name_loc(dup),
            "give each provider a distinct `name` (clients and routing preferences select providers by it)",
        )


def duplicate_models(config: PlanoConfig) -> Iterator[Diagnostic]:
    for first, dup in repeats(config.providers, lambda p: p.model):
        yield error(
            "check.duplicate-model",
            f"model {dup.model!r} is already configured at {where_text(first.loc)}",
            dup.where("model"),
            "remove one of the two entries (each model may be configured once)",
        )


def duplicate_model_ids(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Two prefixes serving the same bare id: a client sending just the id could mean either."""
    for first, dup in repeats(config.providers, lambda p: None if p.wildcard else p.model_id):
        if first.model == dup.model:
            continue  # reported by duplicate_models
        yield error(
            "check.duplicate-model-id",
            f"model id {dup.model_id!r} of {dup.model!r} is also the id of {first.model!r} at {where_text(first.loc)}",
            dup.where("model"),
            "keep one of them: clients select models by the bare id too, so each id may appear once",
        )


def several_defaults(config: PlanoConfig) -> Iterator[Diagnostic]:
    defaults = [p for p in config.providers if p.default]
    for p in defaults[1:]:
        yield error(
            "check.multiple-defaults",
            f"{p.label} is marked default, but so is {defaults[0].name!r} at "
            f"{where_text(defaults[0].where('default'))}; only one provider can be the default",
            p.where("default"),
            "remove `default: true` from all providers but one",
        )


def wildcard_default(config: PlanoConfig) -> Iterator[Diagnostic]:
    for p in config.providers:
        if p.wildcard and p.default:
            yield error(
                "check.wildcard-default",
                f"{p.label} is a wildcard and cannot be the default",
                p.where("default"),
                f"add an entry for one concrete model (e.g. `model: {p.prefix}/<model id>`) and make it "
                "the default instead",
            )


def reserved_names(config: PlanoConfig) -> Iterator[Diagnostic]:
    """A user provider named like an internal provider that the renderer will add collides with it."""
    injected = {i.name: i for i in config.internal_providers}
    for p in config.providers:
        internal = injected.get(p.name)
        if internal is None:
            continue
        yield error(
            "check.reserved-provider-name",
            f"provider name {p.name!r} is reserved: Plano adds its own {p.name!r} provider "
            f"(model {internal.model_id!r}) {_reason(p.name)}",
            name_loc(p),
            _reserved_hint(p.name),
        )


def _reason(name: str) -> str:
    if name == ROUTER_PROVIDER_NAME:
        return "because routing preferences are configured"
    return "for agent orchestration" if name == AGENT_ORCHESTRATOR_PROVIDER_NAME else ""


def _reserved_hint(name: str) -> str:
    setting = "llm_routing_model" if name == ROUTER_PROVIDER_NAME else "agent_orchestration_model"
    return (
        f"rename this provider; if it serves the orchestrator model itself, set overrides.{setting} to its "
        "model so Plano uses it instead of adding its own"
    )


def function_model_override(config: PlanoConfig) -> Iterator[Diagnostic]:
    for p in config.providers:
        if p.name == FUNCTION_PROVIDER_NAME:
            yield warning(
                "check.internal-provider-override",
                f"provider {p.name!r} replaces Plano's built-in function-calling model used by prompt targets",
                name_loc(p),
                "rename it unless you serve Arch-Function yourself",
            )


CHECKS: tuple[Check, ...] = (
    duplicate_names,
    duplicate_models,
    duplicate_model_ids,
    several_defaults,
    wildcard_default,
    reserved_names,
    function_model_override,
)
