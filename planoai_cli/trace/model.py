"""The span and trace values every tracing stage passes around (no grpc, no sqlite: cheap to import)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

AttributeValue = str | int | float | bool  # OTLP arrays and maps are kept as their JSON text

STATUS_UNSET = 0
STATUS_OK = 1
STATUS_ERROR = 2


@dataclass(frozen=True)
class SpanRecord:
    """One span as stored: ids in lowercase hex, times in Unix nanoseconds, attributes flattened."""

    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    parent_span_id: str | None  # None for a root span
    name: str
    service: str  # the resource's service.name ("unknown" when absent)
    start_ns: int
    end_ns: int
    kind: int = 0  # OTLP SpanKind
    status_code: int = STATUS_UNSET  # OTLP status code
    status_message: str = ""
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)  # span attributes
    resource: Mapping[str, AttributeValue] = field(default_factory=dict)  # resource attributes

    @property
    def duration_ns(self) -> int:
        return max(self.end_ns - self.start_ns, 0)

    @classmethod
    def from_row(cls, row: Sequence[Any], resource: Mapping[str, AttributeValue]) -> SpanRecord:
        """A span from a row as the store keeps it (and the receiver's conversion writes it): the fields in order,
        the attributes as JSON text."""
        return cls(
            trace_id=row[0],
            span_id=row[1],
            parent_span_id=row[2],
            name=row[3],
            service=row[4],
            start_ns=row[5],
            end_ns=row[6],
            kind=row[7],
            status_code=row[8],
            status_message=row[9],
            attributes=json.loads(row[10]),
            resource=resource,
        )


@dataclass(frozen=True)
class TraceRecord:
    """A trace: its id and its spans sorted by start time."""

    trace_id: str
    spans: tuple[SpanRecord, ...]

    @property
    def start_ns(self) -> int:
        return min((s.start_ns for s in self.spans), default=0)

    @property
    def end_ns(self) -> int:
        return max((s.end_ns for s in self.spans), default=0)

    @property
    def short_id(self) -> str:
        return self.trace_id[:8]
