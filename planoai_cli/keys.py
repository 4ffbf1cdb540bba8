"""Secret keys: resolve every variable the config references, from the shell and a `.env` beside it.

Precedence (as in docker compose): a variable set in the shell wins over the same name in `.env`.
Values are handed to the runtime only; they are never printed, logged or put on a command line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from planoai_cli.errors import ConfigError, MissingKeys
from planoai_cli.model import SecretRef

ENVIRONMENT = "environment"


@dataclass(frozen=True)
class MissingKey:
    """A referenced variable that has no value, and who needs it."""

    name: str
    needed_by: tuple[str, ...]
    empty: bool  # set, but to an empty string


@dataclass(frozen=True)
class Keys:
    """Resolved values (never to be shown), where each came from, and what is missing."""

    values: Mapping[str, str]
    origins: Mapping[str, str]
    missing: tuple[MissingKey, ...]


def mask(value: str) -> str:
    """The only display form of a secret: its length and last two characters at most (stars alone under 12)."""
    if len(value) < 12:
        return "*" * len(value) if value else "(empty)"
    return f"{'*' * 8}{value[-2:]} ({len(value)} chars)"


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file properly (quotes, `export`, comments); a missing file is empty."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    try:
        parsed = dotenv_values(path, interpolate=False)
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}", hint="check the file's permissions and encoding") from e
    return {k: v for k, v in parsed.items() if v is not None}


def resolve(refs: Sequence[SecretRef], environment: Mapping[str, str], dotenv_path: Path) -> Keys:
    """Look up every referenced name: the shell first, then `.env`."""
    dotenv = read_dotenv(dotenv_path)
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    owners: dict[str, list[str]] = {}
    for ref in refs:
        owners.setdefault(ref.name, [])
        if ref.owner_description not in owners[ref.name]:
            owners[ref.name].append(ref.owner_description)
    missing: list[MissingKey] = []
    for name in sorted(owners):
        value, origin = _lookup(name, environment, dotenv, dotenv_path)
        if value:
            values[name], origins[name] = value, origin
        else:
            missing.append(MissingKey(name, tuple(owners[name]), empty=value == ""))
    return Keys(MappingProxyType(values), MappingProxyType(origins), tuple(missing))


def _lookup(
    name: str, environment: Mapping[str, str], dotenv: Mapping[str, str], dotenv_path: Path
) -> tuple[str | None, str]:
    if name in environment:
        return environment[name], ENVIRONMENT
    if name in dotenv:
        return dotenv[name], str(dotenv_path)
    return None, ""


def require(keys: Keys, dotenv_path: Path) -> None:
    """Refuse to start when a referenced key has no value; lists every missing one with its user."""
    if not keys.missing:
        return
    lines = []
    for item in keys.missing:
        state = "is set but empty" if item.empty else "is not set"
        lines.append(f"  ${item.name} {state} (needed by {', '.join(item.needed_by)})")
    names = " ".join(f"{m.name}=..." for m in keys.missing)
    raise MissingKeys(
        "missing keys:\n" + "\n".join(lines), hint=f"export them in your shell or add them to {dotenv_path} ({names})"
    )
