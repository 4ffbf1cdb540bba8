"""The export command: the validated config as compose, swarm or Kubernetes files (no Docker needed)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from planoai_cli.cli.options import FILE, PATH, PROJECT, gateway_options, ip_addresses
from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode, UsageError


@planoai.command("export")
@click.argument("target", type=click.Choice(["compose", "swarm", "kubernetes"]))
@FILE
@PATH
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the files into (created if missing).",
)
@click.option(
    "--stdout",
    "to_stdout",
    is_flag=True,
    help="Print the main file (compose.yaml, stack.yaml or the Kubernetes manifests) instead.",
)
@PROJECT
@gateway_options(image="Gateway image")
@click.option(
    "--publish",
    "publish",
    multiple=True,
    metavar="ADDRESS",
    help="compose: host address to publish the listeners on, repeatable [default: 127.0.0.1; 0.0.0.0 for "
    "every interface].",
)
@click.option(
    "--replicas",
    type=click.IntRange(1, 100),
    default=None,
    help="swarm, kubernetes: number of gateway replicas [default: 2].",
)
@click.option("--helm", is_flag=True, help="kubernetes: write a minimal Helm chart instead of manifests.")
@gateway_options(log_level="LOG_LEVEL inside the gateway.")
def export_command(
    target: str,
    file: Path | None,
    search_dir: Path,
    out_dir: Path | None,
    to_stdout: bool,
    project: str | None,
    image: str | None,
    publish: tuple[str, ...],
    replicas: int | None,
    helm: bool,
    log_level: str,
) -> int:
    """Write the files that run the gateway under compose, a swarm or Kubernetes; secrets by name only."""
    from planoai_cli.console.export import show_export
    from planoai_cli.export import ExportOptions, export, guide
    from planoai_cli.export.write import write
    from planoai_cli.gateway.options import DEFAULT_BIND, image_reference
    from planoai_cli.pipeline import validate_file

    _check_usage(target, out_dir, to_stdout, publish, replicas, helm)
    options = ExportOptions(
        project=project,
        image=image_reference(image, os.environ),
        log_level=log_level,
        publish=publish or (DEFAULT_BIND,),
        replicas=replicas or 2,
        helm=helm,
    )
    validated = validate_file(file, search_dir)
    exported = export(validated, target, options)  # type: ignore[arg-type]
    written = write(exported, out_dir) if out_dir is not None else ()
    show_export(
        validated.raw.source,
        exported,
        written,
        guide(exported, out_dir, validated.raw.path.parent / ".env"),
        to_stdout=to_stdout,
    )
    return ExitCode.OK


def _check_usage(
    target: str, out_dir: Path | None, to_stdout: bool, publish: tuple[str, ...], replicas: int | None, helm: bool
) -> None:
    if (out_dir is None) != to_stdout:
        raise UsageError(
            "give exactly one of --out DIR and --stdout",
            hint=f"planoai export {target} --out deploy/ writes every file; --stdout prints the main one",
        )
    ip_addresses(
        "--publish",
        publish,
        hint="use 127.0.0.1 (the default), 0.0.0.0 for every interface, or one of this machine's addresses",
    )
    if publish and target != "compose":
        raise UsageError(
            "--publish applies to compose only",
            hint="swarm publishes through its routing mesh; Kubernetes through the Services",
        )
    if replicas is not None and target == "compose":
        raise UsageError("--replicas applies to swarm and kubernetes", hint="compose runs one gateway")
    if helm and target != "kubernetes":
        raise UsageError("--helm applies to kubernetes only", hint="planoai export kubernetes --helm --out chart/")
    if helm and to_stdout:
        raise UsageError(
            "a chart is a folder: --helm needs --out DIR", hint="planoai export kubernetes --helm --out chart/"
        )
