"""Migration of prompt targets: the G1 dispatch default and parameter type spellings."""

from __future__ import annotations

from planoai_cli.loader import parse
from planoai_cli.migrate.targets import default_target_dispatch, parameter_types
from planoai_cli.tree import plain
from tests.migratehelp import brief, run

TARGETS = """\
prompt_targets:
  - name: fallback
    description: Anything else.
    default: true
  - name: chosen
    description: Already explicit.
    default: true
    auto_llm_dispatch_on_response: true
  - name: plain
    description: Not a default.
"""


def test_g1_default_targets_get_an_explicit_false_dispatch() -> None:
    out, found = run(default_target_dispatch, "version: v0.1\nlistener: {address: 0.0.0.0, port: 10000}\n" + TARGETS)
    assert plain(out)["prompt_targets"] == [
        {"name": "fallback", "description": "Anything else.", "default": True, "auto_llm_dispatch_on_response": False},
        {"name": "chosen", "description": "Already explicit.", "default": True, "auto_llm_dispatch_on_response": True},
        {"name": "plain", "description": "Not a default."},
    ]
    assert brief(found) == [("notice", "migrate.dispatch-default", "prompt_targets[0].default", 6)]
    assert "the default is true since 0.2.4" in found[0].message


def test_later_files_keep_the_current_default() -> None:
    doc = parse("version: v0.1\nlisteners: {egress_traffic: {port: 12000}}\n" + TARGETS, "config.yaml")
    assert default_target_dispatch(doc) == (doc, [])


def test_parameter_types_are_respelled_or_reported() -> None:
    text = """\
    version: v0.1
    prompt_targets:
      - name: weather
        description: Weather.
        parameters:
          - {name: days, description: Days., type: number}
          - {name: options, description: Options., type: object}
          - {name: city, description: City., type: string}
          - {name: when, description: When., type: datetime}
    """
    out, found = run(parameter_types, text)
    assert [p["type"] for p in plain(out)["prompt_targets"][0]["parameters"]] == ["float", "dict", "string", "datetime"]
    assert brief(found) == [
        ("warning", "migrate.parameter-type", "prompt_targets[0].parameters[0].type", 6),
        ("warning", "migrate.parameter-type", "prompt_targets[0].parameters[1].type", 7),
        ("warning", "migrate.parameter-type", "prompt_targets[0].parameters[3].type", 9),
    ]
    assert found[0].message.startswith("parameter 'days' of prompt target 'weather': `type: number` became `float`")
    assert "treats the value as a string" in found[2].message
