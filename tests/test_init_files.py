"""init's file writes: never-overwrite without --force, and `.env` merging that keeps what was there.

The safe writer itself (atomicity, modes, links, backups, failures) is tested in tests/test_fs.py.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planoai_cli.errors import PlanoError
from planoai_cli.init.files import ENV_MODE, merge_env, parse_env, quote, write_config, write_env

OLD = "# the user's own config\nversion: v0.4.0\n"


def test_new_file_is_written_with_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "config.yaml"
    old = os.umask(0o077)
    try:
        written = write_config(target, "text\n", overwrite=False)
    finally:
        os.umask(old)
    assert (written.replaced, written.backup) == (False, None)
    assert target.read_text(encoding="utf-8") == "text\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["config.yaml"]


def test_existing_file_is_kept_without_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text(OLD, encoding="utf-8")
    with pytest.raises(PlanoError, match="already exists; it was left untouched") as caught:
        write_config(target, "new\n", overwrite=False)
    assert caught.value.hint == "pass --force to replace it, or choose another file with --output"
    assert target.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]


def test_overwrite_replaces_in_one_step_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text(OLD, encoding="utf-8")
    target.chmod(0o640)
    before = target.stat().st_ino
    assert write_config(target, "new\n", overwrite=True).replaced is True
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_ino != before  # a new file renamed over the old one, not the old one rewritten
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_missing_folder_path_is_a_plano_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(PlanoError, match=r"cannot write .*file/config.yaml: .*; nothing was written") as caught:
        write_config(blocker / "config.yaml", "x\n", overwrite=False)
    assert caught.value.hint is not None
    assert caught.value.hint.endswith(", or choose another file with --output")


# --- .env ----------------------------------------------------------------------------------------------


def test_dotenv_is_created_readable_only_by_the_owner(tmp_path: Path) -> None:
    written = write_env(tmp_path / ".env", {"OPENAI_API_KEY": "sk-abc"})
    assert (written.names, written.created, written.tightened) == (("OPENAI_API_KEY",), True, False)
    assert (tmp_path / ".env").read_text(encoding="utf-8") == "OPENAI_API_KEY='sk-abc'\n"
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == ENV_MODE


def test_dotenv_merge_replaces_in_place_and_keeps_everything_else(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "# my settings\nexport OPENAI_API_KEY=old-one\nDEBUG=1\n\nOPENAI_API_KEY=older\nLAST=x", encoding="utf-8"
    )
    path.chmod(0o644)
    written = write_env(path, {"OPENAI_API_KEY": "sk-new", "ANTHROPIC_API_KEY": "sk-ant"})
    assert (written.created, written.tightened) == (False, True)
    assert path.read_text(encoding="utf-8") == (
        "# my settings\nexport OPENAI_API_KEY='sk-new'\nDEBUG=1\n\nLAST=x\nANTHROPIC_API_KEY='sk-ant'\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == ENV_MODE


def test_dotenv_with_a_multiline_value_gets_the_new_lines_appended() -> None:
    existing = 'CERT="-----BEGIN\nOPENAI_API_KEY=inside-the-value\n-----END"\nOPENAI_API_KEY=old\n'
    merged = merge_env(existing, {"OPENAI_API_KEY": "sk-new"})
    assert merged == existing + "OPENAI_API_KEY='sk-new'\n"
    assert parse_env(merged) == {
        "CERT": "-----BEGIN\nOPENAI_API_KEY=inside-the-value\n-----END",
        "OPENAI_API_KEY": "sk-new",
    }


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("sk-plain", "'sk-plain'"),
        ("it's", '"it\'s"'),
        ("a\\b", '"a\\\\b"'),
        ('q"x', "'q\"x'"),
        ("$HOME", "'$HOME'"),
    ],
)
def test_quote(value: str, written: str) -> None:
    assert quote(value) == written
    assert parse_env(f"K={written}\n") == {"K": value}


values = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30)
names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(old=st.dictionaries(names, values, max_size=4), new=st.dictionaries(names, values, min_size=1, max_size=3))
def test_merged_dotenv_reads_back_as_old_plus_new(old: dict[str, str], new: dict[str, str]) -> None:
    existing = "# comment\n" + "".join(f"{name}={quote(value)}\n" for name, value in old.items())
    assert parse_env(existing) == old
    assert parse_env(merge_env(existing, new)) == {**old, **new}
