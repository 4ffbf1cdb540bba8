"""What `cli-agent` will do: the environment changes, the command line, and the models the agent will ask for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from planoai_cli.agent.routes import Route, default_provider, route
from planoai_cli.model import PlanoConfig

PLACEHOLDER_KEY = "planoai-gateway-placeholder"  # the gateway holds the real keys; agents only need something
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.I)
_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Change:
    """One variable of the agent's environment: set to `value`, or removed when `value` is None."""

    name: str
    value: str | None
    note: str = ""  # why, e.g. "alias 'claude-opus'" or "kept from your shell"

    @property
    def secret(self) -> bool:
        return bool(_SECRET_NAME.search(self.name))


@dataclass(frozen=True)
class Request:
    """A model the agent will ask the gateway for; `model` None means the agent's own built-in choice."""

    source: str  # where the name comes from: a variable, an argument, or the agent's default
    model: str | None
    fix: str  # how to make it routable, for the message

    @property
    def label(self) -> str:
        if self.model is None:
            return self.source
        return f"{self.source}={self.model}" if _VARIABLE.match(self.source) else f"{self.source} {self.model!r}"


@dataclass(frozen=True)
class Plan:
    """Everything about one launch except the process itself."""

    agent: str
    base_url: str
    args: tuple[str, ...]  # after the executable: ours (if any), then the user's
    changes: tuple[Change, ...]
    requests: tuple[Request, ...]
    notes: tuple[str, ...]  # warnings about the user's shell (a key that was removed or replaced)

    def child_env(self, shell: Mapping[str, str]) -> dict[str, str]:
        env = dict(shell)
        for change in self.changes:
            if change.value is None:
                env.pop(change.name, None)
            else:
                env[change.name] = change.value
        return env


@dataclass(frozen=True)
class Finding:
    """The verdict on one request: how it routes, and whether that is fine, worth a warning, or an error."""

    request: Request
    route: Route | None  # None for the agent's built-in model
    level: str  # "ok", "warning" or "error"
    message: str


def check(plan: Plan, config: PlanoConfig) -> tuple[Finding, ...]:
    """Judge every model the agent will ask for; explicit names that reach nothing are errors."""
    return tuple(_judge(request, config) for request in plan.requests)


def _judge(request: Request, config: PlanoConfig) -> Finding:
    if request.model is None:
        default = default_provider(config)
        if default is not None:
            return Finding(request, None, "ok", f"{request.label}: sent to the default provider {default.name!r}")
        return Finding(
            request,
            None,
            "warning",
            f"{request.label} is not routable by this config (no matching alias, no default provider); "
            f"fix: {request.fix}",
        )
    found = route(config, request.model)
    text = f"{request.label}: {found.describe()}"
    if found.routable:
        return Finding(request, found, "ok", text)
    if found.via == "default":
        return Finding(request, found, "warning", f"{text}; fix: {request.fix}")
    return Finding(request, found, "error", f"{text}; fix: {request.fix}")
