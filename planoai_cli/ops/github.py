"""Step outputs for GitHub Actions: the endpoints of a healthy gateway, appended to the `$GITHUB_OUTPUT` file."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from planoai_cli.errors import PlanoError
from planoai_cli.ops.wait import Waited

ENV_VAR = "GITHUB_OUTPUT"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def output_pairs(waited: Waited) -> list[tuple[str, str]]:
    """`<type>_url` for the first listener of each type, `listener_<name>_url` for each, the admin URL, all as JSON."""
    pairs = [("project", waited.project), ("container", waited.container)]
    seen_types: set[str] = set()
    for endpoint in waited.endpoints:
        if endpoint.type not in seen_types:
            seen_types.add(endpoint.type)
            pairs.append((f"{endpoint.type}_url", endpoint.url))
    pairs += [(f"listener_{_UNSAFE.sub('_', e.name)}_url", e.url) for e in waited.endpoints]
    if waited.admin_url is not None:
        pairs.append(("admin_url", waited.admin_url))
    listed = [{"name": e.name, "type": e.type, "url": e.url} for e in waited.endpoints]
    pairs.append(("endpoints", json.dumps(listed, separators=(",", ":"))))
    return pairs


def format_outputs(pairs: Sequence[tuple[str, str]]) -> str:
    """GitHub's file format: `name=value`, or the delimiter form for a value that spans lines."""
    chunks = []
    for name, value in pairs:
        if "\n" in value or "\r" in value:
            delimiter = _delimiter(value)
            chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            chunks.append(f"{name}={value}\n")
    return "".join(chunks)


def _delimiter(value: str) -> str:
    # A random delimiter, as GitHub recommends, so that no value can end the block early.
    while True:
        candidate = f"ghadelimiter_{uuid.uuid4().hex}"
        if candidate not in value:
            return candidate


def append_outputs(path: Path, pairs: Sequence[tuple[str, str]]) -> None:
    """Append to the file the runner created (other steps' outputs in it stay)."""
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(format_outputs(pairs))
    except OSError as e:
        raise PlanoError(
            f"cannot write the step outputs to {path} (${ENV_VAR}): {e.strerror or e}",
            hint=f"unset {ENV_VAR} outside GitHub Actions",
        ) from e
