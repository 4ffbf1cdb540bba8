"""The gateway an agent talks to: the project's running one (found by label), else one started as `up` does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from planoai_cli.errors import PlanoError
from planoai_cli.gateway.alive import wait_running
from planoai_cli.gateway.layout import decode
from planoai_cli.gateway.options import Target, UpOptions
from planoai_cli.gateway.progress import Reporter
from planoai_cli.gateway.up import Running, up
from planoai_cli.project import project_name
from planoai_cli.runtime import container as rt
from planoai_cli.runtime.engine import session


@dataclass(frozen=True)
class Gateway:
    """Where the agent connects, and whether we had to start the gateway for it."""

    project: str
    container: str
    base_url: str  # http://<loopback or bind address>:<model listener port>, never 0.0.0.0
    started: bool
    config_changed: bool  # the running gateway was started from different config content


def ensure(
    target: Target,
    config_file: Path,
    config_hash: str,
    options: UpOptions,
    *,
    reporter: Reporter,
    on_healthy: Callable[[Running], None] = lambda _running: None,
) -> Gateway:
    """Reuse the project's healthy gateway, or start it (same resolution and options as `up`)."""
    project = project_name(target.project, config_file)
    with session(options.environment) as engine:
        handle = engine.find(project)
        reused = _reuse(handle, options, config_hash) if handle is not None else None
    if reused is not None:
        return reused
    running = up(target, options, reporter, on_healthy=on_healthy)
    url = next((e.url for e in running.endpoints if e.type == "model"), None)
    if url is None:  # the renderer always adds a model listener; a gateway without one is a bug to report
        raise PlanoError(f"gateway {running.container} has no model listener for the agent")
    return Gateway(running.project, running.container, url, True, False)


def _reuse(handle: rt.Handle, options: UpOptions, config_hash: str) -> Gateway | None:
    """A running container with a model listener, once healthy; None when it must be (re)started instead."""
    if not handle.state().running:
        return None
    try:
        layout = decode(handle.labels, handle.name)
    except PlanoError:
        return None  # started by another tool or an older planoai: `up` replaces it
    model = layout.model_listener()
    if model is None:
        return None
    # The same watch as `up` and `wait`: an exit, a restart or an OOM kill fails at once, with the component's log.
    hint = "planoai logs shows why; planoai up starts it again"
    wait_running(handle, layout, timeout=options.wait_timeout, hint=hint)
    changed = handle.labels.get(rt.CONFIG_HASH) != config_hash
    return Gateway(
        handle.labels.get(rt.PROJECT, "?"), handle.name, f"http://{layout.host}:{model.port}", False, changed
    )
