"""Render stage output: write the rendered files atomically (mode 0644: they hold references, never secrets)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from planoai_cli.errors import PlanoError

FILE_MODE = 0o644


def write_files(files: Mapping[str, str], folder: Path) -> tuple[Path, ...]:
    """Create `folder` if needed and replace each file in one step, so a reader never sees half a file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return tuple(_write(folder / name, text) for name, text in files.items())
    except OSError as e:
        raise PlanoError(f"cannot write to {e.filename or folder}: {e.strerror or e}",
                         hint="choose a folder you can write to with --out") from e


def _write(path: Path, text: str) -> Path:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path
