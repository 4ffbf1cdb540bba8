"""Loading: located YAML errors, empty and non-mapping files, duplicate keys, discovery."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli import loader
from planoai_cli.errors import ConfigError, ExitCode, InvalidConfig, PlanoError
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
    with pytest.raises(ConfigError, match=r"c\.yaml:1:4: the anchor here contains an alias to itself"):
        parse("a: &x [*x]\n", "c.yaml")


def test_multiple_documents_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml:2:1: YAML syntax error: a second YAML document"):
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


def test_nesting_deeper_than_any_config_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml:1:\d+: the YAML is nested more than 64 levels deep"):
        parse("a: " + "[" * 80 + "]" * 80 + "\n", "c.yaml")


def test_aliases_that_expand_without_end_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_MAX_VALUES", 50)
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    with pytest.raises(ConfigError, match=r"c\.yaml:1:\d+: the YAML expands to more than 50 values") as caught:
        parse(laughs, "c.yaml")
    assert caught.value.exit_code is ExitCode.INVALID_CONFIG


def test_the_default_expansion_budget_stops_a_billion_laughs_quickly() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(ConfigError, match="expands to more than 500,000 values"):
        parse("\n".join(levels) + "\n", "c.yaml")


@pytest.mark.parametrize(
    ("text", "where", "meaning"),
    [
        ("a:\n  - b: 1\n   c: 2\n", "3:4", "the indentation of this line does not fit the lines above it"),
        ("a:\n\t- b\n", "2:1", "a tab character; YAML indents with spaces only"),
        ("a: http://x: y\n", "1:12", "an unexpected `: ` (a colon and a space) inside a value"),
        ("a: 'open\nb: 1\n", "1:4", "a quoted value that is not closed"),
        ("a: [x, y\n", "2:1", "a `[ … ]` or `{ … }` that is not closed, or items without a comma between them"),
        ("a: *nope\n", "1:4", "an alias (`*name`) that refers to no anchor (`&name`) defined before it"),
        ("model: *\n", "1:9", "`*` starts an alias name here"),
        ("a: %x\n", "1:4", "a value cannot start with this character"),
    ],
)
def test_syntax_errors_are_explained_in_plain_words(text: str, where: str, meaning: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text, "c.yaml")
    assert caught.value.message == f"c.yaml:{where}: YAML syntax error: {meaning}"


def test_control_characters_are_located() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("a: 1\nb: x\x1b[0m\n", "c.yaml")
    assert caught.value.message == (
        "c.yaml:2:5: the file contains the control character U+001B, which YAML does not allow"
    )


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"version: v0.4.0\r\nname: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.message == f"{path}:2:10: not UTF-8 text (byte 0xe9)"


def test_windows_line_ends_keep_positions(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"version: v0.4.0\r\nlisteners:\r\n  - name: a\r\n")
    raw = load(path)
    assert raw.text == "version: v0.4.0\nlisteners:\n  - name: a\n"
    assert raw.data["listeners"].slots[0].line == 3


def test_an_explicit_directory_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a file"):
        discover(tmp_path, tmp_path)


def test_a_readable_special_file_is_read_like_a_config(tmp_path: Path) -> None:
    # /dev/stdin is how a piped config arrives; /dev/null stands in for it here.
    null = Path("/dev/null")
    assert discover(null, tmp_path) == null
    with pytest.raises(ConfigError, match="/dev/null: the file is empty"):
        load(null)


# --- libyaml and PyYAML give the same trees, positions and errors ---------------------------------------------

REPO = Path(__file__).resolve().parent.parent
_CORPUS = sorted(
    p
    for pattern in ("examples/**/*.yaml", "tests/golden/*/config.yaml", "tests/invalid/*.yaml", "tests/notices/*.yaml")
    for p in REPO.glob(pattern)
)
_PIECES = [
    *" \t\n\n:-#&*!|>'\"{}[],?%@`\\é中.\ufeff\r\x07\x85\u2028",
    "  ",
    "- ",
    ": ",
    "---",
    "...",
    "&a ",
    "*a",
    "!!str ",
    "? ",
    "<<: ",
    "\n  - ",
    "|-\n",
    ">+\n",
    "''",
    "|#",
]


def _outcome(text: str) -> object:
    """Everything parse() gives: the tree with every position, or the error it raises."""
    try:
        return _shape(parse(text, "c.yaml"))
    except PlanoError as e:
        return (type(e).__name__, e.message, e.hint, list(getattr(e, "diagnostics", ())))
    except ValueError as e:  # PyYAML's own, e.g. an impossible date: a bug report either way, but the same one
        return (type(e).__name__, str(e))


def _shape(node: object) -> object:
    if isinstance(node, dict):
        slots = {key: (slot.key, slot.value, slot.name) for key, slot in getattr(node, "slots", {}).items()}
        return ("map", getattr(node, "mark", None), [(k, _shape(v)) for k, v in node.items()], slots)
    if isinstance(node, list):
        return ("list", getattr(node, "mark", None), [_shape(v) for v in node], list(getattr(node, "slots", [])))
    return (type(node).__name__, node)


def _mutations(count: int) -> list[str]:
    rng = random.Random(10)
    texts = []
    for _ in range(count):
        chars = list(rng.choice(_CORPUS).read_text(encoding="utf-8", errors="replace"))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars) + 1)
            if rng.random() < 0.5:
                chars[at:at] = rng.choice(_PIECES)
            elif chars:
                del chars[min(at, len(chars) - 1) : at + rng.randint(1, 3)]
        texts.append("".join(chars))
    return texts


@pytest.mark.parametrize(
    "text",
    [p.read_text(encoding="utf-8", errors="replace") for p in _CORPUS] + _mutations(400),
    ids=[str(p.relative_to(REPO)) for p in _CORPUS] + [f"mutation-{i}" for i in range(400)],
)
def test_libyaml_and_pyyaml_agree_on_every_tree_position_and_error(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _outcome(text)
    monkeypatch.setattr(loader, "_FAST_LOADER", None)
    assert fast == _outcome(text)
