"""Safe writes for every file the CLI leaves behind for the user; no other module replaces a user's file.

    write_file(path, content, mode=…, existing=Existing.REFUSE | REPLACE | BACKUP, expected=Snapshot)
        one file, atomically: a temporary file beside the real target (symlinks are followed; the link stays),
        flushed to disk, given the old file's mode and owner (a new file gets `mode`), then renamed over it.
        REFUSE never replaces an existing file, REPLACE does (the user said --force or yes), BACKUP first keeps
        the old bytes as FILE.bak, FILE.bak.1, … (an existing backup is never replaced). With `expected`, the
        file must still hold what the caller read, or nothing is written.
    write_generated(folder, {name: text})
        files the CLI generates (render --out, the zero-config file): one the CLI wrote and nobody edited since is
        replaced; any other existing file is kept as a backup first. A ledger in the folder records what it wrote.
    Snapshot.read(path)
        what a caller read, to pass back as `expected`.

Every failure is one PlanoError (exit 1) saying what, where and what to do next; the old file is left byte for
byte as it was and no temporary file stays behind.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planoai_cli.fs.atomic import Existing, Written, write_file
    from planoai_cli.fs.generated import LEDGER, write_generated
    from planoai_cli.fs.snapshot import Snapshot
    from planoai_cli.fs.target import Target, locate

__all__ = ["LEDGER", "Existing", "Snapshot", "Target", "Written", "locate", "write_file", "write_generated"]
# Loaded on first use: the loader needs only Snapshot, and read-only commands should not pay for the writer.
_HOMES = {
    "Existing": "atomic",
    "Written": "atomic",
    "write_file": "atomic",
    "LEDGER": "generated",
    "write_generated": "generated",
    "Snapshot": "snapshot",
    "Target": "target",
    "locate": "target",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"planoai_cli.fs.{_HOMES[name]}"), name)
