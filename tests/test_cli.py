"""The CLI end to end: exit codes, output channels, validate/migrate behaviour, the error handler."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli import __version__, pipeline
from planoai_cli.cli.suggest import closest_flag, edit_distance
from tests.configs import MINIMAL

REPO = Path(__file__).resolve().parent.parent
Cli = Callable[..., tuple[int, str, str]]
Project = Callable[[dict[str, str]], Path]

CANONICAL = MINIMAL.format(port=12000)
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
        ("listeners[0].prot", 5, 5),
        ("model_providers[0].defualt", 8, 5),
    ]
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


def test_debug_from_the_environment_shows_the_traceback(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "validate_file", _explode)
    monkeypatch.setenv("PLANOAI_DEBUG", "1")
    assert "Traceback" in cli("validate")[2]
    monkeypatch.setenv("PLANOAI_DEBUG", "0")
    assert "Traceback" not in cli("validate")[2]


def test_a_commands_own_debug_flag_is_not_planoai_debug(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # `logs --debug` is upstream's debug view of the logs, not a request for tracebacks.
    from planoai_cli.gateway import logs

    monkeypatch.delenv("PLANOAI_DEBUG", raising=False)
    monkeypatch.setattr(logs, "logs", _explode)
    code, _, err = cli("logs", "--debug")
    assert code == 70
    assert "Traceback" not in err


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

    result = subprocess.run(
        [sys.executable, "-m", "planoai_cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("planoai-cli ")


# --- render and validate --envoy -------------------------------------------------------------------

LOCAL = CANONICAL.replace(
    "  - model: openai/gpt-4o\n", "  - model: ollama/llama3.2\n    base_url: http://localhost:11434\n"
)
STANDIN = (
    "note: the wasm plugins were stood in by a pass-through module, so Plano's plugins did not read the "
    "embedded config\n"
)


def test_render_writes_both_files_and_says_what_the_gateway_needs(cli: Cli, project: Project, tmp_path: Path) -> None:
    from planoai_cli.render import render

    root = project({"config.yaml": CANONICAL})
    out = tmp_path / "rendered"
    code, stdout, err = cli("render", str(root / "config.yaml"), "--out", str(out))
    assert (code, err) == (0, "")
    assert stdout == (
        f"wrote {out / 'envoy.yaml'}\n"
        f"wrote {out / 'plano_config_rendered.yaml'}\n"
        "listeners (publish these ports; each answers GET /healthz when ready):\n"
        "  0.0.0.0:12000  model listener 'llm' (Envoy egress_traffic)\n"
        "Envoy admin: port 9901 (inside the container)\n"
        "variables substituted at start: OPENAI_API_KEY\n"
    )
    expected = render(pipeline.validate_file(root / "config.yaml", root).config)
    assert (out / "envoy.yaml").read_text(encoding="utf-8") == expected.envoy_yaml
    assert (out / "plano_config_rendered.yaml").read_text(encoding="utf-8") == expected.plano_config
    assert {oct((out / name).stat().st_mode & 0o777) for name in ("envoy.yaml", "plano_config_rendered.yaml")} == {
        "0o644"
    }


def test_render_to_stdout_prints_only_envoy_yaml(cli: Cli, project: Project) -> None:
    from planoai_cli.render import render

    root = project({"config.yaml": CANONICAL})
    code, stdout, err = cli("render", "--path", str(root), "--stdout")
    assert (code, err) == (0, "")
    assert stdout == render(pipeline.validate_file(None, root).config).envoy_yaml


def test_render_reports_each_localhost_rewrite(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LOCAL})
    code, _, err = cli("render", str(root / "config.yaml"), "--stdout")
    assert code == 0
    assert err == (
        f"{root / 'config.yaml'}:8:15: notice: model provider 'ollama/llama3.2': base_url host 'localhost' becomes "
        "'host.docker.internal' inside the gateway container [render.localhost]\n"
        "  at model_providers[0].base_url\n"
        "  hint: inside the gateway container, localhost is the container itself; host.docker.internal reaches this "
        "machine\n"
    )


@pytest.mark.parametrize("flags", [(), ("--out", "x", "--stdout")])
def test_render_needs_exactly_one_destination(cli: Cli, project: Project, flags: tuple[str, ...]) -> None:
    root = project({"config.yaml": CANONICAL})
    code, stdout, err = cli("render", str(root / "config.yaml"), *flags)
    assert (code, stdout) == (2, "")
    assert err.startswith("error: give exactly one of --out DIR and --stdout\n")


def test_render_refuses_an_invalid_config(cli: Cli, project: Project, tmp_path: Path) -> None:
    root = project({"config.yaml": BROKEN})
    code, stdout, _ = cli("render", str(root / "config.yaml"), "--out", str(tmp_path / "out"))
    assert (code, stdout) == (3, "")
    assert not (tmp_path / "out").exists()


def test_validate_envoy_says_what_envoy_checked(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": CANONICAL})
    code, stdout, err = cli("validate", "--envoy", str(root / "config.yaml"))
    assert (code, err) == (0, "")
    assert stdout == (
        f"{root / 'config.yaml'}: valid (canonical v0.4.0); Envoy 1.37.0 accepts the rendered envoy.yaml\n{STANDIN}"
    )


def test_validate_envoy_json(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LOCAL})
    code, stdout, err = cli("validate", "--envoy", "--format", "json", str(root / "config.yaml"))
    assert (code, err) == (0, "")
    payload = json.loads(stdout)
    assert payload["envoy"] == {
        "ok": True,
        "version": "1.37.0",
        "output": "configuration 'envoy.yaml' OK",
        "standin_plugins": True,
    }
    assert [(w["code"], w["severity"], w["line"]) for w in payload["warnings"]] == [("render.localhost", "notice", 8)]


def test_validate_envoy_json_for_an_invalid_config(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": BROKEN})
    code, stdout, _ = cli("validate", "--envoy", "--format", "json", str(root / "config.yaml"))
    assert code == 3
    assert json.loads(stdout)["envoy"] is None


def _rejecting_envoy(tmp_path: Path) -> Path:
    """An envoy at the $PLANOAI_ENVOY seam that knows its version and refuses every config."""
    import sys

    fake = tmp_path / "envoy"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "if sys.argv[1:] == ['--version']:\n"
        "    sys.exit(print('envoy  version: abc/1.37.0/Clean/RELEASE'))\n"
        "print(\"error initializing configuration 'envoy.yaml': route: unknown cluster 'x'\", "
        "file=sys.stderr)\nsys.exit(1)\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    return fake


def test_validate_envoy_reports_envoys_own_message(
    cli: Cli, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project({"config.yaml": CANONICAL})
    monkeypatch.setenv("PLANOAI_ENVOY", str(_rejecting_envoy(tmp_path)))
    code, stdout, err = cli("validate", "--envoy", str(root / "config.yaml"))
    assert (code, stdout) == (4, "")
    assert err.splitlines()[:3] == [
        "Envoy 1.37.0 rejected the rendered envoy.yaml:",
        "  error initializing configuration 'envoy.yaml': route: unknown cluster 'x'",
        f"error: {root / 'config.yaml'}: Envoy rejected the rendered configuration (the wasm plugins were stood in "
        "by a pass-through module, so Plano's plugins did not read the embedded config)",
    ]
    code, stdout, _ = cli("validate", "--envoy", "--format", "json", str(root / "config.yaml"))
    assert code == 4
    assert json.loads(stdout)["envoy"] == {
        "ok": False,
        "version": "1.37.0",
        "standin_plugins": True,
        "output": "error initializing configuration 'envoy.yaml': route: unknown cluster 'x'",
    }


def test_json_output_names_the_declared_version_of_an_invalid_config(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": BROKEN.replace("version: v0.4.0", "version: v0.1")})
    code, out, _ = cli("validate", "--format", "json", str(root / "config.yaml"))
    assert code == 3
    assert json.loads(out)["version"] == "v0.1.0"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {},
            {
                "code": "config.refused",
                "path": "(file)",
                "line": None,
                "column": None,
                "message": "config file {root}/nope.yaml does not exist",
                "hint": "check the path, or omit FILE to search --path for a config",
            },
        ),
        (
            {"nope.yaml": "version: v0.4.0\nlisteners:\n  - name: a\n   type: model\n"},
            {
                "code": "config.refused",
                "path": "(file)",
                "line": 4,
                "column": 4,
                "message": "YAML syntax error: the indentation of this line does not fit the lines above it",
                "hint": "indent the entries of one list or mapping by the same number of spaces",
            },
        ),
    ],
)
def test_json_output_for_a_file_that_cannot_be_read(
    cli: Cli, project: Project, files: dict[str, str], expected: dict[str, object]
) -> None:
    root = project(files)
    code, out, err = cli("validate", "--format", "json", str(root / "nope.yaml"))
    assert (code, err) == (3, "")
    expected = {**expected, "message": str(expected["message"]).format(root=root)}
    assert json.loads(out) == {"valid": False, "version": None, "errors": [expected], "warnings": []}


def test_migrate_leaves_a_canonical_file_and_its_comments_alone(cli: Cli, project: Project) -> None:
    commented = "# our gateway\n" + CANONICAL.replace("    port: 12000\n", "    port: 12000  # published\n")
    root = project({"config.yaml": commented})
    for flags in (("--diff",), ("--write",)):
        code, out, err = cli("migrate", *flags, str(root / "config.yaml"))
        assert (code, out) == (0, "")
        assert err == f"{root / 'config.yaml'} is already in the canonical form; nothing to change\n"
    assert (root / "config.yaml").read_text() == commented
    assert not (root / "config.yaml.bak").exists()


def test_migrate_write_twice_keeps_the_original_backup(cli: Cli, project: Project) -> None:
    root = project({"config.yaml": LEGACY})
    assert cli("migrate", "--write", str(root / "config.yaml"))[0] == 0
    migrated = (root / "config.yaml").read_text()
    code, _, err = cli("migrate", "--write", str(root / "config.yaml"))
    assert code == 0
    assert err.endswith("is already in the canonical form; nothing to change\n")
    assert (root / "config.yaml").read_text() == migrated
    assert (root / "config.yaml.bak").read_text() == LEGACY


def test_logs_since_must_be_a_duration_or_timestamp(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("logs", "--path", str(tmp_path), "--since", "yesterday")
    assert code == 2
    assert "--since 'yesterday' is not a duration or timestamp" in err


# --- upstream's flags and spellings, and near misses ---------------------------------------------------------


@pytest.mark.parametrize("command", ["up", "down", "logs", "build"])
def test_docker_is_accepted_and_shown_as_always_on(cli: Cli, command: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert "--docker" in out
    assert "Accepted for compatibility with upstream planoai; always on" in " ".join(out.split())


@pytest.mark.parametrize(
    "args",
    [
        ("up", "--docker"),
        ("down", "--docker"),
        ("logs", "--docker", "--debug", "--follow"),
        ("logs", "--debug", "-c", "supervisord"),
        ("build", "--docker"),
    ],
)
def test_upstream_gateway_flags_get_past_the_command_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    # No engine answers, so each command gets as far as looking for one: exit 6, not a usage error (2).
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    (tmp_path / "config.yaml").write_text(CANONICAL, encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    extra = () if args[0] == "build" else ("--path", str(tmp_path))
    code, _, err = cli(*args, *extra)
    assert code == 6, err
    assert "no Docker engine answered" in err


def test_logs_help_says_what_debug_and_the_default_show(cli: Cli) -> None:
    code, out, _ = cli("logs", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "With neither -c nor --debug every component is shown: access, envoy, brightstaff and supervisord" in text
    assert "Upstream's default, access logs only, is -c access." in text
    assert (
        "--debug Upstream's debug view: the same as -c access -c envoy -c brightstaff, added to any -c given." in text
    )


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (("logs", "--debgu"), "--debug"),
        (("logs", "--folow"), "--follow"),
        (("logs", "--componet", "envoy"), "--component"),
        (("up", "--dokcer"), "--docker"),
        (("up", "--verbos"), "--verbose"),  # not --version, which is the group's, not up's
        (("up", "--foregroud"), "--foreground"),
        (("up", "--keep-on-failur"), "--keep-on-failure"),
        (("init", "--clen"), "--clean"),  # click's own pick was --force
        (("init", "--list-templats"), "--list-templates"),
        (("init", "--lis"), "--list"),
        (("cli-agent", "claude", "--setings", "{}"), "--settings"),
        (("--versoin",), "--version"),
    ],
)
def test_a_near_miss_names_the_closest_flag(cli: Cli, args: tuple[str, ...], suggestion: str) -> None:
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    typo = next(a for a in args if a.startswith("--"))
    assert err.splitlines()[-1] == f"Error: No such option {typo!r}. Did you mean {suggestion!r}?"


@pytest.mark.parametrize("args", [("logs", "--xyz"), ("init", "--zzzzzz"), ("up", "-z")])
def test_a_flag_near_nothing_gets_no_guess(cli: Cli, args: tuple[str, ...]) -> None:
    code, _, err = cli(*args)
    assert code == 2
    assert err.splitlines()[-1] == f"Error: No such option {args[-1]!r}."


@pytest.mark.parametrize(
    ("typed", "flags", "expected"),
    [
        ("--verbos", ("--version", "--verbose", "--force"), "--verbose"),
        ("--versio", ("--verbose", "--version"), "--version"),
        ("--list-templates", ("--template", "--output", "--force", "--list", "--json"), "--list"),
        ("--clen", ("--template", "--output", "--force", "--list", "--json"), None),
        ("--temp", ("--tag", "--template"), "--template"),
        ("--debug", ("--debug",), "--debug"),
        ("-d", ("--debug",), None),
    ],
)
def test_closest_flag(typed: str, flags: tuple[str, ...], expected: str | None) -> None:
    assert closest_flag(typed, flags) == expected


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("debgu", "debug") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3
