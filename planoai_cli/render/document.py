"""Render stage: the rendered config (`plano_config_rendered.yaml`) as an ordered document in the Rust consumer's shape.

Built from the model, section by section, in the canonical order; values the user did not write are
left out unless the data plane needs them.
"""

from __future__ import annotations

from collections.abc import Iterable

from planoai_cli.contract import DEFAULT_MODEL_LISTENER, DEFAULT_MODEL_PORT
from planoai_cli.model import (
    Listener,
    MetricsSource,
    Overrides,
    Parameter,
    PlanoConfig,
    PromptTarget,
    Routing,
    Tracing,
)
from planoai_cli.render.providers import Entry, preference_entries, provider_entries
from planoai_cli.render.services import EndpointTarget

VERSION = "v0.4.0"


def _some(**fields: object) -> Entry:
    """The fields that have a value (None means 'not written'), in the order given."""
    return {k: v for k, v in fields.items() if v is not None}


def _put(doc: Entry, key: str, value: object) -> None:
    if value is not None and value not in ([], {}):
        doc[key] = value


def document(config: PlanoConfig, targets: tuple[EndpointTarget, ...], otel_endpoint: str) -> Entry:
    """The whole rendered config; `otel_endpoint` is the collector used when tracing names none."""
    doc: Entry = {"version": VERSION, "listeners": listeners(config), "model_providers": provider_entries(config)}
    _put(doc, "model_aliases", {a.name: {"target": a.target} for a in config.aliases})
    _put(doc, "routing_preferences", preference_entries(config))
    _put(doc, "model_metrics_sources", [_metrics_source(m) for m in config.metrics_sources])
    _put(doc, "agents", [{"id": a.id, "url": a.url} for a in config.agents])
    _put(
        doc,
        "filters",
        [_some(id=f.id, url=f.url, type=f.type, transport=f.transport, tool=f.tool) for f in config.filters],
    )
    _put(doc, "endpoints", {t.name: t.entry for t in targets})
    _put(doc, "system_prompt", config.system_prompt)
    _put(doc, "prompt_targets", [_prompt_target(t) for t in config.prompt_targets])
    if config.prompt_guards is not None:
        guard = {"on_exception": _some(message=config.prompt_guards.jailbreak_message)}
        doc["prompt_guards"] = {"input_guards": {"jailbreak": guard}}
    _put(
        doc,
        "ratelimits",
        [
            {
                "model": r.model,
                "selector": {"key": r.selector_key, "value": r.selector_value},
                "limit": {"tokens": r.tokens, "unit": r.unit},
            }
            for r in config.ratelimits
        ],
    )
    _put(doc, "overrides", _overrides(config.overrides))
    _put(doc, "routing", _routing(config.routing) if config.routing else None)
    if config.prompt_caching is not None:
        c = config.prompt_caching
        doc["prompt_caching"] = _some(
            enabled=c.enabled,
            session_affinity=c.session_affinity,
            inject_cache_control=c.inject_cache_control,
            min_prefix_tokens=c.min_prefix_tokens,
            session_ttl_seconds=c.session_ttl_seconds,
        )
    if config.state_storage is not None:
        s = config.state_storage
        doc["state_storage"] = _some(type=s.type, connection_string=s.connection_string)
    _put(doc, "tracing", _tracing(config.tracing, otel_endpoint) if config.tracing else None)
    return doc


def listeners(config: PlanoConfig) -> list[Entry]:
    """The user's listeners; without a model listener, the default one the data plane always binds."""
    out = [_listener(li) for li in config.listeners]
    if config.model_listener is None:
        out.append(
            {
                "name": DEFAULT_MODEL_LISTENER["name"],
                "type": "model",
                "port": DEFAULT_MODEL_PORT,
                "address": DEFAULT_MODEL_LISTENER["address"],
                "timeout": DEFAULT_MODEL_LISTENER["timeout"],
            }
        )
    return out


def _listener(li: Listener) -> Entry:
    agents = [
        _some(
            id=a.id,
            description=a.description,
            default=True if a.default else None,
            input_filters=_list(a.input_filters),
        )
        for a in li.agents
    ]
    return _some(
        name=li.name,
        type=li.type,
        port=li.port,
        address=li.address,
        timeout=li.timeout,
        max_retries=li.max_retries,
        router=li.router,
        agents=agents or None,
        input_filters=_list(li.input_filters),
        output_filters=_list(li.output_filters),
    )


def _list(values: Iterable[object]) -> list[object] | None:
    return list(values) or None


def _metrics_source(m: MetricsSource) -> Entry:
    aliases = dict(m.model_aliases) if m.model_aliases is not None else None
    return _some(
        type=m.type,
        provider=m.provider,
        url=m.url,
        query=m.query,
        refresh_interval=m.refresh_interval,
        model_aliases=aliases,
    )


def _prompt_target(t: PromptTarget) -> Entry:
    params = [_parameter(p) for p in t.parameters] if t.parameters is not None else None
    endpoint = None
    if t.endpoint is not None:
        e = t.endpoint
        endpoint = _some(name=e.name, path=e.path, http_method=e.http_method, http_headers=dict(e.http_headers) or None)
    return _some(
        name=t.name,
        description=t.description,
        default=t.default,
        auto_llm_dispatch_on_response=t.auto_llm_dispatch_on_response,
        system_prompt=t.system_prompt,
        parameters=params,
        endpoint=endpoint,
    )


def _parameter(p: Parameter) -> Entry:
    return _some(
        name=p.name,
        type=p.type,
        description=p.description,
        required=p.required,
        default=p.default,
        enum=list(p.enum) if p.enum is not None else None,
        in_path=p.in_path,
        format=p.format,
    )


def _overrides(o: Overrides) -> Entry:
    # Unknown keys (a check warns about them) are not copied: no consumer reads them.
    return _some(
        prompt_target_intent_matching_threshold=o.prompt_target_intent_matching_threshold,
        optimize_context_window=o.optimize_context_window,
        use_agent_orchestrator=o.use_agent_orchestrator,
        disable_signals=o.disable_signals,
        upstream_connect_timeout=o.upstream_connect_timeout,
        upstream_tls_ca_path=o.upstream_tls_ca_path,
        llm_routing_model=o.llm_routing_model,
        agent_orchestration_model=o.agent_orchestration_model,
        orchestrator_model_context_length=o.orchestrator_model_context_length,
    )


def _routing(r: Routing) -> Entry:
    cache = r.session_cache
    budget = r.budget
    return _some(
        session_ttl_seconds=r.session_ttl_seconds,
        session_max_entries=r.session_max_entries,
        session_cache=_some(type=cache.type, url=cache.url, tenant_header=cache.tenant_header) if cache else None,
        routing_budget=_some(
            max_switch_spend_pct=budget.max_switch_spend_pct,
            replenish_on_rebind=budget.replenish_on_rebind,
            cache_read_discount=budget.cache_read_discount,
            record_counterfactual=budget.record_counterfactual,
        )
        if budget
        else None,
        route_on_user_only=r.route_on_user_only,
    )


def _tracing(t: Tracing, otel_endpoint: str) -> Entry:
    spans = _some(
        header_prefixes=list(t.header_prefixes) if t.header_prefixes is not None else None,
        static=dict(t.static_attributes) if t.static_attributes is not None else None,
    )
    exporters = (
        [
            _some(
                type=e.type,
                url=e.url,
                api_key=e.api_key,
                distinct_id_header=e.distinct_id_header,
                capture_messages=e.capture_messages,
            )
            for e in t.exporters
        ]
        if t.exporters is not None
        else None
    )
    return _some(
        random_sampling=t.random_sampling,
        trace_arch_internal=t.trace_arch_internal,
        opentracing_grpc_endpoint=t.opentracing_grpc_endpoint or otel_endpoint,
        span_attributes=spans or None,
        exporters=exporters,
    )
