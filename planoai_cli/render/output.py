"""Render stage output: write the rendered files atomically (mode 0644: they hold references, never secrets)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from planoai_cli.fs import Existing, Written, write_file, write_generated

FILE_MODE = 0o644
_HINT = "choose a folder you can write to with --out"


def write_files(files: Mapping[str, str], folder: Path, *, keep_edits: bool = False) -> tuple[Written, ...]:
    """Create `folder` if needed and replace each file in one step, so a reader never sees half a file.

    `keep_edits` (render --out, a folder of the user's): a file planoai did not write there, or that was edited
    since, is kept as FILE.bak (or the next free FILE.bak.N) first. Without it (up's own state folder) the files
    are simply replaced. Raises PlanoError with the old files unchanged.
    """
    if keep_edits:
        return write_generated(folder, files, mode=FILE_MODE, hint=_HINT)
    return tuple(
        write_file(folder / name, text, mode=FILE_MODE, existing=Existing.REPLACE, keep_mode=False, hint=_HINT)
        for name, text in files.items()
    )
