"""`planoai trace` as a command: usage errors before anything is opened, and `show` over stored traces."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from planoai_cli.cli.trace_commands import show
from planoai_cli.errors import CollectorNotRunning, ExitCode, PlanoError
from planoai_cli.trace.model import TraceRecord
from planoai_cli.trace.query import View, parse_query
from tests.tracedata import T0, ListSource, chat_trace, trace_id

Cli = Callable[..., tuple[int, str, str]]
NOW = T0 + 600 * 10**9


def source() -> ListSource:
    return ListSource([chat_trace(n, n * 1000.0, model="gpt-4o" if n == 2 else "gpt-4o-mini") for n in (1, 2, 3)])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "5x"], "error: invalid --since '5x': expected a positive number and a unit, s, m, h or d"),
        (["--since", "0m"], "error: invalid --since '0m'"),
        (["--where", "llm.model"], "error: invalid --where 'llm.model': expected key=value"),
        (["--filter", "llm.*,"], "error: --filter has an empty pattern"),
        (["xyz"], "error: invalid TARGET 'xyz': expected last, any, an 8-hex short id or a 32-hex trace id"),
        (["--list", "7f4e9a1c"], "error: --list lists traces; it cannot be combined with a trace id"),
        (["--json", "status"], "error: `status` cannot be combined with display options"),
        (["--limit", "-1"], "Invalid value for '--limit': -1 is not in the range x>=0."),
        (["--sinse", "5m"], "No such option '--sinse'. Did you mean '--since'?"),
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: list[str], message: str) -> None:
    code, out, err = cli("trace", *args)
    assert (code, out) == (ExitCode.USAGE, "")
    assert message in err


def test_show_prints_the_newest_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert show(parse_query(None), source(), True, View(), now_ns=NOW) == ExitCode.OK
    out, err = capsys.readouterr()
    assert err == ""  # `last` is one trace by definition: no "more match" note
    assert out.startswith(f"trace {trace_id(3)}  120.0 ms total  started ")
    assert "+1.5 ms  └─ [brightstaff] POST /v1/chat/completions  115.2 ms  ok 200\n" in out


def test_show_json_and_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    show(parse_query("any", where=["llm.model=gpt-4o-mini"]), source(), True, View(as_json=True), now_ns=NOW)
    data = json.loads(capsys.readouterr().out)
    assert [t["trace_id"] for t in data["traces"]] == [trace_id(3), trace_id(1)]
    show(parse_query(None, listing=True), source(), True, View(as_json=True), now_ns=NOW)
    assert json.loads(capsys.readouterr().out)["trace_ids"] == [trace_id(3), trace_id(2), trace_id(1)]


def test_show_notes_more_matches_and_filters_that_match_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    show(parse_query(None, limit=1, listing=True), source(), True, View(patterns=("nope.*",)), now_ns=NOW)
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1].startswith("00000003  ")
    assert captured.err == (
        "warning: --filter nope.* matches no attribute of the traces shown\n"
        "showing the newest 1; more traces match (--limit N shows more, --limit 0 all)\n"
    )


def test_show_without_a_collector_or_a_store(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CollectorNotRunning):
        show(parse_query(None), source(), False, View(), now_ns=NOW)
    with pytest.raises(CollectorNotRunning):
        show(parse_query(None), None, False, View(), now_ns=NOW)
    with pytest.raises(PlanoError, match="has stored no traces yet"):
        show(parse_query(None), None, True, View(), now_ns=NOW)
    assert capsys.readouterr().out == ""


def test_help_imports_neither_sqlite_nor_grpc_nor_rich() -> None:
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    # Without coverage's variables: under `pytest --cov` the child would otherwise count coverage's own imports.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "planoai_cli", "trace", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={**env, "NO_COLOR": "1"},
    )
    loaded = {m.group(1).split(".")[0] for m in re.finditer(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", result.stderr)}
    assert "planoai_cli" in loaded
    assert loaded.isdisjoint({"sqlite3", "_sqlite3", "grpc", "google", "rich", "opentelemetry"})
    assert "planoai trace listen" in result.stdout


def test_an_ambiguous_short_id_shows_every_trace_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    twins = ListSource([chat_trace(1, 0.0), TraceRecord("00000001" + "cd" * 12, chat_trace(1, 50.0).spans)])
    show(parse_query("00000001"), twins, True, View(as_json=False), now_ns=NOW)
    out, err = capsys.readouterr()
    assert out.count("\ntrace 00000001") == 1  # two trees, a blank line between them
    assert err == "warning: 2 traces start with 00000001; give the full 32-hex id for one\n"


def test_followed_traces_as_list_lines_and_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from planoai_cli.console.trace import show_followed

    record = chat_trace(2, 0.0)
    show_followed(record, as_json=False, listing=True, first=True)
    show_followed(record, as_json=True, listing=True)
    show_followed(record, as_json=True, listing=False, patterns=("llm.model",))
    line, summary, full = capsys.readouterr().out.splitlines()
    assert line.startswith("00000002  ")
    assert line.endswith("  3  [plano(inbound)] ingress")
    assert json.loads(summary)["trace_id"] == trace_id(2)
    assert "spans" not in json.loads(summary)
    assert [s["attributes"] for s in json.loads(full)["spans"]] == [{}, {"llm.model": "gpt-4o-mini"}, {}]
