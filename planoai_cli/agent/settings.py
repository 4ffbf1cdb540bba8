"""`cli-agent --settings '{...}'`: upstream's JSON object, read into what each agent takes from it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from planoai_cli.agent.plan import Change
from planoai_cli.errors import UsageError

NON_INTERACTIVE = "NON_INTERACTIVE_MODE"
SMALL_FAST = "ANTHROPIC_SMALL_FAST_MODEL"
CODEX_MODEL = "CODEX_MODEL"
# What upstream sets for NON_INTERACTIVE_MODE: the agents' Node front ends then skip prompts, colour and readline.
NON_INTERACTIVE_ENV = (("CI", "true"), ("FORCE_COLOR", "0"), ("NODE_NO_READLINE", "1"), ("TERM", "dumb"))
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})
HINT = (
    "pass one JSON object, e.g. --settings '{\"NON_INTERACTIVE_MODE\": true}'; its keys NON_INTERACTIVE_MODE, "
    "ANTHROPIC_SMALL_FAST_MODEL (claude) and CODEX_MODEL (codex) are planoai's, other keys go to Claude Code's "
    "own --settings"
)


@dataclass(frozen=True)
class AgentSettings:
    """The object, sorted out; `other` is the rest as compact JSON (values may be secrets: never shown)."""

    non_interactive: bool = False
    small_fast_model: str | None = None
    codex_model: str | None = None
    other: str | None = None
    other_keys: tuple[str, ...] = ()


NONE = AgentSettings()


def parse(text: str | None) -> AgentSettings:
    """Read `--settings`; UsageError (exit 2) for text that is not a JSON object or a value of the wrong type."""
    if text is None:
        return NONE
    try:
        value = json.loads(text)
    except ValueError as e:  # the message names the position only, never the (possibly secret) text
        raise UsageError(f"--settings is not valid JSON: {e}", hint=HINT) from None
    if not isinstance(value, dict):
        raise UsageError(f"--settings must be a JSON object ({{...}}), not {_kind(value)}", hint=HINT)
    other = {k: v for k, v in value.items() if k not in (NON_INTERACTIVE, SMALL_FAST, CODEX_MODEL)}
    return AgentSettings(
        _flag(value.get(NON_INTERACTIVE)),
        _model(value, SMALL_FAST),
        _model(value, CODEX_MODEL),
        json.dumps(other, separators=(",", ":")) if other else None,
        tuple(other),
    )


def _flag(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    given = "; the string given is neither" if isinstance(value, str) else f", not {_kind(value)}"
    raise UsageError(
        f"--settings: {NON_INTERACTIVE} must be true or false{given}",
        hint='use true or false (the strings "true"/"false", "yes"/"no", "on"/"off", "1"/"0" work too)',
    )


def _model(settings: dict[str, object], key: str) -> str | None:
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise UsageError(
            f"--settings: {key} must be a model name (a non-empty string), not {_kind(value)}",
            hint=f'e.g. {{"{key}": "<a model alias or provider name from the config>"}}',
        )
    return value.strip()


def _kind(value: object) -> str:
    """A JSON type name, never the value itself."""
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    names = {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def shown_argument(arg: str) -> str:
    """An argument as the dry run prints it: a `--settings=` JSON shows its key names, never its values."""
    if not arg.startswith("--settings="):
        return arg
    try:
        value = json.loads(arg.split("=", 1)[1])
    except ValueError:
        value = None
    if not isinstance(value, dict) or not value:
        return "--settings=<hidden>"
    return f"--settings=<JSON object: {', '.join(value)}; values hidden>"


def non_interactive_changes(settings: AgentSettings) -> tuple[Change, ...]:
    if not settings.non_interactive:
        return ()
    return tuple(Change(name, value, f"{NON_INTERACTIVE} in --settings") for name, value in NON_INTERACTIVE_ENV)


def ignored(title: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The note for keys an agent has no use for (names only: their values may be secrets)."""
    if not keys:
        return ()
    return (f"--settings: {title} has no use for {', '.join(keys)}; ignored",)
