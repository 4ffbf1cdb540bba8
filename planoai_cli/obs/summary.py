"""The obs summary: totals, latency and TTFT percentiles, per-model and per-route tables, recent calls, last error.

Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at rank ⌈p·n/100⌉
(1-based), so it is always one of the observed values (p50 of [10, 20, 30, 40] is 20, p95 and p99 are 40).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from planoai_cli.obs.calls import LlmCall
from planoai_cli.obs.pricing import cost

if TYPE_CHECKING:
    from planoai_cli.obs.catalog import Pricing

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], p: int) -> float | None:
    """Nearest-rank percentile (0 < p ≤ 100) of `values`; None when there are none."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} is not in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-p * len(ordered) // 100)  # ⌈p·n/100⌉ in integers, free of float rounding
    return ordered[rank - 1]


@dataclass(frozen=True)
class Percentiles:
    p50: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Percentiles:
        return cls(*(percentile(values, p) for p in PERCENTILES))

    def to_json(self) -> dict[str, float | None]:
        return {"p50": _round(self.p50, 1), "p95": _round(self.p95, 1), "p99": _round(self.p99, 1)}


@dataclass(frozen=True)
class PricedCall:
    call: LlmCall
    cost: float | None  # None: the catalog has no price for the model

    def to_json(self) -> dict[str, Any]:
        c, u = self.call, self.call.usage
        return {
            "request_id": c.request_id,
            "trace_id": c.trace_id,
            "span_id": c.span_id,
            "time": _time(c.start_ns),
            "provider": c.provider,
            "model": c.model,
            "model_requested": c.model_requested,
            "session_id": c.session_id,
            "route": c.route,
            "streaming": c.streaming,
            "status_code": c.status_code,
            "error": c.error,
            "tokens": {
                "prompt": u.prompt,
                "completion": u.completion,
                "total": u.total,
                "cached": u.cached,
                "cache_creation": u.cache_creation,
                "reasoning": u.reasoning,
            },
            "ttft_ms": _round(c.ttft_ms, 1),
            "duration_ms": _round(c.duration_ms, 1),
            "tokens_per_second": _round(c.tokens_per_second, 1),
            "routing": {"strategy": c.routing_strategy, "selection_reason": c.selection_reason},
            "cost_usd": self.cost,
        }


@dataclass(frozen=True)
class Totals:
    requests: int
    errors: int
    sessions: int
    cost: float | None  # of the priced calls; None when there are calls and none has a price
    unpriced: int  # calls whose model has no price: not in `cost`
    tokens_in: int
    tokens_out: int
    cached: int
    cache_creation: int
    reasoning: int

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "sessions": self.sessions,
            "cost_usd": self.cost,
            "unpriced_requests": self.unpriced,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "tokens_cached": self.cached,
            "tokens_cache_creation": self.cache_creation,
            "tokens_reasoning": self.reasoning,
        }


@dataclass(frozen=True)
class ModelRow:
    model: str
    totals: Totals
    tokens_per_second: float | None  # completion tokens over generation time, all its calls together

    def to_json(self) -> dict[str, Any]:
        row = {"model": self.model, **self.totals.to_json(), "tokens_per_second": _round(self.tokens_per_second, 1)}
        del row["sessions"]
        return row


@dataclass(frozen=True)
class RouteRow:
    route: str
    requests: int
    share: float  # of all requests in the window (calls without a route are not listed)

    def to_json(self) -> dict[str, Any]:
        return {"route": self.route, "requests": self.requests, "share": round(self.share, 4)}


@dataclass(frozen=True)
class Summary:
    generated_at: datetime
    since: str | None  # the --since window as given; None: everything stored
    window_start: datetime | None
    collector: str | None  # where the calls came from (the collector's address)
    pricing: Pricing | None
    truncated: bool  # the read limit was reached, so older calls in the window are left out
    totals: Totals
    latency: Percentiles
    ttft: Percentiles
    models: tuple[ModelRow, ...]
    routes: tuple[RouteRow, ...]
    recent: tuple[PricedCall, ...]  # newest first
    last_error: PricedCall | None

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": _iso(self.generated_at),
            "since": self.since,
            "window_start": _iso(self.window_start) if self.window_start else None,
            "collector": self.collector,
            "pricing": self.pricing.to_json(self.generated_at) if self.pricing else None,
            "truncated": self.truncated,
            "totals": self.totals.to_json(),
            "latency_ms": self.latency.to_json(),
            "ttft_ms": self.ttft.to_json(),
            "models": [m.to_json() for m in self.models],
            "routes": [r.to_json() for r in self.routes],
            "recent": [c.to_json() for c in self.recent],
            "last_error": self.last_error.to_json() if self.last_error else None,
        }


def summarize(
    calls: Iterable[LlmCall],
    pricing: Pricing | None,
    *,
    now: datetime,
    since: str | None = None,
    window_start: datetime | None = None,
    collector: str | None = None,
    recent: int = 15,
    truncated: bool = False,
) -> Summary:
    """Everything obs shows, from calls newest first."""
    priced = [PricedCall(c, _cost(c, pricing)) for c in calls]
    by_model: dict[str, list[PricedCall]] = {}
    for p in priced:
        by_model.setdefault(p.call.model, []).append(p)
    rows = sorted(
        (ModelRow(m, _totals(group), _throughput(p.call for p in group)) for m, group in by_model.items()),
        key=lambda r: (-r.totals.requests, r.model),
    )
    return Summary(
        generated_at=now,
        since=since,
        window_start=window_start,
        collector=collector,
        pricing=pricing,
        truncated=truncated,
        totals=_totals(priced),
        latency=Percentiles.of([p.call.duration_ms for p in priced]),
        ttft=Percentiles.of([p.call.ttft_ms for p in priced if p.call.ttft_ms is not None]),
        models=tuple(rows),
        routes=_routes(priced),
        recent=tuple(priced[: max(recent, 0)]),
        last_error=next((p for p in priced if p.call.failed), None),
    )


def _cost(call: LlmCall, pricing: Pricing | None) -> float | None:
    rate = pricing.table.lookup(call.model, call.provider) if pricing and pricing.table else None
    return None if rate is None else cost(call.usage, rate)


def _totals(priced: Sequence[PricedCall]) -> Totals:
    calls = [p.call for p in priced]
    known = [p.cost for p in priced if p.cost is not None]
    return Totals(
        requests=len(calls),
        errors=sum(c.failed for c in calls),
        sessions=len({c.session_id for c in calls if c.session_id}),
        cost=round(sum(known), 6) if known or not priced else None,
        unpriced=len(priced) - len(known),
        tokens_in=sum(c.usage.prompt for c in calls),
        tokens_out=sum(c.usage.completion for c in calls),
        cached=sum(c.usage.cached for c in calls),
        cache_creation=sum(c.usage.cache_creation for c in calls),
        reasoning=sum(c.usage.reasoning for c in calls),
    )


def _throughput(calls: Iterable[LlmCall]) -> float | None:
    timed = [c for c in calls if c.tokens_per_second is not None]
    seconds = sum(c.generation_ms for c in timed) / 1000
    return sum(c.usage.completion for c in timed) / seconds if timed else None


def _routes(priced: Sequence[PricedCall]) -> tuple[RouteRow, ...]:
    counts: dict[str, int] = {}
    for p in priced:
        if p.call.route:
            counts[p.call.route] = counts.get(p.call.route, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(RouteRow(route, n, n / len(priced)) for route, n in ordered)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _time(ns: int) -> str:
    moment = datetime.fromtimestamp(ns // 10**9, UTC) + timedelta(microseconds=ns % 10**9 // 1000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
