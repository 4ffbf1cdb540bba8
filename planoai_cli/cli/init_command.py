"""`planoai init`: write a starter config from a bundled template, directly or through a wizard."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from planoai_cli.cli.root import planoai
from planoai_cli.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from planoai_cli.init.catalog import Template

FLAGS_HINT = (
    "planoai init --template ID [--output PATH] [--force] writes a template without questions; "
    "planoai init --list shows the template IDs"
)
CLEAN_HINT = "planoai init --clean writes the blank config; planoai init --template ID writes a template"


@planoai.command()
@click.option("--template", "-t", "template_id", metavar="ID", help="Template to write (see --list).")
@click.option(
    "--clean",
    is_flag=True,
    help="Write a blank config instead: valid, one model listener, no providers (add your own).",
)
@click.option(
    "--output",
    "-o",
    metavar="PATH",
    default=None,
    help="File to write [default: config.yaml; in a folder: FOLDER/config.yaml; '-' prints it].",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--list", "--list-templates", "list_only", is_flag=True, help="List the templates and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --list: a JSON array of {id, description}.")
def init(template_id: str | None, clean: bool, output: str | None, force: bool, list_only: bool, as_json: bool) -> int:
    """Write a starter config. In a terminal without --template or --clean, a wizard asks what you need."""
    from planoai_cli.console import wizard as show
    from planoai_cli.init import catalog

    if clean and template_id:
        raise UsageError(
            "--clean and --template do not go together: --clean writes a blank config instead of a template",
            hint=CLEAN_HINT,
        )
    if list_only:
        if template_id or clean:
            raise UsageError(
                f"--list and {'--template' if template_id else '--clean'} do not go together", hint=FLAGS_HINT
            )
        show.show_templates(catalog.TEMPLATES, as_json=as_json)
        return ExitCode.OK
    if as_json:
        raise UsageError("--json only goes with --list", hint="planoai init --list --json")
    if template_id is None and not clean:
        if output == "-":
            raise UsageError("--output - prints a template, so it needs --template or --clean", hint=FLAGS_HINT)
        return _wizard(output, force)
    if template_id in catalog.UPSTREAM_IDS:
        from planoai_cli.console import info

        info(f"upstream's template {template_id!r} is {catalog.UPSTREAM_IDS[template_id]!r} here")
    return _write(catalog.CLEAN if clean else catalog.find(str(template_id)), output, force)


def _write(template: Template, output: str | None, force: bool) -> int:
    from planoai_cli.console import out
    from planoai_cli.console import wizard as show
    from planoai_cli.init.create import from_template, output_path

    if output == "-":
        out(template.text())
        return ExitCode.OK
    show.show_written(from_template(template, output_path(output), force=force, environment=dict(os.environ)))
    return ExitCode.OK


def _wizard(output: str | None, force: bool) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("no template given, and the wizard needs a terminal (stdin and stdout)", hint=FLAGS_HINT)
    from planoai_cli.console import wizard as show
    from planoai_cli.init import wizard
    from planoai_cli.init.create import apply, output_path

    environment = dict(os.environ)
    plan = wizard.run(
        show.RichPrompter(), output=output_path(output) if output else None, force=force, environment=environment
    )
    if plan is None:
        show.cancelled()
        return ExitCode.OK
    show.show_written(apply(plan, environment))
    return ExitCode.OK
