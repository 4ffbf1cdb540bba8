"""Processes of the collector: spawn one that outlives us, tell whether a pid is (still) it, reap, signal, its log."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from planoai_cli.errors import PlanoError

LOG_KEEP = 256 * 1024  # bytes of an old log kept when a collector starts (the log never grows without bound)


def spawn(command: list[str], log: Path, env: dict[str, str]) -> int:
    """Start `command` in a new session, stdin from /dev/null, stdout and stderr appended to `log`; its pid."""
    # posix_spawn rather than subprocess.Popen: the child outlives this process by design, and a Popen object
    # that is never waited for warns at garbage collection. setsid: Ctrl-C in this terminal does not reach it.
    env = {**env, "PYTHONUNBUFFERED": "1"}
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        return os.posix_spawn(sys.executable, command, env, file_actions=actions, setsid=True)
    except OSError as e:
        raise PlanoError(f"cannot start the trace collector: {e.strerror or e}") from e


def reap(pid: int) -> int | None:
    """The exit code when `pid` (a child of ours) has exited, else None."""
    try:
        done, status_code = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None if alive(pid, 0) else -1
    return None if done == 0 else os.waitstatus_to_exitcode(status_code)


def reap_within(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while reap(pid) is None and time.monotonic() < deadline:
        time.sleep(0.02)


def alive(pid: int, process_start: int) -> bool:
    """True when `pid` runs and (when known) is the same process that started at `process_start`."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, now reaped
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, but another user's: cannot be ours, yet the pid is taken
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (not Linux): trust the signal
    state, started = stat
    return state != "Z" and (not process_start or started == process_start)


def process_start_ticks(pid: int) -> int:
    """When `pid` started, in clock ticks since boot (0 when /proc cannot tell)."""
    stat = _proc_stat(pid)
    return stat[1] if stat is not None else 0


def _proc_stat(pid: int) -> tuple[str, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()  # after the command name, which may hold spaces and parentheses
    return fields[0], int(fields[19])


def send_signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "; its log ends with:\n" + "\n".join(f"  {line}" for line in text) if text else ""


def trim_log(log: Path) -> None:
    try:
        if log.stat().st_size > 4 * LOG_KEEP:
            with log.open("rb") as f:
                f.seek(-LOG_KEEP, os.SEEK_END)
                kept = f.read()
            log.write_bytes(kept[kept.find(b"\n") + 1 :])
    except OSError:
        pass
