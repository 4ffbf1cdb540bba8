"""trace/query.py, tree.py, export.py and follow.py over real SpanRecord values (no collector, no store)."""

from __future__ import annotations

import json

import pytest

from planoai_cli.errors import CollectorNotRunning, ExitCode, PlanoError, UsageError
from planoai_cli.trace.export import iso_time, list_json, local_time, trace_json
from planoai_cli.trace.follow import FollowOptions, Settler, follow
from planoai_cli.trace.model import STATUS_ERROR, TraceRecord
from planoai_cli.trace.query import (
    DEFAULT_LIMIT,
    Query,
    Target,
    attribute_text,
    check_where_keys,
    parse_filter,
    parse_query,
    parse_since,
    parse_target,
    parse_where,
    select,
)
from planoai_cli.trace.tree import build_tree, key_matches, root_span, shown_attributes, span_error, span_status
from tests.tracedata import MS, T0, ListSource, chat_trace, span, trace, trace_id

NOW = T0 + 3600 * 1000 * MS  # an hour after the first trace


def stored(count: int = 5) -> ListSource:
    """`count` chat traces one minute apart; trace n uses gpt-4o for even n, and n=3 failed with a 502."""
    return ListSource(
        [
            chat_trace(
                n,
                n * 60_000.0,
                model="gpt-4o" if n % 2 == 0 else "gpt-4o-mini",
                status=502 if n == 3 else 200,
                user=f"usr_{n}",
            )
            for n in range(1, count + 1)
        ]
    )


# --- TARGET -----------------------------------------------------------------------------------------------------------


def test_no_target_is_last_unless_listing_since_or_limit() -> None:
    assert parse_query(None) == Query(Target("last"))
    assert parse_query(None, listing=True).target == Target("any")
    assert parse_query(None, since="5m").target == Target("any")
    assert parse_query(None, limit=3).target == Target("any")
    assert parse_query(None, where=["a=b"]).target == Target("last")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("last", Target("last")),
        ("ANY", Target("any")),
        ("7F4E9A1C", Target("id", "7f4e9a1c")),
        ("0af7651916cd43dd8448eb211c80319c", Target("id", "0af7651916cd43dd8448eb211c80319c")),
    ],
)
def test_targets(typed: str, expected: Target) -> None:
    assert parse_target(typed, listing=False, implicit_any=False) == expected


@pytest.mark.parametrize(
    "typed", ["7f4e9a1", "7f4e9a1c0", "0af7651916cd43dd", "xyz", "7f4e9a1g", "00000000", "0" * 32, ""]
)
def test_bad_targets_are_usage_errors(typed: str) -> None:
    with pytest.raises(UsageError, match="expected last, any, an 8-hex short id or a 32-hex trace id") as e:
        parse_target(typed, listing=False, implicit_any=False)
    assert e.value.exit_code == ExitCode.USAGE


def test_list_with_an_id_and_a_pseudo_target_with_options_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="cannot be combined with a trace id"):
        parse_query("7f4e9a1c", listing=True)
    with pytest.raises(UsageError, match="`status` cannot be combined with display options") as e:
        parse_query("status", listing=True)
    assert e.value.hint == "put its own options after it: planoai trace status [OPTIONS]"


# --- --where, --filter, --since, --limit ---------------------------------------------------------------------------


def test_where_pairs_keep_everything_after_the_first_equals() -> None:
    assert parse_where(["llm.model=gpt-4o", "guid:x-request-id=a=b", "empty="]) == (
        ("llm.model", "gpt-4o"),
        ("guid:x-request-id", "a=b"),
        ("empty", ""),
    )


def test_malformed_where_items_are_all_named() -> None:
    with pytest.raises(UsageError) as e:
        parse_where(["ok=1", "novalue", "=x", "bad key=1"])
    assert e.value.message == "invalid --where 'novalue', '=x', 'bad key=1': expected key=value"
    assert e.value.exit_code == ExitCode.USAGE


def test_unknown_where_key_names_the_close_stored_keys() -> None:
    keys = stored().attribute_keys()
    with pytest.raises(UsageError) as e:
        check_where_keys([("llm.modle", "x"), ("model", "y")], keys)
    assert e.value.message.startswith("no stored span has the attribute 'llm.modle', 'model'")
    assert e.value.hint == "llm.modle: did you mean llm.model?; model: did you mean llm.model?"
    with pytest.raises(UsageError) as e:
        check_where_keys([("user_id", "x")], keys)
    assert e.value.hint == "did you mean user.id?"
    with pytest.raises(UsageError) as e:
        check_where_keys([("nothing.like.it", "x")], keys)
    assert e.value.hint == "planoai trace -v shows every attribute"
    check_where_keys([("llm.model", "anything")], keys)


def test_filter_patterns_are_repeatable_and_comma_separated() -> None:
    assert parse_filter(["llm.*, http.status_code", "user.id"]) == ("llm.*", "http.status_code", "user.id")
    for bad in (["llm.*,"], [""], ["a,,b"]):
        with pytest.raises(UsageError, match="--filter has an empty pattern"):
            parse_filter(bad)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), (" 5M ", 300)])
def test_since(text: str, seconds: int) -> None:
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["5", "m", "5x", "0m", "-5m", "1h30m", "5 m", "", "1.5h"])
def test_invalid_since_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="invalid --since") as e:
        parse_since(text)
    assert e.value.exit_code == ExitCode.USAGE


def test_negative_limit_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid --limit -1"):
        parse_query(None, limit=-1)


def test_attribute_text_compares_as_written() -> None:
    assert [attribute_text(v) for v in (True, False, 200, 0.5, "x")] == ["true", "false", "200", "0.5", "x"]


# --- selection -----------------------------------------------------------------------------------------------------


def ids(traces: tuple[TraceRecord, ...]) -> list[str]:
    return [t.short_id for t in traces]


def test_last_is_the_newest_trace_and_any_is_newest_first() -> None:
    source = stored()
    assert ids(select(parse_query(None), source, running=True, now_ns=NOW).traces) == ["00000005"]
    found = select(parse_query("any"), source, running=True, now_ns=NOW)
    assert ids(found.traces) == ["00000005", "00000004", "00000003", "00000002", "00000001"]
    assert (found.more, found.stored) == (False, 5)


def test_where_is_an_and_of_pairs_each_matched_by_any_span() -> None:
    source = stored()
    # user.id is on the inbound span, llm.model on Brightstaff's: both must hold, on any span of the trace
    query = parse_query("any", where=["user.id=usr_2", "llm.model=gpt-4o"])
    assert ids(select(query, source, running=True, now_ns=NOW).traces) == ["00000002"]
    query = parse_query("any", where=["user.id=usr_2", "llm.model=gpt-4o-mini"])
    with pytest.raises(PlanoError) as e:
        select(query, source, running=True, now_ns=NOW)
    assert e.value.exit_code == ExitCode.FAILURE
    assert e.value.message == (
        "no trace matches --where user.id=usr_2, --where llm.model=gpt-4o-mini among the 5 stored traces"
    )


def test_where_compares_numbers_and_bools_as_text() -> None:
    source = stored()
    found = select(
        parse_query("any", where=["http.status_code=502", "llm.is_streaming=false"]), source, running=True, now_ns=NOW
    )
    assert ids(found.traces) == ["00000003"]


def test_where_with_a_key_no_span_has_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"no stored span has the attribute 'llm\.modle'"):
        select(parse_query(None, where=["llm.modle=x"]), stored(), running=True, now_ns=NOW)


def test_since_keeps_traces_with_a_span_in_the_window() -> None:
    source = stored()
    now = T0 + 5 * 60_000 * MS + 30_000 * MS  # 30 s after trace 5 started, 90 s after trace 4
    assert ids(select(parse_query(None, since="1m"), source, running=True, now_ns=now).traces) == ["00000005"]
    assert ids(select(parse_query(None, since="2m"), source, running=True, now_ns=now).traces) == [
        "00000005",
        "00000004",
    ]
    with pytest.raises(PlanoError, match=r"no trace matches --since 10s among the 5 stored traces"):
        select(parse_query(None, since="10s"), source, running=True, now_ns=now)


def test_limit_and_the_default_limit() -> None:
    found = select(parse_query(None, limit=2), stored(), running=True, now_ns=NOW)
    assert (ids(found.traces), found.more) == (["00000005", "00000004"], True)
    many = ListSource([chat_trace(n, float(n)) for n in range(1, DEFAULT_LIMIT + 11)])
    found = select(parse_query("any"), many, running=True, now_ns=NOW)
    assert (len(found.traces), found.more) == (DEFAULT_LIMIT, True)
    found = select(parse_query("any", limit=0), many, running=True, now_ns=NOW)
    assert (len(found.traces), found.more) == (DEFAULT_LIMIT + 10, False)


def test_short_and_full_ids() -> None:
    source = stored()
    assert ids(select(parse_query("00000003"), source, running=True, now_ns=NOW).traces) == ["00000003"]
    full = trace_id(3)
    assert [t.trace_id for t in select(parse_query(full), source, running=True, now_ns=NOW).traces] == [full]


def test_a_missing_id_names_it_and_the_store_size() -> None:
    with pytest.raises(PlanoError) as e:
        select(parse_query("7f4e9a1c"), stored(), running=True, now_ns=NOW)
    assert (e.value.message, e.value.hint) == (
        "no trace 7f4e9a1c among the 5 stored traces",
        "planoai trace --list shows the newest ids",
    )
    assert type(e.value) is PlanoError
    assert e.value.exit_code == ExitCode.FAILURE


def test_no_collector_is_exit_12_never_no_traces() -> None:
    with pytest.raises(CollectorNotRunning) as e:
        select(parse_query(None), stored(), running=False, now_ns=NOW)
    assert int(e.value.exit_code) == 12
    assert e.value.message == "no trace collector is running (5 stored traces are kept and shown again once it runs)"
    assert e.value.hint == "start one with `planoai trace listen`, or `planoai up --with-tracing`"
    with pytest.raises(CollectorNotRunning, match=r"^no trace collector is running$"):
        select(parse_query(None), ListSource([]), running=False, now_ns=NOW)


def test_an_empty_store_says_so() -> None:
    with pytest.raises(PlanoError, match="the collector is running but has stored no traces yet"):
        select(parse_query(None, where=["llm.model=x"]), ListSource([]), running=True, now_ns=NOW)


# --- trees -----------------------------------------------------------------------------------------------------------


def test_tree_offsets_depths_and_child_order() -> None:
    tid = trace_id(9)
    record = trace(
        span(tid, "a" * 16, None, "root", "svc", at=0, took=100),
        span(tid, "c" * 16, "a" * 16, "late child", "svc", at=50, took=10),
        span(tid, "b" * 16, "a" * 16, "early child", "svc", at=10, took=10),
        span(tid, "d" * 16, "b" * 16, "grandchild", "svc", at=12.5, took=1),
    )
    (root,) = build_tree(record)
    assert [c.span.name for c in root.children] == ["early child", "late child"]
    grandchild = root.children[0].children[0]
    assert (grandchild.span.name, grandchild.depth, grandchild.offset_ns) == ("grandchild", 2, 12_500_000)
    assert root_span(record) == root.span


def test_orphans_and_cycles_become_roots_and_nothing_is_lost() -> None:
    tid = trace_id(9)
    record = trace(
        span(tid, "a" * 16, "f" * 16, "orphan", "svc", at=5, took=1),
        span(tid, "b" * 16, "c" * 16, "cycle-1", "svc", at=1, took=1),
        span(tid, "c" * 16, "b" * 16, "cycle-2", "svc", at=2, took=1),
        span(tid, "e" * 16, "e" * 16, "own parent", "svc", at=0, took=1),
    )
    roots = build_tree(record)
    assert [r.span.name for r in roots] == ["own parent", "orphan", "cycle-1"]
    assert [c.span.name for c in roots[2].children] == ["cycle-2"]


# --- errors and attributes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "status", "expected"),
    [
        ({"http.status_code": 502}, 0, "HTTP 502 Bad Gateway"),
        ({"http.status_code": "404"}, 0, "HTTP 404 Not Found"),
        ({"http.response.status_code": 599}, 0, "HTTP 599"),
        (
            {"http.status_code": 500, "error.message": "upstream timed out"},
            0,
            "HTTP 500 Internal Server Error: upstream timed out",
        ),
        ({"exception.message": "boom"}, 0, "boom"),
        ({}, STATUS_ERROR, "span status ERROR"),
        ({"http.status_code": 200}, 0, None),
        ({"http.status_code": 302, "error.message": " "}, 0, None),
    ],
)
def test_error_detection(attributes: dict[str, int | str], status: int, expected: str | None) -> None:
    record = span(trace_id(1), "a" * 16, None, "x", "svc", at=0, took=1, status_code=status, attrs=attributes)
    assert span_error(record) == expected


def test_status_message_and_status_column() -> None:
    failed = span(
        trace_id(1), "a" * 16, None, "x", "svc", at=0, took=1, status_code=STATUS_ERROR, status_message="oops"
    )
    assert (span_error(failed), span_status(failed)) == ("oops", "error")
    ok = span(trace_id(1), "a" * 16, None, "x", "svc", at=0, took=1, attrs={"http.status_code": 200})
    assert span_status(ok) == "ok 200"
    assert span_status(span(trace_id(1), "a" * 16, None, "x", "svc", at=0, took=1)) == "ok"


def test_attributes_sorted_errors_first_then_priorities_then_alphabetical() -> None:
    record = span(
        trace_id(1),
        "a" * 16,
        None,
        "x",
        "brightstaff",
        at=0,
        took=1,
        attrs={
            "zeta": 1,
            "http.method": "POST",
            "llm.usage.prompt_tokens": 3,
            "alpha": 2,
            "model.requested": "m",
            "error.message": "e",
            "llm.model": "m",
            "http.status_code": 500,
            "routing.strategy": "s",
        },
    )
    shown, hidden = shown_attributes(record)
    assert [k for k, _ in shown] == [
        "error.message",
        "llm.model",
        "model.requested",
        "llm.usage.prompt_tokens",
        "routing.strategy",
        "http.method",
        "http.status_code",
        "alpha",
        "zeta",
    ]
    assert hidden == 0


def test_hop_spans_hide_proxy_noise_unless_verbose() -> None:
    inbound = chat_trace(1, 0).spans[0]
    shown, hidden = shown_attributes(inbound)
    assert [k for k, _ in shown] == ["http.method", "http.target", "http.status_code", "upstream_cluster"]
    assert hidden == 2  # component, user.id
    assert len(shown_attributes(inbound, verbose=True)[0]) == 6


def test_filter_globs_choose_among_every_attribute() -> None:
    inbound = chat_trace(1, 0).spans[0]
    assert [k for k, _ in shown_attributes(inbound, patterns=("user.*", "comp?nent"))[0]] == ["component", "user.id"]
    assert key_matches("llm.usage.prompt_tokens", ["llm"])
    assert not key_matches("llmx", ["llm"])
    assert key_matches("guid:x-request-id", ["guid:*"])


# --- JSON ------------------------------------------------------------------------------------------------------------


def test_trace_json_shape() -> None:
    record = chat_trace(3, 0, status=502)
    data = trace_json(record)
    assert json.loads(json.dumps(data)) == data  # plain JSON values only
    assert list(data) == [
        "trace_id",
        "short_id",
        "start_time",
        "start_ns",
        "duration_ms",
        "span_count",
        "root_service",
        "root_name",
        "error",
        "spans",
    ]
    assert (data["trace_id"], data["short_id"], data["start_time"]) == (
        trace_id(3),
        "00000003",
        "2025-01-02T03:04:05.678Z",
    )
    assert (data["duration_ms"], data["span_count"], data["error"]) == (120.0, 3, True)
    assert (data["root_service"], data["root_name"]) == ("plano(inbound)", "ingress")
    first, second, _ = data["spans"]
    assert list(first) == [
        "span_id",
        "parent_span_id",
        "name",
        "service",
        "kind",
        "start_time",
        "start_ns",
        "end_ns",
        "offset_ms",
        "duration_ms",
        "depth",
        "status",
        "status_code",
        "status_message",
        "http_status",
        "error",
        "attributes",
        "resource",
    ]
    assert (first["parent_span_id"], second["parent_span_id"]) == (None, first["span_id"])
    assert (second["offset_ms"], second["duration_ms"], second["depth"]) == (1.5, 115.25, 1)
    assert (second["status"], second["http_status"], second["error"]) == ("error", 502, "HTTP 502 Bad Gateway")
    assert second["attributes"]["llm.usage.prompt_tokens"] == 12
    assert second["attributes"]["llm.is_streaming"] is False
    assert len(first["attributes"]) == 6  # JSON always has every attribute (no hop-noise hiding)


def test_trace_json_with_filter_and_list_json() -> None:
    data = trace_json(chat_trace(1, 0), ("llm.usage.*",))
    assert [s["attributes"] for s in data["spans"]] == [
        {},
        {"llm.usage.prompt_tokens": 12, "llm.usage.completion_tokens": 30},
        {},
    ]
    listed = list_json([chat_trace(2, 60_000), chat_trace(1, 0)])
    assert listed["trace_ids"] == [trace_id(2), trace_id(1)]
    assert [s["start_time"] for s in listed["summaries"]] == ["2025-01-02T03:05:05.678Z", "2025-01-02T03:04:05.678Z"]
    assert "spans" not in listed["summaries"][0]


def test_times_keep_their_milliseconds() -> None:
    assert iso_time(T0 + 999_999) == "2025-01-02T03:04:05.678Z"
    assert iso_time(T0 + 1_000_000) == "2025-01-02T03:04:05.679Z"
    from datetime import UTC

    assert local_time(T0, UTC) == "2025-01-02 03:04:05.678 UTC"


# --- --follow --------------------------------------------------------------------------------------------------------


def test_settler_waits_until_a_trace_stops_changing() -> None:
    settler = Settler(1.0)
    partial = trace(*chat_trace(1, 0).spans[:2])
    assert settler.observe([partial], 0.0) == []
    assert settler.observe([partial], 0.5) == []
    full = chat_trace(1, 0)
    assert settler.observe([full], 0.9) == []  # it changed: the settle time starts again
    assert settler.observe([full], 1.8) == []
    assert settler.observe([full], 2.0) == [full]
    assert settler.observe([full], 5.0) == []  # handed over once


class Clock:
    """Time that moves only when the loop sleeps, and a store whose traces arrive at given times."""

    def __init__(self, arrivals: list[tuple[float, TraceRecord]]) -> None:
        self.now = 0.0
        self.arrivals = arrivals
        self.source = ListSource([])

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.01)
        self.source.items = [t for at, t in self.arrivals if at <= self.now]


def test_follow_prints_new_traces_once_settled_and_stops_after_limit() -> None:
    old = chat_trace(1, 0)
    clock = Clock([(0.0, old), (1.0, chat_trace(2, 1000)), (3.0, chat_trace(3, 3000))])
    clock.source.items = [old]
    emitted: list[str] = []
    count = follow(
        parse_query(None, limit=2),
        clock.source,
        lambda t: emitted.append(t.short_id),
        still_running=lambda: True,
        options=FollowOptions(interval=0.5, settle=1.0),
        clock=lambda: clock.now,
        wall_ns=lambda: T0 + int(clock.now * 1000) * MS,
        sleep=clock.sleep,
    )
    assert (count, emitted) == (2, ["00000002", "00000003"])  # the trace stored before --follow is not shown
    assert 4.0 <= clock.now <= 4.6


def test_follow_raises_when_the_collector_stops() -> None:
    clock = Clock([])
    with pytest.raises(CollectorNotRunning, match="the trace collector stopped while following"):
        follow(
            parse_query(None),
            clock.source,
            lambda t: None,
            still_running=lambda: clock.now < 3,
            options=FollowOptions(interval=0.5, check_every=2.0),
            clock=lambda: clock.now,
            wall_ns=lambda: T0,
            sleep=clock.sleep,
        )


def test_follow_with_an_id_shows_a_stored_trace_at_once() -> None:
    clock = Clock([])
    clock.source.items = [chat_trace(1, 0), chat_trace(2, 10)]
    emitted: list[str] = []
    follow(
        parse_query("00000001"),
        clock.source,
        lambda t: emitted.append(t.short_id),
        still_running=lambda: True,
        clock=lambda: clock.now,
        wall_ns=lambda: T0,
        sleep=clock.sleep,
    )
    assert (emitted, clock.now) == (["00000001"], 0.0)
