"""Writing init's files: the config and `.env`, each moved into place in one step so a failure keeps the old file."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from planoai_cli.errors import PlanoError

CONFIG_MODE = 0o644  # the config holds `$VAR` references only
ENV_MODE = 0o600  # `.env` holds the keys themselves
# Filesystems without hard links answer with one of these; there the no-overwrite check is a plain test.
_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS})
_ASSIGNMENT = re.compile(r"^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_PLAIN = re.compile(r"[^'\\\n\r]*")


def write_atomic(path: Path, text: str, *, mode: int, overwrite: bool) -> None:
    """Write `text` beside `path` under a temporary name, then move it into place in one step.

    Without `overwrite` an existing `path` is never replaced, not even one that appeared a moment ago: the last
    step is a hard link, which fails when the name is taken. Raises PlanoError; the old file is left as it was.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _cannot_write(path, e) from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        (os.replace if overwrite else _link_new)(temporary, path)
    except FileExistsError as e:
        raise exists_error(path) from e
    except OSError as e:
        raise _cannot_write(path, e) from e
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _link_new(temporary: str, path: Path) -> None:
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
        if path.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from e
        os.replace(temporary, path)


def exists_error(path: Path) -> PlanoError:
    return PlanoError(f"{path} already exists; it was left untouched",
                      hint="pass --force to replace it, or choose another file with --output")


def _cannot_write(path: Path, e: OSError) -> PlanoError:
    return PlanoError(f"cannot write {path}: {e.strerror or e}",
                      hint="choose a file in a folder you can write to (--output PATH)")


# --- .env ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EnvWritten:
    """What happened to `.env`: which names were set (never their values)."""

    path: Path
    names: tuple[str, ...]
    created: bool
    tightened: bool  # an existing file readable by others is now 0600


def quote(value: str) -> str:
    """A dotenv value that reads back exactly: single quotes when plain, else double quotes with escapes."""
    if _PLAIN.fullmatch(value):
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def merge_env(existing: str, updates: Mapping[str, str]) -> str:
    """`existing` .env text with `updates` set: assignments replaced where they stand, new names appended.

    Every other line (comments, other variables, blank lines) is kept as it was. If the result would not read
    back as the old values plus `updates` (a multi-line value in the old file), the new lines are appended
    instead, which dotenv readers honour because the last assignment of a name wins.
    """
    merged = _merge_in_place(existing, updates)
    expected = {**parse_env(existing), **updates}
    if parse_env(merged) == expected:
        return merged
    appended = existing + ("" if not existing or existing.endswith("\n") else "\n")
    appended += "".join(f"{name}={quote(value)}\n" for name, value in updates.items())
    if parse_env(appended) != expected:
        raise PlanoError("cannot update .env safely: its current content does not read back the same",
                         hint="fix or move the existing .env, then run planoai init again")
    return appended


def _merge_in_place(existing: str, updates: Mapping[str, str]) -> str:
    lines: list[str] = []
    done: set[str] = set()
    for line in existing.splitlines():
        match = _ASSIGNMENT.match(line)
        if match and match[2] in updates:
            if match[2] not in done:  # a later duplicate would win over the new value, so it goes
                lines.append(f"{match[1] or ''}{match[2]}={quote(updates[match[2]])}")
                done.add(match[2])
            continue
        lines.append(line)
    lines += [f"{name}={quote(value)}" for name, value in updates.items() if name not in done]
    return "".join(f"{line}\n" for line in lines)


def parse_env(text: str) -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(stream=io.StringIO(text), interpolate=False).items() if v is not None}


def write_env(path: Path, updates: Mapping[str, str]) -> EnvWritten:
    """Merge `updates` into the `.env` at `path` (created if missing) and leave it with mode 0600."""
    existing, mode = _read_existing(path)
    write_atomic(path, merge_env(existing, updates), mode=ENV_MODE, overwrite=True)
    return EnvWritten(path, tuple(updates), created=mode is None,
                      tightened=mode is not None and bool(mode & (stat.S_IRWXG | stat.S_IRWXO)))


def _read_existing(path: Path) -> tuple[str, int | None]:
    try:
        return path.read_text(encoding="utf-8"), path.stat().st_mode
    except FileNotFoundError:
        return "", None
    except (OSError, UnicodeDecodeError) as e:
        raise PlanoError(f"cannot read {path}: {e}", hint="fix its permissions or encoding, or move it away") from e
