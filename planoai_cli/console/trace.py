"""`planoai trace` output: a tree per trace (offsets, services, durations, status, error banners, attributes), the
--list table, and their JSON forms. Colour only on a terminal without NO_COLOR; the plain text is the golden form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from rich.text import Text

from planoai_cli.console import info, out, out_json, rich_console
from planoai_cli.trace.export import NS_PER_MS, dumps_line, list_json, local_time, summary_json, trace_json
from planoai_cli.trace.model import AttributeValue, TraceRecord
from planoai_cli.trace.tree import SpanNode, build_tree, root_span, shown_attributes, span_error, span_status

_SERVICE_STYLES = (
    ("inbound", "cyan"),
    ("outbound", "blue"),
    ("orchestrator", "magenta"),
    ("routing", "yellow"),
    ("agent", "green"),
    ("llm", "bright_magenta"),
)
_MAX_VALUE = 200  # characters of an attribute value shown without -v


def _ms(ns: int) -> str:
    return f"{ns / NS_PER_MS:.1f} ms"


def _service_style(service: str) -> str:
    lowered = service.lower()
    return next((style for key, style in _SERVICE_STYLES if key in lowered), "bold")


def _value(value: AttributeValue, verbose: bool) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if not verbose and len(text) > _MAX_VALUE:
        return f"{text[:_MAX_VALUE]}… ({len(text) - _MAX_VALUE} more characters, -v shows all)"
    return text


def tree_lines(
    trace: TraceRecord, *, patterns: Sequence[str] = (), verbose: bool = False, tz: tzinfo | None = None
) -> list[Text]:
    """One trace as lines: a header, then per span its offset from the trace's start, tree guides, service,
    name, duration and status, an error banner when it failed, and its attributes below it."""
    header = Text.assemble(
        ("trace ", "bold"),
        (trace.trace_id, "bold"),
        f"  {_ms(trace.end_ns - trace.start_ns)} total",
        f"  started {local_time(trace.start_ns, tz)}",
        f"  {len(trace.spans)} span{'' if len(trace.spans) == 1 else 's'}",
    )
    roots = build_tree(trace)
    width = max((len(_offset(n)) for n in _walk(roots)), default=0)
    lines = [header]
    for index, root in enumerate(roots):
        last = index == len(roots) - 1
        connector = "" if len(roots) == 1 else ("└─ " if last else "├─ ")
        inner = "" if len(roots) == 1 else ("   " if last else "│  ")
        lines += _node_lines(root, connector, inner, width=width, patterns=patterns, verbose=verbose)
    return lines


def _offset(node: SpanNode) -> str:
    return f"+{_ms(node.offset_ns)}"


def _walk(nodes: Sequence[SpanNode]) -> list[SpanNode]:
    return [m for n in nodes for m in (n, *_walk(n.children))]


def _node_lines(
    node: SpanNode, connector: str, inner: str, *, width: int, patterns: Sequence[str], verbose: bool
) -> list[Text]:
    span = node.span
    error = span_error(span)
    status = span_status(span)
    line = Text.assemble(
        (_offset(node).rjust(width), "dim"),
        "  ",
        (connector, "dim"),
        (f"[{span.service}]", _service_style(span.service)),
        f" {span.name}",
        (f"  {_ms(span.duration_ns)}", ""),
        ("  " + status, "bold red" if error else "green"),
    )
    pad = " " * (width + 2) + inner + ("│  " if node.children else "   ")
    lines = [line]
    if error:
        lines.append(Text.assemble((pad, "dim"), (f"✗ {error}", "bold red")))
    shown, hidden = shown_attributes(span, patterns=patterns, verbose=verbose)
    lines += [Text.assemble((pad, "dim"), (f"{key}: ", "dim"), _value(value, verbose)) for key, value in shown]
    if hidden and not patterns:
        noun = "attribute" if hidden == 1 else "attributes"
        lines.append(Text.assemble((pad, "dim"), (f"… {hidden} more {noun} (-v shows them)", "dim")))
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        lines += _node_lines(
            child,
            inner + ("└─ " if last else "├─ "),
            inner + ("   " if last else "│  "),
            width=width,
            patterns=patterns,
            verbose=verbose,
        )
    return lines


def render_tree(
    trace: TraceRecord, *, patterns: Sequence[str] = (), verbose: bool = False, tz: tzinfo | None = None
) -> str:
    """The tree as plain text (what a non-terminal receives; the golden files hold this)."""
    return "".join(line.plain + "\n" for line in tree_lines(trace, patterns=patterns, verbose=verbose, tz=tz))


_LIST_HEADER = ("ID", "STARTED", "DURATION", "SPANS", "ROOT")


def list_row(trace: TraceRecord, tz: tzinfo | None = None) -> tuple[str, str, str, str, str]:
    root = root_span(trace)
    failed = any(span_error(s) for s in trace.spans)
    described = f"[{root.service}] {root.name}" if root else "?"
    return (
        trace.short_id,
        local_time(trace.start_ns, tz),
        _ms(trace.end_ns - trace.start_ns),
        str(len(trace.spans)),
        described + ("  error" if failed else ""),
    )


def list_lines(traces: Sequence[TraceRecord], *, header: bool = True, tz: tzinfo | None = None) -> list[Text]:
    """The --list table: newest first, one trace a line."""
    rows = [list_row(t, tz) for t in traces]
    all_rows = [_LIST_HEADER, *rows] if header else rows
    widths = [max(len(r[i]) for r in all_rows) for i in range(4)]
    lines = []
    for number, row in enumerate(all_rows):
        text = f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}  {row[4]}"
        style = "bold" if header and number == 0 else ("red" if row[4].endswith("  error") else "")
        lines.append(Text(text, style=style))
    return lines


def render_list(traces: Sequence[TraceRecord], *, tz: tzinfo | None = None) -> str:
    return "".join(line.plain + "\n" for line in list_lines(traces, tz=tz))


def show_traces(
    traces: Sequence[TraceRecord], *, as_json: bool, patterns: Sequence[str] = (), verbose: bool = False
) -> None:
    """Trees (a blank line between two) or `{"traces": [...]}` on stdout."""
    if as_json:
        out_json({"traces": [trace_json(t, patterns) for t in traces]})
        return
    console = rich_console(stderr=False)
    for index, trace in enumerate(traces):
        if index:
            console.print()
        for line in tree_lines(trace, patterns=patterns, verbose=verbose):
            console.print(line)


def show_list(traces: Sequence[TraceRecord], *, as_json: bool) -> None:
    if as_json:
        out_json(list_json(traces))
        return
    console = rich_console(stderr=False)
    for line in list_lines(traces):
        console.print(line)


def show_followed(
    trace: TraceRecord,
    *,
    as_json: bool,
    listing: bool,
    patterns: Sequence[str] = (),
    verbose: bool = False,
    first: bool = False,
) -> None:
    """One trace as --follow prints it: a tree, a --list line, or one line of JSON."""
    if as_json:
        out(dumps_line(summary_json(trace) if listing else trace_json(trace, patterns)))
        return
    console = rich_console(stderr=False)
    if listing:
        console.print(list_lines([trace], header=False)[0])
        return
    if not first:
        console.print()
    for line in tree_lines(trace, patterns=patterns, verbose=verbose):
        console.print(line)


def more_note(shown: int) -> None:
    info(f"showing the newest {shown}; more traces match (--limit N shows more, --limit 0 all)")


def note(message: str) -> None:
    rich_console(stderr=True).print(Text(message, style="dim"))


def warn(message: str) -> None:
    rich_console(stderr=True).print(Text(f"warning: {message}", style="yellow"))
