"""The pipeline's whole order: a Target, a path and raw text prepare to the same validated, rendered, hashed config."""

from __future__ import annotations

from pathlib import Path

from planoai_cli.gateway.options import Target
from planoai_cli.pipeline import prepare, raw_from_text, render_validated, validate
from planoai_cli.project import content_hash
from tests.configs import GATEWAY

CONFIG = GATEWAY.format(port=12000, mock_port=8000)


def test_every_source_prepares_to_the_same_hash(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    by_target = prepare(Target(None, tmp_path))
    by_path = prepare(path)
    by_text = prepare(raw_from_text(path, CONFIG))
    assert by_target.validated.raw.path == by_path.validated.raw.path == path
    assert by_target.config_hash == by_path.config_hash == by_text.config_hash
    rendered = by_path.rendered
    assert by_path.config_hash == content_hash(rendered.envoy_yaml, rendered.plano_config)


def test_a_changed_config_renders_in_place_of_the_validated_one(tmp_path: Path) -> None:
    validated = validate(raw_from_text(tmp_path / "config.yaml", CONFIG))
    same = render_validated(validated, validated.config)
    assert same.config_hash == render_validated(validated).config_hash
    assert same.validated is validated
