"""A span as the store keeps it: the row, the canonical attribute JSON, and the texts --where looks for in it.

Cheap to import (no sqlite3): the receivers build rows in their own threads, the store inserts and searches them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from planoai_cli.trace.model import SpanRecord

encode = json.JSONEncoder(separators=(",", ":")).encode  # the canonical attribute JSON (needles depend on it)

# A span as inserted: trace_id, span_id, parent_span_id, name, service, start_ns, end_ns, kind, status_code,
# status_message, attributes (canonical JSON). The resource comes with the batch.
Row = tuple[str, str, str | None, str, str, int, int, int, int, str, str]
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@dataclass(frozen=True)
class SpanBatch:
    """Spans that share a resource, ready to insert: the resource's canonical JSON, the rows, their attribute keys."""

    resource: str
    rows: Sequence[Row]
    keys: frozenset[str] = field(default_factory=frozenset)


def per_trace(rows: Sequence[Row]) -> dict[str, list[int]]:
    """Per trace id: first start, last start, last end, span count."""
    traces: dict[str, list[int]] = {}
    for r in rows:
        start, end = r[5], r[6]
        seen = traces.get(r[0])
        if seen is None:
            traces[r[0]] = [start, start, end, 1]
            continue
        seen[0] = min(seen[0], start)
        seen[1] = max(seen[1], start)
        seen[2] = max(seen[2], end)
        seen[3] += 1
    return traces


def row(span: SpanRecord) -> Row:
    """The row a SpanRecord is stored as (without its resource, which its batch carries)."""
    return (
        span.trace_id.lower(),
        span.span_id.lower(),
        span.parent_span_id.lower() if span.parent_span_id else None,
        span.name,
        span.service,
        span.start_ns,
        span.end_ns,
        span.kind,
        span.status_code,
        span.status_message,
        encode(dict(span.attributes)),
    )


def needles(key: str, value: str) -> list[str]:
    """The texts whose presence in a span's attribute JSON means attribute `key` reads `value` (see trace/store.py)."""
    prefix = encode(key) + ":"
    found = [prefix + encode(value)]  # a string attribute
    if value in ("true", "false") or (_NUMBER.fullmatch(value) and _same_number(value)):
        found += [f"{prefix}{value},", f"{prefix}{value}}}"]  # a boolean or number, followed by , or }
    return found


def _same_number(text: str) -> bool:
    # Numbers are stored as json.dumps writes them; only text it would write for some int or float can match.
    number: float = float(text) if any(c in text for c in ".eE") else int(text)
    return encode(number) == text
