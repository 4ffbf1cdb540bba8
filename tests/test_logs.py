"""Log lines by component, and finding the component that died."""

from __future__ import annotations

from planoai_cli.logs import chosen_components, component_of, failed_component, select, tail

LINES = [
    "2026-11-22 00:06:58,130 INFO supervisord started with pid 1",
    "[envoy] [2026-11-22 00:06:59.278][warning] no connection limit",
    "[brightstaff] stand-in: listening on 0.0.0.0:9091",
    '[access] [2026-11-22T00:07:01.000Z] "POST /v1/chat/completions HTTP/1.1" 200',
    "[envoy] [2026-11-22 00:07:02.000][critical] error initializing configuration",
    "2026-11-22 00:07:02,001 WARN exited: envoy (exit status 1; not expected)",
    "stop-on-exit: envoy exited; stopping the gateway",
]


def test_components() -> None:
    assert [component_of(line) for line in LINES] == [
        "supervisord",
        "envoy",
        "brightstaff",
        "access",
        "envoy",
        "supervisord",
        "supervisord",
    ]


def test_select_and_tail() -> None:
    assert list(select(LINES, {"brightstaff", "access"})) == LINES[2:4]
    assert list(select(LINES, None)) == LINES
    assert tail(select(LINES, {"envoy"}), 1) == [LINES[4]]


def test_failed_component() -> None:
    assert failed_component(LINES) == "envoy"
    assert failed_component(LINES[:5]) is None
    assert failed_component(["2026 INFO gave up: brightstaff entered FATAL state"]) == "brightstaff"


def test_debug_is_upstreams_view_and_adds_to_named_components() -> None:
    assert chosen_components((), debug=False) is None  # the default: every component, as before
    assert chosen_components((), debug=True) == frozenset({"access", "envoy", "brightstaff"})
    assert chosen_components(("envoy",), debug=False) == frozenset({"envoy"})
    assert chosen_components(("access", "access"), debug=False) == frozenset({"access"})
    assert chosen_components(("envoy",), debug=True) == frozenset({"access", "envoy", "brightstaff"})
    assert chosen_components(("supervisord",), debug=True) is None  # all four named: the same as the default
    assert list(select(LINES, chosen_components((), debug=True))) == [LINES[1], LINES[2], LINES[3], LINES[4]]
