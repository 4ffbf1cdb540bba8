"""Golden output for valid configs: every example and every legacy form in tests/notices/ validates, with
exactly the notices (migrated legacy forms) and warnings a user sees."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTICES = REPO / "tests" / "notices"
CASES = sorted([*(REPO / "examples").rglob("*.yaml"), *NOTICES.glob("*.yaml")])
REGENERATE = "PLANOAI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_notices.py"
Cli = Callable[..., tuple[int, str, str]]


def _golden(case: Path) -> Path:
    relative = case.relative_to(REPO).with_suffix(".out")
    return NOTICES / "expected" / "__".join(relative.parts)


@pytest.mark.parametrize("case", CASES, ids=lambda p: str(p.relative_to(REPO)))
def test_valid_config_gives_the_golden_notices(case: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = cli("validate", str(case.relative_to(REPO)))
    golden = _golden(case)
    if os.environ.get("PLANOAI_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(err + out, encoding="utf-8")
    assert code == 0, err
    assert ": valid (" in out
    assert golden.exists(), f"missing {golden.name}; regenerate with: {REGENERATE}"
    assert err + out == golden.read_text(encoding="utf-8"), f"output changed; if intended: {REGENERATE}"


@pytest.mark.parametrize(
    "case", [c for c in CASES if "generations" in c.parts or c.parent == NOTICES], ids=lambda p: p.stem
)
def test_legacy_files_report_what_they_migrated(case: Path) -> None:
    text = _golden(case).read_text(encoding="utf-8")
    if "g4-canonical" not in case.name:
        assert "notice:" in text, "a legacy file must report at least one migrated form"
