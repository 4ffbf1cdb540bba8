"""Writing init's files: the config and `.env`, through the one safe writer (planoai_cli/fs), and `.env` merging."""

from __future__ import annotations

import io
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from planoai_cli.errors import PlanoError
from planoai_cli.fs import Existing, Snapshot, Written, write_file

CONFIG_MODE = 0o644  # the config holds `$VAR` references only
ENV_MODE = 0o600  # `.env` holds the keys themselves
_ASSIGNMENT = re.compile(r"^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_PLAIN = re.compile(r"[^'\\\n\r]*")
_HINT = "choose another file with --output"


def write_config(path: Path, text: str, *, overwrite: bool) -> Written:
    """Write the config in one step; without `overwrite` an existing file (or one appearing meanwhile) is never
    replaced. A replaced file keeps its mode and owner; a symlink is written through. Raises PlanoError."""
    return write_file(
        path, text, mode=CONFIG_MODE, existing=Existing.REPLACE if overwrite else Existing.REFUSE, hint=_HINT
    )


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
        raise PlanoError(
            "cannot update .env safely: its current content does not read back the same",
            hint="fix or move the existing .env, then run planoai init again",
        )
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
    """Merge `updates` into the `.env` at `path` (created if missing; a symlink is written through) and leave it
    with mode 0600. Refused, with the file unchanged, if it changes between this read and the write."""
    read, existing, mode = _read_existing(path)
    write_file(
        path, merge_env(existing, updates), mode=ENV_MODE, existing=Existing.REPLACE, expected=read, keep_mode=False
    )
    return EnvWritten(
        path,
        tuple(updates),
        created=mode is None,
        tightened=mode is not None and bool(mode & (stat.S_IRWXG | stat.S_IRWXO)),
    )


def _read_existing(path: Path) -> tuple[Snapshot, str, int | None]:
    try:
        read = Snapshot.read(path, missing_ok=True)
        if read.data is None:
            return read, "", None
        return read, read.data.decode("utf-8"), path.stat().st_mode
    except (OSError, UnicodeDecodeError) as e:
        raise PlanoError(f"cannot read {path}: {e}", hint="fix its permissions or encoding, or move it away") from e
