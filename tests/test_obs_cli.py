"""`planoai obs` end to end: a real collector, spans sent by the OpenTelemetry SDK's OTLP exporter, a real SQLite
store, a pricing catalog served on 127.0.0.1; and exit 12 when no collector runs."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from planoai_cli.errors import ExitCode
from tests.httpserver import serve, status

FIXTURES = Path(__file__).resolve().parent / "obs"
Cli = Callable[..., tuple[int, str, str]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state and cache home: the collector's store and the pricing cache live under tmp_path."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def collector(state: Path) -> Iterator[int]:
    """A background collector (the collector's own daemon API) on free loopback ports; its gRPC port."""
    from planoai_cli.trace import daemon

    grpc_port = _free_port()
    daemon.start(daemon.ListenOptions(hosts=("127.0.0.1",), port=grpc_port, http_port=0))
    try:
        yield grpc_port
    finally:
        daemon.stop()


def _send(port: int, calls: list[dict[str, Any]]) -> None:
    """Export one span per call through the SDK's real OTLP/gRPC exporter, like Brightstaff does."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import Status, StatusCode

    provider = TracerProvider(resource=Resource.create({"service.name": "plano(llm)"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True, timeout=5))
    )
    tracer = provider.get_tracer("tests.obs")
    start = time.time_ns() - 60 * 10**9
    for n, attributes in enumerate(calls):
        span = tracer.start_span("POST /v1/chat/completions", start_time=start + n * 10**9, attributes=attributes)
        if attributes.get("http.status_code", 200) >= 500:
            span.set_status(Status(StatusCode.ERROR, "upstream failed"))
        span.end(end_time=start + n * 10**9 + int(attributes["llm.duration_ms"] * 1e6))
    provider.shutdown()


CALLS = [
    {
        "llm.model": "gpt-4o-mini",
        "llm.provider": "openai",
        "request_id": "req-a",
        "model.requested": "fast",
        "plano.route.name": "chat",
        "plano.session_id": "s-1",
        "llm.is_streaming": True,
        "http.status_code": 200,
        "llm.usage.prompt_tokens": 1200,
        "llm.usage.completion_tokens": 300,
        "llm.usage.total_tokens": 1500,
        "llm.usage.cached_input_tokens": 1000,
        "llm.time_to_first_token": 120.0,
        "llm.duration_ms": 900.0,
        "routing.strategy": "alias",
        "routing.selection_reason": "alias fast",
    },
    {
        "llm.model": "claude-3-5-haiku",
        "llm.provider": "anthropic",
        "request_id": "req-b",
        "plano.route.name": "code",
        "plano.session_id": "s-1",
        "llm.is_streaming": False,
        "http.status_code": 200,
        "llm.usage.prompt_tokens": 2000,
        "llm.usage.completion_tokens": 500,
        "llm.usage.cache_creation_tokens": 1500,
        "llm.duration_ms": 2400.0,
    },
    {
        "llm.model": "mock-gpt",
        "llm.provider": "mock",
        "request_id": "req-c",
        "http.status_code": 503,
        "error.message": "upstream unavailable",
        "llm.usage.prompt_tokens": 12,
        "llm.duration_ms": 35.0,
    },
]
# From tests/obs/models_dev.json: gpt-4o-mini 0.15 / 0.6 / cache read 0.075; claude-3-5-haiku (its dated id)
# 0.8 / 4 / cache read 0.08 / cache write 1; mock-gpt 1 / 2.
COSTS = {
    "req-a": round((200 * 0.15 + 1000 * 0.075 + 300 * 0.6) / 1e6, 6),
    "req-b": round((500 * 0.8 + 1500 * 1 + 500 * 4) / 1e6, 6),
    "req-c": round(12 * 1 / 1e6, 6),
}


def _wait_for_calls(cli: Cli, count: int, *args: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        code, out, err = cli("obs", "--once", "--json", *args)
        assert code == 0, err
        data: dict[str, Any] = json.loads(out)
        if data["totals"]["requests"] >= count or time.monotonic() > deadline:
            return data
        time.sleep(0.05)


def test_obs_reports_exactly_the_calls_sent_and_their_cost(collector: int, cli: Cli, state: Path) -> None:
    _send(collector, CALLS)
    catalog = json.dumps(json.loads((FIXTURES / "models_dev.json").read_text(encoding="utf-8"))).encode()
    with serve([status(200, catalog)]) as (base, seen):
        data = _wait_for_calls(cli, 3, "--pricing-url", f"{base}/api.json", "--path", str(state))
    assert seen == ["/api.json"]
    assert data["collector"] is not None
    assert str(collector) in data["collector"]
    assert (data["pricing"]["origin"], data["pricing"]["url"], data["pricing"]["chosen_by"]) == (
        "fetched",
        f"{base}/api.json",
        "--pricing-url",
    )
    recent = {c["request_id"]: c for c in data["recent"]}
    assert set(recent) == {"req-a", "req-b", "req-c"}
    assert {rid: c["cost_usd"] for rid, c in recent.items()} == COSTS
    a = recent["req-a"]
    assert (a["model"], a["provider"], a["model_requested"], a["route"], a["session_id"], a["streaming"]) == (
        "gpt-4o-mini",
        "openai",
        "fast",
        "chat",
        "s-1",
        True,
    )
    assert a["tokens"] == {
        "prompt": 1200,
        "completion": 300,
        "total": 1500,
        "cached": 1000,
        "cache_creation": 0,
        "reasoning": 0,
    }
    assert (a["ttft_ms"], a["duration_ms"], a["tokens_per_second"]) == (120.0, 900.0, round(300 / 0.78, 1))
    assert a["routing"] == {"strategy": "alias", "selection_reason": "alias fast"}
    assert recent["req-c"]["error"] == "HTTP 503: upstream unavailable"
    totals = data["totals"]
    assert (totals["requests"], totals["errors"], totals["sessions"], totals["unpriced_requests"]) == (3, 1, 1, 0)
    assert totals["cost_usd"] == round(sum(COSTS.values()), 6)
    assert (totals["tokens_in"], totals["tokens_out"], totals["tokens_cached"]) == (3212, 800, 1000)
    assert data["latency_ms"] == {"p50": 900.0, "p95": 2400.0, "p99": 2400.0}
    assert data["ttft_ms"] == {"p50": 120.0, "p95": 120.0, "p99": 120.0}
    assert [(m["model"], m["requests"]) for m in data["models"]] == [
        ("claude-3-5-haiku", 1),
        ("gpt-4o-mini", 1),
        ("mock-gpt", 1),
    ]
    assert data["routes"] == [
        {"route": "chat", "requests": 1, "share": 0.3333},
        {"route": "code", "requests": 1, "share": 0.3333},
    ]
    assert data["last_error"]["request_id"] == "req-c"
    # The catalog was cached: a second run, with the server gone, uses the cache and says so.
    code, out, _ = cli("obs", "--once", "--json", "--pricing-url", f"{base}/api.json", "--path", str(state))
    again = json.loads(out)
    assert (code, again["pricing"]["origin"], again["totals"]["cost_usd"]) == (0, "cache", totals["cost_usd"])


def test_obs_text_once_and_the_footer(collector: int, cli: Cli, state: Path) -> None:
    _send(collector, CALLS[:1])
    _wait_for_calls(cli, 1, "--pricing-url", f"http://127.0.0.1:{_free_port()}/api.json", "--path", str(state))
    code, out, err = cli(
        "obs", "--once", "--pricing-url", f"http://127.0.0.1:{_free_port()}/api.json", "--path", str(state)
    )
    assert code == 0, err
    assert "gpt-4o-mini" in out
    source, prices = out.splitlines()[-2:]
    assert source == f"collector OTLP 127.0.0.1:{collector}"
    assert prices.startswith("pricing: bundled snapshot from 2025-10-15 (")
    assert prices.endswith(" old); models.dev catalog unavailable: connection refused")


def test_no_collector_is_exit_12_for_once_and_json_too(state: Path, cli: Cli) -> None:
    for args in ([], ["--once"], ["--once", "--json"]):
        code, out, err = cli("obs", *args)
        assert (code, out) == (ExitCode.COLLECTOR_NOT_RUNNING, "")
        assert "no trace collector is running" in err


def test_an_invalid_since_is_a_usage_error_before_anything_else(state: Path, cli: Cli) -> None:
    code, out, err = cli("obs", "--once", "--since", "yesterday")
    assert (code, out) == (ExitCode.USAGE, "")
    assert "invalid --since 'yesterday'" in err


def test_refresh_ms_has_a_floor(cli: Cli) -> None:
    code, _, err = cli("obs", "--refresh-ms", "50")
    assert code == ExitCode.USAGE
    assert "50 is not in the range x>=100" in err


def test_the_live_console_redraws_and_ctrl_c_exits_130(collector: int, state: Path) -> None:
    _send(collector, CALLS)
    pid, fd = pty.fork()
    if pid == 0:  # the child: planoai obs in a real terminal
        os.execvpe(
            sys.executable,
            [
                sys.executable,
                "-m",
                "planoai_cli",
                "obs",
                "--refresh-ms",
                "100",
                "--pricing-url",
                f"http://127.0.0.1:{_free_port()}/api.json",
                "--path",
                str(state),
            ],
            {**os.environ, "COLUMNS": "160", "LINES": "60"},
        )
    seen = b""
    deadline = time.monotonic() + 20
    while b"req-c" not in seen or seen.count(b"collector ") < 2:
        assert time.monotonic() < deadline, seen.decode(errors="replace")[-3000:]
        if select.select([fd], [], [], 0.2)[0]:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    os.kill(pid, signal.SIGINT)
    _, wait_status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(wait_status) == ExitCode.INTERRUPTED
    assert b"pricing: bundled snapshot from 2025-10-15" in seen
