"""Which provider a model name reaches through a config, the way the gateway picks one, and what to say if none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from planoai_cli.model import PlanoConfig, Provider

Via = Literal["provider", "wildcard", "default", "none"]


@dataclass(frozen=True)
class Route:
    """How a requested model name is served: the alias it went through, the provider, and by which rule."""

    model: str
    via: Via
    provider: str | None
    alias_target: str | None = None

    @property
    def routable(self) -> bool:
        return self.via in ("provider", "wildcard")

    def describe(self) -> str:
        through = f"alias of {self.alias_target!r}, " if self.alias_target else ""
        if self.via == "provider":
            return f"{through}provider {self.provider!r}"
        if self.via == "wildcard":
            return f"{through}wildcard provider {self.provider!r}"
        if self.via == "default":
            return f"{through}not configured: the gateway sends it to the default provider {self.provider!r}"
        return f"{through}not configured, and there is no default provider to fall back to"


def route(config: PlanoConfig, model: str) -> Route:
    """Aliases first, then a provider by name, full model or bare id, then a `prefix/*` wildcard, else the default."""
    alias = next((a for a in config.aliases if a.name == model), None)
    wanted = alias.target if alias else model
    target = alias.target if alias else None
    provider = _concrete(config, wanted)
    if provider is not None:
        return Route(model, "provider", provider.name, target)
    wildcard = _wildcard(config, wanted)
    if wildcard is not None:
        return Route(model, "wildcard", wildcard.name, target)
    default = default_provider(config)
    if default is not None:
        return Route(model, "default", default.name, target)
    return Route(model, "none", None, target)


def default_provider(config: PlanoConfig) -> Provider | None:
    return next((p for p in config.providers if p.default), None)


def _concrete(config: PlanoConfig, wanted: str) -> Provider | None:
    concrete = [p for p in config.providers if not p.wildcard]
    return (
        next((p for p in concrete if p.name == wanted), None)
        or next((p for p in concrete if p.model == wanted), None)
        or next((p for p in concrete if p.model_id == wanted), None)
    )


def _wildcard(config: PlanoConfig, wanted: str) -> Provider | None:
    # `anthropic/claude-x` is served by `anthropic/*`; a bare `claude-x` is not (no prefix to match).
    prefix, _, rest = wanted.partition("/")
    if not rest or rest == "*":
        return None
    return next((p for p in config.providers if p.wildcard and p.prefix == prefix), None)
