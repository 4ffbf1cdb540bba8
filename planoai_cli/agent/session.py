"""`cli-agent` as steps the CLI sequences: prepare (no Docker), then ensure the gateway, then run the agent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planoai_cli.agent.plan import Finding, Plan, check
from planoai_cli.agent.profiles import AGENTS, Agent
from planoai_cli.agent.settings import NONE, AgentSettings
from planoai_cli.errors import ConfigError
from planoai_cli.gateway.layout import client_host
from planoai_cli.gateway.options import DEFAULT_BIND, Target
from planoai_cli.pipeline import Validated, raw_from_text
from planoai_cli.pipeline import prepare as prepare_config
from planoai_cli.project import project_name
from planoai_cli.zeroconfig import Resolution, resolve


@dataclass(frozen=True)
class Prepared:
    """Everything decided before Docker is touched: the config, the plan with the config's port, the verdicts."""

    agent: Agent
    resolution: Resolution
    validated: Validated
    config_hash: str
    plan: Plan
    findings: tuple[Finding, ...]
    shell: Mapping[str, str]
    user_args: tuple[str, ...]
    settings: AgentSettings = NONE

    @property
    def project(self) -> str:
        return project_name(self.resolution.target.project, self.validated.raw.path)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")

    def rebuilt(self, base_url: str) -> Plan:
        """The plan again for the gateway actually reached (its port may differ from the config's)."""
        return self.agent.build(self.validated.config, base_url, self.shell, self.user_args, self.settings)


def prepare(
    kind: str,
    target: Target,
    shell: Mapping[str, str],
    args: tuple[str, ...],
    listener_port: int | None,
    *,
    settings: AgentSettings = NONE,
) -> Prepared:
    """Resolve the config as `up` would (zero-config included, nothing written), and plan the launch."""
    agent = AGENTS[kind]
    resolution = resolve(target, shell, listener_port, write_file=False)
    zero = resolution.zero
    prepared = prepare_config(resolution.target if zero is None else raw_from_text(zero.path, zero.text))
    validated = prepared.validated
    model = next((p for p in prepared.rendered.listener_ports if p.type == "model"), None)
    if model is None:  # listener_ports always includes the default model listener
        raise ConfigError(f"{validated.raw.source}: no model listener for the agent to use")
    plan = agent.build(validated.config, f"http://{client_host(DEFAULT_BIND)}:{model.port}", shell, args, settings)
    return Prepared(
        agent, resolution, validated, prepared.config_hash, plan, check(plan, validated.config), shell, args, settings
    )


def refuse_unroutable(prepared: Prepared) -> None:
    """Explicit model names the config cannot route stop the launch (an agent session would only fail later)."""
    if not prepared.errors:
        return
    names = ", ".join(f.request.model or "?" for f in prepared.errors)
    raise ConfigError(
        f"{prepared.validated.raw.source} cannot route what {prepared.agent.title} will ask for: {names}",
        hint="fix the config or the agent's arguments as listed above, or pass --no-model-check",
    )
