"""`planoai doctor` against real things: a real dockerd, an unreachable DOCKER_HOST, busy ports, keys, images."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from docker.client import DockerClient
from docker.errors import NotFound
from docker.models.containers import Container

from planoai_cli import __version__, zeroconfig
from planoai_cli.runtime.endpoint import candidates
from tests.configs import MINIMAL
from tests.dockerfix import TEST_LABELS, free_port

Cli = Callable[..., tuple[int, str, str]]
REPO = Path(__file__).resolve().parent.parent
MANAGED, PROJECT = "org.planoai.managed", "org.planoai.project"
ENV_KEY = "sk-doctor-env-0123456789abcdef"
DOTENV_KEY = "sk-doctor-dotenv-fedcba9876543210"
SHORT_KEY = "tiny-secret"  # under 12 characters: masked as stars only
# doctor asks the engine on every run (only a test pointing DOCKER_HOST elsewhere would not need one).
pytestmark = pytest.mark.docker

CONFIG = MINIMAL

KEYS_CONFIG = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    port: {port}
model_providers:
  - model: openai/gpt-4o
    access_key: $FROM_ENV
    default: true
  - model: anthropic/claude-sonnet-4
    access_key: ${{FROM_DOTENV}}
  - model: groq/llama-3.1-8b
    access_key: $NOWHERE
  - model: mistral/mistral-large
    access_key: $EMPTY_ONE
  - model: deepseek/deepseek-chat
    access_key: $SHORT_ONE
"""


def discard(container: Container) -> None:
    """Remove a test container; another test session's finalizer may have removed it already."""
    with contextlib.suppress(NotFound):
        container.remove(force=True)


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def _record(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
FINDINGS = {"type": "array", "items": _record({"area": STR, "exit_code": INT, "message": STR})}
SCHEMA = _record(
    {
        "ok": BOOL,
        "exit_code": INT,
        "cli_version": STR,
        "project": STR,
        "config": _record(
            {
                "file": _nullable("string"),
                "found": BOOL,
                "zero_config": BOOL,
                "valid": BOOL,
                "errors": INT,
                "warnings": INT,
                "declared_version": _nullable("string"),
                "generation": _nullable("string"),
                "written_version": STR,
                "detail": STR,
            }
        ),
        "gateway": {
            "oneOf": [
                {"type": "null"},
                _record({"container": STR, "state": STR, "ports": {"type": "array", "items": INT}}),
            ]
        },
        "docker": _record(
            {
                "ok": BOOL,
                "endpoint": _nullable("string"),
                "why": _nullable("string"),
                "engine_version": _nullable("string"),
                "api_version": _nullable("string"),
                "attempts": {"type": "array", "items": _record({"url": STR, "why": STR, "error": STR})},
                "error": _nullable("string"),
                "hint": _nullable("string"),
            }
        ),
        "image": _record(
            {
                "reference": STR,
                "source": {"enum": ["--image", "PLANO_IMAGE", "default"]},
                "pull": STR,
                "present": _nullable("boolean"),
                "image_id": _nullable("string"),
                "detail": STR,
            }
        ),
        "ports": {
            "type": "array",
            "items": _record(
                {
                    "purpose": STR,
                    "host": STR,
                    "port": INT,
                    "state": {"enum": ["free", "this-project", "taken", "error"]},
                    "holder": _nullable("string"),
                    "detail": STR,
                }
            ),
        },
        "keys": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "array",
                    "items": _record(
                        {
                            "name": STR,
                            "found": BOOL,
                            "origin": _nullable("string"),
                            "masked": _nullable("string"),
                            "needed_by": {"type": "array", "items": STR},
                        }
                    ),
                },
            ]
        },
        "envoy": _record(
            {
                "found": BOOL,
                "path": _nullable("string"),
                "version": _nullable("string"),
                "error": _nullable("string"),
                "hint": _nullable("string"),
            }
        ),
        "collector": _record(
            {
                "running": BOOL,
                "pid": _nullable("integer"),
                "grpc": {"type": "array", "items": STR},
                "store": STR,
                "spans": _nullable("integer"),
                "error": _nullable("string"),
            }
        ),
        "problems": FINDINGS,
        "warnings": FINDINGS,
    }
)


class Folder:
    """A config folder and the doctor flags that keep its ports apart from every other test's."""

    def __init__(self, root: Path, text: str = CONFIG) -> None:
        self.root = root
        self.port = free_port()
        self.admin_port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        (root / "config.yaml").write_text(text.format(port=self.port), encoding="utf-8")

    def doctor(self, cli: Cli, *extra: str) -> tuple[int, dict[str, Any], str]:
        code, out, err = cli(
            "doctor", str(self.root / "config.yaml"), "--admin-port", str(self.admin_port), "--json", *extra
        )
        report = json.loads(out)
        jsonschema.validate(report, SCHEMA)
        assert report["exit_code"] == code
        return code, report, err


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Folder:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.delenv("PLANO_IMAGE", raising=False)
    monkeypatch.delenv("PLANOAI_ENVOY", raising=False)
    return Folder(tmp_path / f"doc{os.getpid()}")


def test_all_clear_on_a_real_engine(cli: Cli, folder: Folder, docker_client: DockerClient, testbed_image: str) -> None:
    code, report, _ = folder.doctor(cli, "--image", testbed_image, "--pull", "never")
    assert code == 0
    assert (report["ok"], report["problems"], report["warnings"]) == (True, [], [])
    assert report["cli_version"] == __version__
    assert report["project"] == folder.root.name
    assert report["config"] == {
        "file": str(folder.root / "config.yaml"),
        "found": True,
        "zero_config": False,
        "valid": True,
        "errors": 0,
        "warnings": 0,
        "declared_version": "v0.4.0",
        "generation": "g3",
        "written_version": "v0.4.0",
        "detail": "valid",
    }
    chosen = candidates(os.environ, Path.home())[0]
    assert report["docker"] == {
        "ok": True,
        "endpoint": chosen.url,
        "why": chosen.why,
        "engine_version": docker_client.version()["Version"],
        "api_version": docker_client.version()["ApiVersion"],
        "attempts": [],
        "error": None,
        "hint": None,
    }
    assert report["image"] == {
        "reference": testbed_image,
        "source": "--image",
        "pull": "never",
        "present": True,
        "image_id": docker_client.images.get(testbed_image).id,
        "detail": "present",
    }
    assert report["ports"] == [
        {
            "purpose": "model listener llm",
            "host": "127.0.0.1",
            "port": folder.port,
            "state": "free",
            "holder": None,
            "detail": "free",
        },
        {
            "purpose": "Envoy admin",
            "host": "127.0.0.1",
            "port": folder.admin_port,
            "state": "free",
            "holder": None,
            "detail": "free",
        },
    ]
    assert report["keys"] == [
        {
            "name": "OPENAI_API_KEY",
            "found": True,
            "origin": "environment",
            "masked": f"********ef ({len(ENV_KEY)} chars)",
            "needed_by": ["model provider openai/gpt-4o"],
        }
    ]
    assert report["envoy"]["found"] is True
    assert report["envoy"]["version"] == "1.37.0"
    assert report["gateway"] is None


def test_the_screen_says_the_same_in_words(cli: Cli, folder: Folder, testbed_image: str) -> None:
    code, out, _ = cli(
        "doctor", str(folder.root / "config.yaml"), "--admin-port", str(folder.admin_port), "--image", testbed_image
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"planoai doctor: what `planoai up` would meet for project {folder.root.name}"
    assert f"  · cli      planoai-cli {__version__} (writes config v0.4.0)" in lines
    assert f"  ✓ config   {folder.root / 'config.yaml'}: valid (declared v0.4.0, generation g3)" in lines
    assert f"  ✓ image    {testbed_image} (--image): present" in lines
    assert f"  ✓ port     127.0.0.1:{folder.port} model listener llm: free" in lines
    assert f"  ✓ key      $OPENAI_API_KEY: found in the environment, ********ef ({len(ENV_KEY)} chars)" in lines
    assert any(line.startswith("  ✓ docker   ") and "; engine " in line for line in lines)
    assert any(line.startswith("  ✓ envoy    ") and line.endswith(" 1.37.0 (for validate --envoy)") for line in lines)
    assert lines[-1] == "up would get through these checks (exit 0)"


def test_an_unreachable_docker_host_is_reported_with_the_attempt(
    cli: Cli, folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"tcp://127.0.0.1:{free_port()}"
    monkeypatch.setenv("DOCKER_HOST", dead)
    code, report, _ = folder.doctor(cli)
    assert code == 6
    assert report["docker"]["ok"] is False
    assert report["docker"]["attempts"] == [{"url": dead, "why": "DOCKER_HOST is set", "error": "connection refused"}]
    assert report["docker"]["error"] == "no Docker engine answered"
    assert report["image"]["present"] is None
    # Everything that does not need the engine is still checked.
    assert report["config"]["valid"] is True
    assert report["keys"][0]["found"] is True
    assert [p["state"] for p in report["ports"]] == ["free", "free"]
    assert report["problems"] == [{"area": "docker", "exit_code": 6, "message": "no Docker engine answered"}]
    code, out, _ = cli("doctor", str(folder.root / "config.yaml"), "--admin-port", str(folder.admin_port))
    assert code == 6
    assert f"             tried {dead} (DOCKER_HOST is set): connection refused" in out.splitlines()


def test_a_bind_that_is_not_an_ip_is_the_usage_error_up_gives(cli: Cli, folder: Folder) -> None:
    config = str(folder.root / "config.yaml")
    up = cli("up", config, "--bind", "gateway.local", "--admin-port", str(folder.admin_port))
    doctor = cli("doctor", config, "--bind", "gateway.local", "--admin-port", str(folder.admin_port))
    assert up[0] == doctor[0] == 2
    assert doctor[2] == up[2]
    assert "--bind 'gateway.local' is not an IP address" in doctor[2]


def test_a_port_held_by_a_socket_names_this_process(cli: Cli, folder: Folder) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", folder.port))
        holder.listen()
        code, report, _ = folder.doctor(cli)
    me = f"{Path('/proc/self/comm').read_text().strip()} (pid {os.getpid()})"
    assert code == 7
    assert report["ports"][0] == {
        "purpose": "model listener llm",
        "host": "127.0.0.1",
        "port": folder.port,
        "state": "taken",
        "holder": me,
        "detail": f"in use by {me}",
    }
    assert report["problems"] == [
        {"area": "ports", "exit_code": 7, "message": f"127.0.0.1:{folder.port} (model listener llm): in use by {me}"}
    ]


@pytest.fixture
def publishing(docker_client: DockerClient, testbed_image: str) -> Iterator[Callable[[str, int], Container]]:
    """Start a labelled container for a project that publishes one host port (as a gateway would)."""
    made: list[Container] = []

    def start(project: str, port: int) -> Container:
        container = docker_client.containers.run(
            testbed_image,
            entrypoint=["sleep", "60"],
            detach=True,
            name=f"plano-{project}",
            labels={**TEST_LABELS, MANAGED: "1", PROJECT: project},
            ports={"12000/tcp": ("127.0.0.1", port)},
        )
        made.append(container)
        return container

    yield start
    for container in made:
        discard(container)


def test_a_port_of_this_projects_gateway_is_fine(
    cli: Cli, folder: Folder, publishing: Callable[[str, int], Container]
) -> None:
    project = f"doc-own-{os.getpid()}"
    publishing(project, folder.port)
    code, report, _ = folder.doctor(cli, "--project-name", project, "--image", "planoai-testbed:latest")
    assert code == 0, report["problems"]
    assert report["gateway"] == {"container": f"plano-{project}", "state": "running", "ports": [folder.port]}
    assert report["ports"][0]["state"] == "this-project"
    assert report["ports"][0]["detail"] == "in use by this project's gateway (up replaces it)"


def test_a_port_of_another_projects_gateway_names_it(
    cli: Cli, folder: Folder, publishing: Callable[[str, int], Container]
) -> None:
    other = f"doc-other-{os.getpid()}"
    publishing(other, folder.port)
    code, report, _ = folder.doctor(cli, "--project-name", f"doc-me-{os.getpid()}")
    assert code == 7
    assert report["gateway"] is None
    assert report["ports"][0]["holder"] == f"container plano-{other} (planoai project {other})"


def test_keys_from_the_environment_and_dotenv_masked_and_never_shown(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Folder(tmp_path / "keys", KEYS_CONFIG)
    dotenv = folder.root / ".env"
    dotenv.write_text(
        f'FROM_DOTENV="{DOTENV_KEY}"\nFROM_ENV=dotenv-loses\nEMPTY_ONE=\nSHORT_ONE={SHORT_KEY}\n', encoding="utf-8"
    )
    monkeypatch.setenv("FROM_ENV", ENV_KEY)
    monkeypatch.delenv("NOWHERE", raising=False)
    code, report, err = folder.doctor(cli)
    assert code == 5
    assert report["keys"] == [
        {
            "name": "EMPTY_ONE",
            "found": False,
            "origin": str(dotenv),
            "masked": None,
            "needed_by": ["model provider mistral/mistral-large"],
        },
        {
            "name": "FROM_DOTENV",
            "found": True,
            "origin": str(dotenv),
            "masked": f"********10 ({len(DOTENV_KEY)} chars)",
            "needed_by": ["model provider anthropic/claude-sonnet-4"],
        },
        {
            "name": "FROM_ENV",
            "found": True,
            "origin": "environment",
            "masked": f"********ef ({len(ENV_KEY)} chars)",
            "needed_by": ["model provider openai/gpt-4o"],
        },
        {
            "name": "NOWHERE",
            "found": False,
            "origin": None,
            "masked": None,
            "needed_by": ["model provider groq/llama-3.1-8b"],
        },
        {
            "name": "SHORT_ONE",
            "found": True,
            "origin": str(dotenv),
            "masked": "*" * len(SHORT_KEY),
            "needed_by": ["model provider deepseek/deepseek-chat"],
        },
    ]
    assert [p["message"] for p in report["problems"]] == [
        f"$EMPTY_ONE is empty in {dotenv} (needed by model provider mistral/mistral-large)",
        "$NOWHERE is not set in the environment or .env (needed by model provider groq/llama-3.1-8b)",
    ]
    code, out, text_err = cli("doctor", str(folder.root / "config.yaml"), "--admin-port", str(folder.admin_port))
    assert code == 5
    assert f"  ✓ key      $FROM_DOTENV: found in {dotenv}, ********10 ({len(DOTENV_KEY)} chars)" in out.splitlines()
    assert f"  ✗ key      $EMPTY_ONE: empty in {dotenv} (needed by model provider mistral/mistral-large)" in out
    every_output = json.dumps(report) + err + out + text_err
    for secret in (ENV_KEY, DOTENV_KEY, SHORT_KEY, "dotenv-loses"):
        assert secret not in every_output


def test_keys_come_from_the_dotenv_beside_the_given_path_as_for_up(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planoai_cli.gateway.options import UpOptions
    from planoai_cli.gateway.up import _keys
    from planoai_cli.pipeline import validate_file

    real = Folder(tmp_path / "real")
    (real.root / ".env").write_text("OPENAI_API_KEY=sk-beside-the-target-000000\n", encoding="utf-8")
    link_dir = tmp_path / "link"
    link_dir.mkdir()
    link = link_dir / "config.yaml"
    link.symlink_to(real.root / "config.yaml")
    beside_link = link_dir / ".env"
    beside_link.write_text(f"OPENAI_API_KEY={DOTENV_KEY}\n", encoding="utf-8")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    _code, out, _err = cli("doctor", str(link), "--admin-port", str(real.admin_port), "--json")
    keys = json.loads(out)["keys"]
    assert [(k["name"], k["origin"], k["masked"]) for k in keys] == [
        ("OPENAI_API_KEY", str(beside_link), f"********10 ({len(DOTENV_KEY)} chars)")
    ]
    assert _keys(validate_file(link, Path()), UpOptions(environment={})) == {"OPENAI_API_KEY": DOTENV_KEY}


def test_a_missing_image_warns_unless_pulling_is_forbidden(
    cli: Cli, folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = "planoai-doctor-missing:never-built"
    code, report, _ = folder.doctor(cli, "--image", missing)
    assert code == 0
    assert report["image"] == {
        "reference": missing,
        "source": "--image",
        "pull": "missing",
        "present": False,
        "image_id": None,
        "detail": "not present: up will pull it (this needs the registry)",
    }
    assert report["warnings"] == [
        {"area": "image", "exit_code": 0, "message": f"image {missing} is not present: up will pull it"}
    ]
    monkeypatch.setenv("PLANO_IMAGE", missing)
    code, report, _ = folder.doctor(cli, "--pull", "never")
    assert code == 8
    assert (report["image"]["source"], report["image"]["present"]) == ("PLANO_IMAGE", False)
    assert report["problems"] == [
        {"area": "image", "exit_code": 8, "message": f"image {missing} is not present (--pull never)"}
    ]


def test_an_invalid_config_counts_its_errors_and_still_checks_the_rest(cli: Cli, tmp_path: Path) -> None:
    folder = Folder(tmp_path / "bad", CONFIG + "  - model: openai/gpt-4o\n    defualt: true\n")
    code, report, _ = folder.doctor(cli)
    assert code == 3
    assert report["config"]["valid"] is False
    assert report["config"]["errors"] == 1
    assert report["config"]["declared_version"] == "v0.4.0"
    assert report["keys"] is None
    assert [p["purpose"] for p in report["ports"]] == ["Envoy admin"]
    assert report["docker"]["ok"] is True
    assert report["problems"][0]["area"] == "config"


def test_the_first_problem_in_ups_order_decides_the_exit_code(
    cli: Cli, folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", folder.admin_port))
        holder.listen()
        code, report, _ = folder.doctor(cli)
    assert code == 5  # up checks keys before ports
    assert [p["area"] for p in report["problems"]] == ["keys", "ports"]


def test_a_legacy_config_reports_its_declared_version(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    code, out, _ = cli("doctor", str(REPO / "examples/generations/g2a-listeners-mapping.yaml"), "--json")
    report = json.loads(out)
    jsonschema.validate(report, SCHEMA)
    assert (report["config"]["declared_version"], report["config"]["generation"]) == ("v0.1.0", "g2")
    assert report["config"]["valid"] is True
    assert code == report["exit_code"]


def test_no_config_and_no_key_means_a_pass_through_zero_config(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in zeroconfig.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    code, out, _ = cli("doctor", "--path", str(empty), "--admin-port", str(free_port()), "--json")
    report = json.loads(out)
    jsonschema.validate(report, SCHEMA)
    assert report["config"]["zero_config"] is True
    assert report["config"]["valid"] is True
    written = Path(os.environ["HOME"]) / ".config" / "planoai" / "zero-config.yaml"
    assert report["warnings"][0]["message"] == (
        f"no config in {empty}: up would write a zero-config to {written} (no provider key found, so a "
        "pass-through gateway: clients send their own keys)"
    )
    assert report["keys"] == []
    assert not any(p["area"] == "config" for p in report["problems"])
    assert report["project"] == "empty"
    assert code == report["exit_code"]


def test_zero_config_is_checked_as_up_would_run_it_without_writing_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "zero"
    folder.mkdir()
    (folder / ".env").write_text(f"ANTHROPIC_API_KEY={DOTENV_KEY}\n", encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    port = free_port()
    code, out, _ = cli(
        "doctor", "--path", str(folder), "--admin-port", str(free_port()), "--listener-port", str(port), "--json"
    )
    report = json.loads(out)
    jsonschema.validate(report, SCHEMA)
    written = Path(os.environ["HOME"]) / ".config" / "planoai" / "zero-config.yaml"
    assert report["config"]["file"] == str(written)
    assert (report["config"]["zero_config"], report["config"]["found"], report["config"]["valid"]) == (
        True,
        False,
        True,
    )
    assert not written.exists()  # doctor changes nothing
    assert [(k["name"], k["found"], k["origin"]) for k in report["keys"]] == [
        ("ANTHROPIC_API_KEY", True, str(folder / ".env")),
        ("OPENAI_API_KEY", True, "environment"),
    ]
    assert report["ports"][0]["purpose"] == "model listener llm"
    assert report["ports"][0]["port"] == port
    assert report["warnings"][0]["message"] == (
        f"no config in {folder}: up would write a zero-config to {written} (one provider per key found: "
        "$OPENAI_API_KEY, $ANTHROPIC_API_KEY)"
    )
    assert DOTENV_KEY not in out
    assert ENV_KEY not in out
    assert code == 0, report["problems"]


def test_an_explicit_missing_file_fails(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("doctor", str(tmp_path / "nope.yaml"), "--json")
    assert code == 3
    report = json.loads(out)
    assert report["problems"][0] == {
        "area": "config",
        "exit_code": 3,
        "message": f"config file {tmp_path / 'nope.yaml'} does not exist",
    }
    assert report["config"]["zero_config"] is False


def test_a_broken_envoy_override_is_a_warning_only(
    cli: Cli, folder: Folder, testbed_image: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PLANOAI_ENVOY", str(tmp_path / "no-envoy-here"))
    code, report, _ = folder.doctor(cli, "--image", testbed_image)
    assert code == 0
    assert report["envoy"]["found"] is False
    assert (
        report["envoy"]["error"] == f"PLANOAI_ENVOY is set to {str(tmp_path / 'no-envoy-here')!r}, which is not "
        "an executable file"
    )
    assert report["warnings"][0]["area"] == "envoy"
