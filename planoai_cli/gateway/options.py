"""The settings a lifecycle command runs with, resolved once by the CLI layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from planoai_cli.contract import DEFAULT_IMAGE

PullPolicy = Literal["missing", "always", "never"]
DEFAULT_ADMIN_PORT = 19901  # the Envoy admin (9901 inside) on the host, as upstream publishes it


@dataclass(frozen=True)
class Target:
    """Which config and project a command is about."""

    file: Path | None = None
    search_dir: Path = Path()
    project: str | None = None


@dataclass(frozen=True)
class UpOptions:
    """Everything `planoai up` needs besides the config itself."""

    image: str = DEFAULT_IMAGE
    pull: PullPolicy = "missing"
    bind: str = "127.0.0.1"
    admin_port: int = DEFAULT_ADMIN_PORT
    wait_timeout: float = 60.0
    keep_on_failure: bool = False
    foreground: bool = False
    log_level: str = "info"
    publish_bridge: bool = True  # also publish the listeners on the host's Docker bridge address
    publish_internal: bool = False  # also publish the internal LLM hop (12001), for agents that call it
    verbose: bool = False  # report each phase's detail and the container's start-up log lines
    with_tracing: bool = False  # start (or reuse) planoai's trace collector and send the gateway's spans there
    tracing_port: int = 4317  # the collector's OTLP/gRPC port (OTLP/HTTP on the next one)
    environment: Mapping[str, str] = field(default_factory=dict)  # the shell's environment, for key lookup
