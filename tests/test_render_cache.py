"""The render caches (compiled templates, rendered texts): the same files either way; a cache that fails is a miss."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.render import Rendered, engine, memo, render
from planoai_cli.resources import data_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    engine._templates.cache_clear()
    yield folder / "planoai" / "templates"
    engine._templates.cache_clear()


def _render(path: Path = REPO / "examples" / "listeners" / "model.yaml") -> Rendered:
    text = path.read_text(encoding="utf-8")
    return render(validate_raw(raw_from_text(Path(path.name), text)).config)


def _forget_rendered_texts(templates: Path) -> None:
    """Drop the rendered-text cache, so the next render runs the (compiled) templates again."""
    shutil.rmtree(templates.parent / "renders", ignore_errors=True)


def _files(rendered: Rendered) -> tuple[str, str]:
    return rendered.envoy_yaml, rendered.plano_config


def test_a_second_process_renders_the_same_files_from_the_cache(cache: Path) -> None:
    first = _files(_render())
    kept = sorted(cache.iterdir())
    assert kept
    assert all(path.stat().st_mode & 0o077 == 0 for path in [cache, *kept])
    engine._templates.cache_clear()  # as a new process would
    _forget_rendered_texts(cache)
    assert _files(_render()) == first
    assert sorted(cache.iterdir()) == kept


def test_a_damaged_cache_file_is_compiled_again(cache: Path) -> None:
    first = _files(_render())
    for path in cache.iterdir():
        path.write_bytes(b"not jinja bytecode")
    engine._templates.cache_clear()
    _forget_rendered_texts(cache)
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


# --- rendered texts -----------------------------------------------------------------------------------------------

CONFIGS = sorted([*REPO.glob("examples/**/*.yaml"), *REPO.glob("planoai_cli/init/templates/*.yaml")])


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_a_kept_text_is_the_rendered_text_byte_for_byte(
    config: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _render(config).envoy_yaml  # rendered, and kept
    (kept,) = (cache.parent / "renders").iterdir()
    assert _render(config).envoy_yaml == first  # from the cache
    kept.write_text("0\nnot what was rendered", encoding="utf-8")
    assert _render(config).envoy_yaml == first  # a damaged file is rendered again
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # no cache at all
    engine._templates.cache_clear()
    assert _render(config).envoy_yaml == first


def test_an_unchanged_config_renders_without_loading_jinja(cache: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from planoai_cli.pipeline import validate_file, render_validated; "
        "render_validated(validate_file(Path(sys.argv[1]), Path('.'))); print('jinja2' in sys.modules)"
    )
    config = str(REPO / "examples" / "listeners" / "model.yaml")
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    runs = [
        subprocess.run([sys.executable, "-c", script, config], env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert [r.stdout.strip() for r in runs] == ["True", "False"]


def test_the_key_is_the_same_in_every_process() -> None:
    # A set anywhere in the render context would print in a per-process order: every render a miss.
    script = (
        "from pathlib import Path; from planoai_cli.pipeline import validate_file; from planoai_cli.render import "
        "core, memo; import planoai_cli.render.core as c; "
        "c.memoized = lambda t, ctx, r: print(memo.key(t, ctx)) or r(); "
        "[core.render(validate_file(p, Path('.')).config) for p in sorted(Path('examples').rglob('*.yaml'))]"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(keys) == 1
    assert len(next(iter(keys)).split()) == len(list((REPO / "examples").rglob("*.yaml")))


def test_the_key_covers_the_templates_and_the_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    templates = tmp_path / "envoy_templates"
    shutil.copytree(data_dir("envoy_templates"), templates)
    monkeypatch.setattr(memo, "data_dir", lambda _name: templates)
    memo._sources.cache_clear()
    before = memo.key("envoy.yaml.j2", ("a", 1))
    assert memo.key("envoy.yaml.j2", ("a", 2)) != before
    assert memo.key("other.j2", ("a", 1)) != before
    route = templates / "route.yaml.j2"
    route.write_text(route.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    memo._sources.cache_clear()
    assert memo.key("envoy.yaml.j2", ("a", 1)) != before
    memo._sources.cache_clear()


def test_only_the_most_recently_used_texts_are_kept(cache: Path) -> None:
    renders = cache.parent / "renders"
    for n in range(memo.KEEP + 5):
        text = f"text {n}\n"
        assert memo.rendered("t", n, functools.partial(str, text)) == text
        (written,) = [p for p in renders.iterdir() if p.read_text(encoding="utf-8").endswith(text)]
        os.utime(written, ns=(n * 10**9, n * 10**9))  # one second apart, whatever the clock's resolution
    kept = sorted(p.read_text(encoding="utf-8").split("\n", 1)[1] for p in renders.iterdir())
    assert kept == sorted(f"text {n}\n" for n in range(5, memo.KEEP + 5))
    assert memo.rendered("t", 3, functools.partial(str, "rendered again\n")) == "rendered again\n"  # dropped
    assert memo.rendered("t", 7, functools.partial(str, "not asked\n")) == "text 7\n"  # kept


def test_a_cache_folder_that_cannot_be_made_renders_anyway(cache: Path) -> None:
    renders = cache.parent / "renders"
    renders.parent.mkdir(parents=True)
    renders.write_text("", encoding="utf-8")  # a file where the folder would be
    assert memo.rendered("t", "x", functools.partial(str, "text\n")) == "text\n"
    assert memo.rendered("t", "x", functools.partial(str, "again\n")) == "again\n"  # nothing was kept
