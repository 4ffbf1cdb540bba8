"""Config drift: does the config on disk still render to what the project's container runs?"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from planoai_cli.errors import PlanoError
from planoai_cli.pipeline import prepare
from planoai_cli.runtime import container as rt


def config_drift(labels: Mapping[str, str]) -> tuple[bool | None, str]:
    """Re-render the config the container was started from and compare with what it runs."""
    path = labels.get(rt.CONFIG_FILE)
    if not path:
        return None, "the container does not record its config file"
    try:
        current = prepare(Path(path)).config_hash
    except PlanoError as e:
        return None, f"the config on disk no longer validates ({e.message.splitlines()[0]})"
    if current == labels.get(rt.CONFIG_HASH):
        return False, "the config on disk is the one the gateway was started with"
    return True, "the config on disk changed since the gateway started: run planoai up to apply it"
