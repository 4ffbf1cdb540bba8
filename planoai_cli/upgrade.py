"""Write-back for `planoai migrate`: canonical YAML text, a diff, and an atomic rewrite with a backup."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from planoai_cli.errors import PlanoError
from planoai_cli.tree import YMap, plain

# Sections in the order the canonical file presents them; anything else follows in the user's order.
SECTION_ORDER = ("version", "listeners", "model_providers", "model_aliases", "routing_preferences",
                 "model_metrics_sources", "agents", "filters", "endpoints", "system_prompt", "prompt_targets",
                 "prompt_guards", "ratelimits", "overrides", "routing", "prompt_caching", "state_storage", "tracing")


def canonical_text(doc: YMap) -> str:
    """The canonical document as YAML (block style, keys in section order, comments are not kept)."""
    data: dict[str, Any] = plain(doc)
    ordered = {k: data[k] for k in SECTION_ORDER if k in data}
    ordered.update((k, v) for k, v in data.items() if k not in ordered)
    return yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def unified_diff(before: str, after: str, name: str) -> str:
    """A unified diff between the file on disk and its canonical form ('' when identical)."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"{name} (current)", tofile=f"{name} (v0.4.0)")
    return "".join(lines)


def rewrite(path: Path, text: str) -> Path:
    """Replace `path` with `text` atomically, keeping the previous content in `<path>.bak`."""
    backup = path.with_name(path.name + ".bak")
    try:
        shutil.copy2(path, backup)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise PlanoError(f"cannot rewrite {path}: {e.strerror or e}",
                         hint="check that the file and its folder are writable") from e
    return backup
