"""The one error root, the exit-code table, and nothing else.

    PlanoError                 every failure a user can cause or fix (exit code + optional hint)
     ├── UsageError            bad command-line use (2)
     ├── ConfigError           config file missing, unreadable, unparsable, or refused (3)
     │    └── InvalidConfig    schema, migration or semantic problems, all of them at once (3)
     └── (later stages add RenderError, DockerUnavailable, ContainerFailed, HealthTimeout …)

Library exceptions are translated into these once, in the module that uses the library.
Only `cli.py` catches them, through `cli.handle_errors`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from planoai_cli.diagnostics import Diagnostic


class ExitCode(enum.IntEnum):
    """Process exit codes; the README's table is generated from the same values."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    INVALID_CONFIG = 3
    INTERNAL = 70
    INTERRUPTED = 130


class PlanoError(Exception):
    """Root of every error we expect users to see: a message, an exit code, a hint."""

    exit_code: ClassVar[ExitCode] = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(PlanoError):
    """The command line itself is wrong (a flag combination, a missing argument)."""

    exit_code = ExitCode.USAGE


class ConfigError(PlanoError):
    """The config file cannot be found, read or parsed, or is refused outright."""

    exit_code = ExitCode.INVALID_CONFIG


class InvalidConfig(ConfigError):
    """The config was read but has problems; carries every one of them, sorted by position."""

    def __init__(self, source: str, diagnostics: Sequence[Diagnostic], warnings: Sequence[Diagnostic] = ()) -> None:
        count = len(diagnostics)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun} found", hint="fix the problems listed above and run again")
        self.source = source
        self.diagnostics = tuple(diagnostics)
        self.warnings = tuple(warnings)
