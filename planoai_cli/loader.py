"""Load stage: YAML text to a position-carrying tree (`RawConfig`), with located errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from planoai_cli.diagnostics import Diagnostic, Severity
from planoai_cli.errors import ConfigError, InvalidConfig
from planoai_cli.tree import Mark, Slot, YList, YMap, format_path
from planoai_cli.tree import Path as TreePath

CONFIG_NAMES = ("config.yaml", "plano_config.yaml", "arch_config.yaml")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class RawConfig:
    """A loaded config file: where it came from, its text and its tree."""

    path: Path
    text: str
    data: YMap

    @property
    def source(self) -> str:
        return str(self.path)


def discover(file: Path | None, search_dir: Path) -> Path:
    """The config to use: an explicit FILE must exist; otherwise look in `search_dir`."""
    if file is not None:
        if not file.is_file():
            what = "is a directory, not a file" if file.is_dir() else "does not exist"
            raise ConfigError(f"config file {file} {what}",
                              hint="check the path, or omit FILE to search --path for a config")
        return file
    if not search_dir.is_dir():
        raise ConfigError(f"--path {search_dir} is not a directory",
                          hint="point --path at the folder holding your config")
    for name in CONFIG_NAMES:
        candidate = search_dir / name
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no config found in {search_dir} (looked for {', '.join(CONFIG_NAMES)})",
                      hint="pass the file explicitly (planoai validate path/to/config.yaml) "
                      "or create one with planoai init")


def load(path: Path) -> RawConfig:
    """Read and parse `path`; every failure is a ConfigError that names the file and position."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})", hint="save the file as UTF-8") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e
    return RawConfig(path, text, parse(text, str(path)))


def parse(text: str, source: str) -> YMap:
    """Parse YAML text into a YMap; `source` names the file in messages."""
    try:
        loader = yaml.SafeLoader(text)  # the reader already rejects unprintable characters here
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML text ({e})", hint="remove control characters from the file") from e
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(f"{source}: the file is empty",
                              hint="a config needs at least `version:` and `listeners:` (see planoai init)")
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
        raise ConfigError(f"{source}:{line}:{col}: the top level must be a mapping of sections, found {kind}",
                          hint="start the file with `version: v0.4.0` followed by `listeners:` and the other sections")
    return data


def _syntax_error(e: yaml.MarkedYAMLError, source: str) -> ConfigError:
    mark = e.problem_mark or e.context_mark
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
    problem = e.problem or "syntax error"
    context = f" ({e.context})" if e.context else ""
    return ConfigError(f"{where}: YAML syntax error: {problem}{context}",
                       hint="check indentation and quoting on that line and the one above it")


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns composed YAML nodes into YMap/YList/scalars, collecting duplicate-key problems."""

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.problems: list[Diagnostic] = []
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: TreePath) -> Any:
        if id(node) in self._active or len(path) > _MAX_DEPTH:
            raise ConfigError(f"{self.source}:{_mark(node).line}: recursive or too deeply nested YAML",
                              hint="anchors may not refer to themselves")
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

    def _mapping(self, node: yaml.MappingNode, path: TreePath) -> YMap:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys like the safe loader would
        out = YMap(mark=_mark(node), origin=path)
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key in out:
                first = out.slots[key].key
                self.problems.append(Diagnostic(
                    Severity.ERROR, "yaml.duplicate-key",
                    f"duplicate key {key!r} (first defined at line {first.line}); YAML keeps only the last one",
                    _path_text(path, key), _mark(key_node).line, _mark(key_node).column,
                    "remove or merge one of the two entries"))
            out[key] = self.build(value_node, (*path, key))
            out.slots[key] = Slot(_mark(key_node), _mark(value_node), key)
        return out

    def _key(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.ScalarNode):
            # Keep the key as typed: `on:` or `1:` stay strings rather than YAML 1.1 booleans/ints.
            return str(node.value)
        raise ConfigError(f"{self.source}:{_mark(node).line}:{_mark(node).column}: a mapping key must be a plain word",
                          hint="use a simple name as the key")


def _path_text(path: TreePath, key: str) -> str:
    return format_path((*path, key))
