"""Host ports: check that every port to publish is free before anything starts, and name who holds one."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from planoai_cli.errors import PortBusy

_LISTEN = "0A"  # TCP state code for LISTEN in /proc/net/tcp


@dataclass(frozen=True)
class Binding:
    """A host address and port the container will publish, and what it is for."""

    host_ip: str
    port: int
    purpose: str


def is_free(host_ip: str, port: int) -> bool:
    """True when a listening socket could be bound there right now."""
    family = socket.AF_INET6 if ":" in host_ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Like a server would, ignore connections lingering in TIME_WAIT (e.g. from a gateway just stopped);
        # on Linux this still fails when anything is listening on the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host_ip, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise PortBusy(
                f"cannot check {host_ip}:{port}: {e.strerror}",
                hint="check --bind: it must be an address of this machine",
            ) from e
    return True


def check_free(bindings: Sequence[Binding], holders: dict[int, str] | None = None) -> None:
    """Raise PortBusy naming every taken port and, where it can tell, who holds it."""
    busy = [b for b in bindings if not is_free(b.host_ip, b.port)]
    if not busy:
        return
    known = holders or {}
    lines = [
        f"  {b.host_ip}:{b.port} ({b.purpose}) is in use{_by(known.get(b.port) or who_listens(b.port))}" for b in busy
    ]
    raise PortBusy(
        "ports needed by the gateway are taken:\n" + "\n".join(lines),
        hint="stop what holds them, or change the listener ports in the config "
        "(and --admin-port for the Envoy admin port)",
    )


def _by(holder: str | None) -> str:
    return f" by {holder}" if holder else ""


def who_listens(port: int) -> str | None:
    """The process listening on `port` (from /proc), as `name (pid N)`, when this user can see it."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    for pid_dir in Path("/proc").iterdir():
        if pid_dir.name.isdigit() and _holds_any(pid_dir, inodes):
            return f"{_process_name(pid_dir)} (pid {pid_dir.name})"
    return None


def _listening_inodes(port: int) -> set[str]:
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def _holds_any(pid_dir: Path, inodes: set[str]) -> bool:
    try:
        for fd in (pid_dir / "fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return True
    except OSError:
        return False
    return False


def _process_name(pid_dir: Path) -> str:
    try:
        return (pid_dir / "comm").read_text().strip() or "a process"
    except OSError:
        return "a process"
