"""Model stage: turn a canonical tree into a `PlanoConfig` (the only place dicts become records)."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any

from planoai_cli.contract import KNOWN_OVERRIDES
from planoai_cli.model.base import (
    LocationIndex,
    Node,
    flag,
    items,
    number,
    parse_url,
    section,
    string_map,
    strings,
    text,
    whole,
)
from planoai_cli.model.config import Overrides, PlanoConfig
from planoai_cli.model.providers import assign_clusters, build_provider, internal_providers
from planoai_cli.model.records import (
    Agent,
    Alias,
    Endpoint,
    Filter,
    Listener,
    ListenerAgent,
    Parameter,
    PromptTarget,
    Ratelimit,
    Scalar,
    TargetEndpoint,
)
from planoai_cli.model.refs import collect_secrets
from planoai_cli.model.sections import (
    RoutingPreference,
    build_metrics_source,
    build_prompt_caching,
    build_prompt_guards,
    build_routing,
    build_state_storage,
    build_tracing,
)
from planoai_cli.tree import JsonPath, YMap


def build(doc: YMap) -> PlanoConfig:
    """Build the frozen model of a canonical (v0.4.0, schema-valid) tree; never raises for user mistakes."""
    ix = LocationIndex.of(doc)
    providers = assign_clusters(
        [build_provider(n, ("model_providers", i), ix) for i, n in items(doc, "model_providers")]
    )
    overrides = _overrides(doc, ix)
    preferences = tuple(_preference(n, ("routing_preferences", i), ix) for i, n in items(doc, "routing_preferences"))
    config = PlanoConfig(
        tree_path=(),
        index=ix,
        version=str(doc.get("version", "")),
        listeners=tuple(_listener(n, ("listeners", i), ix) for i, n in items(doc, "listeners")),
        providers=providers,
        internal_providers=internal_providers(
            providers, bool(preferences), overrides.router_model_id, overrides.agent_orchestrator_model_id
        ),
        aliases=_aliases(doc, ix),
        endpoints=_endpoints(doc, ix),
        agents=tuple(_agent(n, ("agents", i), ix) for i, n in items(doc, "agents")),
        filters=tuple(_filter(n, ("filters", i), ix) for i, n in items(doc, "filters")),
        prompt_targets=tuple(_prompt_target(n, ("prompt_targets", i), ix) for i, n in items(doc, "prompt_targets")),
        ratelimits=tuple(_ratelimit(n, ("ratelimits", i), ix) for i, n in items(doc, "ratelimits")),
        tracing=build_tracing(doc, ix),
        routing_preferences=preferences,
        metrics_sources=tuple(
            build_metrics_source(n, ("model_metrics_sources", i), ix) for i, n in items(doc, "model_metrics_sources")
        ),
        state_storage=build_state_storage(doc, ix),
        routing=build_routing(doc, ix),
        overrides=overrides,
        prompt_caching=build_prompt_caching(doc, ix),
        prompt_guards=build_prompt_guards(doc, ix),
        system_prompt=text(doc, "system_prompt"),
        secrets=(),
    )
    return _replace_secrets(config)


def _replace_secrets(config: PlanoConfig) -> PlanoConfig:
    # Secrets are found through the records (so each knows its owner), hence a second step.
    return dataclasses.replace(config, secrets=collect_secrets(config))


def _listener(node: Node, path: JsonPath, ix: LocationIndex) -> Listener:
    agents = tuple(
        ListenerAgent(
            tree_path=(*path, "agents", i),
            index=ix,
            id=text(a, "id") or "",
            description=text(a, "description") or "",
            default=flag(a, "default") is True,
            input_filters=strings(a, "input_filters"),
        )
        for i, a in items(node, "agents")
    )
    return Listener(
        tree_path=path,
        index=ix,
        name=text(node, "name") or "",
        type=text(node, "type") or "",
        port=whole(node, "port") or 0,
        address=text(node, "address"),
        timeout=text(node, "timeout"),
        max_retries=whole(node, "max_retries"),
        router=text(node, "router"),
        agents=agents,
        input_filters=strings(node, "input_filters"),
        output_filters=strings(node, "output_filters"),
    )


def _aliases(doc: Node, ix: LocationIndex) -> tuple[Alias, ...]:
    return tuple(
        Alias(tree_path=("model_aliases", name), index=ix, name=name, target=text(node, "target") or "")
        for name, node in section(doc, "model_aliases").items()
        if isinstance(node, dict)
    )


def _endpoints(doc: Node, ix: LocationIndex) -> tuple[Endpoint, ...]:
    return tuple(
        _endpoint(name, node, ix) for name, node in section(doc, "endpoints").items() if isinstance(node, dict)
    )


def _endpoint(name: str, node: Node, ix: LocationIndex) -> Endpoint:
    address = text(node, "endpoint") or ""
    host, _, port = address.partition(":")
    return Endpoint(
        tree_path=("endpoints", name),
        index=ix,
        name=name,
        endpoint=address,
        host=host.lower(),
        port=int(port) if port.isdigit() else None,
        protocol=text(node, "protocol"),
        connect_timeout=text(node, "connect_timeout"),
        http_host=text(node, "http_host"),
        prefix_affinity=flag(node, "prefix_affinity") is True,
    )


def _agent(node: Node, path: JsonPath, ix: LocationIndex) -> Agent:
    url = text(node, "url") or ""
    return Agent(tree_path=path, index=ix, id=text(node, "id") or "", url=url, upstream=parse_url(url))


def _filter(node: Node, path: JsonPath, ix: LocationIndex) -> Filter:
    url = text(node, "url") or ""
    return Filter(
        tree_path=path,
        index=ix,
        id=text(node, "id") or "",
        url=url,
        upstream=parse_url(url),
        type=text(node, "type"),
        transport=text(node, "transport"),
        tool=text(node, "tool"),
    )


def _prompt_target(node: Node, path: JsonPath, ix: LocationIndex) -> PromptTarget:
    params = (
        tuple(_parameter(n, (*path, "parameters", i), ix) for i, n in items(node, "parameters"))
        if isinstance(node.get("parameters"), list)
        else None
    )
    end = node.get("endpoint")
    endpoint = (
        TargetEndpoint(
            tree_path=(*path, "endpoint"),
            index=ix,
            name=text(end, "name") or "",
            path=text(end, "path") or "",
            http_method=text(end, "http_method"),
            http_headers=string_map(end, "http_headers"),
        )
        if isinstance(end, dict)
        else None
    )
    return PromptTarget(
        tree_path=path,
        index=ix,
        name=text(node, "name") or "",
        description=text(node, "description") or "",
        default=flag(node, "default"),
        auto_llm_dispatch_on_response=flag(node, "auto_llm_dispatch_on_response"),
        system_prompt=text(node, "system_prompt"),
        parameters=params,
        endpoint=endpoint,
    )


def _parameter(node: Node, path: JsonPath, ix: LocationIndex) -> Parameter:
    enum = node.get("enum")
    return Parameter(
        tree_path=path,
        index=ix,
        name=text(node, "name") or "",
        type=text(node, "type") or "",
        description=text(node, "description") or "",
        required=flag(node, "required"),
        default=_scalar(node.get("default")),
        enum=tuple(v for v in enum if _scalar(v) is not None) if isinstance(enum, list) else None,
        in_path=flag(node, "in_path"),
        format=text(node, "format"),
    )


def _scalar(value: Any) -> Scalar | None:
    return value if isinstance(value, str | int | bool) else None


def _ratelimit(node: Node, path: JsonPath, ix: LocationIndex) -> Ratelimit:
    selector, limit = section(node, "selector"), section(node, "limit")
    return Ratelimit(
        tree_path=path,
        index=ix,
        model=text(node, "model") or "",
        selector_key=text(selector, "key") or "",
        selector_value=text(selector, "value") or "",
        tokens=whole(limit, "tokens") or 0,
        unit=text(limit, "unit") or "",
    )


def _preference(node: Node, path: JsonPath, ix: LocationIndex) -> RoutingPreference:
    return RoutingPreference(
        tree_path=path,
        index=ix,
        name=text(node, "name") or "",
        description=text(node, "description") or "",
        models=strings(node, "models"),
        prefer=text(section(node, "selection_policy"), "prefer"),
    )


def _overrides(doc: Node, ix: LocationIndex) -> Overrides:
    node = section(doc, "overrides")
    return Overrides(
        tree_path=("overrides",),
        index=ix,
        prompt_target_intent_matching_threshold=number(node, "prompt_target_intent_matching_threshold"),
        optimize_context_window=flag(node, "optimize_context_window"),
        use_agent_orchestrator=flag(node, "use_agent_orchestrator"),
        disable_signals=flag(node, "disable_signals"),
        upstream_connect_timeout=text(node, "upstream_connect_timeout"),
        upstream_tls_ca_path=text(node, "upstream_tls_ca_path"),
        llm_routing_model=text(node, "llm_routing_model"),
        agent_orchestration_model=text(node, "agent_orchestration_model"),
        orchestrator_model_context_length=whole(node, "orchestrator_model_context_length"),
        extra=MappingProxyType({k: _frozen(v) for k, v in node.items() if k not in KNOWN_OVERRIDES}),
    )


def _frozen(value: Any) -> object:
    """Unknown override values, made immutable (plain tuples and read-only mappings)."""
    if isinstance(value, dict):
        return MappingProxyType({str(k): _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value
