"""Render stage: the endpoint clusters (endpoints, then agents, then filters) and the tracing collector address."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from planoai_cli.contract import CONTAINER_HOST_ALIAS, DEFAULT_OTEL_PORT
from planoai_cli.errors import RenderError
from planoai_cli.model import Endpoint, PlanoConfig, Upstream
from planoai_cli.secrets import has_refs
from planoai_cli.tree import format_path


@dataclass(frozen=True)
class EndpointTarget:
    """One upstream reached through the outbound router (11000) by `x-arch-upstream: <name>`."""

    name: str
    host: str
    port: int
    protocol: str  # `http` or `https` (TLS)
    http_host: str | None
    connect_timeout: str | None  # its own; None means the config-wide upstream timeout
    prefix_affinity: bool
    entry: dict[str, object]  # how the rendered config's `endpoints` lists it

    @property
    def tls(self) -> bool:
        return self.protocol == "https"


def endpoint_targets(config: PlanoConfig) -> tuple[EndpointTarget, ...]:
    """User endpoints in file order, then agents, then filters (ids never clash: a check guarantees it)."""
    return (
        *(_endpoint(e) for e in config.endpoints),
        *(_service(s.id, s.upstream) for s in config.services if s.upstream is not None),
    )


def _endpoint(e: Endpoint) -> EndpointTarget:
    protocol = e.protocol or "http"
    port = e.port if e.port is not None else (443 if protocol == "https" else 80)
    entry: dict[str, object] = {"endpoint": e.endpoint, "port": port, "protocol": protocol}
    optional = {
        "connect_timeout": e.connect_timeout,
        "http_host": e.http_host,
        "prefix_affinity": True if e.prefix_affinity else None,
    }
    entry.update((k, v) for k, v in optional.items() if v is not None)
    return EndpointTarget(e.name, e.host, port, protocol, e.http_host, e.connect_timeout, e.prefix_affinity, entry)


def _service(name: str, up: Upstream) -> EndpointTarget:
    entry: dict[str, object] = {"endpoint": up.host, "port": up.port, "protocol": up.scheme}
    return EndpointTarget(name, up.host, up.port, up.scheme, None, None, False, entry)


def agent_orchestrator(config: PlanoConfig, targets: tuple[EndpointTarget, ...]) -> str | None:
    """With `use_agent_orchestrator`, the one endpoint cluster also serves as the orchestrator (a check ensures one)."""
    if config.overrides.use_agent_orchestrator is not True or len(targets) != 1:
        return None
    return targets[0].name


def default_otel_endpoint(containerize: bool) -> str:
    """The collector the data plane reports to when the config names none: OTLP/gRPC on this machine."""
    return f"http://{CONTAINER_HOST_ALIAS if containerize else 'localhost'}:{DEFAULT_OTEL_PORT}"


def otel_address(config: PlanoConfig, default: str) -> tuple[str, int]:
    """Host and port of the collector cluster; the endpoint must be a literal `http://host:port` (checked)."""
    tracing = config.tracing
    value = (tracing.opentracing_grpc_endpoint if tracing else None) or default
    if has_refs(value):
        where = format_path(tracing.where("opentracing_grpc_endpoint").path) if tracing else "tracing"
        raise RenderError(
            f"{where} is an environment reference, but Envoy needs the collector's address "
            "itself to define its cluster",
            hint="write the address (e.g. http://otel-collector:4317) in the config",
        )
    parts = urlsplit(value.strip())
    return parts.hostname or "", parts.port or DEFAULT_OTEL_PORT
