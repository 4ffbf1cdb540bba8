"""`planoai up / status / logs / down` end to end on a real dockerd with the testbed image, and every fault."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docker.client import DockerClient
from docker.models.containers import Container

from planoai_cli import __version__
from planoai_cli.gateway.spec import START
from tests.configs import GATEWAY
from tests.dockerfix import TEST_LABELS, MockProvider, bridge_gateway, chat, free_port, labelled, remove_labelled

REPO = Path(__file__).resolve().parent.parent
Cli = Callable[..., tuple[int, str, str]]
KEY = "sk-e2e-0123456789abcdef"
PROJECT_LABEL = "org.planoai.project"


CONFIG = GATEWAY + "{extra}"


class Project:
    """A config folder plus the flags that keep this test's gateway apart from every other."""

    def __init__(self, root: Path, name: str, mock: MockProvider, extra: str = "") -> None:
        self.root = root
        self.name = name
        self.port = free_port()
        self.admin_port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        (root / "config.yaml").write_text(
            CONFIG.format(port=self.port, mock_port=mock.server_address[1], extra=extra), encoding="utf-8"
        )
        (root / ".env").write_text(f'OPENAI_API_KEY="{KEY}"\n', encoding="utf-8")

    def args(self, *extra: str) -> list[str]:
        return [str(self.root / "config.yaml"), "--project-name", self.name, *extra]

    def up_args(self, *extra: str) -> list[str]:
        return [
            "up",
            *self.args(
                "--image", "planoai-testbed:latest", "--pull", "never", "--admin-port", str(self.admin_port), *extra
            ),
        ]


def containers_of(client: DockerClient, project: str) -> list[Container]:
    return labelled(client, PROJECT_LABEL, project)


@pytest.fixture
def project(
    tmp_path: Path,
    mock_provider: MockProvider,
    docker_client: DockerClient,
    testbed_image: str,
    request: pytest.FixtureRequest,
) -> Iterator[Project]:
    name = f"t-{request.node.name.lower().replace('_', '-')[:40]}-{os.getpid()}"
    made = Project(tmp_path / "gw", name, mock_provider)
    yield made
    remove_labelled(docker_client, PROJECT_LABEL, name)


def test_up_chat_status_logs_down(
    cli: Cli, project: Project, mock_provider: MockProvider, docker_client: DockerClient
) -> None:
    code, out, err = cli(*project.up_args("--json"))
    assert code == 0, err
    running = json.loads(out)
    assert running["project"] == project.name
    bridge = bridge_gateway()
    assert running["endpoints"] == [
        {
            "name": "llm",
            "type": "model",
            "url": f"http://127.0.0.1:{project.port}",
            "urls": [f"http://127.0.0.1:{project.port}", f"http://{bridge}:{project.port}"],
            "container_url": f"http://host.docker.internal:{project.port}",
        }
    ]
    assert running["published_addresses"] == ["127.0.0.1", bridge]
    status, body = chat(project.port)
    assert status == 200
    assert body["choices"][0]["message"]["content"] == "hello from the mock"
    seen = mock_provider.find('"hi"')
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    code, out, _ = cli("status", *project.args("--json"))
    assert code == 0
    report = json.loads(out)
    assert report["state"] == "running"
    assert report["healthy"] is True
    assert report["published_addresses"] == ["127.0.0.1", bridge]
    assert report["listeners"][0]["urls"] == running["endpoints"][0]["urls"]
    assert report["components"] == [
        {
            "name": "brightstaff",
            "url": f"http://127.0.0.1:{project.port}/v1/models",
            "healthy": True,
            "detail": "HTTP 200",
        }
    ]
    assert report["config_changed"] is False
    code, out, _ = cli("logs", *project.args("--component", "brightstaff", "--tail", "50"))
    assert code == 0
    assert out.strip()
    assert all(line.startswith("[brightstaff] ") for line in out.splitlines())
    assert KEY not in out
    # --tail counts the chosen component's lines, not every line of the container.
    code, last, _ = cli("logs", *project.args("--component", "brightstaff", "--tail", "1"))
    assert (code, last.splitlines()) == (0, out.splitlines()[-1:])
    code, _, err = cli("down", *project.args())
    assert code == 0, err
    assert containers_of(docker_client, project.name) == []
    code, _, err = cli("down", *project.args())
    assert code == 0
    assert "no gateway" in err


CALL_FROM_A_CONTAINER = """\
import json, sys, urllib.request
body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "from a container"}]}).encode()
request = urllib.request.Request(sys.argv[1] + "/v1/chat/completions", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=15) as response:
    print(response.status, json.loads(response.read())["choices"][0]["message"]["content"])
for url in sys.argv[2:]:  # what must stay unreachable from a container
    try:
        urllib.request.urlopen(url, timeout=3)
        print("reached", url)
    except OSError:
        print("refused", url)
"""


def test_a_container_on_the_bridge_reaches_the_gateway_via_host_docker_internal(
    cli: Cli, project: Project, mock_provider: MockProvider, docker_client: DockerClient, testbed_image: str
) -> None:
    # As upstream's demos do: an agent in another container calls http://host.docker.internal:<listener port>.
    code, out, err = cli(*project.up_args("--json", "--publish-internal"))
    assert code == 0, err
    running = json.loads(out)
    assert [(e["name"], e["type"]) for e in running["endpoints"]] == [
        ("llm", "model"),
        ("egress_traffic_llm", "internal"),
    ]
    admin = f"http://host.docker.internal:{project.admin_port}/ready"  # the admin stays on loopback
    output = docker_client.containers.run(
        testbed_image,
        entrypoint=["python3", "-c", CALL_FROM_A_CONTAINER, f"http://host.docker.internal:{project.port}", admin],
        command=[],
        extra_hosts={"host.docker.internal": "host-gateway"},
        labels=TEST_LABELS,
        remove=True,
    )
    assert output.decode().splitlines() == ["200 hello from the mock", f"refused {admin}"]
    assert mock_provider.find("from a container").path == "/v1/chat/completions"
    # The 12001 hop was published on request and answers its health path from a container too.
    hop = docker_client.containers.run(
        testbed_image,
        entrypoint=[
            "python3",
            "-c",
            "import urllib.request as u;"
            "print(u.urlopen('http://host.docker.internal:12001/healthz', timeout=5).status)",
        ],
        command=[],
        extra_hosts={"host.docker.internal": "host-gateway"},
        labels=TEST_LABELS,
        remove=True,
    )
    assert hop.decode().strip() == "200"


def test_verbose_up_shows_each_phase_detail_and_the_start_up_log(cli: Cli, project: Project) -> None:
    code, _, err = cli(*project.up_args("-v"))
    assert code == 0, err
    details = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    assert any(d.startswith(f"{project.root / 'config.yaml'} (v0.4.0") for d in details), err
    assert any(d.startswith("engine unix://") for d in details), err
    assert any(d.startswith("image planoai-testbed:latest (sha256:") for d in details), err
    assert f"publishing 127.0.0.1:{project.port}" in err
    assert any(d.startswith("| [envoy]") for d in details), err  # the container's own start-up lines
    assert KEY not in err
    code, _, quiet = cli(*project.up_args())
    assert code == 0
    assert "| [envoy]" not in quiet  # without -v: the phase lines only


def test_commands_from_a_folder_without_config_find_the_only_gateway_or_list_them(
    cli: Cli, project: Project, mock_provider: MockProvider, docker_client: DockerClient, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    here = ("--path", str(elsewhere))  # the same as running there: --path defaults to the working directory
    # Other gateways on this engine (e.g. another test session's) would change the answer: this test needs
    # to know exactly which ones run, so it only asserts when its own are the only ones.
    others = docker_client.containers.list(filters={"label": "org.planoai.managed=1"})
    assert others == [], f"other planoai gateways are running: {[c.name for c in others]}"
    code, _, err = cli("status", *here)
    assert code == 11, err  # none runs: as before
    assert cli(*project.up_args())[0] == 0
    code, out, err = cli("status", "--json", *here)
    assert code == 0, err
    assert json.loads(out)["project"] == project.name
    assert (
        f"no config in {elsewhere}: using the only running gateway, project {project.name!r} "
        f"(container plano-{project.name}, config {project.root / 'config.yaml'})"
    ) in err
    code, out, err = cli("wait", "--json", "--timeout", "10", *here)
    assert (code, json.loads(out)["project"]) == (0, project.name), err
    code, out, _ = cli("logs", "-c", "brightstaff", "-n", "1", *here)
    assert code == 0
    assert out.startswith("[brightstaff] ")
    second = Project(tmp_path / "second", f"{project.name}-2", mock_provider)
    try:
        assert cli(*second.up_args())[0] == 0
        for command in (["status"], ["logs"], ["down"], ["wait"]):
            code, _, err = cli(*command, *here)
            assert code == 2, (command, err)
            assert f"no config in {elsewhere} and 2 gateways are running:" in err
            assert f"  {project.name:<24} container plano-{project.name}, config {project.root / 'config.yaml'}" in err
            assert f"  {second.name:<24} container plano-{second.name}, config {second.root / 'config.yaml'}" in err
            assert f"hint: pick one with --project-name, e.g. --project-name {project.name}" in err
        code, _, err = cli("down", "--project-name", second.name)
        assert code == 0, err
        code, _, err = cli("down", *here)  # the only one left
        assert code == 0, err
        assert containers_of(docker_client, project.name) == []
    finally:
        remove_labelled(docker_client, PROJECT_LABEL, second.name)


def test_without_the_bridge_the_listeners_stay_on_loopback(cli: Cli, project: Project) -> None:
    code, out, err = cli(*project.up_args("--json", "--no-bridge"))
    assert code == 0, err
    running = json.loads(out)
    assert running["published_addresses"] == ["127.0.0.1"]
    assert running["endpoints"][0]["container_url"] is None


def test_up_replaces_a_running_project_and_status_sees_config_changes(cli: Cli, project: Project) -> None:
    assert cli(*project.up_args())[0] == 0
    config = project.root / "config.yaml"
    config.write_text(config.read_text() + "overrides:\n  upstream_connect_timeout: 7s\n", encoding="utf-8")
    code, out, _ = cli("status", *project.args("--json"))
    assert json.loads(out)["config_changed"] is True
    code, _, err = cli(*project.up_args())
    assert code == 0, err
    code, out, _ = cli("status", *project.args("--json"))
    assert json.loads(out)["config_changed"] is False


def test_busy_port_is_named_and_nothing_starts(cli: Cli, project: Project, docker_client: DockerClient) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", project.port))
        holder.listen()
        code, _, err = cli(*project.up_args())
    assert code == 7
    assert f"127.0.0.1:{project.port} (listener llm) is in use by python" in err
    assert containers_of(docker_client, project.name) == []


def test_missing_keys_fail_before_docker(cli: Cli, project: Project) -> None:
    (project.root / ".env").unlink()
    code, _, err = cli(*project.up_args())
    assert code == 5
    assert "$OPENAI_API_KEY is not set (needed by model provider openai/gpt-4o)" in err


def test_unreachable_docker(cli: Cli, project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    code, _, err = cli(*project.up_args())
    assert code == 6
    assert "no Docker engine answered" in err
    assert "unix:///nonexistent/docker.sock (DOCKER_HOST is set): no socket at that path" in err
    assert (
        "hint: DOCKER_HOST=unix:///nonexistent/docker.sock takes precedence over the docker context and the "
        "usual sockets: point it at a running engine, or unset it"
    ) in err


def test_missing_image_with_pull_never(cli: Cli, project: Project) -> None:
    code, _, err = cli(
        "up",
        *project.args("--image", "planoai-no-such-image:1", "--pull", "never", "--admin-port", str(project.admin_port)),
    )
    assert code == 8
    assert "planoai-no-such-image:1 is not present and --pull never forbids pulling it" in err
    assert "planoai-testbed:latest" in err


def test_envoy_rejecting_the_config_at_start(cli: Cli, project: Project, docker_client: DockerClient) -> None:
    config = project.root / "config.yaml"
    config.write_text(
        config.read_text() + "overrides:\n  upstream_tls_ca_path: /nonexistent/ca.pem\n"
        "tracing:\n  random_sampling: 0\n",
        encoding="utf-8",
    )
    start = time.monotonic()
    code, _, err = cli(*project.up_args("--wait-timeout", "60"))
    assert code == 9, err
    assert "envoy stopped, so the gateway container exited" in err
    assert "/nonexistent/ca.pem" in err
    assert "was removed" in err
    assert time.monotonic() - start < 30
    assert containers_of(docker_client, project.name) == []


def test_container_that_cannot_start(cli: Cli, project: Project, docker_client: DockerClient) -> None:
    # The base image has no supervisord: the engine cannot run the container's command at all.
    code, _, err = cli(
        "up",
        *project.args(
            "--image", "planoai-testbed-base:bookworm", "--pull", "never", "--admin-port", str(project.admin_port)
        ),
    )
    assert code == 9, err
    assert containers_of(docker_client, project.name) == []


SLEEPER = "planoai-test-sleeper:latest"


@pytest.fixture(scope="module")
def sleeper(docker_client: DockerClient, testbed_image: str) -> Iterator[str]:
    """The testbed with a supervisord that only sleeps: the container runs but no listener ever answers, so a
    health timeout does not depend on how fast a real gateway boots."""
    dockerfile = f"FROM {testbed_image}\nRUN printf '#!/bin/sh\\nexec sleep 600\\n' > /usr/local/bin/supervisord\n"
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=SLEEPER, labels=TEST_LABELS, rm=True)
    yield SLEEPER
    docker_client.images.remove(SLEEPER, force=True)


def test_health_timeout_removes_the_container(
    cli: Cli, project: Project, docker_client: DockerClient, sleeper: str
) -> None:
    code, _, err = cli(*project.up_args("--image", sleeper, "--wait-timeout", "1"))
    assert code == 10, err
    assert f"model listener llm (http://127.0.0.1:{project.port}/healthz)" in err
    assert "was removed (--keep-on-failure keeps it)" in err
    assert containers_of(docker_client, project.name) == []


def test_keep_on_failure_keeps_the_container(
    cli: Cli, project: Project, docker_client: DockerClient, sleeper: str
) -> None:
    code, _, err = cli(*project.up_args("--image", sleeper, "--wait-timeout", "1", "--keep-on-failure"))
    assert code == 10, err
    assert "was kept for inspection" in err
    assert len(containers_of(docker_client, project.name)) == 1
    assert cli("down", *project.args("--timeout", "5"))[0] == 0
    assert containers_of(docker_client, project.name) == []


def _brightstaff_variant(client: DockerClient, base: str, tag: str, script: str) -> str:
    """The testbed with /app/brightstaff replaced by `script` (the stand-in moved to /app/brightstaff.real)."""
    body = script.replace("\n", "\\n")
    dockerfile = (
        f"FROM {base}\n"
        "RUN mv /app/brightstaff /app/brightstaff.real && "
        f"printf '{body}' > /app/brightstaff && chmod 755 /app/brightstaff\n"
    )
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, labels=TEST_LABELS, rm=True)
    return tag


@pytest.fixture(scope="module")
def late_brightstaff(docker_client: DockerClient, testbed_image: str) -> Iterator[str]:
    """Brightstaff binds 2 s after Envoy answers /healthz (as the real one does while it loads model metrics)."""
    yield _brightstaff_variant(
        docker_client,
        testbed_image,
        "planoai-test-late-brightstaff:latest",
        '#!/bin/sh\nsleep 2\nexec /app/brightstaff.real "$@"\n',
    )
    docker_client.images.remove("planoai-test-late-brightstaff:latest", force=True)


@pytest.fixture(scope="module")
def mute_brightstaff(docker_client: DockerClient, testbed_image: str) -> Iterator[str]:
    """Brightstaff runs but never listens: Envoy's listeners are all healthy, requests get 503."""
    yield _brightstaff_variant(
        docker_client, testbed_image, "planoai-test-mute-brightstaff:latest", "#!/bin/sh\nexec sleep 600\n"
    )
    docker_client.images.remove("planoai-test-mute-brightstaff:latest", force=True)


def test_up_returns_once_brightstaff_serves(cli: Cli, project: Project, late_brightstaff: str) -> None:
    code, _, err = cli(*project.up_args("--image", late_brightstaff))
    assert code == 0, err
    assert "every listener and Brightstaff healthy (" in err
    # The first request after up returns is served: Brightstaff, not only Envoy's /healthz, was waited for.
    status, body = chat(project.port)
    assert status == 200, body


def test_a_brightstaff_that_never_listens_is_named(
    cli: Cli, project: Project, docker_client: DockerClient, mute_brightstaff: str
) -> None:
    code, _, err = cli(*project.up_args("--image", mute_brightstaff, "--wait-timeout", "3", "--keep-on-failure"))
    assert code == 10, err
    assert f"brightstaff (through model listener llm) (http://127.0.0.1:{project.port}/v1/models): HTTP 503" in err
    assert "model listener llm (" not in err  # Envoy's own /healthz answered: only Brightstaff is named
    code, out, _ = cli("status", *project.args())
    assert code == 1, out
    assert f"  model  listener llm                  http://127.0.0.1:{project.port}  healthy" in out
    assert f"  brightstaff (checked at http://127.0.0.1:{project.port}/v1/models)  HTTP 503" in out
    assert cli("down", *project.args("--timeout", "5"))[0] == 0
    assert containers_of(docker_client, project.name) == []


def test_logs_of_an_exited_container(cli: Cli, project: Project, docker_client: DockerClient) -> None:
    config = project.root / "config.yaml"
    config.write_text(
        config.read_text() + "overrides:\n  upstream_tls_ca_path: /nonexistent/ca.pem\n", encoding="utf-8"
    )
    code, _, _ = cli(*project.up_args("--keep-on-failure"))
    assert code == 9
    (container,) = containers_of(docker_client, project.name)
    assert container.status == "exited"
    code, out, _ = cli("logs", *project.args("--component", "envoy"))
    assert code == 0
    assert "/nonexistent/ca.pem" in out
    assert all(line.startswith("[envoy] ") for line in out.splitlines())
    code, out, _ = cli("status", *project.args())
    assert code == 9
    assert f"project {project.name}: plano-{project.name} exited" in out
    assert "  envoy stopped, so the gateway container exited (status exited, exit code " in out
    assert f"see why with planoai logs --project-name {project.name}" in out


def test_a_pull_that_fails_offline_points_at_the_testbed(cli: Cli, project: Project) -> None:
    code, _, err = cli(
        "up",
        *project.args(
            "--image", "planoai-no-such-image:1", "--pull", "missing", "--admin-port", str(project.admin_port)
        ),
    )
    assert code == 8
    assert "cannot pull planoai-no-such-image:1" in err
    assert "docker/testbed/build.sh" in err


def test_foreground_streams_logs_and_ctrl_c_removes_the_gateway(project: Project, docker_client: DockerClient) -> None:
    with _planoai(*project.up_args("--foreground")) as process:
        # Poll for Brightstaff through the listener (what up waits for) rather than block on the pipe: the
        # listener's /healthz is Envoy's own answer, and a chat sent then could still meet a 503.
        _brightstaff_ready(project.port, alive=lambda: process.poll() is None)
        chat(project.port)  # a request while in the foreground shows up in the streamed access log
        _until_logged(docker_client, project.name, "POST /v1/chat/completions")
        time.sleep(0.5)  # the foreground process reads the same stream; let it print the line too
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert any(line.startswith("gateway plano-") for line in out.splitlines())
    assert "[access]" in out
    assert "POST /v1/chat/completions" in out
    assert containers_of(docker_client, project.name) == []


def _brightstaff_ready(port: int, alive: Callable[[], bool] = lambda: True, timeout: float = 30.0) -> bool:
    """Whether Brightstaff answered 200 through the listener on `port` within `timeout`, while `alive()` held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def _planoai(*args: str) -> Iterator[subprocess.Popen[str]]:
    """planoai in a child process, for the tests that press Ctrl-C; a failed step kills it, since Popen's own exit
    would wait for a gateway that is still running in the foreground."""
    command = [sys.executable, "-m", "planoai_cli", *args]
    env = {**os.environ, "NO_COLOR": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            yield process
        except BaseException:
            process.kill()
            raise


def _until_logged(client: DockerClient, project: str, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (container,) = containers_of(client, project)
        if text in container.logs().decode(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never reached the container's logs")


def test_ctrl_c_during_the_wait_leaves_nothing(project: Project, docker_client: DockerClient) -> None:
    with _planoai(*project.up_args("--wait-timeout", "60")) as process:
        deadline = time.monotonic() + 30
        while not containers_of(docker_client, project.name) and time.monotonic() < deadline:
            time.sleep(0.05)
        appeared = bool(containers_of(docker_client, project.name))
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert appeared, "the container never appeared"
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert containers_of(docker_client, project.name) == []


def test_status_and_logs_without_a_gateway(cli: Cli, project: Project) -> None:
    code, _, err = cli("status", *project.args())
    assert code == 11
    assert f"no gateway is running for project '{project.name}'" in err
    code, _, err = cli("logs", *project.args())
    assert code == 11


def test_build_bakes_the_supervisord_config_into_a_derived_image(
    cli: Cli, docker_client: DockerClient, testbed_image: str
) -> None:
    tag = f"planoai-gateway-test:{os.getpid()}"
    try:
        code, _, err = cli("build", "--base", testbed_image, "--tag", tag)
        assert code == 0, err
        image = docker_client.images.get(tag)
        assert image.labels["org.planoai.base"] == testbed_image
        assert tuple(image.attrs["Config"]["Entrypoint"]) == START  # the one start path: start.sh
        output = docker_client.containers.run(
            tag, entrypoint=["cat", "/etc/plano/supervisord/supervisord.conf"], labels=TEST_LABELS, remove=True
        )
        assert output.decode() == (REPO / "supervisord" / "supervisord.conf").read_text()
    finally:
        docker_client.images.remove(tag, force=True)


def test_the_built_image_runs_a_rendered_config_as_up_would(
    cli: Cli, project: Project, docker_client: DockerClient, tmp_path: Path
) -> None:
    tag = f"planoai-gateway-test:{os.getpid()}-run"
    rendered = tmp_path / "rendered"
    try:
        assert cli("build", "--base", "planoai-testbed:latest", "--tag", tag)[0] == 0
        code, _, err = cli("render", str(project.root / "config.yaml"), "--out", str(rendered))
        assert code == 0, err
        # What the Dockerfile asks of a plain `docker run`: the rendered files, a tmpfs at /run/plano, the keys.
        container = docker_client.containers.run(
            tag,
            detach=True,
            labels={**TEST_LABELS, PROJECT_LABEL: project.name},
            volumes={str(rendered): {"bind": "/etc/plano/rendered", "mode": "ro"}},
            tmpfs={"/run/plano": "rw,mode=0700"},
            environment={
                "OPENAI_API_KEY": KEY,
                "PLANO_ENVOY_VARS": "$OPENAI_API_KEY",
                "PLANO_CONFIG_VARS": "$OPENAI_API_KEY",
            },
            ports={f"{project.port}/tcp": ("127.0.0.1", project.port)},
            extra_hosts={"host.docker.internal": "host-gateway"},
        )
        assert _brightstaff_ready(project.port), container.logs().decode(errors="replace")
        status, body = chat(project.port)
        assert status == 200, body
        assert "RPC interface 'wake' initialized" in container.logs().decode(errors="replace")
    finally:
        remove_labelled(docker_client, PROJECT_LABEL, project.name)
        docker_client.images.remove(tag, force=True)


def test_build_from_a_missing_base_fails_clearly(cli: Cli, docker_client: DockerClient) -> None:
    code, _, err = cli("build", "--base", "planoai-no-such-base:0", "--tag", f"planoai-gateway-test:{os.getpid()}b")
    assert code == 8
    assert "planoai-no-such-base:0" in err


SHELL_TEXT = "Prices are in $USD; never reveal $HOME or ${PATH}."


def _kill_inside(container: Container, command_prefix: str) -> None:
    """Kill the process whose command line starts with `command_prefix` (the shell never matches itself)."""
    script = (
        'for p in /proc/[0-9]*; do case "$(tr "\\0" " " < "$p/cmdline" 2>/dev/null)" in '
        f'"{command_prefix}"*) kill -9 "${{p#/proc/}}";; esac; done'
    )
    code, output = container.exec_run(["sh", "-c", script])
    assert code == 0, output


def _command_lines(container: Container) -> str:
    code, output = container.exec_run(["sh", "-c", 'for p in /proc/[0-9]*; do tr "\\0" " " < "$p/cmdline"; echo; done'])
    assert code == 0
    return str(output.decode())


def test_two_projects_side_by_side_with_only_their_own_environment(
    cli: Cli, project: Project, mock_provider: MockProvider, docker_client: DockerClient, tmp_path: Path
) -> None:
    config = project.root / "config.yaml"
    config.write_text(
        config.read_text() + f'system_prompt: "{SHELL_TEXT}"\ntracing:\n  random_sampling: 0\n', encoding="utf-8"
    )
    other = Project(tmp_path / "other", f"{project.name}-b", mock_provider)
    try:
        assert cli(*project.up_args())[0] == 0
        assert cli(*other.up_args())[0] == 0
        (mine,) = containers_of(docker_client, project.name)
        (theirs,) = containers_of(docker_client, other.name)
        env = dict(item.split("=", 1) for item in mine.attrs["Config"]["Env"])
        added_by_image = {"PATH", "LANG", "PYTHONPATH"}
        assert {k: v for k, v in env.items() if k not in added_by_image} == {
            "OPENAI_API_KEY": KEY,
            "LOG_LEVEL": "info",
            "PLANO_ENVOY_VARS": "$OPENAI_API_KEY",
            "PLANO_CONFIG_VARS": "$OPENAI_API_KEY",
            "OTEL_TRACING_GRPC_ENDPOINT": "http://host.docker.internal:4317",
        }
        assert mine.labels["org.planoai.cli-version"] == __version__
        assert len(mine.labels["org.planoai.config-hash"]) == 16
        assert mine.labels["org.planoai.config-hash"] != theirs.labels["org.planoai.config-hash"]
        bindings = {
            (port, b["HostIp"]) for port, spec in mine.attrs["HostConfig"]["PortBindings"].items() for b in spec
        }
        bridge = bridge_gateway()  # the listener on loopback and the bridge; the admin on loopback only
        assert bindings == {
            (f"{project.port}/tcp", "127.0.0.1"),
            (f"{project.port}/tcp", bridge),
            ("9901/tcp", "127.0.0.1"),
        }
        # No secret on any command line inside the container, and text that merely looks like a variable survives
        # the substitution into the tmpfs copy.
        assert KEY not in _command_lines(mine)
        code, substituted = mine.exec_run(["cat", "/run/plano/plano_config_rendered.yaml"])
        assert code == 0
        assert f'system_prompt: "{SHELL_TEXT}"' in substituted.decode()
        assert f'access_key: "{KEY}"' in substituted.decode()
        code, mounted = mine.exec_run(["cat", "/etc/plano/rendered/plano_config_rendered.yaml"])
        assert KEY not in mounted.decode()
        # Each project's commands find its own container; down of one leaves the other running.
        code, out, _ = cli("status", *other.args("--json"))
        assert (code, json.loads(out)["container"]) == (0, f"plano-{other.name}")
        assert cli("down", *project.args())[0] == 0
        assert containers_of(docker_client, project.name) == []
        assert cli("status", *other.args())[0] == 0
    finally:
        remove_labelled(docker_client, PROJECT_LABEL, other.name)


def test_a_port_held_by_another_project_names_it(
    cli: Cli, project: Project, mock_provider: MockProvider, docker_client: DockerClient, tmp_path: Path
) -> None:
    other = Project(tmp_path / "other", f"{project.name}-b", mock_provider)
    other.port = project.port
    (other.root / "config.yaml").write_text(
        CONFIG.format(port=project.port, mock_port=mock_provider.server_address[1], extra=""), encoding="utf-8"
    )
    try:
        assert cli(*project.up_args())[0] == 0
        code, _, err = cli(*other.up_args())
        assert code == 7
        assert (
            f"127.0.0.1:{project.port} (listener llm) is in use by container plano-{project.name} "
            f"(project {project.name}; planoai down --project-name {project.name} stops it)"
        ) in err
        assert containers_of(docker_client, other.name) == []
    finally:
        remove_labelled(docker_client, PROJECT_LABEL, other.name)


def _status_until(cli: Cli, project: Project, wanted: int) -> tuple[int, str]:
    deadline = time.monotonic() + 30
    while True:
        code, out, _ = cli("status", *project.args())
        if code == wanted or time.monotonic() > deadline:
            return code, out
        time.sleep(0.1)


def test_the_container_exits_when_brightstaff_dies(cli: Cli, project: Project, docker_client: DockerClient) -> None:
    assert cli(*project.up_args())[0] == 0
    (container,) = containers_of(docker_client, project.name)
    _kill_inside(container, "python3 /app/brightstaff")
    code, out = _status_until(cli, project, 9)
    assert code == 9, out
    assert "  brightstaff stopped, so the gateway container exited" in out
    code, out, _ = cli("logs", *project.args("--component", "supervisord"))
    assert "stop-on-exit: brightstaff exited; stopping the gateway" in out


def test_a_foreground_gateway_that_dies_fails(project: Project, docker_client: DockerClient) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "planoai_cli", *project.up_args("--foreground")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("its logs follow") or not line:
                break
        (container,) = containers_of(docker_client, project.name)
        _kill_inside(container, "/usr/local/bin/envoy ")
        _, err = process.communicate(timeout=30)
    assert process.returncode == 9, err
    assert "error: envoy stopped, so the gateway container exited" in err
    assert containers_of(docker_client, project.name) == []


def test_bind_must_be_an_address(cli: Cli, project: Project) -> None:
    code, _, err = cli(*project.up_args("--bind", "localhost"))
    assert code == 2
    assert "error: --bind 'localhost' is not an IP address" in err
