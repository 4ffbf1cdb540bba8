"""`planoai build`: the derived image (production base + our supervisord config) through the Engine API."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from docker.client import DockerClient
from docker.errors import APIError, BuildError, DockerException

from planoai_cli.errors import ImageUnavailable
from planoai_cli.resources import data_dir


def build_image(
    client: DockerClient, *, base: str, tag: str, labels: dict[str, str], on_line: Callable[[str], None] | None = None
) -> str:
    """Build docker/Dockerfile FROM `base` as `tag`; returns the image id. The base must exist or be pullable."""
    with tempfile.TemporaryDirectory(prefix="planoai-build-") as context:
        root = Path(context)
        shutil.copy(data_dir("docker") / "Dockerfile", root / "Dockerfile")
        shutil.copytree(data_dir("supervisord"), root / "supervisord")
        try:
            image, output = client.images.build(
                path=str(root), tag=tag, buildargs={"BASE": base}, labels=labels, rm=True, forcerm=True, pull=False
            )
        except BuildError as e:
            raise ImageUnavailable(
                f"building {tag} from {base} failed: {e.msg}",
                hint="check that the base image exists locally (docker images) or can be pulled; "
                "offline, build on the testbed: planoai build --base planoai-testbed:latest",
            ) from e
        except (APIError, DockerException) as e:
            raise ImageUnavailable(f"building {tag} from {base} failed: {e}") from e
        for chunk in output:
            text = chunk.get("stream", "").rstrip() if isinstance(chunk, dict) else ""
            if text and on_line is not None:
                on_line(text)
    return str(image.id)
