"""`planoai wait` on a real dockerd: healthy, timed out, not running, exited, and the GitHub step outputs."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docker.client import DockerClient
from docker.errors import NotFound
from docker.models.containers import Container

from planoai_cli.gateway.layout import Endpoint
from planoai_cli.ops.github import format_outputs, output_pairs
from planoai_cli.ops.wait import Waited
from tests.configs import GATEWAY
from tests.dockerfix import TEST_LABELS, bridge_gateway, free_port
from tests.httpserver import serve, status

Cli = Callable[..., tuple[int, str, str]]
MANAGED, PROJECT, ENDPOINTS = "org.planoai.managed", "org.planoai.project", "org.planoai.endpoints"


def discard(container: Container) -> None:
    """Remove a test container; another test session's finalizer may have removed it already."""
    with contextlib.suppress(NotFound):
        container.remove(force=True)


# --- the GitHub step outputs (pure) ------------------------------------------------------------------

WAITED = Waited(
    "demo",
    "plano-demo",
    (
        Endpoint("llm", "model", "http://127.0.0.1:12000"),
        Endpoint("llm 2", "model", "http://127.0.0.1:12002"),
        Endpoint("agents", "agent", "http://127.0.0.1:8001"),
    ),
    "http://127.0.0.1:19901",
    0.5,
    3,
)


def test_output_pairs_name_each_listener_and_the_first_of_each_type() -> None:
    endpoints = (
        '[{"name":"llm","type":"model","url":"http://127.0.0.1:12000"},'
        '{"name":"llm 2","type":"model","url":"http://127.0.0.1:12002"},'
        '{"name":"agents","type":"agent","url":"http://127.0.0.1:8001"}]'
    )
    assert output_pairs(WAITED) == [
        ("project", "demo"),
        ("container", "plano-demo"),
        ("model_url", "http://127.0.0.1:12000"),
        ("agent_url", "http://127.0.0.1:8001"),
        ("listener_llm_url", "http://127.0.0.1:12000"),
        ("listener_llm_2_url", "http://127.0.0.1:12002"),
        ("listener_agents_url", "http://127.0.0.1:8001"),
        ("admin_url", "http://127.0.0.1:19901"),
        ("endpoints", endpoints),
    ]


def test_format_outputs_uses_the_delimiter_form_only_for_values_spanning_lines() -> None:
    text = format_outputs([("a", "1"), ("b", "two\nlines")])
    first, second, body1, body2, end, after = text.split("\n")
    assert first == "a=1"
    assert second.startswith("b<<ghadelimiter_")
    delimiter = second.split("<<", 1)[1]
    assert (body1, body2, end, after) == ("two", "lines", delimiter, "")


# --- against a real engine ---------------------------------------------------------------------------


class Labelled:
    """Containers standing in for a project's gateway: the labels `up` writes, any command we like."""

    def __init__(self, client: DockerClient, image: str, name: str) -> None:
        self.client, self.image, self.name = client, image, name
        self.made: list[Container] = []

    def create(self, command: list[str], ports: list[int], *, start: bool = True) -> Container:
        layout = {
            "bind": "127.0.0.1",
            "admin_port": 19901,
            "listeners": [
                {"name": f"l{i}", "type": "model", "port": port, "health": "/healthz"} for i, port in enumerate(ports)
            ],
        }
        labels = {**TEST_LABELS, MANAGED: "1", PROJECT: self.name, ENDPOINTS: json.dumps(layout)}
        container = self.client.containers.create(self.image, entrypoint=command, labels=labels)
        self.made.append(container)
        if start:
            container.start()
        return container


@pytest.fixture
def labelled(docker_client: DockerClient, testbed_image: str, request: pytest.FixtureRequest) -> Iterator[Labelled]:
    made = Labelled(docker_client, testbed_image, f"w-{request.node.name.lower().replace('_', '-')[:40]}-{os.getpid()}")
    yield made
    for container in made.made:
        discard(container)


def test_healthy_after_a_503_prints_the_endpoints_and_writes_github_outputs(
    cli: Cli, labelled: Labelled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "github_output"
    outputs.write_text("earlier=kept\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    with serve([status(503), status(200)]) as (base, seen):
        port = int(base.rsplit(":", 1)[1])
        labelled.create(["sleep", "60"], [port])
        code, out, err = cli("wait", "--project-name", labelled.name, "--json", "--timeout", "20")
    assert code == 0, err
    result = json.loads(out)
    assert result["endpoints"] == [
        {
            "name": "l0",
            "type": "model",
            "url": f"http://127.0.0.1:{port}",
            "urls": [f"http://127.0.0.1:{port}"],
            "container_url": None,
        }
    ]
    assert result["published_addresses"] == ["127.0.0.1"]  # a label as an older planoai wrote it (`bind` only)
    assert (result["project"], result["container"], result["healthy"]) == (labelled.name, labelled.made[0].name, True)
    assert result["admin_url"] == "http://127.0.0.1:19901"
    # Round 1: the listener's 503, then Brightstaff through the model listener (200); round 2: the listener again.
    assert seen == ["/healthz", "/v1/models", "/healthz"]
    url = f"http://127.0.0.1:{port}"
    assert outputs.read_text(encoding="utf-8") == (
        f"earlier=kept\nproject={labelled.name}\ncontainer={labelled.made[0].name}\nmodel_url={url}\n"
        f"listener_l0_url={url}\nadmin_url=http://127.0.0.1:19901\n"
        f'endpoints=[{{"name":"l0","type":"model","url":"{url}"}}]\n'
    )


def test_not_running_exits_11_and_starts_nothing(cli: Cli, docker_client: DockerClient, tmp_path: Path) -> None:
    name = f"w-nothing-{os.getpid()}"
    code, out, err = cli("wait", "--project-name", name, "--timeout", "5")
    assert code == 11
    assert out == ""
    assert f"no gateway container for project '{name}'" in err
    assert docker_client.containers.list(all=True, filters={"label": f"{PROJECT}={name}"}) == []


def test_an_exited_container_exits_9_with_its_last_lines(cli: Cli, labelled: Labelled) -> None:
    container = labelled.create(["sh", "-c", "echo the-last-words; exit 3"], [free_port()])
    container.wait(timeout=30)
    start = time.monotonic()
    code, _, err = cli("wait", "--project-name", labelled.name, "--timeout", "30")
    assert code == 9
    assert time.monotonic() - start < 10
    assert "the gateway container exited (status exited, exit code 3)" in err
    assert "  | the-last-words" in err


def test_a_container_that_dies_during_the_wait_ends_it_at_once(cli: Cli, labelled: Labelled) -> None:
    labelled.create(["sh", "-c", "sleep 0.5; echo dying; exit 4"], [free_port()])
    start = time.monotonic()
    code, _, err = cli("wait", "--project-name", labelled.name, "--timeout", "60")
    assert code == 9, err
    assert time.monotonic() - start < 15  # far below the timeout: the state is read every round
    assert "exit code 4)" in err


def test_a_listener_that_never_answers_times_out_with_10(cli: Cli, labelled: Labelled) -> None:
    port = free_port()
    labelled.create(["sleep", "60"], [port])
    code, out, err = cli("wait", "--project-name", labelled.name, "--timeout", "0.5")
    assert code == 10
    assert out == ""
    assert f"model listener l0 (http://127.0.0.1:{port}/healthz): connection refused" in err
    assert "raise --timeout" in err


def test_a_created_but_not_started_container_is_waited_for_not_failed(cli: Cli, labelled: Labelled) -> None:
    labelled.create(["sleep", "60"], [free_port()], start=False)
    code, _, err = cli("wait", "--project-name", labelled.name, "--timeout", "0.3")
    assert code == 10, err


def test_a_container_without_the_endpoints_label_is_refused(
    cli: Cli, docker_client: DockerClient, testbed_image: str
) -> None:
    name = f"w-nolabel-{os.getpid()}"
    container = docker_client.containers.create(
        testbed_image, entrypoint=["sleep", "60"], labels={**TEST_LABELS, MANAGED: "1", PROJECT: name}
    )
    try:
        code, _, err = cli("wait", "--project-name", name)
    finally:
        discard(container)
    assert code == 1
    assert "does not record its endpoints (org.planoai.endpoints)" in err


def test_no_docker_engine_exits_6(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{free_port()}")
    code, _, err = cli("wait", "--project-name", "anything")
    assert code == 6
    assert "(DOCKER_HOST is set): connection refused" in err


def test_timeout_must_be_positive(cli: Cli) -> None:
    code, _, err = cli("wait", "--timeout", "0")
    assert code == 2
    assert "--timeout" in err


CONFIG = GATEWAY


def test_after_a_real_up_wait_finds_it_by_the_config_folder(
    cli: Cli, tmp_path: Path, docker_client: DockerClient, testbed_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / f"waitproj{os.getpid()}"
    folder.mkdir()
    port, admin = free_port(), free_port()
    # The provider is never called (nothing listens on port 9): wait only needs a healthy gateway.
    (folder / "config.yaml").write_text(CONFIG.format(port=port, mock_port=9), encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wait-0123456789abcdef")
    monkeypatch.chdir(folder)
    try:
        code, _, err = cli("up", "--image", testbed_image, "--pull", "never", "--admin-port", str(admin))
        assert code == 0, err
        code, out, err = cli("wait", "--timeout", "30")
        assert code == 0, err
        bridge = bridge_gateway()
        assert out.splitlines()[1:] == [
            f"  model  listener llm                  http://127.0.0.1:{port}",
            f"  admin  http://127.0.0.1:{admin}",
            f"containers on this host: http://host.docker.internal:{port} (published on {bridge})",
        ]
        assert out.startswith(f"gateway plano-{folder.name} is healthy")
    finally:
        for container in docker_client.containers.list(all=True, filters={"label": f"{PROJECT}={folder.name}"}):
            container.remove(force=True)
