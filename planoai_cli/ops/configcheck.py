"""The config side of `doctor`: which config `up` would run (the user's or a zero-config), its validity, its keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from planoai_cli import zeroconfig
from planoai_cli.contract import DEFAULT_MODEL_PORT
from planoai_cli.errors import ConfigError, ExitCode, InvalidConfig, PlanoError
from planoai_cli.gateway.options import Target, dotenv_path
from planoai_cli.keys import ENVIRONMENT, mask, resolve
from planoai_cli.loader import RawConfig, discover, load
from planoai_cli.ops.findings import Collected
from planoai_cli.pipeline import Validated, raw_from_text, render_validated, validate_raw
from planoai_cli.project import project_name
from planoai_cli.versions import CANONICAL


@dataclass(frozen=True)
class ConfigInfo:
    """The config `up` would read: where, whether it is valid, and its declared and detected versions."""

    file: str | None
    found: bool  # the user's own config file (False for a zero-config)
    zero_config: bool
    valid: bool
    errors: int
    warnings: int
    declared_version: str | None
    generation: str | None
    written_version: str
    detail: str


@dataclass(frozen=True)
class KeyInfo:
    """A referenced variable: found or not, where it came from, its masked value, and who needs it."""

    name: str
    found: bool
    origin: str | None  # "environment" or the .env path
    masked: str | None
    needed_by: tuple[str, ...]


@dataclass(frozen=True)
class Subject:
    """The config `up` would run, the environment it would look keys up in, and the project it would start."""

    info: ConfigInfo
    project: str
    validated: Validated | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)  # keys zero-config took from a .env into the env


def inspect_config(
    target: Target, env: Mapping[str, str], found: Collected, listener_port: int | None = None
) -> Subject:
    """Find and validate the config as `up` would, zero-config included; problems are collected."""
    fallback = project_name(target.project, target.search_dir.resolve() / "config.yaml")
    if zeroconfig.applies(target):
        return _zero_config(target, env, found, fallback, listener_port or DEFAULT_MODEL_PORT)
    if listener_port is not None:
        found.warn("config", "--listener-port only applies to zero-config (up refuses it with a config file)")
    try:
        path = discover(target.file, target.search_dir)
    except ConfigError as e:
        found.fail("config", e.exit_code, e.message)
        return Subject(_info(None, found=False, detail=e.message), fallback, environment=env)
    info, validated = _validate(lambda: load(path), path, found, zero=False)
    return Subject(info, project_name(target.project, path), validated, env)


def _zero_config(target: Target, env: Mapping[str, str], found: Collected, project: str, port: int) -> Subject:
    try:
        zero = zeroconfig.synthesize(env, target.search_dir, port, passthrough=True)  # as up would
    except ConfigError as e:
        found.fail("config", e.exit_code, e.message)
        return Subject(_info(None, found=False, zero=True, detail=e.message), project, environment=env)
    names = ", ".join(f"${f.variable}" for f in zero.found)
    built = (
        "no provider key found, so a pass-through gateway: clients send their own keys"
        if zero.passthrough
        else f"one provider per key found: {names}"
    )
    found.warn("config", f"no config in {zero.search_dir}: up would write a zero-config to {zero.path} ({built})")
    info, validated = _validate(lambda: raw_from_text(zero.path, zero.text), zero.path, found, zero=True)
    return Subject(
        info,
        project,
        validated,
        zeroconfig.key_environment(zero.found, env),
        {f.variable: f.origin for f in zero.found},
    )


def _info(
    file: str | None,
    *,
    found: bool,
    zero: bool = False,
    valid: bool = False,
    errors: int = 0,
    warnings: int = 0,
    declared: str | None = None,
    generation: str | None = None,
    detail: str = "",
) -> ConfigInfo:
    return ConfigInfo(file, found, zero, valid, errors, warnings, declared, generation, CANONICAL, detail)


def _validate(
    read: Callable[[], RawConfig], path: Path, found: Collected, *, zero: bool
) -> tuple[ConfigInfo, Validated | None]:
    file = str(path.resolve())
    try:
        validated = validate_raw(read())
    except InvalidConfig as e:
        count = len(e.diagnostics)
        found.fail(
            "config", e.exit_code, f"{e.source}: {count} problem{'s' * (count != 1)} (planoai validate lists them)"
        )
        return _info(
            file,
            found=not zero,
            zero=zero,
            errors=count,
            warnings=len(e.warnings),
            declared=e.version,
            detail=e.message,
        ), None
    except ConfigError as e:
        found.fail("config", e.exit_code, e.message)
        return _info(file, found=not zero, zero=zero, errors=1, detail=e.message), None
    count = len(validated.warnings)
    detail = "valid" + (f", {count} warning{'s' * (count != 1)} (planoai validate shows them)" if count else "")
    declared = validated.declared.label if validated.declared else None
    return _info(
        file,
        found=not zero,
        zero=zero,
        valid=True,
        warnings=count,
        declared=declared,
        generation=validated.generation.value,
        detail=detail,
    ), validated


def listener_ports(subject: Subject, found: Collected) -> list[tuple[str, int]] | None:
    """(purpose, port) of each listener `up` would publish, from the render; None when it cannot be known."""
    if subject.validated is None:
        return None
    try:
        rendered = render_validated(subject.validated).rendered
    except PlanoError as e:
        found.fail("render", e.exit_code, e.message)
        return None
    return [(f"{p.type} listener {p.name}", p.port) for p in rendered.listener_ports]


def check_keys(subject: Subject, found: Collected) -> tuple[KeyInfo, ...] | None:
    """Every referenced variable, looked up as `up` does: the shell first, then the `.env` beside the config."""
    if subject.validated is None:
        return None
    secrets = subject.validated.config.secrets
    dotenv = dotenv_path(subject.validated.raw.path)
    try:
        keys = resolve(secrets, subject.environment, dotenv)
    except ConfigError as e:
        found.fail("keys", e.exit_code, e.message)
        return None
    owners: dict[str, list[str]] = {}
    for ref in secrets:
        users = owners.setdefault(ref.name, [])
        if ref.owner_description not in users:
            users.append(ref.owner_description)
    empty = {m.name for m in keys.missing if m.empty}
    infos = []
    for name in sorted(owners):
        if name in keys.values:
            origin = subject.origins.get(name, keys.origins[name])
            infos.append(KeyInfo(name, True, origin, mask(keys.values[name]), tuple(owners[name])))
            continue
        # Set but empty counts as missing, as for `up`; say where the empty value came from (the shell wins).
        where = (ENVIRONMENT if name in subject.environment else str(dotenv)) if name in empty else None
        infos.append(KeyInfo(name, False, where, None, tuple(owners[name])))
        state = f"is empty in {where}" if where else "is not set in the environment or .env"
        found.fail("keys", ExitCode.MISSING_KEYS, f"${name} {state} (needed by {', '.join(owners[name])})")
    return tuple(infos)
