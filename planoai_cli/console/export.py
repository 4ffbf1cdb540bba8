"""What `planoai export` shows: the files written (or the main file on stdout), the variables to provide, what next."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from planoai_cli.console import info, out, show_diagnostics, warning

if TYPE_CHECKING:
    from planoai_cli.export import Exported, Guide
    from planoai_cli.fs import Written


def show_export(source: str, exported: Exported, written: Iterable[Written], guide: Guide, *, to_stdout: bool) -> None:
    """Findings on stderr; with --stdout the main file alone on stdout, else one `wrote` line per file there."""
    show_diagnostics(source, exported.findings)
    say = info if to_stdout else out
    if to_stdout:
        out(exported.files[exported.main])
        others = [name for name in exported.files if name != exported.main]
        if others:
            warning(f"not written with --stdout: {', '.join(others)} (write every file with --out DIR)")
    for item in written:
        out(f"wrote {item.shown()}")
        if item.backup is not None:
            warning(
                f"{item.target} was not planoai's own export (written or edited by someone else); it was kept "
                f"as {item.backup}"
            )
    d = exported.deployment
    say(
        f"{exported.kind} export of project {d.project!r}: {len(d.listeners)} listener(s) "
        f"({', '.join(str(li.port) for li in d.listeners)}), image {d.image}, config hash {d.config_hash}"
    )
    if guide.provide:
        say("variables to provide (by name; their values never go into these files):")
        for line in guide.provide:
            say(f"  {line}")
    else:
        say("variables to provide: none")
    say("next:")
    for command in guide.commands:
        say(f"  {command}")
