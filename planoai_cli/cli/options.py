"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from planoai_cli.errors import UsageError

FILE = click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=True))
PATH = click.option("--path", "search_dir", default=".", show_default=True,
                    type=click.Path(path_type=Path, file_okay=False),
                    help="Folder searched for config.yaml, plano_config.yaml, arch_config.yaml when FILE is omitted.")
PROJECT = click.option("--project-name", "project", default=None,
                       help="Name that labels the project's container [default: the config's folder name].")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
# Upstream runs natively unless given --docker; we always run in Docker, so the flag is accepted and changes nothing.
DOCKER = click.option("--docker", is_flag=True, expose_value=False,
                      help="Accepted for compatibility with upstream planoai; always on (the gateway runs in Docker).")


def ip_addresses(flag: str, values: tuple[str, ...], hint: str) -> tuple[str, ...]:
    """Addresses given to `flag`, normalized and without repeats; anything else is a usage error (exit 2).

    Docker and sockets bind an address, not a name: catching it here gives a usage error instead of a late failure.
    """
    import ipaddress

    checked = []
    for value in values:
        try:
            checked.append(str(ipaddress.ip_address(value)))
        except ValueError:
            raise UsageError(f"{flag} {value!r} is not an IP address", hint=hint) from None
    return tuple(dict.fromkeys(checked))
