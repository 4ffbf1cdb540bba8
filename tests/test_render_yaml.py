"""The render package's own YAML writer: plain when unambiguous, quoted otherwise, and always read back exactly."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planoai_cli.render.yamltext import dump, is_plain, quoted, scalar


@pytest.mark.parametrize(
    "text",
    [
        "openai",
        "gpt-4o",
        "api.openai.com",
        "/v1/chat",
        "300s",
        "0.5s",
        "0.0.0.0",
        "http://host.docker.internal:11434/v1",
        "x-team",
        "ollama_gpu-box.lan_11434",
        "a:b",
        "user@host",
        "_private",
    ],
)
def test_unambiguous_strings_are_plain(text: str) -> None:
    assert is_plain(text)
    assert scalar(text) == text


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("yes", '"yes"'),
        ("No", '"No"'),
        ("on", '"on"'),
        ("null", '"null"'),
        ("true", '"true"'),
        ("~", '"~"'),
        ("", '""'),
        ("1.0", '"1.0"'),
        ("12", '"12"'),
        ("0x1F", '"0x1F"'),
        ("12:30", '"12:30"'),
        ("1e5", '"1e5"'),
        ("-x", '"-x"'),
        ("@x", '"@x"'),
        ("*", '"*"'),
        ("openai/*", '"openai/*"'),
        ("key:", '"key:"'),
        ("$OPENAI_API_KEY", '"$OPENAI_API_KEY"'),
        ("Bearer ${T}", '"Bearer ${T}"'),
        ("a #b", '"a #b"'),
        ('say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'),
        ("line\nnext\ttab", '"line\\nnext\\ttab"'),
        ("ünïcödé ✓", '"ünïcödé ✓"'),
        ("\x07\x85\u2028", '"\\u0007\\u0085\\u2028"'),
    ],
)
def test_ambiguous_strings_are_double_quoted(text: str, written: str) -> None:
    assert scalar(text) == written
    assert yaml.safe_load(f"k: {written}") == {"k": text}


def test_other_scalars() -> None:
    assert [scalar(v) for v in (True, False, None, 0, 12000, 0.5, 20.0)] == [
        "true",
        "false",
        "null",
        "0",
        "12000",
        "0.5",
        "20.0",
    ]


def test_a_document_is_block_style_in_the_given_order() -> None:
    doc = {
        "version": "v0.4.0",
        "listeners": [{"name": "llm", "agents": [{"id": "a", "input_filters": ["f"]}]}],
        "empty_list": [],
        "empty_map": {},
        "nested": [["x", "y"], []],
        "map": {"b": 1, "a": {"c": None}},
    }
    assert dump(doc) == (
        "version: v0.4.0\n"
        "listeners:\n"
        "  - name: llm\n"
        "    agents:\n"
        "      - id: a\n"
        "        input_filters:\n"
        "          - f\n"
        "empty_list: []\n"
        "empty_map: {}\n"
        "nested:\n"
        "  - - x\n"
        '    - "y"\n'
        "  - []\n"
        "map:\n"
        "  b: 1\n"
        "  a:\n"
        "    c: null\n"
    )
    assert yaml.safe_load(dump(doc)) == doc


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_reads_back_unchanged(text: str) -> None:
    # Surrogates cannot be encoded at all; everything else must survive a YAML reader.
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return
    assert yaml.safe_load(f"k: {scalar(text)}\n") == {"k": text}
    assert quoted(text).startswith('"')


SCALARS = st.one_of(
    st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False)
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=25,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), TREES, max_size=5))
def test_any_document_reads_back_unchanged(doc: dict[str, Any]) -> None:
    text = repr(doc)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return
    assert yaml.safe_load(dump(doc)) == (doc or None)
