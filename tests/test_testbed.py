"""The offline testbed image: real Envoy 1.37 and supervisord with a Brightstaff stand-in, on a real Docker engine."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from docker.client import DockerClient
from docker.models.containers import Container

from tests.dockerfix import COMPLETION, STREAM, TEST_LABELS, MockProvider, inputs_hash

REPO = Path(__file__).resolve().parent.parent
TESTBED = REPO / "docker" / "testbed"
DATA = Path(__file__).resolve().parent / "testbed"  # envoy.yaml, rendered config, supervisord.conf
FAKE_KEY = "sk-testbed-fake-0123456789"
CLUSTER = "openai_host.docker.internal"
START_DEADLINE = 30.0  # seconds from `docker run` until Envoy and the stand-in both answer
REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Gateway:
    """A running testbed container and the URL of its model listener (12000) on the host."""

    container: Container
    url: str


@pytest.fixture(scope="module")
def gateway(
    docker_client: DockerClient,
    testbed_image: str,
    mock_provider: MockProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateway]:
    port = str(mock_provider.server_address[1])
    files = tmp_path_factory.mktemp("gateway")
    rendered = (DATA / "plano_config_rendered.yaml").read_text(encoding="utf-8").replace("MOCK_PORT", port)
    envoy = (DATA / "envoy.yaml").read_text(encoding="utf-8").replace("MOCK_PORT", port)
    (files / "plano_config_rendered.yaml").write_text(rendered, encoding="utf-8")
    (files / "envoy.yaml").write_text(envoy.replace("RENDERED_JSON", json.dumps(rendered)), encoding="utf-8")
    mounts = {
        files / "plano_config_rendered.yaml": "/app/plano_config_rendered.yaml",
        files / "envoy.yaml": "/etc/envoy/envoy.yaml",
        DATA / "supervisord.conf": "/etc/supervisor/conf.d/supervisord.conf",
    }
    started = time.monotonic()
    container = docker_client.containers.run(
        testbed_image,
        detach=True,
        labels=TEST_LABELS,
        environment={"OPENAI_API_KEY": FAKE_KEY},
        volumes={str(path): {"bind": target, "mode": "ro"} for path, target in mounts.items()},
        ports={"12000/tcp": ("127.0.0.1", None)},
        extra_hosts={"host.docker.internal": "host-gateway"},
    )
    try:
        container.reload()
        url = f"http://127.0.0.1:{container.ports['12000/tcp'][0]['HostPort']}"
        _wait_for(container, url + "/healthz", started)
        _wait_for(container, url + "/v1/models", started)  # Envoy may answer before the stand-in listens
        yield Gateway(container, url)
    finally:
        container.remove(force=True)


def _wait_for(container: Container, url: str, started: float) -> None:
    """Poll until `url` answers 200; fail fast, with the container's logs, if it exits or gives up."""
    last = "no answer yet"
    while time.monotonic() - started < START_DEADLINE:
        container.reload()
        logs = container.logs().decode(errors="replace")
        if container.status in ("exited", "dead") or "gave up:" in logs or "exited: " in logs:
            pytest.fail(
                f"the testbed container stopped or lost a program ({container.status}):\n{logs[-4000:]}", pytrace=False
            )
        status, body = _request("GET", url, timeout=1.0)
        if status == 200:
            return
        last = f"{status} {body[:200]!r}"
        time.sleep(0.05)
    pytest.fail(
        f"{url} not ready within {START_DEADLINE}s (last: {last}):\n{container.logs().decode()[-4000:]}", pytrace=False
    )


def _request(
    method: str, url: str, body: dict[str, Any] | None = None, timeout: float = REQUEST_TIMEOUT
) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, str(exc)


def _run_once(
    client: DockerClient, image: str, command: list[str], environment: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run a command in a fresh container; return its exit code and combined output."""
    container = client.containers.create(image, command, labels=TEST_LABELS, environment=environment or {})
    try:
        container.start()
        code = container.wait(timeout=60)["StatusCode"]
        return code, container.logs().decode()
    finally:
        container.remove(force=True)


# --- the image ----------------------------------------------------------------------------------------

LAYOUT_PROBE = """\
echo "cwd=$(pwd)"
echo "envoy=$(/usr/local/bin/envoy --version | grep -o '/1[.][0-9]*[.][0-9]*/' | tr -d /)"
echo "supervisord=$(/usr/local/bin/supervisord --version)"
echo "envsubst=$(echo 'key=$K other=$O' | K=v envsubst '$K')"
echo "yaml=$(python3 -c 'import yaml; print(yaml.safe_load("a: 1"))')"
echo "brightstaff=$(test -x /app/brightstaff && echo executable)"
for f in /etc/envoy/proxy-wasm-plugins/*.wasm; do echo "$f=$(sha256sum < $f | cut -c1-64)"; done
for f in /var/log/access_*.log; do echo "$f=$(stat -c %s $f)"; done
echo "ca=$(grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt | sed 's/^[1-9][0-9][0-9]*$/many/')"
"""


def test_image_has_the_production_layout(docker_client: DockerClient, testbed_image: str) -> None:
    code, output = _run_once(docker_client, testbed_image, ["sh", "-c", LAYOUT_PROBE])
    assert code == 0, output
    wasm = hashlib.sha256((REPO / "envoy_templates" / "wasm" / "passthrough.wasm").read_bytes()).hexdigest()
    plugins = "/etc/envoy/proxy-wasm-plugins"
    assert dict(line.split("=", 1) for line in output.splitlines()) == {
        "cwd": "/app",
        "envoy": "1.37.0",
        "supervisord": "4.3.0",
        "envsubst": "key=v other=$O",
        "yaml": "{'a': 1}",
        "brightstaff": "executable",
        f"{plugins}/llm_gateway.wasm": wasm,
        f"{plugins}/prompt_gateway.wasm": wasm,
        "/var/log/access_agent.log": "0",
        "/var/log/access_ingress.log": "0",
        "/var/log/access_ingress_prompt.log": "0",
        "/var/log/access_internal.log": "0",
        "/var/log/access_llm.log": "0",
        "ca": "many",
    }


def test_image_metadata(docker_client: DockerClient, testbed_image: str) -> None:
    config = docker_client.images.get(testbed_image).attrs["Config"]
    assert config["Cmd"] == ["/usr/local/bin/supervisord", "-n", "-c", "/etc/supervisor/conf.d/supervisord.conf"]
    assert config["WorkingDir"] == "/app"
    assert config["Labels"]["org.planoai.testbed"] == "1"
    assert config["Labels"]["org.planoai.testbed.inputs"] == inputs_hash()
    assert {"PYTHONPATH=/opt/supervisor", "LOG_LEVEL=info"} <= set(config["Env"])


def test_standin_refuses_an_unreadable_config(docker_client: DockerClient, testbed_image: str) -> None:
    code, output = _run_once(
        docker_client, testbed_image, ["/app/brightstaff"], {"PLANO_CONFIG_PATH_RENDERED": "/app/missing.yaml"}
    )
    assert (code, output) == (
        1,
        "brightstaff (testbed stand-in): cannot use config /app/missing.yaml: No such file or directory\n",
    )


# --- a running gateway: client -> Envoy 12000 -> stand-in -> Envoy 12001 -> mock provider -------------


def test_model_listener_health_is_answered_by_envoy(gateway: Gateway) -> None:
    assert _request("GET", gateway.url + "/healthz") == (200, "")


def test_models_lists_only_public_providers(gateway: Gateway) -> None:
    status, body = _request("GET", gateway.url + "/v1/models")
    assert status == 200
    assert json.loads(body) == {
        "object": "list",
        "data": [{"id": "openai/gpt-4o", "object": "model", "created": 0, "owned_by": "openai"}],
    }


@pytest.mark.parametrize("model", ["openai/gpt-4o", "gpt-4o", "fast", "no-such-model"])
def test_chat_completion_crosses_both_envoy_listeners(
    gateway: Gateway, mock_provider: MockProvider, model: str
) -> None:
    marker = f"marker-{model}"
    request = {"model": model, "messages": [{"role": "user", "content": marker}]}
    status, body = _request("POST", gateway.url + "/v1/chat/completions", request)
    assert (status, json.loads(body)) == (200, COMPLETION)
    seen = mock_provider.find(marker)
    assert seen.path == "/v1/chat/completions"
    # Name, bare id, alias and the default fallback all reach the one provider under its bare model id.
    assert seen.body == {"model": "gpt-4o", "messages": [{"role": "user", "content": marker}]}
    assert seen.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert seen.headers["x-arch-llm-provider"] == CLUSTER
    # Set by Envoy's router from the 12001 route's timeout (12000's is 30 s): the request went through the
    # real listener, route and cluster, not around them.
    assert seen.headers["x-envoy-expected-rq-timeout-ms"] == "25000"


def test_streamed_completion_is_relayed(gateway: Gateway, mock_provider: MockProvider) -> None:
    request = {"model": "fast", "stream": True, "messages": [{"role": "user", "content": "marker-stream"}]}
    http = urllib.request.Request(
        gateway.url + "/v1/chat/completions",
        data=json.dumps(request).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(http, timeout=REQUEST_TIMEOUT) as response:
        assert (response.status, response.headers["content-type"]) == (200, "text/event-stream")
        assert response.read() == b"".join(STREAM)
    assert mock_provider.find("marker-stream").body["model"] == "gpt-4o"


def _served(container: Container) -> dict[str, int]:
    """Envoy's upstream 200 counters per cluster, read from the admin endpoint inside the container."""
    fetch = "import urllib.request as u; print(u.urlopen('http://127.0.0.1:9901/stats?filter=upstream_rq_200').read().decode())"
    code, output = container.exec_run(["python3", "-c", fetch])
    assert code == 0, output
    pairs = (line.split(": ") for line in output.decode().splitlines() if line.startswith("cluster."))
    return {name.removeprefix("cluster.").removesuffix(".upstream_rq_200"): int(value) for name, value in pairs}


def test_envoy_counts_one_request_on_each_hop(gateway: Gateway, mock_provider: MockProvider) -> None:
    before = _served(gateway.container)
    request = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "marker-counters"}]}
    assert _request("POST", gateway.url + "/v1/chat/completions", request)[0] == 200
    mock_provider.find("marker-counters")
    after = _served(gateway.container)
    delta = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
    # `<cluster>.external` counts the same responses again, split by the origin of the request.
    assert delta == {"bright_staff": 1, "bright_staff.external": 1, CLUSTER: 1, f"{CLUSTER}.external": 1}


# --- the stand-in's provider selection, on the host (no Docker needed) --------------------------------


def _standin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("testbed_brightstaff", TESTBED / "brightstaff.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class body runs
    spec.loader.exec_module(module)
    return module


BRIGHTSTAFF = _standin()
SELECTION = """\
model_aliases:
  cheap: {target: mini}
  broken: {target: nowhere}
model_providers:
- {name: openai/gpt-4o, model: gpt-4o, provider_interface: openai, access_key: k1, default: true}
- {name: mini, model: gpt-4o-mini, provider_interface: openai}
- {name: local, model: llama3, provider_interface: openai, cluster_name: openai_ollama}
- {name: groq/*, model: "*", provider_interface: groq}
- {name: arch-function, model: Arch-Function, provider_interface: plano, internal: true}
"""


@pytest.mark.parametrize(
    ("requested", "name", "bare"),
    [
        ("openai/gpt-4o", "openai/gpt-4o", "gpt-4o"),  # by name
        ("mini", "mini", "gpt-4o-mini"),  # by name whose model differs
        ("openai/gpt-4o-mini", "mini", "gpt-4o-mini"),  # by full model
        ("llama3", "local", "llama3"),  # by bare model
        ("cheap", "mini", "gpt-4o-mini"),  # alias
        ("groq/llama-3.3-70b", "groq/*", "llama-3.3-70b"),  # wildcard: the rest of the name goes upstream
        ("broken", "openai/gpt-4o", "gpt-4o"),  # alias to nothing: the default
        ("Arch-Function", "openai/gpt-4o", "gpt-4o"),  # internal providers are never chosen
        (None, "openai/gpt-4o", "gpt-4o"),  # no model at all: the default
    ],
)
def test_standin_selects_providers(tmp_path: Path, requested: str | None, name: str, bare: str) -> None:
    (tmp_path / "c.yaml").write_text(SELECTION, encoding="utf-8")
    provider, chosen = BRIGHTSTAFF.load_table(str(tmp_path / "c.yaml")).select(requested)
    assert (provider.name, chosen) == (name, bare)


def test_standin_routes_on_cluster_name_else_interface(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(SELECTION, encoding="utf-8")
    table = BRIGHTSTAFF.load_table(str(tmp_path / "c.yaml"))
    assert [(p.cluster, p.access_key) for p in table.providers] == [
        ("openai", "k1"),
        ("openai", None),
        ("openai_ollama", None),
        ("groq", None),
        ("plano", None),
    ]
    assert BRIGHTSTAFF.models_listing(table)["data"][2] == {
        "id": "local",
        "object": "model",
        "created": 0,
        "owned_by": "openai",
    }


def test_standin_without_default_refuses_unknown_models(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(SELECTION.replace(", default: true", ""), encoding="utf-8")
    assert BRIGHTSTAFF.load_table(str(tmp_path / "c.yaml")).select("nope") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model_providers: []\n", "`model_providers` must be a non-empty list"),
        ("- a\n", "the document is not a mapping"),
        (
            "model_providers:\n- {model: x, provider_interface: openai}\n",
            "model_providers[0] needs string `name` and `provider_interface`",
        ),
        # The position and the problem only: the offending line (which may hold a key) is not echoed.
        (
            "model_providers:\n- {name: a, access_key: sk-secret\n",
            "invalid YAML at line 3, column 1: expected ',' or '}', but got '<stream end>'",
        ),
    ],
)
def test_standin_explains_unusable_configs(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(BRIGHTSTAFF.ConfigError) as caught:
        BRIGHTSTAFF.load_table(str(tmp_path / "c.yaml"))
    assert str(caught.value) == message
