"""Presentation: the only module that imports rich. Results go to stdout, diagnostics to stderr.

rich is imported only when a stream is a terminal (or forced to be one): written to a file or a pipe, rich
prints a line's text unchanged, so that text is written directly (a line rich would change, with a tab or a
control character it drops, still goes through rich).
"""

from __future__ import annotations

import builtins
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, TypeAlias

from planoai_cli.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status as Spinner

    from planoai_cli.gateway.layout import Endpoint
    from planoai_cli.gateway.progress import PullTally
    from planoai_cli.gateway.status import Status
    from planoai_cli.gateway.tracing import Collector
    from planoai_cli.gateway.up import Running
    from planoai_cli.health import Observation
    from planoai_cli.runtime.image import PullProgress

# What `out_json` writes: exactly the values json.dumps takes (a tuple is written as an array). list and dict are
# invariant, so a list[str] held in a variable passes only as a copy made in place (list(...)); a domain module's
# own JSON form, typed dict[str, Any] there, passes as it is.
JSONValue: TypeAlias = (
    "bool | int | float | str | list[JSONValue] | tuple[JSONValue, ...] | dict[str, JSONValue] | None"
)

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.NOTICE: "cyan"}
_LABELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}
_RICH_CHANGES = frozenset("\t\a\b\v\f\r")  # rich's Text expands tabs and drops these control characters


def rich_console(stderr: bool) -> Console:
    """The console's shared way to rich: a Console on stderr (`stderr=True`) or stdout, without markup,
    highlighting or wrapping, colourless under NO_COLOR. The console's modules print styled Text, tables, prompts
    and live views through it; plain lines go through `out`, `info` and the other writers here instead.

    Built per call, so tests (and redirected streams) always get the current sys.stdout/sys.stderr.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(
        file=stream, highlight=False, markup=False, soft_wrap=True, no_color="NO_COLOR" in os.environ or None
    )


def _plain(stream: IO[str]) -> bool:
    """Whether rich would write to `stream` without styles: its own test for a terminal, said negatively."""
    if hasattr(builtins, "get_ipython"):
        return False  # Jupyter: rich renders HTML
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "0"
    forced = os.environ.get("FORCE_COLOR")
    if forced is not None:
        return forced == ""
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


def _emit(text: str, style: str = "", *, stderr: bool = True) -> None:
    """One line of text in a style: through rich on a terminal, written as it is anywhere else."""
    stream = sys.stderr if stderr else sys.stdout
    if _plain(stream) and _RICH_CHANGES.isdisjoint(text):
        stream.write(text + "\n")
        stream.flush()
        return
    from rich.text import Text

    rich_console(stderr).print(Text(text, style=style))


def diagnostic_lines(source: str, diagnostic: Diagnostic) -> list[tuple[str, str]]:
    """The text of one diagnostic as (text, style) lines; shared by the golden tests."""
    label = _LABELS[diagnostic.severity]
    lines = [
        (
            f"{diagnostic.where(source)}: {label}: {diagnostic.message} [{diagnostic.code}]",
            _STYLES[diagnostic.severity],
        ),
        (f"  at {diagnostic.path}", "dim"),
    ]
    if diagnostic.hint:
        lines.append((f"  hint: {diagnostic.hint}", ""))
    return lines


def show_diagnostics(source: str, diagnostics: Iterable[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        for text, style in diagnostic_lines(source, diagnostic):
            _emit(text, style)


def verdict(message: str) -> None:
    """The result line of a check, on stdout."""
    _emit(message, "bold green", stderr=False)


def success(message: str) -> None:
    _emit(message, "bold green")


def info(message: str) -> None:
    _emit(message)


def warning(message: str) -> None:
    _emit(f"warning: {message}", "yellow")


def quoted_output(title: str, text: str) -> None:
    """Another program's own words (e.g. Envoy's), on stderr, indented under a title line."""
    _emit(title, "bold red")
    for line in text.splitlines():
        _emit(f"  {line}")


def error(message: str, hint: str | None = None) -> None:
    _emit(f"error: {message}", "bold red")
    if hint:
        _emit(f"hint: {hint}")


def unexpected(summary: str, trace: str | None) -> None:
    if trace:
        _emit(trace, "dim")
    _emit(f"unexpected error (a bug in planoai-cli): {summary}", "bold red")
    if not trace:
        _emit("hint: run again with --debug (or PLANOAI_DEBUG=1) for the traceback, and report it")


def out(text: str) -> None:
    """Write a result to stdout verbatim (YAML, diffs, plain lines)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def out_json(value: JSONValue) -> None:
    out(json.dumps(value, indent=2, sort_keys=False))


_PHASES = {
    "validate": "config validated",
    "render": "rendered envoy.yaml and plano_config_rendered.yaml",
    "docker": "Docker engine found",
    "image": "image ready",
    "replace": "previous gateway removed",
    "start": "container started",
    "health": "every listener and Brightstaff healthy",
}


class UpReporter:
    """Phase-by-phase progress on stderr: a spinner while a phase runs (on a terminal), a line with its duration."""

    def __init__(self, verbose: bool = False) -> None:
        self._console = None if _plain(sys.stderr) else rich_console(stderr=True)  # no spinner in a file or a pipe
        self._verbose = verbose
        self._status: Spinner | None = None
        self._pull: PullTally | None = None  # once a pull has started

    def phase_started(self, name: str) -> None:
        if self._console is not None:
            from rich.text import Text

            self._status = self._console.status(Text(f"{_PHASES.get(name, name)}…"), spinner="dots")
            self._status.start()

    def phase_done(self, name: str, seconds: float) -> None:
        self._stop()
        label = _PHASES.get(name, name)
        if name == "image" and self._pull is not None:
            label = f"image pulled ({self._pull.summary()})"
        self._print(f"✓ {label} ({seconds:.2f}s)", "green")

    def phase_aborted(self, name: str) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def findings(self, source: str, items: Sequence[Diagnostic]) -> None:
        if items:
            self._stop()
            show_diagnostics(source, items)

    def pull(self, event: PullProgress) -> None:
        if self._pull is None:
            from planoai_cli.gateway.progress import PullTally

            self._pull = PullTally()
            if self._console is None or not self._console.is_terminal:  # no spinner: say once what the wait is for
                self._print("pulling the gateway image (this can take a few minutes)…")
        self._pull.add(event)
        self._update(f"pulling the image: {self._pull.summary()}")

    def health(self, observations: Iterable[Observation]) -> None:
        waiting = [f"{o.probe.label} ({o.describe()})" for o in observations if not o.ok]
        self._update("waiting for " + ", ".join(waiting) if waiting else "healthy")

    def _update(self, text: str) -> None:
        if self._status is not None:
            from rich.text import Text

            self._status.update(Text(text))

    def log_line(self, line: str) -> None:
        self._stop()
        out(line)

    def note(self, text: str) -> None:
        self._print(f"note: {text}", "cyan")

    def detail(self, text: str) -> None:
        if self._verbose:
            self._print(f"  {text}", "dim")

    def _print(self, text: str, style: str = "") -> None:
        if self._console is None:
            _emit(text, style)
            return
        from rich.text import Text

        # Above a running spinner: rich's status prints the line and redraws the spinner below it.
        self._console.print(Text(text, style=style))


def _loopback(address: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def endpoint_json(endpoint: Endpoint) -> dict[str, JSONValue]:
    """One listener in `up`, `status` and `wait` JSON: the URL to use here, and every published one."""
    return {
        "name": endpoint.name,
        "type": endpoint.type,
        "url": endpoint.url,
        "urls": list(endpoint.urls),
        "container_url": endpoint.container_url,
    }


def publishing_lines(addresses: Sequence[str], endpoints: Iterable[Endpoint]) -> list[str]:
    """Where else the listeners answer: containers on this host, other machines."""
    lines = []
    reach = [e.container_url for e in endpoints if e.container_url]
    if len(addresses) > 1:
        lines.append(f"containers on this host: {', '.join(reach)} (published on {', '.join(addresses[1:])})")
    if addresses and not _loopback(addresses[0]):
        lines.append(f"published on {addresses[0]}: other machines can reach these ports (and the Envoy admin)")
    return lines


def _collector_json(collector: Collector | None) -> dict[str, JSONValue] | None:
    if collector is None:
        return None
    return {
        "pid": collector.pid,
        "grpc": list(collector.grpc),
        "http": list(collector.http),
        "started": collector.started,
    }


def show_running(running: Running, *, as_json: bool) -> None:
    """The endpoints of a healthy gateway (stdout), as text or JSON."""
    if as_json:
        out_json(
            {
                "project": running.project,
                "container": running.container,
                "image": running.image,
                "endpoints": [endpoint_json(e) for e in running.endpoints],
                "published_addresses": list(running.addresses),
                "admin_url": running.admin_url,
                "collector": _collector_json(running.collector),
                "phases": {name: round(seconds, 3) for name, seconds in running.phases},
            }
        )
        return
    total = sum(seconds for _, seconds in running.phases)
    verb = "replaced and started" if running.replaced else "started"
    lines = [f"gateway {running.container} {verb} in {total:.1f}s (image {running.image})"]
    lines += [f"  {e.type:<6} listener {e.name:<20} {e.url}" for e in running.endpoints]
    lines.append(f"  admin  {running.admin_url}")
    lines += publishing_lines(running.addresses, running.endpoints)
    if running.collector is not None:
        how = "started" if running.collector.started else "already running"
        lines.append(
            f"traces: collector {how} (pid {running.collector.pid}) on "
            f"{', '.join(running.collector.grpc)}; see them with planoai trace, planoai obs"
        )
    if running.foreground:
        lines.append("its logs follow; Ctrl-C stops and removes it")
    else:
        lines.append(f"stop it with: planoai down --project-name {running.project}")
    out("\n".join(lines))


def show_status(report: Status, *, as_json: bool) -> None:
    if as_json:
        out_json(
            {
                "project": report.project,
                "container": report.container,
                "state": report.state,
                "healthy": report.healthy,
                "image": report.image,
                "uptime_seconds": report.uptime_seconds,
                "listeners": [
                    {
                        "name": li.name,
                        "type": li.type,
                        "url": li.url,
                        "urls": list(li.urls),
                        "healthy": li.healthy,
                        "detail": li.detail,
                    }
                    for li in report.listeners
                ],
                "components": [
                    {"name": c.name, "url": c.url, "healthy": c.healthy, "detail": c.detail} for c in report.components
                ],
                "published_addresses": list(report.addresses),
                "admin_url": report.admin_url,
                "collector": _collector_json(report.collector),
                "config_file": report.config_file,
                "config_changed": report.config_changed,
                "config_note": report.config_note,
                "stopped": report.stopped,
            }
        )
        return
    uptime = f", up {duration_text(report.uptime_seconds)}" if report.uptime_seconds is not None else ""
    lines = [f"project {report.project}: {report.container} {report.state}{uptime} (image {report.image})"]
    if report.stopped:
        lines += [
            f"  {report.stopped}",
            f"  see why with planoai logs --project-name {report.project}; "
            "planoai up starts it again, planoai down removes it",
        ]
    lines += [
        f"  {li.type:<6} listener {li.name:<20} {li.url}  {'healthy' if li.healthy else li.detail}"
        for li in report.listeners
    ]
    lines += [f"  {c.name} (checked at {c.url})  {'healthy' if c.healthy else c.detail}" for c in report.components]
    if report.admin_url and not report.stopped:
        lines.append(f"  admin  {report.admin_url}")
    if len(report.addresses) > 1 and not report.stopped:
        lines.append(f"  published on {', '.join(report.addresses)} (containers: host.docker.internal)")
    lines.append(f"config: {report.config_file or '?'} ({report.config_note})")
    if report.collector is not None:
        lines.append(f"trace collector: running (pid {report.collector.pid}) on {', '.join(report.collector.grpc)}")
    out("\n".join(lines))


def duration_text(seconds: float) -> str:
    """3h 12m, 4m 5s or 7s: an uptime in its two largest units."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m" if hours else (f"{minutes}m {secs}s" if minutes else f"{secs}s")
