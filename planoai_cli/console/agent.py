"""Presentation for `cli-agent` and zero-config `up`: dry-run plan, model verdicts, launch and zero-config lines."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text

from planoai_cli.console import out, rich_console

if TYPE_CHECKING:
    from planoai_cli.agent.gateway import Gateway
    from planoai_cli.agent.plan import Finding
    from planoai_cli.agent.session import Prepared
    from planoai_cli.zeroconfig import ZeroConfig

_LEVEL_STYLES = {"ok": "", "warning": "yellow", "error": "bold red"}


def show_zero_config(zero: ZeroConfig, *, written: bool = True) -> None:
    """Where the zero-config went and which key variables it uses (names only, never values)."""
    found = ", ".join(f"{f.provider.prefix} ({f.variable} from {_origin(f.origin)})" for f in zero.found)
    verb = "wrote" if written else "would write"
    console = rich_console(stderr=True)
    if zero.passthrough:
        console.print(
            Text(
                f"no config in {zero.search_dir} and no provider key in the environment or "
                f"{zero.search_dir / '.env'}: starting a pass-through gateway; clients must send their "
                "own API key (Authorization: Bearer …), which is forwarded to the provider",
                style="yellow",
            )
        )
    else:
        console.print(
            Text(
                f"no config in {zero.search_dir}: zero-config with {len(zero.found)} provider(s): {found}", style="cyan"
            )
        )
    example = f"{zero.found[0].provider.prefix if zero.found else 'openai'}/<model>"
    console.print(
        Text(
            f"  {verb} {zero.path}; model listener on port {zero.port} (--listener-port changes it); "
            f"clients choose a provider by prefix, e.g. model {example!r}"
        )
    )
    if written and zero.backup is not None:
        console.print(
            Text(
                f"  warning: {zero.path} had been edited since planoai wrote it; your version was kept "
                f"as {zero.backup} (copy it to config.yaml in your project to use it)",
                style="yellow",
            )
        )


def _origin(origin: str) -> str:
    return "the environment" if origin == "environment" else origin


def show_findings(findings: Iterable[Finding], notes: Iterable[str]) -> None:
    """Warnings and errors about the models the agent will use, and about the user's shell (stderr)."""
    console = rich_console(stderr=True)
    for note in notes:
        console.print(Text(f"warning: {note}", style="yellow"))
    for finding in findings:
        if finding.level != "ok":
            console.print(Text(f"{finding.level}: {finding.message}", style=_LEVEL_STYLES[finding.level]))


def plan_lines(prepared: Prepared, binary: str | None) -> list[str]:
    """The dry-run report: environment changes (secrets masked), model verdicts, and the command line."""
    from planoai_cli.agent.settings import shown_argument
    from planoai_cli.keys import mask

    plan = prepared.plan
    port = plan.base_url.rsplit(":", 1)[-1].split("/")[0]
    config = prepared.validated.raw.path.resolve()
    lines = [
        f"cli-agent {plan.agent} (dry run: nothing was started and Docker was not contacted)",
        f"config: {config} (project {prepared.project!r}, model listener port {port})",
        "environment changes:",
    ]
    for change in plan.changes:
        note = f"  ({change.note})" if change.note else ""
        if change.value is None:
            lines.append(f"  unset {change.name}{note}")
        else:
            value = mask(change.value) if change.secret else change.value
            lines.append(f"  set   {change.name}={value}{note}")
    lines.append("models:")
    lines += [f"  {f.level:<8} {f.message}" for f in prepared.findings]
    lines += ["command:", "  " + shlex.join([binary or plan.agent, *map(shown_argument, plan.args)])]
    return lines


def show_plan(prepared: Prepared, binary: str | None) -> None:
    out("\n".join(plan_lines(prepared, binary)))


def show_launch(title: str, gateway: Gateway) -> None:
    """One line before the agent takes over the terminal."""
    how = "started" if gateway.started else "running"
    rich_console(stderr=True).print(
        Text(f"gateway {gateway.container} {how}; launching {title} against {gateway.base_url}", style="green")
    )
    if gateway.config_changed:
        rich_console(stderr=True).print(
            Text("warning: the config changed since this gateway started; run planoai up to apply it", style="yellow")
        )
