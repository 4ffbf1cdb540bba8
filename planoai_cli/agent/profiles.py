"""The agents `cli-agent` knows: how each is pointed at the gateway, and which models it will ask for.

Claude Code
    ANTHROPIC_BASE_URL=http://127.0.0.1:<model listener port>, ANTHROPIC_AUTH_TOKEN=<placeholder>,
    ANTHROPIC_API_KEY removed (Claude Code prefers it to the token), API_TIMEOUT_MS=600000 unless the shell sets
    it, NO_PROXY gains the gateway host. Model variables come from `model_aliases`, by name: the first alias
    (in file order) whose name contains `opus` / `sonnet` / `haiku` (any case) sets ANTHROPIC_DEFAULT_OPUS_MODEL /
    _SONNET_ / _HAIKU_ (haiku falls back to the alias `arch.claude.code.small.fast`); the legacy
    ANTHROPIC_SMALL_FAST_MODEL is that alias if there is one, else the haiku choice. A tier without an alias
    keeps the shell's value if it has one, else Claude Code uses its built-in name for that tier.
Codex
    OPENAI_BASE_URL=http://127.0.0.1:<port>/v1 and OPENAI_API_KEY=<placeholder>, NO_PROXY as above. The model is
    the first alias whose name contains `codex`, else the default provider's name, passed as the config override
    `-c model="<name>"` before the user's arguments (unless those already choose a model with -m/--model/-c model=).
--settings (upstream's JSON object, see settings.py)
    NON_INTERACTIVE_MODE adds CI=true, FORCE_COLOR=0, NODE_NO_READLINE=1, TERM=dumb for both agents;
    ANTHROPIC_SMALL_FAST_MODEL overrides that variable for Claude Code, CODEX_MODEL replaces Codex's model choice
    (the user's own model arguments still win). Other keys reach Claude Code as one `--settings=<json>` argument
    before the user's; Codex has no such option, so it ignores them with a warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from planoai_cli.agent.plan import PLACEHOLDER_KEY, Change, Plan, Request
from planoai_cli.agent.routes import default_provider
from planoai_cli.agent.settings import CODEX_MODEL, NONE, SMALL_FAST, AgentSettings, ignored, non_interactive_changes
from planoai_cli.model import PlanoConfig

API_TIMEOUT_MS = "600000"  # ten minutes: long agent turns (big edits, slow tools) outlast the default
LEGACY_SMALL_FAST_ALIAS = "arch.claude.code.small.fast"  # the alias name upstream's docs use
CLAUDE_TIERS = (
    ("opus", "ANTHROPIC_DEFAULT_OPUS_MODEL"),
    ("sonnet", "ANTHROPIC_DEFAULT_SONNET_MODEL"),
    ("haiku", "ANTHROPIC_DEFAULT_HAIKU_MODEL"),
)
ARGUMENT_FIX = "pass a model alias, a provider name or a configured `provider/model` instead"
SETTINGS_FIX = "set {key} in --settings to a model alias, a provider name or a configured `provider/model`"
PLACEHOLDER_NOTE = "a placeholder: the gateway adds the real key"


@dataclass(frozen=True)
class Agent:
    """An agent executable, how to install it, and how to build its launch plan."""

    name: str
    title: str
    install: str
    build: Callable[[PlanoConfig, str, Mapping[str, str], tuple[str, ...], AgentSettings], Plan]


def alias_containing(config: PlanoConfig, word: str) -> str | None:
    """The first alias (file order) whose name contains `word`, ignoring case."""
    return next((a.name for a in config.aliases if word in a.name.lower()), None)


def no_proxy(shell: Mapping[str, str], host: str) -> Change:
    """Keep a proxy in the shell from catching the gateway's loopback address."""
    current = shell.get("NO_PROXY") or shell.get("no_proxy") or ""
    entries = [e.strip() for e in current.split(",") if e.strip()]
    entries += [h for h in (host, "localhost") if h not in entries]
    return Change("NO_PROXY", ",".join(entries))


def claude(
    config: PlanoConfig, base_url: str, shell: Mapping[str, str], args: tuple[str, ...], settings: AgentSettings = NONE
) -> Plan:
    changes = [
        Change("ANTHROPIC_BASE_URL", base_url),
        Change("ANTHROPIC_AUTH_TOKEN", PLACEHOLDER_KEY, PLACEHOLDER_NOTE),
        Change("ANTHROPIC_API_KEY", None, "Claude Code would use it instead of the token"),
        _kept_or("API_TIMEOUT_MS", API_TIMEOUT_MS, shell),
    ]
    requests: list[Request] = []
    chosen: dict[str, str | None] = {}
    for tier, variable in CLAUDE_TIERS:
        change, request = _tier(config, tier, variable, shell)
        chosen[tier] = change.value if change else None
        changes += [change] if change else []
        requests.append(request)
    small = _small_fast(config, shell, chosen["haiku"], settings.small_fast_model)
    if small is not None:
        changes.append(small)
        if small.value != chosen["haiku"]:
            fix = (
                SETTINGS_FIX.format(key=SMALL_FAST)
                if settings.small_fast_model
                else _alias_fix("haiku", _example_target(config))
            )
            requests.append(Request(SMALL_FAST, small.value, fix))
    changes += [no_proxy(shell, _host(base_url)), *non_interactive_changes(settings)]
    requests += _claude_explicit(shell, args)
    notes = (
        (
            "ANTHROPIC_API_KEY is set in your shell: it is removed from Claude Code's environment so that Claude "
            "Code authenticates to the gateway (the gateway uses the keys of its own config)",
        )
        if shell.get("ANTHROPIC_API_KEY")
        else ()
    )
    unused = ignored("Claude Code", (CODEX_MODEL,) if settings.codex_model else ())
    # Keys that are not planoai's are Claude Code settings: one `--settings=<json>` before the user's arguments.
    ours = (f"--settings={settings.other}",) if settings.other else ()
    return Plan("claude", base_url, (*ours, *args), tuple(changes), tuple(requests), (*notes, *unused))


def _tier(config: PlanoConfig, tier: str, variable: str, shell: Mapping[str, str]) -> tuple[Change | None, Request]:
    alias = alias_containing(config, tier)
    if alias is None and tier == "haiku" and _has_alias(config, LEGACY_SMALL_FAST_ALIAS):
        alias = LEGACY_SMALL_FAST_ALIAS
    change = (
        Change(variable, alias, f"alias {alias!r}")
        if alias is not None
        else Change(variable, shell[variable], "kept from your shell")
        if shell.get(variable)
        else None
    )
    fix = _alias_fix(tier, _example_target(config))
    if change is None:
        return None, Request(f"Claude Code's built-in {tier} model", None, fix)
    return change, Request(variable, change.value, fix)


def _has_alias(config: PlanoConfig, name: str) -> bool:
    return any(a.name == name for a in config.aliases)


def _small_fast(config: PlanoConfig, shell: Mapping[str, str], haiku: str | None, given: str | None) -> Change | None:
    if given is not None:
        return Change(SMALL_FAST, given, "from --settings")
    if _has_alias(config, LEGACY_SMALL_FAST_ALIAS):
        return Change(SMALL_FAST, LEGACY_SMALL_FAST_ALIAS, f"alias {LEGACY_SMALL_FAST_ALIAS!r}")
    if haiku is not None:
        return Change(SMALL_FAST, haiku, "legacy variable: the haiku choice")
    if shell.get(SMALL_FAST):
        return Change(SMALL_FAST, shell[SMALL_FAST], "kept from your shell")
    return None


def _claude_explicit(shell: Mapping[str, str], args: tuple[str, ...]) -> list[Request]:
    requests = []
    if shell.get("ANTHROPIC_MODEL"):
        requests.append(
            Request(
                "ANTHROPIC_MODEL (your shell)",
                shell["ANTHROPIC_MODEL"],
                "unset it, or point it at a configured model or alias",
            )
        )
    chosen = model_argument(args, ("--model",))
    # Claude Code resolves its tier names itself (through the variables above), so only real names are checked.
    if chosen is not None and chosen.split("[")[0].lower() not in ("opus", "sonnet", "haiku", "default"):
        requests.append(Request("--model argument", chosen, ARGUMENT_FIX))
    return requests


def _alias_fix(tier: str, target: str = "<a configured model>") -> str:
    return (
        f"add a model alias whose name contains {tier!r} "
        f"(e.g. `claude-{tier}: {{target: {target}}}` under model_aliases)"
    )


def _example_target(config: PlanoConfig) -> str:
    """What an alias could point at: an Anthropic model through a wildcard (zero-config), else any model."""
    anthropic = next((p for p in config.providers if p.prefix == "anthropic"), None)
    if anthropic is None:
        return "<a configured model>"
    return "anthropic/<model id>" if anthropic.wildcard else anthropic.model


def codex(
    config: PlanoConfig, base_url: str, shell: Mapping[str, str], args: tuple[str, ...], settings: AgentSettings = NONE
) -> Plan:
    openai_url = base_url + "/v1"
    changes = (
        Change("OPENAI_BASE_URL", openai_url),
        Change("OPENAI_API_KEY", PLACEHOLDER_KEY, PLACEHOLDER_NOTE),
        no_proxy(shell, _host(base_url)),
        *non_interactive_changes(settings),
    )
    fix = "add a model alias whose name contains 'codex' (e.g. `codex: {target: <a configured model>}`)"
    chosen = codex_model_argument(args)
    notes = (
        (
            "OPENAI_API_KEY is set in your shell: Codex gets a placeholder instead (the gateway uses the keys of "
            "its own config)",
        )
        if shell.get("OPENAI_API_KEY")
        else ()
    )
    notes = (*notes, *_codex_settings_notes(settings, chosen))
    if chosen is not None:
        return Plan("codex", openai_url, args, changes, (Request("model argument", chosen, ARGUMENT_FIX),), notes)
    model = settings.codex_model or alias_containing(config, "codex") or _default_name(config)
    if model is None:
        return Plan("codex", openai_url, args, changes, (Request("Codex's built-in model", None, fix),), notes)
    # `-c` (a TOML value) applies to every codex subcommand, unlike --model; a JSON string is a TOML string.
    ours = ("-c", f"model={json.dumps(model)}")
    request = (
        Request(f"-c model ({CODEX_MODEL} from --settings)", model, SETTINGS_FIX.format(key=CODEX_MODEL))
        if settings.codex_model
        else Request("-c model", model, fix)
    )
    return Plan("codex", openai_url, (*ours, *args), changes, (request,), notes)


def _codex_settings_notes(settings: AgentSettings, chosen: str | None) -> tuple[str, ...]:
    unused = (*((SMALL_FAST,) if settings.small_fast_model else ()), *settings.other_keys)
    overridden = (
        (f"--settings: {CODEX_MODEL} is not used: your arguments choose the model",)
        if settings.codex_model and chosen is not None
        else ()
    )
    return (*ignored("Codex", unused), *overridden)


def _default_name(config: PlanoConfig) -> str | None:
    default = default_provider(config)
    return default.name if default else None


def argument_values(args: tuple[str, ...], flags: tuple[str, ...]) -> list[str]:
    """Every value given to one of `flags` (`-f VALUE`, `--flag VALUE`, `--flag=VALUE`), up to a bare `--`."""
    values = []
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in flags and i + 1 < len(args):
            values.append(args[i + 1])
        values += [arg.split("=", 1)[1] for flag in flags if flag.startswith("--") and arg.startswith(flag + "=")]
    return values


def model_argument(args: tuple[str, ...], flags: tuple[str, ...]) -> str | None:
    """The model the user's own arguments choose (the last one wins, as in most parsers)."""
    values = argument_values(args, flags)
    return values[-1] if values else None


def codex_model_argument(args: tuple[str, ...]) -> str | None:
    """A model chosen in Codex's own arguments: a `-c model=...` override, else -m/--model."""
    overrides = [
        v.split("=", 1)[1].strip().strip("\"'")
        for v in argument_values(args, ("-c", "--config"))
        if v.replace(" ", "").startswith("model=")
    ]
    return overrides[-1] if overrides else model_argument(args, ("-m", "--model"))


def _kept_or(name: str, value: str, shell: Mapping[str, str]) -> Change:
    if shell.get(name):
        return Change(name, shell[name], "kept from your shell")
    return Change(name, value)


def _host(base_url: str) -> str:
    return base_url.split("://", 1)[-1].rsplit(":", 1)[0]


AGENTS: dict[str, Agent] = {
    "claude": Agent("claude", "Claude Code", "npm install -g @anthropic-ai/claude-code", claude),
    "codex": Agent("codex", "Codex", "npm install -g @openai/codex", codex),
}
