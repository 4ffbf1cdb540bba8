"""Runtime pieces without a container: endpoint discovery, port checks and who holds a port, the container request."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest

from planoai_cli.errors import PortBusy
from planoai_cli.gateway.options import UpOptions
from planoai_cli.gateway.spec import container_spec
from planoai_cli.loader import parse
from planoai_cli.model import build
from planoai_cli.render import render
from planoai_cli.runtime.endpoint import candidates
from planoai_cli.runtime.ports import Binding, check_free, is_free, who_listens


def test_docker_host_wins(tmp_path: Path) -> None:
    found = candidates({"DOCKER_HOST": "tcp://10.0.0.5:2375"}, tmp_path)
    assert [(c.url, c.why) for c in found] == [("tcp://10.0.0.5:2375", "DOCKER_HOST is set")]


def test_active_context_then_known_sockets(tmp_path: Path) -> None:
    docker_dir = tmp_path / ".docker"
    meta = docker_dir / "contexts" / "meta" / hashlib.sha256(b"colima").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Endpoints": {"docker": {"Host": "unix:///ctx.sock"}}}))
    (docker_dir / "config.json").write_text(json.dumps({"currentContext": "colima"}))
    orbstack = tmp_path / ".orbstack" / "run"
    orbstack.mkdir(parents=True)
    (orbstack / "docker.sock").touch()
    found = candidates({"XDG_RUNTIME_DIR": str(tmp_path / "run")}, tmp_path)
    urls = [c.url for c in found]
    assert urls[0] == "unix:///ctx.sock"
    assert found[0].why == "the active docker context 'colima'"
    assert f"unix://{orbstack / 'docker.sock'}" in urls
    assert all(Path(u.removeprefix("unix://")).exists() for u in urls[1:])


def test_docker_context_env_overrides_the_config_file(tmp_path: Path) -> None:
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text(json.dumps({"currentContext": "missing"}))
    found = candidates({"DOCKER_CONTEXT": "default", "XDG_RUNTIME_DIR": str(tmp_path)}, tmp_path)
    assert all("context" not in c.why for c in found)


def test_port_checks_name_the_holder() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert not is_free("127.0.0.1", port)
        assert (who_listens(port) or "").startswith("python")
        with pytest.raises(PortBusy) as caught:
            check_free([Binding("127.0.0.1", port, "listener llm")])
    assert f"127.0.0.1:{port} (listener llm) is in use by python" in caught.value.message
    assert is_free("127.0.0.1", port)


CONFIG = """\
version: v0.4.0
listeners:
  - {name: llm, type: model, port: 12000}
  - {name: agents, type: agent, port: 8001, agents: [{id: a1, description: an agent}]}
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
agents:
  - {id: a1, url: "http://localhost:9000"}
"""


def test_the_container_gets_only_what_it_needs(tmp_path: Path) -> None:
    rendered = render(build(parse(CONFIG, "c.yaml")))
    options = UpOptions(image="img:1", admin_port=29901, log_level="debug")
    values = {"OPENAI_API_KEY": 'sk-"quoted"\\key', "UNRELATED_SECRET": "nope"}
    spec = container_spec("proj", tmp_path / "config.yaml", rendered, values=values, options=options,
                          files_dir=tmp_path / "rendered", supervisor_dir=tmp_path / "sup")
    assert dict(spec.environment) == {"OPENAI_API_KEY": 'sk-\\"quoted\\"\\\\key', "LOG_LEVEL": "debug",
                                      "PLANO_ENVOY_VARS": "$OPENAI_API_KEY", "PLANO_CONFIG_VARS": "$OPENAI_API_KEY"}
    assert sorted((p.container_port, p.host_ip, p.host_port) for p in spec.ports) == [
        (8001, "127.0.0.1", 8001), (9901, "127.0.0.1", 29901), (12000, "127.0.0.1", 12000)]
    assert [(m.target, m.source) for m in spec.mounts] == [
        ("/etc/plano/rendered", str(tmp_path / "rendered")), ("/etc/plano/supervisord", str(tmp_path / "sup"))]
    assert spec.labels["org.planoai.project"] == "proj"
    assert spec.name == "plano-proj"
    assert "sk-" not in " ".join(spec.command) + json.dumps(dict(spec.labels))
