"""`planoai trace` end to end: a real collector (trace/daemon.py) on free ports in a private state directory, spans
sent by the OpenTelemetry SDK's real OTLP/gRPC exporter, the real SQLite store, and the real CLI entry."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from planoai_cli.errors import ExitCode
from planoai_cli.trace import daemon
from planoai_cli.trace.store import Store

REPO = Path(__file__).resolve().parent.parent
Cli = Callable[..., tuple[int, str, str]]
MINUTE = 60 * 10**9


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Collector:
    port: int
    env: dict[str, str]


@pytest.fixture
def collector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    """A background collector in a private $XDG_STATE_HOME, stopped afterwards."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    env = dict(os.environ)
    state = daemon.start(daemon.ListenOptions(("127.0.0.1",), _free_port(), _free_port()), env)
    try:
        yield Collector(state.port, env)
    finally:
        daemon.stop(env)


def send(port: int, traces: list[list[dict[str, Any]]], *, service: str = "brightstaff") -> list[str]:
    """Export traces through the SDK's OTLP/gRPC exporter: each a list of spans (name, start/duration in ms relative
    to its `at` minutes ago, attributes, parent index); returns the trace ids as 32-hex."""
    from opentelemetry import trace as otel
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True, timeout=5))
    )
    tracer = provider.get_tracer("tests.trace")
    ids = []
    now = time.time_ns()
    for spans in traces:
        made: list[Any] = []
        for item in spans:
            start = now - int(item.get("ago_minutes", 0) * MINUTE) + int(item.get("at_ms", 0) * 1e6)
            parent = made[item["parent"]] if "parent" in item else None
            context = otel.set_span_in_context(parent) if parent is not None else None
            span = tracer.start_span(
                item["name"], context=context, start_time=start, attributes=item.get("attributes", {})
            )
            made.append(span)
            span.end(end_time=start + int(item.get("ms", 10) * 1e6))
        ids.append(f"{made[0].get_span_context().trace_id:032x}")
    provider.shutdown()
    return ids


def wait_for_spans(env: dict[str, str], count: int) -> None:
    """Until the store holds `count` spans (the collector writes from its own thread), or 10 s."""
    deadline = time.monotonic() + 10
    while True:
        path = daemon.store_path(env)
        if path.exists():
            with Store.open(path, readonly=True) as store:
                if store.stats().spans >= count:
                    return
        assert time.monotonic() < deadline, f"the collector did not store {count} spans"
        time.sleep(0.05)


def chat(model: str, user: str, *, ago_minutes: float = 0, status: int = 200) -> list[dict[str, Any]]:
    return [
        {
            "name": "POST /v1/chat/completions",
            "ago_minutes": ago_minutes,
            "ms": 120,
            "attributes": {
                "llm.model": model,
                "model.requested": model,
                "user.id": user,
                "http.status_code": status,
                "llm.usage.prompt_tokens": 12,
                "llm.usage.completion_tokens": 30,
                **({"error.message": "upstream unavailable"} if status >= 500 else {}),
            },
        },
        {
            "name": "routing",
            "ago_minutes": ago_minutes,
            "at_ms": 2,
            "ms": 5,
            "parent": 0,
            "attributes": {"routing.strategy": "alias", "llm.is_streaming": False},
        },
    ]


@pytest.fixture
def stored(collector: Collector) -> tuple[Collector, list[str]]:
    """Three traces: gpt-4o-mini 10 minutes ago, gpt-4o 1 minute ago, and a failed mock-gpt call just now."""
    ids = send(
        collector.port,
        [
            chat("gpt-4o-mini", "usr_1", ago_minutes=10),
            chat("gpt-4o", "usr_12", ago_minutes=1),
            chat("mock-gpt", "usr_12", status=503),
        ],
    )
    wait_for_spans(collector.env, 6)
    return collector, ids


def test_json_has_every_trace_with_full_ids_and_attributes(stored: tuple[Collector, list[str]], cli: Cli) -> None:
    _, (old, middle, new) = stored
    code, out, err = cli("trace", "any", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert [t["trace_id"] for t in data["traces"]] == [new, middle, old]
    first = data["traces"][0]
    assert (first["span_count"], first["error"], first["root_service"]) == (2, True, "brightstaff")
    root, child = first["spans"]
    assert (root["name"], root["error"], root["http_status"]) == (
        "POST /v1/chat/completions",
        "HTTP 503 Service Unavailable: upstream unavailable",
        503,
    )
    assert root["attributes"]["llm.usage.prompt_tokens"] == 12
    assert (child["parent_span_id"], child["depth"], child["offset_ms"]) == (root["span_id"], 1, 2.0)
    assert child["attributes"] == {"routing.strategy": "alias", "llm.is_streaming": False}


def test_default_is_the_newest_trace_as_a_tree(stored: tuple[Collector, list[str]], cli: Cli) -> None:
    _, (_, _, new) = stored
    code, out, _ = cli("trace")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"trace {new}  120.0 ms total  started ")
    assert lines[1] == "+0.0 ms  [brightstaff] POST /v1/chat/completions  120.0 ms  error 503"
    assert lines[2] == "         │  ✗ HTTP 503 Service Unavailable: upstream unavailable"
    assert "+2.0 ms  └─ [brightstaff] routing  5.0 ms  ok" in lines


def test_list(stored: tuple[Collector, list[str]], cli: Cli) -> None:
    _, (old, middle, new) = stored
    code, out, _ = cli("trace", "--list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "STARTED", "DURATION", "SPANS", "ROOT"]
    assert [r.split()[0] for r in rows] == [new[:8], middle[:8], old[:8]]
    assert rows[0].endswith("  2  [brightstaff] POST /v1/chat/completions  error")
    code, out, _ = cli("trace", "--list", "--json", "--limit", "2")
    assert json.loads(out)["trace_ids"] == [new, middle]


def test_where_since_and_filter(stored: tuple[Collector, list[str]], cli: Cli) -> None:
    _, (old, middle, new) = stored
    code, out, _ = cli("trace", "any", "--where", "user.id=usr_12", "--json")
    assert [t["trace_id"] for t in json.loads(out)["traces"]] == [new, middle]
    code, out, _ = cli("trace", "any", "--where", "user.id=usr_12", "--where", "llm.model=gpt-4o", "--json")
    assert [t["trace_id"] for t in json.loads(out)["traces"]] == [middle]
    code, out, _ = cli("trace", "any", "--where", "llm.is_streaming=false", "--where", "http.status_code=200", "--json")
    assert [t["trace_id"] for t in json.loads(out)["traces"]] == [middle, old]
    code, out, _ = cli("trace", "--since", "5m", "--json")
    assert [t["trace_id"] for t in json.loads(out)["traces"]] == [new, middle]
    code, out, _ = cli("trace", middle[:8], "--filter", "llm.usage.*", "--json")
    assert [s["attributes"] for s in json.loads(out)["traces"][0]["spans"]] == [
        {"llm.usage.prompt_tokens": 12, "llm.usage.completion_tokens": 30},
        {},
    ]
    code, out, _ = cli("trace", middle[:8], "--filter", "llm.model,user.id")
    assert code == 0
    assert [line.split("│  ")[-1] for line in out.splitlines() if ": " in line and "│" in line] == [
        "llm.model: gpt-4o",
        "user.id: usr_12",
    ]


def test_ids_short_full_and_missing(stored: tuple[Collector, list[str]], cli: Cli) -> None:
    _, (old, _, _) = stored
    for typed in (old[:8], old, old.upper()):
        code, out, _ = cli("trace", typed, "--json")
        assert code == 0
        assert [t["trace_id"] for t in json.loads(out)["traces"]] == [old]
    missing = "7f4e9a1c" if not old.startswith("7f4e9a1c") else "1c9a4e7f"
    code, out, err = cli("trace", missing)
    assert (code, out) == (ExitCode.FAILURE, "")
    assert err == (
        f"error: no trace {missing} among the 3 stored traces\nhint: planoai trace --list shows the newest ids\n"
    )


def test_no_match_and_unknown_where_keys(stored: tuple[Collector, list[str]], cli: Cli) -> None:
    code, out, err = cli("trace", "--where", "llm.model=gpt-5")
    assert (code, out) == (ExitCode.FAILURE, "")
    assert err.startswith("error: no trace matches --where llm.model=gpt-5 among the 3 stored traces\n")
    code, out, err = cli("trace", "--where", "user_id=usr_12")
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        "error: no stored span has the attribute 'user_id' (--where compares span attributes; "
        "9 keys are stored)\nhint: did you mean user.id?\n"
    )


def test_exit_12_when_no_collector_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "nothing"))
    for args in ((), ("--list",), ("any", "--json"), ("--follow",)):
        code, out, err = cli("trace", *args)
        assert (code, out) == (ExitCode.COLLECTOR_NOT_RUNNING, "")
        assert err == (
            "error: no trace collector is running\n"
            "hint: start one with `planoai trace listen`, or `planoai up --with-tracing`\n"
        )


def test_exit_12_after_the_collector_stopped_names_the_kept_traces(collector: Collector, cli: Cli) -> None:
    send(collector.port, [chat("gpt-4o", "usr_1")])
    wait_for_spans(collector.env, 2)
    daemon.stop(collector.env)
    code, out, err = cli("trace")
    assert (code, out) == (ExitCode.COLLECTOR_NOT_RUNNING, "")
    assert err.startswith("error: no trace collector is running (1 stored trace is kept and shown again once it runs)")


def _planoai(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "planoai_cli", *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_follow_prints_new_traces_then_stops_after_limit(collector: Collector) -> None:
    send(collector.port, [chat("gpt-4o", "usr_old")])
    wait_for_spans(collector.env, 2)
    process = _planoai("trace", "--follow", "--json", "--limit", "2", env=collector.env)
    try:
        assert process.stderr is not None
        # once it says so, it knows what is already stored
        assert process.stderr.readline() == "following new traces; Ctrl-C stops\n"
        ids = send(collector.port, [chat("gpt-4o-mini", "usr_a", ago_minutes=0.1), chat("mock-gpt", "usr_b")])
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert (process.returncode, err) == (0, "")
    followed = [json.loads(line) for line in out.splitlines()]
    assert [t["trace_id"] for t in followed] == ids  # oldest first, each once, the stored one not repeated
    assert [t["span_count"] for t in followed] == [2, 2]


def test_follow_ends_with_130_on_ctrl_c(collector: Collector) -> None:
    process = _planoai("trace", "--follow", "--where", "user.id=usr_1", env=collector.env)
    try:
        assert process.stderr is not None
        assert process.stderr.readline() == ("warning: no stored span has user.id yet; waiting for traces that do\n")
        assert process.stderr.readline() == "following new traces (--where user.id=usr_1); Ctrl-C stops\n"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert (process.returncode, out, err) == (ExitCode.INTERRUPTED, "", "")


def test_pseudo_targets_run_the_collector_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    port = _free_port()
    code, _, err = cli("trace", "listen", "--port", str(port), "--http-port", "0", "--host", "127.0.0.1")
    try:
        assert code == 0, err
        send(port, [chat("gpt-4o", "usr_1")])
        wait_for_spans(dict(os.environ), 2)
        code, out, _ = cli("trace", "status", "--json")
        assert code == 0
        assert json.loads(out)["running"] is True
        code, out, _ = cli("trace", "--json")
        assert (code, json.loads(out)["traces"][0]["span_count"]) == (0, 2)
    finally:
        code, _, err = cli("trace", "stop")
    assert code == 0, err
    assert cli("trace")[0] == ExitCode.COLLECTOR_NOT_RUNNING
    code, _, err = cli("trace", "listen", "--bogus")
    assert code == ExitCode.USAGE
    assert err.startswith("Usage: planoai trace listen [OPTIONS]\nTry 'planoai trace listen --help' for help.\n")
    code, out, _ = cli("trace", "down", "-h")
    assert (code, out.splitlines()[0]) == (0, "Usage: planoai trace down [OPTIONS]")
