"""Render stage: the Jinja environment over envoy_templates/ (the only jinja2 user) and its error translation."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from planoai_cli.errors import RenderError
from planoai_cli.render.memo import cache_folder
from planoai_cli.render.yamltext import scalar
from planoai_cli.resources import data_dir

TEMPLATE_SUFFIX = ".j2"
_HINT = "this is a bug in planoai-cli's templates; please report it with the config that triggered it"


def environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """Strict (an unknown name is an error, never an empty string), no escaping, exact whitespace."""
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["scalar"] = scalar
    return env


@functools.cache
def _templates() -> jinja2.Environment:
    env = environment(jinja2.FileSystemLoader(str(data_dir("envoy_templates"))))
    env.bytecode_cache = _compiled_templates()
    return env


class _KeptIfPossible(jinja2.FileSystemBytecodeCache):
    """Jinja's own cache of compiled templates, for which a file it cannot read or write is only a miss."""

    def load_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_templates() -> jinja2.BytecodeCache | None:
    """Compiling the templates costs more than rendering them (about 40 ms of each render and `up`), so the compiled
    code is kept in $XDG_CACHE_HOME/planoai/templates (else ~/.cache/planoai/templates); Jinja uses a file only
    while it matches the template's source and this Python."""
    folder = cache_folder("templates")
    return _KeptIfPossible(str(folder)) if folder is not None else None


def render_template(name: str, env: jinja2.Environment | None = None, **values: object) -> str:
    """Render template `name`; any template failure becomes a RenderError naming the template, line and cause."""
    env = env or _templates()
    try:
        return env.get_template(name).render(**values)
    except jinja2.TemplateSyntaxError as e:
        raise RenderError(f"template {e.name or name}, line {e.lineno}: {e.message}", hint=_HINT) from e
    except jinja2.TemplateNotFound as e:
        raise RenderError(f"template {e.name} is missing", hint="reinstall planoai-cli") from e
    except jinja2.TemplateError as e:
        where = _template_line(e) or (name, None)
        line = f", line {where[1]}" if where[1] else ""
        raise RenderError(f"template {where[0]}{line}: {e.message or type(e).__name__}", hint=_HINT) from e


def _template_line(error: BaseException) -> tuple[str, int | None] | None:
    """The innermost template frame of a rendering error (Jinja rewrites its frames to template file and line)."""
    import traceback  # only a failed render needs it

    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(TEMPLATE_SUFFIX)]
    if not frames:
        return None
    return Path(frames[-1].filename).name, frames[-1].lineno
