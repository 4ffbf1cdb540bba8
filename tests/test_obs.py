"""obs without a collector: calls from spans, percentiles, summary JSON, catalogs, lookups, pricing fallbacks."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planoai_cli.health import download
from planoai_cli.obs import catalog
from planoai_cli.obs.calls import LlmCall, Usage, from_span, llm_calls
from planoai_cli.obs.catalog import Choice, Pricing, cache_file, choose, load
from planoai_cli.obs.pricing import (
    PriceTable,
    Rate,
    candidates,
    cost,
    normalize,
    parse_digitalocean,
    parse_models_dev,
)
from planoai_cli.obs.summary import percentile, summarize
from planoai_cli.trace.model import STATUS_ERROR, SpanRecord
from tests.httpserver import hang, serve, status

FIXTURES = Path(__file__).resolve().parent / "obs"
UPDATE = os.environ.get("PLANOAI_UPDATE_GOLDEN") == "1"
NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
T0 = int(datetime(2026, 12, 4, 11, 0, 0, tzinfo=UTC).timestamp()) * 10**9
MODELS_DEV = json.loads((FIXTURES / "models_dev.json").read_text(encoding="utf-8"))
DIGITALOCEAN = json.loads((FIXTURES / "digitalocean.json").read_text(encoding="utf-8"))


def span(n: int, **attributes: Any) -> SpanRecord:
    """The n-th span of a test trace, starting n seconds after T0 and lasting 900 ms."""
    status_code = attributes.pop("_status", 0)
    return SpanRecord(
        trace_id=f"{n:032x}",
        span_id=f"{n:016x}",
        parent_span_id=None,
        name="llm",
        service="brightstaff",
        start_ns=T0 + n * 10**9,
        end_ns=T0 + n * 10**9 + 900_000_000,
        status_code=status_code,
        status_message=attributes.pop("_message", ""),
        attributes=attributes,
    )


def llm_span(
    n: int, model: str = "gpt-4o-mini", /, *, prompt: int = 100, completion: int = 50, **more: Any
) -> SpanRecord:
    return span(
        n,
        **{
            "llm.model": model,
            "llm.provider": "openai",
            "llm.usage.prompt_tokens": prompt,
            "llm.usage.completion_tokens": completion,
            "llm.duration_ms": 1000.0,
            "http.status_code": 200,
            **more,
        },
    )


# --- calls -------------------------------------------------------------------------------------------------------


def test_a_call_reads_every_attribute_brightstaff_sets() -> None:
    call = from_span(
        span(
            1,
            **{
                "llm.model": "gpt-4o-mini",
                "request_id": "req-1",
                "llm.provider": "openai",
                "model.requested": "fast",
                "plano.session_id": "s-1",
                "plano.route.name": "code",
                "llm.is_streaming": True,
                "http.status_code": 200,
                "llm.usage.prompt_tokens": 1200,
                "llm.usage.completion_tokens": 300,
                "llm.usage.total_tokens": 1500,
                "llm.usage.cached_input_tokens": 1000,
                "llm.usage.cache_creation_tokens": 50,
                "llm.usage.reasoning_tokens": 20,
                "llm.time_to_first_token": 250.0,
                "llm.duration_ms": 1750.0,
                "routing.strategy": "preference",
                "routing.selection_reason": "matched 'code'",
            },
        )
    )
    assert call == LlmCall(
        request_id="req-1",
        trace_id=f"{1:032x}",
        span_id=f"{1:016x}",
        start_ns=T0 + 10**9,
        provider="openai",
        model="gpt-4o-mini",
        model_requested="fast",
        session_id="s-1",
        route="code",
        streaming=True,
        status_code=200,
        error=None,
        usage=Usage(1200, 300, 1500, 1000, 50, 20),
        ttft_ms=250.0,
        duration_ms=1750.0,
        routing_strategy="preference",
        selection_reason="matched 'code'",
    )
    assert call.generation_ms == 1500.0
    assert call.tokens_per_second == 200.0


def test_missing_attributes_fall_back_to_the_span() -> None:
    call = from_span(span(2, **{"llm.model": "m", "http.request_id": "http-2"}))
    assert (call.request_id, call.provider, call.duration_ms, call.ttft_ms) == ("http-2", "brightstaff", 900.0, None)
    assert call.usage == Usage()
    assert call.tokens_per_second is None
    assert from_span(span(3, **{"llm.model": "m"})).request_id == f"{3:016x}"


def test_numbers_sent_as_text_are_read_and_nonsense_is_ignored() -> None:
    call = from_span(
        span(
            4,
            **{
                "llm.model": "m",
                "llm.usage.prompt_tokens": "42",
                "llm.usage.completion_tokens": "7.0",
                "llm.duration_ms": "nan",
                "llm.time_to_first_token": "soon",
                "llm.is_streaming": "false",
                "http.status_code": "201",
            },
        )
    )
    assert (call.usage.prompt, call.usage.completion, call.usage.total) == (42, 7, 49)
    assert (call.duration_ms, call.ttft_ms, call.streaming, call.status_code) == (900.0, None, False, 201)


@pytest.mark.parametrize(
    ("attributes", "error"),
    [
        ({"http.status_code": 503}, "HTTP 503"),
        ({"http.status_code": 429, "error.message": "rate limited"}, "HTTP 429: rate limited"),
        ({"exception.message": "upstream reset"}, "upstream reset"),
        ({"_status": STATUS_ERROR, "_message": "deadline exceeded"}, "deadline exceeded"),
        ({"_status": STATUS_ERROR}, "span status ERROR"),
        ({"http.status_code": 200}, None),
        ({"_message": "a message on an unset status is no error"}, None),
    ],
    ids=["status", "status-and-message", "exception", "span-status-message", "span-status", "ok", "unset"],
)
def test_what_counts_as_a_failed_call(attributes: dict[str, Any], error: str | None) -> None:
    assert from_span(span(5, **{"llm.model": "m", **attributes})).error == error


def test_only_spans_with_llm_model_are_calls_newest_first_and_each_once() -> None:
    spans = [llm_span(1), span(2, **{"http.method": "POST"}), llm_span(3), llm_span(1), span(4, **{"llm.model": " "})]
    assert [c.span_id for c in llm_calls(spans)] == [f"{3:016x}", f"{1:016x}"]


# --- percentiles -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([10, 20, 30, 40], 50, 20),
        ([10, 20, 30, 40], 95, 40),
        ([10, 20, 30, 40], 99, 40),
        ([10, 20, 30, 40], 25, 10),
        ([40, 10, 30, 20], 75, 30),
        ([7], 50, 7),
        ([7], 99, 7),
        (list(range(1, 101)), 95, 95),
        (list(range(1, 101)), 99, 99),
        (list(range(1, 21)), 95, 19),
        ([], 50, None),
    ],
)
def test_nearest_rank_percentiles(values: list[float], p: int, expected: float | None) -> None:
    assert percentile(values, p) == expected


def test_a_percentile_outside_0_to_100_is_a_bug() -> None:
    with pytest.raises(ValueError, match="not in"):
        percentile([1], 0)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=200), st.integers(1, 100))
def test_nearest_rank_is_the_smallest_value_with_p_percent_at_or_below(values: list[int], p: int) -> None:
    result = percentile(values, p)
    assert result in values
    assert sum(v <= result for v in values) * 100 >= p * len(values)
    assert sum(v < result for v in values) * 100 < p * len(values)


# --- catalogs and lookups ----------------------------------------------------------------------------------------


def test_models_dev_catalog_keeps_models_with_input_and_output_prices() -> None:
    entries = {(e.provider, e.model): e.rate for e in parse_models_dev(MODELS_DEV)}
    assert entries[("openai", "gpt-4o-mini")] == Rate(0.15, 0.6, 0.075, None)
    assert entries[("anthropic", "claude-3-5-haiku-20241022")] == Rate(0.8, 4, 0.08, 1)
    assert entries[("odd", "free-model")] == Rate(0, 0)
    assert ("openai", "o1-preview") not in entries
    assert not {("odd", "text-price"), ("odd", "negative"), ("odd", "listed")} & entries.keys()
    assert len(entries) == 9
    assert parse_models_dev(["not", "a", "catalog"]) == []


def test_digitalocean_catalog_fields_and_units() -> None:
    rates = {(e.provider, e.model): e.rate for e in parse_digitalocean(DIGITALOCEAN)}
    assert rates == {
        ("meta", "llama3.3-70b-instruct"): Rate(0.65, 0.65),
        ("meta", "Llama 3.3 Instruct (70B)"): Rate(0.65, 0.65),
        ("openai", "openai-gpt-4o-mini"): Rate(0.15, 0.6, 0.075),
        ("", "anthropic-claude-3.5-haiku"): Rate(0.8, 4.0),
        ("", "deepseek-r1-distill-llama-70b"): Rate(0.99, 0.99),
    }
    assert parse_digitalocean(DIGITALOCEAN["models"]) == parse_digitalocean({"data": DIGITALOCEAN["models"]})
    assert parse_digitalocean({"models": "none"}) == parse_digitalocean("garbage") == []


TABLE = PriceTable(tuple(parse_models_dev(MODELS_DEV)), {"fast": "gpt-4o-mini"})


@pytest.mark.parametrize(
    ("model", "provider", "expected"),
    [
        ("gpt-4o-mini", None, 0.15),  # the maker's price, not a reseller's (azure, openrouter)
        ("openai/gpt-4o-mini", None, 0.15),
        ("gpt-4o-mini", "openai", 0.15),
        ("gpt-4o-mini", "azure", 0.165),  # the span's provider picks its own entry
        ("GPT-4o-Mini", None, 0.15),
        ("gpt-4o-mini-2024-07-18", None, 0.15),
        ("claude-3-5-haiku", None, 0.8),  # the catalog's dated id answers to the undated name
        ("anthropic/claude-3.5-haiku-20241022", None, 0.8),
        ("claude-haiku-3-5", "anthropic", 0.8),  # family/version order
        ("claude-sonnet-4.5", None, 3),
        ("gemini-2.5-flash", "gemini", 0.3),  # the gateway's gemini is models.dev's google
        ("fast", None, 0.15),  # the config's model_aliases
        ("mock-gpt", "mock", 1),
        ("gpt-5-ultra", None, None),
        ("o1-preview", None, None),
    ],
)
def test_lookup_rules(model: str, provider: str | None, expected: float | None) -> None:
    rate = TABLE.lookup(model, provider)
    assert (rate.input if rate else None) == expected


def test_normalized_names_and_the_order_lookups_try() -> None:
    assert normalize(" Anthropic/Claude-3.5-Sonnet ") == "anthropic/claude-sonnet-3-5"
    assert normalize("llama3.3-70b") == "llama3-3-70b"
    assert candidates("openai/gpt-4o-20240806", "azure") == [
        "azure/gpt-4o-20240806",
        "openai/gpt-4o-20240806",
        "gpt-4o-20240806",
        "azure/gpt-4o",
        "openai/gpt-4o",
        "gpt-4o",
    ]


def test_digitalocean_names_are_looked_up_like_any_other() -> None:
    table = PriceTable(tuple(parse_digitalocean(DIGITALOCEAN)))
    assert table.lookup("digitalocean/llama3.3-70b-instruct", "digitalocean") == Rate(0.65, 0.65)
    assert table.lookup("anthropic-claude-3-5-haiku") == Rate(0.8, 4.0)


@pytest.mark.parametrize(
    ("usage", "rate", "expected"),
    [
        (Usage(prompt=1000, completion=500, cached=200), Rate(2.5, 10, 1.25), 0.00725),
        (Usage(prompt=1000, completion=500, cached=200), Rate(2.5, 10), 0.0075),  # no cache rate: input price
        (Usage(prompt=1000, completion=0, cached=600, cache_creation=300), Rate(3, 15, 0.3, 3.75), 0.001605),
        (Usage(prompt=100, completion=10, cached=1000, cache_creation=200), Rate(3, 15, 0.3, 3.75), 0.0015),  # apart
        (Usage(prompt=1, completion=0), Rate(0.15, 0.6), 0.0),  # rounded to 6 decimals
        (Usage(prompt=3, completion=1), Rate(0.15, 0.6), 0.000001),
    ],
)
def test_cost_of_a_call(usage: Usage, rate: Rate, expected: float) -> None:
    assert cost(usage, rate) == expected


# --- the summary -------------------------------------------------------------------------------------------------


def _fixture_pricing() -> Pricing:
    return Pricing(
        TABLE,
        Choice("models.dev", "http://127.0.0.1:1/api.json", "--pricing-url"),
        "fetched",
        NOW - timedelta(minutes=5),
    )


def _fixture_calls() -> list[LlmCall]:
    spans = [
        llm_span(
            1,
            prompt=1000,
            completion=200,
            **{
                "llm.usage.cached_input_tokens": 400,
                "plano.route.name": "code",
                "plano.session_id": "s1",
                "llm.time_to_first_token": 200.0,
                "llm.is_streaming": True,
                "request_id": "r1",
            },
        ),
        llm_span(
            2,
            "claude-3-5-haiku",
            prompt=2000,
            completion=100,
            **{
                "llm.provider": "anthropic",
                "llm.duration_ms": 2500.0,
                "llm.time_to_first_token": 500.0,
                "llm.usage.cache_creation_tokens": 1000,
                "plano.route.name": "chat",
                "plano.session_id": "s1",
                "model.requested": "haiku",
                "routing.strategy": "alias",
                "request_id": "r2",
            },
        ),
        llm_span(
            3,
            prompt=10,
            completion=0,
            **{
                "http.status_code": 503,
                "error.message": "upstream unavailable",
                "llm.duration_ms": 30.0,
                "request_id": "r3",
            },
        ),
        llm_span(
            4,
            "local-llama",
            prompt=50,
            completion=25,
            **{"llm.provider": "ollama", "plano.route.name": "code", "plano.session_id": "s2", "request_id": "r4"},
        ),
    ]
    return llm_calls(spans)


def test_summary_json_golden() -> None:
    summary = summarize(
        _fixture_calls(),
        _fixture_pricing(),
        now=NOW,
        since="1h",
        window_start=NOW - timedelta(hours=1),
        collector="127.0.0.1:4317",
        recent=3,
    )
    text = json.dumps(summary.to_json(), indent=2) + "\n"
    golden = FIXTURES / "summary.json"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        "summary JSON changed; regenerate with PLANOAI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_obs.py"
    )


def test_summary_figures() -> None:
    summary = summarize(_fixture_calls(), _fixture_pricing(), now=NOW)
    totals = summary.totals
    assert (totals.requests, totals.errors, totals.sessions, totals.unpriced) == (4, 1, 2, 1)
    # r1: 600 fresh × 0.15 + 400 cached × 0.075 + 200 × 0.6; r2: 1000 × 0.8 + 1000 written × 1 + 100 × 4;
    # r3: 10 × 0.15; r4 has no price.
    assert totals.cost == round((90 + 30 + 120 + 800 + 1000 + 400 + 1.5) / 1e6, 6) == 0.002442
    assert (summary.latency.p50, summary.latency.p95, summary.ttft.p50) == (1000.0, 2500.0, 200.0)
    assert [(m.model, m.totals.requests) for m in summary.models] == [
        ("gpt-4o-mini", 2),
        ("claude-3-5-haiku", 1),
        ("local-llama", 1),
    ]
    assert summary.models[0].tokens_per_second == 250.0  # 200 tokens in 0.8 s; the failed call made none
    assert [(r.route, r.requests, r.share) for r in summary.routes] == [("code", 2, 0.5), ("chat", 1, 0.25)]
    assert summary.last_error is not None
    assert summary.last_error.call.request_id == "r3"
    assert [p.call.request_id for p in summary.recent] == ["r4", "r3", "r2", "r1"]


def test_an_empty_summary_is_all_zeros_and_nulls() -> None:
    data = summarize([], None, now=NOW).to_json()
    assert data["totals"]["requests"] == 0
    assert data["totals"]["cost_usd"] == 0
    assert data["latency_ms"] == {"p50": None, "p95": None, "p99": None}
    assert (data["models"], data["routes"], data["recent"], data["last_error"], data["pricing"]) == (
        [],
        [],
        [],
        None,
        None,
    )


# --- where prices come from: flags, config, fetch, cache, snapshot ------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _json_answer(document: Any) -> Any:
    return status(200, json.dumps(document).encode())


def _choice(url: str, fmt: str = "models.dev") -> Choice:
    return Choice(fmt, url, "--pricing-url")


def test_a_fetched_catalog_is_cached_and_used_for_a_day(tmp_path: Path) -> None:
    with serve([_json_answer(MODELS_DEV)]) as (base, seen):
        first = load(_choice(f"{base}/api.json"), directory=tmp_path, now=NOW)
        assert (first.origin, first.as_of, first.note, seen) == ("fetched", NOW, None, ["/api.json"])
        assert first.table is not None
        assert first.table.lookup("gpt-4o-mini") == Rate(0.15, 0.6, 0.075)
        cached = json.loads(cache_file(tmp_path, _choice(f"{base}/api.json")).read_text(encoding="utf-8"))
        assert (cached["url"], cached["fetched_at"], cached["catalog"]) == (
            f"{base}/api.json",
            "2026-12-04T12:00:00Z",
            MODELS_DEV,
        )
        later = load(_choice(f"{base}/api.json"), directory=tmp_path, now=NOW + timedelta(hours=23))
        assert (later.origin, later.as_of, seen) == ("cache", NOW, ["/api.json"])  # not fetched again
        again = load(_choice(f"{base}/api.json"), directory=tmp_path, now=NOW + timedelta(hours=25))
        assert (again.origin, again.as_of, len(seen)) == ("fetched", NOW + timedelta(hours=25), 2)
        forced = load(_choice(f"{base}/api.json"), directory=tmp_path, now=NOW + timedelta(hours=26), refresh=True)
        assert (forced.origin, len(seen)) == ("fetched", 3)


def _write_cache(directory: Path, choice: Choice, fetched: datetime, document: Any) -> None:
    path = cache_file(directory, choice)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"url": choice.url, "format": choice.format, "fetched_at": fetched.isoformat(), "catalog": document}
        ),
        encoding="utf-8",
    )


def test_a_stale_cache_is_kept_when_the_catalog_is_down(tmp_path: Path) -> None:
    choice = _choice(f"http://127.0.0.1:{_closed_port()}/api.json")
    _write_cache(tmp_path, choice, NOW - timedelta(days=3), MODELS_DEV)
    pricing = load(choice, directory=tmp_path, now=NOW)
    assert (pricing.origin, pricing.as_of) == ("cache", NOW - timedelta(days=3))
    assert pricing.note == "refresh failed: connection refused"
    assert pricing.to_json(NOW)["age_seconds"] == 3 * 86400


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (status(500), "HTTP 500"),
        (status(200, b"<html>maintenance</html>"), "the answer is not JSON"),
        (_json_answer(DIGITALOCEAN), "the answer is not a models.dev catalog (no model with input and output prices)"),
    ],
    ids=["http-500", "not-json", "other-format"],
)
def test_a_bad_answer_never_replaces_the_cache(tmp_path: Path, answer: Any, why: str) -> None:
    with serve([answer]) as (base, _):
        choice = _choice(f"{base}/api.json")
        _write_cache(tmp_path, choice, NOW - timedelta(days=2), MODELS_DEV)
        pricing = load(choice, directory=tmp_path, now=NOW)
    assert (pricing.origin, pricing.note) == ("cache", f"refresh failed: {why}")
    assert json.loads(cache_file(tmp_path, choice).read_text(encoding="utf-8"))["catalog"] == MODELS_DEV


def test_without_network_or_cache_the_bundled_snapshot_is_used_and_dated(tmp_path: Path) -> None:
    choice = _choice(f"http://127.0.0.1:{_closed_port()}/api.json")
    (tmp_path / "models.dev.json").write_text("{damaged", encoding="utf-8")
    pricing = load(choice, directory=tmp_path, now=NOW)
    assert (pricing.origin, pricing.as_of) == ("snapshot", datetime(2025, 10, 15, tzinfo=UTC))
    assert pricing.note == "models.dev catalog unavailable: connection refused"
    assert pricing.table is not None
    assert pricing.table.lookup("openai/gpt-4o-mini") is not None
    assert pricing.table.lookup("claude-sonnet-4-5-20250929") is not None
    assert not cache_file(tmp_path, choice).exists()


def test_no_snapshot_either_means_no_pricing(tmp_path: Path) -> None:
    choice = _choice(f"http://127.0.0.1:{_closed_port()}/api.json")
    pricing = load(choice, directory=tmp_path, now=NOW, snapshot=tmp_path / "missing.json")
    assert (pricing.origin, pricing.table, pricing.as_of) == ("none", None, None)
    assert pricing.note == "models.dev catalog unavailable: connection refused; no usable bundled snapshot"


def test_the_snapshot_is_ours_small_and_dated() -> None:
    data = json.loads(catalog.SNAPSHOT.read_text(encoding="utf-8"))
    assert datetime.fromisoformat(data["snapshot_date"]).year >= 2025
    assert 10 <= len(parse_models_dev(data["catalog"])) <= 40
    assert "planoai-cli's own" in data["about"]


def test_a_cache_from_another_url_is_not_used(tmp_path: Path) -> None:
    with (
        serve([_json_answer(MODELS_DEV)]) as (base, _),
        serve([_json_answer({"x": {"models": {"only": {"id": "only", "cost": {"input": 9, "output": 9}}}}})]) as (
            other,
            _,
        ),
    ):
        load(_choice(f"{base}/api.json"), directory=tmp_path, now=NOW)
        pricing = load(_choice(f"{other}/api.json"), directory=tmp_path, now=NOW)
    assert pricing.origin == "fetched"
    assert pricing.table is not None
    assert len(pricing.table) == 1
    assert cache_file(tmp_path, _choice(f"{base}/api.json")) != cache_file(tmp_path, _choice(f"{other}/api.json"))
    assert cache_file(tmp_path, Choice("models.dev", catalog.DEFAULT_URLS["models.dev"], "default")).name == (
        "models.dev.json"
    )


def test_a_digitalocean_catalog_over_http(tmp_path: Path) -> None:
    with serve([_json_answer(DIGITALOCEAN)]) as (base, _):
        pricing = load(_choice(f"{base}/catalog", "digitalocean"), directory=tmp_path, now=NOW)
    assert pricing.origin == "fetched"
    assert pricing.table is not None
    assert pricing.table.lookup("openai-gpt-4o-mini") == Rate(0.15, 0.6, 0.075)


def test_a_download_cannot_outlive_its_time_limit() -> None:
    with serve([hang(3)]) as (base, _):
        result = download(f"{base}/api.json", timeout=0.3)
    assert (result.body, result.error) == (None, "no answer within 0.3s")


def test_a_download_reports_oversized_and_unsupported_urls() -> None:
    with serve([status(200, b"x" * (2 << 20))]) as (base, _):
        assert download(base, timeout=5, max_bytes=1 << 20).error == "larger than 1 MiB"
    assert download("ftp://example.invalid/x", timeout=1).error is not None


def test_source_precedence_flags_then_config_then_models_dev() -> None:
    assert choose(None, None) == Choice("models.dev", "https://models.dev/api.json", "default")
    assert choose("digitalocean", None).url == "https://api.digitalocean.com/v2/gen-ai/models/catalog"
    assert choose(None, "http://127.0.0.1:9/x.json") == Choice(
        "models.dev", "http://127.0.0.1:9/x.json", "--pricing-url"
    )
