"""Semantic checks on where providers send requests: prefixes, interfaces, base_url, clusters and keys."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from planoai_cli.checks.base import Check, error, repeats, suggest, warning, where_text
from planoai_cli.contract import (
    PREFIXES_NEEDING_BASE_URL,
    PREFIXES_WITHOUT_BASE_URL,
    STATIC_PROVIDER_CLUSTERS,
    SUPPORTED_PREFIXES,
)
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import PlanoConfig
from planoai_cli.secrets import has_refs, redact_url

_BASE_URL_EXAMPLES = {
    "ollama": "add `base_url: http://host.docker.internal:11434` (Ollama running on this machine)",
    "azure_openai": "add `base_url: https://<resource>.openai.azure.com`",
}


def base_url_required(config: PlanoConfig) -> Iterator[Diagnostic]:
    for p in config.providers:
        if p.prefix in PREFIXES_NEEDING_BASE_URL and p.base_url is None:
            hint = _BASE_URL_EXAMPLES.get(p.prefix, f"add `base_url:` with the URL of your {p.prefix} endpoint")
            yield error(
                "check.base-url-required",
                f"{p.label}: {p.prefix!r} models have no public default upstream, so base_url is required",
                p.where("base_url"),
                hint,
            )


def custom_provider_incomplete(config: PlanoConfig) -> Iterator[Diagnostic]:
    for p in config.providers:
        if p.prefix in SUPPORTED_PREFIXES:
            continue
        missing = [k for k, v in (("base_url", p.base_url), ("provider_interface", p.provider_interface)) if v is None]
        if missing:
            yield error(
                "check.custom-provider-incomplete",
                f"{p.label}: {p.prefix!r} is not a built-in provider, so it needs base_url and "
                f"provider_interface (missing: {', '.join(missing)})",
                p.where("model"),
                suggest(
                    p.prefix,
                    SUPPORTED_PREFIXES,
                    "set base_url to the server's URL and provider_interface to the API it speaks (e.g. openai)",
                ),
            )


def base_url_invalid(config: PlanoConfig) -> Iterator[Diagnostic]:
    for p in config.providers:
        if p.base_url is not None and p.upstream is None:
            problem, hint = _url_problem(p.base_url)
            yield error("check.base-url-invalid", f"{p.label}: base_url {problem}", p.where("base_url"), hint)


def _url_problem(url: str) -> tuple[str, str]:
    if has_refs(url):
        return (
            "uses an environment variable",
            "base_url is parsed before variables are substituted: write the URL "
            "itself (keep secrets in access_key or headers)",
        )
    shown = redact_url(url)
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return f"{shown!r} cannot be read as a URL", "write it as scheme://host[:port][/path]"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{shown!r} must start with http:// or https://", f"e.g. https://{shown.split('://')[-1]}"
    if not parts.hostname:
        return f"{shown!r} has no host", "write it as scheme://host[:port][/path]"
    return f"{shown!r} has an invalid port", "use a port number between 1 and 65535"


def no_builtin_cluster(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Supported prefixes without a static cluster (vercel, openrouter, edenai) only work with a base_url."""
    for p in config.providers:
        if (
            p.prefix in PREFIXES_WITHOUT_BASE_URL
            and p.prefix not in STATIC_PROVIDER_CLUSTERS
            and p.upstream is None
            and p.base_url is None
        ):
            yield error(
                "check.no-builtin-cluster",
                f"{p.label}: Plano has no built-in upstream for {p.prefix!r}, so requests would "
                "go to a cluster that does not exist",
                p.where("base_url"),
                f"add `base_url:` with the address of the {p.prefix} API",
            )


def shared_cluster_conflict(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Providers sharing a cluster share its Host header; differing http_host values cannot both hold."""
    for first, dup in repeats(config.providers, lambda p: p.cluster_name):
        if first.http_host != dup.http_host:
            yield error(
                "check.shared-cluster-conflict",
                f"{dup.label} shares the upstream cluster {dup.cluster_name!r} with "
                f"{first.name!r} at {where_text(first.loc)} but sets a different http_host",
                dup.where("http_host"),
                "use the same http_host on both, or none on either",
            )


def passthrough_with_key(config: PlanoConfig) -> Iterator[Diagnostic]:
    for p in config.providers:
        if p.passthrough_auth and p.access_key is not None:
            yield warning(
                "check.passthrough-with-key",
                f"{p.label} sets both passthrough_auth and access_key; with passthrough_auth the "
                "client's own credential is forwarded",
                p.where("access_key"),
                "remove access_key, or set passthrough_auth: false",
            )


def literal_access_key(config: PlanoConfig) -> Iterator[Diagnostic]:
    """Never echo the value: only say that it looks literal."""
    for p in config.providers:
        if p.access_key and not has_refs(p.access_key):
            var = f"{p.prefix.upper().replace('-', '_')}_API_KEY"
            yield warning(
                "check.literal-secret",
                f"{p.label}: access_key looks like a literal key; move it to an environment variable",
                p.where("access_key"),
                f"write `access_key: ${var}` and put the key in .env or your environment",
            )

    if config.tracing is not None:
        for i, e in enumerate(config.tracing.exporters or ()):
            if e.api_key and not has_refs(e.api_key):
                yield warning(
                    "check.literal-secret",
                    f"tracing exporter #{i + 1} ({e.type}): api_key looks like a literal key; move it to "
                    "an environment variable",
                    e.where("api_key"),
                    "write `api_key: $POSTHOG_API_KEY` and put the key in .env or your environment",
                )


CHECKS: tuple[Check, ...] = (
    base_url_required,
    custom_provider_incomplete,
    base_url_invalid,
    no_builtin_cluster,
    shared_cluster_conflict,
    passthrough_with_key,
    literal_access_key,
)
