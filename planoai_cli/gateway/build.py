"""`planoai build`: the derived gateway image, built through the Engine API."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from planoai_cli import __version__
from planoai_cli.runtime.engine import session


def build(*, base: str, tag: str, env: Mapping[str, str], on_line: Callable[[str], None]) -> str:
    """Build docker/Dockerfile on `base`; returns the tag."""
    with session(env) as engine:
        engine.build(
            base=base,
            tag=tag,
            labels={"org.planoai.cli-version": __version__, "org.planoai.base": base},
            on_line=on_line,
        )
    return tag
