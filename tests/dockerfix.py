"""Docker fixtures shared by the tests that need a real engine: the client, the testbed image, a mock provider.

Nothing here is ever skipped: without an engine these tests fail with a hint, so CI cannot pass by testing less.
Every container a test creates carries TEST_LABELS, and a session finalizer removes any that are left.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from docker.client import DockerClient
from docker.errors import DockerException, ImageNotFound, NotFound
from docker.models.containers import Container

from planoai_cli.errors import DockerUnavailable
from planoai_cli.runtime.engine import session

REPO = Path(__file__).resolve().parent.parent
TESTBED = REPO / "docker" / "testbed"
IMAGE = "planoai-testbed:latest"
# One value per test session, so a session cleaning up never removes another concurrent session's containers.
TEST_LABELS = {"org.planoai.test": f"session-{os.getpid()}"}
DOCKER_HINT = "start the engine with scripts/start-dockerd.sh (it installs docker.io and mmdebstrap when missing)"
# Token counts as OpenAI reports them; the testbed's stand-in Brightstaff puts them on its LLM spans.
USAGE = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17, "prompt_tokens_details": {"cached_tokens": 4}}
COMPLETION = {
    "id": "chatcmpl-testbed",
    "object": "chat.completion",
    "model": "gpt-4o",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hello from the mock"}, "finish_reason": "stop"}
    ],
    "usage": USAGE,
}
# The last event before [DONE] carries the usage, as OpenAI streams do with stream_options.include_usage.
STREAM_USAGE = {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}
STREAM = [
    b'data: {"choices": [{"delta": {"content": "hello"}}]}\n\n',
    b'data: {"choices": [], "usage": %s}\n\n' % json.dumps(STREAM_USAGE).encode(),
    b"data: [DONE]\n\n",
]


def chat(port: int, content: str = "hi", *, host: str = "127.0.0.1", model: str = "gpt-4o") -> tuple[int, Any]:
    """One chat completion through a gateway listener: the status and the decoded answer."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": content}]}).encode()
    request = urllib.request.Request(
        f"http://{host}:{port}/v1/chat/completions",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, json.loads(response.read())


def free_port() -> int:
    """A port nothing listens on right now (bound and released by the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bridge_gateway() -> str:
    """The host's address on the default Docker bridge (the product's own lookup, so tests and `up` agree)."""
    try:
        with session() as engine:
            return engine.host_address(probe_image=IMAGE).address
    except DockerUnavailable as e:
        pytest.fail(f"{e.message}\nhint: {e.hint}", pytrace=False)


# --- a real mock LLM provider in this process ------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request the mock provider received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class MockProvider(ThreadingHTTPServer):
    """An OpenAI-style provider answering every chat completion with COMPLETION (or STREAM) and recording it."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        # The bridge gateway, not loopback: a container reaches the host there (host.docker.internal), and
        # nothing outside this machine's Docker bridge can reach the mock.
        if host in ("", "0.0.0.0", "::"):
            raise ValueError(f"the mock provider binds one address, never every interface (got {host!r})")
        super().__init__((host, 0), MockHandler)
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    def find(self, marker: str) -> Seen:
        with self.lock:
            found = [s for s in self.seen if marker in json.dumps(s.body)]
        assert len(found) == 1, f"expected one request carrying {marker!r}, the mock saw {len(found)}"
        return found[0]


class MockHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        server: MockProvider = self.server  # type: ignore[assignment]
        with server.lock:
            server.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if body.get("stream"):
            self.stream()
            return
        data = json.dumps(COMPLETION).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def stream(self) -> None:
        """Server-sent events without a length, as providers stream completions."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in STREAM:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean; assertions inspect `seen` instead


# --- the docker marker -------------------------------------------------------------------------------

# A test that reaches the engine depends on one of these fixtures, directly or through another fixture (the
# exception, tests/test_doctor.py, whose command always asks the engine, marks its whole module).
DOCKER_FIXTURES = frozenset({"docker_client", "testbed_image", "mock_provider"})


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `docker` every test that uses a Docker fixture, so `-m "not docker"` can never reach the engine.

    The marker only selects; the default run still runs these tests, and they fail (never skip) without an engine.
    """
    for item in items:
        if DOCKER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_client() -> Iterator[DockerClient]:
    # Never skipped: a CI without Docker must go red, not quietly test less.
    try:
        client = DockerClient.from_env(timeout=60)
        client.ping()
    except DockerException as exc:
        pytest.fail(f"Docker is unreachable ({exc}); {DOCKER_HINT}", pytrace=False)
    from tests.swarmfix import leave_stale_swarm

    leave_stale_swarm(client)  # a swarm a crashed run of the swarm test left behind
    yield client
    for key, value in TEST_LABELS.items():
        remove_labelled(client, key, value)
    client.close()


@pytest.fixture(scope="session")
def testbed_image(docker_client: DockerClient) -> str:
    """The image, built by docker/testbed/build.sh when it is missing or was built from other inputs."""
    if _image_inputs(docker_client) != inputs_hash():
        build = subprocess.run(
            [str(TESTBED / "build.sh")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
            env={**os.environ, "PYTHON": sys.executable},
            check=False,
        )
        if build.returncode != 0:
            pytest.fail(f"docker/testbed/build.sh failed ({build.returncode}):\n{build.stdout[-4000:]}", pytrace=False)
    return IMAGE


def inputs_hash() -> str:
    return subprocess.run(
        [str(TESTBED / "build.sh"), "--print-inputs-hash"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()


def _image_inputs(client: DockerClient) -> str | None:
    try:
        labels: dict[str, str] = client.images.get(IMAGE).labels
    except ImageNotFound:
        return None
    return labels.get("org.planoai.testbed.inputs")


@pytest.fixture(scope="module")
def mock_provider(docker_client: DockerClient, testbed_image: str) -> Iterator[MockProvider]:
    # The testbed image lets the bridge lookup ask a container as its last resort.
    server = MockProvider(bridge_gateway())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def labelled(client: DockerClient, label: str, value: str) -> list[Container]:
    """Containers carrying `label=value`, tolerant of containers removed while listing."""
    found = []
    for item in client.containers.list(all=True, filters={"label": [f"{label}={value}"]}, sparse=True):
        try:
            found.append(client.containers.get(item.id))
        except NotFound:
            continue
    return found


def remove_labelled(client: DockerClient, label: str, value: str) -> None:
    for container in labelled(client, label, value):
        try:
            container.remove(force=True)
        except NotFound:
            continue
