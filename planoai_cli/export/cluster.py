"""Export: warnings for upstreams a cluster cannot reach (this machine, as `localhost` or `host.docker.internal`).

`render` points loopback hosts at `host.docker.internal`, the Docker host. In a Kubernetes cluster neither name
reaches the agent, filter, provider or collector: each must be the Service (or external) name it has there.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from planoai_cli.contract import CONTAINER_HOST_ALIAS
from planoai_cli.diagnostics import Diagnostic, Severity, at, sorted_diagnostics
from planoai_cli.model import PlanoConfig, Record
from planoai_cli.render.localhost import containerize

CODE = "export.cluster-host"
HINT = "in a cluster, use the Service name it has there (e.g. http://NAME.NAMESPACE.svc:PORT), then export again"


def cluster_warnings(config: PlanoConfig) -> tuple[Diagnostic, ...]:
    """One warning per URL field that names this machine, at the user's line."""
    config, _ = containerize(config)
    found: list[Diagnostic] = []
    for p in config.providers:
        if p.upstream is not None and p.upstream.host == CONTAINER_HOST_ALIAS:
            found.append(_warning(p, f"model provider {p.label!r}", "base_url"))
    for s in (*config.agents, *config.filters):
        if s.upstream is not None and s.upstream.host == CONTAINER_HOST_ALIAS:
            found.append(_warning(s, f"{s.kind} {s.id!r}", "url"))
    for e in config.endpoints:
        if e.host == CONTAINER_HOST_ALIAS:
            found.append(_warning(e, f"endpoint {e.name!r}", "endpoint"))
    tracing = config.tracing
    if tracing is not None and tracing.enabled:
        endpoint = tracing.opentracing_grpc_endpoint
        if endpoint is None or _host(endpoint) == CONTAINER_HOST_ALIAS:
            found.append(_warning(tracing, "tracing", "opentracing_grpc_endpoint", defaulted=endpoint is None))
    return sorted_diagnostics(found)


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _warning(record: Record, owner: str, field: str, *, defaulted: bool = False) -> Diagnostic:
    what = "defaults to" if defaulted else "points at"
    message = (
        f"{owner}: {field} {what} {CONTAINER_HOST_ALIAS} (the machine running Docker), which a Kubernetes "
        "pod cannot reach"
    )
    return at(Severity.WARNING, CODE, message, record.where(field), HINT)
