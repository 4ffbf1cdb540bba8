"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from planoai_cli.contract import DEFAULT_IMAGE
from planoai_cli.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

FILE = click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=True))
PATH = click.option(
    "--path",
    "search_dir",
    default=".",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder searched for config.yaml, plano_config.yaml, arch_config.yaml when FILE is omitted.",
)
PROJECT = click.option(
    "--project-name",
    "project",
    default=None,
    help="Name that labels the project's container [default: the config's folder name].",
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
# Upstream runs natively unless given --docker; we always run in Docker, so the flag is accepted and changes nothing.
DOCKER = click.option(
    "--docker",
    is_flag=True,
    expose_value=False,
    help="Accepted for compatibility with upstream planoai; always on (the gateway runs in Docker).",
)


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


def _flag(name: str, help_text: str, *, check_bind: bool) -> Callable[[F], F]:
    """One gateway flag, with the shared defaults; `help_text` says what it means for the command at hand."""
    from planoai_cli.gateway import options as gw  # the config commands use this module without the gateway's

    port = click.IntRange(1, 65535)
    flags: dict[str, Callable[[], Callable[[F], F]]] = {
        "image": lambda: click.option(
            "--image", default=None, help=f"{help_text} [default: ${gw.IMAGE_VARIABLE} or {DEFAULT_IMAGE}]."
        ),
        "pull": lambda: click.option(
            "--pull",
            type=click.Choice(gw.PULL_POLICIES),
            default=gw.DEFAULT_PULL,
            show_default=True,
            callback=lambda _c, _p, v: gw.pull_policy(v),
            help=help_text,
        ),
        "bind": lambda: click.option(
            "--bind",
            default=gw.DEFAULT_BIND,
            show_default=True,
            help=help_text,
            callback=(lambda _c, _p, v: bind_address(v)) if check_bind else None,
        ),
        "admin_port": lambda: click.option(
            "--admin-port", type=port, default=gw.DEFAULT_ADMIN_PORT, show_default=True, help=help_text
        ),
        "wait_timeout": lambda: click.option(
            "--wait-timeout",
            type=click.FloatRange(min=0.1),
            default=gw.DEFAULT_WAIT_TIMEOUT,
            show_default=True,
            help=help_text,
        ),
        "log_level": lambda: click.option(
            "--log-level",
            type=click.Choice(gw.LOG_LEVELS),
            default=gw.DEFAULT_LOG_LEVEL,
            show_default=True,
            help=help_text,
        ),
        "listener_port": lambda: click.option("--listener-port", type=port, default=None, help=help_text),
    }
    return flags[name]()


def gateway_options(check_bind: bool = False, **helps: str) -> Callable[[F], F]:
    """The gateway flags `up`, `cli-agent` and `doctor` share, declared in the order given, each with its help.

    Flags: image, pull, bind, admin_port, wait_timeout, log_level, listener_port. Defaults come from
    gateway/options.py; `check_bind` refuses a --bind that is not an IP address (exit 2).
    """
    flags = [_flag(name, text, check_bind=check_bind) for name, text in helps.items()]

    def decorate(command: F) -> F:
        for flag in reversed(flags):
            command = flag(command)
        return command

    return decorate


def bind_address(value: str) -> str:
    """`--bind`'s value as an IP address; anything else is a usage error (exit 2)."""
    return ip_addresses(
        "--bind",
        (value,),
        hint="use 127.0.0.1 (the default), 0.0.0.0 for every interface, or one of this machine's addresses",
    )[0]
