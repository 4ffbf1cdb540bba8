"""What `planoai init` shows: rich prompts for the wizard, the template list, and the summary after writing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.prompt import Confirm, Prompt
from rich.text import Text

from planoai_cli.console import info, out, out_json, rich_console

if TYPE_CHECKING:
    from planoai_cli.init.catalog import Template
    from planoai_cli.init.create import Written


class RichPrompter:
    """The wizard's Prompter in a terminal; Ctrl-D ends it like Ctrl-C (nothing is written)."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or rich_console(stderr=False)

    def choose(self, question: str, options: Sequence[tuple[str, str]], default: str) -> str:
        keys = [key for key, _ in options]
        width = max(len(key) for key in keys)
        for number, (key, description) in enumerate(options, start=1):
            self._console.print(Text(f"  {number}) {key:<{width}}  {description}"))
        while True:
            answer = self._ask(Prompt, f"{question} (number or name)", str(keys.index(default) + 1))
            picked = _pick(str(answer).strip(), keys)
            if picked:
                return picked
            self._console.print(Text(f"  choose 1-{len(keys)} or one of: {', '.join(keys)}", style="yellow"))

    def ask(self, question: str, default: str) -> str:
        return str(self._ask(Prompt, question, default))

    def confirm(self, question: str, *, default: bool) -> bool:
        return bool(self._ask(Confirm, question, default))

    def secret(self, question: str) -> str:
        # getpass turns the terminal's echo off (flushing pending input) and only then shows the prompt, so
        # nothing typed after the prompt appears is echoed, and nothing typed before it is taken as the key.
        import getpass

        try:
            return getpass.getpass(f"{question}: ")
        except EOFError:
            raise KeyboardInterrupt from None

    def say(self, message: str) -> None:
        self._console.print(Text(message))

    def _ask(self, kind: type[Prompt] | type[Confirm], question: str, default: str | bool) -> object:
        try:
            return kind.ask(Text(question, style="bold"), console=self._console, default=default)
        except EOFError:
            raise KeyboardInterrupt from None


def _pick(answer: str, keys: list[str]) -> str | None:
    if answer.isdigit() and 1 <= int(answer) <= len(keys):
        return keys[int(answer) - 1]
    return answer if answer in keys else None


def show_templates(templates: Sequence[Template], *, as_json: bool) -> None:
    """`init --list`: a two-column table, or a JSON array of {id, description}."""
    if as_json:
        out_json([{"id": t.id, "description": t.description} for t in templates])
        return
    width = max(len(t.id) for t in templates)
    out("\n".join([f"{'ID':<{width}}  DESCRIPTION", *(f"{t.id:<{width}}  {t.description}" for t in templates)]))


def show_written(written: Written) -> None:
    """What was written (stdout) and what to do next; key names only."""
    verb = "replaced" if written.replaced else "wrote"
    lines = [f"{verb} {written.config} (template {written.template})"]
    if written.env:
        action = "created" if written.env.created else "updated"
        lines.append(
            f"{action} {written.env.path} with {', '.join(written.env.names)} (mode 0600; keep it out of "
            "version control)"
        )
        if written.env.tightened:
            lines.append(f"  {written.env.path} was readable by others; it is now readable only by you")
    if written.missing:
        lines.append(
            f"still needed before planoai up: {', '.join(written.missing)} (set in your shell, or in "
            f"{written.config.parent / '.env'})"
        )
    lines.append("next:")
    lines += [f"  {step}" for step in written.next_steps]
    out("\n".join(lines))


def cancelled() -> None:
    info("nothing was written")
