"""obs between the core and the screen: the config's cost source, the read window, and the console text."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from planoai_cli.console.obs import dashboard, describe_pricing, show_once
from planoai_cli.errors import ConfigError, InvalidConfig
from planoai_cli.obs.catalog import DEFAULT_URLS, Choice, Pricing
from planoai_cli.obs.pricing import PriceTable, parse_models_dev
from planoai_cli.obs.session import PricingRequest, Reader, Window, choose_pricing, read_summary
from planoai_cli.obs.summary import summarize
from planoai_cli.trace.model import SpanRecord
from tests.test_obs import FIXTURES, MODELS_DEV, NOW, T0, UPDATE, _fixture_calls, _fixture_pricing, llm_span

CONFIG = """\
version: v0.4.0
listeners:
  - type: model
    name: llm
    port: 12000
model_providers:
  - model: openai/gpt-4o-mini
    access_key: $OPENAI_API_KEY
    default: true
model_metrics_sources:
  - type: latency
    provider: prometheus
    url: http://127.0.0.1:9090
    query: up
  - type: cost
    provider: digitalocean
    url: http://127.0.0.1:9/catalog
    refresh_interval: 600
    model_aliases:
      fast: openai-gpt-4o-mini
"""
BROKEN = "version: v0.4.0\nlisteners: 12\n"


def _choose(request: PricingRequest) -> tuple[Choice, list[str]]:
    warnings: list[str] = []
    return choose_pricing(request, warnings.append), warnings


def test_the_configs_first_cost_source_picks_the_catalog(project: Callable[[dict[str, str]], Path]) -> None:
    root = project({"config.yaml": CONFIG})
    choice, warnings = _choose(PricingRequest(None, root))
    assert choice == Choice(
        "digitalocean",
        "http://127.0.0.1:9/catalog",
        "config.yaml model_metrics_sources[1]",
        max_age=600.0,
        aliases={"fast": "openai-gpt-4o-mini"},
    )
    assert warnings == []
    assert _choose(PricingRequest(root / "config.yaml", Path("/nonexistent")))[0] == choice


def test_flags_beat_the_config_and_keep_its_settings_only_for_its_own_format(
    project: Callable[[dict[str, str]], Path],
) -> None:
    root = project({"config.yaml": CONFIG})
    by_url = _choose(PricingRequest(None, root, url="http://127.0.0.1:7/do.json"))[0]
    assert (by_url.format, by_url.url, by_url.reason, by_url.max_age) == (
        "digitalocean",
        "http://127.0.0.1:7/do.json",
        "--pricing-url",
        600.0,
    )
    other = _choose(PricingRequest(None, root, provider="models.dev"))[0]
    assert other == Choice("models.dev", DEFAULT_URLS["models.dev"], "--pricing-provider")


def test_no_config_means_models_dev(tmp_path: Path) -> None:
    assert _choose(PricingRequest(None, tmp_path)) == (Choice("models.dev", DEFAULT_URLS["models.dev"], "default"), [])


def test_a_broken_config_found_in_path_is_skipped_with_a_warning(project: Callable[[dict[str, str]], Path]) -> None:
    root = project({"config.yaml": BROKEN})
    choice, warnings = _choose(PricingRequest(None, root))
    assert choice.reason == "default"
    assert len(warnings) == 1
    assert warnings[0].startswith(f"pricing: ignoring {root / 'config.yaml'} (")
    assert warnings[0].endswith(f"; see planoai validate {root / 'config.yaml'})")


def test_a_config_named_on_the_command_line_must_exist_and_be_valid(project: Callable[[dict[str, str]], Path]) -> None:
    root = project({"config.yaml": BROKEN})
    with pytest.raises(InvalidConfig):
        _choose(PricingRequest(root / "config.yaml", root))
    with pytest.raises(ConfigError, match="does not exist"):
        _choose(PricingRequest(root / "missing.yaml", root))


class ListSource:
    """The store's queries obs uses, over a list whose positions are the span ids, from 1 (the real store is tested
    end to end in test_obs_cli.py and test_trace_store.py)."""

    def __init__(self, spans: list[SpanRecord]) -> None:
        self.spans = spans
        self.asked: list[tuple[str, int | None, int | None]] = []
        self.after: list[int | None] = []

    def spans_with_attribute(
        self, key: str, *, since_ns: int | None = None, limit: int | None = None, after_id: int | None = None
    ) -> list[SpanRecord]:
        self.asked.append((key, since_ns, limit))
        self.after.append(after_id)
        stored = self.spans[after_id or 0 :]
        found = sorted(
            (s for s in stored if key in s.attributes and (since_ns is None or s.start_ns >= since_ns)),
            key=lambda s: s.start_ns,
            reverse=True,
        )
        return found[:limit]

    def last_span_id(self) -> int:
        return len(self.spans)


def test_the_window_asks_the_store_for_recent_llm_spans_and_says_when_it_cut() -> None:
    source = ListSource([llm_span(n) for n in range(1, 8)])
    now = datetime.fromtimestamp((T0 + 10 * 10**9) / 1e9, UTC)
    summary = read_summary(source, None, Window("6s", 6, recent=2, limit=3), collector="c", now=now)
    assert source.asked == [("llm.model", T0 + 4 * 10**9, 4)]
    assert summary.truncated
    assert summary.totals.requests == 3
    assert [p.call.span_id for p in summary.recent] == [f"{7:016x}", f"{6:016x}"]
    assert summary.window_start == now - timedelta(seconds=6)
    everything = read_summary(source, None, Window(), collector="c", now=now)
    assert (everything.totals.requests, everything.truncated, source.asked[-1]) == (
        7,
        False,
        ("llm.model", None, 10_001),
    )


@pytest.fixture
def utc_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("utc_clock")
def test_the_tables_printed_once_golden(capsys: pytest.CaptureFixture[str]) -> None:
    summary = summarize(
        _fixture_calls(),
        _fixture_pricing(),
        now=NOW,
        since="1h",
        window_start=NOW - timedelta(hours=1),
        collector="127.0.0.1:4317",
    )
    show_once(summary, as_json=False)
    text = capsys.readouterr().out
    golden = FIXTURES / "summary.txt"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        "obs text changed; regenerate: PLANOAI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_obs_session.py"
    )


def test_json_printed_once_is_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    summary = summarize(_fixture_calls(), _fixture_pricing(), now=NOW)
    show_once(summary, as_json=True)
    assert json.loads(capsys.readouterr().out) == summary.to_json()


@pytest.mark.usefixtures("utc_clock")
def test_an_empty_window_says_why_it_is_empty(capsys: pytest.CaptureFixture[str]) -> None:
    show_once(summarize([], None, now=NOW, since="5m", collector="127.0.0.1:4317"), as_json=False)
    text = capsys.readouterr().out
    assert "no LLM calls stored in the last 5m yet" in text
    assert text.endswith("\ncollector 127.0.0.1:4317\nno pricing\n")


TABLE = PriceTable(tuple(parse_models_dev(MODELS_DEV)))
DEFAULT = Choice("models.dev", DEFAULT_URLS["models.dev"], "default")


@pytest.mark.parametrize(
    ("pricing", "text"),
    [
        (Pricing(TABLE, DEFAULT, "fetched", NOW - timedelta(seconds=3)), "pricing: models.dev, fetched just now"),
        (
            Pricing(
                TABLE,
                Choice("digitalocean", "http://x", "config.yaml model_metrics_sources[0]"),
                "fetched",
                NOW - timedelta(minutes=90),
            ),
            "pricing: digitalocean via config.yaml model_metrics_sources[0], fetched 1h ago",
        ),
        (
            Pricing(TABLE, DEFAULT, "cache", NOW - timedelta(hours=5)),
            "pricing: models.dev, cached 2026-12-04 07:00 UTC (5h ago)",
        ),
        (
            Pricing(TABLE, DEFAULT, "cache", NOW - timedelta(days=3), "refresh failed: HTTP 503"),
            "pricing: models.dev, cached 2026-12-01 12:00 UTC (3d ago); refresh failed: HTTP 503",
        ),
        (
            Pricing(
                TABLE,
                DEFAULT,
                "snapshot",
                datetime(2025, 10, 15, tzinfo=UTC),
                "models.dev catalog unavailable: connection refused",
            ),
            "pricing: bundled snapshot from 2025-10-15 (415d old); models.dev catalog unavailable: connection refused",
        ),
        (
            Pricing(None, DEFAULT, "none", None, "models.dev catalog unavailable: x; no usable bundled snapshot"),
            "no pricing (models.dev catalog unavailable: x; no usable bundled snapshot)",
        ),
        (None, "no pricing"),
    ],
    ids=["fetched-now", "fetched-config", "cache", "cache-stale", "snapshot", "none", "absent"],
)
def test_the_footer_tells_where_prices_come_from_and_their_age(pricing: Pricing | None, text: str) -> None:
    assert describe_pricing(pricing, NOW) == text


def test_the_live_reader_queries_again_only_when_the_store_files_change(tmp_path: Path) -> None:
    wal = tmp_path / "traces.sqlite3-wal"
    source = ListSource([llm_span(n) for n in range(1, 4)])
    now = datetime.fromtimestamp((T0 + 10 * 10**9) / 1e9, UTC)
    reader = Reader(
        source, None, Window("8s", 8), collector="c", files=[tmp_path / "traces.sqlite3", wal], full_every=3600
    )
    first = reader(now)
    assert (len(source.asked), first.totals.requests) == (1, 2)  # spans 2 and 3 are in the last 8 s
    assert reader(now + timedelta(seconds=1)).totals.requests == 1  # the window slides without a query
    assert len(source.asked) == 1
    source.spans.append(llm_span(9))
    wal.write_bytes(b"a commit")
    again = reader(now + timedelta(seconds=1))
    assert (len(source.asked), again.totals.requests) == (2, 2)
    assert again.recent[1].call is first.recent[0].call  # a span read before is not read again


def test_a_change_reads_only_the_spans_stored_since_and_a_full_read_comes_every_so_often(tmp_path: Path) -> None:
    wal = tmp_path / "traces.sqlite3-wal"
    source = ListSource([llm_span(n) for n in range(1, 4)])
    now = datetime.fromtimestamp((T0 + 10 * 10**9) / 1e9, UTC)
    reader = Reader(source, None, Window(limit=3), collector="c", files=[wal], full_every=3600)
    assert reader(now).totals.requests == 3
    late = dataclasses.replace(llm_span(2), span_id=f"{99:016x}")  # stored last, started early (a long call)
    source.spans += [llm_span(8), late]
    wal.write_bytes(b"a commit")
    summary = reader(now)
    assert source.after == [None, 3]  # only the two new rows were asked for
    assert [p.call.span_id for p in summary.recent] == [f"{8:016x}", f"{3:016x}", f"{99:016x}"]
    assert summary.truncated  # five calls, three kept
    del source.spans[3:]  # the store dropped them; only a full read can tell
    wal.write_bytes(b"another commit")
    again = reader(now)
    assert source.after[-1] is None  # fewer ids than read up to: the store was emptied or trimmed, all is read
    assert (again.totals.requests, again.truncated) == (3, False)
    source.spans.append(llm_span(4))
    wal.write_bytes(b"a third commit")
    reader._full_every = 0.0
    assert reader(now).totals.requests == 3
    assert source.after[-1] is None  # every full_every seconds, whatever changed


def test_without_files_to_watch_every_redraw_queries() -> None:
    source = ListSource([llm_span(1)])
    reader = Reader(source, None, Window(), collector="c")
    reader(NOW)
    reader(NOW)
    assert len(source.asked) == 2


@pytest.mark.parametrize(("height", "rows"), [(None, 12), (60, 12), (36, 12), (35, 11), (28, 4), (25, 1), (24, 0)])
def test_the_live_view_gives_the_newest_calls_the_rows_left(height: int | None, rows: int) -> None:
    from io import StringIO

    from rich.console import Console

    calls = [c for _ in range(3) for c in _fixture_calls()]
    summary = summarize(calls, _fixture_pricing(), now=NOW, collector="127.0.0.1:4317")
    console = Console(file=StringIO(), width=200, no_color=True)
    console.print(dashboard(summary, height=height))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    lines = text.splitlines()
    assert lines[-2:] == [
        "collector 127.0.0.1:4317 · Ctrl-C to quit",
        "pricing: models.dev via --pricing-url, fetched 5m ago",
    ]
    assert sum(line.startswith("11:00:0") for line in lines) == rows
    if height is not None and rows:
        assert len(lines) <= height - 1
