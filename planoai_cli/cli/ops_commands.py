"""`planoai wait` (CI: block until the running gateway is healthy) and `planoai doctor` (what `up` would meet)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from planoai_cli.cli.options import FILE, JSON, PATH, PROJECT
from planoai_cli.cli.root import planoai
from planoai_cli.contract import DEFAULT_IMAGE
from planoai_cli.errors import ExitCode


@planoai.command()
@FILE
@PATH
@PROJECT
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds to wait for every listener's /healthz.")
@JSON
def wait(file: Path | None, search_dir: Path, project: str | None, timeout: float, as_json: bool) -> int:
    """Wait until the project's running gateway is healthy (for CI); it never starts one.

    Exit codes: 0 healthy, 9 the container exited (or restarted, or was OOM-killed), 10 not healthy before
    --timeout, 11 no container for the project, 6 no Docker engine. When $GITHUB_OUTPUT is set, the endpoints
    are appended to it as step outputs (model_url, admin_url, endpoints, ...).
    """
    from planoai_cli import console
    from planoai_cli.console.wait import show_waited
    from planoai_cli.gateway.options import Target
    from planoai_cli.ops.github import ENV_VAR, append_outputs, output_pairs
    from planoai_cli.ops.wait import wait as wait_for

    waited = wait_for(Target(file, search_dir, project), dict(os.environ), timeout, notify=console.info)
    if os.environ.get(ENV_VAR):
        append_outputs(Path(os.environ[ENV_VAR]), output_pairs(waited))
    show_waited(waited, as_json=as_json)
    return ExitCode.OK


@planoai.command()
@FILE
@PATH
@PROJECT
@click.option("--image", default=None, help=f"Image up would run [default: $PLANO_IMAGE or {DEFAULT_IMAGE}].")
@click.option("--pull", type=click.Choice(["missing", "always", "never"]), default="missing", show_default=True,
              help="The pull policy up would use (a missing image is a problem only with never).")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Host address up would publish the ports on.")
@click.option("--admin-port", type=click.IntRange(1, 65535), default=19901, show_default=True,
              help="Host port up would publish the Envoy admin interface on.")
@click.option("--listener-port", type=click.IntRange(1, 65535), default=None,
              help="Model listener port of a zero-config gateway (no config found) [default: 12000].")
@JSON
def doctor(file: Path | None, search_dir: Path, project: str | None, image: str | None, pull: str, bind: str,
           admin_port: int, listener_port: int | None, as_json: bool) -> int:
    """Show what `planoai up` would meet: Docker, image, ports, keys, Envoy, versions. Changes nothing.

    Exits 0 when up would get through these checks, else with the code up would fail with first
    (3 config, 4 render, 5 keys, 6 Docker, 8 image, 7 ports).
    """
    from planoai_cli.console.doctor import show_doctor
    from planoai_cli.gateway.options import Target
    from planoai_cli.ops.doctor import DoctorOptions, diagnose

    report = diagnose(DoctorOptions(Target(file, search_dir, project), image=image, pull=pull,  # type: ignore[arg-type]
                                    bind=bind, admin_port=admin_port, listener_port=listener_port,
                                    environment=dict(os.environ)))
    show_doctor(report, as_json=as_json)
    return report.exit_code
