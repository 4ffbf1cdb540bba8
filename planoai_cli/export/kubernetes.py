"""Export target `kubernetes`: a ConfigMap, a Deployment and a Service per listener, plus a Secret template.

The pods run what `planoai up` runs (supervisord through the export's entrypoint), as a non-root user on a read-only
root filesystem: the substituted files go to a memory-backed emptyDir at /run/plano, Envoy's access logs to one at
/var/log. A checksum of the ConfigMap's files on the pod template rolls the pods when the config changes.
"""

from __future__ import annotations

import re
from typing import Any

from planoai_cli.export.deployment import ENTRYPOINT, RENDERED_DIR, RUN_DIR, SUPERVISOR_DIR, Deployment
from planoai_cli.export.yamlout import comments, dump, dump_all

MANIFESTS_FILE = "plano.yaml"
SECRET_FILE = "secret.template.yaml"
HASH_ANNOTATION = "planoai.org/config-hash"
VERSION_ANNOTATION = "planoai.org/cli-version"
CHECKSUM_ANNOTATION = "checksum/config"
USER = 65534  # `nobody`: present in every Debian-based image, and supervisord needs the uid to have a name
RESOURCES = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
# startup: up to 60 s (up's default wait) for every listener; then readiness every 10 s, liveness every 20 s.
PROBES = {"startupProbe": (2, 30), "readinessProbe": (10, 3), "livenessProbe": (20, 3)}
# Writable folders on a read-only root: the substituted files, Envoy's access logs, and /tmp.
SCRATCH: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("run", RUN_DIR, {"medium": "Memory", "sizeLimit": "16Mi"}),
    ("logs", "/var/log", {}),
    ("tmp", "/tmp", {"medium": "Memory", "sizeLimit": "16Mi"}),
)


def files(deployment: Deployment) -> dict[str, str]:
    """plano.yaml (everything `kubectl apply` may create as is), then the Secret template when keys are needed."""
    out = {MANIFESTS_FILE: manifests_yaml(deployment)}
    if deployment.variables:
        out[SECRET_FILE] = secret_yaml(deployment)
    return out


def manifests_yaml(deployment: Deployment) -> str:
    return comments(header(deployment)) + dump_all(manifests(deployment))


def manifests(deployment: Deployment) -> list[dict[str, Any]]:
    return [config_map(deployment), workload(deployment), *services(deployment)]


def header(deployment: Deployment) -> list[str]:
    return [
        f"The Plano gateway of project {deployment.project!r}, from {deployment.source}, for Kubernetes.",
        f"Written by planoai-cli {deployment.cli_version} (`planoai export kubernetes`, config hash "
        f"{deployment.config_hash}).",
        "Export again after changing the config, then apply again to roll it out.",
        f"Keys come from the Secret {secret_name(deployment)!r} (see {SECRET_FILE}); apply: kubectl apply -f "
        f"{MANIFESTS_FILE}",
    ]


# --- names and labels ---------------------------------------------------------------------------------------------


def base_name(deployment: Deployment) -> str:
    """`plano-<project>` as a DNS label, short enough to take a listener's name after it."""
    return f"plano-{_label(deployment.project)}"[:40].rstrip("-")


def secret_name(deployment: Deployment) -> str:
    return f"{base_name(deployment)}-keys"


def service_names(deployment: Deployment) -> list[str]:
    """One Service name per listener: its name after the base, or its port when names would clash."""
    names = [f"{base_name(deployment)}-{_label(li.name)}"[:63].rstrip("-") for li in deployment.listeners]
    if len(set(names)) != len(names):
        names = [f"{base_name(deployment)}-{li.port}" for li in deployment.listeners]
    return names


def port_name(listener_type: str, port: int) -> str:
    return f"{listener_type}-{port}"  # at most 15 characters, as a container port name must be


def selector(deployment: Deployment) -> dict[str, str]:
    return {"app.kubernetes.io/name": "plano", "app.kubernetes.io/instance": _label(deployment.project)}


def metadata(deployment: Deployment, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {**selector(deployment), "app.kubernetes.io/managed-by": "planoai"},
        "annotations": object_annotations(deployment),
    }


def object_annotations(deployment: Deployment) -> dict[str, str]:
    return {HASH_ANNOTATION: deployment.config_hash, VERSION_ANNOTATION: deployment.cli_version}


def _label(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-") or "default"


# --- objects ------------------------------------------------------------------------------------------------------


def config_map(deployment: Deployment) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(deployment, base_name(deployment)),
        "data": {**deployment.rendered, **deployment.supervisor},
    }


def workload(deployment: Deployment) -> dict[str, Any]:
    pod_annotations = {CHECKSUM_ANNOTATION: deployment.files_digest, **object_annotations(deployment)}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(deployment, base_name(deployment)),
        "spec": {
            "replicas": deployment.replicas,
            "selector": {"matchLabels": selector(deployment)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": selector(deployment), "annotations": pod_annotations},
                "spec": pod_spec(deployment),
            },
        },
    }


def pod_spec(deployment: Deployment) -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": USER,
            "runAsGroup": USER,
            "fsGroup": USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": 15,
        "containers": [container(deployment)],
        "volumes": volumes(deployment),
    }


def container(deployment: Deployment) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "plano",
        "image": deployment.image,
        "imagePullPolicy": "IfNotPresent",
        "command": list(ENTRYPOINT),
        "ports": [
            {"name": port_name(li.type, li.port), "containerPort": li.port, "protocol": "TCP"}
            for li in deployment.listeners
        ],
        "env": environment(deployment),
    }
    for probe, (period, failures) in PROBES.items():
        body[probe] = {
            "exec": {"command": list(deployment.health_command)},
            "periodSeconds": period,
            "timeoutSeconds": 3,
            "failureThreshold": failures,
        }
    body |= {
        "resources": RESOURCES,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "rendered", "mountPath": RENDERED_DIR, "readOnly": True},
            {"name": "supervisord", "mountPath": SUPERVISOR_DIR, "readOnly": True},
            *({"name": name, "mountPath": path} for name, path, _ in SCRATCH),
        ],
    }
    return body


def environment(deployment: Deployment) -> list[dict[str, Any]]:
    """The keys from the Secret (a missing required one keeps the pod from starting), then the plain values."""
    env: list[dict[str, Any]] = []
    for name in (*deployment.required, *deployment.optional):
        ref: dict[str, Any] = {"name": secret_name(deployment), "key": name}
        if name not in deployment.required:
            ref["optional"] = True
        env.append({"name": name, "valueFrom": {"secretKeyRef": ref}})
    env += [{"name": name, "value": value} for name, value in deployment.environment.items()]
    return env


def volumes(deployment: Deployment) -> list[dict[str, Any]]:
    def items(names: list[str]) -> dict[str, Any]:
        return {"name": base_name(deployment), "items": [{"key": name, "path": name} for name in sorted(names)]}

    return [
        {"name": "rendered", "configMap": items(list(deployment.rendered))},
        {"name": "supervisord", "configMap": items(list(deployment.supervisor))},
        *({"name": name, "emptyDir": dict(spec)} for name, _, spec in SCRATCH),
    ]


def services(deployment: Deployment) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata(deployment, name),
            "spec": {
                "type": "ClusterIP",
                "selector": selector(deployment),
                "ports": [
                    {
                        "name": port_name(li.type, li.port),
                        "port": li.port,
                        "targetPort": port_name(li.type, li.port),
                        "protocol": "TCP",
                    }
                ],
            },
        }
        for name, li in zip(service_names(deployment), deployment.listeners, strict=True)
    ]


def secret(deployment: Deployment) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(deployment, secret_name(deployment)),
        "type": "Opaque",
        "stringData": dict.fromkeys(deployment.variables, ""),
    }


def secret_yaml(deployment: Deployment) -> str:
    name = secret_name(deployment)
    literal = " ".join(f'--from-literal={v}="${v}"' for v in deployment.required)
    lines = [
        f"A TEMPLATE of the Secret the gateway of project {deployment.project!r} reads its keys from: it holds no",
        "values and is not applied with plano.yaml. Either fill in a copy (never commit it) and apply that, or",
        "create the Secret from your shell:",
        f"  kubectl create secret generic {name} {literal}".rstrip(),
    ]
    if deployment.optional:
        lines.append(f"Optional (substituted when set): {', '.join(deployment.optional)}")
    return comments(lines) + dump(secret(deployment))
