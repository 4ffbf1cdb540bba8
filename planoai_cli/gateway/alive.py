"""Watching a gateway container while waiting for it: fail at once when it dies, with its last log lines."""

from __future__ import annotations

import time
from collections.abc import Callable

from planoai_cli.errors import ContainerFailed, PlanoError
from planoai_cli.logs import failed_component, select, tail
from planoai_cli.runtime.container import Handle, State

LOG_LINES_ON_FAILURE = 30
# How a wait on a gateway paces itself (`up`, `wait`, cli-agent's reuse): probes start 20 ms apart and slow down
# gently, so a listener that turns healthy during a start is seen within tens of milliseconds; the container's
# state is read at most every 0.1 s, so a component that died is reported well within half a second.
PROBE_INTERVAL = 0.02
PROBE_BACKOFF = 1.1
CHECK_EVERY = 0.1


def alive_check(handle: Handle, hint: str) -> Callable[[], None]:
    """A check for `health.wait_healthy`: an exit, a restart or an OOM kill raises ContainerFailed."""

    def check() -> None:
        state = handle.state()
        if state.status == "created":
            return  # between create and start: keep waiting
        if state.running and not state.oom_killed and state.restart_count == 0:
            return
        lines = _lines(handle)
        component = failed_component(lines or ())
        raise ContainerFailed(f"{what_happened(state, component)}\n{excerpt(lines, component)}", hint=hint)

    return check


def paced(check: Callable[[], None], every: float = CHECK_EVERY) -> Callable[[], None]:
    """`check`, run at most once per `every` seconds (the first call always runs): probes may come faster."""
    last: float | None = None

    def run_when_due() -> None:
        nonlocal last
        now = time.monotonic()
        if last is None or now - last >= every:
            last = now
            check()

    return run_when_due


def what_happened(state: State, component: str | None) -> str:
    if state.oom_killed:
        how = "was killed for lack of memory (OOM)"
    elif state.running:
        how = "restarted"
    elif state.status == "removed":
        how = "was removed"
    else:
        how = f"exited (status {state.status}, exit code {state.exit_code})"
    return f"{component} stopped, so the gateway container {how}" if component else f"the gateway container {how}"


def _lines(handle: Handle) -> list[str] | None:
    try:
        return list(handle.log_lines(tail=400))
    except PlanoError:
        return None


def log_excerpt(handle: Handle) -> str:
    lines = _lines(handle)
    return excerpt(lines, failed_component(lines or ()))


def excerpt(lines: list[str] | None, component: str | None) -> str:
    """The last lines of the component that stopped (and supervisord's), or of everything."""
    if lines is None:
        return "(its logs could not be read)"
    chosen = tail(select(lines, {component, "supervisord"} if component else None), LOG_LINES_ON_FAILURE)
    if not chosen:
        return "(it printed nothing)"
    whose = f" of {component} and supervisord" if component else ""
    return f"last {len(chosen)} log lines{whose}:" + "".join(f"\n  | {line}" for line in chosen)
