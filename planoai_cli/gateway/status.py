"""`status`: the project's container, its state, each listener's health, uptime and config drift."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from planoai_cli.errors import NotRunning, PlanoError
from planoai_cli.gateway.alive import what_happened
from planoai_cli.gateway.choose import Notify, choose, quiet
from planoai_cli.gateway.drift import config_drift
from planoai_cli.gateway.layout import Layout, decode
from planoai_cli.gateway.options import Target
from planoai_cli.gateway.tracing import Collector, running_collector
from planoai_cli.health import probe_all
from planoai_cli.logs import failed_component
from planoai_cli.runtime import container as rt
from planoai_cli.runtime.engine import session


@dataclass(frozen=True)
class ListenerStatus:
    name: str
    type: str
    url: str
    healthy: bool
    detail: str
    urls: tuple[str, ...] = ()  # every published URL (loopback, the Docker bridge, a wider --bind)


@dataclass(frozen=True)
class ComponentStatus:
    """A component behind the listeners (Brightstaff), checked through one of them."""

    name: str
    url: str
    healthy: bool
    detail: str


@dataclass(frozen=True)
class Status:
    """What `planoai status` reports."""

    project: str
    container: str
    state: str
    image: str
    uptime_seconds: float | None
    listeners: tuple[ListenerStatus, ...]
    admin_url: str | None
    config_file: str | None
    config_changed: bool | None  # None: the config on disk could not be checked
    config_note: str
    stopped: str | None = None  # when not running: what happened (which component stopped, the exit code)
    addresses: tuple[str, ...] = ()  # host addresses the listeners are published on
    collector: Collector | None = None  # planoai's trace collector, when one runs
    components: tuple[ComponentStatus, ...] = ()

    @property
    def healthy(self) -> bool:
        return (
            self.state == "running"
            and all(li.healthy for li in self.listeners)
            and all(c.healthy for c in self.components)
        )


def status(target: Target, env: Mapping[str, str], notify: Notify = quiet) -> Status:
    with session(env) as engine:
        project, handle = choose(engine, target, notify)
        if handle is None:
            raise NotRunning(
                f"no gateway is running for project {project!r}",
                hint="start it with planoai up (or pass --project-name)",
            )
        state = handle.state()
        stopped = None if state.running else _why_stopped(handle, state)
    layout = _layout(handle)
    listeners, components = _health(layout) if state.running and layout is not None else ((), ())
    changed, note = config_drift(handle.labels)
    admin = layout.admin_url() if layout is not None else None
    uptime = _uptime(state.started_at) if state.running else None
    return Status(
        project,
        handle.name,
        state.status,
        handle.image,
        uptime,
        listeners,
        admin,
        handle.labels.get(rt.CONFIG_FILE),
        changed,
        note,
        stopped,
        layout.addresses if layout is not None else (),
        running_collector(env),
        components,
    )


def _why_stopped(handle: rt.Handle, state: rt.State) -> str:
    """Which component stopped first (from the container's own log), and how the container ended."""
    if state.status == "created":
        return "the gateway container was created but never started"
    try:
        component = failed_component(list(handle.log_lines(tail=400)))  # read to the end: closes the stream
    except PlanoError:
        component = None
    return what_happened(state, component)


def _layout(handle: rt.Handle) -> Layout | None:
    # status still reports state, image and drift for a container whose label is missing or unreadable.
    try:
        return decode(handle.labels, handle.name)
    except PlanoError:
        return None


def _health(layout: Layout) -> tuple[tuple[ListenerStatus, ...], tuple[ComponentStatus, ...]]:
    endpoints = layout.endpoints()
    seen = probe_all(layout.probes(), timeout=2.0)  # the listeners in order, then Brightstaff
    listeners = tuple(
        ListenerStatus(e.name, e.type, e.url, obs.ok, obs.describe(), e.urls)
        for e, obs in zip(endpoints, seen, strict=False)
    )
    components = tuple(
        ComponentStatus("brightstaff", obs.probe.url, obs.ok, obs.describe()) for obs in seen[len(endpoints) :]
    )
    return listeners, components


def _uptime(started_at: str) -> float | None:
    try:
        started = datetime.fromisoformat(started_at[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return None
    return (datetime.now(UTC) - started).total_seconds()
