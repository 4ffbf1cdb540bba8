"""Health waits against real HTTP servers: success, retries, hangs, refusals, container death, deadlines."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from planoai_cli.errors import ContainerFailed, HealthTimeout
from planoai_cli.health import Probe, probe_all, wait_healthy
from tests.httpserver import hang, serve, status


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthy_after_a_few_failures() -> None:
    with serve([status(503), status(503), status(200)]) as (url, seen):
        report = wait_healthy([Probe("model", f"{url}/healthz")], timeout=5, interval=0.01)
    assert [o.status for o in report.observations] == [200]
    assert seen == ["/healthz"] * 3
    assert report.rounds == 3


def test_every_probe_must_pass_and_healthy_ones_are_not_asked_again() -> None:
    with serve([status(200)]) as (good, good_seen), serve([status(500), status(200)]) as (slow, _):
        report = wait_healthy([Probe("a", f"{good}/healthz"), Probe("b", f"{slow}/healthz")], timeout=5, interval=0.01)
    assert all(o.ok for o in report.observations)
    assert good_seen == ["/healthz"]


def test_timeout_names_each_failing_listener_and_its_last_answer() -> None:
    port = _closed_port()
    with serve([status(503)]) as (url, _):
        start = time.monotonic()
        with pytest.raises(HealthTimeout) as caught:
            wait_healthy(
                [Probe("model", f"{url}/healthz"), Probe("agent", f"http://127.0.0.1:{port}/healthz")],
                timeout=0.5,
                interval=0.05,
            )
        elapsed = time.monotonic() - start
    assert "model (" in caught.value.message
    assert "HTTP 503" in caught.value.message
    assert "agent (" in caught.value.message
    assert "connection refused" in caught.value.message
    assert elapsed < 2.0


def test_a_hanging_listener_cannot_outlive_the_deadline() -> None:
    with serve([hang(5)]) as (url, _):
        start = time.monotonic()
        with pytest.raises(HealthTimeout, match="no answer within"):
            wait_healthy([Probe("model", f"{url}/healthz")], timeout=0.6, request_timeout=10)
        assert time.monotonic() - start < 1.5


def test_a_dead_container_fails_the_wait_at_once() -> None:
    calls = []

    def check() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise ContainerFailed("the container exited")

    with serve([status(503)]) as (url, _):
        start = time.monotonic()
        with pytest.raises(ContainerFailed):
            wait_healthy([Probe("model", f"{url}/healthz")], timeout=30, check=check, interval=0.01)
    assert time.monotonic() - start < 2
    assert len(calls) == 2


def test_progress_is_reported_every_round() -> None:
    rounds: list[tuple[bool, ...]] = []
    with serve([status(500), status(200)]) as (url, _):
        wait_healthy(
            [Probe("m", f"{url}/healthz")],
            timeout=5,
            interval=0.01,
            on_round=lambda obs: rounds.append(tuple(o.ok for o in obs)),
        )
    assert rounds == [(False,), (True,)]


def test_probing_does_not_load_httpxs_command_line_tool() -> None:
    # up imports httpx while the container boots on the same cores; httpx's own CLI would bring rich and pygments.
    script = (
        "import sys; from planoai_cli.health import Probe, probe_all; "
        "probe_all([Probe('x', 'http://127.0.0.1:9/healthz')], 0.5); "
        "print(sorted(m for m in ('httpx', 'rich', 'pygments') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['httpx']"]


@pytest.mark.parametrize(("code", "ok"), [(200, True), (404, True), (499, True), (502, False), (503, False)])
def test_a_service_behind_the_proxy_is_up_when_it_answers_anything_but_a_5xx(code: int, ok: bool) -> None:
    # Brightstaff through Envoy: a 404 is Brightstaff's own answer (a build without the route), a 503 is Envoy's.
    with serve([status(code)]) as (url, _):
        (seen,) = probe_all([Probe("brightstaff", f"{url}/v1/models", behind_proxy=True)], 2.0)
        (listener,) = probe_all([Probe("listener", f"{url}/healthz")], 2.0)
    assert seen.ok is ok
    assert listener.ok is (code == 200)
