"""`up --with-tracing` end to end: the real Envoy and the testbed's Brightstaff send OTLP spans to planoai's own
collector, and `trace` / `obs` report exactly the requests sent through the gateway."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from docker.client import DockerClient

from tests.configs import GATEWAY
from tests.dockerfix import USAGE, MockProvider, free_port, remove_labelled

Cli = Callable[..., tuple[int, str, str]]
KEY = "sk-trace-0123456789abcdef"
CATALOG = Path(__file__).parent / "obs" / "models_dev.json"

CONFIG = (
    GATEWAY
    + """\
tracing:
  span_attributes:
    header_prefixes: [x-acme-]
    static:
      deployment: e2e
"""
)


class Gateway:
    """A project folder traced to a collector of its own (own state dir, own ports)."""

    def __init__(self, root: Path, mock: MockProvider) -> None:
        self.root = root
        self.name = root.name
        self.port, self.admin_port, self.tracing_port = free_port(), free_port(), _port_pair()
        root.mkdir(parents=True)
        (root / "config.yaml").write_text(
            CONFIG.format(port=self.port, mock_port=mock.server_address[1]), encoding="utf-8"
        )
        (root / ".env").write_text(f"OPENAI_API_KEY={KEY}\n", encoding="utf-8")

    def args(self, *extra: str) -> list[str]:
        return [str(self.root / "config.yaml"), "--project-name", self.name, *extra]

    def chat(self, marker: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": marker}]}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/chat/completions",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            return dict(json.loads(response.read()))


def _port_pair() -> int:
    """A free port whose successor is free too (OTLP/gRPC and OTLP/HTTP)."""
    for _ in range(50):
        port = free_port()
        if port < 65535:
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise AssertionError("no two adjacent free ports")


@pytest.fixture
def gateway(
    tmp_path: Path, mock_provider: MockProvider, docker_client: DockerClient, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Gateway]:
    # mock_provider builds the testbed image when it is missing or stale.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # a collector and store of this test's own
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a pricing cache of its own
    made = Gateway(tmp_path / f"traced-{os.getpid()}", mock_provider)
    yield made
    remove_labelled(docker_client, "org.planoai.project", made.name)
    cli("trace", "down")  # the collector outlives `down` unless asked: stop it here


@pytest.fixture
def catalog() -> Iterator[str]:
    """models.dev's catalog format served on loopback (never the internet)."""
    data = CATALOG.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api.json"
    server.shutdown()
    server.server_close()


def llm_spans(cli: Cli, wanted: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The stored LLM spans once `wanted` of them arrived (spans are exported in batches)."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        code, out, err = cli("trace", "any", "--json", "--limit", "0")
        assert code in (0, 1), err
        traces = json.loads(out)["traces"] if code == 0 else []
        found = [s for t in traces for s in t["spans"] if "llm.model" in s["attributes"]]
        if len(found) >= wanted:
            return found
        time.sleep(0.25)
    raise AssertionError(f"{len(found)} of {wanted} LLM spans arrived within {timeout}s")


def envoy_joined(cli: Cli, where: str, timeout: float = 20.0) -> dict[str, Any]:
    """The one trace matching `where`, once Envoy's spans are in it beside the LLM span."""
    deadline = time.monotonic() + timeout
    spans: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        code, out, err = cli("trace", "any", "--json", "--where", where)
        assert code == 0, err
        (traced,) = json.loads(out)["traces"]
        spans = [(s["service"], s["name"]) for s in traced["spans"]]
        if any("llm.model" not in s["attributes"] for s in traced["spans"]):
            return dict(traced)
        time.sleep(0.5)
    raise AssertionError(f"no Envoy span joined the trace within {timeout}s: {spans}")


def test_up_with_tracing_then_trace_and_obs_report_exactly_the_requests(
    cli: Cli, gateway: Gateway, catalog: str
) -> None:
    code, out, err = cli(
        "up",
        *gateway.args(
            "--image",
            "planoai-testbed:latest",
            "--pull",
            "never",
            "--admin-port",
            str(gateway.admin_port),
            "--with-tracing",
            "--tracing-port",
            str(gateway.tracing_port),
            "--json",
        ),
    )
    assert code == 0, err
    collector = json.loads(out)["collector"]
    assert collector["started"] is True
    assert collector["grpc"][0] == f"127.0.0.1:{gateway.tracing_port}"
    assert len(collector["grpc"]) == 2  # loopback and the Docker bridge, where the container's spans arrive
    gateway.chat("first")
    gateway.chat("second", {"x-acme-user-id": "usr_12"})
    spans = llm_spans(cli, 2)
    assert sorted(s["attributes"]["llm.usage.prompt_tokens"] for s in spans) == [USAGE["prompt_tokens"]] * 2
    assert {s["attributes"]["llm.model"] for s in spans} == {"gpt-4o"}
    assert {s["attributes"]["deployment"] for s in spans} == {"e2e"}
    # Envoy's own spans (it flushes them every few seconds) join the trace of the stand-in's LLM span.
    traced = envoy_joined(cli, "user.id=usr_12")
    assert any(s["attributes"].get("user.id") == "usr_12" for s in traced["spans"])
    short = traced["trace_id"][:8]
    code, out, _ = cli("trace", short, "--json")
    assert (code, json.loads(out)["traces"][0]["trace_id"]) == (0, traced["trace_id"])
    code, out, _ = cli("trace", "--list", "--json")
    assert code == 0
    assert traced["trace_id"] in json.loads(out)["trace_ids"]
    code, _, err = cli("trace", "any", "--where", "no.such.key=1")
    assert code == 2
    assert "no.such.key" in err
    # obs: the two calls, their tokens and their cost from the fixture catalog.
    code, out, err = cli("obs", "--once", "--json", "--pricing-url", catalog, "--path", str(gateway.root))
    assert code == 0, err
    summary = json.loads(out)
    totals = summary["totals"]
    assert (totals["requests"], totals["errors"]) == (2, 0)
    assert (totals["tokens_in"], totals["tokens_out"], totals["tokens_cached"]) == (24, 10, 8)
    # gpt-4o at 2.5 / 10 / 1.25 USD per million fresh input / output / cached input tokens.
    cost = ((12 - 4) * 2.5 + 5 * 10 + 4 * 1.25) / 1e6
    assert totals["cost_usd"] == pytest.approx(2 * cost)
    assert [m["model"] for m in summary["models"]] == ["gpt-4o"]
    # status and doctor show the collector; the gateway's down leaves it running unless asked.
    code, out, _ = cli("status", *gateway.args("--json"))
    assert json.loads(out)["collector"]["grpc"] == collector["grpc"]
    assert cli("down", *gateway.args())[0] == 0
    code, out, _ = cli("trace", "status", "--json")
    assert code == 0
    assert json.loads(out)["running"] is True


def test_history_survives_a_collector_restart_and_a_second_collector_is_refused(cli: Cli, gateway: Gateway) -> None:
    code, _, err = cli(
        "up",
        *gateway.args(
            "--image",
            "planoai-testbed:latest",
            "--pull",
            "never",
            "--admin-port",
            str(gateway.admin_port),
            "--with-tracing",
            "--tracing-port",
            str(gateway.tracing_port),
        ),
    )
    assert code == 0, err
    gateway.chat("kept")
    llm_spans(cli, 1)
    before = set(_trace_ids(cli))
    assert before
    code, _, err = cli("trace", "listen", "--port", str(gateway.tracing_port), "--http-port", "0")
    assert code == 7, err  # the port is the running collector's
    assert "already" in err
    assert cli("down", *gateway.args("--with-tracing"))[0] == 0
    code, _, err = cli("trace")
    assert code == 12, err  # no collector: said so, never "no traces found"
    code, _, err = cli(
        "trace", "listen", "--port", str(gateway.tracing_port), "--http-port", "0", "--host", "127.0.0.1"
    )
    assert code == 0, err
    assert before <= set(_trace_ids(cli))


def _trace_ids(cli: Cli) -> list[str]:
    code, out, err = cli("trace", "--list", "--json", "--limit", "0")
    assert code in (0, 1), err
    return list(json.loads(out)["trace_ids"]) if code == 0 else []
