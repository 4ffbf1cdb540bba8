"""`planoai export` run for real on the test engine with the testbed image and the mock provider.

- compose: Debian's docker-compose 1.29 (or the `docker compose` plugin where present) brings the exported file up,
  the health check turns healthy, a chat completion reaches the mock with the key from `.env`, the commented app
  stub (uncommented) waits for the healthy gateway and calls it by service name, and `down` removes everything;
- kubernetes: no cluster runs here, so the Deployment's pod is replayed on Docker as the kubelet would run it (its
  image, command, environment with the Secret's values, the ConfigMap's files mounted read-only, its user, a
  read-only root, the emptyDirs as writable folders), and its own startup probe command decides when it is ready.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker.client import DockerClient
from docker.models.containers import Container

from planoai_cli import __version__
from tests.configs import GATEWAY
from tests.dockerfix import IMAGE, TEST_LABELS, MockProvider, chat, free_port, labelled, remove_labelled

Cli = Callable[..., tuple[int, str, str]]
# A quote and a backslash: the entrypoint must escape them as `up` does, or the rendered YAML would break.
KEY = 'sk-export-"quoted"\\-0123456789'
COMPOSE_PROJECT = "com.docker.compose.project"
CONFIG = GATEWAY
APP = """\
import json, os, urllib.request
body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "from the app"}]}).encode()
request = urllib.request.Request(os.environ["OPENAI_BASE_URL"] + "/chat/completions", data=body,
                                 headers={"Content-Type": "application/json"})
print(json.loads(urllib.request.urlopen(request, timeout=15).read())["choices"][0]["message"]["content"])
"""


def compose_command() -> list[str]:
    """The compose plugin when the docker CLI has it, else Debian's docker-compose (scripts/install-ci-deps.sh)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    found = shutil.which("docker-compose")
    if found is None:
        pytest.fail(
            "neither `docker compose` nor docker-compose is installed; run scripts/install-ci-deps.sh", pytrace=False
        )
    return [found]


def wait_healthy(container: Container, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        state = container.attrs["State"]
        health = state.get("Health", {}).get("Status")
        if health == "healthy":
            return
        if state["Status"] == "exited" or health == "unhealthy":
            break
        time.sleep(0.5)
    pytest.fail(f"{container.name} is {container.attrs['State']}:\n{container.logs(tail=40).decode()}", pytrace=False)


@pytest.fixture
def gateway_folder(tmp_path: Path, mock_provider: MockProvider) -> Path:
    root = tmp_path / "gw"
    root.mkdir()
    (root / "config.yaml").write_text(
        CONFIG.format(port=free_port(), mock_port=mock_provider.server_address[1]), encoding="utf-8"
    )
    (root / ".env").write_text("OPENAI_API_KEY=" + json.dumps(KEY) + "\n", encoding="utf-8")
    return root


class ComposeProject:
    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        self.base = [
            *compose_command(),
            "--env-file",
            str(folder.parent / ".env"),
            "-f",
            str(folder / "compose.yaml"),
            "-p",
            name,
        ]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def compose_project(gateway_folder: Path, docker_client: DockerClient) -> Iterator[ComposeProject]:
    made = ComposeProject(gateway_folder / "deploy", f"planoai-export-{os.getpid()}")
    yield made
    made.run("down", "--remove-orphans", "--timeout", "5")
    remove_labelled(docker_client, COMPOSE_PROJECT, made.name)
    for network in docker_client.networks.list(names=[f"{made.name}_default"]):
        network.remove()


def uncommented_app(compose_yaml: str, image: str) -> str:
    """The commented app stub made live: the testbed image calls the gateway by the stub's URL."""
    head, stub = compose_yaml.split("  # An app that starts once the gateway is healthy", 1)
    lines = [line.replace("  # ", "  ", 1) for line in stub.splitlines()[1:]]
    live = "\n".join(lines).replace(
        "image: your-app:latest", f"image: {image}\n    entrypoint: [python3, -c, {json.dumps(APP)}]"
    )
    return head + live + "\n"


@pytest.mark.usefixtures("testbed_image")
def test_compose_up_healthy_chat_app_waits_down(
    cli: Cli,
    gateway_folder: Path,
    compose_project: ComposeProject,
    mock_provider: MockProvider,
    docker_client: DockerClient,
) -> None:
    code, _, err = cli(
        "export", "compose", str(gateway_folder / "config.yaml"), "--out", str(compose_project.folder), "--image", IMAGE
    )
    assert code == 0, err
    compose_file = compose_project.folder / "compose.yaml"
    port = yaml.safe_load(compose_file.read_text(encoding="utf-8"))["services"]["plano"]["ports"][0].split(":")[1]
    # compose itself reads the file as written: the keys by name, every other `$` literal.
    config = compose_project.run("config")
    assert config.returncode == 0, config.stderr
    environment = yaml.safe_load(config.stdout)["services"]["plano"]["environment"]
    assert environment["PLANO_ENVOY_VARS"] in ("$OPENAI_API_KEY", "$$OPENAI_API_KEY")  # v1 prints it escaped
    up = compose_project.run("up", "-d")
    assert up.returncode == 0, up.stderr
    (gateway,) = labelled(docker_client, COMPOSE_PROJECT, compose_project.name)
    wait_healthy(gateway)
    assert gateway.labels["org.planoai.cli-version"] == __version__
    assert gateway.labels["org.planoai.export"] == "compose"
    assert gateway.attrs["HostConfig"]["PortBindings"][f"{port}/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": port}]
    status, reply = chat(int(port), "through compose")
    assert status == 200
    assert reply["choices"][0]["message"]["content"] == "hello from the mock"
    assert mock_provider.find("through compose").headers["authorization"] == f"Bearer {KEY}"
    # The app stub, made live: it starts only once the gateway is healthy, and reaches it as http://plano:PORT/v1.
    compose_file.write_text(uncommented_app(compose_file.read_text(encoding="utf-8"), IMAGE), encoding="utf-8")
    up = compose_project.run("up", "-d")
    assert up.returncode == 0, up.stderr
    app = next(c for c in labelled(docker_client, COMPOSE_PROJECT, compose_project.name) if c.id != gateway.id)
    assert app.wait(timeout=60)["StatusCode"] == 0, app.logs().decode()
    assert app.logs().decode().strip() == "hello from the mock"
    assert mock_provider.find("from the app").headers["authorization"] == f"Bearer {KEY}"
    down = compose_project.run("down", "--timeout", "5")
    assert down.returncode == 0, down.stderr
    assert labelled(docker_client, COMPOSE_PROJECT, compose_project.name) == []
    assert docker_client.networks.list(names=[f"{compose_project.name}_default"]) == []


@pytest.mark.usefixtures("testbed_image")
def test_the_kubernetes_pod_runs_on_docker_as_the_kubelet_would(
    cli: Cli, gateway_folder: Path, tmp_path: Path, mock_provider: MockProvider, docker_client: DockerClient
) -> None:
    out = tmp_path / "k8s"
    code, _, err = cli("export", "kubernetes", str(gateway_folder / "config.yaml"), "--out", str(out), "--image", IMAGE)
    assert code == 0, err
    found = list(yaml.safe_load_all((out / "plano.yaml").read_text(encoding="utf-8")))
    config_map = next(o for o in found if o["kind"] == "ConfigMap")
    pod = next(o for o in found if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    (spec,) = pod["containers"]
    container = docker_client.containers.create(
        spec["image"],
        entrypoint=spec["command"],
        command=[],
        labels=TEST_LABELS,
        user=f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}",
        read_only=spec["securityContext"]["readOnlyRootFilesystem"],
        environment=pod_environment(spec, {"OPENAI_API_KEY": KEY}),
        volumes=pod_volumes(pod, spec, config_map["data"], tmp_path / "volumes"),
        ports={f"{p['containerPort']}/tcp": ("127.0.0.1", p["containerPort"]) for p in spec["ports"]},
        extra_hosts={"host.docker.internal": "host-gateway"},
    )  # the mock stands in for a provider in the cluster
    try:
        container.start()
        probe = spec["startupProbe"]
        wait_probe(container, probe["exec"]["command"], probe["periodSeconds"] * probe["failureThreshold"])
        assert container.exec_run(["id", "-u"]).output.decode().strip() == "65534"
        assert container.exec_run(["touch", "/etc/plano/x"]).exit_code != 0  # the root filesystem is read-only
        status, reply = chat(spec["ports"][0]["containerPort"], "through the pod")
        assert status == 200
        assert reply["choices"][0]["message"]["content"] == "hello from the mock"
        assert mock_provider.find("through the pod").headers["authorization"] == f"Bearer {KEY}"
        for name in ("readinessProbe", "livenessProbe"):
            assert container.exec_run(spec[name]["exec"]["command"]).exit_code == 0
    finally:
        container.remove(force=True)


def pod_environment(spec: dict[str, Any], secret: dict[str, str]) -> dict[str, str]:
    env = {}
    for item in spec["env"]:
        if "valueFrom" in item:
            key = item["valueFrom"]["secretKeyRef"]["key"]
            if key in secret:
                env[item["name"]] = secret[key]
        else:
            env[item["name"]] = item["value"]
    return env


def pod_volumes(pod: dict[str, Any], spec: dict[str, Any], data: dict[str, str], root: Path) -> dict[str, Any]:
    """Each volume as a host folder: a ConfigMap's items as files, an emptyDir as a folder anyone may write."""
    folders = {}
    for volume in pod["volumes"]:
        folder = root / volume["name"]
        folder.mkdir(parents=True)
        for item in volume.get("configMap", {}).get("items", []):
            (folder / item["path"]).write_text(data[item["key"]], encoding="utf-8")
        folder.chmod(0o1777 if "emptyDir" in volume else 0o755)
        folders[volume["name"]] = folder
    return {
        str(folders[m["name"]]): {"bind": m["mountPath"], "mode": "ro" if m.get("readOnly") else "rw"}
        for m in spec["volumeMounts"]
    }


def wait_probe(container: Container, command: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    result = None
    while time.monotonic() < deadline:
        container.reload()
        if container.status != "running":
            break
        result = container.exec_run(command)
        if result.exit_code == 0:
            return
        time.sleep(1)
    pytest.fail(f"the startup probe never passed ({result}):\n{container.logs(tail=40).decode()}", pytrace=False)
