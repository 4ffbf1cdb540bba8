"""Model stage, shared parts: the location index every record points into, URL parts and value readers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from planoai_cli.tree import JsonPath, Location, Segment, YMap, locate

# A mapping of the tree: a YMap from the loader, or a plain dict a migration may have built.
Node = Mapping[str, Any]


@dataclass(frozen=True)
class LocationIndex:
    """Every path of the (possibly migrated) tree → where the user wrote it (value and key positions)."""

    values: Mapping[JsonPath, Location]
    keys: Mapping[JsonPath, Location]

    @classmethod
    def of(cls, doc: YMap) -> LocationIndex:
        values: dict[JsonPath, Location] = {}
        keys: dict[JsonPath, Location] = {}
        for path, is_entry in _walk(doc, ()):
            values[path] = locate(doc, path)
            if is_entry:
                keys[path] = locate(doc, path, at_key=True)
        return cls(MappingProxyType(values), MappingProxyType(keys))

    def at(self, path: JsonPath, *, at_key: bool = False) -> Location:
        """The user's location of `path`; a missing path extends its nearest existing ancestor."""
        found = self.keys.get(path) if at_key else None
        found = found or self.values.get(path)
        if found is not None:
            return found
        for cut in range(len(path) - 1, -1, -1):
            known = self.values.get(path[:cut])
            if known is not None:
                return Location((*known.path, *path[cut:]), known.mark)
        return Location(path, None)


def _walk(node: Any, path: JsonPath) -> Iterator[tuple[JsonPath, bool]]:
    yield path, bool(path) and isinstance(path[-1], str)
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


@dataclass(frozen=True, kw_only=True)
class Record:
    """A typed element of the config that knows where the user wrote it and each of its fields."""

    tree_path: JsonPath = field(repr=False)
    index: LocationIndex = field(repr=False, compare=False)

    @property
    def loc(self) -> Location:
        """Where this element is in the user's file."""
        return self.index.at(self.tree_path)

    def where(self, *parts: Segment, at_key: bool = False) -> Location:
        """Where a field (or a nested part, e.g. `where("headers", "Authorization")`) is; falls back to the element."""
        return self.index.at((*self.tree_path, *parts), at_key=at_key)


@dataclass(frozen=True)
class Upstream:
    """The parts of an absolute http(s) URL that become an Envoy cluster."""

    scheme: str
    host: str
    port: int
    path_prefix: str | None

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def parse_url(text: str) -> Upstream | None:
    """Split an http/https URL into scheme, lower-cased host, port (explicit or 80/443) and path prefix.

    None when the URL cannot be split, the scheme is not http/https, the host is missing or the port is not a
    valid number.
    """
    try:  # urlsplit itself refuses some hosts (an unclosed `[` of an IPv6 literal)
        parts = urlsplit(text.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        port = parts.port
    except ValueError:
        return None
    if port == 0:
        return None
    path = parts.path if parts.path not in ("", "/") else None
    default = 443 if scheme == "https" else 80
    return Upstream(scheme, parts.hostname.lower(), default if port is None else port, path)


def text(node: Node, key: str) -> str | None:
    value = node.get(key)
    return value if isinstance(value, str) else None


def flag(node: Node, key: str) -> bool | None:
    value = node.get(key)
    return value if isinstance(value, bool) else None


def whole(node: Node, key: str) -> int | None:
    value = node.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number(node: Node, key: str) -> float | None:
    value = node.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def section(node: Node, key: str) -> Node:
    """A nested mapping, or an empty one (absent sections read as empty)."""
    value = node.get(key)
    return value if isinstance(value, dict) else {}


def items(node: Node, key: str) -> list[tuple[int, Node]]:
    """The mapping items of a nested list, with their indexes (non-mappings are skipped)."""
    value = node.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def strings(node: Node, key: str) -> tuple[str, ...]:
    value = node.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def string_map(node: Node, key: str) -> Mapping[str, str]:
    value = node.get(key)
    if not isinstance(value, dict):
        return MappingProxyType({})
    return MappingProxyType({str(k): v for k, v in value.items() if isinstance(v, str)})
