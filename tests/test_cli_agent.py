"""`planoai cli-agent` without Docker: the plan (env, args, models), dry run, refusals, the real child process."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli.agent import launch, settings
from planoai_cli.agent.plan import PLACEHOLDER_KEY, Change, check
from planoai_cli.agent.profiles import AGENTS, claude, codex, codex_model_argument
from planoai_cli.agent.routes import route
from planoai_cli.agent.settings import AgentSettings
from planoai_cli.errors import PlanoError
from planoai_cli.model import PlanoConfig
from planoai_cli.pipeline import raw_from_text, validate_raw
from tests.fakeagent import FOLDER, FakeAgent, install

Cli = Callable[..., tuple[int, str, str]]
BASE = "http://127.0.0.1:12000"
SHELL_KEY = "sk-ant-shell-0123456789abcdef"

CODING = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    port: 12000
model_providers:
  - model: anthropic/claude-sonnet-4-5
    access_key: $ANTHROPIC_API_KEY
    default: true
  - model: anthropic/*
    access_key: $ANTHROPIC_API_KEY
  - name: gpt
    model: openai/gpt-5-codex
    access_key: $OPENAI_API_KEY
model_aliases:
  claude-opus: {target: anthropic/claude-opus-4-1}
  claude-sonnet: {target: anthropic/claude-sonnet-4-5}
  claude-haiku: {target: anthropic/claude-haiku-4-5}
  codex: {target: gpt-5-codex}
"""

NO_ALIASES = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    port: 12000
model_providers:
  - model: anthropic/*
    access_key: $ANTHROPIC_API_KEY
"""


def config(text: str) -> PlanoConfig:
    return validate_raw(raw_from_text(Path("config.yaml"), text)).config


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeAgent:
    return install(tmp_path, monkeypatch)


# --- the plan ---------------------------------------------------------------------------------------------


def test_claude_environment_from_the_coding_aliases() -> None:
    plan = claude(config(CODING), BASE, {"ANTHROPIC_API_KEY": SHELL_KEY, "HOME": "/h"}, ("-p", "hi"))
    assert plan.child_env({"ANTHROPIC_API_KEY": SHELL_KEY, "HOME": "/h"}) == {
        "HOME": "/h",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:12000",
        "ANTHROPIC_AUTH_TOKEN": PLACEHOLDER_KEY,
        "API_TIMEOUT_MS": "600000",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-opus",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku",
        "ANTHROPIC_SMALL_FAST_MODEL": "claude-haiku",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    assert plan.args == ("-p", "hi")
    assert plan.notes[0].startswith("ANTHROPIC_API_KEY is set in your shell: it is removed")
    assert [f.level for f in check(plan, config(CODING))] == ["ok", "ok", "ok"]


def test_claude_legacy_alias_shell_values_and_builtin_models() -> None:
    text = CODING.replace(
        "  claude-haiku: {target: anthropic/claude-haiku-4-5}\n",
        "  arch.claude.code.small.fast: {target: anthropic/claude-haiku-4-5}\n",
    ).replace("  claude-opus: {target: anthropic/claude-opus-4-1}\n", "")
    shell = {
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "anthropic/claude-opus-4-1",
        "API_TIMEOUT_MS": "900000",
        "NO_PROXY": "corp.example,localhost",
    }
    plan = claude(config(text), BASE, shell, ())
    env = plan.child_env(shell)
    assert env["ANTHROPIC_DEFAULT_OPUS_MODEL"] == "anthropic/claude-opus-4-1"  # no opus alias: the shell's choice
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "arch.claude.code.small.fast"
    assert env["ANTHROPIC_SMALL_FAST_MODEL"] == "arch.claude.code.small.fast"
    assert env["API_TIMEOUT_MS"] == "900000"
    assert env["NO_PROXY"] == "corp.example,localhost,127.0.0.1"
    assert Change("ANTHROPIC_DEFAULT_OPUS_MODEL", "anthropic/claude-opus-4-1", "kept from your shell") in plan.changes
    verdicts = {f.request.label: f.message for f in check(plan, config(text))}
    assert verdicts["ANTHROPIC_DEFAULT_OPUS_MODEL=anthropic/claude-opus-4-1"] == (
        "ANTHROPIC_DEFAULT_OPUS_MODEL=anthropic/claude-opus-4-1: wildcard provider 'anthropic/*'"
    )


def test_claude_without_aliases_warns_about_its_builtin_models() -> None:
    plan = claude(config(NO_ALIASES), BASE, {}, ())
    assert "ANTHROPIC_DEFAULT_SONNET_MODEL" not in plan.child_env({})
    findings = check(plan, config(NO_ALIASES))
    assert [f.level for f in findings] == ["warning", "warning", "warning"]
    assert findings[0].message == (
        "Claude Code's built-in opus model is not routable by this config (no matching alias, no default provider); "
        "fix: add a model alias whose name contains 'opus' (e.g. `claude-opus: {target: anthropic/<model id>}` "
        "under model_aliases)"
    )


def test_codex_model_comes_from_the_alias_then_the_default_provider() -> None:
    plan = codex(config(CODING), BASE, {"OPENAI_API_KEY": "sk-real-0123456789"}, ("exec", "fix it"))
    assert plan.args == ("-c", 'model="codex"', "exec", "fix it")
    assert plan.child_env({"OPENAI_API_KEY": "sk-real-0123456789"}) == {
        "OPENAI_BASE_URL": "http://127.0.0.1:12000/v1",
        "OPENAI_API_KEY": PLACEHOLDER_KEY,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    assert plan.notes[0].startswith("OPENAI_API_KEY is set in your shell: Codex gets a placeholder")
    without_alias = codex(config(CODING.replace("  codex: {target: gpt-5-codex}\n", "")), BASE, {}, ())
    assert without_alias.args == ("-c", 'model="anthropic/claude-sonnet-4-5"')


def test_codex_keeps_a_model_the_user_chose() -> None:
    assert codex(config(CODING), BASE, {}, ("-m", "gpt")).args == ("-m", "gpt")
    assert codex_model_argument(("-c", "model='o3'", "-c", "x=1")) == "o3"
    assert codex_model_argument(("--model=gpt", "--", "-m", "other")) == "gpt"
    assert codex_model_argument(("exec", "hi")) is None


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("codex", "alias of 'gpt-5-codex', provider 'gpt'"),
        ("gpt", "provider 'gpt'"),
        ("openai/gpt-5-codex", "provider 'gpt'"),
        ("claude-sonnet-4-5", "provider 'anthropic/claude-sonnet-4-5'"),
        ("anthropic/claude-3-haiku", "wildcard provider 'anthropic/*'"),
        ("gpt-4o", "not configured: the gateway sends it to the default provider 'anthropic/claude-sonnet-4-5'"),
    ],
)
def test_routes(model: str, expected: str) -> None:
    assert route(config(CODING), model).describe() == expected


def test_a_bare_id_is_not_served_by_a_wildcard() -> None:
    found = route(config(NO_ALIASES), "claude-opus-4-1")
    assert (found.via, found.describe()) == ("none", "not configured, and there is no default provider to fall back to")


# --- the command, without Docker ---------------------------------------------------------------------------


def write_project(root: Path, text: str = CODING) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(text, encoding="utf-8")
    return root / "config.yaml"


def test_dry_run_prints_the_plan_with_keys_masked(
    cli: Cli, agent: FakeAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(tmp_path / "coding")
    monkeypatch.setenv("ANTHROPIC_API_KEY", SHELL_KEY)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # any Docker call would fail
    code, out, err = cli("cli-agent", "claude", str(path), "--dry-run", "--", "--model", "claude-opus", "-p", "a b")
    assert code == 0, err
    assert out.splitlines() == [
        "cli-agent claude (dry run: nothing was started and Docker was not contacted)",
        f"config: {path} (project 'coding', model listener port 12000)",
        "environment changes:",
        "  set   ANTHROPIC_BASE_URL=http://127.0.0.1:12000",
        "  set   ANTHROPIC_AUTH_TOKEN=********er (27 chars)  (a placeholder: the gateway adds the real key)",
        "  unset ANTHROPIC_API_KEY  (Claude Code would use it instead of the token)",
        "  set   API_TIMEOUT_MS=600000",
        "  set   ANTHROPIC_DEFAULT_OPUS_MODEL=claude-opus  (alias 'claude-opus')",
        "  set   ANTHROPIC_DEFAULT_SONNET_MODEL=claude-sonnet  (alias 'claude-sonnet')",
        "  set   ANTHROPIC_DEFAULT_HAIKU_MODEL=claude-haiku  (alias 'claude-haiku')",
        "  set   ANTHROPIC_SMALL_FAST_MODEL=claude-haiku  (legacy variable: the haiku choice)",
        "  set   NO_PROXY=127.0.0.1,localhost",
        "models:",
        "  ok       ANTHROPIC_DEFAULT_OPUS_MODEL=claude-opus: alias of 'anthropic/claude-opus-4-1', wildcard provider "
        "'anthropic/*'",
        "  ok       ANTHROPIC_DEFAULT_SONNET_MODEL=claude-sonnet: alias of 'anthropic/claude-sonnet-4-5', provider "
        "'anthropic/claude-sonnet-4-5'",
        "  ok       ANTHROPIC_DEFAULT_HAIKU_MODEL=claude-haiku: alias of 'anthropic/claude-haiku-4-5', wildcard "
        "provider 'anthropic/*'",
        "  ok       --model argument 'claude-opus': alias of 'anthropic/claude-opus-4-1', wildcard provider "
        "'anthropic/*'",
        "command:",
        f"  {FOLDER / 'claude'} --model claude-opus -p 'a b'",
    ]
    assert "warning: ANTHROPIC_API_KEY is set in your shell" in err
    assert SHELL_KEY not in out + err
    assert PLACEHOLDER_KEY not in out
    assert not agent.ran


def test_the_underscore_spelling_is_accepted_and_hidden(cli: Cli, agent: FakeAgent, tmp_path: Path) -> None:
    path = write_project(tmp_path / "coding")
    code, out, err = cli("cli_agent", "codex", str(path), "--dry-run", "--", "exec", "hi")
    assert code == 0, err
    assert out.splitlines()[-1] == f"  {FOLDER / 'codex'} -c 'model=\"codex\"' exec hi"
    assert "  set   OPENAI_API_KEY=********er (27 chars)  (a placeholder: the gateway adds the real key)" in out
    assert "cli_agent" not in cli("--help")[1]
    assert "cli-agent" in cli("--help")[1]


def test_arguments_after_the_separator_never_become_file(
    cli: Cli, agent: FakeAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path / "coding")
    monkeypatch.chdir(tmp_path / "coding")
    code, out, err = cli("cli-agent", "codex", "--dry-run", "--", "other.yaml")
    assert code == 0, err
    assert out.splitlines()[-1].endswith("codex -c 'model=\"codex\"' other.yaml")


def test_missing_agent_gets_the_install_hint_before_docker(
    cli: Cli, agent: FakeAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(tmp_path / "coding")
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    code, _, err = cli("cli-agent", "claude", str(path))
    assert code == 127
    assert "error: Claude Code is not installed: no `claude` executable on PATH" in err
    assert "hint: install it with `npm install -g @anthropic-ai/claude-code`, then run this command again" in err
    code, out, err = cli("cli-agent", "codex", str(path), "--dry-run")
    assert code == 127
    assert "hint: install it with `npm install -g @openai/codex`" in err
    assert out.splitlines()[-1] == "  codex -c 'model=\"codex\"'"  # the plan is still shown


def test_an_unroutable_model_stops_the_launch(
    cli: Cli, agent: FakeAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(tmp_path / "coding", NO_ALIASES)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    code, _, err = cli("cli-agent", "claude", str(path), "--", "--model", "claude-opus-4-1")
    assert code == 3
    assert (
        "error: --model argument 'claude-opus-4-1': not configured, and there is no default provider to fall "
        "back to; fix: pass a model alias, a provider name or a configured `provider/model` instead"
    ) in err
    assert "warning: Claude Code's built-in sonnet model is not routable by this config" in err
    assert f"error: {path} cannot route what Claude Code will ask for: claude-opus-4-1" in err
    assert "hint: fix the config or the agent's arguments as listed above, or pass --no-model-check" in err
    assert not agent.ran
    code, out, _ = cli("cli-agent", "claude", str(path), "--dry-run", "--no-model-check", "--", "--model", "x")
    assert code == 0
    assert "  error    --model argument 'x': not configured" in out


def test_a_missing_explicit_file_is_an_error_not_zero_config(
    cli: Cli, agent: FakeAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-0123456789abcdef")
    code, _, err = cli("cli-agent", "codex", str(tmp_path / "nope.yaml"), "--dry-run")
    assert code == 3
    assert f"config file {tmp_path / 'nope.yaml'} does not exist" in err


def test_zero_config_dry_run_writes_nothing(
    cli: Cli, agent: FakeAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bare").mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-0123456789abcdef")
    code, out, err = cli("cli-agent", "codex", "--path", str(tmp_path / "bare"), "--dry-run", "--", "-m", "openai/o3")
    assert code == 0, err
    assert "no config in" in err
    assert (
        f"would write {tmp_path / 'xdg' / 'planoai' / 'zero-config.yaml'}; model listener on port 12000 "
        "(--listener-port changes it)"
    ) in err
    assert f"config: {tmp_path / 'xdg' / 'planoai' / 'zero-config.yaml'} (project 'bare'" in out
    assert "  ok       model argument 'openai/o3': wildcard provider 'openai/*'" in out
    assert not (tmp_path / "xdg").exists()


# --- the child process -------------------------------------------------------------------------------------


def test_the_agent_runs_with_exactly_the_planned_environment_and_its_exit_code(
    agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SHELL_KEY)
    agent.exits_with(42, monkeypatch)
    shell = dict(os.environ)
    plan = claude(config(CODING), BASE, shell, ("--print", "two words", "--", "-x"))
    code = launch.run(launch.find_binary(AGENTS["claude"], plan.child_env(shell)), plan.args, plan.child_env(shell))
    assert code == 42
    record = agent.record()
    assert record["argv"] == ["--print", "two words", "--", "-x"]
    assert agent.env_changes(shell) == {
        "ANTHROPIC_API_KEY": None,
        "ANTHROPIC_BASE_URL": BASE,
        "ANTHROPIC_AUTH_TOKEN": PLACEHOLDER_KEY,
        "API_TIMEOUT_MS": "600000",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-opus",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku",
        "ANTHROPIC_SMALL_FAST_MODEL": "claude-haiku",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored after the agent ended


def test_an_agent_killed_by_a_signal_exits_like_a_shell_says(agent: FakeAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEAGENT_SIGNAL", str(int(signal.SIGTERM)))
    binary = launch.find_binary(AGENTS["codex"], os.environ)
    assert launch.run(binary, (), os.environ) == 128 + signal.SIGTERM


def test_an_agent_that_cannot_run_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "claude"
    broken.write_text("#!/nonexistent/interpreter\n", encoding="utf-8")
    broken.chmod(0o755)
    with pytest.raises(PlanoError) as caught:
        launch.run(str(broken), (), {"PATH": str(tmp_path)})
    assert caught.value.message == f"cannot run {broken}: No such file or directory"


# --- --settings (upstream's JSON object) ------------------------------------------------------------------

NON_INTERACTIVE_ENV = {"CI": "true", "FORCE_COLOR": "0", "NODE_NO_READLINE": "1", "TERM": "dumb"}


@pytest.fixture
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any Docker call fails, so a test that should stop before Docker can never start a gateway."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, AgentSettings()),
        ("{}", AgentSettings()),
        ('{"NON_INTERACTIVE_MODE": true}', AgentSettings(non_interactive=True)),
        ('{"NON_INTERACTIVE_MODE": "yes"}', AgentSettings(non_interactive=True)),
        ('{"NON_INTERACTIVE_MODE": 1}', AgentSettings(non_interactive=True)),
        ('{"NON_INTERACTIVE_MODE": "false"}', AgentSettings()),  # a string that says no means no
        ('{"NON_INTERACTIVE_MODE": null}', AgentSettings()),
        (
            '{"ANTHROPIC_SMALL_FAST_MODEL": " claude-haiku ", "CODEX_MODEL": "codex"}',
            AgentSettings(small_fast_model="claude-haiku", codex_model="codex"),
        ),
        (
            '{"env": {"A": "b"}, "CODEX_MODEL": "codex", "permissions": {"allow": ["Bash"]}}',
            AgentSettings(
                codex_model="codex",
                other='{"env":{"A":"b"},"permissions":{"allow":["Bash"]}}',
                other_keys=("env", "permissions"),
            ),
        ),
    ],
)
def test_settings_are_sorted_into_planoais_keys_and_claudes(given: str | None, expected: AgentSettings) -> None:
    assert settings.parse(given) == expected


def test_settings_change_claudes_environment_and_arguments() -> None:
    given = settings.parse(
        '{"NON_INTERACTIVE_MODE": true, "ANTHROPIC_SMALL_FAST_MODEL": "gpt", '
        '"apiKeyHelper": "/bin/echo sk-secret", "CODEX_MODEL": "codex"}'
    )
    plan = claude(config(CODING), BASE, {"TERM": "xterm-256color"}, ("-p", "hi"), given)
    env = plan.child_env({"TERM": "xterm-256color"})
    assert {k: env[k] for k in NON_INTERACTIVE_ENV} == NON_INTERACTIVE_ENV
    assert env["ANTHROPIC_SMALL_FAST_MODEL"] == "gpt"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "claude-haiku"  # the tiers still come from the aliases
    assert plan.args == ('--settings={"apiKeyHelper":"/bin/echo sk-secret"}', "-p", "hi")
    assert plan.notes == ("--settings: Claude Code has no use for CODEX_MODEL; ignored",)
    verdicts = {f.request.label: f.level for f in check(plan, config(CODING))}
    assert verdicts["ANTHROPIC_SMALL_FAST_MODEL=gpt"] == "ok"
    bare = claude(config(CODING), BASE, {}, ("-p", "hi"), settings.parse("{}"))
    assert bare == claude(config(CODING), BASE, {}, ("-p", "hi"))


def test_settings_change_codexs_model_and_warn_about_what_it_cannot_use() -> None:
    given = settings.parse(
        '{"NON_INTERACTIVE_MODE": "on", "CODEX_MODEL": "gpt", '
        '"ANTHROPIC_SMALL_FAST_MODEL": "claude-haiku", "permissions": {}}'
    )
    plan = codex(config(CODING), BASE, {}, ("exec", "hi"), given)
    assert plan.args == ("-c", 'model="gpt"', "exec", "hi")
    assert {k: plan.child_env({})[k] for k in NON_INTERACTIVE_ENV} == NON_INTERACTIVE_ENV
    assert plan.notes == ("--settings: Codex has no use for ANTHROPIC_SMALL_FAST_MODEL, permissions; ignored",)
    assert [f.message for f in check(plan, config(CODING))] == [
        "-c model (CODEX_MODEL from --settings) 'gpt': provider 'gpt'"
    ]
    chosen = codex(config(CODING), BASE, {}, ("-m", "codex"), settings.parse('{"CODEX_MODEL": "gpt"}'))
    assert chosen.args == ("-m", "codex")  # the user's own argument wins
    assert chosen.notes == ("--settings: CODEX_MODEL is not used: your arguments choose the model",)


def test_an_unroutable_settings_model_says_where_to_fix_it(cli: Cli, agent: FakeAgent, tmp_path: Path) -> None:
    path = write_project(tmp_path / "bare", NO_ALIASES)
    code, out, err = cli("cli-agent", "codex", str(path), "--dry-run", "--settings", '{"CODEX_MODEL": "gpt-5"}')
    assert code == 3
    assert (
        "  error    -c model (CODEX_MODEL from --settings) 'gpt-5': not configured, and there is no default "
        "provider to fall back to; fix: set CODEX_MODEL in --settings to a model alias, a provider name or a "
        "configured `provider/model`"
    ) in out.splitlines()
    assert f"error: {path} cannot route what Codex will ask for: gpt-5" in err


def test_dry_run_with_settings_shows_key_names_never_values(cli: Cli, agent: FakeAgent, tmp_path: Path) -> None:
    path = write_project(tmp_path / "coding")
    secret = "sk-ant-settings-0123456789abcdef"
    code, out, err = cli(
        "cli-agent",
        "claude",
        str(path),
        "--dry-run",
        "--settings",
        f'{{"NON_INTERACTIVE_MODE": true, "env": {{"ANTHROPIC_API_KEY": "{secret}"}}, '
        f'"apiKeyHelper": "echo {secret}"}}',
        "--",
        "-p",
        "hi",
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "  set   CI=true  (NON_INTERACTIVE_MODE in --settings)" in lines
    assert "  set   TERM=dumb  (NON_INTERACTIVE_MODE in --settings)" in lines
    assert lines[-1] == f"  {FOLDER / 'claude'} '--settings=<JSON object: env, apiKeyHelper; values hidden>' -p hi"
    assert secret not in out + err


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "{not json",
            "error: --settings is not valid JSON: Expecting property name enclosed in double quotes: line 1 "
            "column 2 (char 1)",
        ),
        ("[1]", "error: --settings must be a JSON object ({...}), not an array"),
        ('"sk-ant-0123456789"', "error: --settings must be a JSON object ({...}), not a string"),
        ("null", "error: --settings must be a JSON object ({...}), not null"),
        (
            '{"NON_INTERACTIVE_MODE": "maybe"}',
            "error: --settings: NON_INTERACTIVE_MODE must be true or false; the string given is neither",
        ),
        (
            '{"NON_INTERACTIVE_MODE": [true]}',
            "error: --settings: NON_INTERACTIVE_MODE must be true or false, not an array",
        ),
        (
            '{"CODEX_MODEL": 5}',
            "error: --settings: CODEX_MODEL must be a model name (a non-empty string), not a number",
        ),
        (
            '{"ANTHROPIC_SMALL_FAST_MODEL": " "}',
            "error: --settings: ANTHROPIC_SMALL_FAST_MODEL must be a model name (a non-empty string), "
            "not an empty string",
        ),
    ],
)
@pytest.mark.usefixtures("no_docker")
def test_bad_settings_are_a_usage_error_before_anything_runs(
    cli: Cli, agent: FakeAgent, tmp_path: Path, given: str, message: str
) -> None:
    path = write_project(tmp_path / "coding")  # no --dry-run: a real launch stops at the settings already
    code, out, err = cli("cli-agent", "claude", str(path), "--settings", given)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == message
    assert err.splitlines()[1].startswith("hint: ")
    assert "sk-ant-0123456789" not in err
    assert not agent.ran


def test_the_agent_gets_the_settings_argument_and_the_non_interactive_environment(
    agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    shell = dict(os.environ)
    plan = claude(
        config(CODING),
        BASE,
        shell,
        ("-p", "two words"),
        settings.parse('{"NON_INTERACTIVE_MODE": true, "model": "claude-sonnet", "env": {"X": "1"}}'),
    )
    code = launch.run(launch.find_binary(AGENTS["claude"], plan.child_env(shell)), plan.args, plan.child_env(shell))
    assert code == 0
    assert agent.record()["argv"] == ['--settings={"model":"claude-sonnet","env":{"X":"1"}}', "-p", "two words"]
    seen = agent.record()["env"]
    assert {k: seen[k] for k in NON_INTERACTIVE_ENV} == NON_INTERACTIVE_ENV
