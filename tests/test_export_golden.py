"""Golden files for `planoai export`: every example and init template, for every target, byte for byte.

tests/export_golden/<case>/ holds compose.yaml, stack.yaml, kubernetes.yaml (plano.yaml with the ConfigMap's files
replaced by their digests: those files are the render's output, which tests/golden/ already pins), the Secret template
when the config needs keys, and the Helm chart's Chart.yaml and values.yaml.

supervisord/'s three files are replaced by fixed stand-ins here, so a change to them (their own tests cover them)
does not touch these files; test_export.py checks that an export carries the real ones.
"""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from planoai_cli.export import Exported, deployment
from tests.exportfix import CASES, REPO, export_case

GOLDEN = REPO / "tests" / "export_golden"
UPDATE = os.environ.get("PLANOAI_UPDATE_GOLDEN") == "1"
REGENERATE = "PLANOAI_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_export_golden.py"


@pytest.fixture(autouse=True)
def _fixed_supervisord(monkeypatch: pytest.MonkeyPatch) -> None:
    real = deployment.supervisor_files

    def stand_ins() -> dict[str, str]:
        files = real()
        return {
            name: f"# {name}: a stand-in for the golden files\n" if name in deployment.SUPERVISOR_FILES else text
            for name, text in files.items()
        }

    monkeypatch.setattr(deployment, "supervisor_files", stand_ins)


def elided(manifests: str) -> str:
    """The ConfigMap's `data:` block replaced by one line per file: name and sha256 of its text."""
    head, data = manifests.split("\ndata:\n", 1)
    body, rest = data.split("\n---\n", 1)
    files = re.findall(r"^  (\S+): [|>]", body, re.M)
    assert files, "the ConfigMap has no files"
    from yaml import safe_load

    values = safe_load("data:\n" + body)["data"]
    lines = "".join(f"  {name}: sha256:{hashlib.sha256(values[name].encode()).hexdigest()}\n" for name in files)
    return f"{head}\ndata:\n{lines}---\n{rest}"


def golden_files(case: str) -> dict[str, str]:
    compose = export_case(case, "compose")
    swarm = export_case(case, "swarm")
    kubernetes = export_case(case, "kubernetes")
    helm = export_case(case, "kubernetes", helm=True)
    out = {
        "compose.yaml": compose.files["compose.yaml"],
        "stack.yaml": swarm.files["stack.yaml"],
        "kubernetes.yaml": elided(kubernetes.files["plano.yaml"]),
    }
    if "secret.template.yaml" in kubernetes.files:
        out["secret.template.yaml"] = kubernetes.files["secret.template.yaml"]
    out |= {"Chart.yaml": helm.files["Chart.yaml"], "values.yaml": helm.files["values.yaml"]}
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_export_matches_the_golden_files(case: str) -> None:
    folder = GOLDEN / case
    actual = golden_files(case)
    if UPDATE:  # a plain test run never writes into the tree
        folder.mkdir(parents=True, exist_ok=True)
        for stale in {p.name for p in folder.iterdir()} - set(actual):
            (folder / stale).unlink()
        for name, text in actual.items():
            (folder / name).write_text(text, encoding="utf-8")
    assert folder.is_dir(), f"{case} has no golden files yet; regenerate: {REGENERATE}"
    present = sorted(p.name for p in folder.iterdir())
    assert present == sorted(actual), f"{case}: files {present}, expected {sorted(actual)}; regenerate: {REGENERATE}"
    for name, text in actual.items():
        assert text == (folder / name).read_text(encoding="utf-8"), f"{case}/{name} differs; regenerate: {REGENERATE}"


def test_every_golden_folder_is_a_case() -> None:
    found = sorted(p.name for p in GOLDEN.iterdir())
    assert found == sorted(CASES), f"stray or missing cases; regenerate: {REGENERATE}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_config_gives_the_same_bytes(case: str) -> None:
    for target, helm in (("compose", False), ("swarm", False), ("kubernetes", False), ("kubernetes", True)):
        first: Exported = export_case(case, target, helm=helm)  # type: ignore[arg-type]
        second: Exported = export_case(case, target, helm=helm)  # type: ignore[arg-type]
        assert dict(first.files) == dict(second.files)
