"""Render stage: `model_providers` entries as the data plane reads them (bare ids, interfaces, cluster values)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from planoai_cli.contract import CHATGPT_ACCOUNT_VARIABLE, CHATGPT_DEFAULT_BASE_URL, INTERNAL_PROVIDER_INTERFACE
from planoai_cli.model import InternalProvider, PlanoConfig, Provider

# Headers the generator gives ChatGPT providers unless the user set them (compared case-insensitively).
# The account id is a reference, filled in at container start like a secret: the render itself reads no
# environment. No `session_id` is added: a fixed id would put every client of the gateway in one session.
CHATGPT_HEADERS = (
    ("ChatGPT-Account-Id", f"${{{CHATGPT_ACCOUNT_VARIABLE}}}"),
    ("originator", "codex_cli_rs"),
    ("user-agent", "codex_cli_rs/0.0.0 (Unknown 0; unknown) unknown"),
)
KIMI_HOST = "api.kimi.com"
KIMI_MODEL = "kimi-for-coding"
KIMI_HEADERS = (("User-Agent", "KimiCLI/1.3"),)

Entry = dict[str, object]


def provider_entries(config: PlanoConfig) -> list[Entry]:
    """User providers in file order, then the internal ones the data plane needs."""
    return [*(provider_entry(p) for p in config.providers), *(internal_entry(i) for i in config.internal_providers)]


def provider_entry(p: Provider) -> Entry:
    entry: Entry = {"name": p.name, "model": p.model_id, "provider_interface": p.interface}
    optional: Entry = {
        "access_key": p.access_key,
        "default": True if p.default else None,
        "passthrough_auth": True if p.passthrough_auth or _chatgpt_passthrough(p) else None,
        "base_url": p.base_url or (CHATGPT_DEFAULT_BASE_URL if p.upstream and p.interface == "chatgpt" else None),
        "http_host": p.http_host,
        "headers": dict(headers(p)) or None,
    }
    entry.update((k, v) for k, v in optional.items() if v is not None)
    if p.upstream is not None:
        entry.update(
            endpoint=p.upstream.host, port=p.upstream.port, protocol=p.upstream.scheme, cluster_name=p.cluster_name
        )
        prefix = path_prefix(p)
        if prefix is not None:
            entry["base_url_path_prefix"] = prefix
    return entry


def internal_entry(provider: InternalProvider) -> Entry:
    return {
        "name": provider.name,
        "model": provider.model_id,
        "provider_interface": INTERNAL_PROVIDER_INTERFACE,
        "internal": True,
    }


def _chatgpt_passthrough(p: Provider) -> bool:
    # ChatGPT is reached with the client's own login unless a key is configured.
    return p.interface == "chatgpt" and p.access_key is None


def _is_kimi(p: Provider) -> bool:
    return (
        p.base_url is not None and p.upstream is not None and (p.upstream.host == KIMI_HOST or p.model_id == KIMI_MODEL)
    )


def headers(p: Provider) -> Mapping[str, str]:
    """The user's headers, then the defaults ChatGPT and Kimi Code need where the user set none of that name."""
    defaults: Iterable[tuple[str, str]] = ()
    if p.interface == "chatgpt":
        defaults = CHATGPT_HEADERS
    elif _is_kimi(p):
        defaults = KIMI_HEADERS
    taken = {name.lower() for name in p.headers}
    return {**p.headers, **{name: value for name, value in defaults if name.lower() not in taken}}


def path_prefix(p: Provider) -> str | None:
    """The base_url path the data plane prepends; Kimi's `/coding` endpoint serves its API under `/coding/v1`."""
    if p.upstream is None or p.upstream.path_prefix is None:
        return None
    prefix = p.upstream.path_prefix
    if p.upstream.host == KIMI_HOST and prefix.rstrip("/").endswith("/coding"):
        return prefix.rstrip("/") + "/v1"
    return prefix


def derived_variables(config: PlanoConfig) -> tuple[str, ...]:
    """Variables the render itself introduces (beyond the user's references)."""
    found = {
        value[2:-1]
        for p in config.providers
        for value in headers(p).values()
        if value == f"${{{CHATGPT_ACCOUNT_VARIABLE}}}" and p.interface == "chatgpt"
    }
    return tuple(sorted(found))


def preference_entries(config: PlanoConfig) -> list[Entry]:
    """Routing preferences whose `models` name each provider the way the runtime matches it: by `name`."""
    resolve = _Resolver(config.providers)
    out: list[Entry] = []
    for pref in config.routing_preferences:
        entry: Entry = {
            "name": pref.name,
            "description": pref.description,
            "models": list(dict.fromkeys(resolve(ref) for ref in pref.models)),
        }
        if pref.prefer is not None:
            entry["selection_policy"] = {"prefer": pref.prefer}
        out.append(entry)
    return out


class _Resolver:
    """Reference → provider name, by name first, then full model, then bare id (first provider wins each)."""

    def __init__(self, providers: tuple[Provider, ...]) -> None:
        self.tables: tuple[dict[str, str], ...] = ({}, {}, {})
        for p in providers:
            self.tables[0].setdefault(p.name, p.name)
            self.tables[1].setdefault(p.model, p.name)
            if not p.wildcard:
                self.tables[2].setdefault(p.model_id, p.name)

    def __call__(self, ref: str) -> str:
        return next((table[ref] for table in self.tables if ref in table), ref)
