"""Property-based: whatever the input, validation either succeeds or raises our own error type."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planoai_cli.errors import PlanoError
from planoai_cli.pipeline import raw_from_text, validate_raw

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").rglob("*.yaml"))
KEYS = [
    "version",
    "listener",
    "listeners",
    "llm_providers",
    "model_providers",
    "name",
    "model",
    "type",
    "port",
    "address",
    "timeout",
    "default",
    "base_url",
    "endpoint",
    "provider",
    "provider_interface",
    "access_key",
    "routing_preferences",
    "models",
    "description",
    "agents",
    "filters",
    "id",
    "url",
    "input_filters",
    "filter_chain",
    "ingress_traffic",
    "egress_traffic",
    "endpoints",
    "tracing",
    "random_sampling",
    "routing",
    "model_aliases",
    "target",
    "prompt_targets",
    "ratelimits",
    "overrides",
    "usage",
    "protocol",
    "mode",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(allow_nan=False, width=32),
    st.sampled_from(
        [
            "v0.4.0",
            "v0.1",
            "0.1-beta",
            "openai/gpt-4o",
            "model",
            "agent",
            "prompt",
            "http://localhost:1",
            "$KEY",
            "*",
            "openai/*",
            "300s",
            "claude",
            "arch",
        ]
    ),
    st.text(max_size=12),
)
KEY = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8))
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=5)),
    max_leaves=30,
)
pytestmark = pytest.mark.slow
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _validate_text(text: str) -> None:
    with contextlib.suppress(PlanoError):
        validate_raw(raw_from_text(Path("fuzz.yaml"), text))


@SETTINGS
@given(st.dictionaries(KEY, DOCUMENTS, max_size=8))
def test_random_documents_only_raise_our_errors(document: dict[str, Any]) -> None:
    _validate_text(yaml.safe_dump(document))


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_only_raises_our_errors(text: str) -> None:
    _validate_text(text)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _mutate(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    mutated = copy.deepcopy(document)
    if not path:
        return value if action == "replace" else mutated
    parent = mutated
    for seg in path[:-1]:
        parent = parent[seg]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    elif action == "add-key" and isinstance(parent[last], dict):
        parent[last][str(value)] = value
    return mutated


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_examples_only_raise_our_errors(example: Path, data: st.DataObject) -> None:
    document = yaml.safe_load(example.read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(_paths(document)))
    action = data.draw(st.sampled_from(["delete", "replace", "duplicate", "add-key"]))
    mutated = _mutate(document, path, action, data.draw(DOCUMENTS))
    _validate_text(yaml.safe_dump(mutated))


SKELETON: dict[str, Any] = {
    "version": "v0.4.0",
    "listeners": [{"name": "llm", "type": "model", "port": 12000}],
    "model_providers": [{"model": "openai/gpt-4o", "access_key": "$OPENAI_API_KEY", "default": True}],
}
SECTION_VALUES = st.one_of(DOCUMENTS, st.lists(st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=6), max_size=3))


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), SECTION_VALUES, max_size=4))
def test_valid_skeletons_with_random_sections_only_raise_our_errors(sections: dict[str, Any]) -> None:
    # Starting from a valid file keeps many examples past the schema, into migration, the model and the checks.
    _validate_text(yaml.safe_dump({**SKELETON, **sections}))
