"""The CLI end to end: exit codes, output channels, validate/migrate behaviour, the error handler."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli import __version__, pipeline

REPO = Path(__file__).resolve().parent.parent
Cli = Callable[..., tuple[int, str, str]]
Project = Callable[[dict[str, str]], Path]

CANONICAL = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    port: 12000
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
"""
LEGACY = """\
version: v0.1
listeners:
  egress_traffic:
    address: 0.0.0.0
    port: 12000
    message_format: openai
    timeout: 30s
llm_providers:
  - name: gpt-4o
    provider_interface: openai
    model: gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
"""
BROKEN = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    prot: 12000
model_providers:
  - model: openai/gpt-4o
    defualt: true
"""


def test_version_needs_no_network(cli: Cli) -> None:
    code, out, err = cli("--version")
    assert code == 0
    assert out.splitlines()[0] == f"planoai-cli {__version__}"
    assert "v0.4.0" in out
    assert err == ""


def test_help_lists_the_commands(cli: Cli) -> None:
    code, out, _ = cli("--help")
    assert code == 0
    assert "validate" in out
    assert "migrate" in out


def test_valid_canonical_config(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": CANONICAL})
    code, out, err = cli("validate", "--path", str(root))
    assert code == 0, err
    assert out == f"{root / 'config.yaml'}: valid (canonical v0.4.0)\n"
    assert err == ""


def test_legacy_config_is_valid_with_notices(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LEGACY})
    code, out, err = cli("validate", str(root / "config.yaml"))
    assert code == 0, err
    assert "notice:" in err
    assert out.startswith(f"{root / 'config.yaml'}: valid (G2 (0.2.2–0.3.15, `listeners` mapping); ")


def test_broken_config_lists_every_problem_in_order(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": BROKEN})
    code, out, err = cli("validate", str(root / "config.yaml"))
    assert code == 3
    assert out == ""
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0].rsplit(":", 2)[-2:] for line in lines] == [["5", "5"], ["8", "5"]]
    assert "did you mean 'port'?" in err
    assert "did you mean 'default'?" in err
    assert err.rstrip().endswith("hint: fix the problems listed above and run again")


def test_json_output_for_invalid_config(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": BROKEN})
    code, out, err = cli("validate", "--format", "json", str(root / "config.yaml"))
    assert code == 3
    assert err == ""
    payload = json.loads(out)
    assert payload["valid"] is False
    assert [(e["path"], e["line"], e["column"]) for e in payload["errors"]] == [
        ("listeners[0].prot", 5, 5), ("model_providers[0].defualt", 8, 5)]
    assert set(payload["errors"][0]) == {"code", "path", "line", "column", "message", "hint"}


def test_json_output_for_valid_legacy_config(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LEGACY})
    code, out, _ = cli("validate", "--format", "json", str(root / "config.yaml"))
    assert code == 0
    payload = json.loads(out)
    assert payload["valid"] is True
    assert payload["version"] == "v0.1.0"
    assert payload["errors"] == []
    assert {w["severity"] for w in payload["warnings"]} <= {"notice", "warning"}
    assert any(w["path"].startswith("listeners") for w in payload["warnings"])


def test_missing_explicit_file(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("validate", str(tmp_path / "nope.yaml"))
    assert code == 3
    assert "does not exist" in err


def test_usage_error_exit_code(cli: Cli) -> None:
    code, _, err = cli("validate", "--format", "xml")
    assert code == 2
    assert "xml" in err


def test_migrate_prints_canonical_yaml(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LEGACY})
    code, out, err = cli("migrate", str(root / "config.yaml"))
    assert code == 0, err
    assert out.startswith("version: v0.4.0\nlisteners:\n")
    assert "llm_providers" not in out
    assert "model: openai/gpt-4o" in out
    assert (root / "config.yaml").read_text() == LEGACY


def test_migrate_write_keeps_a_backup_and_is_then_canonical(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LEGACY})
    code, _, err = cli("migrate", "--write", str(root / "config.yaml"))
    assert code == 0, err
    assert (root / "config.yaml.bak").read_text() == LEGACY
    code, _, err = cli("validate", "--format", "json", str(root / "config.yaml"))
    assert code == 0
    code, out, err = cli("migrate", "--diff", str(root / "config.yaml"))
    assert code == 0
    assert out == ""
    assert "already in the canonical form" in err


def test_migrate_diff(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LEGACY})
    code, out, _ = cli("migrate", "--diff", str(root / "config.yaml"))
    assert code == 0
    assert out.startswith("--- config.yaml (current)\n+++ config.yaml (v0.4.0)\n")
    assert "-version: v0.1\n" in out


def test_migrate_refuses_invalid_config(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": BROKEN})
    code, out, _ = cli("migrate", "--write", str(root / "config.yaml"))
    assert code == 3
    assert out == ""
    assert not (root / "config.yaml.bak").exists()


def _explode(*_args: object) -> pipeline.Validated:
    raise RuntimeError("boom")


def test_unexpected_errors_are_reported_without_traceback(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "validate_file", _explode)
    code, _, err = cli("validate")
    assert code == 70
    assert "unexpected error (a bug in planoai-cli): RuntimeError: boom" in err
    assert "Traceback" not in err
    assert "--debug" in err


def test_debug_shows_the_traceback(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "validate_file", _explode)
    code, _, err = cli("--debug", "validate")
    assert code == 70
    assert "Traceback" in err


def _interrupt(*_args: object) -> pipeline.Validated:
    raise KeyboardInterrupt


def test_interrupt_exit_code(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "validate_file", _interrupt)
    code, _, err = cli("validate")
    assert code == 130
    assert "interrupted" in err


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "planoai_cli", "--version"], capture_output=True, text=True,
                            timeout=60, check=False, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("planoai-cli ")
