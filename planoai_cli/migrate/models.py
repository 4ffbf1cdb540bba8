"""The canonical `model` string of a legacy provider entry, worked out without changing anything.

Shared by the provider step (which rewrites the entries) and the routing step (which must name the router's
model before the entries change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from planoai_cli.contract import PROVIDER_INTERFACES, SUPPORTED_PREFIXES
from planoai_cli.diagnostics import did_you_mean
from planoai_cli.migrate.common import as_map, maps_in
from planoai_cli.secrets import redact_url

# Legacy prefixes and interface values, and what they are called now.
RENAMED = {"claude": "anthropic", "arch": "plano"}
_WHY = {"claude": "renamed `anthropic` in 0.3.11", "arch": "renamed `plano` in 0.4.12"}
G1_CLUSTERS = ("openai", "mistral")  # the only provider clusters G1 releases defined
KNOWN_PREFIXES = SUPPORTED_PREFIXES | frozenset(RENAMED)
_G2A_KEYS = ("provider", "endpoint", "protocol", "usage")

SlashRule = Literal["whole", "label", "either"]  # "either": nothing in the file tells


@dataclass(frozen=True)
class FileShape:
    """What the rest of the file says about how its provider entries were read."""

    endpoints: Mapping[str, Any]
    slash: SlashRule  # how `x/y` with `provider_interface` and an unknown `x` was read


@dataclass(frozen=True)
class Resolved:
    """The canonical model of an entry, the keys that go with the old form, and what to tell the user."""

    model: str
    drop: tuple[str, ...] = ()
    put: Mapping[str, Any] = field(default_factory=dict)
    base_url: str | None = None  # an upstream implied by a G1 `provider` naming an endpoint
    key: str = "model"  # where the notice points
    note: str | None = None
    warn: bool = False  # the change may alter behaviour: a warning rather than a notice
    advice: str = ""  # what to check, for a warning
    code: str = "migrate.provider-model"


@dataclass(frozen=True)
class Refused:
    """An entry that cannot be migrated mechanically."""

    code: str
    message: str
    hint: str
    key: str | None = "model"


def shape_of(doc: Mapping[str, Any]) -> FileShape:
    """Read the file-level markers once per step."""
    endpoints = doc.get("endpoints")
    return FileShape(endpoints if isinstance(endpoints, Mapping) else {}, _slash_rule(doc))


def _slash_rule(doc: Mapping[str, Any]) -> SlashRule:
    if "listener" in doc:
        return "whole"  # G1 never had prefixes
    if isinstance(doc.get("listeners"), list):
        return "label"  # list-form listeners: 0.3.16 or later
    providers = [item for _, item in maps_in(doc.get("model_providers"))]
    old = any(k in p for p in providers for k in _G2A_KEYS) or any(_bare(p.get("model")) for p in providers)
    new = "model_aliases" in doc or any("routing_preferences" in p or _plainly_prefixed(p) for p in providers)
    if old != new:
        return "whole" if old else "label"
    return "either"


def _bare(model: Any) -> bool:
    return isinstance(model, str) and "/" not in model


def _plainly_prefixed(item: Mapping[str, Any]) -> bool:
    model = item.get("model")
    return (
        isinstance(model, str)
        and model.split("/", 1)[0] in KNOWN_PREFIXES
        and "/" in model
        and "provider_interface" not in item
    )


def url_for(address: str, scheme: str, port: Any = None) -> str:
    """`host[:port]` (+ scheme, + a separate port) → a base URL, leaving out the scheme's default port."""
    if "://" in address:
        return address.rstrip("/")
    host, _, explicit = address.partition(":")
    chosen = explicit or ("" if port is None else str(port))
    default = "443" if scheme == "https" else "80"
    return f"{scheme}://{host}" + (f":{chosen}" if chosen and chosen != default else "")


def endpoint_url(entry: Any) -> str | None:
    """The base URL of an `endpoints` entry, or None if it has no address."""
    entry_map = as_map(entry)
    address = entry_map.get("endpoint") if entry_map is not None else None
    if not isinstance(address, str):
        return None
    protocol = entry_map.get("protocol", "http") if entry_map is not None else "http"
    return url_for(address, str(protocol))


def resolve(item: Mapping[str, Any], shape: FileShape) -> Resolved | Refused:
    """The canonical model of one provider entry, or why it cannot be derived."""
    model = item.get("model")
    if not isinstance(model, str) or not model:
        return _no_model(item)
    if "provider" in item:
        return _from_provider(item, model, shape)
    if "provider_interface" in item:
        return _from_interface(item, model, shape)
    return _from_prefix(model)


def _no_model(item: Mapping[str, Any]) -> Refused:
    name = item.get("name")
    entry = f"provider entry {name!r}" if isinstance(name, str) else "this provider entry"
    prefix = _known_prefix(item)
    label = prefix or "<provider>"
    every = f"every {prefix} model" if prefix else "every model of a supported provider"
    return Refused(
        "migrate.provider-model",
        f"{entry} has no `model`; 0.2.4–0.3.3 then passed the client's model through (or sent "
        "`agent_orchestrator`), which the current format cannot express",
        f"declare one entry per model as `model: {label}/<id>`, or `model: {label}/*` to accept {every}",
        None,
    )


def _known_prefix(item: Mapping[str, Any]) -> str | None:
    """The supported prefix an entry's `provider_interface` or G1 `provider` stands for, if any."""
    for key in ("provider_interface", "provider"):
        value = item.get(key)
        prefix = RENAMED.get(value, value) if isinstance(value, str) else None
        if prefix in SUPPORTED_PREFIXES and (key == "provider_interface" or value in G1_CLUSTERS):
            return prefix
    return None


def _from_provider(item: Mapping[str, Any], model: str, shape: FileShape) -> Resolved | Refused:
    cluster = str(item["provider"])
    interface = item.get("provider_interface")
    if interface is not None and interface != cluster:
        return Refused(
            "migrate.provider-conflict",
            f"`provider: {cluster}` and `provider_interface: {interface}` disagree about the upstream (the "
            "generator of the time refused both together)",
            _conflict_hint(cluster, str(interface), model, shape),
            "provider",
        )
    drop = ("provider", "provider_interface") if interface is not None else ("provider",)
    if cluster in G1_CLUSTERS:
        return Resolved(
            f"{cluster}/{model}",
            drop,
            key="provider",
            note=f"`provider: {cluster}` and `model: {model}` became `model: {cluster}/{model}`: the "
            "prefix of `model` names the provider now (`provider` was deprecated in 0.1.9)",
        )
    url = endpoint_url(shape.endpoints.get(cluster))
    if url is not None:
        return Resolved(
            f"openai/{model}",
            drop,
            base_url=url,
            key="provider",
            warn=True,
            advice="check that the server speaks the OpenAI chat-completions API",
            note=f"`provider: {cluster}` named the `endpoints` entry {cluster!r}, so requests went to that "
            f"server in OpenAI format; it became `model: openai/{model}` with "
            f"`base_url: {redact_url(url)}`",
        )
    suggestion = did_you_mean(cluster, [*G1_CLUSTERS, *shape.endpoints])
    return Refused(
        "migrate.provider-unknown",
        f"`provider: {cluster}` is neither a built-in upstream (openai, mistral) nor a key of `endpoints`, "
        "so no release could route to it",
        (f"{suggestion} If not, " if suggestion else "")
        + f"write `model: <provider>/{model}` and `base_url: <url of the server>` instead "
        f"(`model: openai/{model}` for an OpenAI-compatible server)",
        "provider",
    )


def _conflict_hint(cluster: str, interface: str, model: str, shape: FileShape) -> str:
    """What deleting each key leads to, so the user can pick the upstream they meant."""
    prefix = RENAMED.get(interface, interface)
    if cluster in G1_CLUSTERS:
        kept = f"requests go to {cluster} (`model: {cluster}/{model}`)"
    elif endpoint_url(shape.endpoints.get(cluster)) is not None:
        kept = f"requests go to the `endpoints` entry {cluster!r} in OpenAI format (`model: openai/{model}`)"
    else:
        kept = f"`provider: {cluster}` is used, which names no known upstream"
    return (
        f"delete `provider_interface` and {kept}, or delete `provider` and requests go to {prefix} "
        f"(`model: {prefix}/{model}`)"
    )


def _from_interface(item: Mapping[str, Any], model: str, shape: FileShape) -> Resolved | Refused:
    interface = str(item["provider_interface"])
    prefix = RENAMED.get(interface, interface)
    renamed = f" ({interface!r} was {_WHY[interface]})" if interface in RENAMED else ""
    if "/" not in model:
        return Resolved(
            f"{prefix}/{model}",
            ("provider_interface",),
            key="provider_interface",
            note=f"`provider_interface: {interface}` and `model: {model}` became "
            f"`model: {prefix}/{model}`: the prefix of `model` names the provider since "
            f"0.3.4{renamed}",
        )
    first, rest = model.split("/", 1)
    if first in KNOWN_PREFIXES:
        return _interface_and_prefix(interface, prefix, first, rest)
    if shape.slash == "whole":
        return Resolved(
            f"{prefix}/{model}",
            ("provider_interface",),
            key="model",
            warn=True,
            advice=f"write `model: {prefix}/{rest}` instead if the server expects {rest!r}",
            note=f"`model: {model}` with `provider_interface: {interface}` became "
            f"`model: {prefix}/{model}`: this file is written for 0.2.x–0.3.3, which sent the whole "
            f"string {model!r} upstream "
            f"(today {first!r} alone would be read as a provider label and stripped)",
        )
    if shape.slash == "either":
        return _current_reading(item, interface, prefix, model)
    return _custom_prefix(item, interface, prefix, model)


def _current_reading(item: Mapping[str, Any], interface: str, prefix: str, model: str) -> Resolved | Refused:
    """Nothing tells the release: keep what the current gateway does (0.3.4+), and say how to get the other reading.

    Both readings run today, so refusing would only make the user pick what migration can pick for them.
    """
    kept = _custom_prefix(item, interface, prefix, model)
    if isinstance(kept, Refused):
        return kept
    label, ident = model.split("/", 1)
    if kept.model != model:  # `claude`: the dialect is a prefix now
        renamed = f"; written `model: {kept.model}`, as {interface!r} was {_WHY[interface]} and is only a prefix now"
    else:
        renamed = f"; {kept.note}" if kept.note else ""
    name = "" if "name" in item else f", add `name: {model}` so clients keep using that id,"
    return replace(
        kept,
        key="model",
        warn=True,
        code="migrate.provider-ambiguous",
        note=f"`model: {model}` with `provider_interface: {interface}` is read as the current gateway "
        f"(0.3.4 and later) reads it: {label!r} is a label and {ident!r} is the model sent upstream; "
        f"0.2.x–0.3.3 sent the whole string {model!r}, and nothing else in this file tells which "
        f"release it was written for{renamed}",
        advice=f"to send {model!r} instead, write `model: {prefix}/{model}`{name} and delete `provider_interface`",
    )


def _interface_and_prefix(interface: str, prefix: str, first: str, rest: str) -> Resolved | Refused:
    if RENAMED.get(first, first) != prefix:
        return Refused(
            "migrate.provider-interface",
            f"`provider_interface: {interface}` contradicts the {first!r} prefix of `model`",
            f"remove `provider_interface` (the prefix names the provider), or write `model: {prefix}/{rest}`",
            "provider_interface",
        )
    return Resolved(
        f"{prefix}/{rest}",
        ("provider_interface",),
        key="provider_interface",
        note=f"dropped `provider_interface: {interface}`: the {first!r} prefix of `model` already names "
        "the provider, and the current format refuses both together",
    )


def _custom_prefix(item: Mapping[str, Any], interface: str, prefix: str, model: str) -> Resolved | Refused:
    if prefix not in PROVIDER_INTERFACES:
        return _interface_as_prefix(item, interface, prefix, model)
    if prefix == interface:
        return Resolved(model)
    return Resolved(
        model,
        put={"provider_interface": prefix},
        key="provider_interface",
        note=f"`provider_interface: {interface}` became `{prefix}` ({_WHY[interface]})",
    )


def _interface_as_prefix(item: Mapping[str, Any], interface: str, prefix: str, model: str) -> Resolved | Refused:
    """`provider_interface: claude` next to a custom label: the current format names that dialect by prefix only.

    With a `base_url` the upstream and the model sent are definite, so the prefix takes the interface's place
    (the provider step keeps the client-facing id in `name`); without one no release had a server to send to.
    """
    label, ident = model.split("/", 1)
    if "base_url" in item:
        return Resolved(
            f"{prefix}/{ident}",
            ("provider_interface",),
            key="provider_interface",
            warn=True,
            note=f"`model: {model}` with `provider_interface: {interface}` became `model: {prefix}/{ident}`"
            f" ({interface!r} was {_WHY[interface]}, and the current format takes {prefix!r} only as "
            f"a prefix): requests still go to `base_url` in the {prefix} API, asking for {ident!r}",
            advice=f"check that the server at `base_url` speaks the {prefix} API",
        )
    # Without `name`, clients asked for the whole `model` string, which the new prefix changes.
    name = "" if "name" in item else f"; add `name: {model}` so clients keep using that id"
    return Refused(
        "migrate.provider-interface",
        f"`provider_interface: {interface}` is now {prefix!r}, which the current format does not accept "
        "next to a custom prefix, and the entry has no `base_url` to say which server speaks it",
        f"write `model: {prefix}/{ident}` instead of the {label!r} prefix, add `base_url` (the server's "
        f"address) and delete `provider_interface`{name}",
        "provider_interface",
    )


def _from_prefix(model: str) -> Resolved | Refused:
    if "/" not in model:
        return Refused(
            "migrate.provider-prefix",
            f"`model: {model}` has no provider prefix, and the entry has neither `provider` nor "
            "`provider_interface` to say where it goes",
            f"write `model: <provider>/{model}`, e.g. `model: openai/{model}`",
        )
    first, rest = model.split("/", 1)
    if first not in RENAMED:
        return Resolved(model)
    prefix = RENAMED[first]
    return Resolved(
        f"{prefix}/{rest}",
        note=f"`model: {model}` became `model: {prefix}/{rest}`: the {first!r} prefix was {_WHY[first]}",
    )
