"""Render stage, checked: render a validation copy (host paths, stand-in plugins) and let the real Envoy judge it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from planoai_cli.envoy import EnvoyCheck, standin_wasm, validate_config
from planoai_cli.errors import PlanoError
from planoai_cli.model import PlanoConfig
from planoai_cli.render.core import Rendered, render
from planoai_cli.render.paths import RenderPaths

# CA bundles found on common hosts (Debian/Ubuntu/Alpine, Fedora/RHEL, macOS/BSD, openSUSE).
HOST_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
)


@dataclass(frozen=True)
class EnvoyVerdict:
    """Envoy's judgement of the validation copy, and the copy itself."""

    check: EnvoyCheck
    rendered: Rendered


def host_ca_bundle(candidates: tuple[str, ...] = HOST_CA_BUNDLES) -> str:
    """A CA bundle that exists on this machine (Envoy refuses a config whose trusted CA file is missing)."""
    for candidate in candidates:
        if Path(candidate).is_file():
            return candidate
    try:
        import certifi  # installed with httpx
    except ImportError:
        pass
    else:
        if Path(certifi.where()).is_file():
            return str(certifi.where())
    raise PlanoError(
        "no CA bundle found on this machine for the validation copy",
        hint=f"install the ca-certificates package (looked for {', '.join(candidates)})",
    )


def validation_paths(log_dir: Path, ca_bundle: str | None = None) -> RenderPaths:
    """Paths for a copy Envoy can load here: the stand-in plugin for both plugins, logs in `log_dir`."""
    wasm = str(standin_wasm())
    return RenderPaths(
        prompt_gateway_wasm=wasm,
        llm_gateway_wasm=wasm,
        log_dir=str(log_dir),
        ca_bundle=ca_bundle or host_ca_bundle(),
        pin_ca_bundle=True,
    )


def check_with_envoy(config: PlanoConfig, *, binary: Path | None = None) -> EnvoyVerdict:
    """Render the validation copy (the same pure render, other paths) and run `envoy --mode validate` on it.

    The wasm plugins are replaced by a pass-through module, so the plugins' own reading of the embedded
    config does not happen here. Raises PlanoError when no Envoy can be run; a rejection is a verdict.
    """
    with tempfile.TemporaryDirectory(prefix="planoai-logs-") as logs:
        copy = render(config, validation_paths(Path(logs)))
        return EnvoyVerdict(validate_config(copy.envoy_yaml, binary=binary), copy)
