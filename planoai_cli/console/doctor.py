"""The `doctor` screen: one line per thing `up` would meet, marked ok (✓), warning (!) or problem (✗)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from planoai_cli.console import out_json, rich_console

if TYPE_CHECKING:
    from planoai_cli.ops.configcheck import KeyInfo
    from planoai_cli.ops.doctor import CollectorInfo, Report
    from planoai_cli.ops.probes import DockerInfo, EnvoyInfo, ImageInfo, PortInfo

_OK, _WARN, _FAIL, _INFO = "✓", "!", "✗", "·"
_STYLES = {_OK: "green", _WARN: "yellow", _FAIL: "bold red", _INFO: "dim"}
Line = tuple[str, str, str]  # mark, area, text


def show_doctor(report: Report, *, as_json: bool) -> None:
    """The report on stdout: the screen, or its JSON form."""
    if as_json:
        out_json(report.as_dict())
        return
    console = rich_console(stderr=False)
    for text, style in doctor_lines(report):
        console.print(Text(text, style=style))


def doctor_lines(report: Report) -> list[tuple[str, str]]:
    """The screen as (text, style) lines."""
    rows = [
        *_heading(report),
        *_docker(report.docker),
        _image(report.image),
        *_ports(report.ports),
        *_keys(report.keys),
        _envoy(report.envoy),
        _collector(report.collector),
    ]
    lines = [(f"planoai doctor: what `planoai up` would meet for project {report.project}", "bold"), ("", "")]
    for mark, area, text in rows:
        first, *rest = text.split("\n")
        lines.append((f"  {mark} {area:<8} {first}", _STYLES[mark]))
        lines += [(f"    {'':<8} {more}", "") for more in rest]
    return [*lines, ("", ""), *_verdict(report)]


def _heading(report: Report) -> list[Line]:
    config = report.config
    rows: list[Line] = [(_INFO, "cli", f"planoai-cli {report.cli_version} (writes config {config.written_version})")]
    if config.valid and config.zero_config:
        rows.append(
            (_WARN, "config", f"no config file: up would write and run the zero-config {config.file} ({config.detail})")
        )
    elif config.valid:
        versions = f"declared {config.declared_version or '(none)'}, generation {config.generation}"
        rows.append((_OK, "config", f"{config.file}: {config.detail} ({versions})"))
    elif config.file is None or not config.errors:
        rows.append((_FAIL, "config", config.detail))
    else:
        rows.append(
            (
                _FAIL,
                "config",
                f"{config.file}: not valid, {config.errors} error(s)\nrun planoai validate {config.file} to see them",
            )
        )
    if report.gateway is not None:
        rows.append((_INFO, "gateway", f"{report.gateway.container} is {report.gateway.state} (up replaces it)"))
    return rows


def _docker(docker: DockerInfo) -> list[Line]:
    if docker.ok:
        return [
            (
                _OK,
                "docker",
                f"{docker.endpoint} ({docker.why}); engine {docker.engine_version}, API {docker.api_version}",
            )
        ]
    tried = [f"tried {a.url} ({a.why}): {a.error}" for a in docker.attempts] or ["no endpoint to try"]
    return [
        (
            _FAIL,
            "docker",
            "\n".join(
                [
                    docker.error or "no Docker engine answered",
                    *tried,
                    *([f"hint: {docker.hint}"] if docker.hint else []),
                ]
            ),
        )
    ]


def _image(image: ImageInfo) -> Line:
    mark = _OK if image.present else (_INFO if image.present is None else (_FAIL if image.pull == "never" else _WARN))
    return mark, "image", f"{image.reference} ({image.source}): {image.detail}"


def _ports(ports: Sequence[PortInfo]) -> list[Line]:
    marks = {"free": _OK, "this-project": _OK, "taken": _FAIL, "error": _FAIL}
    return [(marks[p.state], "port", f"{p.host}:{p.port} {p.purpose}: {p.detail}") for p in ports]


def _keys(keys: Sequence[KeyInfo] | None) -> list[Line]:
    if keys is None:
        return [(_INFO, "keys", "unknown until the config is valid")]
    if not keys:
        return [(_OK, "keys", "the config references no variables")]
    rows: list[Line] = []
    for key in keys:
        if key.found:
            where = "the environment" if key.origin == "environment" else key.origin
            rows.append((_OK, "key", f"${key.name}: found in {where}, {key.masked}"))
        else:
            state = f"empty in {key.origin}" if key.origin else "not set"
            rows.append((_FAIL, "key", f"${key.name}: {state} (needed by {', '.join(key.needed_by)})"))
    return rows


def _envoy(envoy: EnvoyInfo) -> Line:
    if envoy.found:
        return _OK, "envoy", f"{envoy.path} {envoy.version} (for validate --envoy)"
    hint = f"\nhint: {envoy.hint}" if envoy.hint else ""
    return _WARN, "envoy", f"{envoy.error} (for validate --envoy only){hint}"


def _collector(collector: CollectorInfo) -> Line:
    if collector.error:
        return _WARN, "traces", f"the trace store {collector.store} cannot be read: {collector.error}"
    stored = f"{collector.spans} spans stored" if collector.spans is not None else "no traces stored yet"
    if collector.running:
        return _OK, "traces", f"collector running (pid {collector.pid}) on {', '.join(collector.grpc)}; {stored}"
    return (
        _INFO,
        "traces",
        (f"no trace collector running ({stored}); up --with-tracing or planoai trace listen starts one"),
    )


def _verdict(report: Report) -> list[tuple[str, str]]:
    lines = [(f"warning: {w.message}", "yellow") for w in report.warnings]
    if not report.problems:
        return [*lines, ("up would get through these checks (exit 0)", "bold green")]
    lines.append((f"up would fail (exit {report.exit_code}):", "bold red"))
    lines += [(f"  - {p.message} (exit {p.exit_code})", "red") for p in report.problems]
    return lines
