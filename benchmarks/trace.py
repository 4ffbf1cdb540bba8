"""Benchmark: the trace collector's OTLP/gRPC ingest rate and memory, then `where` queries over the stored traces.

A real collector is started by the daemon code (background process, temporary state dir, free ports). Clients
send pre-encoded ExportTraceServiceRequest messages through grpcio (the spans look like the gateway's: an inbound
hop, Brightstaff's LLM span with usage attributes, an outbound hop, ...), so the client costs little of the
machine's two cores. The rate counts spans durably stored (the store's own count), not merely accepted. Then
queries run on a read-only connection, as `planoai trace` and `planoai obs` do. Prints a table; never a test.

    .venv/bin/python benchmarks/trace.py [--spans 100000] [--spans-per-trace 10] [--batch 2000] [--clients 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue  # noqa: E402
from opentelemetry.proto.trace.v1.trace_pb2 import Span  # noqa: E402

from planoai_cli.trace import daemon  # noqa: E402
from planoai_cli.trace.store import Store  # noqa: E402

MODELS = ("gpt-4o-mini", "gpt-4o", "claude-sonnet-4")
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _kv(key: str, value: str | int | float | bool) -> KeyValue:
    pair = KeyValue(key=key)
    if isinstance(value, bool):
        pair.value.bool_value = value
    elif isinstance(value, int):
        pair.value.int_value = value
    elif isinstance(value, float):
        pair.value.double_value = value
    else:
        pair.value.string_value = value
    return pair


def _span(trace: int, index: int, start: int) -> Span:
    trace_id = trace.to_bytes(16, "big")
    span = Span(
        trace_id=trace_id,
        span_id=(trace * 64 + index + 1).to_bytes(8, "big"),
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=start + index * 1_000_000,
        end_time_unix_nano=start + 120_000_000,
    )
    if index:
        span.parent_span_id = (trace * 64 + 1).to_bytes(8, "big")
    model = MODELS[trace % len(MODELS)]
    if index == 1:
        span.name = "POST /v1/chat/completions"
        span.attributes.extend(
            [
                _kv("llm.model", model),
                _kv("model.requested", model),
                _kv("llm.provider", "openai"),
                _kv("llm.usage.prompt_tokens", 12 + trace % 50),
                _kv("llm.usage.completion_tokens", 30),
                _kv("llm.usage.total_tokens", 42 + trace % 50),
                _kv("llm.time_to_first_token", 180.5),
                _kv("llm.duration_ms", 950.25),
                _kv("llm.is_streaming", trace % 2 == 0),
                _kv("http.status_code", 200),
                _kv("request_id", f"req-{trace:08d}"),
            ]
        )
    else:
        span.name = "ingress" if index == 0 else f"egress {index}"
        span.attributes.extend(
            [
                _kv("http.method", "POST"),
                _kv("http.target", "/v1/chat/completions"),
                _kv("http.status_code", 200),
                _kv("upstream_cluster", "bright_staff"),
                _kv("component", "proxy"),
                _kv("user.id", f"usr_{trace}"),
                _kv("guid:x-request-id", f"{trace:032x}"),
                _kv("request_size", 512),
                _kv("response_size", 2048),
                _kv("node_id", "plano"),
            ]
        )
    return span


def _requests(spans: int, per_trace: int, batch: int) -> list[bytes]:
    start = time.time_ns() - 3_600_000_000_000
    encoded = []
    for first in range(0, spans, batch):
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.append(_kv("service.name", "plano(inbound)"))
        scope = resource_spans.scope_spans.add()
        for n in range(first, min(first + batch, spans)):
            trace = n // per_trace + 1
            scope.spans.append(_span(trace, n % per_trace, start + trace * 1_000_000))
        encoded.append(request.SerializeToString())
    return encoded


def _send(port: int, requests: list[bytes], clients: int) -> float:
    import grpc

    def worker(share: list[bytes]) -> None:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            export = channel.unary_unary(
                EXPORT, request_serializer=None, response_deserializer=ExportTraceServiceResponse.FromString
            )
            for body in share:
                export(body, timeout=60, wait_for_ready=True)

    threads = [threading.Thread(target=worker, args=(requests[i::clients],)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def _wait_stored(path: Path, last_traces: list[str], began: float) -> float:
    """Seconds from `began` until the last trace each client sent is stored: the writer keeps each client's order,
    so everything before it is stored too (pruned, perhaps, but through the store)."""
    with Store.open(path, readonly=True) as store:
        while len(store.trace_ids(trace_ids=last_traces)) < len(set(last_traces)):
            time.sleep(0.02)
    return time.perf_counter() - began


def _last_traces(requests: list[bytes], clients: int) -> list[str]:
    found = []
    for share in range(min(clients, len(requests))):
        last = ExportTraceServiceRequest.FromString(requests[share::clients][-1])
        found.append(last.resource_spans[0].scope_spans[0].spans[-1].trace_id.hex())
    return found


def _rss_kib(pid: int) -> tuple[int, int]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _timed(action: Callable[[], object], runs: int = 5) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), result


def _cli_query(env: dict[str, str], *args: str) -> str:
    samples, code = [], 0
    for _ in range(3):
        began = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "planoai_cli", "trace", *args], capture_output=True, env=env, cwd=REPO, check=False
        )
        samples.append((time.perf_counter() - began) * 1000)
        code = result.returncode
    return f"{statistics.median(samples):.0f} ms (exit {code})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--spans-per-trace", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2000, help="spans per export request")
    parser.add_argument("--clients", type=int, default=2, help="concurrent gRPC clients")
    parser.add_argument("--max-spans", type=int, default=200_000, help="the collector's --max-spans")
    args = parser.parse_args()
    requests = _requests(args.spans, args.spans_per_trace, args.batch)
    traces = -(-args.spans // args.spans_per_trace)
    with tempfile.TemporaryDirectory(prefix="planoai-trace-bench-") as home:
        env = {**os.environ, "XDG_STATE_HOME": home}
        options = daemon.ListenOptions(
            ("127.0.0.1",), _free_port(), _free_port(), daemon.Limits(args.max_spans, 7 * 86_400)
        )
        state = daemon.start(options, env)
        try:
            rss_idle, _ = _rss_kib(state.pid)
            sent = _send(state.port, requests, args.clients)
            stored = _wait_stored(Path(state.db_path), _last_traces(requests, args.clients), time.perf_counter() - sent)
            rss, peak = _rss_kib(state.pid)
            rows = _queries(Path(state.db_path), env, traces)
            size = daemon.status(env).db_bytes or 0
        finally:
            daemon.stop(env)
    print(
        f"ingest: {args.spans} spans ({traces} traces) in {len(requests)} OTLP/gRPC exports of {args.batch} "
        f"spans from {args.clients} clients, collector --max-spans {args.max_spans}"
    )
    print(f"{'measure':<64} {'value':>22}")
    print("-" * 87)
    print(f"{'exports accepted (client side)':<64} {args.spans / sent:>16,.0f} span/s")
    print(f"{'stored durably (first export to the last span committed)':<64} {args.spans / stored:>16,.0f} span/s")
    memory = f"{rss_idle // 1024} / {rss // 1024} / {peak // 1024} MiB"
    print(f"{'collector RSS idle / after ingest / peak':<64} {memory:>22}")
    print(f"{'store file (db + wal)':<64} {f'{size / 1e6:.1f} MB':>22}")
    for label, value in rows:
        print(f"{label:<64} {value:>22}")
    print("\nqueries: median of 5 runs on a read-only connection (as `trace` and `obs` open the store)")


def _queries(path: Path, env: dict[str, str], traces: int) -> list[tuple[str, str]]:
    rows = []
    with Store.open(path, readonly=True) as store:
        stats = store.stats()
        rows.append((f"stored: {stats.traces} traces, {stats.spans} spans", ""))
        selective = {"user.id": f"usr_{traces // 2}"}
        common = {"llm.model": MODELS[0]}
        checks: list[tuple[str, Callable[[], object]]] = [
            ("trace_ids(where user.id=<one trace>), no limit", lambda: store.trace_ids(where=selective)),
            ("traces(where user.id=<one trace>), no limit", lambda: store.traces(where=selective)),
            (f"trace_ids(where llm.model={MODELS[0]}), no limit", lambda: store.trace_ids(where=common)),
            (f"traces(where llm.model={MODELS[0]}, limit 50)", lambda: store.traces(where=common, limit=51)),
            (
                "traces(where llm.model AND http.status_code=200, limit 50)",
                lambda: store.traces(where={**common, "http.status_code": "200"}, limit=51),
            ),
            ("traces(limit 1)  (trace last)", lambda: store.traces(limit=1)),
            ("trace_ids(), no limit  (trace --list --limit 0)", store.trace_ids),
            (
                "spans_with_attribute(llm.model, limit 10001)  (obs)",
                lambda: store.spans_with_attribute("llm.model", limit=10_001),
            ),
            (
                "spans_with_attribute(llm.model, after_id)  (obs after a commit)",
                lambda: store.spans_with_attribute("llm.model", limit=10_001, after_id=store.last_span_id() - 1),
            ),
            ("attribute_keys()", store.attribute_keys),
            ("stats()", store.stats),
        ]
        for label, action in checks:
            took, result = _timed(action)
            count = len(result) if isinstance(result, list | set) else "-"
            rows.append((f"{label} -> {count}", f"{took:.1f} ms"))
    probe = subprocess.run(
        [sys.executable, "-m", "planoai_cli", "trace", "--help"], capture_output=True, env=env, cwd=REPO, check=False
    )
    if probe.returncode == 0:
        rows.append(
            (
                "planoai trace any --where user.id=<one trace> --json (process)",
                _cli_query(env, "any", "--where", f"user.id=usr_{traces // 2}", "--json"),
            )
        )
    else:
        rows.append(("planoai trace (the command is not wired yet)", "-"))
    return rows


if __name__ == "__main__":
    main()
