"""Keep only some providers of a template, as a text edit that keeps its comments and layout.

Templates follow one layout (checked by the tests): top-level sections at column 0, list items of a section at
one indentation, each item's comments directly above it. Dropping the providers of a key also drops what
only they served: their routing-preference entries (a preference left with none goes too), and aliases
pointing at them are re-pointed at the default provider, which passes to the first kept provider if needed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from planoai_cli.secrets import find_refs

_ITEM = re.compile(r"^(\s+)- ")
_FIELD = re.compile(r"^([A-Za-z_]+):\s*(.*?)\s*$")
_TARGET = re.compile(r"^(\s+)target:\s*(\S+)\s*$")
_LIST_VALUE = re.compile(r"^(\s+)- (\S+)\s*$")


@dataclass(frozen=True)
class Block:
    """One list item of a section: lines [start, end) with its leading comments; `fields` at its top level."""

    start: int
    item: int  # the `- ` line
    end: int
    indent: int
    fields: dict[str, str]

    def refs(self) -> set[str]:
        """What other sections may call a provider: its name, its model, its model id."""
        model = self.fields.get("model", "")
        return {ref for ref in (model, model.partition("/")[2], self.fields.get("name")) if ref}

    @property
    def key(self) -> str | None:
        names = find_refs(self.fields.get("access_key", ""))
        return names[0] if names else None

    @property
    def default(self) -> bool:
        return self.fields.get("default") == "true"


@dataclass(frozen=True)
class KeyGroup:
    """The providers that share one key variable (what the wizard offers to keep or drop as a whole)."""

    variable: str
    models: tuple[str, ...]


@dataclass(frozen=True)
class Selection:
    text: str
    changes: tuple[str, ...]  # what the edit did besides dropping providers, in plain words


def key_groups(text: str) -> tuple[KeyGroup, ...]:
    """The key variables of the template's providers, in order of first use, with their models."""
    groups: dict[str, list[str]] = {}
    for block in provider_blocks(text.splitlines()):
        if block.key:
            groups.setdefault(block.key, []).append(block.fields["model"])
    return tuple(KeyGroup(name, tuple(models)) for name, models in groups.items())


def provider_blocks(lines: list[str]) -> list[Block]:
    span = section(lines, "model_providers")
    return blocks(lines, *span) if span else []


def section(lines: list[str], key: str) -> tuple[int, int] | None:
    """Lines [start, end) of a top-level section; `end` excludes the blank and comment lines before the next."""
    starts = [i for i, line in enumerate(lines) if line.rstrip() == f"{key}:"]
    if not starts:
        return None
    start = end = starts[0]
    for i in range(start + 1, len(lines)):
        if lines[i].strip() and not lines[i][0].isspace():
            break
        if lines[i].strip():
            end = i
    return start, end + 1


def blocks(lines: list[str], start: int, end: int) -> list[Block]:
    items = [i for i in range(start + 1, end) if _ITEM.match(lines[i])]
    if not items:
        return []
    indent = _indent(lines[items[0]])
    items = [i for i in items if _indent(lines[i]) == indent]
    leads = [_lead(lines, i, indent, start) for i in items]
    ends = [*leads[1:], end]
    return [
        Block(lead, item, stop, indent, _fields(lines, item, stop, indent))
        for lead, item, stop in zip(leads, items, ends, strict=True)
    ]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _lead(lines: list[str], item: int, indent: int, floor: int) -> int:
    """Where an item's block starts: at the comment lines directly above it, indented like it."""
    while item - 1 > floor and lines[item - 1].lstrip().startswith("#") and _indent(lines[item - 1]) == indent:
        item -= 1
    return item


def _fields(lines: list[str], item: int, end: int, indent: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for i in range(item, end):
        if i == item:
            content = lines[i][indent + 2 :]
        elif _indent(lines[i]) == indent + 2:
            content = lines[i].strip()
        else:
            continue
        match = _FIELD.match(content)
        if match:
            fields[match[1]] = match[2].strip("'\"")
    return fields


def keep_keys(text: str, keep: Collection[str]) -> Selection:
    """Drop the providers whose key is not in `keep` (providers without a key stay), and what served only them."""
    lines = text.splitlines()
    providers = provider_blocks(lines)
    dropped = [b for b in providers if b.key is not None and b.key not in keep]
    kept = [b for b in providers if b not in dropped]
    if not dropped:
        return Selection(text, ())
    if not kept:
        raise ValueError("at least one provider must be kept")  # the wizard never asks for this
    edits: dict[int, list[str]] = {i: [] for b in dropped for i in range(b.start, b.end)}
    changes: list[str] = []
    default = next((b for b in kept if b.default), kept[0])
    if not default.default:
        last = max(i for i in range(default.item, default.end) if lines[i].strip())
        edits[last] = [lines[last], f"{' ' * (default.indent + 2)}default: true"]
        changes.append(f"{default.fields['model']} is now the default provider")
    gone = {ref for b in dropped for ref in b.refs()}
    changes += _retarget_aliases(lines, edits, gone, default.fields["model"])
    changes += _prune_preferences(lines, edits, gone)
    out = [new for i, line in enumerate(lines) for new in edits.get(i, [line])]
    return Selection(_tidy(out), tuple(changes))


def _retarget_aliases(lines: list[str], edits: dict[int, list[str]], gone: set[str], model: str) -> list[str]:
    span = section(lines, "model_aliases")
    changes: list[str] = []
    for i in range(*span) if span else ():
        match = _TARGET.match(lines[i])
        if match and match[2] in gone:
            edits[i] = [f"{match[1]}target: {model}"]
            name = lines[i - 1].strip().rstrip(":")
            changes.append(f"alias {name} now points at {model} (its model was dropped)")
    return changes


def _prune_preferences(lines: list[str], edits: dict[int, list[str]], gone: set[str]) -> list[str]:
    span = section(lines, "routing_preferences")
    if not span:
        return []
    changes: list[str] = []
    items = blocks(lines, *span)
    emptied = 0
    for block in items:
        values = {i: m[2] for i in range(block.item + 1, block.end) if (m := _LIST_VALUE.match(lines[i]))}
        hit = [i for i, value in values.items() if value in gone]
        name = block.fields.get("name", "?")
        if hit and len(hit) == len(values):
            edits.update({i: [] for i in range(block.start, block.end)})
            changes.append(f"routing preference {name!r} removed: none of its models was kept")
            emptied += 1
        elif hit:
            edits.update({i: [] for i in hit})
    if items and emptied == len(items):
        first = _lead_comments(lines, span[0])
        edits.update({i: [] for i in range(first, span[1])})
    return changes


def _lead_comments(lines: list[str], start: int) -> int:
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return start


def _tidy(lines: list[str]) -> str:
    """One blank line at most between blocks, none at the end (the edits leave gaps behind)."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return "".join(f"{line}\n" for line in out)
