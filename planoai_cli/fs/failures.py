"""OSError → PlanoError, once for every write: what failed, where, and what to do next."""

from __future__ import annotations

import errno
from pathlib import Path

from planoai_cli.errors import PlanoError
from planoai_cli.fs.target import Target

# errno → (why, what next); {folder} is the folder the file lives in.
_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device holding {folder}", "free some space there and run it again"),
    errno.EDQUOT: (
        "your disk quota on the device holding {folder} is used up",
        "free some space or raise the quota, then run it again",
    ),
    errno.EFBIG: (
        "the file is larger than this process may write (a file-size limit, see ulimit -f)",
        "raise the limit and run it again",
    ),
    errno.EACCES: ("permission denied in {folder}", "make {folder} writable for you (or run as its owner)"),
    errno.EPERM: (
        "the system refused to change {folder} (an immutable folder or file? see lsattr -d)",
        "clear the attribute (chattr -i) or run as the owner",
    ),
    errno.EROFS: ("{folder} is on a read-only filesystem", "remount it read-write"),
    errno.ENOTDIR: ("a part of {folder} is a file, not a folder", "fix the path"),
    errno.EISDIR: ("it is a folder", "give a file name"),
}


def write_failed(target: Target, e: OSError, *, existed: bool, hint: str | None) -> PlanoError:
    """The error for a write that failed with `e`; the caller has already undone everything it started."""
    folder = target.real.parent
    reason, next_step = _REASONS.get(e.errno or 0, (e.strerror or str(e), "check the file and its folder"))
    outcome = "the old file is unchanged" if existed else "nothing was written"
    return PlanoError(
        f"cannot write {target.shown()}: {reason.format(folder=folder)}; {outcome}",
        hint=also(next_step.format(folder=folder), hint),
    )


def exists(target: Target, hint: str | None) -> PlanoError:
    return PlanoError(
        f"{target.shown()} already exists; it was left untouched", hint=also("pass --force to replace it", hint)
    )


def changed(target: Target, hint: str | None) -> PlanoError:
    return PlanoError(
        f"{target.shown()} changed after planoai read it; it was left as it is (nothing was written)",
        hint=also("run the command again so that it starts from the current content", hint),
    )


def not_a_file(target: Target) -> PlanoError:
    return PlanoError(
        f"cannot write {target.shown()}: it is not a regular file; nothing was written",
        hint="give the path of a file (or of a new one)",
    )


def foreign_owner(target: Target, uid: int, gid: int) -> PlanoError:
    return PlanoError(
        f"cannot write {target.shown()} and keep its owner (uid {uid}, gid {gid}); the old file is unchanged",
        hint="run the command as the file's owner",
    )


def cannot_read(path: Path, e: OSError) -> PlanoError:
    return PlanoError(
        f"cannot read {path}: {e.strerror or e}; nothing was written", hint="fix its permissions, or move it away"
    )


def also(first: str, then: str | None) -> str:
    return f"{first}, or {then}" if then else first
