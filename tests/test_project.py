"""Project-level guarantees: layering, fast start, the wheel's data folders, CI = README, lint and types."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "planoai_cli"
# Which of our modules may import which third-party library (house style: one owner each).
OWNERS = {
    "click": {"cli"},
    "rich": {"console"},
    "docker": {"runtime"},
    "httpx": {"health"},
    "jinja2": {"render"},
    "jsonschema": {"schema"},
    "yaml": {"loader", "console.upgrade", "export"},
    "grpc": {"trace"},
    "google": {"trace"},
    "opentelemetry": {"trace"},
    "sqlite3": {"trace"},
}
HEAVY = ("docker", "httpx", "jinja2")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0]


def _owned_by(path: Path, owners: set[str]) -> bool:
    """Whether the module at `path` is one of `owners` or inside one (an owner may be a package or a module in it)."""
    dotted = ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
    return any(dotted == owner or dotted.startswith(owner + ".") for owner in owners)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_each_library_has_one_owner(path: Path) -> None:
    for library, owners in OWNERS.items():
        if library in _imports(path):
            assert _owned_by(path, owners), f"{path.name} imports {library}; only {sorted(owners)} may"


def test_nothing_imports_a_private_name_of_the_console() -> None:
    # console/__init__.py shares rich_console, the writers and a few helpers with the console's own modules and the
    # CLI under public names; a private one imported elsewhere would be a seam nobody promised to keep.
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "planoai_cli.console":
                offenders += [f"{path.relative_to(REPO)}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert not offenders, offenders


def _client_uses(tree: ast.AST) -> list[int]:
    """Lines that reach an attribute named client or _client (an engine's docker-py client); http.client is a module."""
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("client", "_client")
        and not (isinstance(node.value, ast.Name) and node.value.id == "http")
    )


def test_only_the_runtime_reaches_docker() -> None:
    # runtime/ is the one seam to Docker: elsewhere neither docker-py nor an Engine's client, only handles and values.
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if _module_name(path) == "runtime":
            continue
        if "docker" in _imports(path):
            offenders.append(f"{path.relative_to(REPO)} imports docker")
        offenders.extend(
            f"{path.relative_to(REPO)}:{line} reaches a client"
            for line in _client_uses(ast.parse(path.read_text(encoding="utf-8")))
        )
    assert not offenders, "only runtime/ may touch docker-py; ask the Engine instead:\n" + "\n".join(offenders)


def test_nothing_imports_the_cli_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        if _module_name(path) not in ("cli", "__main__"):
            assert "planoai_cli.cli" not in path.read_text(encoding="utf-8"), path


def _imported_modules(*args: str, cwd: Path = REPO) -> set[str]:
    # Without coverage's variables: under `pytest --cov` the child would otherwise count coverage's own imports.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "planoai_cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        env={**env, "NO_COLOR": "1"},
    )
    modules = set()
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", line)
        if match:
            modules.add(match.group(1).split(".")[0])
    assert modules, result.stderr[-2000:]
    return modules


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("validate", "examples/listeners/model.yaml"),
        ("validate", "--format", "json", "examples/generations/g1a-singular-listener.yaml"),
    ],
)
def test_fast_commands_do_not_import_heavy_libraries(args: tuple[str, ...]) -> None:
    loaded = _imported_modules(*args)
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))
    assert "planoai_cli" in loaded


def test_help_does_not_even_load_the_pipeline() -> None:
    loaded = _imported_modules("--help")
    assert loaded.isdisjoint({"yaml", "jsonschema", "rich", "grpc", "google", "sqlite3", "_sqlite3"})


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- test-command -->\s*```sh\n(.+?)\n```", readme, re.S)
    assert match, "README must mark its test command with <!-- test-command -->"
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci_lines[-1] == match.group(1).strip()


def test_wheel_ships_and_finds_the_data_folders(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = wheels.glob("planoai_cli-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "planoai_cli/_data/config_schema/v0.4.0.schema.json" in names
    assert "planoai_cli/obs/pricing_snapshot.json" in names  # obs's offline prices: package data, not code
    assert "planoai_cli/export/chart/templates/_helpers.tpl" in names  # export --helm copies the chart's templates
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    probe = "from planoai_cli.resources import data_dir; print(data_dir('config_schema'))"
    found = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert found == str(target / "planoai_cli" / "_data" / "config_schema")


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout


def test_ruff_format_owns_the_layout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + "\nrun: .venv/bin/ruff format ."


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout


def test_readme_exit_code_table_lists_exactly_the_exit_codes() -> None:
    from planoai_cli.errors import ExitCode

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = [int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)]
    assert listed == sorted(int(code) for code in ExitCode)
