"""`planoai export swarm` on a real single-node swarm: deploy 2 replicas, both healthy, requests served, a rolling
update after a config change, `docker stack rm`; the swarm is left at the end (tests/swarmfix.py).

This engine's kernel has no IPVS, so swarm's routing mesh (the ingress-published ports) cannot carry traffic here;
each replica is reached at its own address on the docker_gwbridge bridge (a local bridge of this machine) instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.client import DockerClient
from docker.models.containers import Container

from planoai_cli.export import compose
from tests.configs import GATEWAY
from tests.dockerfix import IMAGE, MockProvider, chat, free_port, labelled
from tests.swarmfix import GWBRIDGE, single_node_swarm

Cli = Callable[..., tuple[int, str, str]]
KEY = "sk-swarm-0123456789abcdef"
SERVICE_LABEL = "com.docker.swarm.service.name"
CONFIG = GATEWAY


def docker(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("docker")
    assert executable, "the docker CLI is needed for `docker stack deploy`"
    return subprocess.run([executable, *args], input=stdin, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def engine_swarm(docker_client: DockerClient) -> Iterator[None]:
    with single_node_swarm(docker_client, free_port()):
        yield


def tasks(client: DockerClient, service: str) -> list[Container]:
    return [c for c in labelled(client, SERVICE_LABEL, service) if c.status == "running"]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what} (last: {last})", pytrace=False)


def healthy_replicas(client: DockerClient, service: str, config_hash: str) -> list[Container] | None:
    found = tasks(client, service)
    ready = [
        c
        for c in found
        if c.attrs["State"].get("Health", {}).get("Status") == "healthy"
        and c.labels.get("org.planoai.config-hash") == config_hash
    ]
    return ready if len(ready) == 2 and len(found) == 2 else None


def bridge_addresses(client: DockerClient, replicas: list[Container]) -> list[str]:
    """Each replica's address on docker_gwbridge: a local bridge, so the request never leaves this machine."""
    attached = client.networks.get(GWBRIDGE).attrs["Containers"]
    return [attached[c.id]["IPv4Address"].split("/")[0] for c in replicas]


def reply(address: str, port: int, content: str) -> str:
    """The mock's answer to a chat sent to one replica."""
    return str(chat(port, content, host=address)[1]["choices"][0]["message"]["content"])


def export(cli: Cli, folder: Path, project: str) -> str:
    code, out, err = cli(
        "export",
        "swarm",
        str(folder / "config.yaml"),
        "--out",
        str(folder / "deploy"),
        "--project-name",
        project,
        "--image",
        IMAGE,
        "--replicas",
        "2",
    )
    assert code == 0, err
    return out


@pytest.mark.usefixtures("engine_swarm", "testbed_image")
def test_stack_deploy_two_replicas_rolling_update_and_rm(
    cli: Cli, tmp_path: Path, mock_provider: MockProvider, docker_client: DockerClient
) -> None:
    port = free_port()
    folder = tmp_path / "gw"
    folder.mkdir()
    config = CONFIG.format(port=port, mock_port=mock_provider.server_address[1])
    (folder / "config.yaml").write_text(config, encoding="utf-8")
    project = f"swarm-test-{os.getpid()}"
    output = export(cli, folder, project)
    stack = f"{project}"
    assert f"docker stack deploy -c {folder}/deploy/stack.yaml {stack}" in output
    # The key as the export says to provide it: a Docker secret, created from the shell's value.
    secret = f"{project}-OPENAI_API_KEY"
    assert f"docker secret create {secret} -" in output
    created = docker("secret", "create", secret, "-", stdin=KEY)
    assert created.returncode == 0, created.stderr
    service = f"{stack}_{compose.SERVICE}"
    try:
        deploy = docker(
            "stack", "deploy", "--resolve-image", "never", "-c", str(folder / "deploy" / "stack.yaml"), stack
        )
        assert deploy.returncode == 0, deploy.stderr
        first_hash = docker_client.services.get(service).attrs["Spec"]["Labels"]["org.planoai.config-hash"]
        replicas = wait_for("two healthy replicas", lambda: healthy_replicas(docker_client, service, first_hash))
        for n, address in enumerate(bridge_addresses(docker_client, replicas)):
            assert reply(address, port, f"replica {n}") == "hello from the mock"
            assert mock_provider.find(f"replica {n}").headers["authorization"] == f"Bearer {KEY}"
        first_ids = {c.id for c in replicas}

        # A config change: export again and deploy again; swarm replaces the tasks one by one, each healthy first.
        (folder / "config.yaml").write_text(config + "overrides:\n  upstream_connect_timeout: 7s\n", encoding="utf-8")
        export(cli, folder, project)
        deploy = docker(
            "stack", "deploy", "--resolve-image", "never", "-c", str(folder / "deploy" / "stack.yaml"), stack
        )
        assert deploy.returncode == 0, deploy.stderr
        second_hash = docker_client.services.get(service).attrs["Spec"]["Labels"]["org.planoai.config-hash"]
        assert second_hash != first_hash
        wait_for("the rolling update to complete", lambda: _update_state(docker_client, service) == "completed")
        replicas = wait_for(
            "two healthy updated replicas", lambda: healthy_replicas(docker_client, service, second_hash)
        )
        assert first_ids.isdisjoint(c.id for c in replicas)
        for n, address in enumerate(bridge_addresses(docker_client, replicas)):
            assert reply(address, port, f"updated replica {n}") == "hello from the mock"
    finally:
        removed = docker("stack", "rm", stack)
    assert removed.returncode == 0, removed.stderr
    wait_for("the stack's containers to go", lambda: not labelled(docker_client, SERVICE_LABEL, service))
    assert docker_client.services.list(filters={"label": f"com.docker.stack.namespace={stack}"}) == []
    assert docker_client.configs.list(filters={"label": f"com.docker.stack.namespace={stack}"}) == []


def _update_state(client: DockerClient, service: str) -> str | None:
    status = client.services.get(service).attrs.get("UpdateStatus") or {}
    state = status.get("State")
    assert state not in ("rollback_started", "rollback_completed", "paused"), status
    return str(state) if state else None
