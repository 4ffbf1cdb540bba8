"""Migration of the old listener shapes: singular `listener:` (G1), the G2 mapping, and no listeners at all."""

from __future__ import annotations

from typing import Any

from planoai_cli.loader import parse
from planoai_cli.migrate.listeners import mapping_listeners, singular_listener
from planoai_cli.tree import locate, plain
from tests.migratehelp import brief, run

G1 = """\
version: v0.1
listener:
  address: 127.0.0.1
  port: 8080
  message_format: huggingface
  connect_timeout: 0.005s
  common_tls_context: {}
llm_providers: []
"""


def test_singular_listener_becomes_the_two_effective_listeners() -> None:
    out, found = run(singular_listener, G1)
    assert plain(out) == {
        "version": "v0.1",
        "listeners": [
            {"type": "prompt", "name": "ingress_traffic", "address": "0.0.0.0", "port": 10000},
            {"type": "model", "name": "egress_traffic", "address": "0.0.0.0", "port": 12000},
        ],
        "llm_providers": [],
    }
    assert brief(found) == [
        ("notice", "migrate.listener-singular", "listener", 2),
        ("warning", "migrate.listener-ignored", "listener.port", 4),
        ("notice", "migrate.listener-key", "listener.message_format", 5),
        ("notice", "migrate.listener-key", "listener.connect_timeout", 6),
        ("notice", "migrate.listener-key", "listener.common_tls_context", 7),
    ]
    assert "127.0.0.1:8080 was never used" in found[1].message
    assert "0.0.0.0:10000" in found[1].message
    assert found[0].hint is not None
    assert "planoai migrate --write" in found[0].hint


def test_singular_listener_positions_point_at_the_users_listener() -> None:
    out, _ = run(singular_listener, G1)
    location = locate(out, ("listeners", 0, "port"))
    assert location.path == ("listener", "port")
    assert location.mark is not None
    assert location.mark.line == 4
    model = locate(out, ("listeners", 1, "name"))
    assert model.path == ("listener", "name")
    assert model.mark is not None
    assert model.mark.line == 3  # the listener mapping itself: the model listener has no line of its own


def test_singular_listener_on_the_effective_address_gives_no_warning() -> None:
    _, found = run(singular_listener, "version: v0.1\nlistener:\n  address: 0.0.0.0\n  port: 10000\n")
    assert brief(found) == [("notice", "migrate.listener-singular", "listener", 2)]


MAPPING = """\
version: v0.1
listeners:
  ingress_traffic:
    port: 10001
    message_format: openai
    timeout: 5s
  egress_traffic:
    address: 0.0.0.0
    port: 12001
llm_providers: []
"""


def test_mapping_listeners_become_a_model_then_a_prompt_listener() -> None:
    out, found = run(mapping_listeners, MAPPING)
    assert plain(out) == {
        "version": "v0.1",
        "listeners": [
            {"type": "model", "name": "egress_traffic", "address": "0.0.0.0", "port": 12001},
            {"type": "prompt", "name": "ingress_traffic", "address": "0.0.0.0", "port": 10001, "timeout": "5s"},
        ],
        "llm_providers": [],
    }
    assert brief(found) == [
        ("notice", "migrate.listeners-mapping", "listeners", 2),
        ("notice", "migrate.listener-defaults", "listeners.egress_traffic", 7),
        ("notice", "migrate.listener-defaults", "listeners.ingress_traffic", 3),
        ("notice", "migrate.listener-key", "listeners.ingress_traffic.message_format", 5),
    ]
    egress, ingress = found[1].message, found[2].message
    assert egress == (
        "`egress_traffic` had no `timeout`: the default is now 300s (it was 10s in 0.2.2–0.3.13 and "
        "300s in 0.3.14–0.3.15)"
    )
    assert found[1].hint == (
        "set `timeout` on the listener to keep a shorter limit; `planoai migrate --write` "
        "rewrites the file in the current format"
    )
    assert "127.0.0.1 could not be reached" in ingress
    assert "timeout" not in ingress
    assert found[2].hint == "`planoai migrate --write` rewrites the file in the current format"


def test_an_ingress_without_timeout_reports_its_own_old_default() -> None:
    # The prompt side kept 10s through 0.3.15, unlike the model side (300s from 0.3.14).
    _, found = run(
        mapping_listeners,
        "version: v0.1\nlisteners:\n  ingress_traffic: {address: 0.0.0.0, port: 10000}\n"
        "  egress_traffic: {address: 0.0.0.0, port: 12000, timeout: 30s}\n",
    )
    assert [d.message for d in found if d.code == "migrate.listener-defaults"] == [
        "`ingress_traffic` had no `timeout`: the default is now 300s (it was 10s in 0.2.2–0.3.15)"
    ]


def test_mapping_listener_positions_survive() -> None:
    out, _ = run(mapping_listeners, MAPPING)
    location = locate(out, ("listeners", 1, "port"))
    assert location.path == ("listeners", "ingress_traffic", "port")
    assert location.mark is not None
    assert location.mark.line == 4


def test_mapping_without_ingress_has_only_the_model_listener() -> None:
    text = "version: v0.1\nlisteners:\n  ingress_traffic: {}\nllm_providers: []\n"
    out, found = run(mapping_listeners, text)
    assert plain(out)["listeners"] == [{"type": "model", "name": "egress_traffic", "address": "0.0.0.0", "port": 12000}]
    assert brief(found) == [
        ("notice", "migrate.listeners-mapping", "listeners", 2),
        ("notice", "migrate.listener-defaults", "listeners", 2),
    ]
    assert found[1].message.startswith("there was no `egress_traffic`, so the model listener had no `address`")


def test_absent_listeners_get_the_defaults_and_a_prompt_listener_for_targets() -> None:
    text = """\
    version: v0.1
    llm_providers: []
    prompt_targets:
      - name: t
        description: d
    """
    out, found = run(mapping_listeners, text)
    assert list(out) == ["version", "listeners", "llm_providers", "prompt_targets"]
    assert plain(out)["listeners"] == [
        {"type": "model", "name": "egress_traffic", "address": "0.0.0.0", "port": 12000},
        {"type": "prompt", "name": "ingress_traffic", "address": "0.0.0.0", "port": 10000},
    ]
    # Reported for the file as a whole: no line of the file stands for the missing section.
    assert brief(found) == [("notice", "migrate.listeners-absent", "(top level)", None)]
    assert found[0].message == (
        "the file has no `listeners` section (0.2.2–0.3.15 then used built-in listeners); the current format requires "
        "it, so a model listener on 0.0.0.0:12000 and a prompt listener on 0.0.0.0:10000 were written (the "
        "0.2.2–0.3.15 default 127.0.0.1 could not be reached through the container's published port, so 0.0.0.0 is "
        "written; the timeout default is now 300s, where it was 10s in 0.2.2–0.3.13 and 300s in 0.3.14–0.3.15 for LLM "
        "traffic, and 10s in 0.2.2–0.3.15 for prompts)"
    )


def test_absent_listeners_without_targets_get_only_the_model_listener() -> None:
    out, found = run(mapping_listeners, "version: v0.1\nllm_providers: []\n")
    assert plain(out)["listeners"] == [{"type": "model", "name": "egress_traffic", "address": "0.0.0.0", "port": 12000}]
    assert "prompt listener" not in found[0].message
    assert "so a model listener on 0.0.0.0:12000 was written" in found[0].message
    assert found[0].message.endswith("where it was 10s in 0.2.2–0.3.13 and 300s in 0.3.14–0.3.15 for LLM traffic)")


def test_list_listeners_and_singular_files_are_left_to_other_steps() -> None:
    listed = "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: 12000}\n"
    assert run(mapping_listeners, listed)[1] == []
    assert run(mapping_listeners, G1)[1] == []
    assert run(singular_listener, listed)[1] == []


def test_steps_return_the_same_document_when_nothing_applies() -> None:
    text = "version: v0.4.0\nlisteners:\n  - {type: model, name: m, port: 12000}\n"
    doc = parse(text, "config.yaml")
    steps: list[Any] = [mapping_listeners, singular_listener]
    for step in steps:
        assert step(doc)[0] is doc
