"""Model stage: the single-instance sections (tracing, routing, storage, caching, guards) and metrics sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planoai_cli.model.base import (
    LocationIndex,
    Node,
    Record,
    flag,
    items,
    number,
    section,
    string_map,
    strings,
    text,
    whole,
)
from planoai_cli.tree import JsonPath


@dataclass(frozen=True, kw_only=True)
class Exporter(Record):
    """A tracing exporter (`tracing.exporters[]`, PostHog only)."""

    type: str
    url: str
    api_key: str
    distinct_id_header: str | None
    capture_messages: bool | None


@dataclass(frozen=True, kw_only=True)
class Tracing(Record):
    """The `tracing` section."""

    random_sampling: int | None
    trace_arch_internal: bool | None
    opentracing_grpc_endpoint: str | None
    header_prefixes: tuple[str, ...] | None
    static_attributes: Mapping[str, str] | None
    exporters: tuple[Exporter, ...] | None

    @property
    def enabled(self) -> bool:
        """Envoy traces only when sampling is above zero."""
        return (self.random_sampling or 0) > 0


@dataclass(frozen=True, kw_only=True)
class RoutingPreference(Record):
    """One entry of `routing_preferences`."""

    name: str
    description: str
    models: tuple[str, ...]
    prefer: str | None  # `selection_policy.prefer`


@dataclass(frozen=True, kw_only=True)
class MetricsSource(Record):
    """One entry of `model_metrics_sources` (`cost` or `latency`)."""

    type: str
    provider: str
    url: str | None
    query: str | None
    refresh_interval: int | None
    model_aliases: Mapping[str, str] | None


@dataclass(frozen=True, kw_only=True)
class StateStorage(Record):
    """The `state_storage` section."""

    type: str
    connection_string: str | None


@dataclass(frozen=True, kw_only=True)
class SessionCache(Record):
    """`routing.session_cache`."""

    type: str  # `memory` when not written
    url: str | None
    tenant_header: str | None


@dataclass(frozen=True, kw_only=True)
class RoutingBudget(Record):
    """`routing.routing_budget`."""

    max_switch_spend_pct: float
    replenish_on_rebind: bool | None
    cache_read_discount: float | None
    record_counterfactual: bool | None


@dataclass(frozen=True, kw_only=True)
class Routing(Record):
    """The `routing` section."""

    session_ttl_seconds: int | None
    session_max_entries: int | None
    session_cache: SessionCache | None
    budget: RoutingBudget | None
    route_on_user_only: bool | None


@dataclass(frozen=True, kw_only=True)
class PromptCaching(Record):
    """The `prompt_caching` section."""

    enabled: bool | None
    session_affinity: bool | None
    inject_cache_control: bool | None
    min_prefix_tokens: int | None
    session_ttl_seconds: int | None


@dataclass(frozen=True, kw_only=True)
class PromptGuards(Record):
    """The `prompt_guards` section (inert in the runtime, kept for the rendered config)."""

    jailbreak_message: str | None


def build_tracing(doc: Node, ix: LocationIndex) -> Tracing | None:
    node = doc.get("tracing")
    if not isinstance(node, dict):
        return None
    spans = node.get("span_attributes")
    spans = spans if isinstance(spans, dict) else None
    exporters = (
        tuple(_exporter(n, ("tracing", "exporters", i), ix) for i, n in items(node, "exporters"))
        if isinstance(node.get("exporters"), list)
        else None
    )
    return Tracing(
        tree_path=("tracing",),
        index=ix,
        random_sampling=whole(node, "random_sampling"),
        trace_arch_internal=flag(node, "trace_arch_internal"),
        opentracing_grpc_endpoint=text(node, "opentracing_grpc_endpoint"),
        header_prefixes=strings(spans, "header_prefixes") if spans and "header_prefixes" in spans else None,
        static_attributes=string_map(spans, "static") if spans and "static" in spans else None,
        exporters=exporters,
    )


def _exporter(node: Node, path: JsonPath, ix: LocationIndex) -> Exporter:
    return Exporter(
        tree_path=path,
        index=ix,
        type=text(node, "type") or "",
        url=text(node, "url") or "",
        api_key=text(node, "api_key") or "",
        distinct_id_header=text(node, "distinct_id_header"),
        capture_messages=flag(node, "capture_messages"),
    )


def build_routing(doc: Node, ix: LocationIndex) -> Routing | None:
    node = doc.get("routing")
    if not isinstance(node, dict):
        return None
    cache, budget = node.get("session_cache"), node.get("routing_budget")
    return Routing(
        tree_path=("routing",),
        index=ix,
        session_ttl_seconds=whole(node, "session_ttl_seconds"),
        session_max_entries=whole(node, "session_max_entries"),
        session_cache=SessionCache(
            tree_path=("routing", "session_cache"),
            index=ix,
            type=text(cache, "type") or "memory",
            url=text(cache, "url"),
            tenant_header=text(cache, "tenant_header"),
        )
        if isinstance(cache, dict)
        else None,
        budget=_budget(budget, ix) if isinstance(budget, dict) else None,
        route_on_user_only=flag(node, "route_on_user_only"),
    )


def _budget(node: Node, ix: LocationIndex) -> RoutingBudget:
    return RoutingBudget(
        tree_path=("routing", "routing_budget"),
        index=ix,
        max_switch_spend_pct=number(node, "max_switch_spend_pct") or 0.0,
        replenish_on_rebind=flag(node, "replenish_on_rebind"),
        cache_read_discount=number(node, "cache_read_discount"),
        record_counterfactual=flag(node, "record_counterfactual"),
    )


def build_state_storage(doc: Node, ix: LocationIndex) -> StateStorage | None:
    node = doc.get("state_storage")
    if not isinstance(node, dict):
        return None
    return StateStorage(
        tree_path=("state_storage",),
        index=ix,
        type=text(node, "type") or "",
        connection_string=text(node, "connection_string"),
    )


def build_metrics_source(node: Node, path: JsonPath, ix: LocationIndex) -> MetricsSource:
    return MetricsSource(
        tree_path=path,
        index=ix,
        type=text(node, "type") or "",
        provider=text(node, "provider") or "",
        url=text(node, "url"),
        query=text(node, "query"),
        refresh_interval=whole(node, "refresh_interval"),
        model_aliases=string_map(node, "model_aliases") if "model_aliases" in node else None,
    )


def build_prompt_caching(doc: Node, ix: LocationIndex) -> PromptCaching | None:
    node = doc.get("prompt_caching")
    if not isinstance(node, dict):
        return None
    return PromptCaching(
        tree_path=("prompt_caching",),
        index=ix,
        enabled=flag(node, "enabled"),
        session_affinity=flag(node, "session_affinity"),
        inject_cache_control=flag(node, "inject_cache_control"),
        min_prefix_tokens=whole(node, "min_prefix_tokens"),
        session_ttl_seconds=whole(node, "session_ttl_seconds"),
    )


def build_prompt_guards(doc: Node, ix: LocationIndex) -> PromptGuards | None:
    node = doc.get("prompt_guards")
    if not isinstance(node, dict):
        return None
    on_exception = section(section(section(node, "input_guards"), "jailbreak"), "on_exception")
    return PromptGuards(tree_path=("prompt_guards",), index=ix, jailbreak_message=text(on_exception, "message"))
