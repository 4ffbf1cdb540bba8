"""The quick schema check never calls a document valid that jsonschema would not (and agrees on nearly all)."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from planoai_cli.detect import Generation
from planoai_cli.errors import PlanoError
from planoai_cli.loader import parse
from planoai_cli.schema import load_schema
from planoai_cli.schema.quick import compile_schema
from planoai_cli.tree import plain

REPO = Path(__file__).resolve().parent.parent
CORPUS = sorted(
    p
    for pattern in ("examples/**/*.yaml", "tests/golden/*/config.yaml", "tests/invalid/*.yaml", "tests/notices/*.yaml")
    for p in REPO.glob(pattern)
)
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    3.0,
    65536,
    "",
    "x",
    "openai/gpt-4o",
    "30s",
    [],
    [1],
    {},
    {"name": "x"},
    "0.0.0.0",
    "model",
    "prompt",
    "agent",
    "http://h:1",
    "$KEY",
    "a b",
    [None],
]


def _documents() -> list[Any]:
    docs = []
    for path in CORPUS:
        try:
            docs.append(plain(parse(path.read_text(encoding="utf-8", errors="replace"), path.name)))
        except PlanoError:
            continue
    return docs


def _nodes(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key) for every value in the tree."""
    found = []
    pending = [doc]
    while pending:
        node = pending.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        for key in keys:
            found.append((node, key))
            pending.append(node[key])
    return found


def _mutate(doc: Any, rng: random.Random) -> Any:
    out = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        nodes = _nodes(out)
        if not nodes:
            break
        node, key = rng.choice(nodes)
        roll = rng.random()
        if roll < 0.5:
            node[key] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif roll < 0.7 and isinstance(node, dict):
            del node[key]
        elif roll < 0.85 and isinstance(node, dict):
            node[rng.choice(["extra", "nmae", "type", "port", "default", "models"])] = rng.choice(ODD_VALUES)
        elif isinstance(node[key], list) and node[key]:
            node[key].append(copy.deepcopy(node[key][0]))
    return out


DOCS = _documents()
rng = random.Random(10)
CASES = DOCS + [_mutate(rng.choice(DOCS), rng) for _ in range(1500)]


@pytest.mark.parametrize("generation", list(Generation), ids=lambda g: g.value)
def test_every_bundled_schema_has_a_quick_check(generation: Generation) -> None:
    assert compile_schema(load_schema(generation)) is not None


@pytest.mark.parametrize("generation", list(Generation), ids=lambda g: g.value)
def test_the_quick_check_agrees_with_jsonschema(generation: Generation) -> None:
    schema = load_schema(generation)
    check = compile_schema(schema)
    assert check is not None
    exact = jsonschema.Draft202012Validator(schema)
    verdicts = [(check(doc), exact.is_valid(doc)) for doc in CASES]
    assert [(quick, valid) for quick, valid in verdicts if quick is True and not valid] == []
    assert [(quick, valid) for quick, valid in verdicts if quick is False and valid] == []
    assert sum(valid for _, valid in verdicts) > 20  # the corpus holds valid documents for every generation
    assert sum(quick is None for quick, _ in verdicts) < len(verdicts) / 50


@pytest.mark.parametrize(
    ("schema", "value", "verdict"),
    [
        ({"type": "integer"}, 3.0, True),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, False, False),
        ({"enum": [1]}, True, False),
        ({"enum": [1]}, 1.0, True),
        ({"const": [1]}, [1], None),
        ({"const": "a"}, ["a"], False),
        ({"not": {"const": [1]}}, [1], None),
        ({"oneOf": [True, True]}, 1, False),
        ({"if": {"const": 1}, "then": False}, 1, False),
        ({"if": {"const": 1}, "else": False}, 2, False),
        ({"$ref": "#/$defs/n", "$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}}, [[[]]], True),
        ({"additionalProperties": False, "properties": {"a": True}}, {"a": 1, "b": 2}, False),
        ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"A": 1}, False),
        ({"minimum": 1}, "0", True),
    ],
)
def test_keywords_follow_jsonschema(schema: dict[str, Any], value: Any, verdict: bool | None) -> None:
    check = compile_schema(schema)
    assert check is not None
    assert check(value) is verdict
    if verdict is not None:
        assert jsonschema.Draft202012Validator(schema).is_valid(value) is verdict


@pytest.mark.parametrize(
    "schema",
    [
        {"patternProperties": {"a": True}, "additionalProperties": False},
        {"unevaluatedProperties": False},
        {"format": "uri"},
        {"$ref": "other.json"},
        {"prefixItems": [True], "items": False},
    ],
)
def test_a_schema_with_an_unknown_keyword_gets_no_quick_check(schema: dict[str, Any]) -> None:
    assert compile_schema(schema) is None
