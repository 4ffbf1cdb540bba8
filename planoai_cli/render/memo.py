"""Rendered envoy.yaml texts kept on disk, keyed by all the output depends on: an unchanged config skips Jinja.

Loading Jinja and running the template is most of what `render` and `up` add to `validate` (about 25 ms of 60). The
template's output is a function of its input (the EnvoyContext, a tree of frozen records whose repr spells out every
value), of the template sources, of the Python the templates call (this package's render/ modules) and of Jinja
itself, so the key hashes exactly those. A file that cannot be read or written is only a miss; the folder keeps the
most recently used texts and drops the rest.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

from planoai_cli import __version__
from planoai_cli.resources import data_dir

KEEP = 64  # rendered texts kept; each is one config's envoy.yaml (tens of kB)
SUFFIX = ".envoy.yaml"


def cache_folder(name: str) -> Path | None:
    """`$XDG_CACHE_HOME/planoai/NAME` (else ~/.cache/planoai/NAME), made private; None when it cannot be made."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "planoai" / name
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return None
    return folder


def rendered(template: str, context: object, render: Callable[[], str]) -> str:
    """The text `render()` returns for `template` and `context`: from the cache when it holds it, else rendered now."""
    folder = cache_folder("renders")
    if folder is None:
        return render()
    path = folder / f"{key(template, context)}{SUFFIX}"
    kept = _read(path)
    if kept is not None:
        return kept
    text = render()
    _keep(folder, path, text)
    return text


def _read(path: Path) -> str | None:
    """The kept text, when the file holds one whole (its first line is the sha256 of the rest)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:  # newline="": the text exactly as written
            stored = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    check, _, text = stored.partition("\n")
    if hashlib.sha256(text.encode()).hexdigest() != check:
        return None  # damaged or written by something else: rendered again, and replaced
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when older texts are dropped
    return text


def key(template: str, context: object) -> str:
    """sha256 over the sources the output depends on, the template's name and the context's full repr."""
    digest = hashlib.sha256(_sources())
    digest.update(f"\0{template}\0{context!r}".encode())
    return digest.hexdigest()


@functools.cache
def _sources() -> bytes:
    """This CLI's version, every template, every render module, and Jinja's installed files (path, size, time)."""
    digest = hashlib.sha256(__version__.encode())
    render_dir = Path(__file__).parent
    for path in [*sorted(data_dir("envoy_templates").glob("*.j2")), *sorted(render_dir.glob("*.py"))]:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    spec = find_spec("jinja2")  # found, not imported
    if spec is not None and spec.origin is not None:
        jinja = Path(spec.origin).parent
        for path in sorted(jinja.glob("*.py")):
            stat = path.stat()
            digest.update(f"\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.digest()


def _keep(folder: Path, path: Path, text: str) -> None:
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(f"{hashlib.sha256(text.encode()).hexdigest()}\n{text}")
        os.replace(temporary, path)  # readers see the whole text or none
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return
    _drop_oldest(folder)


def _drop_oldest(folder: Path) -> None:
    with contextlib.suppress(OSError):
        kept = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for stale in kept[KEEP:]:
            stale.unlink(missing_ok=True)
