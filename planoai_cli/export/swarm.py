"""Export target `swarm`: a stack file for `docker stack deploy` (replicas, rolling updates, Docker secrets).

The files the container reads become swarm configs named after their content, so a changed config is a new config
name and `docker stack deploy` rolls the service (start-first, rolled back when the new tasks are not healthy).
Keys are Docker secrets the operator creates; the entrypoint reads them from /run/secrets.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from planoai_cli.export import compose
from planoai_cli.export.deployment import ENTRYPOINT, RENDERED_DIR, RUN_DIR, SUPERVISOR_DIR, Deployment
from planoai_cli.export.yamlout import comments, dump

STACK_FILE = "stack.yaml"
STACK_VERSION = "3.8"  # rollback_config and named configs; read by every docker CLI since 19.03
RESOURCES = {"limits": {"cpus": "1", "memory": "512M"}, "reservations": {"cpus": "0.25", "memory": "256M"}}


def files(deployment: Deployment) -> dict[str, str]:
    """stack.yaml first, then the files its configs are created from (the same folders as compose)."""
    return {STACK_FILE: stack_yaml(deployment), **compose.mounted_files(deployment)}


def stack_yaml(deployment: Deployment) -> str:
    document: dict[str, Any] = {"version": STACK_VERSION, "services": {compose.SERVICE: service(deployment)}}
    if deployment.required:
        document["secrets"] = {
            name: {"external": True, "name": secret_name(deployment, name)} for name in deployment.required
        }
    document["configs"] = {key: {"name": name, "file": f"./{path}"} for key, name, path, _ in configs(deployment)}
    return comments(header(deployment)) + dump(compose.escape_dollars(document))


def service(deployment: Deployment) -> dict[str, Any]:
    labels = compose.labels(deployment, "swarm")
    body: dict[str, Any] = {
        "image": deployment.image,
        "entrypoint": list(ENTRYPOINT),
        "command": [],
        "environment": {**optional_environment(deployment), **deployment.environment},
    }
    if deployment.required:
        body["secrets"] = [{"source": name, "target": name} for name in deployment.required]
    body |= {
        "configs": [{"source": key, "target": target} for key, _, _, target in configs(deployment)],
        "ports": [
            {"target": li.port, "published": li.port, "protocol": "tcp", "mode": "ingress"}
            for li in deployment.listeners
        ],
        "volumes": [{"type": "tmpfs", "target": RUN_DIR}],
        "extra_hosts": [compose.HOST_GATEWAY],
        "healthcheck": compose.healthcheck(deployment),
        "stop_grace_period": compose.STOP_GRACE,
        "labels": labels,
        "deploy": {
            "replicas": deployment.replicas,
            "update_config": {"parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": "10s"},
            "rollback_config": {"parallelism": 1, "order": "start-first"},
            "restart_policy": {"condition": "any", "delay": "5s"},
            "resources": RESOURCES,
            "labels": labels,
        },
    }
    return body


def optional_environment(deployment: Deployment) -> dict[str, str]:
    """Variables the render adds (not secrets the config names): taken from the deploying shell when set."""
    return {name: compose.Interpolated(f"${{{name}:-}}") for name in deployment.optional}


def configs(deployment: Deployment) -> list[tuple[str, str, str, str]]:
    """(key in the file, swarm name with the content's digest, source path, target path) per mounted file."""
    found = []
    for path, text in compose.mounted_files(deployment).items():
        folder, name = path.rsplit("/", 1)
        target = f"{RENDERED_DIR if folder.endswith('rendered') else SUPERVISOR_DIR}/{name}"
        key = _slug(name)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        found.append((key, f"{_prefix(deployment)}-{key}-{digest}", path, target))
    return found


def secret_name(deployment: Deployment, variable: str) -> str:
    return f"{_prefix(deployment)}-{variable}"


def stack_name(deployment: Deployment) -> str:
    return _prefix(deployment)


def _prefix(deployment: Deployment) -> str:
    # Config and secret names are at most 64 characters; the project part is kept short enough.
    return _slug(deployment.project)[:24].strip("-") or "plano"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")


def header(deployment: Deployment) -> list[str]:
    lines = [
        f"The Plano gateway of project {deployment.project!r}, from {deployment.source}, for `docker stack deploy`.",
        f"Written by planoai-cli {deployment.cli_version} (`planoai export swarm`, config hash "
        f"{deployment.config_hash}).",
        "Export again after changing the config, then deploy again to roll it out.",
        "",
    ]
    if deployment.required:
        lines.append("Keys are Docker secrets (values never in this file); create each once:")
        lines += [
            f"  printf '%s' \"${name}\" | docker secret create {secret_name(deployment, name)} -"
            for name in deployment.required
        ]
    lines += [
        "Listeners are published through the routing mesh on every node's interfaces: keep them behind a firewall",
        "or a load balancer. Each task answers /healthz on every listener; an update starts a new task, waits for",
        "it to be healthy, then stops an old one, and rolls back if it does not become healthy.",
        f"Deploy: docker stack deploy -c stack.yaml {stack_name(deployment)}",
    ]
    return lines
