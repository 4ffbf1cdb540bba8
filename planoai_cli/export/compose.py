"""Export target `compose`: compose.yaml plus the files it mounts, running the gateway as `planoai up` does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planoai_cli.export.deployment import (
    ENTRYPOINT,
    LABEL_CLI_VERSION,
    LABEL_CONFIG_HASH,
    LABEL_EXPORT,
    LABEL_PROJECT,
    RENDERED_DIR,
    RUN_DIR,
    SUPERVISOR_DIR,
    Deployment,
)
from planoai_cli.export.yamlout import comments, dump

COMPOSE_FILE = "compose.yaml"
SERVICE = "plano"
FILES_DIR = "plano"  # beside compose.yaml: plano/rendered/ and plano/supervisord/, mounted read-only
HOST_GATEWAY = "host.docker.internal:host-gateway"
# Health timing shared with swarm: the first check after INTERVAL, unhealthy after RETRIES failures in a row
# (failures during START_PERIOD do not count). Engines before API 1.44 have no start_interval.
HEALTH_TIMING = {"interval": "5s", "timeout": "3s", "retries": 3, "start_period": "30s"}
STOP_GRACE = "15s"  # supervisord gives each component 10 s


class Interpolated(str):
    """A value compose must interpolate (`${VAR}`); every other `$` in the file is escaped as `$$`."""

    __slots__ = ()


def files(deployment: Deployment, *, publish: tuple[str, ...]) -> dict[str, str]:
    """compose.yaml first, then the mounted files (relative path → text)."""
    return {COMPOSE_FILE: compose_yaml(deployment, publish), **mounted_files(deployment)}


def mounted_files(deployment: Deployment) -> dict[str, str]:
    """The rendered files and supervisord's, in the two folders the service mounts."""
    return {
        **{f"{FILES_DIR}/rendered/{name}": text for name, text in deployment.rendered.items()},
        **{f"{FILES_DIR}/supervisord/{name}": text for name, text in deployment.supervisor.items()},
    }


def compose_yaml(deployment: Deployment, publish: tuple[str, ...]) -> str:
    document = escape_dollars({"services": {SERVICE: service(deployment, publish)}})
    return comments(header(deployment, publish)) + dump(document) + comments(app_stub(deployment), indent=2)


def service(deployment: Deployment, publish: tuple[str, ...]) -> dict[str, Any]:
    return {
        "image": deployment.image,
        "entrypoint": list(ENTRYPOINT),
        "command": [],
        "environment": {**secret_environment(deployment), **deployment.environment},
        "ports": [f"{_host(address)}:{li.port}:{li.port}" for li in deployment.listeners for address in publish],
        "volumes": [
            _bind(f"./{FILES_DIR}/rendered", RENDERED_DIR),
            _bind(f"./{FILES_DIR}/supervisord", SUPERVISOR_DIR),
        ],
        "tmpfs": [f"{RUN_DIR}:rw,mode=0700"],
        "extra_hosts": [HOST_GATEWAY],
        "healthcheck": healthcheck(deployment),
        "labels": labels(deployment, "compose"),
        "restart": "unless-stopped",
        "stop_grace_period": STOP_GRACE,
    }


def secret_environment(deployment: Deployment) -> dict[str, str]:
    """Each variable by name, from `.env` or the shell when compose reads the file; a required one must be set."""
    env: dict[str, str] = {}
    for name in deployment.variables:
        if name in deployment.required:
            env[name] = Interpolated(f"${{{name}:?set {name} in .env or the environment}}")
        else:
            env[name] = Interpolated(f"${{{name}:-}}")
    return env


def healthcheck(deployment: Deployment) -> dict[str, Any]:
    return {"test": ["CMD", *deployment.health_command], **HEALTH_TIMING}


def labels(deployment: Deployment, target: str) -> dict[str, str]:
    return {
        LABEL_EXPORT: target,
        LABEL_PROJECT: deployment.project,
        LABEL_CONFIG_HASH: deployment.config_hash,
        LABEL_CLI_VERSION: deployment.cli_version,
    }


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _bind(source: str, target: str) -> dict[str, Any]:
    return {"type": "bind", "source": source, "target": target, "read_only": True}


def escape_dollars(value: Any) -> Any:
    """Every `$` doubled (compose reads `$$` as a literal `$`), except in Interpolated values."""
    if isinstance(value, Interpolated):
        return str(value)
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, Mapping):
        return {escape_dollars(k): escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_dollars(item) for item in value]
    return value


def header(deployment: Deployment, publish: tuple[str, ...]) -> list[str]:
    names = ", ".join(deployment.variables) or "none"
    return [
        f"The Plano gateway of project {deployment.project!r}, from {deployment.source}, run as `planoai up` runs it.",
        f"Written by planoai-cli {deployment.cli_version} (`planoai export compose`, config hash "
        f"{deployment.config_hash}).",
        "Export again after changing the config rather than editing this file.",
        "",
        f"Variables (by name only; compose reads them from .env beside this file or the environment): {names}",
        f"Listeners published on {', '.join(publish)} (`--publish ADDRESS` to change it); each answers /healthz.",
        "Start: docker compose up -d      (Compose v1: docker-compose up -d)",
    ]


def app_stub(deployment: Deployment) -> list[str]:
    """A commented service showing how an app waits for the gateway, placed under `services:`."""
    model = deployment.model_listener()
    url = f"http://{SERVICE}:{(model or deployment.listeners[0]).port}/v1"
    return [
        "",
        "An app that starts once the gateway is healthy (uncomment and adapt):",
        "app:",
        "  image: your-app:latest",
        "  environment:",
        f"    OPENAI_BASE_URL: {url}",
        "  depends_on:",
        f"    {SERVICE}:",
        "      condition: service_healthy",
    ]
