"""Shared pieces of the migration steps: the step type, functional tree updates, common wording."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from planoai_cli.diagnostics import Diagnostic
from planoai_cli.tree import JsonPath, Mark, YList, YMap, evolve, format_path, locate

Diags = list[Diagnostic]
Step = Callable[[YMap], tuple[YMap, Diags]]

REWRITE = "`planoai migrate --write` rewrites the file in the current format"
HOSTED_MODELS = frozenset({"arch-function", "plano-orchestrator"})  # injected by the gateway
# `user:password@` after `scheme://` or at the start of a bare `host:port` address; greedy up to the last `@`
# before the path, as a password may itself contain `@`.


def is_arch_router(model: str) -> bool:
    """Arch-Router in any spelling (`Arch-Router`, `plano/Arch-Router-1.5B`, …), retired in 0.4.19."""
    return model.rsplit("/", 1)[-1].lower().startswith("arch-router")


def rewrite_hint(advice: str = "") -> str:
    """The standard hint of a notice, optionally preceded by specific advice."""
    return f"{advice}; {REWRITE}" if advice else REWRITE


def as_map(node: Any) -> YMap | None:
    return node if isinstance(node, YMap) else None


def maps_in(node: Any) -> Iterator[tuple[int, YMap]]:
    """The mapping items of a sequence (anything else yields nothing)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, YMap):
                yield index, item


def dig(node: Any, *keys: str) -> Any:
    """node[k1][k2]… through mappings, or None when a level is missing."""
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def replace_items(src: YList, items: Iterable[Any]) -> YList:
    """A copy of `src` with new items at the same indexes (positions of the slots kept)."""
    return YList(items, mark=src.mark, origin=src.origin, slots=src.slots)


def keep_items(src: YList, keep: Iterable[int]) -> YList:
    """A copy of `src` holding only the items at `keep`, each with its own position."""
    chosen = list(keep)
    slots = [src.slots[i] if i < len(src.slots) else None for i in chosen]
    return YList([src[i] for i in chosen], mark=src.mark, origin=src.origin, slots=slots)


def extend_list(src: Any, items: Iterable[Any]) -> YList:
    """`src` (a YList, or nothing) with `items` appended; new items keep their own positions."""
    extra = list(items)
    base = src if isinstance(src, YList) else YList()
    slots: list[Mark | None] = [*base.slots, *(getattr(i, "mark", None) for i in extra)]
    return YList([*base, *extra], mark=base.mark, origin=base.origin, slots=slots)


def put_in(root: YMap, path: JsonPath, value: Any) -> YMap:
    """A copy of `root` with `value` stored at `path` (missing mappings on the way are created)."""
    out = _put(root, path, value)
    assert isinstance(out, YMap)
    return out


def _put(node: Any, path: JsonPath, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, YList) and isinstance(head, int):
        items = list(node)
        items[head] = _put(items[head], rest, value)
        return replace_items(node, items)
    current = node if isinstance(node, YMap) else YMap()
    assert isinstance(head, str)
    return evolve(current, put={head: _put(current.get(head), rest, value)})


def drop_in(root: YMap, path: JsonPath) -> YMap:
    """A copy of `root` without the mapping key at the end of `path`."""
    parent = path[:-1]
    key = path[-1]
    assert isinstance(key, str)
    node: Any = root
    for segment in parent:
        node = node[segment]
    return put_in(root, parent, evolve(node, drop=[key])) if parent else evolve(root, drop=[key])


def insert_after(src: YMap, anchor: str, key: str, value: Any) -> YMap:
    """A copy of `src` with a new `key` placed right after `anchor` (at the end if `anchor` is absent)."""
    if anchor not in src:
        return evolve(src, put={key: value})
    out = YMap(mark=src.mark, origin=src.origin)
    for name, item in src.items():
        if name == key:
            continue
        out[name] = item
        if name in src.slots:
            out.slots[name] = src.slots[name]
        if name == anchor:
            out[key] = value
    return out


def quoted(values: Iterable[Any]) -> str:
    """`'a', 'b'` for messages."""
    return ", ".join(repr(v) for v in values)


def user_path(doc: YMap, path: JsonPath) -> str:
    """How the user's file spells `path` of the (possibly migrated) `doc`, e.g. `llm_providers[1]`."""
    return format_path(locate(doc, path).path) or "(top level)"


def counted(count: int, one: str, many: str) -> str:
    """`one` or `many`, whichever fits `count` (for messages)."""
    return one if count == 1 else many
