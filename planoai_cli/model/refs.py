"""Model stage: the environment references found in secret-bearing fields (`PlanoConfig.secrets`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from planoai_cli.model.base import Record
from planoai_cli.model.records import SecretRef
from planoai_cli.secrets import find_refs
from planoai_cli.tree import Segment, format_path

if TYPE_CHECKING:
    from planoai_cli.model.config import PlanoConfig


def collect_secrets(config: PlanoConfig) -> tuple[SecretRef, ...]:
    """Every `$VAR`/`${VAR}` in secret-bearing fields, sorted by variable then path, each (name, path) once."""
    unique = {(ref.name, ref.path_text): ref for ref in _all(config)}
    return tuple(unique[key] for key in sorted(unique))


def _all(config: PlanoConfig) -> Iterator[SecretRef]:
    for p in config.providers:
        yield from _refs(p, p.description, p.access_key, "access_key")
        yield from _map_refs(p, p.description, p.headers, "headers")
    for t in config.prompt_targets:
        if t.endpoint is not None:
            yield from _map_refs(t.endpoint, f"prompt target {t.name}", t.endpoint.http_headers, "http_headers")
    if config.state_storage is not None:
        yield from _refs(
            config.state_storage, "state storage", config.state_storage.connection_string, "connection_string"
        )
    if config.tracing is not None:
        yield from _refs(
            config.tracing, "tracing", config.tracing.opentracing_grpc_endpoint, "opentracing_grpc_endpoint"
        )
        for i, e in enumerate(config.tracing.exporters or ()):
            yield from _refs(e, f"tracing exporter #{i + 1} ({e.type})", e.api_key, "api_key")
            yield from _refs(e, f"tracing exporter #{i + 1} ({e.type})", e.url, "url")
    for i, m in enumerate(config.metrics_sources):
        yield from _refs(m, f"metrics source #{i + 1} ({m.type})", m.url, "url")
    if config.routing is not None and config.routing.session_cache is not None:
        yield from _refs(config.routing.session_cache, "routing session cache", config.routing.session_cache.url, "url")


def _refs(owner: Record, description: str, value: str | None, *field: Segment) -> Iterator[SecretRef]:
    if not value:
        return
    loc = owner.where(*field)
    for name in find_refs(value):
        yield SecretRef(name, format_path(loc.path), description, loc)


def _map_refs(owner: Record, description: str, values: Mapping[str, str], field: str) -> Iterator[SecretRef]:
    for key, value in values.items():
        yield from _refs(owner, description, value, field, key)
