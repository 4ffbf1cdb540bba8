"""Migration steps for agents and filters: G3a filter agents, extra agent keys, `type: rest`."""

from __future__ import annotations

from typing import Any

from planoai_cli.diagnostics import notice_at, warning_at
from planoai_cli.migrate.common import Diags, insert_after, keep_items, maps_in, put_in, replace_items, rewrite_hint
from planoai_cli.tree import YList, YMap, derive, derive_list, evolve

AGENT_KEYS = ("id", "url")
_CONTRACT = "since 0.4.0 an `http` filter receives the raw request, posted to its url plus the original request path"
_BEFORE = "0.3.16–0.3.22 sent filter agents a chat-completions call to answer with the new messages"


def _chained_ids(doc: YMap) -> set[str]:
    """Ids listed in any listener agent's `filter_chain` (the G3a way of naming filters)."""
    ids: set[str] = set()
    for _, listener in maps_in(doc.get("listeners")):
        for _, agent in maps_in(listener.get("agents")):
            chain = agent.get("filter_chain")
            if isinstance(chain, list):
                ids.update(x for x in chain if isinstance(x, str))
    return ids


def filter_agents(doc: YMap) -> tuple[YMap, Diags]:
    """G3a filter agents (in `agents`, named in a `filter_chain`) → `filters` with `type: http`.

    A file that already has a `filters` section is 0.4.0 or later, where chained entries left in `agents` are
    MCP filters that work as they are; only files without it are read as G3a.
    """
    agents = doc.get("agents")
    chained = _chained_ids(doc)
    if "filters" in doc or not isinstance(agents, YList) or not chained:
        return doc, []
    moving = [(i, agent) for i, agent in maps_in(agents) if _text(agent.get("id")) in chained]
    if not moving:
        return doc, []
    filters = derive_list([_as_filter(agent) for _, agent in moving], like=agents)
    staying = keep_items(agents, [i for i in range(len(agents)) if i not in dict(moving)])
    if staying:
        migrated = insert_after(put_in(doc, ("agents",), staying), "agents", "filters", filters)
    else:
        migrated = evolve(doc, rename={"agents": "filters"}, put={"filters": filters})
    return migrated, [_moved(doc, i, agent) for i, agent in moving]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _as_filter(agent: YMap) -> YMap:
    return derive({"id": agent["id"], "url": agent.get("url"), "type": "http"}, like=agent, slots_from=agent)


def _moved(doc: YMap, index: int, agent: YMap) -> Any:
    extra = [k for k in agent if k not in AGENT_KEYS]
    dropped = f", dropping {', '.join(f'`{k}`' for k in extra)}" if extra else ""
    return warning_at(
        doc,
        ("agents", index),
        "migrate.filter-agent",
        f"agent {agent.get('id')!r} is named in a `filter_chain`, so it is a filter: moved to `filters` "
        f"with `type: http`{dropped}; {_CONTRACT}, where {_BEFORE}",
        "update the service to the http filter contract, or set `type: mcp` if it is an MCP server",
    )


def agent_keys(doc: YMap) -> tuple[YMap, Diags]:
    """Top-level `agents` items keep only `id` and `url` (closed since 0.4.0)."""
    agents = doc.get("agents")
    if not isinstance(agents, YList):
        return doc, []
    items: list[Any] = list(agents)
    found: Diags = []
    for index, agent in maps_in(agents):
        extra = [k for k in agent if k not in AGENT_KEYS]
        if extra:
            items[index] = evolve(agent, drop=extra)
            found += [
                notice_at(
                    doc,
                    ("agents", index, k),
                    "migrate.agent-key",
                    f"dropped `{k}` from agent {agent.get('id')!r}: agents take only `id` and `url` since "
                    "0.4.0, and nothing read other keys",
                    rewrite_hint(),
                )
                for k in extra
            ]
    return (put_in(doc, ("agents",), replace_items(agents, items)) if found else doc), found


def filter_types(doc: YMap) -> tuple[YMap, Diags]:
    """`filters[].type: rest` → `http` (the unreleased name)."""
    filters = doc.get("filters")
    if not isinstance(filters, YList):
        return doc, []
    items: list[Any] = list(filters)
    found: Diags = []
    for index, item in maps_in(filters):
        if item.get("type") == "rest":
            items[index] = evolve(item, put={"type": "http"})
            found.append(
                warning_at(
                    doc,
                    ("filters", index, "type"),
                    "migrate.filter-type",
                    f"filter {item.get('id')!r}: `type: rest` became `http` (`rest` was its name in "
                    f"unreleased builds before 0.4.0); {_CONTRACT}",
                    "check that the service implements the http filter contract",
                )
            )
    return (put_in(doc, ("filters",), replace_items(filters, items)) if found else doc), found
