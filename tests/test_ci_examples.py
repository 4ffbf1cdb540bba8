"""examples/ci/ for real: smoke.sh and every `run:` step of the GitHub workflow, on the testbed with the mock provider.

The workflow's steps run in order in bash as a runner runs them, with the `env:` layers, `${{ }}` expressions,
`if:` conditions and GITHUB_OUTPUT / GITHUB_ENV simulated; only `uses:` steps are skipped. Its `pip install
planoai-cli` really installs this checkout's wheel into a fresh virtualenv, offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker.client import DockerClient

from tests.configs import GATEWAY
from tests.dockerfix import MockProvider, free_port

REPO = Path(__file__).resolve().parent.parent
CI = REPO / "examples" / "ci"
KEY = "sk-ci-example-0123456789abcdef"
PROJECT_LABEL = "org.planoai.project"
CONFIG = GATEWAY
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def containers_of(client: DockerClient, project: str) -> list[Any]:
    return list(client.containers.list(all=True, filters={"label": [f"{PROJECT_LABEL}={project}"]}))


def path_without_planoai() -> str:
    """PATH minus any folder holding a planoai command, so only the one a script installs can be found."""
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "planoai").exists())


@pytest.fixture
def gateway_names(docker_client: DockerClient, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"ci-{request.node.name.lower().replace('_', '-')[:30]}-{os.getpid()}"
    yield name
    for container in containers_of(docker_client, name):
        container.remove(force=True)


def run_smoke(tmp_path: Path, project: str, provider_port: int, **extra: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(port=free_port(), mock_port=provider_port), encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{path_without_planoai()}",
        "PLANOAI_CONFIG": str(config),
        "PLANOAI_PROJECT": project,
        "PLANOAI_IMAGE": "planoai-testbed:latest",
        "PLANOAI_PULL": "never",
        "PLANOAI_ADMIN_PORT": str(free_port()),
        "PLANOAI_TIMEOUT": "60",
        "OPENAI_API_KEY": KEY,
        **extra,
    }
    return subprocess.run(
        ["bash", str(CI / "smoke.sh")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_smoke_script_starts_waits_asks_and_stops(
    tmp_path: Path, mock_provider: MockProvider, testbed_image: str, docker_client: DockerClient, gateway_names: str
) -> None:
    result = run_smoke(tmp_path, gateway_names, mock_provider.server_address[1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke: reply: hello from the mock" in result.stdout.splitlines()
    seen = mock_provider.find("Say hello.")
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["model"] == "gpt-4o"
    assert f"stopped and removed plano-{gateway_names}" in result.stderr
    assert containers_of(docker_client, gateway_names) == []
    assert KEY not in result.stdout + result.stderr


def test_smoke_script_fails_with_curls_code_and_still_stops_the_gateway(
    tmp_path: Path, testbed_image: str, docker_client: DockerClient, gateway_names: str
) -> None:
    result = run_smoke(tmp_path, gateway_names, free_port())  # nothing listens there: the gateway answers 5xx
    assert result.returncode == 22, result.stdout + result.stderr  # curl --fail-with-body on an HTTP error
    assert f"stopped and removed plano-{gateway_names}" in result.stderr
    assert containers_of(docker_client, gateway_names) == []


def test_smoke_script_passes_planoais_exit_code_through(tmp_path: Path, testbed_image: str, gateway_names: str) -> None:
    result = run_smoke(tmp_path, gateway_names, free_port(), OPENAI_API_KEY="")
    assert result.returncode == 5, result.stdout + result.stderr
    assert "$OPENAI_API_KEY is set but empty" in result.stderr
    assert f"no gateway is running for project '{gateway_names}'" in result.stderr


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    return data


def test_workflow_structure(workflow: dict[Any, Any]) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the bare key `on` as a boolean
    assert set(triggers) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert [s.get("uses") for s in steps[:2]] == ["actions/checkout@v4", "actions/setup-python@v5"]
    assert all("uses" not in s for s in steps[2:]), "only checkout and setup-python are actions"
    runs = [str(s.get("run", "")) for s in steps]

    def index(fragment: str) -> int:
        found = [i for i, text in enumerate(runs) if fragment in text]
        assert len(found) == 1, fragment
        return found[0]

    order = [
        index("pip install planoai-cli"),
        index("planoai doctor"),
        index("planoai up"),
        index("planoai wait"),
        index("curl "),
        index("planoai down"),
    ]
    assert order == sorted(order)
    wait_step = steps[index("planoai wait")]
    assert "--timeout 120" in wait_step["run"]
    assert steps[index("planoai down")]["if"] == "always()"
    assert steps[index("planoai logs")]["if"] == "failure()"
    assert "${{ secrets.OPENAI_API_KEY }}" in steps[index("planoai up")]["env"]["OPENAI_API_KEY"]
    # Every step output used is produced by an earlier step with that id (the wait step).
    ids = [s.get("id") for s in steps]
    for position, step in enumerate(steps):
        for expression in EXPRESSION.findall(yaml.safe_dump(step)):
            if expression.startswith("steps."):
                assert expression.split(".")[1] in ids[:position], expression
    assert "steps.gateway.outputs.model_url" in str(steps[index("curl ")]["env"])
    assert wait_step["id"] == "gateway"


@dataclass
class StepResult:
    name: str
    status: str  # passed, failed, skipped (its `if:` was false) or action (a `uses:` step)
    output: str


class Runner:
    """Runs a workflow job's `run:` steps the way a GitHub runner does, on this machine."""

    def __init__(self, workspace: Path, env: Mapping[str, str], contexts: Mapping[str, Mapping[str, str]]) -> None:
        self.workspace = workspace
        self.env = dict(env)
        self.contexts = contexts
        self.outputs: dict[str, dict[str, str]] = {}
        self.exported: dict[str, str] = {}  # what steps appended to GITHUB_ENV
        self.failed = False

    def evaluate(self, text: str, env: Mapping[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            context, _, rest = match.group(1).partition(".")
            if context == "steps":
                step, kind, name = rest.split(".")
                assert kind == "outputs", match.group(0)
                assert step in self.outputs, match.group(0)
                return self.outputs[step].get(name, "")  # GitHub: an unset output is empty
            source = env if context == "env" else self.contexts[context]
            return source[rest]

        return EXPRESSION.sub(value, text)

    def should_run(self, condition: str | None) -> bool:
        decisions = {None: not self.failed, "success()": not self.failed, "failure()": self.failed, "always()": True}
        assert condition in decisions, f"unsupported if: {condition}"
        return decisions[condition]

    def run_job(self, workflow: Mapping[Any, Any], job: Mapping[str, Any]) -> list[StepResult]:
        scope = dict(self.env)
        for layer in (workflow.get("env", {}), job.get("env", {})):
            scope.update({k: self.evaluate(str(v), scope) for k, v in layer.items()})
        return [self.run_step(step, scope, n) for n, step in enumerate(job["steps"])]

    def run_step(self, step: Mapping[str, Any], scope: Mapping[str, str], number: int) -> StepResult:
        name = str(step.get("name") or step.get("uses") or step["run"])
        if "uses" in step:
            return StepResult(name, "action", "")
        if not self.should_run(step.get("if")):
            return StepResult(name, "skipped", "")
        env = {**scope, **self.exported}
        env.update({k: self.evaluate(str(v), env) for k, v in step.get("env", {}).items()})
        files = {var: self.workspace.parent / f"{var.lower()}-{number}" for var in ("GITHUB_OUTPUT", "GITHUB_ENV")}
        for path in files.values():
            path.write_text("", encoding="utf-8")
        script = self.workspace.parent / f"step-{number}.sh"
        script.write_text(self.evaluate(step["run"], env), encoding="utf-8")
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env={**env, **{k: str(v) for k, v in files.items()}},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        self.outputs[str(step.get("id", f"step{number}"))] = parse_github_file(files["GITHUB_OUTPUT"])
        self.exported.update(parse_github_file(files["GITHUB_ENV"]))
        if result.returncode != 0:
            self.failed = True
        return StepResult(name, "passed" if result.returncode == 0 else "failed", result.stdout)


def describe(results: list[StepResult]) -> str:
    return "\n".join(f"[{r.status}] {r.name}\n{r.output}" for r in results)


def parse_github_file(path: Path) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks, as the runner reads GITHUB_OUTPUT and GITHUB_ENV."""
    lines = path.read_text(encoding="utf-8").splitlines()
    values: dict[str, str] = {}
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter)
            values[name], lines = "\n".join(lines[:end]), lines[end + 1 :]
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture(scope="module")
def runner_tools(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh virtualenv (pip and the dependencies borrowed from ours) and a wheel of this checkout."""
    root = tmp_path_factory.mktemp("runner")
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
            str(root / "wheels"),
            str(REPO),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv, root / "wheels"


def runner_for(
    tmp_path: Path, runner_tools: tuple[Path, Path], provider_port: int, run_id: str, secrets: Mapping[str, str]
) -> tuple[Runner, int, int]:
    venv, wheels = runner_tools
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    port, admin_port = free_port(), free_port()
    (workspace / "config.yaml").write_text(CONFIG.format(port=port, mock_port=provider_port), encoding="utf-8")
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{path_without_planoai()}",
        "HOME": os.environ["HOME"],
        "NO_COLOR": "1",
        "PLANO_IMAGE": "planoai-testbed:latest",
        "PLANOAI_ADMIN_PORT": str(admin_port),
        # pip as configured on an offline runner: this checkout's wheel, dependencies already present
        # (borrowed from our virtualenv, whose own planoai-cli must not count as installed).
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_NO_DEPS": "1",
        "PIP_IGNORE_INSTALLED": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
    }
    contexts = {"github": {"run_id": run_id}, "secrets": dict(secrets)}
    return Runner(workspace, env, contexts), port, admin_port


@pytest.mark.usefixtures("testbed_image")
def test_workflow_run_steps_work_end_to_end(
    tmp_path: Path,
    workflow: dict[Any, Any],
    runner_tools: tuple[Path, Path],
    mock_provider: MockProvider,
    docker_client: DockerClient,
) -> None:
    run_id = f"{os.getpid()}{free_port()}"
    runner, port, admin_port = runner_for(
        tmp_path, runner_tools, mock_provider.server_address[1], run_id, {"OPENAI_API_KEY": KEY}
    )
    try:
        results = runner.run_job(workflow, workflow["jobs"]["smoke"])
        left = containers_of(docker_client, f"ci-{run_id}")
    finally:
        for container in containers_of(docker_client, f"ci-{run_id}"):
            container.remove(force=True)
    report = describe(results)
    assert [r.status for r in results] == [
        "action",
        "action",
        "passed",
        "passed",
        "passed",
        "passed",
        "passed",
        "skipped",
        "passed",
    ], report
    venv = runner_tools[0]
    assert shutil.which("planoai", path=runner.env["PATH"]) == str(venv / "bin" / "planoai")
    assert list(venv.glob("lib/python*/site-packages/planoai_cli/ops/wait.py")), "the wheel was not installed"
    assert runner.outputs["gateway"]["model_url"] == f"http://127.0.0.1:{port}"
    assert runner.outputs["gateway"]["admin_url"] == f"http://127.0.0.1:{admin_port}"
    assert runner.outputs["gateway"]["project"] == f"ci-{run_id}"
    assert "hello from the mock" in results[6].output
    seen = mock_provider.find("Hello from GitHub Actions")
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert left == []  # removed by the always() step, before the test's own cleanup
    assert f"stopped and removed plano-ci-{run_id}" in results[8].output
    assert KEY not in report


def test_workflow_failure_shows_logs_and_still_stops(
    tmp_path: Path, workflow: dict[Any, Any], runner_tools: tuple[Path, Path], testbed_image: str
) -> None:
    runner, _, _ = runner_for(
        tmp_path, runner_tools, free_port(), f"{os.getpid()}{free_port()}", {"OPENAI_API_KEY": ""}
    )  # an unset secret is empty in GitHub
    results = runner.run_job(workflow, workflow["jobs"]["smoke"])
    # doctor fails (exit 5, the key is empty), the rest is skipped; the logs step runs and finds nothing
    # (exit 11, no container), and the always() step stops nothing, successfully.
    assert [r.status for r in results] == [
        "action",
        "action",
        "passed",
        "failed",
        "skipped",
        "skipped",
        "skipped",
        "failed",
        "passed",
    ], describe(results)
    assert "up would fail (exit 5)" in results[3].output
    assert "no gateway container for project" in results[7].output
