"""Model stage: frozen records for the list-like sections of a canonical config (values as the user wrote them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from planoai_cli.model.base import Record, Upstream
from planoai_cli.tree import Location

Scalar = str | int | bool


@dataclass(frozen=True, kw_only=True)
class ListenerAgent(Record):
    """An agent served by an agent listener (`listeners[].agents[]`)."""

    id: str
    description: str
    default: bool
    input_filters: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Listener(Record):
    """One entry of `listeners`."""

    name: str
    type: str
    port: int
    address: str | None
    timeout: str | None
    max_retries: int | None
    router: str | None
    agents: tuple[ListenerAgent, ...]
    input_filters: tuple[str, ...]
    output_filters: tuple[str, ...]

    @property
    def envoy_name(self) -> str:
        """The Envoy listener name an agent listener gets (spaces become `_`)."""
        return self.name.replace(" ", "_")


@dataclass(frozen=True, kw_only=True)
class Provider(Record):
    """One entry of `model_providers`, with the values the renderer derives from it."""

    model: str  # the full `<prefix>/<id>` string
    name: str  # as written, else the full model string
    named: bool  # whether `name` was written
    prefix: str
    model_id: str  # everything after the first `/`
    wildcard: bool
    interface: str  # the prefix, or `provider_interface` for a custom prefix
    provider_interface: str | None
    access_key: str | None
    default: bool
    base_url: str | None
    passthrough_auth: bool
    http_host: str | None
    headers: Mapping[str, str]
    upstream: Upstream | None  # parsed `base_url` (or ChatGPT's default upstream)
    cluster_name: str | None  # set for providers with an upstream; unique per interface/scheme/host/port

    @property
    def route_cluster(self) -> str:
        """The Envoy cluster requests for this provider go to."""
        return self.cluster_name or self.interface

    @property
    def description(self) -> str:
        """`model provider openai/gpt-4o`: how secrets and listings name the provider."""
        return f"model provider {self.name}"

    @property
    def label(self) -> str:
        """`model provider 'openai/gpt-4o'`: how messages name the provider."""
        return f"model provider {self.name!r}"


@dataclass(frozen=True)
class InternalProvider:
    """A provider the data plane needs and the renderer appends (never written by the user)."""

    name: str
    model_id: str


@dataclass(frozen=True, kw_only=True)
class Alias(Record):
    """`model_aliases.<name>: {target}`."""

    name: str
    target: str


@dataclass(frozen=True, kw_only=True)
class Endpoint(Record):
    """`endpoints.<name>`: a named upstream for prompt targets."""

    name: str
    endpoint: str
    host: str
    port: int | None  # explicit port, else None (the renderer uses 80/443 by protocol)
    protocol: str | None
    connect_timeout: str | None
    http_host: str | None
    prefix_affinity: bool


@dataclass(frozen=True, kw_only=True)
class Service(Record):
    """A top-level agent or filter: an id and the URL it listens on."""

    kind: ClassVar[str] = "service"
    id: str
    url: str
    upstream: Upstream | None  # None when the URL lacks an http(s) scheme or a host


@dataclass(frozen=True, kw_only=True)
class Agent(Service):
    """One entry of `agents`."""

    kind: ClassVar[str] = "agent"


@dataclass(frozen=True, kw_only=True)
class Filter(Service):
    """One entry of `filters`."""

    kind: ClassVar[str] = "filter"
    type: str | None
    transport: str | None
    tool: str | None


@dataclass(frozen=True, kw_only=True)
class Parameter(Record):
    """A prompt target parameter."""

    name: str
    type: str
    description: str
    required: bool | None
    default: Scalar | None
    enum: tuple[Scalar, ...] | None
    in_path: bool | None
    format: str | None


@dataclass(frozen=True, kw_only=True)
class TargetEndpoint(Record):
    """`prompt_targets[].endpoint`: a reference to an endpoint, agent or filter id."""

    name: str
    path: str
    http_method: str | None
    http_headers: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class PromptTarget(Record):
    """One entry of `prompt_targets`."""

    name: str
    description: str
    default: bool | None
    auto_llm_dispatch_on_response: bool | None
    system_prompt: str | None
    parameters: tuple[Parameter, ...] | None
    endpoint: TargetEndpoint | None


@dataclass(frozen=True, kw_only=True)
class Ratelimit(Record):
    """One entry of `ratelimits`."""

    model: str
    selector_key: str
    selector_value: str
    tokens: int
    unit: str


@dataclass(frozen=True)
class SecretRef:
    """An environment reference found in a secret-bearing field."""

    name: str
    path_text: str
    owner_description: str
    loc: Location
