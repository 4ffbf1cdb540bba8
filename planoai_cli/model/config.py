"""Model stage: the whole config as one frozen value (`PlanoConfig`), plus `Overrides`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planoai_cli.contract import DEFAULT_ROUTING_MODEL
from planoai_cli.model.base import Record
from planoai_cli.model.records import (
    Agent,
    Alias,
    Endpoint,
    Filter,
    InternalProvider,
    Listener,
    PromptTarget,
    Provider,
    Ratelimit,
    SecretRef,
    Service,
)
from planoai_cli.model.sections import (
    MetricsSource,
    PromptCaching,
    PromptGuards,
    Routing,
    RoutingPreference,
    StateStorage,
    Tracing,
)


def model_id_of(model: str) -> str:
    """The id part of a model setting: the runtime drops everything up to the first `/`."""
    return model.split("/", 1)[-1]


@dataclass(frozen=True, kw_only=True)
class Overrides(Record):
    """The `overrides` section: the known keys typed, anything else kept in `extra`."""

    prompt_target_intent_matching_threshold: float | None
    optimize_context_window: bool | None
    use_agent_orchestrator: bool | None
    disable_signals: bool | None
    upstream_connect_timeout: str | None
    upstream_tls_ca_path: str | None
    llm_routing_model: str | None
    agent_orchestration_model: str | None
    orchestrator_model_context_length: int | None
    extra: Mapping[str, object]

    @property
    def router_model_id(self) -> str:
        return model_id_of(self.llm_routing_model or DEFAULT_ROUTING_MODEL)

    @property
    def agent_orchestrator_model_id(self) -> str:
        return model_id_of(self.agent_orchestration_model or DEFAULT_ROUTING_MODEL)


@dataclass(frozen=True, kw_only=True)
class PlanoConfig(Record):
    """A canonical config, typed. Lists keep file order; absent sections are None or empty."""

    version: str
    listeners: tuple[Listener, ...]
    providers: tuple[Provider, ...]
    internal_providers: tuple[InternalProvider, ...]  # what the renderer appends after `providers`
    aliases: tuple[Alias, ...]
    endpoints: tuple[Endpoint, ...]
    agents: tuple[Agent, ...]
    filters: tuple[Filter, ...]
    prompt_targets: tuple[PromptTarget, ...]
    ratelimits: tuple[Ratelimit, ...]
    tracing: Tracing | None
    routing_preferences: tuple[RoutingPreference, ...]
    metrics_sources: tuple[MetricsSource, ...]
    state_storage: StateStorage | None
    routing: Routing | None
    overrides: Overrides
    prompt_caching: PromptCaching | None
    prompt_guards: PromptGuards | None
    system_prompt: str | None
    secrets: tuple[SecretRef, ...]

    @property
    def services(self) -> tuple[Service, ...]:
        """Agents then filters: together they share one id space (and become endpoint clusters)."""
        return (*self.agents, *self.filters)

    @property
    def model_listener(self) -> Listener | None:
        return next((li for li in self.listeners if li.type == "model"), None)

    def provider_for(self, ref: str) -> Provider | None:
        """The provider a routing reference means: by name, else full model, else bare (non-wildcard) id."""
        return (
            next((p for p in self.providers if p.name == ref), None)
            or next((p for p in self.providers if p.model == ref), None)
            or next((p for p in self.providers if not p.wildcard and p.model_id == ref), None)
        )
