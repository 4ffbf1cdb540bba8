"""Key resolution: shell over .env, real dotenv parsing, missing keys named with their users, no values shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from planoai_cli.errors import ExitCode, MissingKeys
from planoai_cli.keys import ENVIRONMENT, mask, read_dotenv, require, resolve
from planoai_cli.loader import parse
from planoai_cli.model import SecretRef, build

CONFIG = """\
version: v0.4.0
listeners:
  - {name: llm, type: model, port: 12000}
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
  - model: anthropic/claude-sonnet-4
    access_key: ${ANTHROPIC_API_KEY}
  - model: groq/llama-3
    access_key: $GROQ_API_KEY
    headers:
      x-team: $TEAM_ID
"""


def _refs() -> tuple[SecretRef, ...]:
    return build(parse(CONFIG, "c.yaml")).secrets


def test_dotenv_is_parsed_properly(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("export A=\"quoted value\"\nB='single' # comment\n# C=commented\nD=plain\nE=\n")
    assert read_dotenv(env) == {"A": "quoted value", "B": "single", "D": "plain", "E": ""}


def test_shell_wins_over_dotenv_and_origins_are_recorded(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("OPENAI_API_KEY=from-dotenv\nANTHROPIC_API_KEY=sk-ant-from-dotenv\n")
    keys = resolve(_refs(), {"OPENAI_API_KEY": "from-shell", "GROQ_API_KEY": "g", "TEAM_ID": "t"}, env)
    assert dict(keys.values) == {
        "OPENAI_API_KEY": "from-shell",
        "ANTHROPIC_API_KEY": "sk-ant-from-dotenv",
        "GROQ_API_KEY": "g",
        "TEAM_ID": "t",
    }
    assert keys.origins["OPENAI_API_KEY"] == ENVIRONMENT
    assert keys.origins["ANTHROPIC_API_KEY"] == str(env)
    assert keys.missing == ()


def test_missing_keys_are_listed_with_their_users_and_no_values(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("GROQ_API_KEY=\n")
    keys = resolve(_refs(), {"OPENAI_API_KEY": "sk-secret-value-123"}, env)
    assert [(m.name, m.empty) for m in keys.missing] == [
        ("ANTHROPIC_API_KEY", False),
        ("GROQ_API_KEY", True),
        ("TEAM_ID", False),
    ]
    with pytest.raises(MissingKeys) as caught:
        require(keys, env)
    message = caught.value.message
    assert "$ANTHROPIC_API_KEY is not set (needed by model provider anthropic/claude-sonnet-4)" in message
    assert "$GROQ_API_KEY is set but empty" in message
    assert "sk-secret-value-123" not in message + (caught.value.hint or "")
    assert caught.value.exit_code is ExitCode.MISSING_KEYS


def test_masking_never_shows_more_than_two_characters() -> None:
    keys = resolve(
        _refs(),
        {"OPENAI_API_KEY": "sk-abcdefghijklmnop", "ANTHROPIC_API_KEY": "short", "GROQ_API_KEY": "x", "TEAM_ID": "y"},
        Path("/nonexistent/.env"),
    )
    assert mask(keys.values["OPENAI_API_KEY"]) == "********op (19 chars)"
    assert mask(keys.values["ANTHROPIC_API_KEY"]) == "*****"
    assert [mask(""), mask("12345678901"), mask("123456789012")] == ["(empty)", "*" * 11, "********12 (12 chars)"]
