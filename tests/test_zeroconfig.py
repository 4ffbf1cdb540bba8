"""Zero-config `up`: key detection, the synthesized file (valid, accepted by Envoy), where it goes, and refusals."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli import zeroconfig
from planoai_cli.errors import ConfigError, UsageError
from planoai_cli.fs import LEDGER
from planoai_cli.gateway.options import Target
from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.render import check_with_envoy

Cli = Callable[..., tuple[int, str, str]]
KEY = "sk-zero-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in zeroconfig.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # these tests must never reach Docker


def folder(tmp_path: Path, dotenv: str | None = None) -> Path:
    root = tmp_path / "work"
    root.mkdir()
    if dotenv is not None:
        (root / ".env").write_text(dotenv, encoding="utf-8")
    return root


def test_detection_prefers_the_shell_and_skips_empty_values(tmp_path: Path) -> None:
    root = folder(tmp_path, f'OPENAI_API_KEY=from-dotenv\nGROQ_API_KEY=""\nOPENROUTER_API_KEY="{KEY}"\n')
    env = {"OPENAI_API_KEY": KEY, "GOOGLE_API_KEY": KEY, "MISTRAL_API_KEY": "  "}
    found = zeroconfig.detect(env, root / ".env")
    assert [(f.provider.prefix, f.variable, f.origin) for f in found] == [
        ("openai", "OPENAI_API_KEY", "environment"),
        ("gemini", "GOOGLE_API_KEY", "environment"),
        ("openrouter", "OPENROUTER_API_KEY", str(root / ".env")),
    ]


def test_the_synthesized_text(tmp_path: Path) -> None:
    root = folder(tmp_path, f"OPENROUTER_API_KEY={KEY}\n")
    zero = zeroconfig.synthesize({"ANTHROPIC_API_KEY": KEY, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}, root, port=12345)
    assert zero.path == tmp_path / "xdg" / "planoai" / "zero-config.yaml"
    assert zero.text == (
        f"# Zero-config, written by planoai because {root} has no config; rewritten on every zero-config start.\n"
        "# One wildcard provider per key found: ANTHROPIC_API_KEY, OPENROUTER_API_KEY.\n"
        "# Clients choose the provider by the model's prefix, e.g. `anthropic/<model id>`.\n"
        "# To customize, copy this file into your project as config.yaml and edit it.\n"
        "version: v0.4.0\n"
        "\n"
        "listeners:\n"
        "  - name: llm\n"
        "    type: model\n"
        "    port: 12345\n"
        "\n"
        "model_providers:\n"
        "  - model: anthropic/*\n"
        "    access_key: $ANTHROPIC_API_KEY\n"
        "  - model: openrouter/*\n"
        "    base_url: https://openrouter.ai/api/v1\n"
        "    access_key: $OPENROUTER_API_KEY\n"
    )
    assert KEY not in zero.text


def test_every_provider_at_once_validates_cleanly_and_envoy_accepts_it(tmp_path: Path) -> None:
    env = {provider.variables[0]: KEY for provider in zeroconfig.PROVIDERS}
    zero = zeroconfig.synthesize(env, folder(tmp_path))
    validated = validate_raw(raw_from_text(zero.path, zero.text))
    assert validated.findings == ()
    assert [p.model for p in validated.config.providers] == [f"{p.prefix}/*" for p in zeroconfig.PROVIDERS]
    assert sorted(r.name for r in validated.config.secrets) == sorted(env)
    verdict = check_with_envoy(validated.config)
    assert verdict.check.ok, verdict.check.output


def test_no_key_gives_a_pass_through_config_that_validates_cleanly_and_envoy_accepts(tmp_path: Path) -> None:
    root = folder(tmp_path)
    zero = zeroconfig.synthesize({"XDG_CONFIG_HOME": str(tmp_path / "xdg")}, root, port=12345, passthrough=True)
    assert (zero.passthrough, zero.found) == (True, ())
    assert zero.text.startswith(
        f"# Zero-config, written by planoai because {root} has no config; rewritten on every zero-config start.\n"
        "# No provider key was found, so this is a pass-through gateway: each request's own credential (its\n"
    )
    assert "access_key" not in zero.text
    validated = validate_raw(raw_from_text(zero.path, zero.text))
    assert validated.findings == ()
    assert [(p.model, p.passthrough_auth) for p in validated.config.providers] == [
        (f"{p.prefix}/*", True) for p in zeroconfig.PROVIDERS
    ]
    assert validated.config.secrets == ()
    verdict = check_with_envoy(validated.config)
    assert verdict.check.ok, verdict.check.output
    # A key anywhere turns it off: only keyed providers, as before.
    keyed = zeroconfig.synthesize({"OPENAI_API_KEY": KEY}, root, passthrough=True)
    assert (keyed.passthrough, [f.variable for f in keyed.found]) == (False, ["OPENAI_API_KEY"])


def test_where_the_file_goes() -> None:
    assert zeroconfig.config_path({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}) == Path("/x/planoai/zero-config.yaml")
    assert zeroconfig.config_path({"HOME": "/h"}) == Path("/h/.config/planoai/zero-config.yaml")


def test_no_key_is_a_clear_error(tmp_path: Path) -> None:
    root = folder(tmp_path)
    with pytest.raises(ConfigError) as caught:
        zeroconfig.resolve(Target(search_dir=root), {}, None, write_file=True)
    assert caught.value.message == (
        f"no config found in {root} (looked for config.yaml, plano_config.yaml, arch_config.yaml), and no provider "
        f"key to build one from in the environment or {root / '.env'}"
    )
    assert caught.value.hint == (
        "set one of OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY, GROQ_API_KEY, MISTRAL_API_KEY, "
        "DEEPSEEK_API_KEY, XAI_API_KEY, TOGETHER_API_KEY, MOONSHOT_API_KEY, ZHIPUAI_API_KEY, DO_API_KEY, "
        "OPENROUTER_API_KEY, AI_GATEWAY_API_KEY, EDENAI_API_KEY (in the shell or .env), or write a config: "
        "planoai init"
    )


def test_resolution_writes_the_file_and_carries_dotenv_keys(tmp_path: Path) -> None:
    root = folder(tmp_path, f"OPENAI_API_KEY={KEY}\nUNRELATED=1\n")
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "GROQ_API_KEY": "shell-groq"}
    resolved = zeroconfig.resolve(Target(search_dir=root), env, 13000, write_file=True)
    assert resolved.zero is not None
    written = tmp_path / "xdg" / "planoai" / "zero-config.yaml"
    assert resolved.target == Target(file=written, search_dir=root, project="work")
    assert written.read_text(encoding="utf-8") == resolved.zero.text
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert "    port: 13000\n" in resolved.zero.text
    assert resolved.environment == {**env, "OPENAI_API_KEY": KEY}  # only the key found in .env joins the shell
    # No temporary file left behind; the ledger records what planoai wrote (an edited file is kept, not lost).
    assert sorted(written.parent.iterdir()) == [written.parent / LEDGER, written]


def test_a_hand_edited_zero_config_is_kept_before_it_is_rewritten(cli: Cli, tmp_path: Path) -> None:
    root = folder(tmp_path, f"OPENAI_API_KEY={KEY}\n")
    written = tmp_path / "xdg" / "planoai" / "zero-config.yaml"
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    first = zeroconfig.resolve(Target(search_dir=root), env, 13000, write_file=True).zero
    assert first is not None
    assert first.backup is None
    again = zeroconfig.resolve(Target(search_dir=root), env, 13001, write_file=True).zero  # planoai's own: replaced
    assert again is not None
    assert again.backup is None
    edited = written.read_text(encoding="utf-8") + "# tuned by hand\n"
    written.write_text(edited, encoding="utf-8")
    code, _, err = cli("up", "--path", str(root))
    assert code == 6  # as far as Docker, which these tests point nowhere
    assert (
        f"warning: {written} had been edited since planoai wrote it; your version was kept as {written}.bak "
        "(copy it to config.yaml in your project to use it)"
    ) in err.replace("\n", " ")
    assert (tmp_path / "xdg" / "planoai" / "zero-config.yaml.bak").read_text(encoding="utf-8") == edited
    assert "# tuned by hand" not in written.read_text(encoding="utf-8")


def test_a_config_or_an_explicit_file_turns_zero_config_off(tmp_path: Path) -> None:
    root = folder(tmp_path)
    env = {"OPENAI_API_KEY": KEY}
    explicit = Target(file=root / "missing.yaml", search_dir=root)
    assert zeroconfig.resolve(explicit, env, None, write_file=True).zero is None  # discovery reports it missing
    assert zeroconfig.resolve(Target(search_dir=root / "nope"), env, None, write_file=True).zero is None
    (root / "plano_config.yaml").write_text("version: v0.4.0\n", encoding="utf-8")
    assert zeroconfig.resolve(Target(search_dir=root), env, None, write_file=True).zero is None
    with pytest.raises(UsageError, match="--listener-port only applies to zero-config"):
        zeroconfig.resolve(Target(search_dir=root), env, 13000, write_file=True)


def test_up_without_keys_starts_pass_through_and_says_so(cli: Cli, tmp_path: Path) -> None:
    root = folder(tmp_path)
    code, out, err = cli("up", "--path", str(root))
    assert code == 6  # it got as far as Docker, which these tests point nowhere (the real start is a Docker test)
    assert out == ""
    assert (
        f"no config in {root} and no provider key in the environment or {root / '.env'}: starting a "
        "pass-through gateway; clients must send their own API key"
    ) in err.replace("\n", " ")
    written = tmp_path / "xdg" / "planoai" / "zero-config.yaml"
    assert "passthrough_auth: true" in written.read_text(encoding="utf-8")


def test_cli_agent_asks_for_its_provider_so_no_key_stays_an_error(cli: Cli, tmp_path: Path) -> None:
    root = folder(tmp_path)
    code, out, err = cli("cli-agent", "claude", "--path", str(root))
    assert code == 3
    assert out == ""
    assert f"error: no config found in {root}" in err
    assert "hint: set one of OPENAI_API_KEY, ANTHROPIC_API_KEY" in err
    assert not (tmp_path / "xdg").exists()


def test_up_with_a_missing_file_never_falls_back(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = folder(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    code, _, err = cli("up", str(root / "config.yml"))
    assert code == 3
    assert f"error: config file {root / 'config.yml'} does not exist" in err
    assert "zero-config" not in err
    assert not (tmp_path / "xdg").exists()


def test_listener_port_with_a_config_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "config.yaml").write_text("version: v0.4.0\n", encoding="utf-8")
    code, _, err = cli("up", "--path", str(root), "--listener-port", "13000")
    assert code == 2
    assert "error: --listener-port only applies to zero-config (no config file found)" in err
