"""Shared fixtures: a clean, colourless environment and a project folder builder."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from planoai_cli.cli import run

REPO = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.dockerfix"]


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C works as from a terminal, whoever started the run.

    A run started in the background without job control (`.ci/run &` in a script) inherits SIGINT ignored, and an
    ignored signal stays ignored across exec: every planoai process the tests interrupt would never hear its Ctrl-C
    and the test would wait on it. A handled signal resets to the default in a child, which Python then handles.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def _env_guard() -> Iterator[None]:
    """Fail a test that leaves environment changes behind (checked after monkeypatch has undone its own)."""
    before = _environment()
    yield
    assert _environment() == before, "a test leaked environment changes"


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


@pytest.fixture(autouse=True)
def _clean_env(_env_guard: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLANOAI_DEBUG", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write files into a fresh folder and return it."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        return root

    return make


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the real CLI entry (with its error handler) and return (exit code, stdout, stderr)."""

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke
