"""Migration steps for small sections: never-read keys, inert features, tracing, limits, metrics, version."""

from __future__ import annotations

from typing import Any

from planoai_cli.diagnostics import error_at, notice_at, warning_at
from planoai_cli.migrate.common import Diags, as_map, dig, drop_in, maps_in, put_in, rewrite_hint
from planoai_cli.tree import YMap, derive, evolve

CANONICAL_VERSION = "v0.4.0"
_NEVER_READ = {  # key → (code, why it can go)
    "mode": ("migrate.mode", "the runtime parsed it, but no release ever read it"),
    "error_target": ("migrate.error-target", "no release ever read it (it only appeared in the documentation)"),
}
_GUARD_KEYS = ("forward_to_error_target", "error_handler")
_INERT = {
    ("overrides", "prompt_target_intent_matching_threshold"): "intent matching was removed in 0.1.7",
    ("tracing", "trace_arch_internal"): "nothing has read it since 0.1.7",
}


def never_read_keys(doc: YMap) -> tuple[YMap, Diags]:
    """Root `mode` and `error_target` go: no release read them."""
    present = [key for key in _NEVER_READ if key in doc]
    found = [
        notice_at(doc, (key,), _NEVER_READ[key][0], f"dropped `{key}`: {_NEVER_READ[key][1]}", rewrite_hint())
        for key in present
    ]
    return evolve(doc, drop=present), found


def guard_keys(doc: YMap) -> tuple[YMap, Diags]:
    """Guard `forward_to_error_target` / `error_handler` go; the (inert) guards themselves stay, with a warning."""
    guards = as_map(dig(doc, "prompt_guards", "input_guards"))
    if guards is None:
        return doc, []
    migrated = doc
    found: Diags = []
    for name, guard in guards.items():
        handler = as_map(dig(guard, "on_exception"))
        for key in _GUARD_KEYS:
            if handler is not None and key in handler:
                path = ("prompt_guards", "input_guards", name, "on_exception", key)
                migrated = drop_in(migrated, path)
                found.append(
                    notice_at(
                        doc,
                        path,
                        "migrate.guard-key",
                        f"dropped `{key}` from the {name} guard: no release ever read it",
                        rewrite_hint(),
                    )
                )
    found.append(
        warning_at(
            doc,
            ("prompt_guards",),
            "migrate.prompt-guards",
            "`prompt_guards` has no effect: the gateway stopped calling the guard model in 0.1.7, "
            "and the section is only kept for compatibility",
            "to screen requests, declare a filter in `filters` and list it in a listener's `input_filters`",
            at_key=True,
        )
    )
    return migrated, found


def inert_settings(doc: YMap) -> tuple[YMap, Diags]:
    """Keys kept for compatibility that do nothing: a warning each."""
    found = [
        warning_at(
            doc,
            path,
            "migrate.inert-key",
            f"`{'.'.join(path)}` has no effect: {why}",
            f"delete `{path[-1]}`",
            at_key=True,
        )
        for path, why in _INERT.items()
        if dig(doc, *path) is not None
    ]
    return doc, found


def tracing_sampling_rate(doc: YMap) -> tuple[YMap, Diags]:
    """`tracing.sampling_rate` (never read) → `random_sampling` percent when that is absent."""
    tracing = as_map(doc.get("tracing"))
    if tracing is None or "sampling_rate" not in tracing:
        return doc, []
    rate = tracing["sampling_rate"]
    where = ("tracing", "sampling_rate")
    if "random_sampling" in tracing or isinstance(rate, bool) or not isinstance(rate, int | float):
        return put_in(doc, ("tracing",), evolve(tracing, drop=["sampling_rate"])), [
            notice_at(
                doc,
                where,
                "migrate.sampling-rate",
                "dropped `sampling_rate`: no release read it; `random_sampling` sets the sampling percentage",
                rewrite_hint(),
            )
        ]
    percent = max(0, min(100, round(100 * rate)))
    renamed = evolve(tracing, rename={"sampling_rate": "random_sampling"}, put={"random_sampling": percent})
    return put_in(doc, ("tracing",), renamed), [
        warning_at(
            doc,
            where,
            "migrate.sampling-rate",
            f"`sampling_rate: {rate}` became `random_sampling: {percent}`: `sampling_rate` was never read, so tracing "
            f"was off; it now samples {percent}% of requests",
            "set `random_sampling: 0` to keep tracing off",
        )
    ]


def ratelimit_models(doc: YMap) -> tuple[YMap, Diags]:
    """`ratelimits[].model` written `<prefix>/<id>` for a configured provider → the bare id."""
    models = {m for _, item in maps_in(doc.get("model_providers")) if isinstance(m := item.get("model"), str)}
    migrated = doc
    found: Diags = []
    for index, limit in maps_in(doc.get("ratelimits")):
        model = limit.get("model")
        if isinstance(model, str) and "/" in model and model in models:
            bare = model.split("/", 1)[1]
            migrated = put_in(migrated, ("ratelimits", index, "model"), bare)
            found.append(
                warning_at(
                    doc,
                    ("ratelimits", index, "model"),
                    "migrate.ratelimit-model",
                    f"`model: {model}` became `{bare}`: limits are matched against the bare model id, "
                    "so the prefixed form never applied and this limit is now enforced",
                    rewrite_hint(),
                )
            )
    return migrated, found


def metrics_sources(doc: YMap) -> tuple[YMap, Diags]:
    """Pre-release metrics source types → `cost` / `latency` sources; `cost_metrics` is refused."""
    migrated = doc
    found: Diags = []
    for index, source in maps_in(doc.get("model_metrics_sources")):
        kind = source.get("type")
        path = ("model_metrics_sources", index, "type")
        if kind == "cost_metrics":
            found.append(
                error_at(
                    doc,
                    path,
                    "migrate.metrics-source",
                    "`type: cost_metrics` (cost figures from a URL of your own) has no equivalent in "
                    "the current format",
                    "use `{type: cost, provider: models.dev}` or `{type: cost, provider: digitalocean}`",
                )
            )
        elif isinstance(kind, str) and kind in _SOURCES:
            new_kind, provider, keep = _SOURCES[kind]
            fields: dict[str, Any] = {"type": new_kind, "provider": provider}
            fields.update((k, source[k]) for k in keep if k in source)
            migrated = put_in(
                migrated, ("model_metrics_sources", index), derive(fields, like=source, slots_from=source)
            )
            found.append(
                notice_at(
                    doc,
                    path,
                    "migrate.metrics-source",
                    f"`type: {kind}` became `type: {new_kind}` with `provider: {provider}` (the "
                    "pre-release source types were replaced before they shipped)",
                    rewrite_hint(),
                )
            )
    return migrated, found


_SOURCES = {
    "digitalocean_pricing": ("cost", "digitalocean", ("refresh_interval", "model_aliases")),
    "prometheus_metrics": ("latency", "prometheus", ("url", "query", "refresh_interval")),
}


def set_version(doc: YMap) -> tuple[YMap, Diags]:
    """Last step: the document is now in the v0.4.0 format."""
    old = doc.get("version")
    if old == CANONICAL_VERSION:
        return doc, []
    migrated = evolve(doc, put={"version": CANONICAL_VERSION})
    if "version" not in doc:
        return migrated, []  # the schema stage reports a missing version
    return migrated, [
        notice_at(
            doc,
            ("version",),
            "migrate.version",
            f"version {old!r} became {CANONICAL_VERSION!r}: the file is now written in the "
            f"{CANONICAL_VERSION} format (the label never decided how a file was read)",
            rewrite_hint(),
            at_key=False,
        )
    ]
