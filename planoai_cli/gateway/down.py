"""`down`: stop and remove the project's container, found by label (no state file)."""

from __future__ import annotations

from collections.abc import Mapping

from planoai_cli.gateway.choose import Notify, choose, quiet
from planoai_cli.gateway.options import Target
from planoai_cli.runtime.engine import session


def down(target: Target, timeout: float, env: Mapping[str, str], notify: Notify = quiet) -> tuple[str, str | None]:
    """Stop and remove the project's container: the project, and the removed container's name (None: none)."""
    with session(env) as engine:
        project, handle = choose(engine, target, notify)
        if handle is None:
            return project, None
        handle.remove(timeout)
        return project, handle.name
