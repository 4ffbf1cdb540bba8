"""Write-back for `planoai migrate`: canonical YAML text, a diff, and an atomic rewrite with a backup."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from planoai_cli.tree import YMap, plain

if TYPE_CHECKING:
    from planoai_cli.fs import Snapshot, Written

# Sections in the order the canonical file presents them; anything else follows in the user's order.
SECTION_ORDER = (
    "version",
    "listeners",
    "model_providers",
    "model_aliases",
    "routing_preferences",
    "model_metrics_sources",
    "agents",
    "filters",
    "endpoints",
    "system_prompt",
    "prompt_targets",
    "prompt_guards",
    "ratelimits",
    "overrides",
    "routing",
    "prompt_caching",
    "state_storage",
    "tracing",
)


def canonical_text(doc: YMap) -> str:
    """The canonical document as YAML (block style, keys in section order, comments are not kept)."""
    data: dict[str, object] = plain(doc)
    ordered = {k: data[k] for k in SECTION_ORDER if k in data}
    ordered.update((k, v) for k, v in data.items() if k not in ordered)
    return yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def unified_diff(before: str, after: str, name: str) -> str:
    """A unified diff between the file on disk and its canonical form ('' when identical)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{name} (current)",
        tofile=f"{name} (v0.4.0)",
    )
    return "".join(lines)


def rewrite(path: Path, text: str, read: Snapshot | None) -> Written:
    """Replace `path` (through a symlink: its target) with `text`, keeping the old bytes in a new backup beside it
    (FILE.bak, else FILE.bak.1, …); refused if the file no longer holds what was `read`. Raises PlanoError."""
    from planoai_cli.fs import Existing, write_file

    return write_file(
        path,
        text,
        mode=0o644,
        existing=Existing.BACKUP,
        expected=read,
        hint="run planoai migrate FILE to print the new form instead",
    )
