"""Config trees that remember where each part came from in the user's file.

The loader builds `YMap`/`YList` (dict and list subclasses) whose slots record the line and
column of every key and value and the key as the user spelled it.  Migrations build new trees
with `evolve`/`derive`, which carry those records over, so an error found after a migration
still points at the user's own line and JSON path.  Scalars stay plain Python values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Segment = str | int
JsonPath = tuple[Segment, ...]  # a place in a config tree, e.g. ("model_providers", 0, "name"); not a file path


@dataclass(frozen=True, order=True)
class Mark:
    """A 1-based line and column in the user's file."""

    line: int
    column: int


@dataclass(frozen=True)
class Slot:
    """Where one mapping entry came from: its key, its value and the key's original spelling."""

    key: Mark
    value: Mark
    name: str


class YMap(dict[str, Any]):
    """A mapping that knows its own position, its original path and its entries' positions."""

    def __init__(
        self,
        items: Iterable[tuple[str, Any]] | Mapping[str, Any] = (),
        *,
        mark: Mark | None = None,
        origin: JsonPath | None = None,
        slots: Mapping[str, Slot] | None = None,
    ) -> None:
        super().__init__(items)
        self.mark = mark
        self.origin = origin
        self.slots: dict[str, Slot] = dict(slots or {})


class YList(list[Any]):
    """A sequence that knows its own position, its original path and its items' positions."""

    def __init__(
        self,
        items: Iterable[Any] = (),
        *,
        mark: Mark | None = None,
        origin: JsonPath | None = None,
        slots: Iterable[Mark | None] = (),
    ) -> None:
        super().__init__(items)
        self.mark = mark
        self.origin = origin
        self.slots: list[Mark | None] = list(slots)


@dataclass(frozen=True)
class Location:
    """A path as the user wrote it, and the best-known position for it."""

    path: JsonPath
    mark: Mark | None


def mark_of(node: Any) -> Mark | None:
    """The position of a container node, if it has one."""
    return getattr(node, "mark", None)


def evolve(
    src: YMap,
    *,
    put: Mapping[str, Any] | None = None,
    drop: Iterable[str] = (),
    rename: Mapping[str, str] | None = None,
) -> YMap:
    """Return a copy of `src` with keys renamed, dropped and set, keeping every slot it can.

    Renamed keys keep their position and original spelling; keys in `put` that already existed
    keep their slot; new keys get none (their position falls back to the mapping's own).
    Order: existing keys stay in place (renamed in place), new keys are appended.
    """
    rename = dict(rename or {})
    dropped = frozenset(drop)
    updates = dict(put or {})
    out = YMap(mark=src.mark, origin=src.origin)
    for key, value in src.items():
        if key in dropped:
            continue
        new_key = rename.get(key, key)
        out[new_key] = updates.pop(new_key, value)
        if key in src.slots:
            out.slots[new_key] = src.slots[key]
    for key, value in updates.items():
        out[key] = value
    return out


def derive(items: Mapping[str, Any], *, like: Any = None, slots_from: YMap | None = None) -> YMap:
    """Build a new mapping positioned at `like` (any node), borrowing slots of same-named keys."""
    out = YMap(items, mark=mark_of(like), origin=getattr(like, "origin", None))
    if slots_from is not None:
        out.slots = {k: s for k, s in slots_from.slots.items() if k in out}
    return out


def derive_list(items: Iterable[Any], *, like: Any = None) -> YList:
    """Build a new sequence positioned at `like`; item positions come from the items themselves."""
    values = list(items)
    return YList(values, mark=mark_of(like), origin=getattr(like, "origin", None), slots=[mark_of(v) for v in values])


def locate(root: Any, path: JsonPath, *, at_key: bool = False) -> Location:
    """Map a path in (possibly migrated) tree `root` to the user's path and position.

    Walks as far as the tree goes; a segment that does not exist keeps the last known position.
    With `at_key`, the last segment's key position is returned instead of its value's.
    """
    node: Any = root
    user: list[Segment] = list(getattr(root, "origin", None) or ())
    best = mark_of(root)
    for index, seg in enumerate(path):
        last = index == len(path) - 1
        slot_mark: Mark | None = None
        if isinstance(node, YMap) and isinstance(seg, str) and seg in node:
            slot = node.slots.get(seg)
            user.append(slot.name if slot else seg)
            if slot:
                slot_mark = slot.key if (last and at_key) else slot.value
            node = node[seg]
        elif isinstance(node, YList) and isinstance(seg, int) and 0 <= seg < len(node):
            user.append(seg)
            slot_mark = node.slots[seg] if seg < len(node.slots) else None
            node = node[seg]
        else:
            user.extend(path[index:])
            break
        origin = getattr(node, "origin", None)
        if origin is not None and not (last and at_key):
            user = list(origin)
        best = slot_mark or mark_of(node) or best
    return Location(tuple(user), best)


def plain(node: Any) -> Any:
    """Strip positions: a tree of plain dicts, lists and scalars (for dumping and for models)."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def format_path(path: JsonPath) -> str:
    """Render a path as `model_providers[0].default`; odd keys are quoted."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif seg.isidentifier() or seg.replace("-", "_").isidentifier():
            out += f".{seg}" if out else seg
        else:
            out += f'["{seg}"]'
    return out
