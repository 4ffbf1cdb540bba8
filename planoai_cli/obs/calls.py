"""LLM calls from spans: a span with an `llm.model` attribute is one call (Brightstaff's attribute names)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from planoai_cli.trace.model import STATUS_ERROR, AttributeValue, SpanRecord

MODEL = "llm.model"  # the attribute that makes a span an LLM call
_USAGE = "llm.usage."


@dataclass(frozen=True)
class Usage:
    """Token counts as reported. `prompt` counts every input token (OpenAI's convention), cached ones included."""

    prompt: int = 0
    completion: int = 0
    total: int = 0
    cached: int = 0  # input tokens read from the provider's prompt cache
    cache_creation: int = 0  # input tokens written to it
    reasoning: int = 0


@dataclass(frozen=True)
class LlmCall:
    """One LLM call; None means the span did not say."""

    request_id: str
    trace_id: str
    span_id: str
    start_ns: int
    provider: str
    model: str
    model_requested: str | None
    session_id: str | None
    route: str | None
    streaming: bool | None
    status_code: int | None
    error: str | None  # why the call failed; None when it did not
    usage: Usage
    ttft_ms: float | None
    duration_ms: float
    routing_strategy: str | None
    selection_reason: str | None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def generation_ms(self) -> float:
        """Time spent producing the completion: the duration after the first token (all of it without TTFT)."""
        if self.ttft_ms is not None and 0 <= self.ttft_ms <= self.duration_ms:
            return self.duration_ms - self.ttft_ms
        return self.duration_ms

    @property
    def tokens_per_second(self) -> float | None:
        """Completion tokens per second of generation time; None without tokens or time."""
        if self.usage.completion <= 0 or self.generation_ms <= 0:
            return None
        return self.usage.completion / (self.generation_ms / 1000)


def is_llm_call(span: SpanRecord) -> bool:
    return _text(span.attributes.get(MODEL)) is not None


def llm_calls(spans: Iterable[SpanRecord], known: Mapping[tuple[str, str], LlmCall] | None = None) -> list[LlmCall]:
    """The LLM calls among `spans`, newest first (a span seen twice counts once).

    `known` holds calls read before, by (trace id, span id): a span already read is not read again.
    """
    found: dict[tuple[str, str], LlmCall] = {}
    for span in spans:
        key = (span.trace_id, span.span_id)
        if key not in found and is_llm_call(span):
            call = known.get(key) if known else None
            found[key] = call if call is not None else from_span(span)
    return sorted(found.values(), key=lambda c: (c.start_ns, c.span_id), reverse=True)


def from_span(span: SpanRecord) -> LlmCall:
    """Read one call from a span that has `llm.model`."""
    a = span.attributes
    status = _int(a.get("http.status_code"))
    duration = _float(a.get("llm.duration_ms"))
    return LlmCall(
        request_id=_text(a.get("request_id")) or _text(a.get("http.request_id")) or span.span_id,
        trace_id=span.trace_id,
        span_id=span.span_id,
        start_ns=span.start_ns,
        provider=_text(a.get("llm.provider")) or span.service,
        model=_text(a.get(MODEL)) or "",
        model_requested=_text(a.get("model.requested")),
        session_id=_text(a.get("plano.session_id")),
        route=_text(a.get("plano.route.name")),
        streaming=_bool(a.get("llm.is_streaming")),
        status_code=status,
        error=_error(span, status),
        usage=_usage(a),
        ttft_ms=_float(a.get("llm.time_to_first_token")),
        duration_ms=duration if duration is not None else span.duration_ns / 1e6,
        routing_strategy=_text(a.get("routing.strategy")),
        selection_reason=_text(a.get("routing.selection_reason")),
    )


def _usage(a: Mapping[str, AttributeValue]) -> Usage:
    def count(name: str) -> int:
        return max(_int(a.get(_USAGE + name)) or 0, 0)

    prompt, completion = count("prompt_tokens"), count("completion_tokens")
    return Usage(
        prompt=prompt,
        completion=completion,
        total=count("total_tokens") or prompt + completion,
        cached=count("cached_input_tokens"),
        cache_creation=count("cache_creation_tokens"),
        reasoning=count("reasoning_tokens"),
    )


def _error(span: SpanRecord, status: int | None) -> str | None:
    failed_span = span.status_code == STATUS_ERROR
    message = (
        _text(span.attributes.get("error.message"))
        or _text(span.attributes.get("exception.message"))
        or (_text(span.status_message) if failed_span else None)
    )
    if status is not None and status >= 400:
        return f"HTTP {status}: {message}" if message else f"HTTP {status}"
    if message is not None:
        return message
    return "span status ERROR" if failed_span else None


# Attribute values arrive as whatever type the exporter chose (an int as "42" is common): read them leniently.
def _text(value: AttributeValue | None) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    text = str(value).strip()
    return text or None


def _float(value: AttributeValue | None) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None  # NaN and inf say nothing


def _int(value: AttributeValue | None) -> int | None:
    number = _float(value)
    return None if number is None else int(number)


def _bool(value: AttributeValue | None) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return None
    return {"true": True, "1": True, "false": False, "0": False}.get(text.lower())
