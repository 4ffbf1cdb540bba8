"""Which file a write really replaces: the given path with every symlink followed (the link itself stays)."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from planoai_cli.errors import PlanoError


@dataclass(frozen=True)
class Target:
    """`given` is the name the user knows; `real` is the file replaced, in its own folder."""

    given: Path
    real: Path
    link: bool

    def shown(self) -> str:
        """The name for messages: `link.yaml (a link to /real/x.yaml)` when it goes through a link."""
        return f"{self.given} (a link to {self.real})" if self.link else str(self.given)


def locate(path: Path) -> Target:
    """The file behind `path`. Raises PlanoError for a dangling link or a link loop (nothing is written there:
    creating the missing target would put a file wherever the link happens to point)."""
    link = path.is_symlink()
    try:
        real = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        if link or _has_dangling_parent(path):
            raise _dangling(path) from None
        real = Path(os.path.realpath(path))
    except OSError as e:
        if e.errno != errno.ELOOP:  # e.g. a file where a folder should be: the write itself reports it
            return Target(path, Path(os.path.realpath(path)), link)
        raise PlanoError(
            f"{path} is a symbolic link that leads back to itself (a loop); nothing was written",
            hint=f"fix the link (ls -l {path}) or remove it",
        ) from e
    return Target(path, real, link)


def _has_dangling_parent(path: Path) -> bool:
    return any(parent.is_symlink() and not parent.exists() for parent in path.absolute().parents)


def _dangling(path: Path) -> PlanoError:
    link = next((p for p in (path, *path.absolute().parents) if p.is_symlink() and not p.exists()), path)
    where = os.readlink(link) if link.is_symlink() else "?"
    return PlanoError(
        f"{link} is a symbolic link to {where}, which does not exist; nothing was written",
        hint="point the link at an existing file, or remove the link to write a new file there",
    )
