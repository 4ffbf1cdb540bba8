"""Watching a gateway container while waiting for it: fail at once when it dies, with its last log lines."""

from __future__ import annotations

import time
from collections.abc import Callable

from planoai_cli.errors import ContainerFailed, PlanoError
from planoai_cli.gateway.layout import Layout
from planoai_cli.health import HealthReport, Observation, wait_healthy
from planoai_cli.logs import failed_component, select, tail
from planoai_cli.runtime.container import Handle, State

LOG_LINES_ON_FAILURE = 30
# How a wait on a gateway paces itself (`up`, `wait`, cli-agent's reuse): probes start 20 ms apart and slow down
# gently, so a listener that turns healthy during a start is seen within tens of milliseconds; the container's
# state is read at most every 0.1 s, so a component that died is reported well within half a second.
PROBE_INTERVAL = 0.02
PROBE_BACKOFF = 1.1
CHECK_EVERY = 0.1


def wait_running(
    handle: Handle,
    layout: Layout,
    *,
    timeout: float,
    hint: str,
    max_interval: float = 0.25,
    before_check: Callable[[], None] | None = None,
    on_round: Callable[[tuple[Observation, ...]], None] | None = None,
) -> HealthReport:
    """The one wait on a gateway container (`up`, `wait`, cli-agent's reuse): every probe of `layout` answers as it
    must (Probe.accepts), or HealthTimeout; an exit, a restart or an OOM kill raises ContainerFailed at once, with
    the component's log lines.

    `before_check` runs before each state read (up -v shows the new log lines there).
    """
    alive = _alive_check(handle, hint)

    def check() -> None:
        if before_check is not None:
            before_check()
        alive()

    return wait_healthy(
        layout.probes(),
        timeout=timeout,
        check=_paced(check),
        interval=PROBE_INTERVAL,
        backoff=PROBE_BACKOFF,
        max_interval=max_interval,
        on_round=on_round,
    )


def _alive_check(handle: Handle, hint: str) -> Callable[[], None]:
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


def _paced(check: Callable[[], None], every: float = CHECK_EVERY) -> Callable[[], None]:
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
