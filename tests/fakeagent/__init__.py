"""The stand-in agents (`claude`, `codex`) and a fixture that puts them first on PATH and reads what they saw."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FOLDER = Path(__file__).resolve().parent
# What the stand-in's own start adds to the environment it records: /bin/sh exports PWD, and Python's C-locale
# coercion sets LC_CTYPE. planoai adds neither, so comparisons leave them out.
ADDED_BY_THE_STANDIN = frozenset({"PWD", "LC_CTYPE"})
# Variables a developer's shell may hold that change what cli-agent does; every test starts without them.
AGENT_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "API_TIMEOUT_MS",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "NO_PROXY",
    "no_proxy",
    "XDG_CONFIG_HOME",
    "PLANO_IMAGE",
)


@dataclass
class FakeAgent:
    """Where the stand-in writes its record, and how to read it back."""

    record_file: Path

    def exits_with(self, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FAKEAGENT_EXIT", str(code))

    def calls_the_gateway(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FAKEAGENT_REQUEST", "1")

    @property
    def ran(self) -> bool:
        return self.record_file.exists()

    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.record_file.read_text(encoding="utf-8"))
        return data

    def env_changes(self, before: dict[str, str]) -> dict[str, str | None]:
        """What differs between `before` and the agent's environment: new values, and None for removed names."""
        seen = {k: v for k, v in self.record()["env"].items() if k not in ADDED_BY_THE_STANDIN}
        changed: dict[str, str | None] = {k: v for k, v in seen.items() if before.get(k) != v}
        changed.update({k: None for k in before if k not in seen and k not in ADDED_BY_THE_STANDIN})
        return changed


def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeAgent:
    """Put the stand-ins first on PATH, clear the agent variables of the developer's shell, and name the record."""
    for name in AGENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", f"{FOLDER}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    monkeypatch.setenv("FAKEAGENT_PYTHON", sys.executable)
    record = tmp_path / "agent-record.json"
    monkeypatch.setenv("FAKEAGENT_RECORD", str(record))
    return FakeAgent(record)
