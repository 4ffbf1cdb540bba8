"""One file, written safely: staged beside the real target, flushed, given the old mode and owner, then renamed."""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from planoai_cli.errors import PlanoError
from planoai_cli.fs import failures
from planoai_cli.fs.snapshot import Snapshot
from planoai_cli.fs.target import Target, locate

MAX_BACKUPS = 1000
# Filesystems without hard links answer with one of these; there the no-overwrite check is a plain test.
_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS})


class Existing(enum.Enum):
    """What to do with a file already at the path."""

    REFUSE = "refuse"  # never replace it (init without --force)
    REPLACE = "replace"  # the user asked for it: --force, the wizard's yes, a .env merge
    BACKUP = "backup"  # keep the old bytes as FILE.bak, or the next free FILE.bak.N, then replace it


@dataclass(frozen=True)
class Written:
    """What a write did: the name given, the file replaced or created (links followed), the backup if any."""

    path: Path
    target: Path
    replaced: bool
    backup: Path | None = None
    link: bool = False  # `path` is a symlink to `target`

    def shown(self) -> str:
        """The name for messages: `link.yaml (a link to /real/x.yaml)` when written through a link."""
        return f"{self.path} (a link to {self.target})" if self.link else str(self.path)


@dataclass(frozen=True)
class _Old:
    data: bytes
    mode: int
    uid: int
    gid: int


def write_file(
    path: Path,
    content: str | bytes,
    *,
    mode: int,
    existing: Existing,
    expected: Snapshot | None = None,
    keep_mode: bool = True,
    hint: str | None = None,
) -> Written:
    """Write `content` (str is UTF-8) to `path` in one step; see the package docstring for the rules.

    `mode` is for a new file, or for every file when not `keep_mode`; `expected` is what the caller read (the
    write is refused if the file no longer holds it); `hint` is the caller's alternative, added to every error
    hint ("choose another file with --output"). Raises PlanoError, with the old file unchanged.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    target = locate(path)
    created = _make_folders(target, hint)
    try:
        return _write(target, data, mode=mode, existing=existing, expected=expected, keep_mode=keep_mode, hint=hint)
    except BaseException:
        for folder in created:  # only the empty folders made for this file, innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _write(
    target: Target,
    data: bytes,
    *,
    mode: int,
    existing: Existing,
    expected: Snapshot | None,
    keep_mode: bool,
    hint: str | None,
) -> Written:
    old = None
    try:
        old = _current(target, expected, hint)
        if old is not None and existing is Existing.REFUSE:
            raise failures.exists(target, hint)
        new_mode = old.mode if old is not None and keep_mode else mode
        backup = _swap(target, data, old, new_mode, backup=existing is Existing.BACKUP)
    except FileExistsError as e:  # a file appeared at the path while we were writing
        raise (failures.exists if existing is Existing.REFUSE else failures.changed)(target, hint) from e
    except OSError as e:
        raise failures.write_failed(target, e, existed=old is not None, hint=hint) from e
    except _Changed as e:
        raise failures.changed(target, hint) from e
    return Written(target.given, target.real, old is not None, backup, target.link)


def _make_folders(target: Target, hint: str | None) -> list[Path]:
    """Create the missing folders above the file; returns those created, innermost first."""
    missing = []
    folder = target.real.parent
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    try:
        target.real.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as e:  # a file stands where a folder should be
        raise failures.write_failed(target, OSError(errno.ENOTDIR, "Not a directory"), existed=False, hint=hint) from e
    except OSError as e:
        for created in missing:
            with contextlib.suppress(OSError):
                created.rmdir()
        raise failures.write_failed(target, e, existed=False, hint=hint) from e
    return missing


class _Changed(Exception):
    """The file no longer holds what was read (internal: becomes a PlanoError in write_file)."""


def _current(target: Target, expected: Snapshot | None, hint: str | None) -> _Old | None:
    try:
        info = os.stat(target.real)
        data = target.real.read_bytes() if stat.S_ISREG(info.st_mode) else b""
    except FileNotFoundError:
        if expected is not None and expected.exists:
            raise failures.changed(target, hint) from None
        return None
    except OSError as e:
        raise failures.cannot_read(target.real, e) from e
    if not stat.S_ISREG(info.st_mode):
        raise failures.not_a_file(target)
    if expected is not None and expected.data != data:
        raise failures.changed(target, hint)
    return _Old(data, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


def _swap(target: Target, data: bytes, old: _Old | None, mode: int, *, backup: bool) -> Path | None:
    """Stage, back up, check the file is still what was read, rename; undo the staging and backup on failure."""
    real = target.real
    temp = _stage(target, data, old, mode)
    kept: Path | None = None
    try:
        if old is not None and backup:
            kept = _backup(target, old)
        if _read_or_none(real) != (old.data if old is not None else None):
            raise _Changed
        if old is None:
            _link_new(temp, real)
        else:
            os.replace(temp, real)
    except BaseException:
        if kept is not None:
            with contextlib.suppress(OSError):
                kept.unlink()
        raise
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    _sync_folder(real.parent)
    return kept


def _stage(target: Target, data: bytes, old: _Old | None, mode: int) -> str:
    fd, temp = _new_temporary(target.real)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            _finish(handle.fileno(), target, old, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return temp


def _new_temporary(real: Path) -> tuple[int, str]:
    """A new private file beside `real`, as tempfile.mkstemp makes one (O_EXCL, no link followed), without importing
    tempfile, which brings shutil, random and the compression modules into every command that writes a file."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        name = os.path.join(real.parent, f".{real.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(real.parent))


def _finish(fd: int, target: Target, old: _Old | None, mode: int) -> None:
    """Owner first (a chown clears set-id bits), then the mode, then flush to disk."""
    if old is not None:
        info = os.fstat(fd)
        if (info.st_uid, info.st_gid) != (old.uid, old.gid):
            try:
                os.fchown(fd, old.uid, old.gid)
            except PermissionError as e:
                raise failures.foreign_owner(target, old.uid, old.gid) from e
    os.fchmod(fd, mode)
    os.fsync(fd)


def _backup(target: Target, old: _Old) -> Path:
    """The old bytes in the first free backup name beside the real file (O_EXCL: nothing is ever replaced)."""
    for name in backup_names(target.real):
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(old.data)
                handle.flush()
                _finish(handle.fileno(), target, old, old.mode)
        except BaseException:
            with contextlib.suppress(OSError):
                name.unlink()
            raise
        return name
    raise PlanoError(
        f"cannot keep a backup of {target.shown()}: {target.real}.bak through .bak.{MAX_BACKUPS - 1} "
        "all exist; the old file is unchanged",
        hint="delete the backups you no longer need",
    )


def backup_names(real: Path) -> Iterator[Path]:
    """FILE.bak, then FILE.bak.1, FILE.bak.2, … beside the file."""
    yield real.with_name(real.name + ".bak")
    for n in range(1, MAX_BACKUPS):
        yield real.with_name(f"{real.name}.bak.{n}")


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _link_new(temp: str, path: Path) -> None:
    """Put `temp` at `path` only if nothing is there: a hard link fails when the name is taken."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from e
        os.replace(temp, path)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: some filesystems cannot sync a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
