"""The init wizard: its logic driven by scripted answers, and once for real in a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from planoai_cli.errors import PlanoError
from planoai_cli.init import catalog, wizard
from planoai_cli.init import files as init_files
from planoai_cli.init.create import Plan, apply, check
from planoai_cli.keys import read_dotenv

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-typed-0123456789abcdef"
Answer = tuple[str, object]


class Script:
    """A Prompter answering from a list of (kind, answer) pairs, recording every question it was asked."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []
        self.said: list[str] = []

    def _next(self, kind: str, question: str) -> object:
        self.asked.append((kind, question))
        assert self.answers, f"no answer scripted for {kind} {question!r}"
        expected, answer = self.answers.pop(0)
        assert expected == kind, f"scripted a {expected} answer, but was asked {kind} {question!r}"
        return answer

    def choose(self, question: str, options: Sequence[tuple[str, str]], default: str) -> str:
        assert [key for key, _ in options] == list(catalog.ids())
        assert default == "minimal"
        return str(self._next("choose", question))

    def ask(self, question: str, default: str) -> str:
        answer = self._next("ask", question)
        return default if answer is None else str(answer)

    def confirm(self, question: str, *, default: bool) -> bool:
        answer = self._next("confirm", question)
        return default if answer is None else bool(answer)

    def secret(self, question: str) -> str:
        return str(self._next("secret", question))

    def say(self, message: str) -> None:
        self.said.append(message)

    def done(self) -> None:
        assert self.answers == [], f"answers left over: {self.answers}"


def run(
    script: Script,
    tmp_path: Path,
    *,
    force: bool = False,
    environment: dict[str, str] | None = None,
    output: Path | None = None,
) -> Plan | None:
    plan = wizard.run(script, output=output or tmp_path / "config.yaml", force=force, environment=environment or {})
    script.done()
    return plan


def test_minimal_with_a_typed_key(tmp_path: Path) -> None:
    script = Script(("choose", "minimal"), ("ask", None), ("confirm", None), ("secret", f"  {KEY} "), ("confirm", None))
    plan = run(script, tmp_path)
    assert plan is not None
    assert script.asked == [
        ("choose", "Template"),
        ("ask", "Config file to write"),
        ("confirm", f"Save provider keys (OPENAI_API_KEY) to {tmp_path / '.env'} (readable only by you)?"),
        ("secret", "OPENAI_API_KEY (hidden; press Enter to skip)"),
        ("confirm", f"Write {tmp_path / 'config.yaml'}?"),
    ]
    assert script.said == [
        f"{tmp_path / 'config.yaml'} from template 'minimal':\n"
        "  model listener 'llm' on port 12000\n"
        "  provider openai/gpt-4o-mini (default)\n"
        "  key OPENAI_API_KEY: typed now, saved to .env"
    ]
    assert KEY not in repr(plan)
    written = apply(plan, {})
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == catalog.find("minimal").text()
    assert read_dotenv(tmp_path / ".env") == {"OPENAI_API_KEY": KEY}
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
    assert written.missing == ()
    assert KEY not in repr(written)


def test_dropping_a_key_edits_the_template(tmp_path: Path) -> None:
    script = Script(
        ("choose", "coding-agent"),
        ("confirm", True),
        ("confirm", False),
        ("ask", None),
        ("confirm", False),
        ("confirm", True),
    )
    plan = run(script, tmp_path)
    assert plan is not None
    assert script.asked[1:3] == [
        (
            "confirm",
            "Keep the providers that use ANTHROPIC_API_KEY (anthropic/claude-opus-4-1-20250805, "
            "anthropic/claude-sonnet-4-5-20250929, anthropic/claude-haiku-4-5-20251001)?",
        ),
        ("confirm", "Keep the providers that use OPENAI_API_KEY (openai/gpt-5-codex)?"),
    ]
    assert script.said[0] == "  alias codex now points at anthropic/claude-sonnet-4-5-20250929 (its model was dropped)"
    assert "  key ANTHROPIC_API_KEY: not set yet: set it before planoai up" in script.said[1]
    config = check(plan.text, plan.output).config
    assert [p.model for p in config.providers] == [
        "anthropic/claude-opus-4-1-20250805",
        "anthropic/claude-sonnet-4-5-20250929",
        "anthropic/claude-haiku-4-5-20251001",
    ]
    assert {a.name: a.target for a in config.aliases}["codex"] == "anthropic/claude-sonnet-4-5-20250929"
    written = apply(plan, {})
    assert written.env is None
    assert not (tmp_path / ".env").exists()
    assert written.missing == ("ANTHROPIC_API_KEY",)


def test_keeping_no_provider_asks_again(tmp_path: Path) -> None:
    script = Script(
        ("choose", "guardrails"),
        ("confirm", False),
        ("confirm", False),
        ("confirm", True),
        ("confirm", False),
        ("ask", None),
        ("confirm", False),
        ("confirm", True),
    )
    plan = run(script, tmp_path)
    assert plan is not None
    assert script.said[0] == "The gateway needs at least one provider; keep at least one of them."
    assert "anthropic/" not in plan.text
    assert check(plan.text, plan.output).config.providers[0].model == "openai/gpt-4o-mini"


def test_an_existing_config_is_only_replaced_when_agreed(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("# mine\n", encoding="utf-8")
    other = tmp_path / "other.yaml"
    script = Script(
        ("choose", "sub-agents"),
        ("ask", None),
        ("confirm", False),
        ("ask", str(other)),
        ("confirm", False),
        ("confirm", True),
    )
    plan = run(script, tmp_path)
    assert plan is not None
    assert script.asked[2] == ("confirm", f"{tmp_path / 'config.yaml'} already exists. Replace it?")
    assert (plan.output, plan.overwrite) == (other, False)
    apply(plan, {})
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert other.read_text(encoding="utf-8") == catalog.find("sub-agents").text()


def test_replacing_an_existing_config_when_agreed_or_forced(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("# mine\n", encoding="utf-8")
    agreed = run(
        Script(("choose", "minimal"), ("ask", None), ("confirm", True), ("confirm", False), ("confirm", True)), tmp_path
    )
    assert agreed is not None
    assert agreed.overwrite is True
    forced = Script(("choose", "minimal"), ("ask", None), ("confirm", False), ("confirm", True))
    assert run(forced, tmp_path, force=True) is not None
    assert all("Replace" not in question for _, question in forced.asked)
    assert apply(agreed, {}).replaced is True
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == catalog.find("minimal").text()


def test_an_existing_dotenv_is_merged_and_its_keys_only_replaced_when_agreed(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# local\nANTHROPIC_API_KEY=sk-ant-old\nOTHER=keep me\n", encoding="utf-8")
    script = Script(
        ("choose", "conversation-state"),
        ("confirm", True),
        ("confirm", True),
        ("ask", None),
        ("confirm", True),
        ("confirm", False),
        ("secret", KEY),
        ("confirm", True),
    )
    plan = run(script, tmp_path)
    assert plan is not None
    assert script.asked[4:7] == [
        ("confirm", f"Save provider keys (ANTHROPIC_API_KEY, OPENAI_API_KEY) to {env} (readable only by you)?"),
        ("confirm", f"ANTHROPIC_API_KEY is already in {env}. Replace it?"),
        ("secret", "OPENAI_API_KEY (hidden; press Enter to skip)"),
    ]
    assert "  key ANTHROPIC_API_KEY: already in .env" in script.said[0]
    written = apply(plan, {})
    assert env.read_text(encoding="utf-8") == (
        f"# local\nANTHROPIC_API_KEY=sk-ant-old\nOTHER=keep me\nOPENAI_API_KEY='{KEY}'\n"
    )
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert written.env is not None
    assert (written.env.created, written.env.names) == (False, ("OPENAI_API_KEY",))
    assert written.missing == ()


def test_replacing_a_dotenv_key_when_agreed(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("OPENAI_API_KEY=sk-old\n", encoding="utf-8")
    script = Script(
        ("choose", "minimal"), ("ask", None), ("confirm", True), ("confirm", True), ("secret", KEY), ("confirm", True)
    )
    plan = run(script, tmp_path)
    assert plan is not None
    apply(plan, {})
    assert env.read_text(encoding="utf-8") == f"OPENAI_API_KEY='{KEY}'\n"


def test_a_key_in_the_shell_is_not_asked_for_unless_wanted(tmp_path: Path) -> None:
    script = Script(("choose", "minimal"), ("ask", None), ("confirm", True), ("confirm", None), ("confirm", True))
    plan = run(script, tmp_path, environment={"OPENAI_API_KEY": "sk-shell-value-123"})
    assert plan is not None
    assert script.asked[3] == (
        "confirm",
        "OPENAI_API_KEY is set in your shell, which wins over .env. Save it to .env too?",
    )
    assert plan.keys == {}
    assert "  key OPENAI_API_KEY: from your shell" in script.said[0]
    assert apply(plan, {"OPENAI_API_KEY": "sk-shell-value-123"}).missing == ()
    assert not (tmp_path / ".env").exists()


def test_skipping_a_key_and_declining_the_dotenv(tmp_path: Path) -> None:
    skipped = Script(("choose", "minimal"), ("ask", None), ("confirm", True), ("secret", "   "), ("confirm", True))
    plan = run(skipped, tmp_path)
    assert plan is not None
    assert plan.keys == {}
    assert skipped.said[0] == "  skipped OPENAI_API_KEY"
    declined = Script(("choose", "minimal"), ("ask", None), ("confirm", False), ("confirm", True))
    assert run(declined, tmp_path) is not None
    assert [kind for kind, _ in declined.asked].count("secret") == 0


def test_declining_at_the_end_writes_nothing(tmp_path: Path) -> None:
    plan = run(
        Script(("choose", "minimal"), ("ask", None), ("confirm", True), ("secret", KEY), ("confirm", False)), tmp_path
    )
    assert plan is None
    assert list(tmp_path.iterdir()) == []


def test_a_dangling_dotenv_link_stops_before_anything_is_written(tmp_path: Path) -> None:
    os.symlink(tmp_path / "vault" / "plano.env", tmp_path / ".env")
    plan = run(
        Script(("choose", "minimal"), ("ask", None), ("confirm", True), ("secret", KEY), ("confirm", True)), tmp_path
    )
    assert plan is not None
    with pytest.raises(PlanoError, match=r"\.env is a symbolic link to .*vault/plano.env, which does not exist"):
        apply(plan, {})
    assert sorted(os.listdir(tmp_path)) == [".env"]


def test_a_dotenv_changed_while_it_is_merged_is_not_clobbered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("OTHER=1\n", encoding="utf-8")
    plan = run(
        Script(("choose", "minimal"), ("ask", None), ("confirm", True), ("secret", KEY), ("confirm", True)), tmp_path
    )
    assert plan is not None
    merge = init_files.merge_env

    def merge_while_an_editor_saves(existing: str, updates: dict[str, str]) -> str:
        env.write_text("OTHER=1\nADDED_MEANWHILE=2\n", encoding="utf-8")
        return merge(existing, updates)

    monkeypatch.setattr(init_files, "merge_env", merge_while_an_editor_saves)
    with pytest.raises(PlanoError, match=r"\.env changed after planoai read it; it was left as it is"):
        apply(plan, {})
    assert env.read_text(encoding="utf-8") == "OTHER=1\nADDED_MEANWHILE=2\n"


def test_a_folder_as_the_answer_means_config_yaml_inside_it(tmp_path: Path) -> None:
    (tmp_path / "gw").mkdir()
    plan = run(
        Script(("choose", "minimal"), ("ask", str(tmp_path / "gw")), ("confirm", False), ("confirm", True)), tmp_path
    )
    assert plan is not None
    assert plan.output == tmp_path / "gw" / "config.yaml"


# --- the real thing, in a pseudo-terminal ---------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """`planoai init` as a child process on a pseudo-terminal that is its controlling terminal."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(cwd),
            "NO_COLOR": "1",
            "TERM": "xterm",
            "COLUMNS": "200",
            "PYTHONPATH": str(REPO),
        }
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become planoai
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "planoai_cli", "init", *args], env)
        self.seen = b""

    def answer(self, prompt: str, text: str) -> None:
        """Wait until `prompt` is on the screen, then type `text` and Enter."""
        while prompt not in self.screen():
            self._read(f"waiting for {prompt!r}")
        os.write(self.fd, text.encode() + b"\r")

    def finish(self) -> tuple[int, str]:
        while self._read("waiting for the end"):
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status), self.screen()

    def screen(self) -> str:
        return ANSI.sub("", self.seen.decode(errors="replace"))

    def _read(self, doing: str) -> bool:
        ready, _, _ = select.select([self.fd], [], [], 20)
        assert ready, f"timed out {doing}; the screen so far:\n{self.screen()}"
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the child exited and closed the terminal
            return False
        self.seen += data
        return bool(data)


def test_wizard_in_a_real_terminal(tmp_path: Path) -> None:
    secret = "sk-pty-never-echoed-4242"
    term = Terminal(tmp_path)
    term.answer("Template (number or name)", "6")
    term.answer("Keep the providers that use OPENAI_API_KEY", "y")
    term.answer("Keep the providers that use ANTHROPIC_API_KEY", "n")
    term.answer("Config file to write", "")
    term.answer("Save provider keys (OPENAI_API_KEY) to .env", "y")
    term.answer("OPENAI_API_KEY (hidden; press Enter to skip): ", secret)
    term.answer("Write config.yaml?", "")
    code, screen = term.finish()
    assert code == 0, screen
    assert secret not in screen  # the terminal did not echo it, and nothing printed it
    assert "6\r\n" in screen  # ordinary answers are echoed as usual
    assert "  4) sub-agents          An agent listener (port 8001)" in screen
    assert "wrote config.yaml (template conversation-state)" in screen
    assert "created .env with OPENAI_API_KEY (mode 0600; keep it out of version control)" in screen
    assert "  planoai up config.yaml" in screen
    config = check((tmp_path / "config.yaml").read_text(encoding="utf-8"), tmp_path / "config.yaml").config
    assert [p.model for p in config.providers] == ["openai/gpt-4o"]
    assert config.state_storage is not None
    assert read_dotenv(tmp_path / ".env") == {"OPENAI_API_KEY": secret}
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", "config.yaml"]


def test_wizard_merges_a_symlinked_dotenv_into_its_target(tmp_path: Path) -> None:
    secret = "sk-pty-linked-dotenv-77"
    real = tmp_path / "secrets" / "plano.env"
    real.parent.mkdir()
    real.write_text("# mine\nOTHER=keep me\n", encoding="utf-8")
    real.chmod(0o600)
    os.symlink("secrets/plano.env", tmp_path / ".env")
    term = Terminal(tmp_path)
    term.answer("Template (number or name)", "minimal")
    term.answer("Config file to write", "")
    term.answer("Save provider keys (OPENAI_API_KEY) to .env", "y")
    term.answer("OPENAI_API_KEY (hidden; press Enter to skip): ", secret)
    term.answer("Write config.yaml?", "")
    code, screen = term.finish()
    assert code == 0, screen
    assert "updated .env with OPENAI_API_KEY (mode 0600; keep it out of version control)" in screen
    assert os.readlink(tmp_path / ".env") == "secrets/plano.env"  # the link stays; its target got the key
    assert real.read_text(encoding="utf-8") == f"# mine\nOTHER=keep me\nOPENAI_API_KEY='{secret}'\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == [".env", "config.yaml", "secrets"]
    assert os.listdir(real.parent) == ["plano.env"]


def test_ctrl_d_in_the_wizard_writes_nothing(tmp_path: Path) -> None:
    term = Terminal(tmp_path)
    term.answer("Template (number or name)", "minimal")
    term.answer("Config file to write", "\x04")  # Ctrl-D on an empty line: end of input
    code, screen = term.finish()
    assert code == 130, screen
    assert "error: interrupted" in screen
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("answer", ["9", "nope"])
def test_an_invalid_menu_answer_is_asked_again(tmp_path: Path, answer: str) -> None:
    term = Terminal(tmp_path, "--output", "gw.yaml")
    term.answer("Template (number or name)", answer)
    term.answer("choose 1-6 or one of: minimal, preference-routing", "1")
    term.answer("Config file to write (gw.yaml)", "")
    term.answer("Save provider keys", "n")
    term.answer("Write gw.yaml?", "y")
    code, screen = term.finish()
    assert code == 0, screen
    assert (tmp_path / "gw.yaml").read_text(encoding="utf-8") == catalog.find("minimal").text()
