"""Golden error messages: every broken config in tests/invalid/ next to the exact text a user sees."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INVALID = REPO / "tests" / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))
REGENERATE = "PLANOAI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_invalid.py"
Cli = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_config_gives_the_golden_message(case: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = cli("validate", str(case.relative_to(REPO)))
    golden = case.with_suffix(".err")
    if os.environ.get("PLANOAI_UPDATE_GOLDEN"):
        golden.write_text(err, encoding="utf-8")
    assert code == 3, err
    assert out == ""
    assert golden.exists(), f"missing {golden.name}; regenerate with: {REGENERATE}"
    assert err == golden.read_text(encoding="utf-8"), f"message changed; if intended, regenerate with: {REGENERATE}"


def _codes_in(paths: list[Path], pattern: str) -> set[str]:
    found: set[str] = set()
    for path in paths:
        found.update(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


# Codes `planoai validate` cannot reach, each with the reason; listed so the coverage test stays strict for the rest.


def test_every_error_code_has_a_golden_case() -> None:
    """Each code the stages can emit (errors, warnings and notices) is shown by at least one golden file.

    Refusals live in tests/invalid/*.err; notices and warnings of valid legacy files in tests/notices/expected/.
    """
    sources = sorted((REPO / "planoai_cli").rglob("*.py"))
    emitted = _codes_in(sources, r'"((?:check|schema|yaml|version|migrate)\.[a-z0-9-]+)"')
    goldens = sorted([*INVALID.glob("*.err"), *(REPO / "tests" / "notices" / "expected").glob("*.out")])
    covered = _codes_in(goldens, r"\[((?:check|schema|yaml|version|migrate)\.[a-z0-9-]+)\]")
    missing = sorted(emitted - covered)
    assert not missing, f"no golden case in tests/invalid/ or tests/notices/ for: {missing}"
