"""Migration steps for list-form listeners: missing ports, stray keys, `router`, `filter_chain`, nested providers."""

from __future__ import annotations

from typing import Any

from planoai_cli.diagnostics import error_at, notice_at, warning_at
from planoai_cli.migrate.common import Diags, insert_after, maps_in, put_in, replace_items, rewrite_hint
from planoai_cli.tree import YList, YMap, evolve

LISTENER_KEYS = frozenset(
    {"name", "type", "port", "address", "timeout", "max_retries", "router", "agents", "input_filters", "output_filters"}
)
_NESTED = "model_providers"  # handled by `hoist_providers`, not dropped
DEFAULT_PORTS = {"model": 12000, "prompt": 10000}
ROUTER = "plano_orchestrator_v1"  # the only `router` value the current format accepts
# Router names upstream's documentation shows for agent listeners; no schema accepted them, and nothing reads
# the field, so they stand for the current value.
_DOCUMENTED_ROUTERS = frozenset({"plano_agent_router", "arch_agent_router"})
_UNREAD = (
    "the gateway never reads the field (agents are chosen by the orchestrator model, "
    "`overrides.agent_orchestration_model`)"
)


def list_listeners(doc: YMap) -> tuple[YMap, Diags]:
    """Fill default ports, drop keys only 0.3.16–0.4.3 tolerated, rename agents' `filter_chain`."""
    listeners = doc.get("listeners")
    if not isinstance(listeners, YList):
        return doc, []
    early = _early_release(listeners)
    items: list[Any] = list(listeners)
    found: Diags = []
    for index, item in maps_in(listeners):
        items[index], problems = _fix(doc, index, item, early=early)
        found += problems
    return put_in(doc, ("listeners",), replace_items(listeners, items)), found


def _early_release(listeners: YList) -> bool:
    """Items carrying providers or unknown keys were only accepted by 0.3.16–0.4.3 (open items)."""
    return any(set(item) - LISTENER_KEYS for _, item in maps_in(listeners))


def _fix(doc: YMap, index: int, item: YMap, *, early: bool) -> tuple[YMap, Diags]:
    path = ("listeners", index)
    label = f"listener {item.get('name')!r}"
    stray = [k for k in item if k not in LISTENER_KEYS and k != _NESTED]
    found = [
        notice_at(
            doc,
            (*path, k),
            "migrate.listener-key",
            f"dropped `{k}` from {label}: only 0.3.16–0.4.3 accepted unknown listener keys, and they ignored them",
            rewrite_hint(),
        )
        for k in stray
    ]
    fixed = evolve(item, drop=stray)
    fixed, problems = _port(doc, path, fixed, label, early=early)
    found += problems
    fixed, problems = _router(doc, path, fixed, label)
    found += problems
    fixed, problems = _chains(doc, path, fixed)
    return fixed, found + problems


def _port(doc: YMap, path: tuple[str, int], item: YMap, label: str, *, early: bool) -> tuple[YMap, Diags]:
    kind = item.get("type")
    default = DEFAULT_PORTS.get(kind) if isinstance(kind, str) else None
    if "port" in item:
        declared = item["port"]
        if early and default is not None and declared != default:
            return item, [
                warning_at(
                    doc,
                    (*path, "port"),
                    "migrate.listener-port-ignored",
                    f"{label} declares port {declared}, but the releases this file was written "
                    f"for (0.3.16–0.4.3) ignored it and served on {default}; the declared port is "
                    "kept, so clients must now use it",
                    f"set `port: {default}` to keep the address clients used so far",
                )
            ]
        return item, []
    if default is not None:
        return evolve(item, put={"port": default}), [
            notice_at(
                doc,
                path,
                "migrate.listener-port",
                f"{label} had no `port`; {default} is written, the port the gateway always used for a {kind} "
                "listener (the runtime needs the field)",
                rewrite_hint(),
            )
        ]
    return item, [
        error_at(
            doc,
            path,
            "migrate.listener-port",
            f"{label} has no `port`, and agent listeners have no default port (Envoy would reject the "
            "generated listener)",
            f"add `port: <number>` to {label}, e.g. `port: 8001`",
        )
    ]


def _router(doc: YMap, path: tuple[str, int], item: YMap, label: str) -> tuple[YMap, Diags]:
    """Documented router names → `plano_orchestrator_v1` (a notice); any other value is dropped (a warning).

    Refusing either would stop a config the data plane runs the same way with or without the field.
    """
    value = item.get("router")
    if not isinstance(value, str) or value == ROUTER:
        return item, []  # a non-string is the schema's to report
    where = (*path, "router")
    if value in _DOCUMENTED_ROUTERS:
        return evolve(item, put={"router": ROUTER}), [
            notice_at(
                doc,
                where,
                "migrate.listener-router",
                f"`router: {value}` of {label} became `router: {ROUTER}`: upstream's documentation shows the old name, "
                f"the current format accepts only the new one, and {_UNREAD}",
                rewrite_hint(),
            )
        ]
    return evolve(item, drop=["router"]), [
        warning_at(
            doc,
            where,
            "migrate.listener-router",
            f"dropped `router: {value}` from {label}: Plano has no router of that name, and {_UNREAD}, so requests "
            "are routed as before",
            f"delete the line (or write `router: {ROUTER}`); to choose the orchestrator model, set "
            "`overrides.agent_orchestration_model`",
            at_key=True,
        )
    ]


def _chains(doc: YMap, path: tuple[str, int], item: YMap) -> tuple[YMap, Diags]:
    agents = item.get("agents")
    if not isinstance(agents, YList):
        return item, []
    entries: list[Any] = list(agents)
    found: Diags = []
    for index, agent in maps_in(agents):
        if "filter_chain" not in agent:
            continue
        where = (*path, "agents", index, "filter_chain")
        if "input_filters" in agent:
            found.append(
                error_at(
                    doc,
                    where,
                    "migrate.filter-chain",
                    f"agent {agent.get('id')!r} has both `filter_chain` and `input_filters`",
                    "merge the ids into `input_filters` and delete `filter_chain`",
                    at_key=True,
                )
            )
            continue
        entries[index] = evolve(agent, rename={"filter_chain": "input_filters"})
        found.append(
            notice_at(
                doc,
                where,
                "migrate.filter-chain",
                f"`filter_chain` of agent {agent.get('id')!r} renamed `input_filters` (renamed in "
                "0.4.13, with no alias)",
                rewrite_hint(),
            )
        )
    return evolve(item, put={"agents": replace_items(agents, entries)}), found


def hoist_providers(doc: YMap) -> tuple[YMap, Diags]:
    """`model_providers` nested under a listener (0.3.16–0.4.3) → the top-level list."""
    listeners = doc.get("listeners")
    carriers = [(i, item) for i, item in maps_in(listeners) if _NESTED in item]
    if not carriers:
        return doc, []
    root = next((k for k in ("model_providers", "llm_providers") if k in doc), None)
    if root is not None or len(carriers) > 1:
        return doc, _hoist_refusals(doc, carriers, root)
    index, item = carriers[0]
    migrated = put_in(doc, ("listeners", index), evolve(item, drop=[_NESTED]))
    migrated = insert_after(migrated, "listeners", "model_providers", item[_NESTED])
    return migrated, [
        notice_at(
            doc,
            ("listeners", index, _NESTED),
            "migrate.listener-providers",
            f"moved `model_providers` from listener {item.get('name')!r} to the top level: "
            "providers under a listener were only accepted by 0.3.16–0.4.3",
            rewrite_hint(),
        )
    ]


def _hoist_refusals(doc: YMap, carriers: list[tuple[int, YMap]], root: str | None) -> Diags:
    if root is not None:
        return [
            error_at(
                doc,
                ("listeners", i, _NESTED),
                "migrate.listener-providers",
                f"listener {item.get('name')!r} carries `model_providers` while the top level also has "
                f"`{root}`; no release accepted both",
                f"move these entries into the top-level `{root}` list and delete them here",
                at_key=True,
            )
            for i, item in carriers
        ]
    first = carriers[0][1].get("name")
    every = "both listeners'" if len(carriers) == 2 else f"all {len(carriers)} listeners'"
    return [
        error_at(
            doc,
            ("listeners", i, _NESTED),
            "migrate.listener-providers",
            f"listener {item.get('name')!r} carries `model_providers`, and so does listener {first!r}; only "
            "one listener could hold providers",
            f"move {every} entries into one top-level `model_providers` list and delete `model_providers` "
            "from the listeners",
            at_key=True,
        )
        for i, item in carriers[1:]
    ]
