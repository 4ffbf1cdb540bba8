"""Golden files: every case renders byte for byte to its expected files, and Envoy accepts its validation copy.

A case is a folder under tests/golden/ with `config.yaml` (the input) and the expected `envoy.yaml`,
`plano_config_rendered.yaml` and `metadata.json` (ports, variables, paths and notices). Cases named
`example-<name>` hold a copy of examples/**/<name>.yaml, so every example is covered.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from planoai_cli.pipeline import validate_file
from planoai_cli.render import Rendered, check_with_envoy, render

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
EXAMPLES = {f"example-{path.stem}": path for path in sorted((REPO / "examples").rglob("*.yaml"))}
FILES = ("config.yaml", "envoy.yaml", "plano_config_rendered.yaml", "metadata.json")
UPDATE = os.environ.get("PLANOAI_UPDATE_GOLDEN") == "1"
REGENERATE = "PLANOAI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py"
CASES = sorted({p.name for p in GOLDEN.iterdir() if p.is_dir()} | set(EXAMPLES))


def metadata(rendered: Rendered) -> str:
    """Everything a render says besides the two files, as stable JSON."""
    data = {
        "listener_ports": [vars(p) for p in rendered.listener_ports],
        "admin_port": rendered.admin_port,
        "env_vars": {name: list(names) for name, names in rendered.env_vars.items()},
        "wasm_paths": list(rendered.wasm_paths),
        "log_paths": list(rendered.log_paths),
        "notices": [d.as_json() for d in rendered.notices],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def case_folder(case: str) -> Path:
    folder = GOLDEN / case
    if not UPDATE and not (folder / "config.yaml").is_file():
        pytest.fail(f"{case} has no golden files yet; regenerate: {REGENERATE}")
    return folder


def expected_files(case: str) -> dict[str, str]:
    folder = GOLDEN / case
    config = EXAMPLES[case].read_text(encoding="utf-8") if case in EXAMPLES else None
    if config is not None and UPDATE:  # a plain test run never writes into the tree
        folder.mkdir(exist_ok=True)
        (folder / "config.yaml").write_text(config, encoding="utf-8")
    rendered = render(validate_file(folder / "config.yaml", folder).config)
    return {
        "config.yaml": (folder / "config.yaml").read_text(encoding="utf-8"),
        "envoy.yaml": rendered.envoy_yaml,
        "plano_config_rendered.yaml": rendered.plano_config,
        "metadata.json": metadata(rendered),
    }


@pytest.mark.parametrize("case", CASES)
def test_render_matches_the_golden_files(case: str) -> None:
    folder = case_folder(case)
    actual = expected_files(case)
    if UPDATE:
        for name in {p.name for p in folder.iterdir()} - set(FILES):
            (folder / name).unlink()
        for name, text in actual.items():
            (folder / name).write_text(text, encoding="utf-8")
    present = sorted(p.name for p in folder.iterdir())
    assert present == sorted(FILES), f"{case}: files {present}, expected {sorted(FILES)}; regenerate: {REGENERATE}"
    if case in EXAMPLES:
        assert actual["config.yaml"] == EXAMPLES[case].read_text(encoding="utf-8"), (
            f"{case}/config.yaml differs from {EXAMPLES[case].relative_to(REPO)}; regenerate: {REGENERATE}"
        )
    for name in FILES[1:]:
        golden = (folder / name).read_text(encoding="utf-8")
        assert actual[name] == golden, f"{case}/{name} differs from the render; regenerate: {REGENERATE}"


def test_every_example_has_its_own_case_name() -> None:
    # Cases are named by file stem: two examples with one stem would silently share (and lose) a case.
    assert len(EXAMPLES) == len(list((REPO / "examples").rglob("*.yaml"))), "two examples share a file name"


def test_every_golden_folder_is_a_case_with_an_input() -> None:
    for folder in GOLDEN.iterdir():
        assert folder.is_dir(), f"stray file {folder.name} in tests/golden"
        assert (folder / "config.yaml").is_file(), f"{folder.name} has no config.yaml; regenerate: {REGENERATE}"
    assert set(EXAMPLES) <= {p.name for p in GOLDEN.iterdir()}, f"examples without a golden case: {REGENERATE}"


@pytest.mark.parametrize("case", CASES)
def test_envoy_accepts_the_validation_copy(case: str) -> None:
    folder = case_folder(case)
    config = validate_file(folder / "config.yaml", folder).config
    verdict = check_with_envoy(config)
    assert (verdict.check.ok, verdict.check.output) == (True, "configuration 'envoy.yaml' OK")
