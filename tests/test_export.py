"""`planoai export` without an engine: the command, what it writes and says, the shared deployment, the entrypoint."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from planoai_cli.export import compose, deployment, entrypoint, guide
from planoai_cli.export.yamlout import dump
from planoai_cli.gateway.options import UpOptions
from planoai_cli.gateway.spec import _escaped
from planoai_cli.gateway.spec import environment as up_environment
from planoai_cli.pipeline import validate_file
from planoai_cli.render import render
from planoai_cli.resources import data_dir
from tests.configs import MINIMAL
from tests.exportfix import CASES, export_case, export_file
from tests.httpserver import serve, status

Cli = Callable[..., tuple[int, str, str]]
KEY = "sk-export-test-0123456789"
CONFIG = MINIMAL.format(port=12000)
AGENT_CONFIG = """\
version: v0.4.0
agents:
  - id: helper
    url: http://localhost:10500
listeners:
  - type: agent
    name: assistant
    port: 8001
    router: plano_orchestrator_v1
    agents:
      - id: helper
        description: helps
        default: true
  - name: llm
    type: model
    port: 12000
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
"""


@pytest.fixture
def gw(tmp_path: Path) -> Path:
    root = tmp_path / "gw"
    root.mkdir()
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (root / ".env").write_text(f'OPENAI_API_KEY="{KEY}"\n', encoding="utf-8")
    return root


# --- the command ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "helm"),
    [(("compose",), False), (("swarm",), False), (("kubernetes",), False), (("kubernetes", "--helm"), True)],
)
def test_no_key_value_reaches_any_file_or_output(
    cli: Cli, gw: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], helm: bool
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    out = gw / "out"
    code, stdout, stderr = cli("export", *args, str(gw / "config.yaml"), "--out", str(out))
    assert code == 0, stderr
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert KEY not in path.read_text(encoding="utf-8"), path
    assert KEY not in stdout + stderr
    assert "OPENAI_API_KEY" in stdout


def test_compose_output_names_what_was_written_the_variables_and_the_next_command(cli: Cli, gw: Path) -> None:
    out = gw.parent / "deploy"
    code, stdout, stderr = cli("export", "compose", str(gw / "config.yaml"), "--out", str(out))
    assert (code, stderr) == (0, "")
    lines = stdout.splitlines()
    assert lines[:10] == [
        f"wrote {out}/{name}"
        for name in (
            "compose.yaml",
            "plano/rendered/envoy.yaml",
            "plano/rendered/plano_config_rendered.yaml",
            "plano/supervisord/supervisord.conf",
            "plano/supervisord/component.sh",
            "plano/supervisord/stop-on-exit.sh",
            "plano/supervisord/start.sh",
            "plano/supervisord/wake.conf",
            "plano/supervisord/wake.py",
            "plano/supervisord/entrypoint.py",
        )
    ]
    assert lines[10].startswith("compose export of project 'gw': 1 listener(s) (12000), image katanemo/plano:0.4.39")
    assert lines[11:] == [
        "variables to provide (by name; their values never go into these files):",
        f"  OPENAI_API_KEY: in {gw}/.env, or exported in the shell",
        "next:",
        f"  docker compose --env-file {gw}/.env -f {out}/compose.yaml up -d",
    ]


def test_compose_beside_the_config_needs_no_env_file(cli: Cli, gw: Path) -> None:
    code, stdout, _ = cli("export", "compose", str(gw / "config.yaml"), "--out", str(gw))
    assert code == 0
    assert stdout.splitlines()[-1] == f"  docker compose -f {gw}/compose.yaml up -d"


def test_stdout_prints_the_main_file_alone(cli: Cli, gw: Path) -> None:
    code, stdout, stderr = cli("export", "kubernetes", str(gw / "config.yaml"), "--stdout")
    assert code == 0
    assert stdout == export_file(gw / "config.yaml", "kubernetes").files["plano.yaml"]
    assert "warning: not written with --stdout: secret.template.yaml (write every file with --out DIR)" in stderr
    assert "  kubectl apply -f -   (with this output piped in)" in stderr
    assert not (gw / "plano.yaml").exists()


def test_a_second_export_replaces_its_own_files_and_keeps_an_edited_one(cli: Cli, gw: Path) -> None:
    out = gw / "out"
    assert cli("export", "swarm", str(gw / "config.yaml"), "--out", str(out))[0] == 0
    first = (out / "stack.yaml").read_text(encoding="utf-8")
    assert cli("export", "swarm", str(gw / "config.yaml"), "--out", str(out))[0] == 0
    assert sorted(p.name for p in out.iterdir()) == [".planoai-files.json", "plano", "stack.yaml"]
    (out / "stack.yaml").write_text(first + "# my note\n", encoding="utf-8")
    code, _, stderr = cli("export", "swarm", str(gw / "config.yaml"), "--out", str(out))
    assert code == 0
    assert "was not planoai's own export" in stderr
    assert (out / "stack.yaml.bak").read_text(encoding="utf-8").endswith("# my note\n")
    assert (out / "stack.yaml").read_text(encoding="utf-8") == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("compose",), "give exactly one of --out DIR and --stdout"),
        (("compose", "--stdout", "--out", "x"), "give exactly one of --out DIR and --stdout"),
        (("swarm", "--stdout", "--publish", "0.0.0.0"), "--publish applies to compose only"),
        (("compose", "--stdout", "--publish", "localhost"), "--publish 'localhost' is not an IP address"),
        (("compose", "--stdout", "--replicas", "3"), "--replicas applies to swarm and kubernetes"),
        (("swarm", "--stdout", "--helm"), "--helm applies to kubernetes only"),
        (("kubernetes", "--stdout", "--helm"), "a chart is a folder: --helm needs --out DIR"),
    ],
)
def test_usage_errors(cli: Cli, gw: Path, args: tuple[str, ...], message: str) -> None:
    code, stdout, stderr = cli("export", *args, str(gw / "config.yaml"))
    assert (code, stdout) == (2, "")
    assert f"error: {message}" in stderr


def test_an_invalid_config_exports_nothing(cli: Cli, gw: Path) -> None:
    (gw / "config.yaml").write_text(CONFIG.replace("port: 12000", "port: nope"), encoding="utf-8")
    code, stdout, _ = cli("export", "compose", str(gw / "config.yaml"), "--out", str(gw / "out"))
    assert (code, stdout) == (3, "")
    assert not (gw / "out").exists()


# --- what the files say ---------------------------------------------------------------------------------------------


def test_compose_publishes_on_every_address_given(gw: Path) -> None:
    text = export_file(gw / "config.yaml", "compose", publish=("0.0.0.0", "::1")).files["compose.yaml"]
    assert yaml.safe_load(text)["services"]["plano"]["ports"] == ["0.0.0.0:12000:12000", "[::1]:12000:12000"]


def test_compose_escapes_every_dollar_but_its_own_interpolations() -> None:
    doc = {"a": "$X and $$Y", "b": [compose.Interpolated("${X:-}")], "$k": {"c": "no dollar"}}
    assert compose.escape_dollars(doc) == {"a": "$$X and $$$$Y", "b": ["${X:-}"], "$$k": {"c": "no dollar"}}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_environment_is_ups_without_the_keys(case: str) -> None:
    exported = export_case(case, "compose", log_level="debug")
    path = CASES[case]
    rendered = render(validate_file(path, path.parent).config)
    assert dict(exported.deployment.environment) == up_environment(rendered, {}, UpOptions(log_level="debug"))


def test_the_container_gets_supervisords_files_as_shipped_and_the_entrypoint(gw: Path) -> None:
    d = export_file(gw / "config.yaml", "compose").deployment
    folder = data_dir("supervisord")
    assert list(d.supervisor) == [*deployment.SUPERVISOR_FILES, deployment.ENTRYPOINT_FILE]
    for name in deployment.SUPERVISOR_FILES:
        assert d.supervisor[name] == (folder / name).read_text(encoding="utf-8")
    assert d.supervisor["entrypoint.py"] == Path(entrypoint.__file__).read_text(encoding="utf-8")


def test_labels_and_annotations_carry_the_config_hash_and_cli_version(gw: Path) -> None:
    from planoai_cli import __version__
    from planoai_cli.runtime.container import CLI_VERSION, CONFIG_HASH

    assert (deployment.LABEL_CONFIG_HASH, deployment.LABEL_CLI_VERSION) == (CONFIG_HASH, CLI_VERSION)
    d = export_file(gw / "config.yaml", "swarm").deployment
    stack = yaml.safe_load(export_file(gw / "config.yaml", "swarm").files["stack.yaml"])
    assert stack["services"]["plano"]["labels"][CONFIG_HASH] == d.config_hash
    assert stack["services"]["plano"]["deploy"]["labels"][CLI_VERSION] == __version__
    for doc in yaml.safe_load_all(export_file(gw / "config.yaml", "kubernetes").files["plano.yaml"]):
        assert doc["metadata"]["annotations"] == {
            "planoai.org/config-hash": d.config_hash,
            "planoai.org/cli-version": __version__,
        }


def test_a_config_change_changes_the_checksum_and_the_swarm_config_names(gw: Path) -> None:
    before = export_file(gw / "config.yaml", "kubernetes").deployment
    (gw / "config.yaml").write_text(CONFIG.replace("port: 12000", "port: 12100"), encoding="utf-8")
    after = export_file(gw / "config.yaml", "kubernetes").deployment
    assert before.files_digest != after.files_digest
    assert before.config_hash != after.config_hash
    stack = export_file(gw / "config.yaml", "swarm").files["stack.yaml"]
    assert [li.port for li in after.listeners] == [12100]
    assert "http://127.0.0.1:12100/healthz" in stack


def test_kubernetes_flags_upstreams_on_this_machine(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(AGENT_CONFIG, encoding="utf-8")
    kube = export_file(tmp_path / "config.yaml", "kubernetes", project="demo")
    warnings = [d for d in kube.findings if d.code == "export.cluster-host"]
    assert [(d.path, d.line) for d in warnings] == [("agents[0].url", 4)]
    assert "agent 'helper': url points at host.docker.internal" in warnings[0].message
    assert not [d for d in export_file(tmp_path / "config.yaml", "compose").findings if d.code == "export.cluster-host"]
    assert [s["metadata"]["name"] for s in yaml.safe_load_all(kube.files["plano.yaml"]) if s["kind"] == "Service"] == [
        "plano-demo-assistant",
        "plano-demo-llm",
    ]


def test_memory_state_storage_is_flagged_with_more_than_one_replica() -> None:
    codes = [d.code for d in export_case("template-conversation-state", "kubernetes").findings]
    assert "export.memory-state" in codes
    one = export_case("template-conversation-state", "kubernetes", replicas=1).findings
    assert "export.memory-state" not in [d.code for d in one]
    assert "export.memory-state" not in [d.code for d in export_case("template-conversation-state", "compose").findings]


def test_guides_say_how_to_provide_each_variable(gw: Path) -> None:
    swarm = export_file(gw / "config.yaml", "swarm", project="demo")
    assert guide(swarm, gw / "out", None).provide == (
        "printf '%s' \"$OPENAI_API_KEY\" | docker secret create demo-OPENAI_API_KEY -",
    )
    assert guide(swarm, gw / "out", None).commands == (f"docker stack deploy -c {gw}/out/stack.yaml demo",)
    kube = export_file(gw / "config.yaml", "kubernetes", project="demo")
    assert guide(kube, gw / "k", None).provide == (
        'kubectl create secret generic plano-demo-keys --from-literal=OPENAI_API_KEY="$OPENAI_API_KEY"',
    )
    chart = export_file(gw / "config.yaml", "kubernetes", project="demo", helm=True)
    assert guide(chart, gw / "c", None).commands[0] == f"helm upgrade --install plano-demo {gw}/c"


# --- the writer -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "two\nlines\n",
        "trailing space \nx",
        "yes",
        "0700",
        "$VAR",
        "",
        "tab\there",
        "é ünïcode",
        "- dash",
        "key: value",
        "no newline\nat end",
    ],
)
def test_dump_reads_back_as_written(value: str) -> None:
    document = {"k": value, "list": [value, {"nested": value}], "n": 3, "b": True, "none": None}
    assert yaml.safe_load(dump(document)) == document


# --- the entrypoint (it runs in the container) ----------------------------------------------------------------------


def test_entrypoint_reads_the_substitution_lists() -> None:
    env = {"PLANO_ENVOY_VARS": "$B $A", "PLANO_CONFIG_VARS": "$A ${C}"}
    assert entrypoint.names(env) == ["A", "B", "C"]
    assert entrypoint.names({}) == []


def test_entrypoint_escapes_as_up_does_and_prefers_a_secret_file(tmp_path: Path) -> None:
    (tmp_path / "A").write_text('from "secret"\n', encoding="utf-8")
    env = {"PLANO_ENVOY_VARS": "$A $B $C", "PLANO_CONFIG_VARS": "$A", "A": "from env", "B": 'q"uo\\te\nx'}
    entrypoint.prepare(env, str(tmp_path))
    assert env["A"] == _escaped('from "secret"') == 'from \\"secret\\"'
    assert env["B"] == _escaped('q"uo\\te\nx')
    assert "C" not in env


@pytest.mark.parametrize(("content", "value"), [("k\n", "k"), ("k\r\n", "k"), ("k", "k"), ("k\n\n", "k\n")])
def test_entrypoint_drops_one_trailing_line_break_of_a_secret(tmp_path: Path, content: str, value: str) -> None:
    (tmp_path / "K").write_bytes(content.encode())
    assert entrypoint.read_secret("K", str(tmp_path)) == value


def test_entrypoint_starts_as_up_does_and_keeps_a_non_root_user() -> None:
    from planoai_cli.gateway.spec import START

    assert tuple(entrypoint.START) == START  # one start path: supervisord with the wake plugin, through start.sh
    assert entrypoint.command(0) == list(START)
    assert entrypoint.command(65534) == [*START, "--user", "65534"]


@pytest.mark.parametrize("target", ["compose", "swarm", "kubernetes"])
def test_the_files_written_beside_the_main_one_are_the_containers_files(gw: Path, target: str) -> None:
    exported = export_file(gw / "config.yaml", target)  # type: ignore[arg-type]
    d = exported.deployment
    for name, text in exported.files.items():
        if name.startswith("plano/rendered/"):
            assert text == d.rendered[name.rsplit("/", 1)[1]]
        elif name.startswith("plano/supervisord/"):
            assert text == d.supervisor[name.rsplit("/", 1)[1]]
        else:
            assert list(yaml.safe_load_all(text)), name


@pytest.mark.parametrize(
    ("listener", "brightstaff", "healthy"),
    [(200, 200, True), (200, 404, True), (200, 503, False), (404, 200, False), (503, 200, False)],
)
def test_the_exported_health_check_judges_as_up_does(listener: int, brightstaff: int, healthy: bool) -> None:
    # The command the compose/swarm health checks and the Kubernetes probes run, against real HTTP servers.
    with serve([status(listener)]) as (envoy, _), serve([status(brightstaff)]) as (behind, _):
        command = ["python3", "-c", deployment.HEALTH_SCRIPT, f"{envoy}/healthz", f"{behind}/v1/models"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode == 0) is healthy, done.stderr
