"""Model stage: a canonical tree becomes frozen, typed records (`build(doc) -> PlanoConfig`); dicts stop here.

Every record knows where the user wrote it (`loc`) and each of its fields (`where(field)`), even when
the tree came out of a migration.
"""

from __future__ import annotations

from planoai_cli.model.base import LocationIndex, Record, Upstream, parse_url
from planoai_cli.model.build import build
from planoai_cli.model.config import Overrides, PlanoConfig, model_id_of
from planoai_cli.model.records import (
    Agent,
    Alias,
    Endpoint,
    Filter,
    InternalProvider,
    Listener,
    ListenerAgent,
    Parameter,
    PromptTarget,
    Provider,
    Ratelimit,
    SecretRef,
    Service,
    TargetEndpoint,
)
from planoai_cli.model.sections import (
    Exporter,
    MetricsSource,
    PromptCaching,
    PromptGuards,
    Routing,
    RoutingBudget,
    RoutingPreference,
    SessionCache,
    StateStorage,
    Tracing,
)

__all__ = [
    "Agent",
    "Alias",
    "Endpoint",
    "Exporter",
    "Filter",
    "InternalProvider",
    "Listener",
    "ListenerAgent",
    "LocationIndex",
    "MetricsSource",
    "Overrides",
    "Parameter",
    "PlanoConfig",
    "PromptCaching",
    "PromptGuards",
    "PromptTarget",
    "Provider",
    "Ratelimit",
    "Record",
    "Routing",
    "RoutingBudget",
    "RoutingPreference",
    "SecretRef",
    "Service",
    "SessionCache",
    "StateStorage",
    "TargetEndpoint",
    "Tracing",
    "Upstream",
    "build",
    "model_id_of",
    "parse_url",
]
