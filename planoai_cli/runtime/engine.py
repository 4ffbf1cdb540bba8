"""Connecting to a Docker engine: try each candidate endpoint, say what was tried when none answers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from docker.client import DockerClient
from docker.errors import DockerException

from planoai_cli.errors import DockerUnavailable
from planoai_cli.runtime import container, image
from planoai_cli.runtime.endpoint import Candidate, candidates, known_sockets

if TYPE_CHECKING:
    from planoai_cli.runtime.bridge import BridgeAddress
    from planoai_cli.runtime.container import ContainerSpec, Handle
    from planoai_cli.runtime.image import ImageInfo, PullPolicy, PullProgress

CONNECT_TIMEOUT = 5.0
API_TIMEOUT = 60.0


@dataclass(frozen=True)
class Engine:
    """A connected engine (which endpoint it is and why it was chosen, and its version): the only way in to its
    containers and images. It hands out handles and frozen values; the docker-py client stays inside the runtime."""

    _client: DockerClient = field(repr=False)
    endpoint: Candidate
    version: str
    api_version: str

    def close(self) -> None:
        self._client.close()

    def find(self, project: str) -> Handle | None:
        """The project's container (running or not), found by label alone: no state file."""
        return container.find(self._client, project)

    def handles(self) -> list[Handle]:
        """Every planoai-managed container, running or not."""
        return container.find_all(self._client)

    def create(self, spec: ContainerSpec) -> Handle:
        """Create (not start) the container; secrets travel in the API request body only."""
        return container.create(self._client, spec)

    def ensure_image(
        self, reference: str, policy: PullPolicy, on_pull: Callable[[PullProgress], None] | None = None
    ) -> ImageInfo:
        """Make sure `reference` is available locally according to `policy` (pulling it, with progress)."""
        return image.ensure_image(self._client, reference, policy, on_pull)

    def image_id(self, reference: str) -> str | None:
        """The id of `reference` when it is present locally, else None; never pulls."""
        return image.local_image_id(self._client, reference)

    def build(
        self, *, base: str, tag: str, labels: dict[str, str], on_line: Callable[[str], None] | None = None
    ) -> str:
        """Build the derived gateway image FROM `base` as `tag`; returns the image id."""
        from planoai_cli.runtime.build import build_image

        return build_image(self._client, base=base, tag=tag, labels=labels, on_line=on_line)

    def host_address(self, probe_image: str | None = None) -> BridgeAddress:
        """The host's address on the default bridge (`probe_image`: present, to ask a container as a last resort)."""
        from planoai_cli.runtime.bridge import host_address

        return host_address(self._client, probe_image)


@contextmanager
def session(env: Mapping[str, str] | None = None) -> Iterator[Engine]:
    """A connected engine for the length of a `with` block (its connections are closed afterwards)."""
    engine = connect(env)
    try:
        yield engine
    finally:
        engine.close()


def connect(env: Mapping[str, str] | None = None, home: Path | None = None) -> Engine:
    """The first candidate endpoint that answers a ping; DockerUnavailable lists every attempt."""
    env = os.environ if env is None else env
    home = home or Path.home()
    attempts: list[tuple[Candidate, str]] = []
    for candidate in candidates(env, home):
        try:
            return _open(candidate)
        except DockerUnavailable as e:
            attempts.append((candidate, e.message))
    raise _none_answered(attempts, env, home)


def _none_answered(attempts: list[tuple[Candidate, str]], env: Mapping[str, str], home: Path) -> DockerUnavailable:
    if attempts:
        message = "no Docker engine answered:\n" + "\n".join(f"  {c.url} ({c.why}): {why}" for c, why in attempts)
    else:
        message = (
            "no Docker engine found: DOCKER_HOST is not set, no docker context names an endpoint, and "
            "none of these sockets exists:\n" + "\n".join(f"  {s}" for s in known_sockets(env, home))
        )
    if env.get("DOCKER_HOST"):
        # DOCKER_HOST overrides everything else (as for the docker CLI), so suggesting to set it would not help.
        hint = (
            f"DOCKER_HOST={env['DOCKER_HOST']} takes precedence over the docker context and the usual sockets: "
            "point it at a running engine, or unset it"
        )
    else:
        hint = (
            "start Docker (Docker Desktop, Colima, OrbStack, Rancher Desktop, Podman or dockerd), or set "
            "DOCKER_HOST to its socket, e.g. DOCKER_HOST=unix:///var/run/docker.sock"
        )
    error = DockerUnavailable(message, hint=hint)
    error.attempts = tuple((c.url, c.why, reason) for c, reason in attempts)
    return error


def _open(candidate: Candidate) -> Engine:
    # docker-py leaks its socket when a unix socket path is missing; checking first also gives a clearer reason.
    if candidate.url.startswith("unix://") and not Path(candidate.url.removeprefix("unix://")).exists():
        raise DockerUnavailable("no socket at that path")
    client: DockerClient | None = None
    try:
        client = DockerClient(base_url=candidate.url, timeout=int(CONNECT_TIMEOUT))
        info = client.version()
    except (DockerException, OSError) as e:
        if client is not None:
            client.close()
        # OSError: a socket path that exists but is not a server
        raise DockerUnavailable(_reason(e) if isinstance(e, DockerException) else e.strerror or str(e)) from e
    client.api.timeout = API_TIMEOUT
    return Engine(client, candidate, str(info.get("Version", "?")), str(info.get("ApiVersion", "?")))


def _reason(error: Exception) -> str:
    text = str(error)
    if "Permission denied" in text:
        return "permission denied (add your user to the docker group, or use sudo)"
    if "No such file" in text or "FileNotFoundError" in text:
        return "no socket at that path"
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return f"no answer within {CONNECT_TIMEOUT:g}s"
    return text.splitlines()[0][:200] if text else type(error).__name__
