"""Export target `kubernetes --helm`: a minimal chart rendering the same objects as the plain manifests.

The templates are fixed (chart/templates/ in this package); what is particular to a config lives in the generated
values.yaml (names, listeners, variables, environment) and files/ (the ConfigMap's files). The config hash and the CLI
version are Chart.yaml annotations, which every object carries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planoai_cli.export import kubernetes as k8s
from planoai_cli.export.deployment import Deployment
from planoai_cli.export.yamlout import comments, dump

TEMPLATES = Path(__file__).parent / "chart" / "templates"
CHART_VERSION = "0.1.0"


def files(deployment: Deployment) -> dict[str, str]:
    """Chart.yaml, values.yaml, the templates, then files/ (relative path → text)."""
    out = {"Chart.yaml": chart_yaml(deployment), "values.yaml": values_yaml(deployment)}
    out |= {f"templates/{path.name}": path.read_text(encoding="utf-8") for path in sorted(TEMPLATES.iterdir())}
    out |= {f"files/rendered/{name}": text for name, text in deployment.rendered.items()}
    out |= {f"files/supervisord/{name}": text for name, text in deployment.supervisor.items()}
    return out


def chart_yaml(deployment: Deployment) -> str:
    tag = deployment.image.rsplit(":", 1)[1] if ":" in deployment.image.rsplit("/", 1)[-1] else "latest"
    chart = {
        "apiVersion": "v2",
        "name": k8s.base_name(deployment),
        "description": f"The Plano AI gateway of project {deployment.project!r} (planoai export kubernetes --helm)",
        "type": "application",
        "version": CHART_VERSION,
        "appVersion": tag,
        "annotations": k8s.object_annotations(deployment),
    }
    return comments(_written_by(deployment)) + dump(chart)


def values(deployment: Deployment) -> dict[str, Any]:
    names = k8s.service_names(deployment)
    return {
        "name": k8s.base_name(deployment),
        "instance": k8s.selector(deployment)["app.kubernetes.io/instance"],
        "image": deployment.image,
        "imagePullPolicy": "IfNotPresent",
        "replicas": deployment.replicas,
        "runAsUser": k8s.USER,
        "listeners": [
            {
                "name": li.name,
                "type": li.type,
                "port": li.port,
                "healthPath": li.health_path,
                "portName": k8s.port_name(li.type, li.port),
                "service": service,
            }
            for li, service in zip(deployment.listeners, names, strict=True)
        ],
        "healthCommand": list(deployment.health_command),
        "environment": [{"name": name, "value": value} for name, value in deployment.environment.items()],
        "secret": {
            "name": k8s.secret_name(deployment),
            "create": False,
            "required": list(deployment.required),
            "optional": list(deployment.optional),
            "values": {},
        },
        "resources": k8s.RESOURCES,
        "service": {"type": "ClusterIP"},
    }


def values_yaml(deployment: Deployment) -> str:
    secret = k8s.secret_name(deployment)
    example = " ".join(f'--set-string secret.values.{name}="${name}"' for name in deployment.required)
    lines = [
        *_written_by(deployment),
        "",
        "replicas, resources, service.type, image and imagePullPolicy are yours to change; listeners, environment and",
        "the secret's names follow the config (export again instead of editing them).",
        f"Keys (names only here): the chart reads them from the Secret {secret!r}. Create it yourself",
        f"(kubectl create secret generic {secret} ...), or let the chart create it:",
        f"  helm upgrade --install RELEASE . --set secret.create=true {example}".rstrip(),
    ]
    return comments(lines) + dump(values(deployment))


def _written_by(deployment: Deployment) -> list[str]:
    return [
        f"Written by planoai-cli {deployment.cli_version} (`planoai export kubernetes --helm`) from "
        f"{deployment.source}; config hash {deployment.config_hash}."
    ]
