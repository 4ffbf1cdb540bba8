"""Run the agent as a child in the foreground and hand back its exit code (signals reach it, not us)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType

from planoai_cli.agent.profiles import Agent
from planoai_cli.errors import AgentNotFound, PlanoError

# Forwarded to the agent if they reach us (Ctrl-C reaches both of us directly: same process group).
FORWARDED = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def find_binary(agent: Agent, env: Mapping[str, str]) -> str:
    """The agent's executable on the PATH it will run with; AgentNotFound carries the install command."""
    found = shutil.which(agent.name, path=env.get("PATH", os.defpath))
    if found is None:
        raise AgentNotFound(
            f"{agent.title} is not installed: no `{agent.name}` executable on PATH",
            hint=f"install it with `{agent.install}`, then run this command again",
        )
    return found


def run(binary: str, args: tuple[str, ...], env: Mapping[str, str]) -> int:
    """Start the agent with our stdin/stdout/stderr and wait; its exit status becomes ours (128+N for signal N)."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        child = subprocess.Popen([binary, *args], env=dict(env))
    except OSError as e:  # found on PATH but not runnable (permissions, a broken interpreter line)
        raise PlanoError(
            f"cannot run {binary}: {e.strerror or e}", hint="check the file's permissions, or reinstall the agent"
        ) from e
    with child, _signals_to(child):
        code = child.wait()
    return 128 - code if code < 0 else code


@contextmanager
def _signals_to(child: subprocess.Popen[bytes]) -> Iterator[None]:
    """While the agent runs, Ctrl-C is the agent's to handle, and a TERM/HUP sent to us is passed on to it."""

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread; an embedding caller keeps its own
        return
    saved = {s: signal.signal(s, forward) for s in FORWARDED}
    saved[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
