"""Render stage: a valid config becomes `envoy.yaml` and `plano_config_rendered.yaml` for the Plano data plane.

`render(config, paths)` is pure (text and metadata out, nothing written); `write_files` writes them;
`check_with_envoy` renders a validation copy and lets the real Envoy judge it. This package is the
only user of jinja2, so commands import it lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planoai_cli.render.core import ListenerPort, Rendered, listener_ports, render
from planoai_cli.render.output import write_files
from planoai_cli.render.paths import CONTAINER_PATHS, ENVOY_FILE, PLANO_CONFIG_FILE, RenderPaths

if TYPE_CHECKING:
    from planoai_cli.render.validation import EnvoyVerdict, check_with_envoy, validation_paths

_VALIDATION = frozenset({"EnvoyVerdict", "check_with_envoy", "validation_paths"})

__all__ = [
    "CONTAINER_PATHS",
    "ENVOY_FILE",
    "PLANO_CONFIG_FILE",
    "EnvoyVerdict",
    "ListenerPort",
    "RenderPaths",
    "Rendered",
    "check_with_envoy",
    "listener_ports",
    "render",
    "validation_paths",
    "write_files",
]


def __getattr__(name: str) -> Any:
    # Only `validate --envoy` runs Envoy: its module (which finds the binary through importlib.metadata) loads then.
    if name in _VALIDATION:
        from planoai_cli.render import validation

        return getattr(validation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
