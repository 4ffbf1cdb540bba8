"""Semantic checks on model routing: metrics sources for selection policies and budgets, the session cache."""

from __future__ import annotations

from collections.abc import Iterator

from planoai_cli.checks.base import Check, error, repeats, where_text
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import PlanoConfig

_NEEDS = {"cheapest": "cost", "fastest": "latency"}
_EXAMPLE = {
    "cost": "`- type: cost` with `provider: models.dev`",
    "latency": "`- type: latency` with `provider: prometheus`, `url` and `query`",
}


def _has(config: PlanoConfig, kind: str) -> bool:
    return any(s.type == kind for s in config.metrics_sources)


def policy_sources(config: PlanoConfig) -> Iterator[Diagnostic]:
    for pref in config.routing_preferences:
        kind = _NEEDS.get(pref.prefer or "")
        if kind and not _has(config, kind):
            yield error(
                "check.missing-metrics-source",
                f"routing preference {pref.name!r} prefers the {pref.prefer} model, which needs a "
                f"{kind!r} source in model_metrics_sources",
                pref.where("selection_policy", "prefer"),
                f"add one under model_metrics_sources: {_EXAMPLE[kind]}",
            )


def budget_source(config: PlanoConfig) -> Iterator[Diagnostic]:
    budget = config.routing.budget if config.routing else None
    if budget is not None and not _has(config, "cost"):
        yield error(
            "check.missing-metrics-source",
            "routing.routing_budget prices model switches, which needs a 'cost' source in model_metrics_sources",
            budget.loc,
            f"add one under model_metrics_sources: {_EXAMPLE['cost']}",
        )


def duplicate_sources(config: PlanoConfig) -> Iterator[Diagnostic]:
    for first, dup in repeats(config.metrics_sources, lambda s: s.type):
        yield error(
            "check.duplicate-metrics-source",
            f"a {dup.type!r} metrics source is already defined at {where_text(first.loc)}; "
            "only one of each type is allowed",
            dup.where("type"),
            "remove one of the two sources",
        )


def session_cache_url(config: PlanoConfig) -> Iterator[Diagnostic]:
    cache = config.routing.session_cache if config.routing else None
    if cache is not None and cache.type == "redis" and not cache.url:
        yield error(
            "check.session-cache-url",
            "routing.session_cache uses redis but has no url",
            cache.where("url"),
            "add `url:` (e.g. redis://redis:6379, or $REDIS_URL)",
        )


CHECKS: tuple[Check, ...] = (policy_sources, budget_source, duplicate_sources, session_cache_url)
