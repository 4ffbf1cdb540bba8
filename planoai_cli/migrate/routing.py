"""Migration steps for router settings: legacy `routing` keys, Arch-Router, the budget rename."""

from __future__ import annotations

from typing import Any

from planoai_cli.diagnostics import notice_at, warning_at
from planoai_cli.migrate.common import Diags, as_map, dig, drop_in, is_arch_router, maps_in, put_in, rewrite_hint
from planoai_cli.migrate.models import Resolved, resolve, shape_of
from planoai_cli.tree import YMap, derive, evolve

LEGACY_KEYS = ("model", "llm_provider", "model_provider")
CURRENT_KEYS = ("session_ttl_seconds", "session_max_entries", "session_cache", "routing_budget", "route_on_user_only")
_RETIRED = "Arch-Router was retired in 0.4.19 (routing now uses Plano-Orchestrator, which the gateway adds by itself)"


def legacy_routing(doc: YMap) -> tuple[YMap, Diags]:
    """`routing.model` / `llm_provider` / `model_provider` → `overrides.llm_routing_model`, or dropped."""
    routing = as_map(doc.get("routing"))
    legacy = [k for k in routing or () if k in LEGACY_KEYS]
    if routing is None or not legacy:
        return doc, []
    where = ("routing", legacy[0])
    keys = ", ".join(f"`routing.{k}`" for k in legacy)
    these, it = ("this key", "it") if len(legacy) == 1 else ("these keys", "them")
    rest = evolve(routing, drop=legacy)
    migrated = put_in(doc, ("routing",), rest) if rest else evolve(doc, drop=["routing"])
    if dig(doc, "overrides", "llm_routing_model") is not None or any(k in routing for k in CURRENT_KEYS):
        return migrated, [
            notice_at(
                doc,
                where,
                "migrate.routing-legacy",
                f"dropped {keys}: since 0.4.12 `overrides.llm_routing_model` chooses the router "
                f"model, and nothing reads {these}",
                rewrite_hint(),
            )
        ]
    target = _router_model(doc, routing)
    if target is None:
        return migrated, [
            warning_at(
                doc,
                where,
                "migrate.routing-legacy",
                f"dropped {keys}: no router model could be derived from {it} (no provider "
                "entry named there can be migrated)",
                rewrite_hint(),
            )
        ]
    if is_arch_router(target):
        return migrated, [
            warning_at(
                doc, where, "migrate.arch-router", f"dropped {keys}, which chose {target!r}: {_RETIRED}", rewrite_hint()
            )
        ]
    if target.rsplit("/", 1)[-1].lower() == "plano-orchestrator":
        return migrated, [
            notice_at(
                doc,
                where,
                "migrate.routing-legacy",
                f"dropped {keys}: {it} chose Plano-Orchestrator, the default router",
                rewrite_hint(),
            )
        ]
    return _with_router(migrated, routing, legacy[0], target), [
        warning_at(
            doc,
            where,
            "migrate.routing-model",
            f"{keys} became `overrides.llm_routing_model: {target}`: since 0.4.19 the router is prompted in the "
            "Plano-Orchestrator format instead of Arch-Router's, so this model must understand that protocol",
            "if it is an Arch-Router model, delete `overrides.llm_routing_model` to use the hosted Plano-Orchestrator",
        )
    ]


def _with_router(doc: YMap, routing: YMap, key: str, target: str) -> YMap:
    """Set `overrides.llm_routing_model`; a new `overrides` section points at the user's `routing` key."""
    overrides = as_map(doc.get("overrides"))
    if overrides is not None:
        return put_in(doc, ("overrides",), evolve(overrides, put={"llm_routing_model": target}))
    created = derive({"llm_routing_model": target}, like=routing)
    created.slots = {"llm_routing_model": routing.slots[key]} if key in routing.slots else {}
    return evolve(doc, put={"overrides": created})


def _router_model(doc: YMap, routing: YMap) -> str | None:
    """The model the router ran on: the provider entry named by the legacy keys, else `routing.model` itself."""
    providers = {_name(item): item for _, item in maps_in(doc.get("model_providers"))}
    host = routing.get("model_provider", routing.get("llm_provider"))
    model = routing.get("model")
    for name in (host, model):
        # 0.3.3+ named the hosting entry in llm_provider/model_provider; 0.3.0–0.3.2 named it in `model`.
        if isinstance(name, str) and name in providers:
            outcome = resolve(providers[name], shape_of(doc))
            return outcome.model if isinstance(outcome, Resolved) else None
    if isinstance(host, str) and is_arch_router(host):
        return host  # the name the generator gave its injected Arch-Router entry
    if host is not None:
        return None
    return model if isinstance(model, str) and model else None


def _name(item: YMap) -> Any:
    return item.get("name", item.get("model"))


def routing_model_override(doc: YMap) -> tuple[YMap, Diags]:
    """`overrides.llm_routing_model: Arch-Router` → dropped."""
    model = dig(doc, "overrides", "llm_routing_model")
    if not isinstance(model, str) or not is_arch_router(model):
        return doc, []
    overrides = doc["overrides"]
    rest = evolve(overrides, drop=["llm_routing_model"])
    migrated = put_in(doc, ("overrides",), rest) if rest else evolve(doc, drop=["overrides"])
    return migrated, [
        warning_at(
            doc,
            ("overrides", "llm_routing_model"),
            "migrate.arch-router",
            f"dropped `overrides.llm_routing_model: {model}`: {_RETIRED}; kept, it would send "
            "Plano-Orchestrator prompts to Arch-Router",
            rewrite_hint(),
        )
    ]


def budget_rename(doc: YMap) -> tuple[YMap, Diags]:
    """`routing.routing_budget.max_overhead_pct` → `max_switch_spend_pct` (renamed in 0.4.31)."""
    budget = as_map(dig(doc, "routing", "routing_budget"))
    if budget is None or "max_overhead_pct" not in budget:
        return doc, []
    where = ("routing", "routing_budget", "max_overhead_pct")
    if "max_switch_spend_pct" in budget:
        return drop_in(doc, where), [
            warning_at(
                doc,
                where,
                "migrate.routing-budget",
                "dropped `max_overhead_pct`: `max_switch_spend_pct`, its new name, is also set and wins",
                rewrite_hint(),
            )
        ]
    renamed = evolve(budget, rename={"max_overhead_pct": "max_switch_spend_pct"})
    return put_in(doc, ("routing", "routing_budget"), renamed), [
        notice_at(
            doc,
            where,
            "migrate.routing-budget",
            "`max_overhead_pct` renamed `max_switch_spend_pct` (same percentage; renamed in 0.4.31 without an alias)",
            rewrite_hint(),
        )
    ]
