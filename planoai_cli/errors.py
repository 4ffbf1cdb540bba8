"""The one error root, the exit-code table, and nothing else.

    PlanoError                 every failure a user can cause or fix (exit code + optional hint)
     ├── UsageError            bad command-line use (2)
     ├── ConfigError           config file missing, unreadable, unparsable, or refused (3)
     │    └── InvalidConfig    schema, migration or semantic problems, all of them at once (3)
     ├── RenderError           the rendered data-plane files could not be produced (4)
     │    └── EnvoyRejected    Envoy's `--mode validate` refused the rendered envoy.yaml (4)
     ├── MissingKeys           referenced variables without a value (5)
     ├── DockerUnavailable     no Docker engine answered (6)
     ├── PortBusy              a port to publish is taken (7)
     ├── ImageUnavailable      the image is missing and cannot be pulled (8)
     ├── ContainerFailed       the container exited, restarted or was OOM-killed (9)
     ├── HealthTimeout         listeners not healthy before the deadline (10)
     ├── NotRunning            the project's gateway is not running (11)
     ├── CollectorNotRunning   no trace collector is running for `trace` / `obs` to read (12)
     └── AgentNotFound         the coding agent `cli-agent` should launch is not installed (127)

Library exceptions are translated into these once, in the module that uses the library.
Only the CLI layer catches them (`run` in cli/__init__.py; `report.validate_json` turns them into its JSON).
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
    RENDER = 4  # rendering failed, or Envoy rejected the rendered configuration
    MISSING_KEYS = 5
    DOCKER_UNAVAILABLE = 6
    PORT_BUSY = 7
    IMAGE_UNAVAILABLE = 8
    CONTAINER_EXITED = 9
    HEALTH_TIMEOUT = 10
    NOT_RUNNING = 11
    COLLECTOR_NOT_RUNNING = 12  # `trace` / `obs` need the trace collector
    INTERNAL = 70
    AGENT_NOT_FOUND = 127  # the shell's "command not found"
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

    def __init__(
        self,
        source: str,
        diagnostics: Sequence[Diagnostic],
        warnings: Sequence[Diagnostic] = (),
        *,
        version: str | None = None,
    ) -> None:
        count = len(diagnostics)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun} found", hint="fix the problems listed above and run again")
        self.source = source
        self.diagnostics = tuple(diagnostics)
        self.warnings = tuple(warnings)
        self.version = version  # the declared version label, normalized, when it could be read


class MissingKeys(PlanoError):
    """Variables the config references have no value in the shell or `.env`."""

    exit_code = ExitCode.MISSING_KEYS


class DockerUnavailable(PlanoError):
    """No Docker engine answered (or it refused us)."""

    exit_code = ExitCode.DOCKER_UNAVAILABLE
    attempts: tuple[tuple[str, str, str], ...] = ()  # (endpoint url, why it was tried, why it failed)


class PortBusy(PlanoError):
    """A port the gateway must publish is already taken on the host."""

    exit_code = ExitCode.PORT_BUSY


class ImageUnavailable(PlanoError):
    """The gateway image is not present and could not (or may not) be pulled."""

    exit_code = ExitCode.IMAGE_UNAVAILABLE


class ContainerFailed(PlanoError):
    """The gateway container exited, restarted or was killed while starting or running."""

    exit_code = ExitCode.CONTAINER_EXITED


class HealthTimeout(PlanoError):
    """The listeners did not all answer /healthz with 200 before the deadline."""

    exit_code = ExitCode.HEALTH_TIMEOUT
    observations: tuple[object, ...] = ()


class NotRunning(PlanoError):
    """The project's gateway is not running (for commands that need it)."""

    exit_code = ExitCode.NOT_RUNNING


class CollectorNotRunning(PlanoError):
    """`trace` or `obs` found no running trace collector: nothing is being received (never "no traces found")."""

    exit_code = ExitCode.COLLECTOR_NOT_RUNNING


class RenderError(PlanoError):
    """A valid config could not be turned into the data-plane files (a template failed, a value is unusable)."""

    exit_code = ExitCode.RENDER


class EnvoyRejected(RenderError):
    """Envoy's own validation refused the rendered envoy.yaml; carries Envoy's message."""

    def __init__(self, message: str, envoy_output: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.envoy_output = envoy_output


class AgentNotFound(PlanoError):
    """`cli-agent` cannot find the agent's executable on PATH."""

    exit_code = ExitCode.AGENT_NOT_FOUND
