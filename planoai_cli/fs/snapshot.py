"""What a caller read from a file, kept so that a later write can check the file still holds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Snapshot:
    """A file's bytes as a caller read them (through symlinks); `data` is None when there was no file."""

    path: Path
    data: bytes | None = field(repr=False)

    @classmethod
    def read(cls, path: Path, *, missing_ok: bool = False) -> Snapshot:
        """Read `path` whole. Raises OSError (the caller knows what the file is for and says so); a missing
        file is a Snapshot without data when `missing_ok`."""
        try:
            return cls(path, path.read_bytes())
        except FileNotFoundError:
            if not missing_ok:
                raise
            return cls(path, None)

    @property
    def exists(self) -> bool:
        return self.data is not None

    @property
    def digest(self) -> str | None:
        return digest(self.data) if self.data is not None else None


def digest(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()
