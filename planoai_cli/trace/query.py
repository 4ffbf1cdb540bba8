"""What `planoai trace` asks of the stored spans: TARGET, --where, --filter and --since parsing, and the selection.
Pure functions over TraceRecord values; the store is reached only through the narrow `TraceSource` protocol, so
nothing here imports sqlite3 (trees are in tree.py, the JSON forms in export.py)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from planoai_cli.errors import CollectorNotRunning, PlanoError, UsageError
from planoai_cli.trace.model import AttributeValue, TraceRecord

DEFAULT_LIMIT = 50  # `any` and `--list` without --limit: upstream kept 50 traces in all, so its users saw as many
_SINCE = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_KEY = re.compile(r"[A-Za-z0-9_.:\-]+")
_HEX = re.compile(r"[0-9a-f]+")
PSEUDO_TARGETS = ("listen", "down", "stop", "status")
START_HINT = "start one with `planoai trace listen`, or `planoai up --with-tracing`"


@dataclass(frozen=True)
class Target:
    """Which traces TARGET names: the newest (`last`), every match (`any`), or one id (8-hex prefix or 32-hex)."""

    kind: Literal["last", "any", "id"]
    trace_id: str = ""  # lowercase hex, 8 or 32 digits, for kind "id"

    @property
    def label(self) -> str:
        return self.trace_id if self.kind == "id" else self.kind


@dataclass(frozen=True)
class Query:
    """One `planoai trace` selection; `limit` None means the default, 0 means no limit."""

    target: Target
    where: tuple[tuple[str, str], ...] = ()
    since_seconds: int | None = None
    since_text: str = ""
    limit: int | None = None
    listing: bool = False

    def effective_limit(self) -> int | None:
        if self.target.kind == "last":
            return 1
        if self.limit is None:
            return None if self.target.kind == "id" else DEFAULT_LIMIT
        return self.limit or None

    def since_ns(self, now_ns: int) -> int | None:
        return None if self.since_seconds is None else now_ns - self.since_seconds * 1_000_000_000

    def describe(self) -> str:
        """The search in words, for messages: `--where a=b, --since 5m`."""
        parts = [f"--where {key}={value}" for key, value in self.where]
        if self.since_text:
            parts.append(f"--since {self.since_text}")
        return ", ".join(parts)


@dataclass(frozen=True)
class View:
    """How the selected traces are shown: --filter globs, -v, --json."""

    patterns: tuple[str, ...] = ()
    verbose: bool = False
    as_json: bool = False


@dataclass(frozen=True)
class Selection:
    """The traces a query found (newest first), whether more matched than the limit let through, and the store size."""

    traces: tuple[TraceRecord, ...]
    more: bool
    stored: int


class TraceSource(Protocol):
    """The part of trace/store.py's Store that `trace` reads."""

    def traces(
        self,
        *,
        since_ns: int | None = None,
        limit: int | None = None,
        trace_ids: Sequence[str] | None = None,
        id_prefix: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[TraceRecord]: ...

    def trace_ids(
        self,
        *,
        since_ns: int | None = None,
        limit: int | None = None,
        trace_ids: Sequence[str] | None = None,
        id_prefix: str | None = None,
        where: Mapping[str, str] | None = None,
    ) -> list[str]: ...

    def attribute_keys(self) -> set[str]: ...

    def stats(self) -> Any: ...

    def close(self) -> None: ...


# --- parsing the command line -------------------------------------------------------------------------------------


def parse_target(text: str | None, *, listing: bool, implicit_any: bool) -> Target:
    """TARGET as typed. No TARGET is `any` with --list/--since/--limit (implicit_any), else `last`.

    Raises UsageError for an id that is not 8 or 32 hex digits, an all-zero id, a pseudo-target used with
    display options, or an id together with --list.
    """
    if text is None:
        return Target("any" if listing or implicit_any else "last")
    word = text.strip().lower()
    if word in ("last", "any"):
        return Target(word)  # type: ignore[arg-type]
    if word in PSEUDO_TARGETS:
        raise UsageError(
            f"`{word}` cannot be combined with display options",
            hint=f"put its own options after it: planoai trace {word} [OPTIONS]",
        )
    if len(word) not in (8, 32) or not _HEX.fullmatch(word) or not word.strip("0"):
        raise UsageError(
            f"invalid TARGET {text!r}: expected last, any, an 8-hex short id or a 32-hex trace id",
            hint="planoai trace --list shows the stored ids",
        )
    if listing:
        raise UsageError(
            "--list lists traces; it cannot be combined with a trace id", hint=f"planoai trace {word} shows that trace"
        )
    return Target("id", word)


def parse_where(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`--where key=value` items (AND). Raises UsageError naming every malformed item."""
    pairs, bad = [], []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not _KEY.fullmatch(key.strip()):
            bad.append(item)
        else:
            pairs.append((key.strip(), value))
    if bad:
        raise UsageError(
            f"invalid --where {', '.join(repr(b) for b in bad)}: expected key=value",
            hint="keys are attribute names such as llm.model (letters, digits, _ . : -); "
            "e.g. --where llm.model=gpt-4o-mini",
        )
    return tuple(pairs)


def parse_filter(items: Iterable[str]) -> tuple[str, ...]:
    """`--filter` globs: repeatable and comma-separated. Raises UsageError for an empty pattern."""
    patterns = [token.strip() for item in items for token in item.split(",")]
    if any(not p for p in patterns):
        raise UsageError("--filter has an empty pattern", hint="e.g. --filter 'llm.*,http.status_code'")
    return tuple(patterns)


def parse_since(text: str | None) -> int | None:
    """`--since 30s|5m|2h|1d` in seconds. Raises UsageError for anything else (upstream ignored it silently)."""
    if text is None:
        return None
    match = _SINCE.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise UsageError(
            f"invalid --since {text!r}: expected a positive number and a unit, s, m, h or d",
            hint="e.g. --since 30s, --since 5m, --since 2h, --since 1d",
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_query(
    target: str | None,
    *,
    where: Sequence[str] = (),
    since: str | None = None,
    limit: int | None = None,
    listing: bool = False,
) -> Query:
    """The whole selection from the command line's words (each part validated as above)."""
    if limit is not None and limit < 0:
        raise UsageError(f"invalid --limit {limit}: expected 0 (no limit) or more")
    seconds = parse_since(since)
    implicit_any = since is not None or limit is not None
    return Query(
        parse_target(target, listing=listing, implicit_any=implicit_any),
        parse_where(where),
        seconds,
        since.strip() if since else "",
        limit,
        listing,
    )


def check_where_keys(where: Sequence[tuple[str, str]], known: set[str]) -> None:
    """Raises UsageError when a --where key is on no stored span, naming the closest stored keys."""
    unknown = unknown_where_keys(where, known)
    if not unknown:
        return
    suggestions = {key: close_keys(key, known) for key in unknown}
    if len(unknown) == 1:
        near = suggestions[unknown[0]]
        hint = f"did you mean {', '.join(near)}?" if near else ""
    else:
        hint = "; ".join(f"{key}: did you mean {', '.join(near)}?" for key, near in suggestions.items() if near)
    raise UsageError(
        f"no stored span has the attribute {', '.join(repr(k) for k in unknown)} "
        f"(--where compares span attributes; {len(known)} keys are stored)",
        hint=hint or "planoai trace -v shows every attribute",
    )


def unknown_where_keys(where: Sequence[tuple[str, str]], known: set[str]) -> list[str]:
    return [key for key, _ in where if key not in known]


def close_keys(key: str, known: Iterable[str], count: int = 5) -> list[str]:
    """Stored keys near `key`: by spelling, or ending with the same last word (`model` → `llm.model`)."""
    keys = sorted(known)
    near = difflib.get_close_matches(key, keys, n=count, cutoff=0.75)
    tail = key.rsplit(".", 1)[-1].lower()
    near += [k for k in keys if k.lower().rsplit(".", 1)[-1] == tail and k not in near]
    return near[:count]


# --- the selection --------------------------------------------------------------------------------------------------


def select(query: Query, source: TraceSource, *, running: bool, now_ns: int) -> Selection:
    """Run the query against the store. Raises CollectorNotRunning when no collector runs (never "no traces"),
    UsageError for a --where key no stored span has, and PlanoError (exit 1) when nothing matches."""
    if not running:
        raise collector_not_running(source)
    stored = _stored_traces(source)
    if query.where and stored:
        check_where_keys(query.where, source.attribute_keys())
    limit = query.effective_limit()
    target = query.target
    probe = None if limit is None else limit + (target.kind != "last")  # one more tells whether more matched
    found = source.traces(
        since_ns=query.since_ns(now_ns),
        limit=probe,
        id_prefix=target.trace_id if target.kind == "id" else None,
        where=dict(query.where) or None,
    )
    if not found:
        raise nothing_found(query, stored)
    more = limit is not None and len(found) > limit
    return Selection(tuple(found[:limit] if limit is not None else found), more, stored)


def collector_not_running(source: TraceSource | None) -> CollectorNotRunning:
    kept = _stored_traces(source) if source is not None else 0
    note = f" ({kept} stored trace{' is' if kept == 1 else 's are'} kept and shown again once it runs)" if kept else ""
    return CollectorNotRunning(f"no trace collector is running{note}", hint=START_HINT)


def nothing_found(query: Query, stored: int) -> PlanoError:
    """The exit-1 error for an empty result, saying what was searched."""
    searched = query.describe()
    among = f"among the {stored} stored trace{'s' if stored != 1 else ''}"
    if query.target.kind == "id":
        matching = f" matching {searched}" if searched else ""
        return PlanoError(
            f"no trace {query.target.trace_id}{matching} {among}", hint="planoai trace --list shows the newest ids"
        )
    if not stored:
        return PlanoError(
            "the collector is running but has stored no traces yet",
            hint="point the gateway at it (planoai up --with-tracing) and send a request",
        )
    return PlanoError(f"no trace matches {searched} {among}", hint="planoai trace --list shows the newest traces")


def _stored_traces(source: TraceSource | None) -> int:
    return int(getattr(source.stats(), "traces", 0)) if source is not None else 0


# --- the same filters over values (the reference semantics; the store does them in SQL) ---------------------------


def attribute_text(value: AttributeValue) -> str:
    """An attribute as --where compares it: bools as true/false, numbers and strings as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(
    trace: TraceRecord,
    *,
    since_ns: int | None = None,
    id_prefix: str | None = None,
    where: Mapping[str, str] | None = None,
) -> bool:
    """A trace passes when its id starts with id_prefix, one of its spans started at or after since_ns, and
    every --where pair equals an attribute of some span (any span may match each pair)."""
    if id_prefix and not trace.trace_id.startswith(id_prefix):
        return False
    if since_ns is not None and not any(s.start_ns >= since_ns for s in trace.spans):
        return False
    return all(
        any(key in s.attributes and attribute_text(s.attributes[key]) == value for s in trace.spans)
        for key, value in (where or {}).items()
    )


def newest_first(traces: Iterable[TraceRecord]) -> list[TraceRecord]:
    return sorted(traces, key=lambda t: (t.start_ns, t.trace_id), reverse=True)
