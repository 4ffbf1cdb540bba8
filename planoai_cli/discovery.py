"""Finding the config: an explicit FILE, else the first of the usual names in --path (no YAML read here)."""

from __future__ import annotations

import os
from pathlib import Path

from planoai_cli.errors import ConfigError

CONFIG_NAMES = ("config.yaml", "plano_config.yaml", "arch_config.yaml")
_EXAMPLES_HINT = "examples/ in the planoai-cli repository has complete configs to start from"


def discover(file: Path | None, search_dir: Path) -> Path:
    """The config to use: an explicit FILE must exist; otherwise look in `search_dir`."""
    if file is not None:
        # Anything readable that is not a folder will do (e.g. /dev/stdin for a piped config).
        if file.is_dir() or not file.exists():
            what = (
                "is a directory, not a file"
                if file.is_dir()
                else f"is a symbolic link to {os.readlink(file)}, which does not exist"
                if file.is_symlink()
                else "does not exist"
            )
            raise ConfigError(
                f"config file {file} {what}", hint="check the path, or omit FILE to search --path for a config"
            )
        return file
    if not search_dir.is_dir():
        raise ConfigError(
            f"--path {search_dir} is not a directory", hint="point --path at the folder holding your config"
        )
    for name in CONFIG_NAMES:
        candidate = search_dir / name
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no config found in {search_dir} (looked for {', '.join(CONFIG_NAMES)})",
        hint=f"pass the config file as an argument, or point --path at its folder; {_EXAMPLES_HINT}",
    )
