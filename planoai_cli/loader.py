"""Load stage: YAML text to a position-carrying tree (`RawConfig`), with located errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.reader import ReaderError

from planoai_cli.diagnostics import Diagnostic, Severity
from planoai_cli.discovery import _EXAMPLES_HINT, CONFIG_NAMES, discover
from planoai_cli.errors import ConfigError, InvalidConfig
from planoai_cli.fs import Snapshot
from planoai_cli.tree import JsonPath, Mark, Slot, YList, YMap, format_path

if TYPE_CHECKING:
    from typing import TypeAlias

    _Loader: TypeAlias = yaml.SafeLoader | yaml.CSafeLoader

# Finding the file reads no YAML, so it lives in discovery.py (down, status and logs need it without PyYAML).
__all__ = ["CONFIG_NAMES", "RawConfig", "discover", "load", "parse"]

_MAX_DEPTH = 64
# Aliases can repeat aliases ("billion laughs"): a few lines may expand to millions of values. Real configs
# have tens of thousands at most, so stop well before the expansion could stall the CLI.
_MAX_VALUES = 500_000
# libyaml composes 10-20 times faster than PyYAML's pure-Python parser, but the two disagree at the edges: tabs,
# byte-order marks, `?` inside flow collections, a `|#` or `>#` block header, control and Unicode line-break
# characters (all of them here), and where an empty value is said to be (checked on the tree). Only text free
# of them takes libyaml; everything else, and every error, is PyYAML's own, so messages and positions never
# change (tests/test_loader.py runs both parsers over the corpus and mutations of it).
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
_NOT_FOR_LIBYAML_ASCII = re.compile("[^\n\x20-\x3e\x40-\x7e]|[|>][-+0-9]*#")
# The same for any text (compiled on first use: its Unicode ranges take milliseconds to compile).
_NOT_FOR_LIBYAML = "[^\n\x20-\x3e\x40-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[|>][-+0-9]*#"
# PyYAML's wording of the common mistakes, and what they mean in plain words (with what to do).
_PLAIN_SYNTAX = (
    (
        "expected <block end>",
        "the indentation of this line does not fit the lines above it",
        "indent the entries of one list or mapping by the same number of spaces",
    ),
    ("found character '\\t'", "a tab character; YAML indents with spaces only", "replace the tabs with spaces"),
    ("that cannot start any token", "a value cannot start with this character", "put the value in quotes"),
    (
        "mapping values are not allowed here",
        "an unexpected `: ` (a colon and a space) inside a value",
        "put the value in quotes, or start the key on a line of its own",
    ),
    (
        "found undefined alias",
        "an alias (`*name`) that refers to no anchor (`&name`) defined before it",
        "define the anchor first, or quote the value if the `*` is meant literally",
    ),
    (
        "could not find expected ':'",
        "a key without its `:`, or a value that continues onto a line it should not",
        "add `:` after the key, or quote a value that spans several lines",
    ),
    (
        "another document",
        "a second YAML document (after a `---` line); a config is a single document",
        "remove the `---` line and merge the two parts, or split them into two files",
    ),
    (
        "while parsing a flow",
        "a `[ … ]` or `{ … }` that is not closed, or items without a comma between them",
        "add the closing bracket or the missing comma",
    ),
    ("while scanning a quoted scalar", "a quoted value that is not closed", "add the closing quote"),
    ("while scanning an alias", "`*` starts an alias name here", 'put the value in quotes, e.g. "openai/*"'),
    ("while scanning an anchor", "`&` starts an anchor name here", "put the value in quotes"),
)


@dataclass(frozen=True)
class RawConfig:
    """A loaded config file: where it came from, its text and its tree."""

    path: Path
    text: str
    data: YMap
    # The bytes as read, for a write-back that must not clobber a file changed since (`migrate --write`).
    snapshot: Snapshot | None = field(default=None, repr=False, compare=False)

    @property
    def source(self) -> str:
        return str(self.path)


def load(path: Path) -> RawConfig:
    """Read and parse `path`; every failure is a ConfigError that names the file and position."""
    try:
        snapshot = Snapshot.read(path)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e
    data = snapshot.data or b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line, column = before.count(b"\n") + 1, e.start - before.rfind(b"\n")
        raise ConfigError(
            f"{path}:{line}:{column}: not UTF-8 text (byte 0x{data[e.start]:02x})", hint="save the file as UTF-8"
        ) from e
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as a text-mode read gives
    return RawConfig(path, text, parse(text, str(path)), snapshot)


def parse(text: str, source: str) -> YMap:
    """Parse YAML text into a YMap; `source` names the file in messages."""
    loader, node = _compose_fast(text)
    if loader is None:
        loader = _pure_loader(text, source)
    try:
        if node is None:
            node = loader.get_single_node()
        if node is None:
            raise ConfigError(
                f"{source}: the file is empty",
                hint=f"a config needs at least `version: v0.4.0` and `listeners:`; {_EXAMPLES_HINT}",
            )
        builder = _Builder(loader, source)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as e:
        raise _syntax_error(e, source) from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML ({e})") from e
    finally:
        loader.dispose()
    if builder.problems:
        raise InvalidConfig(source, builder.problems)
    if not isinstance(data, YMap):
        kind = "a list" if isinstance(data, YList) else f"a single value ({type(data).__name__})"
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        raise ConfigError(
            f"{source}:{line}:{col}: the top level must be a mapping of sections, found {kind}",
            hint="start the file with `version: v0.4.0` followed by `listeners:` and the other sections",
        )
    return data


def _compose_fast(text: str) -> tuple[_Loader | None, yaml.Node | None]:
    """libyaml's tree when it is sure to equal PyYAML's; (None, None) sends the text to PyYAML."""
    pattern = _NOT_FOR_LIBYAML_ASCII if text.isascii() else re.compile(_NOT_FOR_LIBYAML)
    if _FAST_LOADER is None or pattern.search(text):
        return None, None
    loader = _FAST_LOADER(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        loader.dispose()
        return None, None  # PyYAML says what is wrong, in its own words and at its own position
    if node is None or _has_empty_plain_value(node):
        loader.dispose()
        return None, None
    return loader, node


def _has_empty_plain_value(root: yaml.Node) -> bool:
    # An empty value (`key:` with nothing after it) is placed differently by the two parsers.
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.value == "" and not node.style:
                return True
        elif isinstance(node, yaml.MappingNode):
            pending.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return False


def _pure_loader(text: str, source: str) -> yaml.SafeLoader:
    try:
        return yaml.SafeLoader(text)  # the reader already rejects unprintable characters here
    except ReaderError as e:
        before = text[: e.position]
        line, column = before.count("\n") + 1, e.position - before.rfind("\n")
        raise ConfigError(
            f"{source}:{line}:{column}: the file contains the control character U+{e.character:04X}, "
            "which YAML does not allow",
            hint="delete it (most editors do not show it; `cat -A` does)",
        ) from e


def _syntax_error(e: yaml.MarkedYAMLError, source: str) -> ConfigError:
    mark = e.problem_mark or e.context_mark
    if "quoted scalar" in (e.context or "") and e.context_mark:
        mark = e.context_mark  # the opening quote: the end of the file, where the parser noticed, helps nobody
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
    said = f"{e.problem or ''} ({e.context or ''})"
    for words, meaning, advice in _PLAIN_SYNTAX:
        if words in said:
            return ConfigError(f"{where}: YAML syntax error: {meaning}", hint=advice)
    context = f" ({e.context})" if e.context else ""
    return ConfigError(
        f"{where}: YAML syntax error: {e.problem or 'not valid YAML'}{context}",
        hint="check indentation and quoting on that line and the one above it",
    )


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns composed YAML nodes into YMap/YList/scalars, collecting duplicate-key problems."""

    def __init__(self, loader: _Loader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.problems: list[Diagnostic] = []
        self._active: set[int] = set()
        self._built = 0

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        where = f"{self.source}:{_mark(node).line}:{_mark(node).column}"
        if id(node) in self._active:
            raise ConfigError(
                f"{where}: the anchor here contains an alias to itself, so its value never ends",
                hint="anchors may not refer to themselves",
            )
        if len(path) > _MAX_DEPTH:
            raise ConfigError(
                f"{where}: the YAML is nested more than {_MAX_DEPTH} levels deep",
                hint="a config is a few levels deep: check the indentation and the aliases",
            )
        self._built += 1
        if self._built > _MAX_VALUES:
            raise ConfigError(
                f"{where}: the YAML expands to more than {_MAX_VALUES:,} values (aliases that repeat aliases?)",
                hint="write the repeated parts out, or use fewer nested aliases",
            )
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                items = [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
                return YList(items, mark=_mark(node), origin=path, slots=[_mark(c) for c in node.value])
            return self.loader.construct_object(node, deep=True)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> YMap:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys like the safe loader would
        out = YMap(mark=_mark(node), origin=path)
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key in out:
                first = out.slots[key].key
                self.problems.append(
                    Diagnostic(
                        Severity.ERROR,
                        "yaml.duplicate-key",
                        f"duplicate key {key!r} (first defined at line {first.line}); YAML keeps only the last one",
                        _path_text(path, key),
                        _mark(key_node).line,
                        _mark(key_node).column,
                        "remove or merge one of the two entries",
                    )
                )
            out[key] = self.build(value_node, (*path, key))
            out.slots[key] = Slot(_mark(key_node), _mark(value_node), key)
        return out

    def _key(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.ScalarNode):
            # Keep the key as typed: `on:` or `1:` stay strings rather than YAML 1.1 booleans/ints.
            return str(node.value)
        raise ConfigError(
            f"{self.source}:{_mark(node).line}:{_mark(node).column}: a mapping key must be a plain word",
            hint="use a simple name as the key",
        )


def _path_text(path: JsonPath, key: str) -> str:
    return format_path((*path, key))
