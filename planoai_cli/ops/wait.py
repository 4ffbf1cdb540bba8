"""`planoai wait`: block until the project's running gateway answers /healthz on every listener (never starts one)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from planoai_cli.errors import HealthTimeout, NotRunning, PlanoError
from planoai_cli.gateway.alive import alive_check, log_excerpt
from planoai_cli.gateway.inspect import resolve_project
from planoai_cli.gateway.options import Target
from planoai_cli.gateway.up import Endpoint, client_host
from planoai_cli.health import Probe, wait_healthy
from planoai_cli.runtime.container import ENDPOINTS, Handle, find_handle
from planoai_cli.runtime.engine import session

_HINT = "see the log lines above (planoai logs shows everything); start it again with planoai up"


@dataclass(frozen=True)
class Listener:
    """A published listener as the container's endpoints label records it."""

    name: str
    type: str
    port: int
    health: str


@dataclass(frozen=True)
class Layout:
    """What the endpoints label says: the bind address, the admin port and every listener."""

    bind: str
    admin_port: int | None
    listeners: tuple[Listener, ...]

    @property
    def host(self) -> str:
        return client_host(self.bind)

    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(Endpoint(li.name, li.type, f"http://{self.host}:{li.port}") for li in self.listeners)

    def admin_url(self) -> str | None:
        return f"http://{self.host}:{self.admin_port}" if self.admin_port is not None else None

    def probes(self) -> list[Probe]:
        return [Probe(f"{li.type} listener {li.name}", f"http://{self.host}:{li.port}{li.health}")
                for li in self.listeners]


@dataclass(frozen=True)
class Waited:
    """A gateway found healthy: where its listeners are and how long the wait took."""

    project: str
    container: str
    endpoints: tuple[Endpoint, ...]
    admin_url: str | None
    elapsed: float
    rounds: int


def read_layout(labels: Mapping[str, str], container: str) -> Layout:
    """Parse the endpoints label; a container without a usable one cannot be waited for."""
    try:
        data = json.loads(labels[ENDPOINTS])
        listeners = tuple(Listener(str(item["name"]), str(item["type"]), int(item["port"]),
                                   str(item.get("health", "/healthz"))) for item in data["listeners"])
        admin = data.get("admin_port")
        return Layout(str(data.get("bind", "127.0.0.1")), int(admin) if admin is not None else None, listeners)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise PlanoError(f"the container {container} does not record its endpoints ({ENDPOINTS})",
                         hint="it was started by another tool or an older planoai; restart it with planoai up") from e


def wait(target: Target, env: Mapping[str, str], timeout: float) -> Waited:
    """Wait for every listener of the project's container; raise NotRunning, ContainerFailed or HealthTimeout."""
    project = resolve_project(target)
    with session(env) as engine:
        handle = find_handle(engine.client, project)
        if handle is None:
            raise NotRunning(f"no gateway container for project {project!r}",
                             hint="start it first with planoai up (wait never starts one), or pass --project-name")
        layout = read_layout(handle.labels, handle.name)
        try:
            report = wait_healthy(layout.probes(), timeout=timeout, check=alive_check(handle, _HINT), max_interval=0.5)
        except HealthTimeout as e:
            raise _timed_out(e, handle) from None
    return Waited(project, handle.name, layout.endpoints(), layout.admin_url(), report.elapsed, report.rounds)


def _timed_out(error: HealthTimeout, handle: Handle) -> HealthTimeout:
    fresh = HealthTimeout(f"{error.message}\n{log_excerpt(handle)}",
                          hint="raise --timeout if the gateway is only slow to start; planoai status shows it now")
    fresh.observations = error.observations
    return fresh
