"""The project's gateway container: create, find by label, inspect, stop and remove (through `Handle`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from docker.client import DockerClient
from docker.errors import APIError, DockerException, NotFound
from docker.models.containers import Container
from docker.types import Mount

from planoai_cli.errors import ContainerFailed, DockerUnavailable

MANAGED = "org.planoai.managed"
PROJECT = "org.planoai.project"
CONFIG_HASH = "org.planoai.config-hash"
CONFIG_FILE = "org.planoai.config-file"
CLI_VERSION = "org.planoai.cli-version"
ENDPOINTS = "org.planoai.endpoints"  # JSON: what to health-check and show, so status needs no config


@dataclass(frozen=True)
class PortMap:
    """A container port published on a host address."""

    container_port: int
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class BindMount:
    """A host path mounted read-only into the container."""

    source: str
    target: str


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to create the gateway container; built by the lifecycle module."""

    name: str
    image: str
    command: tuple[str, ...]
    labels: Mapping[str, str]
    environment: Mapping[str, str]  # secrets included: handed to the Engine API only, never logged
    ports: tuple[PortMap, ...]
    mounts: tuple[BindMount, ...]
    tmpfs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """What the engine says about the container right now."""

    status: str
    running: bool
    exit_code: int
    oom_killed: bool
    restart_count: int
    started_at: str
    error: str


def project_filter(project: str) -> dict[str, list[str]]:
    return {"label": [f"{MANAGED}=1", f"{PROJECT}={project}"]}


def find(client: DockerClient, project: str) -> Handle | None:
    """The project's container (running or not), found by label alone: no state file."""
    found = _list(client, project_filter(project))
    return found[0] if found else None


def find_all(client: DockerClient) -> list[Handle]:
    """Every planoai-managed container, running or not."""
    return _list(client, {"label": [f"{MANAGED}=1"]})


def _list(client: DockerClient, filters: dict[str, list[str]]) -> list[Handle]:
    # A sparse listing, then one inspect each: a container removed in between is skipped, not an error.
    try:
        sparse = client.containers.list(all=True, filters=filters, sparse=True)
    except DockerException as e:
        raise DockerUnavailable(f"cannot list containers: {e}") from e
    found = []
    for item in sparse:
        try:
            found.append(Handle(client.containers.get(item.id)))
        except NotFound:
            continue
        except DockerException as e:
            raise DockerUnavailable(f"cannot inspect container {item.id}: {e}") from e
    return found


def create(client: DockerClient, spec: ContainerSpec) -> Handle:
    """Create (not start) the container; secrets travel in the API request body only."""
    ports: dict[str, list[tuple[str, int]]] = {}
    for p in spec.ports:  # one container port may be published on several host addresses
        ports.setdefault(f"{p.container_port}/tcp", []).append((p.host_ip, p.host_port))
    mounts = [Mount(target=m.target, source=m.source, type="bind", read_only=True) for m in spec.mounts]
    try:
        return Handle(
            client.containers.create(
                spec.image,
                name=spec.name,
                entrypoint=list(spec.command),
                command=[],
                labels=dict(spec.labels),
                environment=dict(spec.environment),
                ports=ports,
                mounts=mounts,
                tmpfs=dict(spec.tmpfs),
                extra_hosts={"host.docker.internal": "host-gateway"},
                restart_policy={"Name": "no"},
                detach=True,
                init=False,
            )
        )
    except APIError as e:
        raise ContainerFailed(f"the engine refused to create the container: {e.explanation or e}") from e


class Handle:
    """A gateway container as the rest of the CLI sees it (the only way to act on one): no docker-py types leak out
    of the runtime. The engine's find, handles and create return these."""

    def __init__(self, container: Container) -> None:
        self._container = container

    @property
    def name(self) -> str:
        return str(self._container.name)

    @property
    def short_id(self) -> str:
        return str(self._container.short_id)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self._container.labels or {})

    @property
    def image(self) -> str:
        config = self._container.attrs.get("Config", {})
        return str(config.get("Image") or self._container.attrs.get("Image", "?"))

    def state(self) -> State:
        """Fresh state from the engine (a container removed meanwhile counts as exited)."""
        try:
            self._container.reload()
        except NotFound:
            return State("removed", False, -1, False, 0, "", "the container was removed")
        return _state(self._container.attrs)

    def start(self) -> None:
        try:
            self._container.start()
        except APIError as e:
            raise ContainerFailed(
                f"the container did not start: {e.explanation or e}",
                hint="a port may have been taken in the meantime; run again",
            ) from e

    def remove(self, timeout: float) -> None:
        """Stop gracefully (SIGTERM, then SIGKILL after `timeout`), then remove."""
        try:
            # The Engine API takes whole seconds: round up, so `--timeout 0.5` still gives a graceful stop a chance.
            self._container.stop(timeout=math.ceil(max(timeout, 0)))
        except NotFound:
            return
        except APIError:
            pass  # already stopping or dead: removal below forces it
        try:
            self._container.remove(force=True)
        except NotFound:
            return
        except APIError as e:
            raise DockerUnavailable(f"cannot remove container {self.name}: {e.explanation or e}") from e

    def log_lines(self, *, tail: int | str = "all", follow: bool = False, since: int | None = None) -> Iterator[str]:
        """The container's output as text lines (works on exited containers too)."""
        try:
            stream = self._container.logs(stream=True, follow=follow, tail=tail, since=since, stdout=True, stderr=True)
            yield from _lines(stream)
        except NotFound:
            return
        except DockerException as e:
            raise DockerUnavailable(f"cannot read the container's logs: {e}") from e

    def published_ports(self) -> set[int]:
        """Host ports this container publishes (from its creation request, valid even when stopped)."""
        bindings = self._container.attrs.get("HostConfig", {}).get("PortBindings") or {}
        return {int(b["HostPort"]) for spec in bindings.values() for b in (spec or []) if b.get("HostPort")}


def _state(attrs: dict[str, Any]) -> State:
    raw: dict[str, Any] = attrs.get("State", {})
    return State(
        str(raw.get("Status", "?")),
        bool(raw.get("Running")),
        int(raw.get("ExitCode") or 0),
        bool(raw.get("OOMKilled")),
        int(attrs.get("RestartCount") or 0),
        str(raw.get("StartedAt", "")),
        str(raw.get("Error", "")),
    )


def _lines(stream: Iterable[bytes]) -> Iterator[str]:
    pending = b""
    for chunk in stream:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from (line.decode("utf-8", "replace") for line in lines)
    if pending:
        yield pending.decode("utf-8", "replace")
