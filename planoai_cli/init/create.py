"""Write a config from a template (as is, or as the wizard planned it), and say what comes next."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from planoai_cli.fs import locate
from planoai_cli.init.catalog import Template
from planoai_cli.init.files import EnvWritten, write_config, write_env

if TYPE_CHECKING:
    from planoai_cli.pipeline import Validated

DEFAULT_OUTPUT = Path("config.yaml")
DOTENV = ".env"


@dataclass(frozen=True)
class Plan:
    """Everything the wizard decided; `keys` holds typed secrets and is never shown."""

    template: Template
    text: str
    output: Path
    overwrite: bool
    keys: Mapping[str, str] = field(repr=False)
    changes: tuple[str, ...] = ()

    @property
    def env_path(self) -> Path:
        return self.output.parent / DOTENV


@dataclass(frozen=True)
class Written:
    """What `init` wrote and what the user still has to do (names only, never values)."""

    template: str
    config: Path
    replaced: bool
    env: EnvWritten | None
    variables: tuple[str, ...]  # every variable the config references
    missing: tuple[str, ...]  # those found neither in the shell nor in the .env beside the config
    next_steps: tuple[str, ...]


def output_path(given: str | None) -> Path:
    """`--output` (or the wizard's answer) as a file: `DIR/config.yaml` for a folder or a name ending in `/`."""
    text = given or str(DEFAULT_OUTPUT)
    path = Path(text).expanduser()
    return path / DEFAULT_OUTPUT if text.endswith(("/", os.sep)) or path.is_dir() else path


def check(text: str, output: Path) -> Validated:
    """Run the full validation on config text about to be written (a template bug must never reach a file)."""
    from planoai_cli.pipeline import raw_from_text, validate_raw

    return validate_raw(raw_from_text(output, text))


def variables_of(result: Validated) -> tuple[str, ...]:
    return tuple(sorted({ref.name for ref in result.config.secrets}))


def from_template(template: Template, output: Path, *, force: bool, environment: Mapping[str, str]) -> Written:
    """Write `template` to `output` as it is; refuses to replace a file unless `force`."""
    text = template.text()
    result = check(text, output)
    written = write_config(output, text, overwrite=force)
    return _written(
        template, output, existed=written.replaced, env=None, variables=variables_of(result), environment=environment
    )


def apply(plan: Plan, environment: Mapping[str, str]) -> Written:
    """Write what the wizard planned: the config, then the keys merged into `.env` (mode 0600)."""
    result = check(plan.text, plan.output)
    if plan.keys:
        locate(plan.env_path)  # a dangling .env link fails here, before the config is written
    written = write_config(plan.output, plan.text, overwrite=plan.overwrite)
    env = write_env(plan.env_path, plan.keys) if plan.keys else None
    return _written(
        plan.template,
        plan.output,
        existed=written.replaced,
        env=env,
        variables=variables_of(result),
        environment=environment,
    )


def _written(
    template: Template,
    config: Path,
    *,
    existed: bool,
    env: EnvWritten | None,
    variables: tuple[str, ...],
    environment: Mapping[str, str],
) -> Written:
    from planoai_cli.keys import read_dotenv

    dotenv = read_dotenv(config.parent / DOTENV)
    missing = tuple(name for name in variables if not environment.get(name) and not dotenv.get(name))
    quoted = shlex.quote(str(config))
    steps = (
        *(step.format(config=quoted) for step in template.first_steps),
        f"planoai validate {quoted}",
        f"planoai up {quoted}",
        *(step.format(config=quoted) for step in template.next_steps),
    )
    return Written(template.id, config, existed, env, variables, missing, steps)
