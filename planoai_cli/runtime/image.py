"""The gateway image: use it when present, pull it (with progress) when the policy allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from docker.client import DockerClient
from docker.errors import APIError, DockerException, ImageNotFound

from planoai_cli.errors import ImageUnavailable

PullPolicy = Literal["missing", "always", "never"]
TESTBED_HINT = (
    "no registry reachable? build the offline testbed with docker/testbed/build.sh and run "
    "planoai up --image planoai-testbed:latest"
)


@dataclass(frozen=True)
class PullProgress:
    """One progress event of a pull: the layer, its status, and bytes done/total when known."""

    layer: str
    status: str
    current: int | None
    total: int | None


@dataclass(frozen=True)
class ImageInfo:
    """The image that will run: its reference, id and whether it was pulled just now."""

    reference: str
    image_id: str
    pulled: bool


def ensure_image(
    client: DockerClient, reference: str, policy: PullPolicy, progress: Callable[[PullProgress], None] | None = None
) -> ImageInfo:
    """Make sure `reference` is available locally according to `policy`."""
    present = local_image_id(client, reference)
    if present and policy != "always":
        return ImageInfo(reference, present, pulled=False)
    if policy == "never":
        raise ImageUnavailable(
            f"image {reference} is not present and --pull never forbids pulling it",
            hint=f"pull it yourself (docker pull {reference}), or: {TESTBED_HINT}",
        )
    _pull(client, reference, progress)
    pulled = local_image_id(client, reference)
    if not pulled:
        raise ImageUnavailable(f"pulling {reference} finished but the image is not there", hint=TESTBED_HINT)
    return ImageInfo(reference, pulled, pulled=True)


def local_image_id(client: DockerClient, reference: str) -> str | None:
    """The id of `reference` when it is present locally, else None."""
    try:
        return str(client.images.get(reference).id)
    except ImageNotFound:
        return None
    except DockerException as e:
        raise ImageUnavailable(f"cannot inspect image {reference}: {e}") from e


def _pull(client: DockerClient, reference: str, progress: Callable[[PullProgress], None] | None) -> None:
    repository, tag = _split(reference)
    try:
        for event in client.api.pull(repository, tag=tag, stream=True, decode=True):
            _report(event, reference, progress)
    except (APIError, DockerException) as e:
        raise ImageUnavailable(f"cannot pull {reference}: {_first_line(e)}", hint=TESTBED_HINT) from e


def _report(event: dict[str, Any], reference: str, progress: Callable[[PullProgress], None] | None) -> None:
    if "error" in event:
        raise ImageUnavailable(f"cannot pull {reference}: {event['error']}", hint=TESTBED_HINT)
    if progress is None:
        return
    detail = event.get("progressDetail") or {}
    progress(
        PullProgress(str(event.get("id", "")), str(event.get("status", "")), detail.get("current"), detail.get("total"))
    )


def _split(reference: str) -> tuple[str, str | None]:
    name, _, digest = reference.partition("@")
    if digest:
        return name, digest
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, "latest"


def _first_line(error: Exception) -> str:
    # An APIError's str() leads with the engine's URL; its explanation is the engine's own reason.
    explanation = error.explanation if isinstance(error, APIError) else None
    text = str(explanation or error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
