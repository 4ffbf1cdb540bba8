"""Zero-config `up` on a real dockerd with the testbed: a key in `.env` only, no config, and the gateway serves."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docker.client import DockerClient

from planoai_cli import zeroconfig
from tests.dockerfix import free_port, labelled, remove_labelled

Cli = Callable[..., tuple[int, str, str]]
KEY = "sk-zero-e2e-0123456789abcdef"
PROJECT_LABEL = "org.planoai.project"


@pytest.fixture
def bare(
    tmp_path: Path, docker_client: DockerClient, testbed_image: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A folder with no config and only a `.env` holding one provider key; its name is the project's."""
    for name in zeroconfig.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    root = tmp_path / f"zc-{os.getpid()}"
    root.mkdir()
    (root / ".env").write_text(f'ANTHROPIC_API_KEY="{KEY}"\n', encoding="utf-8")
    yield root
    remove_labelled(docker_client, PROJECT_LABEL, root.name)


def _up(cli: Cli, folder: Path, port: int) -> tuple[int, str, str]:
    """`up --json` in a folder without a config: a zero-config gateway on `port`, on the testbed image."""
    flags = ["--listener-port", str(port), "--admin-port", str(free_port())]
    return cli("up", "--path", str(folder), *flags, "--image", "planoai-testbed:latest", "--pull", "never", "--json")


def test_zero_config_up_status_down(cli: Cli, bare: Path, tmp_path: Path, docker_client: DockerClient) -> None:
    port = free_port()
    code, out, err = _up(cli, bare, port)
    assert code == 0, err
    written = tmp_path / "xdg" / "planoai" / "zero-config.yaml"
    assert (
        f"no config in {bare}: zero-config with 1 provider(s): anthropic (ANTHROPIC_API_KEY from {bare / '.env'})"
        in err
    )
    assert f"wrote {written}; model listener on port {port}" in err
    assert KEY not in out + err + written.read_text(encoding="utf-8")
    running = json.loads(out)
    assert running["project"] == bare.name
    assert [(e["name"], e["type"], e["url"]) for e in running["endpoints"]] == [
        ("llm", "model", f"http://127.0.0.1:{port}")
    ]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=10) as response:
        assert json.loads(response.read())["data"] == [
            {"id": "anthropic/*", "object": "model", "created": 0, "owned_by": "anthropic"}
        ]
    (container,) = docker_client.containers.list(filters={"label": [f"{PROJECT_LABEL}={bare.name}"]})
    assert f"ANTHROPIC_API_KEY={KEY}" in container.attrs["Config"]["Env"]  # the .env key reached the gateway
    code, out, _ = cli("status", "--path", str(bare), "--json")  # found by the folder's name, as up named it
    assert code == 0
    assert json.loads(out)["config_file"] == str(written)
    assert cli("down", "--path", str(bare))[0] == 0
    assert labelled(docker_client, PROJECT_LABEL, bare.name) == []


def test_no_key_at_all_starts_a_pass_through_gateway(cli: Cli, bare: Path, tmp_path: Path) -> None:
    (bare / ".env").unlink()
    port = free_port()
    code, out, err = _up(cli, bare, port)
    assert code == 0, err
    assert "starting a pass-through gateway; clients must send their own API key" in err.replace("\n", " ")
    written = (tmp_path / "xdg" / "planoai" / "zero-config.yaml").read_text(encoding="utf-8")
    assert written.count("passthrough_auth: true") == len(zeroconfig.PROVIDERS)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=10) as response:
        models = [m["id"] for m in json.loads(response.read())["data"]]
    assert models == [f"{p.prefix}/*" for p in zeroconfig.PROVIDERS]
    assert json.loads(out)["endpoints"][0]["url"] == f"http://127.0.0.1:{port}"
    assert cli("down", "--path", str(bare))[0] == 0
