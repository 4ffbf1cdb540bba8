"""Files the CLI generates (render --out, the zero-config file): replaced while unedited, else backed up first.

A ledger in the folder (`.planoai-files.json`: file name → digest of what the CLI last wrote there) tells the
CLI's own, untouched output from a file someone wrote or edited: the first is simply replaced, the second is kept
as FILE.bak (or the next free FILE.bak.N) before it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from planoai_cli.fs import failures
from planoai_cli.fs.atomic import Existing, Written, write_file
from planoai_cli.fs.snapshot import Snapshot, digest
from planoai_cli.fs.target import locate

LEDGER = ".planoai-files.json"


def write_generated(
    folder: Path, files: Mapping[str, str], *, mode: int = 0o644, hint: str | None = None
) -> tuple[Written, ...]:
    """Write each of `files` (name → text) into `folder` (created if missing), in order, then the ledger.

    A file whose current content is what the CLI last wrote there, or exactly the new content, is replaced; any
    other existing file is backed up first (`Written.backup`). Raises PlanoError as `write_file` does.
    """
    ledger = _read_ledger(folder)
    written = []
    for name, text in files.items():
        path = folder / name
        data = text.encode("utf-8")
        current = _snapshot(path)
        ours = current.data is None or current.data == data or ledger.get(name) == current.digest
        written.append(
            write_file(
                path,
                data,
                mode=mode,
                existing=Existing.REPLACE if ours else Existing.BACKUP,
                expected=current,
                hint=hint,
            )
        )
        ledger[name] = digest(data)
    write_file(
        folder / LEDGER,
        json.dumps(dict(sorted(ledger.items())), indent=2) + "\n",
        mode=0o644,
        existing=Existing.REPLACE,
        hint=hint,
    )
    return tuple(written)


def _snapshot(path: Path) -> Snapshot:
    target = locate(path)  # a dangling link is refused here, before anything is written
    try:
        return Snapshot.read(target.real, missing_ok=True)
    except OSError as e:
        raise failures.cannot_read(path, e) from e


def _read_ledger(folder: Path) -> dict[str, str]:
    """The recorded digests; an unreadable or foreign ledger counts as empty (every file is then backed up)."""
    try:
        data = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
