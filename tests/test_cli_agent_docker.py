"""`planoai cli-agent` end to end: a real dockerd and testbed gateway, and the stand-in agents as real processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docker.client import DockerClient

from planoai_cli.agent.plan import PLACEHOLDER_KEY
from tests.configs import GATEWAY
from tests.dockerfix import MockProvider, free_port, remove_labelled
from tests.fakeagent import FakeAgent, install

Cli = Callable[..., tuple[int, str, str]]
PROJECT_LABEL = "org.planoai.project"
GATEWAY_KEY = "sk-gateway-0123456789abcdef"
SHELL_KEY = "sk-ant-shell-fedcba9876543210"

CONFIG = (
    GATEWAY
    + """\
model_aliases:
  claude-sonnet: {{target: openai/gpt-4o}}
  codex: {{target: gpt-4o}}
"""
)


class Project:
    def __init__(self, root: Path, name: str, mock: MockProvider) -> None:
        self.root, self.name = root, name
        self.port, self.admin_port = free_port(), free_port()
        root.mkdir(parents=True)
        (root / "config.yaml").write_text(
            CONFIG.format(port=self.port, mock_port=mock.server_address[1]), encoding="utf-8"
        )
        (root / ".env").write_text(f"OPENAI_API_KEY={GATEWAY_KEY}\n", encoding="utf-8")

    def gateway_args(self, *extra: str) -> list[str]:
        """The config and the flags that keep this test's gateway apart, for `up` and `cli-agent` alike."""
        return [
            str(self.root / "config.yaml"),
            "--project-name",
            self.name,
            "--image",
            "planoai-testbed:latest",
            "--pull",
            "never",
            "--admin-port",
            str(self.admin_port),
            *extra,
        ]

    def agent_args(self, agent: str, *extra: str) -> list[str]:
        return ["cli-agent", agent, *self.gateway_args(*extra)]


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeAgent:
    return install(tmp_path, monkeypatch)


@pytest.fixture
def project(
    tmp_path: Path,
    mock_provider: MockProvider,
    docker_client: DockerClient,
    testbed_image: str,
    request: pytest.FixtureRequest,
) -> Iterator[Project]:
    name = f"t-agent-{request.node.name.lower().replace('_', '-')[:30]}-{os.getpid()}"
    made = Project(tmp_path / "coding", name, mock_provider)
    yield made
    remove_labelled(docker_client, PROJECT_LABEL, name)


def test_cli_agent_starts_the_gateway_and_claude_reaches_it(
    cli: Cli, project: Project, agent: FakeAgent, docker_client: DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SHELL_KEY)
    agent.calls_the_gateway(monkeypatch)
    agent.exits_with(42, monkeypatch)
    before = dict(os.environ)
    code, out, err = cli(*project.agent_args("claude", "--", "-p", "say hi"))
    assert code == 42, err  # the agent's own exit code
    assert "warning: ANTHROPIC_API_KEY is set in your shell" in err
    assert f"gateway plano-{project.name} started; launching Claude Code against http://127.0.0.1:{project.port}" in err
    assert SHELL_KEY not in out + err
    assert GATEWAY_KEY not in out + err
    record = agent.record()
    assert record["argv"] == ["-p", "say hi"]
    assert agent.env_changes(before) == {
        "ANTHROPIC_API_KEY": None,
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{project.port}",
        "ANTHROPIC_AUTH_TOKEN": PLACEHOLDER_KEY,
        "API_TIMEOUT_MS": "600000",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    assert record["request"] == {
        "url": f"http://127.0.0.1:{project.port}/v1/models",
        "status": 200,
        "body": {
            "object": "list",
            "data": [{"id": "openai/gpt-4o", "object": "model", "created": 0, "owned_by": "openai"}],
        },
    }
    (container,) = docker_client.containers.list(filters={"label": [f"{PROJECT_LABEL}={project.name}"]})
    assert container.status == "running"


def test_a_running_gateway_is_reused_and_codex_reaches_the_provider(
    cli: Cli, project: Project, agent: FakeAgent, mock_provider: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cli("up", *project.gateway_args())
    assert code == 0, err
    agent.calls_the_gateway(monkeypatch)
    code, _, err = cli(*project.agent_args("codex", "--", "exec", "fix the bug"))
    assert code == 0, err
    assert f"gateway plano-{project.name} running; launching Codex" in err
    assert "config changed" not in err
    record = agent.record()
    assert record["argv"] == ["-c", 'model="codex"', "exec", "fix the bug"]
    assert record["env"]["OPENAI_BASE_URL"] == f"http://127.0.0.1:{project.port}/v1"
    assert record["request"]["status"] == 200
    assert record["request"]["body"]["choices"][0]["message"]["content"] == "hello from the mock"
    seen = mock_provider.find("hi from the fake codex")
    assert seen.body["model"] == "gpt-4o"  # the alias `codex` resolved by the gateway
    # The gateway adds its own key. (The testbed's stand-in Brightstaff also relays the client's header, where
    # production replaces it, so only the presence of the gateway's key is checked here.)
    assert f"Bearer {GATEWAY_KEY}" in seen.headers["authorization"].split(",")
    config = project.root / "config.yaml"
    config.write_text(config.read_text() + "overrides:\n  upstream_connect_timeout: 7s\n", encoding="utf-8")
    code, _, err = cli(*project.agent_args("codex"))
    assert code == 0
    assert "warning: the config changed since this gateway started; run planoai up to apply it" in err


def test_a_gateway_published_on_every_interface_is_reached_on_loopback(
    cli: Cli, project: Project, agent: FakeAgent
) -> None:
    code, _, err = cli("up", *project.gateway_args("--bind", "0.0.0.0"))
    assert code == 0, err
    code, _, err = cli(*project.agent_args("claude"))
    assert code == 0, err
    assert f"gateway plano-{project.name} running; launching Claude Code against http://127.0.0.1:{project.port}" in err
    assert agent.record()["env"]["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{project.port}"  # never 0.0.0.0


@pytest.mark.usefixtures("testbed_image")
def test_cli_agent_in_a_folder_without_config_starts_a_zero_config_gateway(
    cli: Cli, agent: FakeAgent, tmp_path: Path, docker_client: DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / f"t-agent-zero-{os.getpid()}"
    root.mkdir()
    (root / ".env").write_text(f"ANTHROPIC_API_KEY={GATEWAY_KEY}\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    agent.calls_the_gateway(monkeypatch)
    port = free_port()
    try:
        code, _, err = cli(
            "cli-agent",
            "claude",
            "--path",
            str(root),
            "--listener-port",
            str(port),
            "--admin-port",
            str(free_port()),
            "--image",
            "planoai-testbed:latest",
            "--pull",
            "never",
        )
        assert code == 0, err
        assert "warning: Claude Code's built-in sonnet model is not routable by this config" in err
        assert f"wrote {tmp_path / 'xdg' / 'planoai' / 'zero-config.yaml'}" in err
        record = agent.record()
        assert record["env"]["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{port}"
        assert record["request"]["status"] == 200
        assert [m["id"] for m in record["request"]["body"]["data"]] == ["anthropic/*"]
    finally:
        remove_labelled(docker_client, PROJECT_LABEL, root.name)
