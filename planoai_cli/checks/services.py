"""Semantic checks on agents, filters and endpoints: ids, the Envoy clusters they become, URLs, orchestrator."""

from __future__ import annotations

from collections.abc import Iterator

from planoai_cli.checks.base import Check, error, listing, repeats, where_text
from planoai_cli.contract import BUILTIN_CLUSTER_NAMES
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import PlanoConfig
from planoai_cli.secrets import has_refs, redact_url
from planoai_cli.tree import Location


def duplicate_service_ids(config: PlanoConfig) -> Iterator[Diagnostic]:
    for first, dup in repeats(config.services, lambda s: s.id):
        yield error(
            "check.duplicate-service-id",
            f"{dup.kind} id {dup.id!r} is already used by the {first.kind} at {where_text(first.loc)}",
            dup.where("id"),
            "agents and filters share one set of ids: rename one of them",
        )


def cluster_collisions(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Endpoint names and agent/filter ids become Envoy cluster names, which must not clash with any other."""
    endpoint_names = {e.name for e in config.endpoints}
    provider_clusters = {p.cluster_name for p in config.providers if p.cluster_name}
    for e in config.endpoints:
        yield from _collision(f"endpoint {e.name!r}", e.name, e.where(at_key=True), set(), provider_clusters)
    for s in config.services:
        yield from _collision(f"{s.kind} id {s.id!r}", s.id, s.where("id"), endpoint_names, provider_clusters)


def _collision(what: str, name: str, loc: Location, endpoints: set[str], providers: set[str]) -> Iterator[Diagnostic]:
    if name in BUILTIN_CLUSTER_NAMES:
        clash = "is a built-in cluster"
    elif name in endpoints:
        clash = "the endpoint of the same name also defines"
    elif name in providers:
        clash = "is also the cluster made for a model provider's base_url"
    else:
        return
    yield error(
        "check.cluster-name-collision",
        f"{what} would define the Envoy cluster {name!r}, which {clash}",
        loc,
        f"rename it (e.g. {name + '_svc'!r}) and update whatever refers to it",
    )


def service_urls(config: PlanoConfig) -> Iterator[Diagnostic]:
    for s in config.services:
        if has_refs(s.url):
            # The host and port become an Envoy cluster address, rendered before any substitution.
            yield error(
                "check.service-url-variable",
                f"{s.kind} {s.id!r}: url uses an environment variable, but it becomes an Envoy cluster "
                "address when the config is rendered, before variables are substituted",
                s.where("url"),
                "write the URL itself (keep secrets in headers or access_key)",
            )
        elif s.upstream is None:
            shown = redact_url(s.url)
            hint = (
                f"write the full URL, e.g. http://{shown}"
                if "://" not in s.url
                else "use an http:// or https:// URL with a host"
            )
            yield error(
                "check.service-url",
                f"{s.kind} {s.id!r} has url {shown!r}, which lacks an http(s) scheme or a host, so no "
                "cluster can be made for it",
                s.where("url"),
                hint,
            )


def agent_orchestrator(config: PlanoConfig) -> Iterator[Diagnostic]:
    """With use_agent_orchestrator, the single endpoint (endpoints + agents + filters) is the orchestrator."""
    if config.overrides.use_agent_orchestrator is not True:
        return
    names = list(dict.fromkeys([e.name for e in config.endpoints] + [s.id for s in config.services]))
    if len(names) == 1:
        return
    found = f"found {listing(names)}" if names else "found none"
    hint = (
        "add the orchestrator under endpoints"
        if not names
        else "keep a single endpoint, agent or filter, or remove use_agent_orchestrator"
    )
    yield error(
        "check.agent-orchestrator-endpoints",
        f"use_agent_orchestrator needs exactly one endpoint to act as the orchestrator; {found}",
        config.overrides.where("use_agent_orchestrator"),
        hint,
    )


CHECKS: tuple[Check, ...] = (duplicate_service_ids, cluster_collisions, service_urls, agent_orchestrator)
