"""`planoai wait`: block until the project's running gateway answers /healthz on every listener (never starts one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planoai_cli.errors import HealthTimeout, NotRunning
from planoai_cli.gateway.alive import log_excerpt, wait_running
from planoai_cli.gateway.choose import Notify, choose, quiet
from planoai_cli.gateway.layout import Endpoint, decode
from planoai_cli.gateway.options import Target
from planoai_cli.runtime.container import Handle
from planoai_cli.runtime.engine import session

_HINT = "see the log lines above (planoai logs shows everything); start it again with planoai up"


@dataclass(frozen=True)
class Waited:
    """A gateway found healthy: where its listeners are and how long the wait took."""

    project: str
    container: str
    endpoints: tuple[Endpoint, ...]
    admin_url: str | None
    elapsed: float
    rounds: int
    addresses: tuple[str, ...] = ("127.0.0.1",)


def wait(target: Target, env: Mapping[str, str], timeout: float, notify: Notify = quiet) -> Waited:
    """Wait for every listener of the project's container and Brightstaff behind them; raise NotRunning,
    ContainerFailed or HealthTimeout."""
    with session(env) as engine:
        project, handle = choose(engine, target, notify)
        if handle is None:
            raise NotRunning(
                f"no gateway container for project {project!r}",
                hint="start it first with planoai up (wait never starts one), or pass --project-name",
            )
        layout = decode(handle.labels, handle.name)
        try:
            report = wait_running(handle, layout, timeout=timeout, hint=_HINT, max_interval=0.5)
        except HealthTimeout as e:
            raise _timed_out(e, handle) from None
    return Waited(
        project, handle.name, layout.endpoints(), layout.admin_url(), report.elapsed, report.rounds, layout.addresses
    )


def _timed_out(error: HealthTimeout, handle: Handle) -> HealthTimeout:
    fresh = HealthTimeout(
        f"{error.message}\n{log_excerpt(handle)}",
        hint="raise --timeout if the gateway is only slow to start; planoai status shows it now",
    )
    fresh.observations = error.observations
    return fresh
