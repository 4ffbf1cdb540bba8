"""supervisord/wake.py: supervisord's loop is woken at start and by every signal; the gateway runs under it."""

from __future__ import annotations

import importlib.util
import os
import select
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from docker.client import DockerClient

from tests.dockerfix import TEST_LABELS

REPO = Path(__file__).resolve().parent.parent
SUPERVISORD = REPO / "supervisord"
RENDERED = REPO / "tests" / "golden" / "example-model"  # envoy.yaml and plano_config_rendered.yaml


def _wake() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wake", SUPERVISORD / "wake.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


class Events(ModuleType):
    """Stand-in for supervisor.events: subscribe and notify, as supervisord's own module does."""

    class Event:
        pass

    def __init__(self) -> None:
        super().__init__("supervisor.events")
        self.callbacks: list[tuple[type, Any]] = []

    def subscribe(self, kind: type, callback: Any) -> None:
        self.callbacks.append((kind, callback))

    def notify(self, event: object) -> None:
        for kind, callback in self.callbacks:
            if isinstance(event, kind):
                callback(event)


@pytest.fixture
def supervisord(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, dict[int, Any], Any]]:
    """The plugin and a stand-in for supervisord's socket map and events; the signal wake-up fd is restored after."""
    wake = _wake()
    sockets: dict[int, Any] = {}
    events = Events()
    package = ModuleType("supervisor")
    package.events = events  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "supervisor", package)
    monkeypatch.setitem(sys.modules, "supervisor.events", events)
    monkeypatch.setattr(wake, "HERE", "/etc/plano/supervisord")
    previous = signal.signal(signal.SIGUSR1, lambda *_: None)
    try:
        yield wake, sockets, SimpleNamespace(options=SimpleNamespace(get_socket_map=lambda: sockets), events=events)
    finally:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGUSR1, previous)
        for waker in sockets.values():
            os.close(waker.fd)


def test_the_loop_wakes_at_once_and_after_every_signal(supervisord: tuple[ModuleType, dict[int, Any], Any]) -> None:
    wake, sockets, fake = supervisord
    wake.make(fake)
    ((fd, waker),) = sockets.items()
    assert (waker.readable(), waker.writable()) == (True, False)
    assert _readable(fd)  # the first poll returns at once
    waker.handle_read_event()
    assert not _readable(fd)
    os.kill(os.getpid(), signal.SIGUSR1)
    os.kill(os.getpid(), signal.SIGUSR1)
    for _ in range(2):  # one byte per round: a second signal keeps the next round awake too
        assert _readable(fd)
        waker.handle_read_event()
    assert not _readable(fd)


def test_every_event_wakes_the_next_round(supervisord: tuple[ModuleType, dict[int, Any], Any]) -> None:
    # An event emitted while a round reaps (a program's exit) reaches its listeners in the next round only.
    wake, sockets, fake = supervisord
    wake.make(fake)
    ((fd, waker),) = sockets.items()
    waker.handle_read_event()
    assert not _readable(fd)
    fake.events.notify(Events.Event())
    assert _readable(fd)


def test_a_reload_replaces_the_waker(supervisord: tuple[ModuleType, dict[int, Any], Any]) -> None:
    wake, sockets, fake = supervisord
    wake.make(fake)
    (first,) = sockets.values()
    wake.make(fake)
    (second,) = sockets.values()
    assert second is not first
    os.close(first.fd)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("/etc/plano/supervisord", None),
        ("/etc/plano/supervisord:/opt/supervisor", "/opt/supervisor"),
        ("/opt/supervisor:/etc/plano/supervisord:/x", "/opt/supervisor:/x"),
    ],
)
def test_the_programs_get_the_pythonpath_they_always_had(
    before: str, after: str | None, supervisord: tuple[ModuleType, dict[int, Any], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    wake, _, fake = supervisord
    monkeypatch.setenv("PYTHONPATH", before)
    wake.make(fake)
    assert os.environ.get("PYTHONPATH") == after


def test_a_gateway_container_runs_its_programs_under_the_plugin_and_stops_them(
    docker_client: DockerClient, testbed_image: str
) -> None:
    container = docker_client.containers.run(
        testbed_image,
        entrypoint=["/bin/sh", "/etc/plano/supervisord/start.sh"],
        detach=True,
        labels=TEST_LABELS,
        tmpfs={"/run/plano": "rw,mode=0700"},
        environment={"LOG_LEVEL": "info"},
        volumes={
            str(SUPERVISORD): {"bind": "/etc/plano/supervisord", "mode": "ro"},
            str(RENDERED): {"bind": "/etc/plano/rendered", "mode": "ro"},
        },
    )
    try:
        deadline = time.monotonic() + 30
        while "stand-in listening" not in (logs := container.logs().decode()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "RPC interface 'wake' initialized" in logs
        assert "CRIT" not in logs  # the control socket has a password: no warning about it
        container.reload()
        assert container.status == "running", logs
        container.stop(timeout=10)
        logs = container.logs().decode()
        assert "received SIGTERM indicating exit request" in logs
        assert "exited:" not in logs
        for program in ("envoy", "brightstaff", "access", "stop-on-exit"):
            assert f"stopped: {program}" in logs
    finally:
        container.remove(force=True)
