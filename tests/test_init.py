"""`planoai init` without the wizard: the templates themselves, --list, --template, --output, --force, errors."""

from __future__ import annotations

import io
import itertools
import json
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli.contract import PROMPT_INGRESS_PORT, RESERVED_PORTS
from planoai_cli.init import catalog
from planoai_cli.init.create import check
from planoai_cli.init.textedit import keep_keys, key_groups
from planoai_cli.render import render
from planoai_cli.secrets import is_reference

REPO = Path(__file__).resolve().parent.parent
Cli = Callable[..., tuple[int, str, str]]
TEMPLATE_DIR = Path(catalog.__file__).parent / "templates"
IDS = catalog.ids()
EXPECTED_IDS = ("minimal", "preference-routing", "coding-agent", "sub-agents", "guardrails", "conversation-state")


def test_the_catalog_lists_exactly_the_shipped_files() -> None:
    assert IDS == EXPECTED_IDS
    assert sorted(p.name for p in TEMPLATE_DIR.glob("*")) == sorted(f"{i}.yaml" for i in (*IDS, "clean"))


# --- every template ---------------------------------------------------------------------------------


@pytest.mark.parametrize("template_id", IDS)
def test_template_is_canonical_valid_without_findings_and_renders(template_id: str, tmp_path: Path) -> None:
    text = catalog.find(template_id).text()
    result = check(text, tmp_path / "config.yaml")
    assert result.findings == ()  # no notice (nothing migrated) and no warning
    assert result.declared is not None
    assert result.declared.label == "v0.4.0"
    assert re.search(r"^version: v0\.4\.0$", text, re.M)
    rendered = render(result.config)
    assert rendered.notices == ()  # URLs already name host.docker.internal: nothing to rewrite
    assert [p.port for p in rendered.listener_ports] == sorted(li.port for li in result.config.listeners)


@pytest.mark.parametrize("template_id", IDS)
def test_template_keys_are_references_and_ports_avoid_reserved_ones(template_id: str, tmp_path: Path) -> None:
    config = check(catalog.find(template_id).text(), tmp_path / "config.yaml").config
    assert config.providers
    for provider in config.providers:
        assert provider.access_key is not None
        assert is_reference(provider.access_key), provider.access_key
    assert sum(p.default for p in config.providers) == 1
    for listener in config.listeners:
        assert listener.port not in RESERVED_PORTS
        assert listener.port != PROMPT_INGRESS_PORT
    assert not re.search(r"sk-[A-Za-z0-9]", catalog.find(template_id).text())


@pytest.mark.parametrize("template_id", IDS)
def test_template_explains_itself(template_id: str) -> None:
    lines = catalog.find(template_id).text().splitlines()
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    assert len(header) >= 4, "each template opens with a comment saying what it is for and how to use it"
    sections = [line for line in lines if re.match(r"^[a-z_]+:$", line)]
    assert sections, "the templates use block sections"
    assert sum(line.lstrip().startswith("#") for line in lines) >= 8


@pytest.mark.parametrize("template_id", IDS)
def test_envoy_accepts_the_rendered_template(template_id: str, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(catalog.find(template_id).text(), encoding="utf-8")
    code, out, err = cli("validate", "--envoy", str(path))
    assert code == 0, err
    assert err == ""
    assert out.splitlines()[0] == f"{path}: valid (canonical v0.4.0); Envoy 1.37.0 accepts the rendered envoy.yaml"


@pytest.mark.parametrize("template_id", IDS)
def test_every_choice_of_providers_stays_valid(template_id: str, tmp_path: Path) -> None:
    text = catalog.find(template_id).text()
    groups = [g.variable for g in key_groups(text)]
    assert keep_keys(text, groups).text == text  # keeping everything changes nothing, byte for byte
    for size in range(1, len(groups) + 1):
        for kept in itertools.combinations(groups, size):
            selection = keep_keys(text, kept)
            result = check(selection.text, tmp_path / "config.yaml")
            assert result.findings == ()
            used = {ref.name for ref in result.config.secrets}
            assert used == set(kept)
            assert sum(p.default for p in result.config.providers) == 1
            expected = [m for g in key_groups(text) if g.variable in kept for m in g.models]
            assert [p.model for p in result.config.providers] == expected


# --- edits when providers are dropped ------------------------------------------------------------------


def test_dropping_openai_from_coding_agent_repoints_codex_at_the_default() -> None:
    selection = keep_keys(catalog.find("coding-agent").text(), ["ANTHROPIC_API_KEY"])
    assert selection.changes == (
        "alias codex now points at anthropic/claude-sonnet-4-5-20250929 (its model was dropped)",
    )
    assert "openai/" not in selection.text
    assert "  codex:\n    target: anthropic/claude-sonnet-4-5-20250929\n" in selection.text


def test_dropping_the_default_provider_passes_default_to_the_first_kept_one() -> None:
    selection = keep_keys(catalog.find("coding-agent").text(), ["OPENAI_API_KEY"])
    assert selection.changes[0] == "openai/gpt-5-codex is now the default provider"
    assert (
        "model_providers:\n  - model: openai/gpt-5-codex\n    access_key: $OPENAI_API_KEY\n    default: true\n\n"
        in selection.text
    )
    assert selection.text.count("target: openai/gpt-5-codex") == 4


def test_dropping_a_preference_model_keeps_the_rest_and_comments() -> None:
    text = catalog.find("preference-routing").text()
    selection = keep_keys(text, ["OPENAI_API_KEY"])
    assert selection.changes == ()
    assert "anthropic" not in selection.text
    assert "    models:\n      - openai/gpt-4o\n\n  - name: code understanding" in selection.text
    assert "# Each task names the models that serve it, best first." in selection.text
    assert "  # Cheap and quick: everything that is not one of the tasks below lands here.\n" in selection.text


def test_a_preference_left_without_models_goes_and_so_does_an_empty_section() -> None:
    text = """\
# header
version: v0.4.0

listeners:
  - name: llm
    type: model
    port: 12000

model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true

  # Claude, for code.
  - model: anthropic/claude-sonnet-4-5-20250929
    access_key: $ANTHROPIC_API_KEY

# Tasks.
routing_preferences:
  - name: code
    description: Writing code.
    models:
      - anthropic/claude-sonnet-4-5-20250929
"""
    selection = keep_keys(text, ["OPENAI_API_KEY"])
    assert selection.changes == ("routing preference 'code' removed: none of its models was kept",)
    assert (
        selection.text
        == """\
# header
version: v0.4.0

listeners:
  - name: llm
    type: model
    port: 12000

model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
"""
    )


# --- the command -----------------------------------------------------------------------------------------


def test_list_is_a_table_of_ids_and_descriptions(cli: Cli) -> None:
    code, out, err = cli("init", "--list")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "ID                  DESCRIPTION"
    assert lines[1] == "minimal             One model listener (port 12000) in front of a single OpenAI model."
    assert [line.split()[0] for line in lines[1:]] == list(EXPECTED_IDS)


def test_list_json_is_an_array_of_id_and_description(cli: Cli) -> None:
    code, out, _ = cli("init", "--list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [item["id"] for item in listed] == list(EXPECTED_IDS)
    assert all(set(item) == {"id", "description"} for item in listed)
    assert listed[2]["description"] == catalog.find("coding-agent").description


def test_template_is_written_as_is_with_next_steps(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    target = tmp_path / "new" / "folder" / "gw.yaml"
    code, out, err = cli("init", "--template", "coding-agent", "--output", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8") == catalog.find("coding-agent").text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert out.splitlines() == [
        f"wrote {target} (template coding-agent)",
        f"still needed before planoai up: ANTHROPIC_API_KEY, OPENAI_API_KEY (set in your shell, or in "
        f"{target.parent / '.env'})",
        "next:",
        f"  planoai validate {target}",
        f"  planoai up {target}",
        f"  planoai cli-agent claude {target}",
        f"  planoai cli-agent codex {target}",
    ]
    assert sorted(p.name for p in target.parent.iterdir()) == ["gw.yaml"]  # no temporary file left behind


def test_keys_found_in_the_shell_or_dotenv_are_not_asked_for(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-shell-0123456789")
    (tmp_path / ".env").write_text("ANTHROPIC_API_KEY=sk-dotenv-0123456789\n", encoding="utf-8")
    code, out, _ = cli("init", "-t", "conversation-state", "-o", str(tmp_path / "config.yaml"))
    assert code == 0
    assert "still needed" not in out
    assert "sk-" not in out


def test_default_output_is_config_yaml_and_a_folder_gets_config_yaml(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("init", "-t", "minimal")[0] == 0
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == catalog.find("minimal").text()
    (tmp_path / "sub").mkdir()
    code, out, _ = cli("init", "-t", "guardrails", "-o", "sub")
    assert code == 0
    assert out.splitlines()[0] == "wrote sub/config.yaml (template guardrails)"
    assert (tmp_path / "sub" / "config.yaml").read_text(encoding="utf-8") == catalog.find("guardrails").text()
    code, out, _ = cli("init", "-t", "minimal", "-o", "new/")  # a folder that does not exist yet
    assert code == 0
    assert out.splitlines()[0] == "wrote new/config.yaml (template minimal)"
    assert (tmp_path / "new" / "config.yaml").is_file()


def test_an_existing_file_is_never_overwritten_without_force(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("# mine\n", encoding="utf-8")
    code, out, err = cli("init", "-t", "minimal", "-o", str(target))
    assert code == 1
    assert out == ""
    assert err == (
        f"error: {target} already exists; it was left untouched\n"
        "hint: pass --force to replace it, or choose another file with --output\n"
    )
    assert target.read_text(encoding="utf-8") == "# mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]


def test_force_replaces_the_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("# mine\n", encoding="utf-8")
    code, out, _ = cli("init", "-t", "sub-agents", "-o", str(target), "--force")
    assert code == 0
    assert out.splitlines()[0] == f"replaced {target} (template sub-agents)"
    assert target.read_text(encoding="utf-8") == catalog.find("sub-agents").text()


def test_output_dash_prints_the_template(cli: Cli) -> None:
    code, out, _ = cli("init", "-t", "minimal", "-o", "-")
    assert code == 0
    assert out == catalog.find("minimal").text()


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        (
            "minmal",
            "hint: did you mean 'minimal'? templates: minimal, preference-routing, coding-agent, sub-agents, "
            "guardrails, conversation-state (planoai init --list describes them)",
        ),
        (
            "nothing-like-it",
            "hint: templates: minimal, preference-routing, coding-agent, sub-agents, guardrails, "
            "conversation-state (planoai init --list describes them)",
        ),
    ],
)
def test_unknown_template_is_a_usage_error_with_a_suggestion(cli: Cli, tmp_path: Path, given: str, hint: str) -> None:
    code, out, err = cli("init", "-t", given, "-o", str(tmp_path / "config.yaml"))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"error: unknown template {given!r}", hint]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("upstream", "ours"), sorted(catalog.UPSTREAM_IDS.items()))
def test_upstream_template_ids_write_the_equivalent_template(cli: Cli, upstream: str, ours: str) -> None:
    code, out, err = cli("init", "-t", upstream, "-o", "-")
    assert code == 0, err
    assert out == catalog.find(ours).text()
    assert err == f"upstream's template {upstream!r} is {ours!r} here\n"


def test_without_a_terminal_and_without_flags_it_says_which_flags_to_use(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, err = cli("init")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: no template given, and the wizard needs a terminal (stdin and stdout)",
        "hint: planoai init --template ID [--output PATH] [--force] writes a template without questions; "
        "planoai init --list shows the template IDs",
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [("--json",), ("--list", "-t", "minimal"), ("-t", "minimal", "--json"), ("-o", "-")])
def test_flag_combinations_that_make_no_sense(cli: Cli, args: tuple[str, ...]) -> None:
    code, _, err = cli("init", *args)
    assert code == 2
    assert err.startswith("error: ")


def test_the_wheel_ships_the_templates(tmp_path: Path) -> None:
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
            str(tmp_path / "wheels"),
            str(REPO),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "wheels").glob("planoai_cli-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert sorted(n for n in archive.namelist() if n.startswith("planoai_cli/init/templates/")) == sorted(
            f"planoai_cli/init/templates/{i}.yaml" for i in (*IDS, "clean")
        )
        archive.extractall(tmp_path / "site")
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); from planoai_cli.init import catalog; "
        "print(catalog.__file__); print(catalog.find('coding-agent').text(), end='')"
    )
    shown = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=60,
    ).stdout
    location, text = shown.split("\n", 1)
    assert location == str(tmp_path / "site" / "planoai_cli" / "init" / "catalog.py")
    assert text == catalog.find("coding-agent").text()


# --- upstream's --list-templates and --clean ---------------------------------------------------------------


def test_list_templates_is_list(cli: Cli) -> None:
    assert cli("init", "--list-templates") == cli("init", "--list")
    assert cli("init", "--list-templates", "--json") == cli("init", "--list", "--json")
    assert "--list, --list-templates" in cli("init", "--help")[1]


def test_clean_is_valid_canonical_and_names_no_provider(cli: Cli, tmp_path: Path) -> None:
    text = catalog.CLEAN.text()
    result = check(text, tmp_path / "config.yaml")
    assert result.findings == ()
    assert result.declared is not None
    assert result.declared.label == "v0.4.0"
    assert [(li.name, li.type, li.port) for li in result.config.listeners] == [("llm", "model", 12000)]
    assert result.config.providers == ()
    assert result.config.aliases == ()
    assert result.config.secrets == ()
    assert re.search(r"^model_providers: \[\]$", text, re.M)  # the place to fill in is there, and empty
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli("validate", "--envoy", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"{path}: valid (canonical v0.4.0); Envoy 1.37.0 accepts the rendered envoy.yaml"


def test_clean_explains_what_to_fill_in() -> None:
    lines = catalog.CLEAN.text().splitlines()
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    assert len(header) >= 4
    comments = "\n".join(line for line in lines if line.lstrip().startswith("#"))
    for needed in ("model_providers", "access_key: $", "default: true", "base_url", "provider_interface"):
        assert needed in comments


def test_clean_example_filled_in_is_a_working_config(tmp_path: Path) -> None:
    # What the comments tell you to do: replace `[]` with an entry like the example.
    text = catalog.CLEAN.text().replace(
        "model_providers: []\n",
        "model_providers:\n  - model: openai/gpt-4o-mini\n    access_key: $OPENAI_API_KEY\n    default: true\n",
    )
    result = check(text, tmp_path / "config.yaml")
    assert result.findings == ()
    assert [p.model for p in result.config.providers] == ["openai/gpt-4o-mini"]


def test_init_clean_writes_it_with_next_steps(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    code, out, err = cli("init", "--clean", "-o", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8") == catalog.CLEAN.text()
    assert out.splitlines() == [
        f"wrote {target} (template clean)",
        "next:",
        f"  add a provider under model_providers in {target} (its comments show how)",
        f"  planoai validate {target}",
        f"  planoai up {target}",
    ]
    assert cli("validate", str(target))[0] == 0
    code, _, err = cli("init", "--clean", "-o", str(target))
    assert code == 1
    assert "already exists" in err
    assert cli("init", "--clean", "-o", str(target), "--force")[0] == 0


def test_init_clean_prints_with_output_dash(cli: Cli) -> None:
    assert cli("init", "--clean", "-o", "-") == (0, catalog.CLEAN.text(), "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--clean", "--template", "minimal"),
            "error: --clean and --template do not go together: --clean writes a blank config instead of a template",
        ),
        (
            ("-t", "coding-agent", "--clean"),
            "error: --clean and --template do not go together: --clean writes a blank config instead of a template",
        ),
        (("--clean", "--list-templates"), "error: --list and --clean do not go together"),
        (("--clean", "--json"), "error: --json only goes with --list"),
    ],
)
def test_clean_with_flags_it_does_not_go_with(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("init", *args)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == message
    assert list(tmp_path.iterdir()) == []
