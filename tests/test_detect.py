"""Generation detection from structure, and refusal of the prototype format."""

from __future__ import annotations

import pytest

from planoai_cli.detect import Generation, detect
from planoai_cli.errors import ConfigError
from planoai_cli.loader import parse


@pytest.mark.parametrize(
    ("text", "generation"),
    [
        ("version: v0.1\nlistener: {address: 0.0.0.0, port: 10000}\nllm_providers: []\n", Generation.G1),
        ("version: v0.1\nlisteners: {egress_traffic: {port: 12000}}\nllm_providers: []\n", Generation.G2),
        ("version: v0.1\nllm_providers: []\n", Generation.G2),
        ("version: v0.1\nlisteners: [{name: a, type: model}]\nllm_providers: []\n", Generation.G3),
        # A mapping listener beside a G3-only section is a list-era file using a deprecated listener form.
        ("version: v0.4.0\nlisteners: {egress_traffic: {port: 12000}}\nmodel_providers: []\n", Generation.G3),
    ],
)
def test_detection(text: str, generation: Generation) -> None:
    assert detect(parse(text, "c.yaml"), "c.yaml") is generation


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: v0.1\ntimeout_ms: 100\n", "c.yaml:2:1"),
        ("prompt_targets:\n  - name: x\n    entities: []\n", "c.yaml:3:5"),
        ("prompt_guards:\n  input_guards:\n    jailbreak:\n      on_exception_message: no\n", "c.yaml:4:7"),
    ],
)
def test_prototype_is_refused(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        detect(parse(text, "c.yaml"), "c.yaml")
    assert caught.value.message.startswith(f"{where}: ")
    assert "pre-release prototype" in caught.value.message


def test_both_listener_forms_are_refused() -> None:
    text = "version: v0.1\nlistener: {address: 0.0.0.0, port: 10000}\nlisteners: []\nllm_providers: []\n"
    with pytest.raises(ConfigError) as caught:
        detect(parse(text, "c.yaml"), "c.yaml")
    assert caught.value.message.startswith("c.yaml:3:1: both `listener` (the 0.1.x form) and `listeners` are present")
