"""Golden files for `planoai trace`'s text output: tests/trace_golden/<case>.json holds the spans (times in ms
after a fixed instant) and the display options, <case>.txt the exact text a non-terminal receives (times in UTC)."""

from __future__ import annotations

import json
import os
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from planoai_cli.console.trace import render_list, render_tree
from planoai_cli.trace.model import SpanRecord, TraceRecord
from tests.tracedata import MS, T0, span, trace

GOLDEN = Path(__file__).resolve().parent / "trace_golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))
UPDATE = os.environ.get("PLANOAI_UPDATE_GOLDEN") == "1"
REGENERATE = "PLANOAI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_trace_output.py"


def _span(data: dict[str, Any]) -> SpanRecord:
    return span(
        data["trace_id"],
        data["span_id"],
        data["parent_span_id"],
        data["name"],
        data["service"],
        at=data["start_ms"],
        took=data["duration_ms"],
        attrs=data["attributes"],
        status_code=data.get("status_code", 0),
        status_message=data.get("status_message", ""),
    )


def load(case: str) -> tuple[list[TraceRecord], dict[str, Any]]:
    data = json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8"))
    return [trace(*(_span(s) for s in spans)) for spans in data["traces"]], data["options"]


def rendered(case: str) -> str:
    traces, options = load(case)
    if options.get("list"):
        return render_list(traces, tz=UTC)
    return "\n".join(
        render_tree(t, patterns=options.get("filter", ()), verbose=options.get("verbose", False), tz=UTC)
        for t in traces
    )


@pytest.mark.parametrize("case", CASES)
def test_golden_text(case: str) -> None:
    expected_file = GOLDEN / f"{case}.txt"
    text = rendered(case)
    if UPDATE:
        expected_file.write_text(text, encoding="utf-8")
    if not expected_file.is_file():
        pytest.fail(f"{case} has no expected text yet; regenerate: {REGENERATE}")
    assert text == expected_file.read_text(encoding="utf-8"), f"output changed; if intended, regenerate: {REGENERATE}"


def test_the_cases_start_at_the_fixed_instant() -> None:
    traces, _ = load("chat")
    assert traces[0].start_ns == T0
    assert traces[0].spans[1].start_ns == T0 + int(1.5 * MS)


def test_the_readme_shows_a_golden_tree_verbatim() -> None:
    readme = (GOLDEN.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "```text\n" + (GOLDEN / "upstream-error.txt").read_text(encoding="utf-8") + "```\n" in readme
