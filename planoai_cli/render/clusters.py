"""Render stage: the Envoy clusters (built-in providers, endpoints/agents/filters, base_url providers, hops)."""

from __future__ import annotations

from planoai_cli.contract import (
    BRIGHTSTAFF_PORT,
    DEFAULT_UPSTREAM_CONNECT_TIMEOUT,
    INTERNAL_PROVIDER_INTERFACE,
    OUTBOUND_PORT,
    PROMPT_HOP_PORT,
    STATIC_PROVIDER_CLUSTERS,
)
from planoai_cli.model import PlanoConfig, Provider
from planoai_cli.render.context import Cluster
from planoai_cli.render.services import EndpointTarget

INTERNAL_CONNECT_TIMEOUT = "0.5s"
OTEL_CLUSTER = "opentelemetry_collector"


def provider_route_clusters(config: PlanoConfig) -> tuple[str, ...]:
    """The cluster of every provider (internal ones included), each once, in first-use order."""
    names = [p.route_cluster for p in config.providers]
    if config.internal_providers:
        names.append(INTERNAL_PROVIDER_INTERFACE)
    return tuple(dict.fromkeys(names))


def envoy_clusters(
    config: PlanoConfig, targets: tuple[EndpointTarget, ...], otel: tuple[str, int] | None
) -> tuple[Cluster, ...]:
    """In emission order: built-in providers, endpoint targets, base_url providers, internal hops, collector."""
    timeout = config.overrides.upstream_connect_timeout or DEFAULT_UPSTREAM_CONNECT_TIMEOUT
    return (
        *(Cluster(name, host, 443, host, timeout, sni=host) for name, host in STATIC_PROVIDER_CLUSTERS.items()),
        *(_target(t, timeout) for t in targets),
        *_provider_clusters(config.providers, timeout),
        Cluster("arch_internal", "0.0.0.0", OUTBOUND_PORT, "arch_internal", INTERNAL_CONNECT_TIMEOUT),
        Cluster("bright_staff", "0.0.0.0", BRIGHTSTAFF_PORT, "localhost", INTERNAL_CONNECT_TIMEOUT),
        Cluster(
            "arch_prompt_gateway_listener",
            "0.0.0.0",
            PROMPT_HOP_PORT,
            "arch_prompt_gateway_listener",
            INTERNAL_CONNECT_TIMEOUT,
        ),
        *((Cluster(OTEL_CLUSTER, otel[0], otel[1], None, None, "STRICT_DNS", http2=True),) if otel else ()),
    )


def _provider_clusters(providers: tuple[Provider, ...], timeout: str) -> list[Cluster]:
    # The model gives every (interface, scheme, host, port) its own name, so the first provider speaks for all.
    first: dict[str, Cluster] = {}
    for p in providers:
        up = p.upstream
        if p.cluster_name is not None and up is not None and p.cluster_name not in first:
            first[p.cluster_name] = Cluster(
                p.cluster_name, up.host, up.port, p.http_host or up.host, timeout, sni=up.host if up.tls else None
            )
    return list(first.values())


def _target(t: EndpointTarget, timeout: str) -> Cluster:
    affinity = t.prefix_affinity
    return Cluster(
        t.name,
        t.host,
        t.port,
        t.http_host or t.host,
        t.connect_timeout or timeout,
        "STRICT_DNS" if affinity else "LOGICAL_DNS",
        "RING_HASH" if affinity else "ROUND_ROBIN",
        sni=t.host if t.tls else None,
    )
