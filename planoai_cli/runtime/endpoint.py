"""Which Docker endpoint to talk to: DOCKER_HOST, then the active docker context, then known sockets."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Candidate:
    """An endpoint URL to try and why it is a candidate (shown when nothing answers)."""

    url: str
    why: str


def _known_sockets(home: Path, env: Mapping[str, str]) -> list[tuple[Path, str]]:
    runtime_dir = Path(env.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}"))
    return [
        (Path("/var/run/docker.sock"), "the standard Docker socket"),
        (home / ".docker/run/docker.sock", "Docker Desktop"),
        (home / ".colima/default/docker.sock", "Colima"),
        (home / ".colima/docker.sock", "Colima (older layout)"),
        (home / ".orbstack/run/docker.sock", "OrbStack"),
        (home / ".rd/docker.sock", "Rancher Desktop"),
        (runtime_dir / "podman/podman.sock", "Podman (rootless)"),
        (Path("/run/podman/podman.sock"), "Podman"),
    ]


def known_sockets(env: Mapping[str, str], home: Path) -> list[str]:
    """The well-known socket paths consulted after DOCKER_HOST and the docker context, as `path (who)`."""
    return [f"{path} ({name})" for path, name in _known_sockets(home, env)]


def candidates(env: Mapping[str, str], home: Path) -> list[Candidate]:
    """Endpoints in the order the docker CLI itself would consult them, then the well-known sockets."""
    if env.get("DOCKER_HOST"):
        return [Candidate(env["DOCKER_HOST"], "DOCKER_HOST is set")]
    found: list[Candidate] = []
    context = _context_endpoint(env, home)
    if context is not None:
        found.append(context)
    for path, name in _known_sockets(home, env):
        url = f"unix://{path}"
        if path.exists() and all(c.url != url for c in found):
            found.append(Candidate(url, name))
    return found


def _context_endpoint(env: Mapping[str, str], home: Path) -> Candidate | None:
    config_dir = Path(env.get("DOCKER_CONFIG", str(home / ".docker")))
    name = env.get("DOCKER_CONTEXT") or _current_context(config_dir)
    if not name or name == "default":
        return None
    # The CLI stores each context's metadata under the SHA-256 of its name.
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    try:
        host = json.loads(meta.read_text(encoding="utf-8"))["Endpoints"]["docker"]["Host"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Candidate(str(host), f"the active docker context {name!r}") if host else None


def _current_context(config_dir: Path) -> str | None:
    try:
        data = json.loads((config_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("currentContext") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
