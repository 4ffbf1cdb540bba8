"""The collector for real: started by the daemon code on free ports in a temporary state dir, fed by the OpenTelemetry
SDK's own OTLP exporters (gRPC and HTTP) and by raw OTLP/HTTP requests, read back through the store."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from planoai_cli.errors import PlanoError, PortBusy
from planoai_cli.trace import daemon
from planoai_cli.trace.model import STATUS_ERROR, TraceRecord
from planoai_cli.trace.store import Store

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """This test's own state dir (XDG_STATE_HOME); the collector it starts there is stopped afterwards."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    environment = dict(os.environ)
    yield environment
    daemon.stop(environment)


@pytest.fixture
def other_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    environment = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "other-state")}
    yield environment
    daemon.stop(environment)


def options(**limits: int) -> daemon.ListenOptions:
    return daemon.ListenOptions(("127.0.0.1",), free_port(), free_port(), daemon.Limits(**limits))


def send_spans(exporter: SpanExporter, service: str = "checkout") -> dict[str, str]:
    """Two traces through the SDK: a server root with a failed child, and a lone span. Returns their ids by name."""
    provider = TracerProvider(resource=Resource.create({"service.name": service, "deployment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    ids: dict[str, str] = {}
    with tracer.start_as_current_span(
        "POST /v1/chat/completions",
        kind=SpanKind.SERVER,
        attributes={
            "llm.model": "gpt-4o-mini",
            "llm.usage.prompt_tokens": 12,
            "llm.is_streaming": False,
            "llm.duration_ms": 950.25,
        },
    ) as root:
        with tracer.start_as_current_span(
            "upstream", kind=SpanKind.CLIENT, attributes={"tags": ["a", "b"], "codes": [1, 2]}
        ) as child:
            child.set_status(Status(StatusCode.ERROR, "upstream 503"))
        ids.update(
            root=f"{root.get_span_context().span_id:016x}",
            child=f"{child.get_span_context().span_id:016x}",
            trace=f"{root.get_span_context().trace_id:032x}",
        )
    with tracer.start_as_current_span("lone", attributes={"user.id": "usr_12"}) as lone:
        ids["lone_trace"] = f"{lone.get_span_context().trace_id:032x}"
    provider.shutdown()
    return ids


def stored(
    env: dict[str, str], spans: int, *, timeout: float = 15.0, where: dict[str, str] | None = None
) -> list[TraceRecord]:
    """The store's traces once it holds at least `spans` spans (polled: the writer commits asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        if daemon.store_path(env).exists():
            with Store.open(daemon.store_path(env), readonly=True) as store:
                traces = store.traces(where=where)
            if sum(len(t.spans) for t in traces) >= spans:
                return traces
        assert time.monotonic() < deadline, f"the store did not reach {spans} spans within {timeout} s"
        time.sleep(0.05)


def check_sdk_spans(traces: list[TraceRecord], ids: dict[str, str], service: str) -> None:
    by_id = {t.trace_id: t for t in traces}
    root, child = by_id[ids["trace"]].spans
    assert (root.span_id, root.parent_span_id, root.name, root.kind) == (
        ids["root"],
        None,
        "POST /v1/chat/completions",
        2,
    )
    assert root.attributes == {
        "llm.model": "gpt-4o-mini",
        "llm.usage.prompt_tokens": 12,
        "llm.is_streaming": False,
        "llm.duration_ms": 950.25,
    }
    assert (child.span_id, child.parent_span_id, child.kind) == (ids["child"], ids["root"], 3)
    assert child.attributes == {"tags": '["a","b"]', "codes": "[1,2]"}
    assert (child.status_code, child.status_message) == (STATUS_ERROR, "upstream 503")
    assert root.service == child.service == service
    assert root.resource["deployment"] == "test"
    assert root.start_ns <= child.start_ns <= child.end_ns <= root.end_ns
    assert by_id[ids["lone_trace"]].spans[0].attributes == {"user.id": "usr_12"}


def test_spans_from_the_sdk_grpc_exporter_are_stored(env: dict[str, str]) -> None:
    state = daemon.start(options(), env)
    assert state.pid != os.getpid()
    ids = send_spans(GrpcExporter(endpoint=f"127.0.0.1:{state.port}", insecure=True), "grpc-service")
    check_sdk_spans(stored(env, 3), ids, "grpc-service")
    with Store.open(daemon.store_path(env), readonly=True) as store:
        assert store.trace_ids(where={"llm.model": "gpt-4o-mini", "llm.is_streaming": "false"}) == [ids["trace"]]
        assert store.trace_ids(where={"user.id": "usr_12"}) == [ids["lone_trace"]]


def test_spans_from_the_sdk_http_exporter_with_gzip_are_stored(env: dict[str, str]) -> None:
    state = daemon.start(options(), env)
    exporter = HttpExporter(endpoint=f"http://127.0.0.1:{state.http_port}/v1/traces", compression=Compression.Gzip)
    ids = send_spans(exporter, "http-service")
    check_sdk_spans(stored(env, 3), ids, "http-service")


def post(
    port: int,
    body: bytes,
    content_type: str = "application/json",
    path: str = "/v1/traces",
    method: str = "POST",
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": content_type, **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


NOW = time.time_ns() // 1_000_000_000 * 1_000_000_000  # the store drops spans older than its age limit (7 days)


def json_export(trace_id: str, span_id: str, **span: object) -> bytes:
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-service"}}]},
                    "scopeSpans": [
                        {
                            "scope": {"name": "raw"},
                            "spans": [
                                {
                                    "traceId": trace_id,
                                    "spanId": span_id,
                                    "name": "json span",
                                    "kind": 2,
                                    "startTimeUnixNano": str(NOW),
                                    "endTimeUnixNano": str(NOW + 120_000_000),
                                    "attributes": [
                                        {"key": "http.status_code", "value": {"intValue": "200"}},
                                        {"key": "ok", "value": {"boolValue": True}},
                                        {"key": "ratio", "value": {"doubleValue": 0.5}},
                                        {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "x"}]}}},
                                        {
                                            "key": "map",
                                            "value": {
                                                "kvlistValue": {"values": [{"key": "k", "value": {"intValue": 1}}]}
                                            },
                                        },
                                    ],
                                    "status": {"code": 2, "message": "boom"},
                                    "futureField": 1,
                                    **span,
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    ).encode()


def test_otlp_json_over_http_uses_hex_ids_and_answers_per_the_spec(env: dict[str, str]) -> None:
    state = daemon.start(options(), env)
    trace_id, span_id = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
    code, headers, body = post(state.http_port, json_export(trace_id, span_id, parentSpanId="eee19b7ec3c1b173"))
    assert (code, headers["Content-Type"], json.loads(body)) == (200, "application/json", {})
    span = stored(env, 1)[0].spans[0]
    assert (span.trace_id, span.span_id, span.parent_span_id, span.service) == (
        trace_id,
        span_id,
        "eee19b7ec3c1b173",
        "json-service",
    )
    assert span.attributes == {"http.status_code": 200, "ok": True, "ratio": 0.5, "list": '["x"]', "map": '{"k":1}'}
    assert (span.start_ns, span.end_ns, span.kind, span.status_code, span.status_message) == (
        NOW,
        NOW + 120_000_000,
        2,
        2,
        "boom",
    )
    # gzip, and a span with an all-zero id: refused alone, as a partial success
    body = gzip.compress(json_export("0" * 32, span_id))
    code, _, answer = post(state.http_port, body, **{"Content-Encoding": "gzip"})
    assert code == 200
    assert json.loads(answer)["partialSuccess"]["rejectedSpans"] == "1"


def test_spans_older_than_the_age_limit_are_not_stored_and_the_log_says_so(env: dict[str, str]) -> None:
    state = daemon.start(options(max_age_seconds=3600), env)
    old = json.loads(json_export("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"))
    old["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["startTimeUnixNano"] = str(NOW - 7200 * 10**9)
    assert post(state.http_port, json.dumps(old).encode())[0] == 200
    log = Path(state.log_path)
    wait_until(lambda: "were not stored" in log.read_text())
    assert (
        "1 spans started before the age limit (3600 s ago) and were not stored: is the sender's clock right?"
        in log.read_text()
    )
    assert daemon.status(env).spans == 0


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (("POST", "/v1/traces", "text/plain", b"x", {}), 415),
        (("POST", "/v1/traces", "application/json", b"{not json", {}), 400),
        (("POST", "/v1/traces", "application/x-protobuf", b"\xff\xff\xff", {}), 400),
        (("POST", "/v1/traces", "application/json", b"{}", {"Content-Encoding": "br"}), 415),
        (("POST", "/v1/traces", "application/json", b"not gzip", {"Content-Encoding": "gzip"}), 400),
        (("POST", "/v1/metrics", "application/json", b"{}", {}), 404),
        (("GET", "/v1/traces", "application/json", b"", {}), 405),
    ],
)
def test_otlp_http_refusals_have_proper_status_codes(
    env: dict[str, str], request_: tuple[str, str, str, bytes, dict[str, str]], status: int
) -> None:
    state = daemon.start(options(), env)
    method, path, content_type, body, headers = request_
    code, answer_headers, answer = post(state.http_port, body, content_type, path, method, **headers)
    assert code == status
    if answer_headers["Content-Type"] == "application/json":
        assert json.loads(answer)["message"]
    else:  # a google.rpc.Status in protobuf: field 1 (code) then field 2 (message)
        assert answer[:1] == b"\x08"


def test_history_survives_a_restart_of_the_collector(env: dict[str, str]) -> None:
    first = daemon.start(options(), env)
    ids = send_spans(GrpcExporter(endpoint=f"127.0.0.1:{first.port}", insecure=True))
    stored(env, 3)
    assert daemon.stop(env) == first
    second = daemon.start(options(), env)
    assert second.pid != first.pid
    more = send_spans(GrpcExporter(endpoint=f"127.0.0.1:{second.port}", insecure=True))
    trace_ids = {t.trace_id for t in stored(env, 6)}
    assert {ids["trace"], ids["lone_trace"], more["trace"], more["lone_trace"]} == trace_ids


def test_the_limits_prune_what_the_collector_stores(env: dict[str, str]) -> None:
    state = daemon.start(options(max_spans=4), env)
    for _ in range(4):
        last = send_spans(GrpcExporter(endpoint=f"127.0.0.1:{state.port}", insecure=True))
    deadline = time.monotonic() + 15
    while True:
        with Store.open(daemon.store_path(env), readonly=True) as store:
            ids, stats = store.trace_ids(), store.stats()
        if last["lone_trace"] in ids:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert stats.spans <= 4
    assert stats.traces < 8
    assert daemon.status(env).state == state


def test_a_second_collector_on_the_port_is_refused_naming_the_first(
    env: dict[str, str], other_env: dict[str, str]
) -> None:
    first = daemon.start(options(), env)
    with pytest.raises(PortBusy) as same_dir:
        daemon.start(daemon.ListenOptions(("127.0.0.1",), free_port(), 0), env)
    assert f"the trace collector is already running (pid {first.pid})" in same_dir.value.message
    assert "planoai trace down" in (same_dir.value.hint or "")
    with pytest.raises(PortBusy) as other_dir:
        daemon.start(daemon.ListenOptions(("127.0.0.1",), first.port, 0), other_env)
    assert (
        f"127.0.0.1:{first.port} (OTLP/gRPC) is in use by another planoai trace collector (pid {first.pid}, "
        f"state in {daemon.collector_dir(env)})"
    ) in other_dir.value.message
    assert other_dir.value.hint == (
        f"XDG_STATE_HOME={env['XDG_STATE_HOME']} planoai trace down stops that "
        "collector; or choose other ports with --port / --http-port"
    )
    assert daemon.read_state(other_env) is None


def test_a_port_held_by_another_program_is_refused_naming_it(env: dict[str, str]) -> None:
    port = free_port()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys, time\n"
            f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "ready\n"
        with pytest.raises(PortBusy) as caught:
            daemon.start(daemon.ListenOptions(("127.0.0.1",), free_port(), port), env)
        name = Path(f"/proc/{holder.pid}/comm").read_text().strip()
        assert f"127.0.0.1:{port} (OTLP/HTTP) is in use by {name} (pid {holder.pid})" in caught.value.message
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


def test_readers_query_while_the_collector_writes(env: dict[str, str]) -> None:
    state = daemon.start(options(), env)
    errors: list[BaseException] = []

    def export() -> None:
        try:
            for _ in range(15):
                send_spans(GrpcExporter(endpoint=f"127.0.0.1:{state.port}", insecure=True))
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    thread = threading.Thread(target=export)
    thread.start()
    counts = []
    with Store.open(
        daemon.store_path(env) if daemon.store_path(env).exists() else Path(state.db_path), readonly=True
    ) as store:
        while thread.is_alive():
            counts.append(store.stats().spans)
            assert all(len(t.spans) in (1, 2) for t in store.traces(limit=10))
    thread.join()
    assert not errors
    assert counts == sorted(counts)
    assert len(stored(env, 45)) == 30


def test_down_is_idempotent_and_a_stale_state_file_is_dropped(env: dict[str, str]) -> None:
    assert daemon.stop(env) is None
    state = daemon.start(options(), env)
    assert daemon.stop(env) == state
    assert daemon.stop(env) is None
    assert not (daemon.collector_dir(env) / daemon.STATE_FILE).exists()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    stale = daemon.CollectorState(int(dead.stdout), ("127.0.0.1",), 1, 2, "db", "log", 1, 1, time.time())
    daemon.write_state(daemon.collector_dir(env), stale)
    assert daemon.read_state(env) is None
    assert not (daemon.collector_dir(env) / daemon.STATE_FILE).exists()
    running = daemon.start(options(), env)
    state_file = daemon.collector_dir(env) / daemon.STATE_FILE
    state_file.write_text(json.dumps({**json.loads(state_file.read_text()), "from_a_newer_cli": 1}))
    assert daemon.read_state(env) == running  # a field it does not know is no reason to forget a live collector


def test_a_collector_that_dies_while_starting_is_reported_with_its_log(env: dict[str, str]) -> None:
    daemon.store_path(env).mkdir(parents=True)  # a folder where the store file should be
    with pytest.raises(PlanoError) as caught:
        daemon.start(options(), env)
    assert "the trace collector exited while starting (exit code 1)" in caught.value.message
    assert "cannot open the trace store" in caught.value.message
    assert daemon.read_state(env) is None


def test_ensure_running_reuses_a_compatible_collector_and_refuses_another(env: dict[str, str]) -> None:
    port = free_port()
    state, started = daemon.ensure_running(["127.0.0.1"], port, free_port(), env=env)
    assert started
    assert daemon.ensure_running(["127.0.0.1"], port, free_port(), env=env) == (state, False)
    with pytest.raises(PortBusy, match=f"already runs \\(pid {state.pid}\\)") as caught:
        daemon.ensure_running(["127.0.0.1"], free_port(), env=env)
    assert f"--tracing-port {port}" in (caught.value.hint or "")


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)


# --- the command line: planoai trace listen | status | down | stop -------------------------------------------------


def test_listen_status_and_down_from_the_command_line(
    env: dict[str, str], cli: Callable[..., tuple[int, str, str]]
) -> None:
    port, http_port = free_port(), free_port()
    listen = (
        "trace",
        "listen",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--http-port",
        str(http_port),
        "--max-spans",
        "1000",
        "--max-age",
        "12h",
    )
    code, out, err = cli(*listen)
    state = daemon.read_state(env)
    assert state is not None
    where = daemon.collector_dir(env)
    assert (code, out) == (0, "")
    assert err == (
        f"✓ trace collector started (pid {state.pid})\n"
        f"  OTLP/gRPC  127.0.0.1:{port}\n"
        f"  OTLP/HTTP  http://127.0.0.1:{http_port}/v1/traces\n"
        f"  store      {where}/traces.sqlite3 (at most 1000 spans, 12 hours)\n"
        f"  log        {where}/collector.log\n"
        f"send OTLP to it (e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:{port}), then: planoai "
        "trace; planoai trace down stops it\n"
    )
    send_spans(GrpcExporter(endpoint=f"127.0.0.1:{port}", insecure=True))
    stored(env, 3)
    code, out, _ = cli("trace", "status", "--json")
    report = json.loads(out)
    assert code == 0
    assert {
        k: report[k]
        for k in (
            "running",
            "pid",
            "grpc",
            "http",
            "max_spans",
            "max_age_seconds",
            "spans",
            "traces",
            "db_path",
            "foreground",
        )
    } == {
        "running": True,
        "pid": state.pid,
        "grpc": [f"127.0.0.1:{port}"],
        "http": [f"http://127.0.0.1:{http_port}/v1/traces"],
        "max_spans": 1000,
        "max_age_seconds": 43200,
        "spans": 3,
        "traces": 2,
        "db_path": f"{where}/traces.sqlite3",
        "foreground": False,
    }
    assert report["db_bytes"] > 0
    assert report["uptime_seconds"] >= 0
    code, out, _ = cli("trace", "status")
    assert code == 0
    assert out.startswith(f"trace collector: running (pid {state.pid}, up ")
    assert "  stored     2 traces, 3 spans, from " in out
    code, _, err = cli(*listen)
    assert code == 7
    assert f"error: the trace collector is already running (pid {state.pid})" in err
    assert cli("trace", "down") == (
        0,
        "",
        f"stopped the trace collector (pid {state.pid}); its traces stay in {where}/traces.sqlite3\n",
    )
    assert cli("trace", "stop") == (0, "", "no trace collector is running; nothing to stop\n")
    code, out, _ = cli("trace", "status")
    assert code == 12
    assert out.splitlines()[0] == "trace collector: not running (planoai trace listen starts it)"
    assert "2 traces, 3 spans" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--host", "localhost"), "--host 'localhost' is not an IP address"),
        (("--host", "127.0.0.1", "--max-age", "7 days"), "invalid --max-age '7 days'"),
        (("--host", "127.0.0.1", "--port", "5000", "--http-port", "5000"), "--port and --http-port are both 5000"),
    ],
)
def test_listen_usage_errors(
    env: dict[str, str], cli: Callable[..., tuple[int, str, str]], args: tuple[str, ...], message: str
) -> None:
    code, _, err = cli("trace", "listen", *args)
    assert code == 2
    assert message in err
    assert daemon.read_state(env) is None


def test_without_a_docker_engine_listen_uses_loopback_only_and_says_so(
    env: dict[str, str], cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    code, _, err = cli("trace", "listen", "--port", str(free_port()), "--http-port", "0")
    assert code == 0
    assert err.startswith("listening on 127.0.0.1 only: no Docker bridge address (no Docker engine answered:")
    state = daemon.read_state(env)
    assert state is not None
    assert (state.hosts, state.http_port, state.http_urls()) == (("127.0.0.1",), 0, [])


def test_listen_in_the_foreground_stops_cleanly_on_ctrl_c(env: dict[str, str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "planoai_cli",
            "trace",
            "listen",
            "--foreground",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--http-port",
            "0",
        ],
        env={**env, "NO_COLOR": "1"},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: daemon.read_state(env) is not None or process.poll() is not None)
        state = daemon.read_state(env)
        assert state is not None
        assert (state.pid, state.foreground) == (process.pid, True)
        ids = send_spans(GrpcExporter(endpoint=f"127.0.0.1:{port}", insecure=True))
        assert ids["trace"] in {t.trace_id for t in stored(env, 3)}
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "trace collector in the foreground; Ctrl-C stops it" in err
    assert f"listening: OTLP/gRPC on 127.0.0.1:{port}; store " in err
    assert "stopped: 3 spans received, 3 new stored" in err
    assert daemon.read_state(env) is None
