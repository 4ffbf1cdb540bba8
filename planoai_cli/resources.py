"""The single place that finds the data folders (schemas, templates, …) in a checkout or a wheel."""

from __future__ import annotations

from pathlib import Path

from planoai_cli.errors import PlanoError

_PACKAGE = Path(__file__).resolve().parent
# In a wheel, hatchling's force-include puts the folders under planoai_cli/_data/;
# in a checkout they sit next to the package.
_CANDIDATES = (_PACKAGE / "_data", _PACKAGE.parent)
DATA_FOLDERS = ("config_schema", "envoy_templates", "supervisord", "docker", "examples")


def data_dir(name: str) -> Path:
    """Return the folder `name` (one of DATA_FOLDERS) wherever this installation keeps it."""
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}")
    for root in _CANDIDATES:
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise PlanoError(
        f"the data folder {name!r} is missing from this installation",
        hint="reinstall planoai-cli (pip install --force-reinstall planoai-cli)",
    )


def data_file(folder: str, name: str) -> Path:
    """Return a file inside one of the data folders."""
    return data_dir(folder) / name
