"""`logs`: the project's container log lines (also after it exited), by component."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from planoai_cli.errors import NotRunning
from planoai_cli.gateway.choose import Notify, choose, quiet
from planoai_cli.gateway.options import Target
from planoai_cli.logs import select
from planoai_cli.logs import tail as last
from planoai_cli.runtime.engine import session


def logs(
    target: Target,
    env: Mapping[str, str],
    *,
    follow: bool,
    tail: int | None,
    since: int | None,
    components: Collection[str] | None,
    notify: Notify = quiet,
) -> Iterator[str]:
    """The project's container log lines (also after it exited), filtered by component."""
    with session(env) as engine:
        project, handle = choose(engine, target, notify)
        if handle is None:
            raise NotRunning(
                f"no gateway container for project {project!r} (running or exited)",
                hint="start it with planoai up; a container removed by down has no logs left",
            )
        if components is None or tail is None:
            yield from select(
                handle.log_lines(tail=tail if tail is not None else "all", follow=follow, since=since), components
            )
            return
        # --tail counts the chosen components' lines: the engine's tail counts every line, so read the history
        # in full, keep the last N that match, then (with --follow) continue from now.
        yield from last(select(handle.log_lines(tail="all", since=since), components), tail)
        if follow:
            yield from select(handle.log_lines(tail=0, follow=True), components)
