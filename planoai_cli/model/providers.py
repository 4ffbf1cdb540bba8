"""Model stage: provider records, their derived routing values, cluster names and the internal providers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from planoai_cli.contract import (
    AGENT_ORCHESTRATOR_PROVIDER_NAME,
    CHATGPT_DEFAULT_BASE_URL,
    FUNCTION_MODEL,
    FUNCTION_PROVIDER_NAME,
    ROUTER_PROVIDER_NAME,
    SUPPORTED_PREFIXES,
)
from planoai_cli.model.base import LocationIndex, Node, Upstream, flag, parse_url, string_map, text
from planoai_cli.model.records import InternalProvider, Provider
from planoai_cli.tree import JsonPath


def build_provider(node: Node, path: JsonPath, index: LocationIndex) -> Provider:
    """One `model_providers` entry; `cluster_name` is filled in later by `assign_clusters`."""
    model = text(node, "model") or ""
    prefix, _, model_id = model.partition("/")
    prefix = prefix.strip()
    given_interface = text(node, "provider_interface")
    interface = prefix if prefix in SUPPORTED_PREFIXES else (given_interface or prefix)
    base_url = text(node, "base_url")
    return Provider(
        tree_path=path,
        index=index,
        model=model,
        name=text(node, "name") or model,
        named="name" in node,
        prefix=prefix,
        model_id=model_id,
        wildcard=model_id == "*",
        interface=interface,
        provider_interface=given_interface,
        access_key=text(node, "access_key"),
        default=flag(node, "default") is True,
        base_url=base_url,
        passthrough_auth=flag(node, "passthrough_auth") is True,
        http_host=text(node, "http_host"),
        headers=string_map(node, "headers"),
        upstream=_upstream(interface, base_url),
        cluster_name=None,
    )


def _upstream(interface: str, base_url: str | None) -> Upstream | None:
    if base_url is None:
        # ChatGPT has no static cluster; it always gets this upstream when none is written.
        return parse_url(CHATGPT_DEFAULT_BASE_URL) if interface == "chatgpt" else None
    return parse_url(base_url)


def assign_clusters(providers: Sequence[Provider]) -> tuple[Provider, ...]:
    """Give every provider with an upstream a cluster name, unique per (interface, scheme, host, port).

    The name is `<interface>_<host>` when that host is only used with one scheme and port;
    otherwise the port is appended, and the scheme too if the same port appears with both.
    """
    variants: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for p in providers:
        if p.upstream is not None:
            seen = variants.setdefault((p.interface, p.upstream.host), [])
            if (p.upstream.scheme, p.upstream.port) not in seen:
                seen.append((p.upstream.scheme, p.upstream.port))
    return tuple(_with_cluster(p, variants) for p in providers)


def _with_cluster(p: Provider, variants: dict[tuple[str, str], list[tuple[str, int]]]) -> Provider:
    if p.upstream is None:
        return p
    up = p.upstream
    seen = variants[(p.interface, up.host)]
    name = f"{p.interface}_{up.host}"
    if len(seen) > 1:
        ports = [port for _, port in seen]
        name += f"_{up.port}" if ports.count(up.port) == 1 else f"_{up.scheme}_{up.port}"
    return dataclasses.replace(p, cluster_name=name)


def internal_providers(
    providers: Iterable[Provider], has_preferences: bool, router_model_id: str, agent_model_id: str
) -> tuple[InternalProvider, ...]:
    """The providers the renderer appends, under the generator's conditions (in its order)."""
    listed = tuple(providers)
    user_ids = {p.model_id for p in listed}
    out: list[InternalProvider] = []
    if has_preferences and router_model_id not in user_ids:
        out.append(InternalProvider(ROUTER_PROVIDER_NAME, router_model_id))
    if all(p.name != FUNCTION_PROVIDER_NAME for p in listed):
        out.append(InternalProvider(FUNCTION_PROVIDER_NAME, FUNCTION_MODEL))
    if agent_model_id not in user_ids:
        out.append(InternalProvider(AGENT_ORCHESTRATOR_PROVIDER_NAME, agent_model_id))
    return tuple(out)
