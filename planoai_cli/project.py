"""Project identity: the name that labels a project's container, and where its rendered files live."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from planoai_cli.errors import UsageError

_VALID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def project_name(explicit: str | None, config_path: Path) -> str:
    """`--project-name`, or the config's folder name made safe for container names."""
    if explicit is not None:
        if not _VALID.match(explicit):
            raise UsageError(
                f"invalid --project-name {explicit!r}",
                hint="use lowercase letters, digits, '_', '.' and '-', starting with a letter or digit",
            )
        return explicit
    folder = config_path.resolve().parent.name.lower()
    cleaned = re.sub(r"[^a-z0-9_.-]+", "-", folder).strip("-._") or "default"
    return cleaned[:63]


def container_name(project: str) -> str:
    return f"plano-{project}"


def state_dir(project: str, env: Mapping[str, str] | None = None) -> Path:
    """Where the rendered files for a project's container are kept while it runs."""
    env = os.environ if env is None else env
    base = Path(env.get("XDG_STATE_HOME") or Path(env.get("HOME", "~")).expanduser() / ".local" / "state")
    return base / "planoai" / project


def content_hash(*texts: str) -> str:
    import hashlib  # only `up` and the commands that compare a gateway's config need it

    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]
