"""Real filesystems that refuse writes, for the safe-writer tests: a tiny tmpfs (a full disk), a read-only mount,
an immutable folder, and a child process with a file-size limit or without root's permission override.

Root ignores folder permissions, so an unwritable folder needs a mount or an attribute. Mounting needs root, which
.ci/run has; nothing here is ever skipped: without root these tests fail, saying why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGE = 4096


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail(
            "this test mounts a tmpfs or sets chattr +i, which needs root (as .ci/run runs the suite); run it with sudo"
        )


@contextmanager
def tmpfs(where: Path, *, pages: int = 16) -> Iterator[Path]:
    """A fresh tmpfs of `pages` pages at `where`, unmounted afterwards whatever happens."""
    require_root()
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={pages * PAGE},mode=0755", "planoai-test", str(where)],
        check=True,
        capture_output=True,
    )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def read_only(where: Path) -> None:
    """Remount the tmpfs at `where` read-only (its files stay readable)."""
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def fill(folder: Path, *, leave_pages: int) -> Path:
    """Fill the filesystem holding `folder` until `leave_pages` pages are free; returns the filler file."""
    info = os.statvfs(folder)
    filler = folder / "filler"
    filler.write_bytes(b"\0" * ((info.f_bavail - leave_pages) * info.f_frsize))
    assert os.statvfs(folder).f_bavail == leave_pages
    return filler


@contextmanager
def immutable(folder: Path) -> Iterator[Path]:
    """`chattr +i`: no entry can be created, renamed or removed in `folder`, not even by root."""
    require_root()
    subprocess.run(["chattr", "+i", str(folder)], check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=False, capture_output=True)


# The child limits itself, then runs the CLI as `python -m planoai_cli` would (no preexec_fn: pytest may have threads).
_CHILD = """
import resource, runpy, signal, sys
limit = {limit}
if limit is not None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG, not a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["planoai", *sys.argv[1:]]
runpy.run_module("planoai_cli", run_name="__main__", alter_sys=True)
"""
# Root minus the capabilities that bypass file permissions: a folder without write permission then refuses it too.
_NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def planoai_child(
    args: Sequence[str], *, cwd: Path, max_file_size: int | None = None, obey_permissions: bool = False
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process: that may not write files larger than `max_file_size` bytes, and/or that is
    subject to file permissions even when the tests run as root (`obey_permissions`)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    if max_file_size is not None:  # under `pytest --cov`, coverage could not write its data file past the limit
        env = {k: v for k, v in env.items() if not k.startswith("COVERAGE_")}
    prefix = _NO_OVERRIDE if obey_permissions and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-B", "-c", _CHILD.format(limit=max_file_size), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def listing(folder: Path) -> list[str]:
    """Every name in `folder`, hidden ones included, sorted (no temporary file may stay behind)."""
    return sorted(os.listdir(folder))
