"""The project's gateway container: create, find by label, inspect, stop and remove."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


def find(client: DockerClient, project: str) -> Container | None:
    """The project's container (running or not), found by label alone: no state file."""
    found = _list(client, project_filter(project))
    return found[0] if found else None


def find_all(client: DockerClient) -> list[Container]:
    return _list(client, {"label": [f"{MANAGED}=1"]})


def _list(client: DockerClient, filters: dict[str, list[str]]) -> list[Container]:
    # A sparse listing, then one inspect each: a container removed in between is skipped, not an error.
    try:
        sparse = client.containers.list(all=True, filters=filters, sparse=True)
    except DockerException as e:
        raise DockerUnavailable(f"cannot list containers: {e}") from e
    found = []
    for item in sparse:
        try:
            found.append(client.containers.get(item.id))
        except NotFound:
            continue
        except DockerException as e:
            raise DockerUnavailable(f"cannot inspect container {item.id}: {e}") from e
    return found


def create(client: DockerClient, spec: ContainerSpec) -> Container:
    """Create (not start) the container; secrets travel in the API request body only."""
    ports: dict[str, list[tuple[str, int]]] = {}
    for p in spec.ports:  # one container port may be published on several host addresses
        ports.setdefault(f"{p.container_port}/tcp", []).append((p.host_ip, p.host_port))
    mounts = [Mount(target=m.target, source=m.source, type="bind", read_only=True) for m in spec.mounts]
    try:
        return client.containers.create(
            spec.image, name=spec.name, entrypoint=list(spec.command), command=[], labels=dict(spec.labels),
            environment=dict(spec.environment), ports=ports, mounts=mounts, tmpfs=dict(spec.tmpfs),
            extra_hosts={"host.docker.internal": "host-gateway"}, restart_policy={"Name": "no"},
            detach=True, init=False)
    except APIError as e:
        raise ContainerFailed(f"the engine refused to create the container: {e.explanation or e}") from e


def start(container: Container) -> None:
    try:
        container.start()
    except APIError as e:
        raise ContainerFailed(f"the container did not start: {e.explanation or e}",
                              hint="a port may have been taken in the meantime; run again") from e


def state(container: Container) -> State:
    """Fresh state from the engine (a container removed meanwhile counts as exited)."""
    try:
        container.reload()
    except NotFound:
        return State("removed", False, -1, False, 0, "", "the container was removed")
    raw: dict[str, Any] = container.attrs.get("State", {})
    return State(str(raw.get("Status", "?")), bool(raw.get("Running")), int(raw.get("ExitCode") or 0),
                 bool(raw.get("OOMKilled")), int(container.attrs.get("RestartCount") or 0),
                 str(raw.get("StartedAt", "")), str(raw.get("Error", "")))


def remove(container: Container, timeout: float) -> None:
    """Stop gracefully (SIGTERM, then SIGKILL after `timeout`), then remove."""
    try:
        container.stop(timeout=int(max(timeout, 0)))
    except NotFound:
        return
    except APIError:
        pass  # already stopping or dead: removal below forces it
    try:
        container.remove(force=True)
    except NotFound:
        return
    except APIError as e:
        raise DockerUnavailable(f"cannot remove container {container.name}: {e.explanation or e}") from e


def log_lines(container: Container, *, tail: int | str = "all", follow: bool = False,
              since: int | None = None) -> Iterator[str]:
    """The container's output as text lines (works on exited containers too)."""
    try:
        stream = container.logs(stream=True, follow=follow, tail=tail, since=since, stdout=True, stderr=True)
        pending = b""
        for chunk in stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            yield from (line.decode("utf-8", "replace") for line in lines)
        if pending:
            yield pending.decode("utf-8", "replace")
    except NotFound:
        return
    except DockerException as e:
        raise DockerUnavailable(f"cannot read the container's logs: {e}") from e


class Handle:
    """A gateway container as the rest of the CLI sees it: no docker-py types leak out of the runtime."""

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
        return state(self._container)

    def start(self) -> None:
        start(self._container)

    def remove(self, timeout: float) -> None:
        remove(self._container, timeout)

    def log_lines(self, *, tail: int | str = "all", follow: bool = False, since: int | None = None) -> Iterator[str]:
        return log_lines(self._container, tail=tail, follow=follow, since=since)

    def published_ports(self) -> set[int]:
        """Host ports this container publishes (from its creation request, valid even when stopped)."""
        bindings = self._container.attrs.get("HostConfig", {}).get("PortBindings") or {}
        return {int(b["HostPort"]) for spec in bindings.values() for b in (spec or []) if b.get("HostPort")}


def find_handle(client: DockerClient, project: str) -> Handle | None:
    container = find(client, project)
    return Handle(container) if container is not None else None


def all_handles(client: DockerClient) -> list[Handle]:
    return [Handle(c) for c in find_all(client)]


def create_handle(client: DockerClient, spec: ContainerSpec) -> Handle:
    return Handle(create(client, spec))
