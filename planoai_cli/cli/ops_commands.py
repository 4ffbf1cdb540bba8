"""`planoai wait` (CI: block until the running gateway is healthy) and `planoai doctor` (what `up` would meet)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from planoai_cli.cli.options import FILE, JSON, PATH, PROJECT, gateway_options
from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode
from planoai_cli.gateway.options import DEFAULT_WAIT_TIMEOUT

if TYPE_CHECKING:
    from planoai_cli.gateway.options import PullPolicy


@planoai.command()
@FILE
@PATH
@PROJECT
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for every listener's /healthz.",
)
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
@gateway_options(
    check_bind=True,  # as up: an address that is not an IP is the usage error up would stop with
    image="Image up would run",
    pull="The pull policy up would use (a missing image is a problem only with never).",
    bind="Host address up would publish the ports on.",
    admin_port="Host port up would publish the Envoy admin interface on.",
    listener_port="Model listener port of a zero-config gateway (no config found) [default: 12000].",
)
@JSON
def doctor(
    file: Path | None,
    search_dir: Path,
    project: str | None,
    image: str | None,
    pull: PullPolicy,
    bind: str,
    admin_port: int,
    listener_port: int | None,
    as_json: bool,
) -> int:
    """Show what `planoai up` would meet: Docker, image, ports, keys, Envoy, versions. Changes nothing.

    Exits 0 when up would get through these checks, else with the code up would fail with first
    (3 config, 4 render, 5 keys, 6 Docker, 8 image, 7 ports).
    """
    from planoai_cli.console.doctor import show_doctor
    from planoai_cli.gateway.options import Target
    from planoai_cli.ops.doctor import DoctorOptions, diagnose

    report = diagnose(
        DoctorOptions(
            Target(file, search_dir, project),
            image=image,
            pull=pull,
            bind=bind,
            admin_port=admin_port,
            listener_port=listener_port,
            environment=dict(os.environ),
        )
    )
    show_doctor(report, as_json=as_json)
    return report.exit_code
