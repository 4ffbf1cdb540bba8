"""The trace store: spans in one SQLite file in WAL mode, written by the collector alone, read by `trace` and `obs`.

Readers open the file read-only (`mode=ro`) and never need a port or a query protocol; WAL lets them read while
the collector writes. The store is bounded by a span count and an age: the oldest traces go first, whole.

Schema (version 1):
  spans           one row per (trace_id, span_id), duplicates ignored; span attributes as canonical JSON text
  traces          one row per trace id: first span start, last span start, last end, span count
  resources       each distinct resource's attributes (JSON), shared by its spans
  attribute_keys  every span attribute key, with the start of the newest batch that carried it

`--where key=value` is matched inside SQLite with instr() on that canonical JSON: with no spaces and every key and
string escaped by json.dumps, `"key":"value"` (or `"key":200,` / `"key":200}` for numbers and booleans) occurs in
a span's attributes exactly when the span has that attribute with that text; a quote inside a value is always
escaped, so a needle cannot match inside another value. benchmarks/trace.py measures it: an index of every
(key, value) pair cut ingest to a third, while the scan answers over 10,000 traces in tens of milliseconds.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planoai_cli.errors import PlanoError
from planoai_cli.trace.model import AttributeValue, SpanRecord, TraceRecord
from planoai_cli.trace.rows import SpanBatch, encode, needles, per_trace, row

SCHEMA_VERSION = 1
DEFAULT_MAX_SPANS = 200_000
DEFAULT_MAX_AGE_SECONDS = 7 * 86_400
_NS = 1_000_000_000
_CACHE_KIB = 32 * 1024  # the writer's page cache: a fixed part of the collector's memory

_COLUMNS = (
    "trace_id, span_id, parent_span_id, name, service, start_ns, end_ns, kind, status_code, status_message, "
    "attributes, resource_id"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (id INTEGER PRIMARY KEY, attributes TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT, name TEXT NOT NULL,
  service TEXT NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, kind INTEGER NOT NULL,
  status_code INTEGER NOT NULL, status_message TEXT NOT NULL, attributes TEXT NOT NULL, resource_id INTEGER NOT NULL,
  UNIQUE (trace_id, span_id));
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ns);
CREATE TABLE IF NOT EXISTS traces (
  id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL UNIQUE, start_ns INTEGER NOT NULL, last_start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL, spans INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns, trace_id);
CREATE TABLE IF NOT EXISTS attribute_keys (key TEXT PRIMARY KEY, last_ns INTEGER NOT NULL) WITHOUT ROWID;
"""

_TRACE_UPSERT = """
INSERT INTO traces (trace_id, start_ns, last_start_ns, end_ns, spans) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (trace_id) DO UPDATE SET start_ns = min(start_ns, excluded.start_ns),
  last_start_ns = max(last_start_ns, excluded.last_start_ns), end_ns = max(end_ns, excluded.end_ns),
  spans = spans + excluded.spans"""

_TRACE_RECOUNT = """
INSERT OR REPLACE INTO traces (id, trace_id, start_ns, last_start_ns, end_ns, spans)
SELECT (SELECT id FROM traces WHERE trace_id = ?1), ?1, min(start_ns), max(start_ns), max(end_ns), count(*)
FROM spans WHERE trace_id = ?1"""


@dataclass(frozen=True)
class StoreStats:
    """What the store holds: counts, the oldest and newest span start (None when empty), the file and its size."""

    spans: int
    traces: int
    oldest_ns: int | None
    newest_ns: int | None
    path: Path
    bytes: int


class Store:
    """One connection to the store file. Writers (the collector) use it from one thread at a time."""

    def __init__(
        self, connection: sqlite3.Connection, path: Path, *, readonly: bool, max_spans: int, max_age_seconds: int
    ) -> None:
        self._db = connection
        self.path = path
        self.readonly = readonly
        self.max_spans = max_spans
        self.max_age_seconds = max_age_seconds
        self._resources: dict[int, dict[str, AttributeValue]] = {}
        self._resource_ids: dict[str, int] = {}
        self._count = 0
        self._ready = False  # the schema exists
        self.expired = 0  # spans not stored because they started before the age limit

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        readonly: bool = False,
        max_spans: int = DEFAULT_MAX_SPANS,
        max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    ) -> Store:
        """Open (a writer creates it) the store at `path`. Raises PlanoError when it cannot be opened or read."""
        if max_spans < 1 or max_age_seconds < 1:
            raise PlanoError(
                f"invalid trace store limits: {max_spans} spans, {max_age_seconds} s",
                hint="both limits must be positive",
            )
        try:
            store = cls(
                _connect(path, readonly), path, readonly=readonly, max_spans=max_spans, max_age_seconds=max_age_seconds
            )
            store._prepare()
        except sqlite3.Error as e:
            raise _store_error(path, "open", e) from e
        return store

    def _prepare(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise PlanoError(
                f"the trace store {self.path} was written by a newer planoai-cli (schema {version})",
                hint="upgrade planoai-cli, or move the file away to start a new store",
            )
        if self.readonly:
            return
        self._ready = True
        if version == 0:  # a new file (executescript commits first, so the script carries its own transaction;
            # IF NOT EXISTS: a second collector racing to create it waits for the lock, then finds it done)
            self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        self._count = self._db.execute("SELECT coalesce(sum(spans), 0) FROM traces").fetchone()[0]
        self._resource_ids = {text: rid for rid, text in self._db.execute("SELECT id, attributes FROM resources")}

    # --- writing (the collector) ---------------------------------------------------------------------------------

    def add(self, spans: Iterable[SpanRecord], *, now_ns: int | None = None) -> int:
        """Store spans (duplicates of stored (trace_id, span_id) are ignored); returns how many were new."""
        batches: dict[str, list[SpanRecord]] = {}
        for span in spans:
            batches.setdefault(encode(dict(span.resource)), []).append(span)
        return self.add_batches(
            [
                SpanBatch(resource, [row(s) for s in group], frozenset(k for s in group for k in s.attributes))
                for resource, group in batches.items()
            ],
            now_ns=now_ns,
        )

    def add_batches(self, batches: Sequence[SpanBatch], *, now_ns: int | None = None) -> int:
        """Store batches in one transaction, then prune to the limits; returns how many spans were new."""
        if self.readonly:
            raise PlanoError(f"the trace store {self.path} was opened read-only")
        now_ns = time.time_ns() if now_ns is None else now_ns
        cutoff = now_ns - self.max_age_seconds * _NS
        try:
            with self._transaction():
                added = sum(self._insert(batch, cutoff) for batch in batches)
                self._count += added
                self._prune(now_ns)
        except sqlite3.Error as e:
            self._resource_ids = {t: i for i, t in self._db.execute("SELECT id, attributes FROM resources")}
            raise _store_error(self.path, "write to", e) from e
        return added

    def prune(self, *, now_ns: int | None = None) -> None:
        """Apply the limits now (the collector calls this when idle, so old traces age out without new ones)."""
        try:
            with self._transaction():
                self._prune(time.time_ns() if now_ns is None else now_ns)
        except sqlite3.Error as e:
            raise _store_error(self.path, "prune", e) from e

    def _insert(self, batch: SpanBatch, cutoff: int) -> int:
        rows = [r for r in batch.rows if r[5] >= cutoff]  # older than the age limit: pruned at once, so not stored
        self.expired += len(batch.rows) - len(rows)
        if not rows:
            return 0
        resource = self._resource_id(batch.resource)
        cursor = self._db.executemany(
            f"INSERT OR IGNORE INTO spans ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [(*r, resource) for r in rows]
        )
        added: int = cursor.rowcount
        traces = per_trace(rows)
        if added == len(rows):
            self._db.executemany(_TRACE_UPSERT, [(t, *agg) for t, agg in traces.items()])
        else:  # some spans were already stored: count each affected trace again from its spans
            self._db.executemany(_TRACE_RECOUNT, [(t,) for t in traces])
        if batch.keys:
            newest = max(r[5] for r in rows)
            self._db.executemany(
                "INSERT INTO attribute_keys VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                "SET last_ns = max(last_ns, excluded.last_ns)",
                [(k, newest) for k in batch.keys],
            )
        return added

    def _resource_id(self, text: str) -> int:
        found = self._resource_ids.get(text)
        if found is None:
            self._db.execute("INSERT OR IGNORE INTO resources (attributes) VALUES (?)", (text,))
            found = self._db.execute("SELECT id FROM resources WHERE attributes = ?", (text,)).fetchone()[0]
            self._resource_ids[text] = found
        return found

    def _prune(self, now_ns: int) -> None:
        cutoff = now_ns - self.max_age_seconds * _NS
        doomed = self._db.execute("SELECT id, trace_id, spans FROM traces WHERE start_ns < ?", (cutoff,)).fetchall()
        left = self._count - sum(n for _, _, n in doomed)
        if left > self.max_spans:
            # Prune in batches: down to 95% of the limit, so a store at its limit is not pruned on every insert.
            target = self.max_spans - max(1, self.max_spans // 20)
            known = {trace_rowid for trace_rowid, _, _ in doomed}
            oldest = self._db.execute("SELECT id, trace_id, spans FROM traces ORDER BY start_ns, trace_id")
            for trace_rowid, trace_id, count in oldest:
                if left <= target:
                    break
                if trace_rowid not in known:
                    doomed.append((trace_rowid, trace_id, count))
                    left -= count
            oldest.close()
        if not doomed:
            return
        deleted = 0
        for _, trace_id, _ in doomed:
            deleted += self._db.execute("DELETE FROM spans WHERE trace_id = ?", (trace_id,)).rowcount
        self._db.executemany("DELETE FROM traces WHERE id = ?", [(trace_rowid,) for trace_rowid, _, _ in doomed])
        self._count -= deleted
        self._db.execute(
            "DELETE FROM attribute_keys WHERE last_ns < coalesce((SELECT min(start_ns) FROM traces), "
            "9223372036854775807)"
        )
        if len(self._resource_ids) > 64:  # drop the resources no span uses any more (rare: one per process)
            self._db.execute("DELETE FROM resources WHERE id NOT IN (SELECT DISTINCT resource_id FROM spans)")
            self._resource_ids = {t: i for i, t in self._db.execute("SELECT id, attributes FROM resources")}

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- reading (`trace`, `obs`; also works on the writer's connection) ---------------------------------------

    def trace_ids(
        self,
        *,
        since_ns: int | None = None,
        limit: int | None = None,
        trace_ids: Sequence[str] | None = None,
        id_prefix: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Ids of the matching traces, newest first (by the trace's first span start).

        since_ns: a span of the trace started at or after it. trace_ids: only these. id_prefix: ids starting with
        it (hex). where: every key=value pair equals (as text; booleans true/false) an attribute of some span.
        """
        with self._reading() as ready:
            if not ready:
                return []
            return self._trace_ids(since_ns, limit, trace_ids, id_prefix, where)

    def traces(
        self,
        *,
        since_ns: int | None = None,
        limit: int | None = None,
        trace_ids: Sequence[str] | None = None,
        id_prefix: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[TraceRecord]:
        """The matching traces (filters as for trace_ids), newest first, each with its spans by start time."""
        with self._reading() as ready:
            if not ready:
                return []
            ids = self._trace_ids(since_ns, limit, trace_ids, id_prefix, where)
            spans = self._spans("trace_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)]) if ids else []
        grouped: dict[str, list[SpanRecord]] = {trace_id: [] for trace_id in ids}
        for span in spans:
            grouped[span.trace_id].append(span)
        return [
            TraceRecord(trace_id, tuple(sorted(group, key=lambda s: (s.start_ns, s.span_id))))
            for trace_id, group in grouped.items()
        ]

    def spans_with_attribute(
        self, key: str, *, since_ns: int | None = None, limit: int | None = None, after_id: int | None = None
    ) -> list[SpanRecord]:
        """Spans that have attribute `key` (started at or after since_ns; stored after span `after_id`), newest
        first, at most `limit`."""
        condition = "instr(attributes, ?) > 0"
        args: list[str | int] = [encode(key) + ":"]
        if since_ns is not None:
            condition += " AND start_ns >= ?"
            args.append(since_ns)
        if after_id is not None:
            condition += " AND id > ?"  # the primary key: only the rows stored since, whatever their start time
            args.append(after_id)
        with self._reading() as ready:
            if not ready:
                return []
            return self._spans(f"{condition} ORDER BY start_ns DESC, id DESC LIMIT ?", [*args, _limit(limit)])

    def last_span_id(self) -> int:
        """The id of the newest stored span (0 when there is none); spans stored later have larger ids."""
        with self._reading() as ready:
            if not ready:
                return 0
            (found,) = self._db.execute("SELECT coalesce(max(id), 0) FROM spans").fetchone()
            return int(found)

    def attribute_keys(self) -> set[str]:
        """Every span attribute key of the stored spans."""
        with self._reading() as ready:
            if not ready:
                return set()
            return {
                key
                for (key,) in self._db.execute(
                    "SELECT key FROM attribute_keys WHERE last_ns >= (SELECT min(start_ns) FROM traces)"
                )
            }

    def stats(self) -> StoreStats:
        counts: tuple[int, int, int | None, int | None] = (0, 0, None, None)
        with self._reading() as ready:
            if ready:
                counts = self._db.execute(
                    "SELECT count(*), coalesce(sum(spans), 0), min(start_ns), max(last_start_ns) FROM traces"
                ).fetchone()
        traces, spans, oldest, newest = counts
        size = sum(p.stat().st_size for p in (self.path, self.path.with_name(self.path.name + "-wal")) if p.exists())
        return StoreStats(spans, traces, oldest, newest, self.path, size)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _trace_ids(
        self,
        since_ns: int | None,
        limit: int | None,
        trace_ids: Sequence[str] | None,
        id_prefix: str | None,
        where: Mapping[str, str] | None,
    ) -> list[str]:
        conditions: list[str] = ["1"]
        args: list[str | int] = []
        if since_ns is not None:
            conditions.append("t.last_start_ns >= ?")
            args.append(since_ns)
        if trace_ids is not None:
            conditions.append("t.trace_id IN (SELECT value FROM json_each(?))")
            args.append(json.dumps([i.lower() for i in trace_ids]))
        if id_prefix:
            conditions.append("t.trace_id >= ? AND t.trace_id < ?")
            args += [id_prefix.lower(), id_prefix.lower() + "g"]  # ids are lowercase hex: 'g' sorts after them all
        for key, value in (where or {}).items():
            found = needles(key, value)
            conditions.append(
                "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND ("
                + " OR ".join(["instr(s.attributes, ?) > 0"] * len(found))
                + "))"
            )
            args += found
        sql = (
            f"SELECT t.trace_id FROM traces t WHERE {' AND '.join(conditions)} "
            "ORDER BY t.start_ns DESC, t.trace_id DESC LIMIT ?"
        )
        return [trace_id for (trace_id,) in self._db.execute(sql, [*args, _limit(limit)])]

    def _spans(self, condition: str, args: Sequence[Any]) -> list[SpanRecord]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM spans WHERE {condition}", args).fetchall()
        if any(r[11] not in self._resources for r in rows):
            self._resources = {
                rid: json.loads(text) for rid, text in self._db.execute("SELECT id, attributes FROM resources")
            }
        return [SpanRecord.from_row(r, self._resources.get(r[11], {})) for r in rows]

    @contextmanager
    def _reading(self) -> Iterator[bool]:
        # One read transaction per query: the ids and their spans come from the same snapshot of the file. Yields
        # False while a collector that just created the file has not written the schema yet (an empty store).
        try:
            if not self._ready:
                self._ready = self._db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION
            if self._db.in_transaction or not self._ready:
                yield self._ready
                return
            self._db.execute("BEGIN")
            try:
                yield True
            finally:
                self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise _store_error(self.path, "read", e) from e


def _limit(limit: int | None) -> int:
    return -1 if limit is None else limit


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        if not path.exists():
            raise sqlite3.OperationalError("the file does not exist")
        db = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA query_only = 1")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a crash of the collector loses nothing committed
        db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        db.execute("PRAGMA journal_size_limit = 67108864")  # the WAL file shrinks back to 64 MiB after checkpoints
    db.execute("PRAGMA busy_timeout = 5000")
    return db


def _store_error(path: Path, action: str, error: sqlite3.Error) -> PlanoError:
    hint = "check the file and its folder; the collector keeps its store under the state directory"
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in str(error):
        hint = "the file is not a trace store: move it away and the collector starts a new one"
    return PlanoError(f"cannot {action} the trace store {path}: {error}", hint=hint)
