"""Migrate stage: an ordered tuple of small pure steps that rewrite every legacy form into canonical v0.4.0.

Each step takes the whole document and returns a new one plus what it did: a NOTICE per legacy form it
migrated, a WARNING for something kept but inert (or changed in a way that may alter behaviour), and an
ERROR for a case that cannot be migrated mechanically (that part is then left as the user wrote it).
Shapes are detected per section from the structure, never from `version` (one label covers several shapes).
Trees are rebuilt with `tree.evolve`/`derive`, so every finding, now or later, points at the user's line.
"""

from __future__ import annotations

from dataclasses import dataclass

from planoai_cli.diagnostics import Diagnostic
from planoai_cli.migrate import (
    agents,
    listener_items,
    listeners,
    misc,
    preferences,
    providers,
    routing,
    targets,
)
from planoai_cli.migrate.common import Step
from planoai_cli.tree import YMap

__all__ = ["STEPS", "Migrated", "Step", "migrate"]


@dataclass(frozen=True)
class Migrated:
    """The canonical document and what the migration noticed, in step order."""

    doc: YMap
    diagnostics: tuple[Diagnostic, ...]


# The order matters where a step reads evidence an earlier step would erase (noted on the right).
STEPS: tuple[Step, ...] = (
    targets.default_target_dispatch,  # reads the singular `listener` (a pre-0.2.4 file)
    agents.filter_agents,  # reads `filter_chain` (G3a filter agents)
    listener_items.list_listeners,  # renames `filter_chain`; reads nested providers (0.3.16–0.4.3)
    listener_items.hoist_providers,
    providers.rename_llm_providers,
    routing.legacy_routing,  # resolves the router's provider before providers are rewritten
    routing.routing_model_override,
    routing.budget_rename,
    providers.convert_providers,  # reads the listener shape (how `x/y` models were read)
    preferences.lift_preferences,  # needs the final provider names and models
    preferences.merge_duplicates,  # after lifting, so merged entries' preferences follow them
    listeners.singular_listener,
    listeners.mapping_listeners,
    agents.agent_keys,
    agents.filter_types,
    targets.parameter_types,
    misc.never_read_keys,
    misc.guard_keys,
    misc.inert_settings,
    misc.tracing_sampling_rate,
    misc.ratelimit_models,  # compares with the final provider models
    misc.metrics_sources,
    misc.set_version,
)


def migrate(doc: YMap) -> Migrated:
    """Run every step in order; the input tree is never modified."""
    found: list[Diagnostic] = []
    for step in STEPS:
        doc, diagnostics = step(doc)
        found.extend(diagnostics)
    return Migrated(doc, tuple(found))
