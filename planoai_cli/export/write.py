"""Export output: the target's files into a folder of the user's, through the safe writer (planoai_cli/fs)."""

from __future__ import annotations

from pathlib import Path

from planoai_cli.export import Exported
from planoai_cli.fs import Written, write_generated

FILE_MODE = 0o644  # names and references only: nothing secret
_HINT = "choose a folder you can write to with --out"


def write(exported: Exported, folder: Path) -> tuple[Written, ...]:
    """Write every file; one planoai wrote there before and nobody edited is replaced, any other kept as FILE.bak."""
    return write_generated(folder, exported.files, mode=FILE_MODE, hint=_HINT)
