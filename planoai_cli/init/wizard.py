"""The `init` wizard's questions and decisions, asked through a Prompter (rich in a terminal, a script in tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from planoai_cli.init import catalog
from planoai_cli.init.create import DEFAULT_OUTPUT, DOTENV, Plan, check, output_path, variables_of
from planoai_cli.init.textedit import Selection, keep_keys, key_groups

if TYPE_CHECKING:
    from planoai_cli.init.catalog import Template
    from planoai_cli.pipeline import Validated


class Prompter(Protocol):
    """The questions the wizard asks; each returns the answer (the default when the user just presses Enter)."""

    def choose(self, question: str, options: Sequence[tuple[str, str]], default: str) -> str:
        """One of the option keys; `options` are (key, description) pairs."""
        ...

    def ask(self, question: str, default: str) -> str: ...

    def confirm(self, question: str, *, default: bool) -> bool: ...

    def secret(self, question: str) -> str:
        """Text typed without echo (an API key)."""
        ...

    def say(self, message: str) -> None: ...


def run(prompter: Prompter, *, output: Path | None, force: bool, environment: Mapping[str, str]) -> Plan | None:
    """Ask everything, then return what to write (None when the user declines at the end)."""
    template = catalog.find(
        prompter.choose("Template", [(t.id, t.description) for t in catalog.TEMPLATES], default=catalog.TEMPLATES[0].id)
    )
    selection = choose_providers(prompter, template)
    path, overwrite = choose_output(prompter, output or DEFAULT_OUTPUT, force)
    result = check(selection.text, path)
    keys = ask_keys(prompter, path.parent / DOTENV, variables_of(result), environment)
    prompter.say(preview(path, template, result, keys, environment))
    if not prompter.confirm(f"Write {path}?", default=True):
        return None
    return Plan(template, selection.text, path, overwrite, keys, selection.changes)


def choose_providers(prompter: Prompter, template: Template) -> Selection:
    """Offer each key's providers to keep or drop (at least one key stays); templates with one key skip this."""
    text = template.text()
    groups = key_groups(text)
    if len(groups) < 2:
        return Selection(text, ())
    while True:
        kept = [
            g.variable
            for g in groups
            if prompter.confirm(f"Keep the providers that use {g.variable} ({', '.join(g.models)})?", default=True)
        ]
        if kept:
            break
        prompter.say("The gateway needs at least one provider; keep at least one of them.")
    selection = keep_keys(text, kept)
    for change in selection.changes:
        prompter.say(f"  {change}")
    return selection


def choose_output(prompter: Prompter, default: Path, force: bool) -> tuple[Path, bool]:
    """The config path, and whether replacing an existing file was agreed (a refusal asks again)."""
    while True:
        path = output_path(prompter.ask("Config file to write", default=str(default)).strip() or str(default))
        if not path.exists():
            return path, False
        if force or prompter.confirm(f"{path} already exists. Replace it?", default=False):
            return path, True


def ask_keys(
    prompter: Prompter, env_path: Path, variables: Sequence[str], environment: Mapping[str, str]
) -> dict[str, str]:
    """Keys the user types for `.env` (hidden); names set in the shell or `.env` are only asked for on request."""
    from planoai_cli.keys import read_dotenv

    if not variables or not prompter.confirm(
        f"Save provider keys ({', '.join(variables)}) to {env_path} (readable only by you)?", default=True
    ):
        return {}
    existing = read_dotenv(env_path)
    keys: dict[str, str] = {}
    for name in variables:
        if environment.get(name):
            if not prompter.confirm(
                f"{name} is set in your shell, which wins over .env. Save it to .env too?", default=False
            ):
                continue
        elif existing.get(name) and not prompter.confirm(
            f"{name} is already in {env_path}. Replace it?", default=False
        ):
            continue
        value = prompter.secret(f"{name} (hidden; press Enter to skip)").strip()
        if value:
            keys[name] = value
        else:
            prompter.say(f"  skipped {name}")
    return keys


def preview(
    path: Path, template: Template, result: Validated, keys: Mapping[str, str], environment: Mapping[str, str]
) -> str:
    """What is about to be written, in a few lines (key names only)."""
    from planoai_cli.keys import read_dotenv

    config = result.config
    saved = read_dotenv(path.parent / DOTENV)
    lines = [f"{path} from template {template.id!r}:"]
    lines += [f"  {li.type} listener {li.name!r} on port {li.port}" for li in config.listeners]
    lines += [f"  provider {p.model}{' (default)' if p.default else ''}" for p in config.providers]
    lines += [f"  alias {a.name} -> {a.target}" for a in config.aliases]
    for name in variables_of(result):
        where = (
            "typed now, saved to .env"
            if name in keys
            else "from your shell"
            if environment.get(name)
            else "already in .env"
            if saved.get(name)
            else "not set yet: set it before planoai up"
        )
        lines.append(f"  key {name}: {where}")
    return "\n".join(lines)
