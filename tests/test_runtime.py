"""Runtime pieces without a container: endpoint discovery, port checks, the container request, pull progress."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest

from planoai_cli.errors import DockerUnavailable, PlanoError, PortBusy
from planoai_cli.gateway.layout import decode
from planoai_cli.gateway.options import UpOptions
from planoai_cli.gateway.progress import PullTally
from planoai_cli.gateway.spec import container_spec, layout
from planoai_cli.loader import parse
from planoai_cli.model import build
from planoai_cli.render import render
from planoai_cli.runtime import endpoint
from planoai_cli.runtime.container import ENDPOINTS
from planoai_cli.runtime.endpoint import candidates
from planoai_cli.runtime.engine import connect
from planoai_cli.runtime.image import PullProgress
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
    spec = container_spec(
        "proj",
        tmp_path / "config.yaml",
        rendered,
        config_hash="h",
        values=values,
        options=options,
        files_dir=tmp_path / "rendered",
        supervisor_dir=tmp_path / "sup",
    )
    assert dict(spec.environment) == {
        "OPENAI_API_KEY": 'sk-\\"quoted\\"\\\\key',
        "LOG_LEVEL": "debug",
        "PLANO_ENVOY_VARS": "$OPENAI_API_KEY",
        "PLANO_CONFIG_VARS": "$OPENAI_API_KEY",
    }
    assert sorted((p.container_port, p.host_ip, p.host_port) for p in spec.ports) == [
        (8001, "127.0.0.1", 8001),
        (9901, "127.0.0.1", 29901),
        (12000, "127.0.0.1", 12000),
    ]
    assert [(m.target, m.source) for m in spec.mounts] == [
        ("/etc/plano/rendered", str(tmp_path / "rendered")),
        ("/etc/plano/supervisord", str(tmp_path / "sup")),
    ]
    assert spec.labels["org.planoai.project"] == "proj"
    assert spec.name == "plano-proj"
    assert "sk-" not in " ".join(spec.command) + json.dumps(dict(spec.labels))


def test_listeners_are_published_on_loopback_and_the_bridge_admin_on_loopback_only(tmp_path: Path) -> None:
    rendered = render(build(parse(CONFIG, "c.yaml")))
    options = UpOptions(admin_port=29901, publish_internal=True)
    published = layout(rendered, options, bridge="172.17.0.1")
    spec = container_spec(
        "proj",
        tmp_path / "config.yaml",
        rendered,
        config_hash="h",
        values={},
        options=options,
        files_dir=tmp_path,
        supervisor_dir=tmp_path,
        published=published,
    )
    assert sorted((p.container_port, p.host_ip, p.host_port) for p in spec.ports) == [
        (8001, "127.0.0.1", 8001),
        (8001, "172.17.0.1", 8001),
        (9901, "127.0.0.1", 29901),
        (12000, "127.0.0.1", 12000),
        (12000, "172.17.0.1", 12000),
        (12001, "127.0.0.1", 12001),
        (12001, "172.17.0.1", 12001),
    ]
    # The label round-trips, and what an older planoai wrote (only `bind`) still reads.
    assert decode({ENDPOINTS: spec.labels[ENDPOINTS]}, "c") == published
    model = published.endpoints()[1]
    assert (model.url, model.urls, model.container_url) == (
        "http://127.0.0.1:12000",
        ("http://127.0.0.1:12000", "http://172.17.0.1:12000"),
        "http://host.docker.internal:12000",
    )
    old = json.dumps(
        {
            "bind": "127.0.0.1",
            "admin_port": 19901,
            "listeners": [{"name": "llm", "type": "model", "port": 12000, "health": "/healthz"}],
        }
    )
    assert decode({ENDPOINTS: old}, "c").addresses == ("127.0.0.1",)
    with pytest.raises(PlanoError, match="does not record its endpoints"):
        decode({}, "c")


def test_a_wildcard_bind_covers_the_bridge_and_no_bridge_means_loopback_only() -> None:
    rendered = render(build(parse(CONFIG, "c.yaml")))
    wide = layout(rendered, UpOptions(bind="0.0.0.0"), bridge="172.17.0.1")
    assert wide.addresses == ("0.0.0.0",)
    assert wide.endpoints()[0].container_url == "http://host.docker.internal:8001"
    local = layout(rendered, UpOptions(), bridge=None)
    assert local.addresses == ("127.0.0.1",)
    assert local.endpoints()[0].container_url is None
    assert [li.port for li in local.listeners] == [8001, 12000]  # no 12001 unless asked


def test_tracing_collector_is_the_one_extra_variable(tmp_path: Path) -> None:
    text = CONFIG + "tracing:\n  random_sampling: 10\n  opentracing_grpc_endpoint: http://collector:4317\n"
    rendered = render(build(parse(text, "c.yaml")))
    spec = container_spec(
        "proj",
        tmp_path / "config.yaml",
        rendered,
        config_hash="h",
        values={"OPENAI_API_KEY": "k"},
        options=UpOptions(),
        files_dir=tmp_path,
        supervisor_dir=tmp_path,
    )
    assert spec.environment["OTEL_TRACING_GRPC_ENDPOINT"] == "http://collector:4317"
    assert set(spec.environment) == {
        "OPENAI_API_KEY",
        "LOG_LEVEL",
        "PLANO_ENVOY_VARS",
        "PLANO_CONFIG_VARS",
        "OTEL_TRACING_GRPC_ENDPOINT",
    }


def test_no_endpoint_at_all_lists_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine has a real /var/run/docker.sock; point the well-known list at paths that do not exist.
    monkeypatch.setattr(
        endpoint, "_known_sockets", lambda home, env: [(home / "a.sock", "Docker Desktop"), (home / "b.sock", "Podman")]
    )
    with pytest.raises(DockerUnavailable) as caught:
        connect({}, tmp_path)
    assert caught.value.message == (
        "no Docker engine found: DOCKER_HOST is not set, no docker context names an endpoint, and none of these "
        f"sockets exists:\n  {tmp_path / 'a.sock'} (Docker Desktop)\n  {tmp_path / 'b.sock'} (Podman)"
    )
    assert (caught.value.hint or "").startswith("start Docker (Docker Desktop, Colima, OrbStack")
    assert caught.value.attempts == ()


def test_pull_tally_sums_layers() -> None:
    tally = PullTally()
    events = [
        ("1", "Pulling from katanemo/plano", None, None),
        ("aa", "Already exists", None, None),
        ("bb", "Pulling fs layer", None, None),
        ("cc", "Pulling fs layer", None, None),
        ("bb", "Downloading", 1_000_000, 4_000_000),
        ("cc", "Downloading", 500_000, 2_000_000),
    ]
    for layer, status, current, total in events:
        tally.add(PullProgress(layer, status, current, total))
    assert tally.summary() == "1/3 layers, 1.5/6.0 MB downloaded"
    for layer, status in [("bb", "Download complete"), ("bb", "Extracting"), ("bb", "Pull complete")]:
        tally.add(PullProgress(layer, status, None, None))
    assert tally.summary() == "2/3 layers, 4.5/6.0 MB downloaded, extracting"
    assert PullTally().summary() == "every layer already present"


def test_a_port_with_only_lingering_connections_is_free() -> None:
    # The side that closes first keeps the port in TIME_WAIT for a minute (a gateway that was just stopped).
    # Servers such as Envoy and docker-proxy listen with SO_REUSEADDR, which Linux requires of both sockets.
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()
    server.close()
    client.close()
    assert is_free("127.0.0.1", port)
