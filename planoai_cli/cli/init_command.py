"""`planoai init`: write a starter config from a bundled template, directly or through a wizard."""

from __future__ import annotations

import os
import sys

import click

from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode, UsageError

FLAGS_HINT = ("planoai init --template ID [--output PATH] [--force] writes a template without questions; "
              "planoai init --list shows the template IDs")


@planoai.command()
@click.option("--template", "-t", "template_id", metavar="ID", help="Template to write (see --list).")
@click.option("--output", "-o", metavar="PATH", default=None,
              help="File to write [default: config.yaml; in a folder: FOLDER/config.yaml; '-' prints it].")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--list", "list_only", is_flag=True, help="List the templates and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --list: a JSON array of {id, description}.")
def init(template_id: str | None, output: str | None, force: bool, list_only: bool, as_json: bool) -> int:
    """Write a starter config. In a terminal without --template, a wizard asks what you need."""
    from planoai_cli.console import wizard as show
    from planoai_cli.init import catalog

    if list_only:
        if template_id:
            raise UsageError("--list and --template do not go together", hint=FLAGS_HINT)
        show.show_templates(catalog.TEMPLATES, as_json=as_json)
        return ExitCode.OK
    if as_json:
        raise UsageError("--json only goes with --list", hint="planoai init --list --json")
    if template_id is None:
        if output == "-":
            raise UsageError("--output - prints a template, so it needs --template", hint=FLAGS_HINT)
        return _wizard(output, force)
    if output == "-":
        from planoai_cli.console import out

        out(catalog.find(template_id).text())
        return ExitCode.OK
    from planoai_cli.init.create import from_template, output_path

    show.show_written(from_template(template_id, output_path(output), force=force, environment=dict(os.environ)))
    return ExitCode.OK


def _wizard(output: str | None, force: bool) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("no template given, and the wizard needs a terminal (stdin and stdout)", hint=FLAGS_HINT)
    from planoai_cli.console import wizard as show
    from planoai_cli.init import wizard
    from planoai_cli.init.create import apply, output_path

    environment = dict(os.environ)
    plan = wizard.run(show.RichPrompter(), output=output_path(output) if output else None, force=force,
                      environment=environment)
    if plan is None:
        show.cancelled()
        return ExitCode.OK
    show.show_written(apply(plan, environment))
    return ExitCode.OK
