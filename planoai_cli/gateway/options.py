"""The settings a lifecycle command runs with, resolved once: defaults, the image rule, the pull policy, `.env`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from planoai_cli.contract import DEFAULT_IMAGE, DEFAULT_OTEL_PORT

PullPolicy = Literal["missing", "always", "never"]
ImageSource = Literal["--image", "PLANO_IMAGE", "default"]
PULL_POLICIES: tuple[PullPolicy, ...] = get_args(PullPolicy)
LOG_LEVELS = ("error", "warn", "info", "debug", "trace")
IMAGE_VARIABLE = "PLANO_IMAGE"
DEFAULT_PULL: PullPolicy = "missing"
DEFAULT_BIND = "127.0.0.1"  # loopback only: nothing beyond this machine reaches the gateway unless asked
DEFAULT_ADMIN_PORT = 19901  # the Envoy admin (9901 inside) on the host, as upstream publishes it
DEFAULT_WAIT_TIMEOUT = 60.0  # seconds for every listener's /healthz
DEFAULT_LOG_LEVEL = "info"


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
    pull: PullPolicy = DEFAULT_PULL
    bind: str = DEFAULT_BIND
    admin_port: int = DEFAULT_ADMIN_PORT
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    keep_on_failure: bool = False
    foreground: bool = False
    log_level: str = DEFAULT_LOG_LEVEL
    publish_bridge: bool = True  # also publish the listeners on the host's Docker bridge address
    publish_internal: bool = False  # also publish the internal LLM hop (12001), for agents that call it
    verbose: bool = False  # report each phase's detail and the container's start-up log lines
    with_tracing: bool = False  # start (or reuse) planoai's trace collector and send the gateway's spans there
    tracing_port: int = DEFAULT_OTEL_PORT  # the collector's OTLP/gRPC port (OTLP/HTTP on the next one)
    environment: Mapping[str, str] = field(default_factory=dict)  # the shell's environment, for key lookup


def image_choice(flag: str | None, env: Mapping[str, str]) -> tuple[str, ImageSource]:
    """The image a gateway runs and why: --image, then $PLANO_IMAGE, then the pinned default."""
    if flag:
        return flag, "--image"
    if env.get(IMAGE_VARIABLE):
        return env[IMAGE_VARIABLE], "PLANO_IMAGE"
    return DEFAULT_IMAGE, "default"


def image_reference(flag: str | None, env: Mapping[str, str]) -> str:
    """The image reference alone (see `image_choice`)."""
    return image_choice(flag, env)[0]


def pull_policy(value: str) -> PullPolicy:
    """`--pull`'s value as the typed policy (click's Choice has already refused anything else)."""
    for policy in PULL_POLICIES:
        if value == policy:
            return policy
    raise ValueError(f"unknown pull policy {value!r}")


def dotenv_path(config: Path) -> Path:
    """The `.env` keys are read from: beside the config path as given (a symlink's folder, not its target's)."""
    return config.parent / ".env"
