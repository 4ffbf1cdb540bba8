"""Semantic checks on references between sections: aliases, routing preferences, filters, agents, endpoints."""

from __future__ import annotations

from collections.abc import Iterator

from planoai_cli.checks.base import Check, error, listing, repeats, suggest, warning, where_text
from planoai_cli.diagnostics import Diagnostic, did_you_mean
from planoai_cli.model import PlanoConfig, Provider
from planoai_cli.tree import Location


def _wildcard_covers(providers: tuple[Provider, ...], ref: str) -> Provider | None:
    prefix, _, rest = ref.partition("/")
    return next((p for p in providers if p.wildcard and p.prefix == prefix and rest and rest != "*"), None)


def alias_targets(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Targets are models (full or bare id); a `prefix/x` covered by a `prefix/*` wildcard counts too."""
    concrete = [p for p in config.providers if not p.wildcard]
    valid = {p.model for p in concrete} | {p.model_id for p in concrete}
    for alias in config.aliases:
        if alias.target in valid or _wildcard_covers(config.providers, alias.target):
            continue
        named = next((p for p in config.providers if p.name == alias.target), None)
        hint = (
            f"{alias.target!r} is a provider name; aliases point at models: use {named.model!r}"
            if named and not named.wildcard
            else suggest(
                alias.target,
                valid,
                f"configured models: {listing(valid)}" if valid else "add the model under model_providers",
            )
        )
        yield error(
            "check.unknown-alias-target",
            f"model alias {alias.name!r} points to {alias.target!r}, which is not a configured model",
            alias.where("target"),
            hint,
        )


def preference_models(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Entries name a provider: its name or full model (the runtime also takes a bare id); wildcards do not cover."""
    names = {p.name for p in config.providers} | {p.model for p in config.providers}
    valid = names | {p.model_id for p in config.providers if not p.wildcard}
    for pref in config.routing_preferences:
        for i, ref in enumerate(pref.models):
            if ref in valid:
                continue
            covered = _wildcard_covers(config.providers, ref)
            hint = (
                f"wildcards do not cover routing preferences: add an entry `model: {ref}` under model_providers"
                if covered
                else suggest(ref, names, "use a provider's name or its full `provider/id` model")
            )
            yield error(
                "check.unknown-preference-model",
                f"routing preference {pref.name!r} lists {ref!r}, which is not a configured provider",
                pref.where("models", i),
                hint,
            )


def duplicate_preferences(config: PlanoConfig) -> Iterator[Diagnostic]:
    for first, dup in repeats(config.routing_preferences, lambda p: p.name):
        yield error(
            "check.duplicate-preference-name",
            f"routing preference {dup.name!r} is already defined at {where_text(first.loc)}",
            dup.where("name"),
            "merge the two entries' models into one, or rename one of them",
        )


def listener_filters(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Filter ids on listeners and on listener agents must be agents or filters (the runtime fails otherwise)."""
    ids = {s.id for s in config.services}
    for li in config.listeners:
        for field in ("input_filters", "output_filters"):
            for i, fid in enumerate(getattr(li, field)):
                if fid not in ids:
                    yield _unknown_filter(f"listener {li.name!r}", fid, ids, li.where(field, i))
        for agent in li.agents:
            for i, fid in enumerate(agent.input_filters):
                if fid not in ids:
                    yield _unknown_filter(
                        f"agent {agent.id!r} of listener {li.name!r}", fid, ids, agent.where("input_filters", i)
                    )


def _unknown_filter(owner: str, fid: str, ids: set[str], loc: Location) -> Diagnostic:
    return error(
        "check.unknown-filter",
        f"{owner} uses filter {fid!r}, which is not defined under filters or agents",
        loc,
        suggest(fid, ids, f"define it under filters (`- id: {fid}` with its `url`)"),
    )


def listener_agents(config: PlanoConfig) -> Iterator[Diagnostic]:
    """The gateway starts, but fails every request routed to an undefined agent (AgentNotFound): an error."""
    agent_ids = {a.id for a in config.agents}
    filter_ids = {f.id for f in config.filters}
    for li in config.listeners:
        for agent in li.agents:
            if agent.id in agent_ids:
                continue
            hint = (
                f"{agent.id!r} is a filter: list it under input_filters instead"
                if agent.id in filter_ids
                else _undefined_agent_hint(agent.id, agent_ids)
            )
            yield error(
                "check.unknown-agent",
                f"listener {li.name!r} serves agent {agent.id!r}, which is not defined under agents: every "
                "request routed to it would fail (the gateway answers AgentNotFound)",
                agent.where("id"),
                hint,
            )


def _undefined_agent_hint(agent_id: str, agent_ids: set[str]) -> str:
    """A close id may be a typo; defining the agent or removing it from the listener are the other fixes."""
    fix = f"define it under agents (`- id: {agent_id}` with its `url`), or remove it from this listener"
    close = did_you_mean(agent_id, agent_ids)
    return f"{close} If not, {fix}" if close else fix


def prompt_target_endpoints(config: PlanoConfig) -> Iterator[Diagnostic]:
    known = {e.name for e in config.endpoints} | {s.id for s in config.services}
    for target in config.prompt_targets:
        end = target.endpoint
        if end is not None and end.name not in known:
            yield error(
                "check.unknown-endpoint",
                f"prompt target {target.name!r} calls endpoint {end.name!r}, which is not defined",
                end.where("name"),
                suggest(end.name, known, f"add it under endpoints (`{end.name}: {{endpoint: host:port}}`)"),
            )


def ratelimit_models(config: PlanoConfig) -> Iterator[Diagnostic]:
    """The runtime compares the request's bare model id; a limit on anything else never fires."""
    ids = {p.model_id for p in config.providers if not p.wildcard}
    any_wildcard = any(p.wildcard for p in config.providers)
    for limit in config.ratelimits:
        if limit.model in ids or (any_wildcard and "/" not in limit.model):
            continue
        full = next((p for p in config.providers if p.model == limit.model and not p.wildcard), None)
        hint = (
            f"limits match the bare model id: write {full.model_id!r}"
            if full
            else suggest(limit.model, ids, "use the bare id of a configured model (e.g. gpt-4o)")
        )
        yield warning(
            "check.ratelimit-model",
            f"rate limit for {limit.model!r} matches no configured model id, so it never applies",
            limit.where("model"),
            hint,
        )


CHECKS: tuple[Check, ...] = (
    alias_targets,
    preference_models,
    duplicate_preferences,
    listener_filters,
    listener_agents,
    prompt_target_endpoints,
    ratelimit_models,
)
