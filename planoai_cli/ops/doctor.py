"""`planoai doctor`: everything `up` would meet, gathered into one report; problems are collected, never raised."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from planoai_cli import __version__
from planoai_cli.errors import ExitCode
from planoai_cli.gateway.options import (
    DEFAULT_ADMIN_PORT,
    DEFAULT_BIND,
    DEFAULT_PULL,
    PullPolicy,
    Target,
    image_choice,
)
from planoai_cli.ops import probes
from planoai_cli.ops.configcheck import ConfigInfo, KeyInfo, check_keys, inspect_config, listener_ports
from planoai_cli.ops.findings import UP_ORDER, Collected, Finding


@dataclass(frozen=True)
class DoctorOptions:
    """The `up` flags that change what it would meet."""

    target: Target
    image: str | None = None
    pull: PullPolicy = DEFAULT_PULL
    bind: str = DEFAULT_BIND
    admin_port: int = DEFAULT_ADMIN_PORT
    listener_port: int | None = None  # zero-config's model listener
    environment: Mapping[str, str] | None = None
    home: Path | None = None


@dataclass(frozen=True)
class CollectorInfo:
    """planoai's trace collector (for `up --with-tracing`, `trace`, `obs`): running or not, and its store."""

    running: bool
    pid: int | None
    grpc: tuple[str, ...]
    store: str
    spans: int | None  # None: no store yet
    error: str | None = None  # the store could not be read


@dataclass(frozen=True)
class Report:
    """The whole picture; `exit_code` is the code `up` would fail with first (0 when it would get through)."""

    cli_version: str
    project: str
    config: ConfigInfo
    gateway: probes.GatewayInfo | None
    docker: probes.DockerInfo
    image: probes.ImageInfo
    ports: tuple[probes.PortInfo, ...]  # only the admin port when the listeners are unknown (config not valid)
    keys: tuple[KeyInfo, ...] | None  # None: unknown, the config is not valid
    envoy: probes.EnvoyInfo
    collector: CollectorInfo
    problems: tuple[Finding, ...]
    warnings: tuple[Finding, ...]

    @property
    def exit_code(self) -> int:
        if not self.problems:
            return ExitCode.OK
        return min(self.problems, key=lambda f: UP_ORDER.index(f.area)).exit_code

    def as_dict(self) -> dict[str, Any]:
        return {"ok": not self.problems, "exit_code": int(self.exit_code), **asdict(self)}


def diagnose(options: DoctorOptions) -> Report:
    """Look at everything `up` needs, in its order, changing nothing (nothing is written, pulled or started)."""
    env = os.environ if options.environment is None else options.environment
    found = Collected()
    subject = inspect_config(options.target, env, found, options.listener_port)
    listeners = listener_ports(subject, found)
    keys = check_keys(subject, found)
    docker, engine = probes.probe_docker(env, options.home or Path.home())
    if not docker.ok:
        found.fail("docker", ExitCode.DOCKER_UNAVAILABLE, docker.error or "no Docker engine answered")
    try:
        reference, source = image_choice(options.image, env)
        image = probes.probe_image(engine, reference, source, options.pull)
        gateway, holders = probes.probe_gateway(engine, subject.project)
    finally:
        if engine is not None:
            engine.close()
    _judge_image(image, found)
    ports = _ports(listeners, options, holders, gateway, found)
    envoy = probes.probe_envoy()
    if not envoy.found:
        found.warn("envoy", f"{envoy.error} (only validate --envoy needs it; up does not)")
    return Report(
        __version__,
        subject.project,
        subject.info,
        gateway,
        docker,
        image,
        ports,
        keys,
        envoy,
        _collector(env),
        tuple(found.problems),
        tuple(found.warnings),
    )


def _collector(env: Mapping[str, str]) -> CollectorInfo:
    from planoai_cli.errors import PlanoError
    from planoai_cli.trace.daemon import status, store_path

    try:
        seen = status(env)
    except PlanoError as e:  # an unreadable store is worth a line, not a failed doctor
        return CollectorInfo(False, None, (), str(store_path(env)), None, e.message)
    state = seen.state
    return CollectorInfo(
        seen.running,
        state.pid if state else None,
        tuple(state.grpc_addresses()) if state else (),
        str(seen.db_path),
        seen.spans,
    )


def _judge_image(image: probes.ImageInfo, found: Collected) -> None:
    if image.present is False and image.pull == "never":
        found.fail("image", ExitCode.IMAGE_UNAVAILABLE, f"image {image.reference} is not present (--pull never)")
    elif image.present is False:
        found.warn("image", f"image {image.reference} is not present: up will pull it")


def _ports(
    listeners: list[tuple[str, int]] | None,
    options: DoctorOptions,
    holders: Mapping[int, str],
    gateway: probes.GatewayInfo | None,
    found: Collected,
) -> tuple[probes.PortInfo, ...]:
    wanted = [*(listeners or []), ("Envoy admin", options.admin_port)]
    if listeners is None:
        found.warn("ports", "the listener ports are unknown until the config is valid; only the admin port is checked")
    infos = tuple(probes.probe_port(purpose, options.bind, port, holders, gateway) for purpose, port in wanted)
    for info in infos:
        if info.state in ("taken", "error"):
            found.fail("ports", ExitCode.PORT_BUSY, f"{info.host}:{info.port} ({info.purpose}): {info.detail}")
    return infos
