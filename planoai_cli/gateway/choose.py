"""Which gateway a command is about: --project-name, else the config's folder, else the only one running."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from planoai_cli.discovery import discover
from planoai_cli.errors import ConfigError, UsageError
from planoai_cli.gateway.options import Target
from planoai_cli.project import project_name
from planoai_cli.runtime.container import CONFIG_FILE, PROJECT, Handle
from planoai_cli.runtime.engine import Engine

Notify = Callable[[str], None]


def quiet(_note: str) -> None:
    """The Notify that says nothing (callers that do not show which gateway was chosen)."""


def resolve_project(target: Target) -> str:
    """The project named by the target alone: --project-name, else the config's folder (else --path's folder)."""
    if target.project is not None:
        return project_name(target.project, Path())
    config = _config(target)
    return project_name(None, config or target.search_dir.resolve() / "config.yaml")


def _config(target: Target) -> Path | None:
    try:
        return discover(target.file, target.search_dir)
    except ConfigError:
        if target.file is not None:
            raise  # an explicit FILE must exist
        return None


def choose(engine: Engine, target: Target, notify: Notify) -> tuple[str, Handle | None]:
    """The project and its container (None when it has none).

    From a folder with no config and no gateway of its own, the only running planoai gateway on the engine is
    used (and `notify` says so); with several, the user must pick one, so they are listed.
    """
    project = resolve_project(target)
    handle = engine.find(project)
    if handle is not None or target.project is not None or _config(target) is not None:
        return project, handle
    running = sorted((h for h in engine.handles() if h.state().running), key=lambda h: h.labels.get(PROJECT, ""))
    if len(running) == 1:
        only = running[0]
        chosen = only.labels.get(PROJECT, "?")
        notify(
            f"no config in {target.search_dir.resolve()}: using the only running gateway, project {chosen!r} "
            f"({_origin(only)})"
        )
        return chosen, only
    if len(running) > 1:
        listing = "\n".join(f"  {h.labels.get(PROJECT, '?'):<24} {_origin(h)}" for h in running)
        first = running[0].labels.get(PROJECT, "?")
        raise UsageError(
            f"no config in {target.search_dir.resolve()} and {len(running)} gateways are running:\n{listing}",
            hint=f"pick one with --project-name, e.g. --project-name {first}",
        )
    return project, None


def _origin(handle: Handle) -> str:
    config = handle.labels.get(CONFIG_FILE)
    return f"container {handle.name}, config {config}" if config else f"container {handle.name}"
