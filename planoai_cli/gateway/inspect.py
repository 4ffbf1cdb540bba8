"""`down`, `status` and `logs`: find the project's container by label (no state file) and act on it."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from planoai_cli.errors import ConfigError, NotRunning, PlanoError
from planoai_cli.gateway.alive import what_happened
from planoai_cli.gateway.options import Target
from planoai_cli.gateway.up import client_host
from planoai_cli.health import Probe, probe_all
from planoai_cli.loader import discover
from planoai_cli.logs import failed_component, select
from planoai_cli.logs import tail as last
from planoai_cli.project import project_name
from planoai_cli.runtime import container as rt
from planoai_cli.runtime.engine import session


def resolve_project(target: Target) -> str:
    """The project a command is about: --project-name, else the config's folder (else --path's folder)."""
    if target.project is not None:
        return project_name(target.project, Path())
    try:
        return project_name(None, discover(target.file, target.search_dir))
    except ConfigError:
        if target.file is not None:
            raise
        return project_name(None, target.search_dir.resolve() / "config.yaml")


def down(target: Target, timeout: float, env: Mapping[str, str]) -> str | None:
    """Stop and remove the project's container; the removed container's name, or None if there was none."""
    project = resolve_project(target)
    with session(env) as engine:
        handle = rt.find_handle(engine.client, project)
        if handle is None:
            return None
        handle.remove(timeout)
        return handle.name


@dataclass(frozen=True)
class ListenerStatus:
    name: str
    type: str
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

    @property
    def healthy(self) -> bool:
        return self.state == "running" and all(li.healthy for li in self.listeners)


def status(target: Target, env: Mapping[str, str]) -> Status:
    project = resolve_project(target)
    with session(env) as engine:
        handle = rt.find_handle(engine.client, project)
        if handle is None:
            raise NotRunning(f"no gateway is running for project {project!r}",
                             hint="start it with planoai up (or pass --project-name)")
        state = handle.state()
        stopped = None if state.running else _why_stopped(handle, state)
    layout = _endpoints(handle.labels)
    listeners = _listener_health(layout) if state.running else ()
    changed, note = _config_drift(handle.labels)
    admin = f"http://{client_host(str(layout.get('bind', '127.0.0.1')))}:{layout['admin_port']}" \
        if "admin_port" in layout else None
    uptime = _uptime(state.started_at) if state.running else None
    return Status(project, handle.name, state.status, handle.image, uptime, listeners, admin,
                  handle.labels.get(rt.CONFIG_FILE), changed, note, stopped)


def _why_stopped(handle: rt.Handle, state: rt.State) -> str:
    """Which component stopped first (from the container's own log), and how the container ended."""
    if state.status == "created":
        return "the gateway container was created but never started"
    try:
        component = failed_component(list(handle.log_lines(tail=400)))  # read to the end: closes the stream
    except PlanoError:
        component = None
    return what_happened(state, component)


def _endpoints(labels: Mapping[str, str]) -> dict[str, object]:
    try:
        value = json.loads(labels.get(rt.ENDPOINTS, "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _listener_health(layout: Mapping[str, object]) -> tuple[ListenerStatus, ...]:
    host = client_host(str(layout.get("bind", "127.0.0.1")))
    entries = layout.get("listeners")
    items = [item for item in (entries if isinstance(entries, list) else []) if isinstance(item, dict)]
    urls = [f"http://{host}:{item['port']}" for item in items]
    seen = probe_all([Probe(str(item["name"]), url + str(item.get("health", "/healthz")))
                      for item, url in zip(items, urls, strict=True)], timeout=2.0)
    return tuple(ListenerStatus(str(item["name"]), str(item["type"]), url, obs.ok, obs.describe())
                 for item, url, obs in zip(items, urls, seen, strict=True))


def _uptime(started_at: str) -> float | None:
    try:
        started = datetime.fromisoformat(started_at[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return None
    return (datetime.now(UTC) - started).total_seconds()


def _config_drift(labels: Mapping[str, str]) -> tuple[bool | None, str]:
    """Re-render the config the container was started from and compare with what it runs."""
    path = labels.get(rt.CONFIG_FILE)
    if not path:
        return None, "the container does not record its config file"
    from planoai_cli.gateway.spec import rendered_hash
    from planoai_cli.pipeline import validate_file
    from planoai_cli.render import render

    try:
        current = rendered_hash(render(validate_file(Path(path), Path()).config))
    except PlanoError as e:
        return None, f"the config on disk no longer validates ({e.message.splitlines()[0]})"
    if current == labels.get(rt.CONFIG_HASH):
        return False, "the config on disk is the one the gateway was started with"
    return True, "the config on disk changed since the gateway started: run planoai up to apply it"


def logs(target: Target, env: Mapping[str, str], *, follow: bool, tail: int | None, since: int | None,
         components: Collection[str] | None) -> Iterator[str]:
    """The project's container log lines (also after it exited), filtered by component."""
    project = resolve_project(target)
    with session(env) as engine:
        handle = rt.find_handle(engine.client, project)
        if handle is None:
            raise NotRunning(f"no gateway container for project {project!r} (running or exited)",
                             hint="start it with planoai up; a container removed by down has no logs left")
        if components is None or tail is None:
            yield from select(handle.log_lines(tail=tail if tail is not None else "all", follow=follow, since=since),
                              components)
            return
        # --tail counts the chosen components' lines: the engine's tail counts every line, so read the history
        # in full, keep the last N that match, then (with --follow) continue from now.
        yield from last(select(handle.log_lines(tail="all", since=since), components), tail)
        if follow:
            yield from select(handle.log_lines(tail=0, follow=True), components)
