"""Compiled templates kept in the cache folder: the same files either way, and a cache that fails is only a miss."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.render import Rendered, engine, render

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    engine._templates.cache_clear()
    yield folder / "planoai" / "templates"
    engine._templates.cache_clear()


def _render() -> Rendered:
    text = (REPO / "examples" / "listeners" / "model.yaml").read_text(encoding="utf-8")
    return render(validate_raw(raw_from_text(Path("model.yaml"), text)).config)


def _files(rendered: Rendered) -> tuple[str, str]:
    return rendered.envoy_yaml, rendered.plano_config


def test_a_second_process_renders_the_same_files_from_the_cache(cache: Path) -> None:
    first = _files(_render())
    kept = sorted(cache.iterdir())
    assert kept
    assert all(path.stat().st_mode & 0o077 == 0 for path in [cache, *kept])
    engine._templates.cache_clear()  # as a new process would
    assert _files(_render()) == first
    assert sorted(cache.iterdir()) == kept


def test_a_damaged_cache_file_is_compiled_again(cache: Path) -> None:
    first = _files(_render())
    for path in cache.iterdir():
        path.write_bytes(b"not jinja bytecode")
    engine._templates.cache_clear()
    assert _files(_render()) == first


def test_a_cache_folder_that_cannot_be_made_means_no_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    engine._templates.cache_clear()
    assert engine._templates().bytecode_cache is None
    assert _render().envoy_yaml


def test_a_cache_folder_that_cannot_be_written_is_only_a_miss(cache: Path) -> None:
    engine._templates()
    cache.rmdir()  # gone between the environment's start and the first write
    assert _render().envoy_yaml
    assert not cache.exists()
