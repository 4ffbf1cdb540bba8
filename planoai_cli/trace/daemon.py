"""The collector's life cycle: start it in the background, stop it, say whether it runs, reuse it for `up`.

State directory: $XDG_STATE_HOME/planoai/_collector/ (else ~/.local/state/planoai/_collector/) holds
traces.sqlite3 (the store), collector.json (written by a running collector once it listens: pid, addresses, limits,
start time) and collector.log. The state file is the one source of truth; one whose process is gone is stale and
is removed. Start-up is polled against a monotonic deadline (never a fixed sleep), checking each round that the
child still lives and quoting its log when it died. Cheap to import: no grpc, no sqlite3.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from planoai_cli.errors import ExitCode, PlanoError, PortBusy, UsageError
from planoai_cli.project import state_dir
from planoai_cli.trace.process import (
    alive,
    log_tail,
    reap,
    reap_within,
    send_signal,
    spawn,
    trim_log,
)

DEFAULT_GRPC_PORT = 4317
DEFAULT_HTTP_PORT = 4318
STORE_FILE = "traces.sqlite3"
STATE_FILE = "collector.json"
LOG_FILE = "collector.log"
_MODULE = "planoai_cli.trace.collector"
_AGE = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Limits:
    """How much the store keeps: the oldest traces are dropped beyond either limit."""

    max_spans: int = 200_000
    max_age_seconds: int = 7 * 86_400


@dataclass(frozen=True)
class ListenOptions:
    """Where a collector listens and what it keeps. http_port 0: no OTLP/HTTP receiver."""

    hosts: tuple[str, ...] = ("127.0.0.1",)
    port: int = DEFAULT_GRPC_PORT
    http_port: int = DEFAULT_HTTP_PORT
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class CollectorState:
    """A running collector, as its state file records it."""

    pid: int
    hosts: tuple[str, ...]
    port: int
    http_port: int  # 0: no OTLP/HTTP receiver
    db_path: str
    log_path: str
    max_spans: int
    max_age_seconds: int
    started_at: float  # Unix time
    foreground: bool = False
    process_start: int = 0  # the process's start time in clock ticks (/proc), to tell a reused pid apart

    def grpc_addresses(self) -> list[str]:
        return [_address(host, self.port) for host in self.hosts]

    def http_urls(self) -> list[str]:
        return [f"http://{_address(host, self.http_port)}/v1/traces" for host in self.hosts] if self.http_port else []

    def serves(self, hosts: Sequence[str], port: int) -> bool:
        """True when it receives OTLP/gRPC on `port` on every one of `hosts`."""
        return port == self.port and ("0.0.0.0" in self.hosts or set(hosts) <= set(self.hosts))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> CollectorState:
        """Raises ValueError, TypeError or KeyError for text that is not a state; fields it does not know (from a
        newer planoai-cli) are ignored, so a running collector is never taken for a broken file."""
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if k == "hosts" else v for k, v in data.items() if k in known}
        return cls(**values)


@dataclass(frozen=True)
class CollectorStatus:
    """Whether a collector runs (its state), and what the store holds (None when there is no store yet)."""

    running: bool
    state: CollectorState | None
    db_path: Path
    spans: int | None = None
    traces: int | None = None
    oldest_ns: int | None = None
    newest_ns: int | None = None
    db_bytes: int | None = None

    def uptime_seconds(self, now: float | None = None) -> float | None:
        if self.state is None:
            return None
        return max(0.0, (time.time() if now is None else now) - self.state.started_at)


def collector_dir(env: Mapping[str, str] | None = None) -> Path:
    # The collector is not a project, but its files live beside the projects' under the same state root; the
    # leading underscore keeps it apart from a project named `collector` (project names start alphanumeric).
    return state_dir("_collector", env)


def store_path(env: Mapping[str, str] | None = None) -> Path:
    return collector_dir(env) / STORE_FILE


def parse_age(text: str) -> int:
    """`--max-age 7d` (also s, m, h) in seconds. Raises UsageError for anything else."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise UsageError(
            f"invalid --max-age {text!r}: expected a positive number and a unit, s, m, h or d",
            hint="e.g. --max-age 12h, --max-age 7d",
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def read_state(env: Mapping[str, str] | None = None) -> CollectorState | None:
    """The running collector's state, or None. A state file whose process is gone (or unreadable) is removed."""
    path = collector_dir(env) / STATE_FILE
    try:
        state = CollectorState.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError):
        path.unlink(missing_ok=True)  # half-written or from another version: nothing can be done with it
        return None
    if alive(state.pid, state.process_start):
        return state
    path.unlink(missing_ok=True)
    return None


def write_state(directory: Path, state: CollectorState) -> None:
    """Write the state file atomically (readers never see half of it)."""
    temporary = directory / f".{STATE_FILE}.{os.getpid()}"
    temporary.write_text(state.to_json(), encoding="utf-8")
    temporary.replace(directory / STATE_FILE)


def remove_state(directory: Path, pid: int) -> None:
    """Remove the state file if it is this process's (a successor's file is left alone)."""
    path = directory / STATE_FILE
    try:
        if CollectorState.from_json(path.read_text(encoding="utf-8")).pid == pid:
            path.unlink(missing_ok=True)
    except (OSError, ValueError, TypeError, KeyError):
        pass


def status(env: Mapping[str, str] | None = None) -> CollectorStatus:
    """Whether the collector runs, where, and what its store holds. Raises PlanoError for an unreadable store."""
    state = read_state(env)
    path = Path(state.db_path) if state is not None else store_path(env)
    if not path.exists():
        return CollectorStatus(state is not None, state, path)
    from planoai_cli.trace.store import Store

    with Store.open(path, readonly=True) as store:
        stats = store.stats()
    return CollectorStatus(
        state is not None, state, path, stats.spans, stats.traces, stats.oldest_ns, stats.newest_ns, stats.bytes
    )


def start(options: ListenOptions, env: Mapping[str, str] | None = None, *, timeout: float = 20.0) -> CollectorState:
    """Start a collector in the background and return its state once it listens.

    Raises PortBusy when a collector already runs or a port is taken (naming the owner), PlanoError when the
    collector died or did not listen before `timeout` (with the end of its log).
    """
    env = dict(os.environ if env is None else env)
    directory = _claim(options, env)
    log = directory / LOG_FILE
    trim_log(log)
    pid = spawn(_command(options, directory), log, env)
    return _wait_ready(pid, options, directory, log, timeout)


def _claim(options: ListenOptions, env: Mapping[str, str] | None) -> Path:
    """Before a collector starts: none runs yet and its ports are free; its state folder exists."""
    running = read_state(env)
    if running is not None:
        raise already_running(running)
    check_ports(options)
    directory = collector_dir(env)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def ensure_running(
    hosts: Sequence[str],
    port: int,
    http_port: int = DEFAULT_HTTP_PORT,
    *,
    env: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    timeout: float = 20.0,
) -> tuple[CollectorState, bool]:
    """For `up --with-tracing`: the running collector when it receives on `port` on every host, else a new one.

    Returns (state, started). Raises PortBusy when the running collector listens elsewhere (it is not stopped:
    `planoai trace down` is the user's call) or a port is taken, PlanoError when a new one fails to start.
    """
    running = read_state(env)
    if running is not None:
        if running.serves(hosts, port):
            return running, False
        raise PortBusy(
            f"the trace collector already runs (pid {running.pid}) on {', '.join(running.grpc_addresses())}"
            f", but {', '.join(_address(h, port) for h in hosts)} is wanted",
            hint=f"planoai trace down stops it (its traces are kept); or use its port (--tracing-port {running.port})",
        )
    options = ListenOptions(tuple(hosts), port, http_port, limits or Limits())
    return start(options, env, timeout=timeout), True


def stop(env: Mapping[str, str] | None = None, *, timeout: float = 10.0) -> CollectorState | None:
    """Stop the running collector (SIGTERM, then SIGKILL after `timeout`); returns what was stopped, or None when
    none was running. The store is kept."""
    state = read_state(env)
    if state is None:
        return None
    send_signal(state.pid, signal.SIGTERM)
    if not _wait_gone(state, timeout):
        send_signal(state.pid, signal.SIGKILL)
        if not _wait_gone(state, 5.0):
            raise PlanoError(
                f"the trace collector (pid {state.pid}) did not stop, even after SIGKILL",
                hint=f"check the process: ps -p {state.pid}",
            )
    remove_state(collector_dir(env), state.pid)
    return state


def run_foreground(options: ListenOptions, log: Callable[[str], None], env: Mapping[str, str] | None = None) -> None:
    """Run a collector in this process until SIGTERM or SIGINT (Ctrl-C), logging through `log`.

    Raises PortBusy like `start`, PlanoError when the store cannot be opened.
    """
    directory = _claim(options, env)
    from planoai_cli.trace.collector import Settings, serve

    code = serve(
        Settings(
            directory,
            options.hosts,
            options.port,
            options.http_port,
            options.limits.max_spans,
            options.limits.max_age_seconds,
            foreground=True,
        ),
        log,
    )
    if code == ExitCode.PORT_BUSY:
        check_ports(options)  # names the holder of a port taken since the first check
    if code != ExitCode.OK:
        raise PlanoError(f"the trace collector stopped with exit code {code} (see the lines above)")


def already_running(state: CollectorState) -> PortBusy:
    return PortBusy(
        f"the trace collector is already running (pid {state.pid}) on "
        f"{', '.join(state.grpc_addresses() + state.http_urls())}",
        hint="planoai trace down stops it (its traces are kept)",
    )


def check_ports(options: ListenOptions) -> None:
    """Raise PortBusy naming every address taken and who holds it (UsageError for an address not on this host)."""
    from planoai_cli.runtime.ports import is_free

    wanted = [(host, options.port, "OTLP/gRPC") for host in options.hosts]
    wanted += [(host, options.http_port, "OTLP/HTTP") for host in options.hosts if options.http_port]
    taken, others = [], []
    for host, port, purpose in wanted:
        try:
            free = is_free(host, port)
        except PortBusy as e:
            raise UsageError(
                f"cannot listen on {host}: {e.message.split(': ', 1)[-1]}",
                hint="--host must be an address of this machine (127.0.0.1, the Docker bridge "
                "address, or 0.0.0.0 for every interface)",
            ) from None
        if not free:
            holder, state_root = _holder(port)
            taken.append(f"{_address(host, port)} ({purpose}) is in use by {holder}")
            others += [state_root] if state_root else []
    if taken:
        hint = "stop what holds the port, or choose others with --port / --http-port"
        if others:
            hint = (
                f"XDG_STATE_HOME={others[0]} planoai trace down stops that collector; or choose other ports "
                "with --port / --http-port"
            )
        raise PortBusy("the trace collector cannot listen:\n  " + "\n  ".join(taken), hint=hint)


def _holder(port: int) -> tuple[str, str | None]:
    """Who listens on `port`; for a collector of another state dir, that and its XDG_STATE_HOME."""
    from planoai_cli.runtime.ports import who_listens

    holder = who_listens(port)
    found = re.search(r"\(pid (\d+)\)$", holder or "")
    if holder is None or found is None:
        return "another process (this user cannot see which)", None
    try:
        words = Path(f"/proc/{found.group(1)}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return holder, None
    if _MODULE not in words or "--state-dir" not in words[:-1]:
        return holder, None
    where = Path(words[words.index("--state-dir") + 1])
    return f"another planoai trace collector (pid {found.group(1)}, state in {where})", str(where.parent.parent)


def _command(options: ListenOptions, directory: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        _MODULE,
        "--state-dir",
        str(directory),
        "--port",
        str(options.port),
        "--http-port",
        str(options.http_port),
        "--max-spans",
        str(options.limits.max_spans),
        "--max-age-seconds",
        str(options.limits.max_age_seconds),
    ]
    for host in options.hosts:
        command += ["--host", host]
    return command


def _wait_ready(pid: int, options: ListenOptions, directory: Path, log: Path, timeout: float) -> CollectorState:
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        exited = reap(pid)
        if exited is not None:
            if exited == ExitCode.PORT_BUSY:  # the collector's own exit code: someone took a port after our check
                check_ports(options)
            raise PlanoError(
                f"the trace collector exited while starting (exit code {exited})" + log_tail(log),
                hint=f"the whole log is {log}",
            )
        state = _state_of(directory, pid)
        if state is not None:
            return state
        if time.monotonic() >= deadline:
            send_signal(pid, signal.SIGKILL)
            reap_within(pid, 5.0)
            raise PlanoError(
                f"the trace collector did not listen within {timeout:g} s" + log_tail(log),
                hint=f"the whole log is {log}",
            )
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.2)


def _state_of(directory: Path, pid: int) -> CollectorState | None:
    try:
        state = CollectorState.from_json((directory / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return state if state.pid == pid else None


def _wait_gone(state: CollectorState, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = 0.01
    while alive(state.pid, state.process_start):
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
    return True


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
