"""The bundled templates: ids, one-line descriptions, and their text (shipped inside the package)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from planoai_cli.diagnostics import did_you_mean
from planoai_cli.errors import UsageError


@dataclass(frozen=True)
class Template:
    """One starter config: `id` is what `--template` takes; `next_steps` are extra commands worth knowing,
    `first_steps` what to do before the usual validate and up."""

    id: str
    description: str
    next_steps: tuple[str, ...] = ()
    first_steps: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.id}.yaml"

    def text(self) -> str:
        return resources.files("planoai_cli.init").joinpath("templates", self.filename).read_text(encoding="utf-8")


# The order of `--list` and of the wizard's menu: the simplest first.
TEMPLATES: tuple[Template, ...] = (
    Template("minimal", "One model listener (port 12000) in front of a single OpenAI model."),
    Template(
        "preference-routing",
        "Routes each request to the model whose routing preference (a task in plain words) fits it.",
    ),
    Template(
        "coding-agent",
        "Model aliases claude-opus/-sonnet/-haiku and codex for Claude Code and Codex via planoai cli-agent.",
        ("planoai cli-agent claude {config}", "planoai cli-agent codex {config}"),
    ),
    Template(
        "sub-agents", "An agent listener (port 8001) whose orchestrator hands each request to the best of two agents."
    ),
    Template(
        "guardrails", "A filter chain (input_filters) that checks every request before an agent or a model sees it."
    ),
    Template(
        "conversation-state",
        "Keeps conversation state for /v1/responses (state_storage), so clients send previous_response_id.",
    ),
)

# `init --clean`: upstream writes an empty file, which no gateway accepts; this one is valid and names no provider.
# It is not in TEMPLATES: it has nothing for the wizard's provider choice, and `--list` shows starting points.
CLEAN = Template(
    "clean",
    "A model listener and no providers: a valid blank config to fill in.",
    first_steps=("add a provider under model_providers in {config} (its comments show how)",),
)

# Upstream planoai's template ids, so people coming from it land on the equivalent here.
UPSTREAM_IDS = {
    "preference_aware_routing": "preference-routing",
    "coding_agent_routing": "coding-agent",
    "sub_agent_orchestration": "sub-agents",
    "filter_chain_guardrails": "guardrails",
    "conversational_state_v1_responses": "conversation-state",
}


def ids() -> tuple[str, ...]:
    return tuple(t.id for t in TEMPLATES)


def find(template_id: str) -> Template:
    """The template called `template_id` (or upstream's id for it); a UsageError naming the closest id otherwise."""
    wanted = UPSTREAM_IDS.get(template_id, template_id)
    for template in TEMPLATES:
        if template.id == wanted:
            return template
    raise UsageError(f"unknown template {template_id!r}", hint=_hint(template_id))


def _hint(template_id: str) -> str:
    known = f"templates: {', '.join(ids())} (planoai init --list describes them)"
    close = did_you_mean(template_id, ids()) or did_you_mean(template_id.replace("_", "-"), ids())
    return f"{close} {known}" if close else known
