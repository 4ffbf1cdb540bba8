"""Migration steps for provider entries: `llm_providers`, legacy model forms, upstream keys."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from planoai_cli.diagnostics import Diagnostic, Severity, error_at, notice_at, warning_at
from planoai_cli.migrate.common import (
    HOSTED_MODELS,
    Diags,
    dig,
    is_arch_router,
    put_in,
    rewrite_hint,
)
from planoai_cli.migrate.models import FileShape, Refused, Resolved, endpoint_url, resolve, shape_of, url_for
from planoai_cli.secrets import redact_url
from planoai_cli.tree import JsonPath, YList, YMap, evolve

_INERT = {
    "stream": "no release read it (clients choose streaming per request)",
    "protocol": "it only set the scheme of `endpoint`, and this entry has none",
    "port": "it was never a valid provider key (the generator filled it in internally)",
}


def rename_llm_providers(doc: YMap) -> tuple[YMap, Diags]:
    """`llm_providers` → `model_providers`; both present is refused."""
    if "llm_providers" not in doc:
        return doc, []
    if "model_providers" in doc:
        return doc, [
            error_at(
                doc,
                ("llm_providers",),
                "migrate.llm-providers",
                "both `llm_providers` and `model_providers` are present; every release since 0.3.16 refused that",
                "move the entries into `model_providers` and delete `llm_providers`",
                at_key=True,
            )
        ]
    return evolve(doc, rename={"llm_providers": "model_providers"}), [
        notice_at(
            doc,
            ("llm_providers",),
            "migrate.llm-providers",
            "`llm_providers` renamed `model_providers` (the old name is a deprecated alias since 0.3.16)",
            rewrite_hint(),
        )
    ]


def convert_providers(doc: YMap) -> tuple[YMap, Diags]:
    """Every entry to `model: <prefix>/<id>` (+ `base_url`); hosted and Arch-Router copies are removed."""
    providers = doc.get("model_providers")
    if not isinstance(providers, YList):
        return doc, []
    shape = shape_of(doc)
    items: list[Any] = []
    slots = []
    renamed: dict[str, str] = {}
    found: Diags = []
    for index, item in enumerate(providers):
        new, problems = _convert(doc, index, item, shape) if isinstance(item, YMap) else (item, [])
        found += problems
        if new is not None:
            items.append(new)
            slots.append(providers.slots[index] if index < len(providers.slots) else None)
        if isinstance(item, YMap) and isinstance(new, YMap):
            _record_rename(renamed, item, new)
    migrated = put_in(
        doc, ("model_providers",), YList(items, mark=providers.mark, origin=providers.origin, slots=slots)
    )
    aliases, problems = _alias_targets(doc, renamed)
    return (put_in(migrated, ("model_aliases",), aliases) if problems else migrated), found + problems


def _record_rename(renamed: dict[str, str], old: YMap, new: YMap) -> None:
    before, after = old.get("model"), new.get("model")
    if isinstance(before, str) and isinstance(after, str) and before != after:
        renamed[before] = after


def _convert(doc: YMap, index: int, item: YMap, shape: FileShape) -> tuple[YMap | None, Diags]:
    path: JsonPath = ("model_providers", index)
    outcome = resolve(item, shape)
    if isinstance(outcome, Refused):
        where = (*path, outcome.key) if outcome.key else path
        return item, [error_at(doc, where, outcome.code, outcome.message, outcome.hint, at_key=outcome.key != "model")]
    removal = _removal(doc, path, item, outcome)
    if removal is not None:
        return (item if removal.severity is Severity.ERROR else None), [removal]
    new = evolve(item, drop=outcome.drop, put={"model": outcome.model, **outcome.put})
    new, named = _keep_name(item, new)
    found = [_resolution_note(doc, path, outcome, named)] if outcome.note else []
    new, problems = _upstream(doc, path, new, shape, outcome)
    found += problems
    new, problems = _inert_keys(doc, path, new)
    found += problems
    return new, found + _base_url_path(doc, path, item, new)


def _resolution_note(doc: YMap, path: JsonPath, outcome: Resolved, named: str | None) -> Diagnostic:
    extra = f"; `name: {named}` was added so clients keep using the same id" if named else ""
    message = f"{outcome.note}{extra}"
    if outcome.warn:
        return warning_at(doc, (*path, outcome.key), outcome.code, message, rewrite_hint(outcome.advice))
    return notice_at(doc, (*path, outcome.key), outcome.code, message, rewrite_hint())


def _keep_name(old: YMap, new: YMap) -> tuple[YMap, str | None]:
    """Without `name`, clients used the full `model` string; keep that id when the string changes."""
    before = old.get("model")
    if "name" in old or not isinstance(before, str) or "/" not in before or before == new.get("model"):
        return new, None
    return evolve(new, put={"name": before}), before


def _removal(doc: YMap, path: JsonPath, item: YMap, outcome: Resolved) -> Diagnostic | None:
    """Arch-Router copies go (retired); hosted models without `base_url` go (the gateway adds them)."""
    prefix, _, ident = outcome.model.partition("/")
    was_default = item.get("default") is True
    also = "; it was the default provider" if was_default else ""
    if is_arch_router(ident):
        return warning_at(
            doc,
            (*path, "model"),
            "migrate.arch-router",
            f"removed the provider entry for {ident!r}: Arch-Router was retired in 0.4.19 and routing "
            f"now uses Plano-Orchestrator, which the gateway adds by itself{also}",
            _then(
                _default_advice(was_default),
                "delete the entry; set `overrides.llm_routing_model` "
                "only for a router of your own that speaks the Plano-Orchestrator protocol",
            ),
        )
    has_upstream = outcome.base_url is not None or "base_url" in item or "endpoint" in item
    if prefix != "plano" or has_upstream:
        return None
    if ident.lower() in HOSTED_MODELS:
        return notice_at(
            doc,
            (*path, "model"),
            "migrate.hosted-model",
            f"removed the declaration of the hosted model {ident!r}: the gateway adds it automatically "
            f"as an internal provider{also}",
            rewrite_hint(_default_advice(was_default)),
        )
    return error_at(
        doc,
        (*path, "model"),
        "migrate.plano-base-url",
        f"{ident!r} used the `arch` provider, which reached Katanemo's hosted service; its replacement, "
        "the `plano/` prefix, needs a `base_url`",
        "set `base_url` to the server that hosts this model, or remove the entry",
    )


def _default_advice(was_default: bool) -> str:
    """The removed entry was the default: another one must take over."""
    return "mark another entry `default: true`" if was_default else ""


def _then(*advice: str) -> str:
    """Pieces of a hint, the empty ones left out."""
    return "; ".join(a for a in advice if a)


def _upstream(doc: YMap, path: JsonPath, item: YMap, shape: FileShape, outcome: Resolved) -> tuple[YMap, Diags]:
    """`endpoint` (+ `protocol`, `port`) → `base_url`."""
    if "endpoint" not in item:
        if outcome.base_url is not None and "base_url" not in item:
            item = evolve(item, put={"base_url": outcome.base_url})
        return item, []
    if "base_url" in item:
        return item, [
            error_at(
                doc,
                (*path, "endpoint"),
                "migrate.provider-endpoint",
                "`endpoint` and `base_url` are both set; releases 0.2.4–0.3.3 refused that",
                "keep `base_url` and delete `endpoint`",
                at_key=True,
            )
        ]
    address = str(item["endpoint"])
    scheme = str(item.get("protocol", "http"))
    reference = endpoint_url(shape.endpoints.get(address))
    url = reference or url_for(address, scheme, item.get("port"))
    migrated = evolve(item, rename={"endpoint": "base_url"}, put={"base_url": url}, drop=["protocol", "port"])
    shown = redact_url(url)
    if reference is not None:
        return migrated, [
            warning_at(
                doc,
                (*path, "endpoint"),
                "migrate.provider-endpoint",
                f"`endpoint: {address}` names the `endpoints` entry {address!r}: the generator of "
                "the time read it as a host name, the documentation as a reference; it became "
                f"`base_url: {shown}`, that entry's address",
                "check that this is the server you meant",
            )
        ]
    given = [f"`{k}: {redact_url(item[k])}`" for k in ("endpoint", "protocol", "port") if k in item]
    given = [", ".join(given[:-1]), given[-1]] if len(given) > 1 else given
    return migrated, [
        notice_at(
            doc,
            (*path, "endpoint"),
            "migrate.provider-endpoint",
            f"{' and '.join(given)} became `base_url: {shown}` (`endpoint` was deprecated in 0.2.4)",
            rewrite_hint(),
        )
    ]


def _inert_keys(doc: YMap, path: JsonPath, item: YMap) -> tuple[YMap, Diags]:
    found = [
        notice_at(doc, (*path, key), "migrate.provider-key", f"dropped `{key}`: {why}", rewrite_hint())
        for key, why in _INERT.items()
        if key in item
    ]
    drop = [key for key in _INERT if key in item]
    if "rate_limits" in item:
        found.append(_rate_limits(doc, path, item, listed="ratelimits" in doc))
        drop.append("rate_limits")
    return evolve(item, drop=drop), found


def _rate_limits(doc: YMap, path: JsonPath, item: YMap, *, listed: bool) -> Diagnostic:
    """Provider `rate_limits` never took effect; offer the top-level form.

    The header value is left as a placeholder: a selector may match a credential header (`x-api-key`), and a
    message must never echo a secret.
    """
    limits = item["rate_limits"]
    header = dig(limits, "selector", "http_header", "name")
    value = dig(limits, "selector", "http_header", "value")
    where = (*path, "rate_limits")
    if not value:
        # Dropping it changes nothing (no release applied it); a warning, since the intent cannot be carried over.
        return warning_at(
            doc,
            where,
            "migrate.provider-rate-limits",
            "dropped `rate_limits`: provider-level limits were never applied by any release, and this "
            "per-value form (a selector without `value`) has no equivalent in the top-level "
            "`ratelimits` section, so requests stay unlimited as before",
            f"to limit tokens now, add a top-level `ratelimits` item per {header or 'header'} value "
            "you want to limit, each with an explicit `selector.value`",
            at_key=True,
        )
    model = str(item.get("model", "<id>")).partition("/")[2]
    tokens = dig(limits, "limit", "tokens") or "<tokens>"
    unit = dig(limits, "limit", "unit") or "minute"
    limit = (
        f"{{model: {model}, selector: {{key: {header}, value: <the http_header value>}}, limit: {{tokens: "
        f"{tokens}, unit: {unit}}}}}"
    )
    add = (
        f"add this item to the top-level `ratelimits` list: `{limit}`"
        if listed
        else f"add a top-level `ratelimits: [{limit}]`"
    )
    return notice_at(
        doc,
        where,
        "migrate.provider-key",
        "dropped `rate_limits`: provider-level limits were never applied by any release",
        rewrite_hint(f"to enforce it now, {add}"),
    )


def _base_url_path(doc: YMap, path: JsonPath, old: YMap, new: YMap) -> Diags:
    """0.2.4–0.3.3 ignored a `base_url` path; since 0.3.18 it replaces the default prefix."""
    url = old.get("base_url")
    model = old.get("model")
    if not isinstance(url, str) or not isinstance(model, str) or "/" in model:
        return []  # only bare-model (0.2.x–0.3.3 style) entries had their path ignored
    try:
        route = urlsplit(url).path.rstrip("/")
    except ValueError:
        return []  # not a URL at all: the checks report it after migration
    if not route or (route == "/v1" and str(new.get("model", "")).startswith("openai/")):
        return []
    return [
        warning_at(
            doc,
            (*path, "base_url"),
            "migrate.base-url-path",
            f"`base_url: {redact_url(url)}` has a path: the releases this entry was written for ignored "
            "it, but since 0.3.18 it replaces the provider's default path prefix, so requests now go to "
            f"{route}/…",
            "remove the path if the server expects the provider's usual one (e.g. /v1/chat/completions)",
        )
    ]


def _alias_targets(doc: YMap, renamed: dict[str, str]) -> tuple[Any, Diags]:
    """`model_aliases` targets that named a renamed model string follow the rename."""
    aliases = doc.get("model_aliases")
    if not isinstance(aliases, YMap) or not renamed:
        return aliases, []
    found: Diags = []
    for alias, entry in aliases.items():
        target = entry.get("target") if isinstance(entry, YMap) else None
        if isinstance(target, str) and target in renamed:
            aliases = put_in(aliases, (alias, "target"), renamed[target])
            found.append(
                notice_at(
                    doc,
                    ("model_aliases", alias, "target"),
                    "migrate.alias-target",
                    f"alias {alias!r} now targets {renamed[target]!r} (the provider's model was "
                    f"renamed from {target!r})",
                    rewrite_hint(),
                    at_key=False,
                )
            )
    return aliases, found
