"""Render stage: the frozen values the Envoy templates loop over (listeners, routes, clusters, tracing).

The templates only print these and branch on them; every decision (names, ports, timeouts, which
filters a listener runs) is made here and in `listeners.py` / `clusters.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

# ttft histogram buckets (ms) the LLM plugin's time-to-first-token metric is reported in.
TTFT_BUCKETS = (
    100,
    500,
    800,
    1000,
    1200,
    1400,
    1600,
    1800,
    2000,
    2200,
    2400,
    3000,
    3500,
    4000,
    4500,
    5000,
    6000,
    10000,
    60000,
    180000,
)


@dataclass(frozen=True)
class Route:
    """One route: match a path prefix (and optionally one header exactly), then forward or answer directly."""

    prefix: str
    header: str | None = None
    value: str | None = None
    cluster: str | None = None  # forward here (with the upstream Host rewritten to the cluster's hostname) …
    timeout: str | None = None
    status: int | None = None  # … or answer with this status
    body: str | None = None
    prefix_rewrite: str | None = None
    hash_header: str | None = None  # ring-hash key for prefix-affinity clusters
    retries: int | None = None  # retry policy on provider routes (the model listener's max_retries)


@dataclass(frozen=True)
class Tracing:
    """OpenTelemetry tracing on one listener (only when `random_sampling` > 0)."""

    service_name: str
    sampling: int
    operation: str  # an Envoy format string naming the span


@dataclass(frozen=True)
class HttpListener:
    """One Envoy listener with a single HTTP connection manager."""

    name: str
    address: str
    port: int
    direction: str | None  # INBOUND / OUTBOUND, or None
    stat_prefix: str
    access_log: str
    log_format: str | None  # None: Envoy's default line
    chain: str  # the HTTP filter chain: `router`, `prompt`, `codecs` or `llm` (see http_filters.yaml.j2)
    routes: tuple[Route, ...]
    tracing: Tracing | None = None
    request_headers: tuple[tuple[str, str], ...] = ()  # added to every request (value is an Envoy format string)


@dataclass(frozen=True)
class Cluster:
    """One upstream cluster with a single endpoint."""

    name: str
    host: str
    port: int
    hostname: str | None  # what `auto_host_rewrite` sends as Host
    connect_timeout: str | None  # None: Envoy's default
    discovery: str = "LOGICAL_DNS"
    lb_policy: str = "ROUND_ROBIN"
    sni: str | None = None  # TLS (with this SNI) when set
    http2: bool = False


@dataclass(frozen=True)
class EnvoyContext:
    """Everything envoy.yaml.j2 prints."""

    admin_port: int
    buckets: tuple[int, ...]
    listeners: tuple[HttpListener, ...]
    clusters: tuple[Cluster, ...]
    ca_path: str
    prompt_gateway_wasm: str
    llm_gateway_wasm: str
    plano_config: str  # the rendered config, embedded verbatim in the three wasm filters
