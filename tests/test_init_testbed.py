"""Every init template (and `--clean`'s blank config) started for real: `planoai up` on the offline testbed.

The test copy differs from the template only in its listener ports (free ones, so tests never collide with
each other or with a gateway you run). Agents and filters the templates name are not running: the gateway must
still start, because their clusters only matter when a request is routed to them.
"""

from __future__ import annotations

import json
import os
import re
import socket
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docker.client import DockerClient

from planoai_cli.contract import TESTBED_IMAGE
from planoai_cli.init import catalog
from planoai_cli.init.create import check
from tests.dockerfix import remove_labelled

Cli = Callable[..., tuple[int, str, str]]
PROJECT_LABEL = "org.planoai.project"
PORT_LINE = re.compile(r"^(\s+port: )(\d+)$", re.M)
TEMPLATES = {t.id: t for t in (*catalog.TEMPLATES, catalog.CLEAN)}


def free_ports(count: int) -> list[int]:
    """Distinct free ports (all held open until every one is chosen, so none repeats)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def with_ports(text: str, ports: list[int]) -> tuple[str, dict[int, int]]:
    """The template with each listener port replaced, in order, and the old → new mapping."""
    old = [int(m[2]) for m in PORT_LINE.finditer(text)]
    mapping = dict(zip(old, ports, strict=False))
    return PORT_LINE.sub(lambda m: f"{m[1]}{mapping[int(m[2])]}", text), mapping


@pytest.fixture
def project_name(request: pytest.FixtureRequest, docker_client: DockerClient, testbed_image: str) -> Iterator[str]:
    """A unique project per test (the testbed image is built first if needed); its containers go afterwards."""
    name = f"t-init-{request.node.callspec.id}-{os.getpid()}"
    yield name
    remove_labelled(docker_client, PROJECT_LABEL, name)


def healthz(url: str) -> int:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        return int(response.status)


@pytest.mark.parametrize("template_id", TEMPLATES)
def test_template_starts_healthy_on_the_testbed(
    template_id: str, cli: Cli, tmp_path: Path, project_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = TEMPLATES[template_id].text()
    listeners = len(PORT_LINE.findall(text))
    *ports, admin = free_ports(listeners + 1)
    copy, mapping = with_ports(text, ports)
    assert [int(m[2]) for m in PORT_LINE.finditer(copy)] == ports  # every port line was rewritten ...
    assert PORT_LINE.sub("", copy) == PORT_LINE.sub("", text)  # ... and nothing else
    config_file = tmp_path / template_id / "config.yaml"
    config_file.parent.mkdir()
    config_file.write_text(copy, encoding="utf-8")
    for name in {ref.name for ref in check(copy, config_file).config.secrets}:
        monkeypatch.setenv(name, f"sk-test-{name.lower()}-0123456789")

    code, out, err = cli(
        "up",
        str(config_file),
        "--image",
        TESTBED_IMAGE,
        "--pull",
        "never",
        "--project-name",
        project_name,
        "--admin-port",
        str(admin),
        "--wait-timeout",
        "60",
        "--json",
    )
    assert code == 0, err
    running = json.loads(out)
    config = check(copy, config_file).config
    expected = sorted((li.port, li.name, li.type) for li in config.listeners)
    assert [(int(e["url"].rsplit(":", 1)[1]), e["name"], e["type"]) for e in running["endpoints"]] == expected
    assert sorted(mapping.values()) == [port for port, _, _ in expected]
    for endpoint in running["endpoints"]:
        assert healthz(endpoint["url"]) == 200
    code, out, _ = cli("status", str(config_file), "--project-name", project_name, "--json")
    assert code == 0
    assert json.loads(out)["healthy"] is True

    code, _, err = cli("down", str(config_file), "--project-name", project_name)
    assert code == 0, err
    code, _, _ = cli("status", str(config_file), "--project-name", project_name, "--json")
    assert code == 11  # not running
