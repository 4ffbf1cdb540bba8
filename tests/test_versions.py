"""Version strings: normalization, newer-than-known refusal, non-string and unknown labels."""

from __future__ import annotations

import pytest

from planoai_cli.errors import ConfigError
from planoai_cli.loader import parse
from planoai_cli.versions import parse_version, read_version


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("0.2.0", "v0.2.0"),
        ("v0.2.0", "v0.2.0"),
        ("v0.1", "v0.1.0"),
        ("v0.1.0", "v0.1.0"),
        ("0.1-beta", "v0.1.0"),
        ("V0.4.0", "v0.4.0"),
        (" v0.3.0 ", "v0.3.0"),
    ],
)
def test_normalization(text: str, label: str) -> None:
    assert parse_version(text).label == label


def test_unparsable_versions_have_no_parts() -> None:
    assert parse_version("banana").parts is None
    assert parse_version("1.2.3.4").parts is None


def test_newer_version_is_refused_with_upgrade_hint() -> None:
    doc = parse("version: v0.5.0\n", "c.yaml")
    with pytest.raises(ConfigError) as caught:
        read_version(doc, "c.yaml")
    assert caught.value.message.startswith("c.yaml:1:10: config version v0.5.0 is newer")
    assert caught.value.hint is not None
    assert "upgrade" in caught.value.hint


def test_numeric_version_is_read_as_text_with_a_warning() -> None:
    doc, version, found = read_version(parse("version: 0.1\n", "c.yaml"), "c.yaml")
    assert doc["version"] == "0.1"
    assert version is not None
    assert version.label == "v0.1.0"
    assert [d.code for d in found] == ["version.not-a-string"]


def test_unknown_label_falls_back_to_structure() -> None:
    _, version, found = read_version(parse("version: latest\n", "c.yaml"), "c.yaml")
    assert version is not None
    assert version.parts is None
    assert [(d.code, d.line) for d in found] == [("version.unknown", 1)]


def test_missing_version_is_left_to_the_schema() -> None:
    _, version, found = read_version(parse("listeners: []\n", "c.yaml"), "c.yaml")
    assert version is None
    assert found == []
