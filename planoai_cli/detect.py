"""Detect which generation of the format a raw document is written in, from its structure.

The `version` label does not tell the shape (`v0.1` labels three different shapes), so the
listener section and a few keys decide.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

from planoai_cli.errors import ConfigError
from planoai_cli.tree import JsonPath, YMap, format_path, locate


class Generation(enum.Enum):
    """A generation of the config format and the schema file that describes it."""

    G1 = "g1"  # 0.1.0–0.2.1: singular `listener:`
    G2 = "g2"  # 0.2.2–0.3.15: `listeners:` mapping (or absent) with `llm_providers`
    G3 = "g3"  # 0.3.16 onwards: list-form listeners, and every legacy form still accepted alongside
    CANONICAL = "v0.4.0"  # what migration produces

    @property
    def schema_file(self) -> str:
        return f"{self.value}.schema.json"

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {
    Generation.G1: "G1 (0.1.x–0.2.1, singular `listener`)",
    Generation.G2: "G2 (0.2.2–0.3.15, `listeners` mapping)",
    Generation.G3: "G3 (0.3.16+, list-form `listeners`)",
    Generation.CANONICAL: "v0.4.0 (canonical)",
}
# Sections that only exist from G3 on: their presence rules out G2 even with a mapping listener.
_G3_ONLY = frozenset(
    {
        "model_providers",
        "agents",
        "filters",
        "state_storage",
        "routing_preferences",
        "model_metrics_sources",
        "prompt_caching",
    }
)
_PROTOTYPE_ROOT = frozenset({"default_prompt_endpoint", "load_balancing", "timeout_ms", "embedding_provider"})
_PROTOTYPE_TARGET = frozenset({"entities", "few_shot_examples"})


def detect(doc: YMap, source: str) -> Generation:
    """Classify the document; the pre-release prototype format is refused here."""
    prototype = next(_prototype_markers(doc), None)
    if prototype is not None:
        raise _prototype_error(doc, prototype, source)
    if "listener" in doc:
        if "listeners" in doc:
            raise _both_listener_forms(doc, source)
        return Generation.G1
    listeners = doc.get("listeners")
    if isinstance(listeners, list) or _G3_ONLY.intersection(doc):
        return Generation.G3
    return Generation.G2


def _prototype_markers(doc: YMap) -> Iterator[JsonPath]:
    for key in sorted(_PROTOTYPE_ROOT.intersection(doc)):
        yield (key,)
    targets = doc.get("prompt_targets")
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        if not isinstance(target, dict):
            continue
        for key in sorted(_PROTOTYPE_TARGET.intersection(target)):
            yield ("prompt_targets", index, key)
        if target.get("type") in ("function_resolver", "context_resolver"):
            yield ("prompt_targets", index, "type")
    guards = _dig(doc, "prompt_guards", "input_guards")
    for name, guard in guards.items() if isinstance(guards, dict) else ():
        if isinstance(guard, dict) and "on_exception_message" in guard:
            yield ("prompt_guards", "input_guards", name, "on_exception_message")


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _prototype_error(doc: YMap, path: JsonPath, source: str) -> ConfigError:
    location = locate(doc, path, at_key=True)
    where = f"{source}:{location.mark.line}:{location.mark.column}" if location.mark else source
    return ConfigError(
        f"{where}: `{format_path(location.path)}` belongs to the pre-release prototype format (mid-2024), "
        "which no released gateway ever accepted, so it cannot be migrated",
        hint="start from a current config (examples/ in the planoai-cli repository has complete ones) and copy "
        "your providers over",
    )


def _both_listener_forms(doc: YMap, source: str) -> ConfigError:
    location = locate(doc, ("listeners",), at_key=True)
    where = f"{source}:{location.mark.line}:{location.mark.column}" if location.mark else source
    return ConfigError(
        f"{where}: both `listener` (the 0.1.x form) and `listeners` are present, so it is unclear which one is meant",
        hint="keep only `listeners` (run planoai migrate on a copy holding just `listener` to convert it)",
    )
