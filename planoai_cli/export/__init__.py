"""Export stage: the validated, rendered config as a deployment for another engine (a pure step; nothing written).

    export(validated, target, options) -> Exported
        builds the shared Deployment once (deployment.py), then the target's files: compose.py (compose.yaml and the
        files it mounts), swarm.py (stack.yaml for `docker stack deploy`), kubernetes.py (manifests and a Secret
        template) or helm.py (a minimal chart). Same config and options, same bytes.
    guide(exported, out, dotenv) -> Guide
        how to provide the variables (by name) and the commands to run next.

Secrets never enter a file: every variable appears by name, for the engine to fill from .env, the environment, a
Docker secret or a Kubernetes Secret. Raises RenderError when the config cannot be rendered.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from planoai_cli.diagnostics import Diagnostic, sorted_diagnostics
from planoai_cli.export.deployment import Deployment, ExportOptions, build
from planoai_cli.pipeline import Validated

Target = Literal["compose", "swarm", "kubernetes"]
TARGETS: tuple[Target, ...] = ("compose", "swarm", "kubernetes")

__all__ = ["TARGETS", "Deployment", "ExportOptions", "Exported", "Guide", "Target", "export", "guide"]


@dataclass(frozen=True)
class Exported:
    """A target's files (relative path → text, in writing order; the first is the one --stdout prints)."""

    target: Target
    helm: bool
    files: Mapping[str, str]
    deployment: Deployment
    findings: tuple[Diagnostic, ...]

    @property
    def main(self) -> str:
        return next(iter(self.files))

    @property
    def kind(self) -> str:
        return "helm chart" if self.helm else self.target


@dataclass(frozen=True)
class Guide:
    """What the user does next: provide these variables, then run these commands."""

    provide: tuple[str, ...]
    commands: tuple[str, ...]


def export(validated: Validated, target: Target, options: ExportOptions) -> Exported:
    """The target's files for a validated config."""
    from planoai_cli.export import compose, helm, kubernetes, swarm
    from planoai_cli.export.cluster import cluster_warnings

    if target == "compose":
        options = ExportOptions(options.project, options.image, options.log_level, options.publish, replicas=1)
    deployment = build(validated, options)
    findings = deployment.findings
    if target == "compose":
        files = compose.files(deployment, publish=options.publish)
    elif target == "swarm":
        files = swarm.files(deployment)
    else:
        files = helm.files(deployment) if options.helm else kubernetes.files(deployment)
        findings = sorted_diagnostics((*findings, *cluster_warnings(validated.config)))
    return Exported(target, options.helm and target == "kubernetes", MappingProxyType(files), deployment, findings)


def guide(exported: Exported, out: Path | None, dotenv: Path | None) -> Guide:
    """How to provide each variable and the next commands; `out` is the folder written (None for --stdout)."""
    from planoai_cli.export import kubernetes, swarm

    d = exported.deployment
    folder = _shown(out) if out is not None else None
    if exported.target == "compose":
        return _compose_guide(exported, out, folder, dotenv)
    if exported.target == "swarm":
        provide = [
            f"printf '%s' \"${name}\" | docker secret create {swarm.secret_name(d, name)} -" for name in d.required
        ]
        provide += [f"{name} (optional): in the environment of `docker stack deploy`" for name in d.optional]
        stack = f"{folder}/{swarm.STACK_FILE}" if folder else "stack.yaml  (write it with --out DIR first)"
        return Guide(tuple(provide), (f"docker stack deploy -c {stack} {swarm.stack_name(d)}",))
    secret = kubernetes.secret_name(d)
    provide = []
    if d.required:
        literals = " ".join(f'--from-literal={name}="${name}"' for name in d.required)
        provide.append(f"kubectl create secret generic {secret} {literals}")
    provide += [f"{name} (optional): add it to the Secret {secret} to have it substituted" for name in d.optional]
    if exported.helm:
        return Guide(
            tuple(provide),
            (
                f"helm upgrade --install {kubernetes.base_name(d)} {folder}",
                f"kubectl rollout status deployment/{kubernetes.base_name(d)}",
            ),
        )
    manifests = f"{folder}/{kubernetes.MANIFESTS_FILE}" if folder else "-   (with this output piped in)"
    return Guide(
        tuple(provide),
        (f"kubectl apply -f {manifests}", f"kubectl rollout status deployment/{kubernetes.base_name(d)}"),
    )


def _compose_guide(exported: Exported, out: Path | None, folder: str | None, dotenv: Path | None) -> Guide:
    d = exported.deployment
    where = f"{folder}/.env" if folder else ".env beside compose.yaml"
    env_file = ""
    beside = folder is not None and out is not None and out.resolve() == (dotenv.parent.resolve() if dotenv else None)
    if dotenv is not None and dotenv.is_file() and not beside:
        where, env_file = str(dotenv), f" --env-file {_shown(dotenv)}"
    provide = [
        f"{name}{'' if name in d.required else ' (optional)'}: in {where}, or exported in the shell"
        for name in d.variables
    ]
    compose_file = f"{folder}/compose.yaml" if folder else "compose.yaml  (write it with --out DIR first)"
    return Guide(tuple(provide), (f"docker compose{env_file} -f {compose_file} up -d",))


def _shown(path: Path) -> str:
    return shlex.quote(str(path))
