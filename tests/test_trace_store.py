"""The trace store on a real SQLite file: round trips, dedupe, --where semantics, limits, durability, readers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planoai_cli.errors import PlanoError
from planoai_cli.trace.model import STATUS_ERROR, SpanRecord, TraceRecord
from planoai_cli.trace.query import matches, newest_first
from planoai_cli.trace.rows import SpanBatch, needles, row
from planoai_cli.trace.store import Store

T0 = 1_800_000_000_000_000_000
S = 1_000_000_000


def span(
    trace: int,
    n: int,
    *,
    at: float = 0.0,
    parent: int | None = None,
    attrs: dict[str, Any] | None = None,
    service: str = "svc",
    resource: dict[str, Any] | None = None,
    **fields: object,
) -> SpanRecord:
    start = T0 + trace * S + int(at * 1e6)
    return SpanRecord(
        trace_id=f"{trace:032x}",
        span_id=f"{trace:08x}{n:08x}",
        parent_span_id=None if parent is None else f"{trace:08x}{parent:08x}",
        name=f"span {n}",
        service=service,
        start_ns=start,
        end_ns=start + 5_000_000,
        attributes=attrs or {},
        resource=resource or {"service.name": service},
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "traces.sqlite3")
    yield opened
    opened.close()


def test_spans_come_back_as_stored_grouped_by_trace_newest_first(store: Store) -> None:
    root = span(
        1,
        1,
        attrs={
            "llm.model": "gpt-4o-mini",
            "http.status_code": 200,
            "llm.is_streaming": False,
            "llm.duration_ms": 950.25,
            "tags": '["a","b"]',
        },
        resource={"service.name": "brightstaff", "host": "h1"},
        service="brightstaff",
        kind=2,
    )
    child = span(1, 2, at=1.5, parent=1, status_code=STATUS_ERROR, status_message="upstream 503")
    other = span(2, 1, attrs={"user.id": "usr_12"})
    assert store.add([child, other, root]) == 3
    found = store.traces()
    assert [t.trace_id for t in found] == [other.trace_id, root.trace_id]
    assert found[1] == TraceRecord(root.trace_id, (root, child))
    assert found[1].spans[1].parent_span_id == root.span_id
    assert found[1].spans[0].resource == {"service.name": "brightstaff", "host": "h1"}
    assert store.trace_ids() == [other.trace_id, root.trace_id]


def test_a_span_stored_twice_is_kept_once_and_counted_once(store: Store) -> None:
    spans = [span(1, n, at=n) for n in range(3)]
    assert store.add(spans) == 3
    assert store.add([*spans[1:], span(1, 9, at=9)]) == 1  # two duplicates, one new span of the same trace
    assert [len(t.spans) for t in store.traces()] == [4]
    assert store.stats().spans == 4


@pytest.mark.parametrize(
    ("attrs", "where", "found"),
    [
        ({"llm.model": "gpt-4o"}, {"llm.model": "gpt-4o"}, True),
        ({"llm.model": "gpt-4o-mini"}, {"llm.model": "gpt-4o"}, False),  # no prefix match
        ({"llm.model": "gpt-4o"}, {"model": "gpt-4o"}, False),  # no key suffix match
        ({"http.status_code": 200}, {"http.status_code": "200"}, True),
        ({"http.status_code": 2000}, {"http.status_code": "200"}, False),
        ({"http.status_code": "200"}, {"http.status_code": "200"}, True),
        ({"http.status_code": 200}, {"http.status_code": "200.0"}, False),
        ({"ok": True}, {"ok": "true"}, True),
        ({"ok": True}, {"ok": "True"}, False),
        ({"ratio": 0.5}, {"ratio": "0.5"}, True),
        ({"big": 1e20}, {"big": "1e+20"}, True),
        ({"note": 'say "hi"\n\\ é 😀'}, {"note": 'say "hi"\n\\ é 😀'}, True),
        ({"note": 'x","llm.model":"gpt-4o'}, {"llm.model": "gpt-4o"}, False),  # a value that looks like a pair
        ({"tags": '["a","b"]'}, {"tags": '["a","b"]'}, True),
        ({"empty": ""}, {"empty": ""}, True),
    ],
)
def test_where_compares_attribute_text_exactly(
    store: Store, attrs: dict[str, Any], where: dict[str, Any], found: bool
) -> None:
    store.add([span(1, 1, attrs={"first": 1, **attrs, "last": "x"})])
    assert bool(store.trace_ids(where=where)) is found


def test_where_pairs_must_all_hold_each_on_any_span(store: Store) -> None:
    store.add(
        [
            span(1, 1, attrs={"llm.model": "gpt-4o"}),
            span(1, 2, parent=1, attrs={"user.id": "u1"}),
            span(2, 1, attrs={"llm.model": "gpt-4o", "user.id": "u2"}),
        ]
    )
    assert store.trace_ids(where={"llm.model": "gpt-4o", "user.id": "u1"}) == [f"{1:032x}"]
    assert store.trace_ids(where={"llm.model": "gpt-4o"}) == [f"{2:032x}", f"{1:032x}"]
    assert store.trace_ids(where={"llm.model": "gpt-4o", "user.id": "u3"}) == []


_keys = st.sampled_from(["a", "a.b", "b", "llm.model"])
_values = st.one_of(st.text(max_size=6), st.integers(-3, 300), st.booleans(), st.sampled_from([0.5, 1.0, -2.25, 1e20]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    traces=st.lists(
        st.lists(st.dictionaries(_keys, _values, max_size=3), min_size=1, max_size=3), min_size=1, max_size=4
    ),
    where=st.dictionaries(
        _keys,
        st.one_of(
            st.text(max_size=4), st.sampled_from(["0", "1", "200", "true", "false", "0.5", "1.0", "1e+20", "-2.25", ""])
        ),
        min_size=1,
        max_size=2,
    ),
)
def test_where_in_sql_agrees_with_the_reference_semantics(
    tmp_path_factory: pytest.TempPathFactory, traces: list[list[dict[str, Any]]], where: dict[str, Any]
) -> None:
    with Store.open(tmp_path_factory.mktemp("db") / "t.sqlite3") as store:
        records = [
            TraceRecord(f"{t + 1:032x}", tuple(span(t + 1, n, at=n, attrs=a) for n, a in enumerate(spans)))
            for t, spans in enumerate(traces)
        ]
        store.add(s for r in records for s in r.spans)
        expected = [r.trace_id for r in newest_first(records) if matches(r, where=where)]
        assert store.trace_ids(where=where) == expected


def test_needles_for_text_that_only_a_string_can_be(store: Store) -> None:
    assert needles("k", "abc") == ['"k":"abc"']
    assert needles("k", "007") == ['"k":"007"']  # json.dumps never writes 007: only a string can read so
    assert needles("k", "true") == ['"k":"true"', '"k":true,', '"k":true}']


def test_since_prefix_ids_and_limit_select_traces(store: Store) -> None:
    store.add([span(t, 1) for t in range(1, 6)] + [span(2, 2, at=10_000)])  # trace 2 also has a span 10 s later
    newest = [f"{t:032x}" for t in (5, 4, 3, 2, 1)]
    assert store.trace_ids(limit=2) == newest[:2]
    assert store.trace_ids(since_ns=T0 + 4 * S) == [newest[0], newest[1], f"{2:032x}"]
    assert store.trace_ids(id_prefix=f"{3:032x}") == [f"{3:032x}"]
    assert store.trace_ids(id_prefix="0" * 8) == newest
    assert store.trace_ids(trace_ids=[f"{1:032x}", f"{4:032x}".upper(), "f" * 32]) == [f"{4:032x}", f"{1:032x}"]
    assert [t.trace_id for t in store.traces(limit=0)] == []


def test_spans_with_an_attribute_newest_first(store: Store) -> None:
    store.add(
        [
            span(1, 1, attrs={"llm.model": "a"}),
            span(1, 2, at=5, attrs={"http.method": "POST"}),
            span(2, 1, attrs={"llm.model": "b"}),
            span(3, 1, attrs={"x.llm.model": "c"}),
        ]
    )
    assert [s.attributes["llm.model"] for s in store.spans_with_attribute("llm.model")] == ["b", "a"]
    assert [s.attributes["llm.model"] for s in store.spans_with_attribute("llm.model", limit=1)] == ["b"]
    assert store.spans_with_attribute("llm.model", since_ns=T0 + 2 * S + 1) == []


def test_spans_stored_after_an_id_whatever_their_start(store: Store) -> None:
    assert store.last_span_id() == 0
    store.add([span(5, 1, attrs={"llm.model": "early"})])
    first = store.last_span_id()
    store.add([span(1, 1, attrs={"llm.model": "late"}), span(6, 1, attrs={"http.method": "GET"})])
    assert store.last_span_id() == first + 2
    assert [s.attributes["llm.model"] for s in store.spans_with_attribute("llm.model", after_id=first)] == ["late"]
    assert store.spans_with_attribute("llm.model", after_id=store.last_span_id()) == []


def test_attribute_keys_and_stats(store: Store, tmp_path: Path) -> None:
    assert store.attribute_keys() == set()
    assert store.stats().spans == 0
    store.add([span(1, 1, attrs={"a": 1, "b": "x"}), span(2, 1, at=3, attrs={"c": True})])
    assert store.attribute_keys() == {"a", "b", "c"}
    stats = store.stats()
    assert (stats.spans, stats.traces, stats.oldest_ns, stats.newest_ns) == (2, 2, T0 + S, T0 + 2 * S + 3_000_000)
    assert stats.path == tmp_path / "traces.sqlite3"
    assert stats.bytes > 0


def test_the_span_limit_drops_the_oldest_traces_whole(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.sqlite3", max_spans=10) as store:
        for t in range(1, 9):
            store.add([span(t, n, at=n, attrs={f"key{t}": t}) for n in range(3)])
        stats = store.stats()
        assert stats.spans <= 10
        assert all(len(trace.spans) == 3 for trace in store.traces())  # never a trace cut in half
        assert store.trace_ids()[0] == f"{8:032x}"
        assert "key1" not in store.attribute_keys()
        assert "key8" in store.attribute_keys()


def test_the_age_limit_drops_old_traces_also_without_new_spans(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.sqlite3", max_age_seconds=60) as store:
        store.add([span(1, 1), span(100, 1)], now_ns=T0 + 30 * S)
        assert store.stats().traces == 2
        store.prune(now_ns=T0 + 1 * S + 61 * S)  # trace 1 started at T0 + 1 s, trace 100 at T0 + 100 s
        assert store.trace_ids() == [f"{100:032x}"]
        assert store.add([span(2, 1), span(101, 1)], now_ns=T0 + 70 * S) == 1  # too old: not even stored
        assert (store.trace_ids(), store.expired) == ([f"{101:032x}", f"{100:032x}"], 1)


def test_history_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    with Store.open(path) as store:
        store.add([span(1, 1, attrs={"a": 1})])
    with Store.open(path) as store:
        assert store.add([span(1, 1, attrs={"a": 1}), span(2, 1)]) == 1
        assert store.stats().spans == 2
    with Store.open(path, readonly=True) as reader:
        assert len(reader.traces()) == 2


def test_a_reader_reads_while_the_writer_writes(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    writer = Store.open(path)
    reader = Store.open(path, readonly=True)
    done = threading.Event()

    def write() -> None:
        for t in range(1, 201):
            writer.add_batches(
                [SpanBatch('{"service.name":"w"}', [row(span(t, n, at=n)) for n in range(5)], frozenset())]
            )
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    seen = []
    while not done.is_set():
        found = reader.traces(limit=20)
        assert all(len(t.spans) == 5 for t in found)  # a snapshot never shows half a write transaction
        seen.append(reader.stats().spans)
    thread.join()
    assert seen == sorted(seen)
    assert reader.stats().spans == 1000
    with pytest.raises(PlanoError, match="read-only"):
        reader.add([span(999, 1)])
    reader.close()
    writer.close()


def test_a_reader_of_a_file_without_the_schema_yet_sees_an_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    sqlite3.connect(path).close()
    with Store.open(path, readonly=True) as reader:
        assert reader.traces() == []
        assert reader.attribute_keys() == set()
        assert reader.stats().spans == 0


def test_files_that_are_not_a_store_are_refused_with_a_hint(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(PlanoError, match="cannot open the trace store") as caught:
        Store.open(garbage)
    assert "move it away" in (caught.value.hint or "")
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(PlanoError, match="newer planoai-cli"):
        Store.open(newer, readonly=True)
    with pytest.raises(PlanoError, match="cannot open"):
        Store.open(tmp_path / "missing.sqlite3", readonly=True)
