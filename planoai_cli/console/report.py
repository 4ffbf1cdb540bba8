"""What `validate`, `migrate` and `render` show: text and JSON reports built from pipeline results."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from planoai_cli import console
from planoai_cli.console.upgrade import canonical_text, rewrite, unified_diff
from planoai_cli.diagnostics import Diagnostic, sorted_diagnostics
from planoai_cli.errors import ConfigError, EnvoyRejected, ExitCode, InvalidConfig
from planoai_cli.pipeline import Validated
from planoai_cli.tree import plain

if TYPE_CHECKING:
    from planoai_cli.console import JSONValue
    from planoai_cli.render import EnvoyVerdict, Rendered

# Said whenever Envoy judged a validation copy: what it did and did not check.
STANDIN_NOTE = (
    "the wasm plugins were stood in by a pass-through module, so Plano's plugins did not read the embedded config"
)


def validate_text(result: Validated) -> None:
    """Show notices and warnings, then a one-line verdict."""
    console.show_diagnostics(result.raw.source, result.findings)
    console.verdict(f"{result.raw.source}: valid ({_summary(result)})")


def _summary(result: Validated) -> str:
    if result.notices:
        count = len(result.notices)
        parts = [f"{result.generation.title}; {count} legacy form{'s' if count != 1 else ''} migrated to v0.4.0"]
    else:
        parts = ["canonical v0.4.0"]
    if result.warnings:
        parts.append(f"{len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''}")
    return "; ".join(parts)


def validate_json(run: Callable[[], Validated], *, envoy: bool = False) -> int:
    """Print the machine-readable verdict; exit 3 when invalid, 4 when Envoy rejects the render, 0 otherwise.

    With `envoy`, the payload gains `"envoy": {ok, version, output, standin_plugins}` (null when invalid).
    """
    try:
        result = run()
    except InvalidConfig as e:
        console.out_json(_payload(False, e.version, e.diagnostics, e.warnings) | ({"envoy": None} if envoy else {}))
        return ExitCode.INVALID_CONFIG
    except ConfigError as e:  # the file could not be found, read or parsed, or was refused outright
        refused: dict[str, JSONValue] = {"valid": False, "version": None, "errors": [_refusal(e)], "warnings": []}
        console.out_json(refused | ({"envoy": None} if envoy else {}))
        return e.exit_code
    version = result.declared.label if result.declared else None
    if not envoy:
        console.out_json(_payload(True, version, (), result.findings))
        return ExitCode.OK
    verdict = _envoy_verdict(result)
    findings = sorted_diagnostics((*result.findings, *verdict.rendered.notices))
    check = verdict.check
    console.out_json(
        _payload(True, version, (), findings)
        | {"envoy": {"ok": check.ok, "version": check.version, "output": check.output, "standin_plugins": True}}
    )
    return ExitCode.OK if check.ok else ExitCode.RENDER


def validate_envoy_text(result: Validated) -> None:
    """Validate, then show Envoy's verdict on the rendered copy; raises EnvoyRejected (exit 4) on refusal."""
    verdict = _envoy_verdict(result)
    console.show_diagnostics(result.raw.source, sorted_diagnostics((*result.findings, *verdict.rendered.notices)))
    check = verdict.check
    if not check.ok:
        console.quoted_output(f"Envoy {check.version} rejected the rendered envoy.yaml:", check.output)
        raise EnvoyRejected(
            f"{result.raw.source}: Envoy rejected the rendered configuration ({STANDIN_NOTE})",
            check.output,
            hint="Envoy's message above names the offending field; planoai validate should have "
            "caught it, so please report it together with the config",
        )
    console.verdict(
        f"{result.raw.source}: valid ({_summary(result)}); Envoy {check.version} accepts the rendered envoy.yaml"
    )
    console.out(f"note: {STANDIN_NOTE}")


def _envoy_verdict(result: Validated) -> EnvoyVerdict:
    from planoai_cli.render import check_with_envoy

    return check_with_envoy(result.config)


def render(result: Validated, *, out: Path | None) -> None:
    """Render; print envoy.yaml (out=None) or write both files to `out` and say what was written."""
    from planoai_cli.render import render as render_config
    from planoai_cli.render import write_files

    rendered = render_config(result.config)
    console.show_diagnostics(result.raw.source, sorted_diagnostics((*result.findings, *rendered.notices)))
    if out is None:
        console.out(rendered.envoy_yaml)
        return
    for written in write_files(rendered.files(), out, keep_edits=True):
        console.out(f"wrote {written.shown()}")
        if written.backup is not None:
            console.warning(
                f"{written.target} was not planoai's last render (written or edited by someone "
                f"else); it was kept as {written.backup}"
            )
    console.out(render_summary(rendered))


def render_summary(rendered: Rendered) -> str:
    """Ports to publish (with the health path), the admin port and the variables the files need."""
    lines = ["listeners (publish these ports; each answers GET /healthz when ready):"]
    lines += [
        f"  {p.address}:{p.port}  {p.type} listener {p.name!r} (Envoy {p.envoy_listener})"
        for p in rendered.listener_ports
    ]
    lines.append(f"Envoy admin: port {rendered.admin_port} (inside the container)")
    names = sorted({name for names in rendered.env_vars.values() for name in names})
    lines.append("variables substituted at start: " + (", ".join(names) if names else "none"))
    return "\n".join(lines)


# `FILE:LINE:COL: message` (or `FILE:LINE: message`), the form load and detection refusals take.
_LOCATED = re.compile(r"^.+?:(\d+)(?::(\d+))?: (.*)$", re.S)


def _refusal(e: ConfigError) -> dict[str, JSONValue]:
    """A whole-file refusal in the shape of a JSON error entry (path "(file)")."""
    match = _LOCATED.match(e.message)
    return {
        "code": "config.refused",
        "path": "(file)",
        "line": int(match[1]) if match else None,
        "column": int(match[2]) if match and match[2] else None,
        "message": match[3] if match else e.message,
        "hint": e.hint,
    }


def _payload(
    valid: bool, version: str | None, errors: tuple[Diagnostic, ...], warnings: tuple[Diagnostic, ...]
) -> dict[str, JSONValue]:
    return {
        "valid": valid,
        "version": version,
        "errors": [d.as_json() for d in errors],
        "warnings": [{**d.as_json(), "severity": d.severity.value} for d in warnings],
    }


def migrate(result: Validated, *, write: bool, show_diff: bool) -> None:
    """Print the canonical form or a diff, or rewrite the file (keeping the old one in a new FILE.bak[.N])."""
    console.show_diagnostics(result.raw.source, result.findings)
    after = canonical_text(result.doc)
    if show_diff or write:
        diff = unified_diff(result.raw.text, after, result.raw.path.name)
        # Same content means only layout and comments would change: leave the user's file alone.
        if not diff or plain(result.doc) == plain(result.raw.data):
            console.success(f"{result.raw.source} is already in the canonical form; nothing to change")
            return
        if show_diff:
            console.out(diff)
    else:
        console.out(after)
    if write:
        written = rewrite(result.raw.path, after, result.raw.snapshot)
        console.success(
            f"rewrote {written.shown()} in the v0.4.0 form (previous content, with its "
            f"comments, kept in {written.backup})"
        )
