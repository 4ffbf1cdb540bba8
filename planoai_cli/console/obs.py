"""`planoai obs` on screen: the summary as tables (once, or refreshed in a rich Live view) or as JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from planoai_cli.console import out_json, rich_console

if TYPE_CHECKING:
    from rich.console import RenderableType

    from planoai_cli.obs.catalog import Pricing
    from planoai_cli.obs.summary import PricedCall, Summary


def show_once(summary: Summary, *, as_json: bool) -> None:
    """The summary on stdout, as JSON or as the dashboard's tables printed once."""
    if as_json:
        out_json(summary.to_json())
        return
    rich_console(stderr=False).print(dashboard(summary, live=False))


def is_terminal() -> bool:
    return rich_console(stderr=False).is_terminal


def live(read: Callable[[], Summary], tick: Callable[[], None]) -> None:
    """Redraw the dashboard from `read()` after every `tick()` until Ctrl-C (which propagates)."""
    console = rich_console(stderr=False)
    with Live(console=console, auto_refresh=False, redirect_stderr=False, transient=False) as view:
        while True:
            # The newest calls get the rows the terminal has left, so the footer is never cut off.
            view.update(dashboard(read(), height=console.height), refresh=True)
            tick()


def dashboard(summary: Summary, *, live: bool = True, height: int | None = None) -> RenderableType:
    """Everything obs shows; with `height`, the list of newest calls is shortened to fit in that many lines."""
    top: list[RenderableType] = [_headline(summary), Text("")]
    if summary.models:
        top += [_models(summary), Text("")]
    if summary.routes:
        top += [_routes(summary), Text("")]
    bottom: list[RenderableType] = []
    if summary.last_error is not None:
        call = summary.last_error.call
        bottom += [
            Text(
                f"last error  {_clock(call.start_ns)}  {call.model}  {call.request_id}  {call.error}", style="bold red"
            ),
            Text(""),
        ]
    bottom.append(Text(footer(summary, live=live), style="dim"))
    middle: list[RenderableType] = []
    rows = len(summary.recent)
    if height is not None:
        rows = min(rows, height - _lines(top) - _lines(bottom) - 4)  # title, header, blank line, cursor
    if rows > 0:
        middle = [_recent(summary, rows), Text("")]
    elif summary.totals.requests == 0:
        middle = [Text(_empty(summary), style="yellow"), Text("")]
    return Group(*top, *middle, *bottom)


def _lines(parts: list[RenderableType]) -> int:
    count = 0
    for part in parts:
        if isinstance(part, Table):
            count += part.row_count + 2  # title and header
        elif isinstance(part, Text):
            count += part.plain.count("\n") + 1
    return count


def _headline(summary: Summary) -> Text:
    t = summary.totals
    window = f"last {summary.since}" if summary.since else "everything stored"
    cost = f"${t.cost:.6f}" if t.cost is not None else "cost unknown"
    unpriced = f" ({t.unpriced} without a price)" if t.unpriced and t.cost is not None else ""
    errors = _count(t.errors, "error")
    lines = [
        f"LLM calls ({window}{', newest ' + str(t.requests) + ' only' if summary.truncated else ''}): "
        f"{_count(t.requests, 'request')}, {errors}, {_count(t.sessions, 'session')}, {cost}{unpriced}",
        f"tokens  in {t.tokens_in:,}  out {t.tokens_out:,}  cached {t.cached:,}  cache writes {t.cache_creation:,}"
        f"  reasoning {t.reasoning:,}",
        f"latency p50 {_ms(summary.latency.p50)}  p95 {_ms(summary.latency.p95)}  p99 {_ms(summary.latency.p99)}"
        f"    TTFT p50 {_ms(summary.ttft.p50)}  p95 {_ms(summary.ttft.p95)}  p99 {_ms(summary.ttft.p99)}",
    ]
    if summary.recent:
        latest = summary.recent[0].call
        lines.append(f"latest  {_clock(latest.start_ns)}  {latest.model}  {latest.request_id}")
    text = Text("\n".join(lines))
    text.stylize("bold", 0, len(lines[0]))
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, pad_edge=False, header_style="bold")
    for name in columns:  # a trailing "<" marks a text column; numbers align right
        text = name.endswith("<")
        table.add_column(name.rstrip("<"), justify="left" if text else "right", no_wrap=True)
    return table


def _models(summary: Summary) -> Table:
    table = _table("by model", "model<", "req", "err", "in", "out", "cached", "cache wr", "tok/s", "cost")
    for row in summary.models:
        t = row.totals
        table.add_row(
            row.model,
            str(t.requests),
            str(t.errors),
            f"{t.tokens_in:,}",
            f"{t.tokens_out:,}",
            f"{t.cached:,}",
            f"{t.cache_creation:,}",
            _rate(row.tokens_per_second),
            _usd(t.cost),
        )
    return table


def _routes(summary: Summary) -> Table:
    table = _table("route share", "route<", "req", "share")
    for row in summary.routes:
        table.add_row(row.route, str(row.requests), f"{row.share:.0%}")
    return table


def _recent(summary: Summary, rows: int) -> Table:
    table = _table(
        f"recent · last {rows}",
        "time<",
        "request<",
        "model<",
        "route<",
        "status",
        "in",
        "out",
        "TTFT",
        "latency",
        "tok/s",
        "cost",
    )
    for priced in summary.recent[:rows]:
        table.add_row(*_recent_row(priced), style="red" if priced.call.failed else None)
    return table


def _recent_row(priced: PricedCall) -> list[str]:
    c = priced.call
    status = str(c.status_code) if c.status_code is not None else ("error" if c.failed else "")
    return [
        _clock(c.start_ns),
        c.request_id[:12],
        c.model,
        c.route or "",
        status,
        f"{c.usage.prompt:,}",
        f"{c.usage.completion:,}",
        _ms(c.ttft_ms),
        _ms(c.duration_ms),
        _rate(c.tokens_per_second),
        _usd(priced.cost),
    ]


def _empty(summary: Summary) -> str:
    where = f" in the last {summary.since}" if summary.since else ""
    return (
        f"no LLM calls stored{where} yet: calls appear once the gateway sends its spans to the collector "
        "(planoai up --with-tracing)"
    )


def footer(summary: Summary, *, live: bool = True) -> str:
    """Two lines: where the calls come from (and how to quit), where the prices come from."""
    source = f"collector {summary.collector}" if summary.collector else "no collector"
    return f"{source}{' · Ctrl-C to quit' if live else ''}\n{describe_pricing(summary.pricing, summary.generated_at)}"


def describe_pricing(pricing: Pricing | None, now: datetime) -> str:
    """Where the prices come from and how old they are, in one line (never more than the truth)."""
    if pricing is None or pricing.table is None or pricing.as_of is None:
        note = f" ({pricing.note})" if pricing and pricing.note else ""
        return f"no pricing{note}"
    choice = pricing.choice
    name = choice.format if choice.reason == "default" else f"{choice.format} via {choice.reason}"
    seconds = (now - pricing.as_of).total_seconds()
    if pricing.origin == "snapshot":
        text = f"pricing: bundled snapshot from {pricing.as_of:%Y-%m-%d} ({_span(seconds)} old)"
    elif pricing.origin == "cache":
        text = f"pricing: {name}, cached {pricing.as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({_ago(seconds)})"
    else:
        text = f"pricing: {name}, fetched {_ago(seconds)}"
    return f"{text}; {pricing.note}" if pricing.note else text


def _ago(seconds: float) -> str:
    return "just now" if seconds < 60 else f"{_span(seconds)} ago"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "<1m"


def _clock(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%H:%M:%S")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:.6f}"


def note(message: str) -> None:
    """A remark about the run itself, on stderr."""
    rich_console(stderr=True).print(Text(message, style="yellow"))
