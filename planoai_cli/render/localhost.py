"""Render stage: point loopback hosts in URL fields at the machine running the container (`host.docker.internal`).

Inside the gateway container `localhost` is the container itself, so a provider, agent or collector the
user runs on this machine must be reached as `host.docker.internal`. The rewrite is structural: only the
host part of the listed fields changes, each change is reported as a notice at the user's line, and no
other text (prompts, descriptions, header values) is touched.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar
from urllib.parse import urlsplit

from planoai_cli.contract import CONTAINER_HOST_ALIAS
from planoai_cli.diagnostics import Diagnostic, Severity, at, sorted_diagnostics
from planoai_cli.model import Endpoint, Exporter, MetricsSource, PlanoConfig, Provider, Record, Service, Tracing
from planoai_cli.model.providers import assign_clusters
from planoai_cli.secrets import has_refs

# Hosts a client inside the container would reach itself on (0.0.0.0 connects to the local host on Linux).
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
CODE = "render.localhost"
HINT = "inside the gateway container, localhost is the container itself; host.docker.internal reaches this machine"

S = TypeVar("S", bound=Service)
Notices = list[Diagnostic]


def rewrite_url(url: str) -> tuple[str, str] | None:
    """(new URL, old host) when an http(s) URL's host is a loopback name; only the host text changes."""
    if has_refs(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    prefix = f"{parts.scheme}://"
    if host not in LOOPBACK or parts.scheme not in ("http", "https") or not url.lower().startswith(prefix):
        return None
    netloc = url[len(prefix) : len(prefix) + len(parts.netloc)]
    userinfo, at_sign, hostport = netloc.rpartition("@")
    port_part = hostport[hostport.index("]") + 1 :] if hostport.startswith("[") else hostport[len(host) :]
    new_netloc = f"{userinfo}{at_sign}{CONTAINER_HOST_ALIAS}{port_part}"
    return url[: len(prefix)] + new_netloc + url[len(prefix) + len(netloc) :], host


def containerize(config: PlanoConfig) -> tuple[PlanoConfig, tuple[Diagnostic, ...]]:
    """The config as the container must see it, and one notice per rewritten field (sorted by position)."""
    notices: Notices = []
    # Cluster names follow the upstream actually reached, so they are recomputed after the rewrite.
    providers = assign_clusters([_provider(p, notices) for p in config.providers])
    changed = dataclasses.replace(
        config,
        providers=providers,
        endpoints=tuple(_endpoint(e, notices) for e in config.endpoints),
        agents=tuple(_service(s, notices) for s in config.agents),
        filters=tuple(_service(s, notices) for s in config.filters),
        tracing=_tracing(config.tracing, notices) if config.tracing else None,
        metrics_sources=tuple(_metrics(m, notices) for m in config.metrics_sources),
    )
    return changed, sorted_diagnostics(notices)


def _note(record: Record, owner: str, field: str, old: str, notices: Notices) -> None:
    message = f"{owner}: {field} host {old!r} becomes {CONTAINER_HOST_ALIAS!r} inside the gateway container"
    notices.append(at(Severity.NOTICE, CODE, message, record.where(field), HINT))


def _provider(p: Provider, notices: Notices) -> Provider:
    found = rewrite_url(p.base_url) if p.base_url else None
    if found is None or p.upstream is None:
        return p
    _note(p, p.label, "base_url", found[1], notices)
    return dataclasses.replace(
        p, base_url=found[0], upstream=dataclasses.replace(p.upstream, host=CONTAINER_HOST_ALIAS)
    )


def _service(s: S, notices: Notices) -> S:
    found = rewrite_url(s.url)
    if found is None or s.upstream is None:
        return s
    _note(s, f"{s.kind} {s.id!r}", "url", found[1], notices)
    return dataclasses.replace(s, url=found[0], upstream=dataclasses.replace(s.upstream, host=CONTAINER_HOST_ALIAS))


def _endpoint(e: Endpoint, notices: Notices) -> Endpoint:
    if e.host not in LOOPBACK:
        return e
    _note(e, f"endpoint {e.name!r}", "endpoint", e.endpoint.split(":", 1)[0], notices)
    rest = e.endpoint[len(e.endpoint.split(":", 1)[0]) :]
    return dataclasses.replace(e, endpoint=CONTAINER_HOST_ALIAS + rest, host=CONTAINER_HOST_ALIAS)


def _tracing(t: Tracing, notices: Notices) -> Tracing:
    endpoint = _new_url(t, t.opentracing_grpc_endpoint, "opentracing_grpc_endpoint", "tracing", notices)
    exporters = tuple(_exporter(e, notices) for e in t.exporters) if t.exporters is not None else None
    return dataclasses.replace(t, opentracing_grpc_endpoint=endpoint, exporters=exporters)


def _exporter(e: Exporter, notices: Notices) -> Exporter:
    return dataclasses.replace(e, url=_new_url(e, e.url, "url", f"tracing exporter {e.type!r}", notices) or e.url)


def _metrics(m: MetricsSource, notices: Notices) -> MetricsSource:
    return dataclasses.replace(m, url=_new_url(m, m.url, "url", f"metrics source {m.type!r}", notices))


def _new_url(record: Record, value: str | None, field: str, owner: str, notices: Notices) -> str | None:
    found = rewrite_url(value) if value else None
    if found is None:
        return value
    _note(record, owner, field, found[1], notices)
    return found[0]
