"""Loading: located YAML errors, empty and non-mapping files, duplicate keys, discovery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli.errors import ConfigError, ExitCode, InvalidConfig
from planoai_cli.loader import discover, load, parse


def test_syntax_error_is_located() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("version: v0.4.0\nlisteners:\n  - name: a\n   type: model\n", "c.yaml")
    assert caught.value.message.startswith("c.yaml:4:")
    assert "YAML syntax error" in caught.value.message
    assert caught.value.exit_code is ExitCode.INVALID_CONFIG


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml: the file is empty"):
        parse(text, "c.yaml")


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("hello\n", "a single value (str)")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text, "c.yaml")
    assert caught.value.message == f"c.yaml:1:1: the top level must be a mapping of sections, found {kind}"


def test_duplicate_keys_are_all_reported() -> None:
    with pytest.raises(InvalidConfig) as caught:
        parse("version: a\nversion: b\ntracing: {}\ntracing: {}\n", "c.yaml")
    found = [(d.line, d.code, d.path) for d in caught.value.diagnostics]
    assert found == [(2, "yaml.duplicate-key", "version"), (4, "yaml.duplicate-key", "tracing")]


def test_keys_stay_as_typed_and_anchors_resolve() -> None:
    doc = parse("on: 1\nbase: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", "c.yaml")
    assert doc == {"on": 1, "base": {"x": 1}, "other": {"x": 1, "y": 2}}


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ConfigError, match="recursive"):
        parse("a: &x [*x]\n", "c.yaml")


def test_multiple_documents_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml:2:1: .*another document"):
        parse("a: 1\n---\nb: 2\n", "c.yaml")


def test_missing_explicit_file_never_falls_back(project: Callable[[dict[str, str]], Path]) -> None:
    root = project({"config.yaml": "version: v0.4.0\n"})
    with pytest.raises(ConfigError, match="does not exist"):
        discover(root / "nope.yaml", root)


def test_discovery_order(project: Callable[[dict[str, str]], Path]) -> None:
    root = project({"arch_config.yaml": "a: 1\n", "plano_config.yaml": "a: 1\n"})
    assert discover(None, root).name == "plano_config.yaml"
    (root / "config.yaml").write_text("a: 1\n")
    assert discover(None, root).name == "config.yaml"


def test_discovery_without_any_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no config found"):
        discover(None, tmp_path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"version: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(path)
