"""Export: the deterministic YAML writer (PyYAML's safe dumper, keys in the order given, text blocks literal).

Every exported file is `header comments + dump(document)`: no aliases, no line folding, lists indented under their
key, a multi-line string written as a `|` block (a ConfigMap's files stay readable), anything a reader could take
for another type quoted. The same document always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # `key:\n  - item` rather than PyYAML's `key:\n- item`, as compose and Kubernetes files are usually written.
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # PyYAML falls back to a quoted scalar by itself when a block cannot hold the text (e.g. trailing spaces).
    return dumper.represent_scalar(_STR, data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _text)


def dump(document: Mapping[str, Any]) -> str:
    """One YAML document, keys in insertion order."""
    return yaml.dump(
        dict(document), Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 20
    )


def dump_all(documents: Iterable[Mapping[str, Any]]) -> str:
    """A stream of documents, each starting with `---`."""
    return "".join("---\n" + dump(document) for document in documents)


def comments(lines: Iterable[str], indent: int = 0) -> str:
    """Lines as YAML comments (an empty line stays a bare `#`)."""
    pad = " " * indent
    return "".join(f"{pad}# {line}".rstrip() + "\n" for line in lines)
