"""Every command that writes a user's file, through the real CLI: migrate --write, render --out and init keep the old
file (a backup, or a refusal without --force), write through symlinks, and leave everything intact when the write
fails (immutable or read-only folder, full disk, file-size limit) or the file changed after it was read."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from planoai_cli.console import report, upgrade
from planoai_cli.fs import LEDGER
from planoai_cli.init import catalog
from tests.fsfix import fill, immutable, listing, planoai_child, read_only, tmpfs

Cli = Callable[..., tuple[int, str, str]]
LEGACY = """\
# the user's own config; its comments survive only in the backup
version: v0.1
listeners:
  egress_traffic:
    address: 0.0.0.0
    port: 12000
    timeout: 30s
llm_providers:
  - name: gpt-4o
    provider_interface: openai
    model: gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
"""
MINIMAL = catalog.find("minimal").text()


def _file(path: Path, text: str = LEGACY, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


# --- migrate --write ------------------------------------------------------------------------------------


def test_migrate_write_never_replaces_an_earlier_backup(cli: Cli, tmp_path: Path) -> None:
    config = _file(tmp_path / "config.yaml")
    _file(tmp_path / "config.yaml.bak", "# what the user kept here\n")
    code, out, err = cli("migrate", "--write", str(config))
    assert (code, out) == (0, "")
    assert err.endswith(
        f"\nrewrote {config} in the v0.4.0 form (previous content, with its comments, kept in "
        f"{tmp_path / 'config.yaml.bak.1'})\n"
    )
    assert (tmp_path / "config.yaml.bak").read_text(encoding="utf-8") == "# what the user kept here\n"
    assert (tmp_path / "config.yaml.bak.1").read_text(encoding="utf-8") == LEGACY
    _file(config)  # the legacy file again (say, from git): the next backup takes the next free name
    assert cli("migrate", "--write", str(config))[0] == 0
    assert (tmp_path / "config.yaml.bak.2").read_text(encoding="utf-8") == LEGACY
    assert listing(tmp_path) == ["config.yaml", "config.yaml.bak", "config.yaml.bak.1", "config.yaml.bak.2"]


def test_migrate_write_goes_through_a_symlink(cli: Cli, tmp_path: Path) -> None:
    real = _file(tmp_path / "shared" / "x.yaml", mode=0o640)
    (tmp_path / "dotfiles").mkdir()
    link = tmp_path / "dotfiles" / "config.yaml"
    os.symlink("../shared/x.yaml", link)
    code, _, err = cli("migrate", "--write", str(link))
    assert code == 0, err
    assert err.endswith(
        f"\nrewrote {link} (a link to {real}) in the v0.4.0 form (previous content, with its "
        f"comments, kept in {real}.bak)\n"
    )
    assert os.readlink(link) == "../shared/x.yaml"
    assert real.read_text(encoding="utf-8").startswith("version: v0.4.0\n")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert (tmp_path / "shared" / "x.yaml.bak").read_text(encoding="utf-8") == LEGACY
    assert listing(tmp_path / "dotfiles") == ["config.yaml"]
    assert cli("validate", str(link))[0] == 0


def test_migrate_write_on_a_dangling_link_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    link = tmp_path / "config.yaml"
    os.symlink(tmp_path / "gone.yaml", link)
    code, out, err = cli("migrate", "--write", str(link))
    assert (code, out) == (3, "")  # a config that cannot be found, as for every config command
    assert err.startswith(
        f"error: config file {link} is a symbolic link to {tmp_path / 'gone.yaml'}, which does not exist\n"
    )
    assert listing(tmp_path) == ["config.yaml"]
    assert os.readlink(link) == str(tmp_path / "gone.yaml")


def test_migrate_write_in_an_immutable_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    config = _file(tmp_path / "ro" / "config.yaml")
    with immutable(tmp_path / "ro"):
        code, out, err = cli("migrate", "--write", str(config))
    assert (code, out) == (1, "")
    assert err.endswith(
        f"\nerror: cannot write {config}: the system refused to change {tmp_path / 'ro'} (an "
        "immutable folder or file? see lsattr -d); the old file is unchanged\n"
        "hint: clear the attribute (chattr -i) or run as the owner, or run planoai migrate FILE to "
        "print the new form instead\n"
    )
    assert config.read_text(encoding="utf-8") == LEGACY
    assert listing(tmp_path / "ro") == ["config.yaml"]


def test_migrate_write_in_a_folder_without_write_permission_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    config = _file(folder / "config.yaml", mode=0o666)  # the file itself is writable; its folder is not
    folder.chmod(0o555)
    try:
        result = planoai_child(["migrate", "--write", str(config)], cwd=tmp_path, obey_permissions=True)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert result.stderr.endswith(
        f"\nerror: cannot write {config}: permission denied in {folder}; the old file is "
        f"unchanged\nhint: make {folder} writable for you (or run as its owner), or run "
        "planoai migrate FILE to print the new form instead\n"
    )
    assert config.read_text(encoding="utf-8") == LEGACY
    assert listing(folder) == ["config.yaml"]


def test_migrate_write_through_a_link_into_a_read_only_filesystem(cli: Cli, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt") as mnt:
        real = _file(mnt / "x.yaml")
        read_only(mnt)
        os.symlink(real, tmp_path / "config.yaml")
        code, _, err = cli("migrate", "--write", str(tmp_path / "config.yaml"))
        assert code == 1
        assert err.endswith(
            f"\nerror: cannot write {tmp_path / 'config.yaml'} (a link to {real}): {mnt} is on a "
            "read-only filesystem; the old file is unchanged\n"
            "hint: remount it read-write, or run planoai migrate FILE to print the new form instead\n"
        )
        assert real.read_text(encoding="utf-8") == LEGACY
        assert (tmp_path / "config.yaml").is_symlink()


def test_migrate_write_on_a_full_disk_keeps_the_old_file(cli: Cli, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", pages=8) as mnt:
        config = _file(mnt / "config.yaml")
        fill(mnt, leave_pages=1)  # room for the new file, none for the backup
        code, _, err = cli("migrate", "--write", str(config))
        assert code == 1
        assert (
            f"\nerror: cannot write {config}: no space left on the device holding {mnt}; the old file is unchanged\n"
        ) in err
        assert config.read_text(encoding="utf-8") == LEGACY
        assert listing(mnt) == ["config.yaml", "filler"]


def test_migrate_write_past_a_file_size_limit_keeps_the_old_file(tmp_path: Path) -> None:
    big = "".join(f"# note {n:05d}: kept in the backup, which is too big to write here\n" for n in range(400))
    config = _file(tmp_path / "config.yaml", big + LEGACY)
    result = planoai_child(["migrate", "--write", str(config)], max_file_size=8192, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.endswith(
        f"\nerror: cannot write {config}: the file is larger than this process may write "
        "(a file-size limit, see ulimit -f); the old file is unchanged\n"
        "hint: raise the limit and run it again, or run planoai migrate FILE to print the "
        "new form instead\n"
    )
    assert config.read_text(encoding="utf-8") == big + LEGACY
    assert listing(tmp_path) == ["config.yaml"]


def test_migrate_write_refuses_a_file_changed_after_it_was_read(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _file(tmp_path / "config.yaml")
    edited = LEGACY.replace("port: 12000", "port: 12100")

    def canonical_while_an_editor_saves(doc: object) -> str:
        config.write_text(edited, encoding="utf-8")  # the user saves between planoai's read and its write
        return canonical(doc)  # type: ignore[arg-type]

    canonical = upgrade.canonical_text  # what console/report.py imported, replaced there below
    monkeypatch.setattr(report, "canonical_text", canonical_while_an_editor_saves)
    code, _, err = cli("migrate", "--write", str(config))
    assert code == 1
    assert err.endswith(
        f"\nerror: {config} changed after planoai read it; it was left as it is (nothing was "
        "written)\nhint: run the command again so that it starts from the current content, or run "
        "planoai migrate FILE to print the new form instead\n"
    )
    assert config.read_text(encoding="utf-8") == edited
    assert listing(tmp_path) == ["config.yaml"]


# --- render --out ---------------------------------------------------------------------------------------


def test_render_out_replaces_its_own_files_and_keeps_edited_ones(cli: Cli, tmp_path: Path) -> None:
    config = _file(tmp_path / "config.yaml", MINIMAL)
    out = tmp_path / "rendered"
    assert cli("render", str(config), "--out", str(out))[0] == 0
    code, stdout, err = cli("render", str(config), "--out", str(out))  # its own, unedited output: just replaced
    assert (code, err) == (0, "")
    assert stdout.startswith(f"wrote {out / 'envoy.yaml'}\nwrote {out / 'plano_config_rendered.yaml'}\n")
    assert listing(out) == [LEDGER, "envoy.yaml", "plano_config_rendered.yaml"]
    rendered = (out / "envoy.yaml").read_text(encoding="utf-8")
    (out / "envoy.yaml").write_text(rendered + "# tuned by hand\n", encoding="utf-8")
    code, _, err = cli("render", str(config), "--out", str(out))
    assert code == 0
    assert err == (
        f"warning: {out / 'envoy.yaml'} was not planoai's last render (written or edited by someone "
        f"else); it was kept as {out / 'envoy.yaml.bak'}\n"
    )
    assert (out / "envoy.yaml.bak").read_text(encoding="utf-8") == rendered + "# tuned by hand\n"
    assert (out / "envoy.yaml").read_text(encoding="utf-8") == rendered


def test_render_out_keeps_a_file_it_did_not_write(cli: Cli, tmp_path: Path) -> None:
    config = _file(tmp_path / "config.yaml", MINIMAL)
    out = tmp_path / "rendered"
    _file(out / "envoy.yaml", "# someone's own envoy config\n")
    _file(out / "envoy.yaml.bak", "# and their backup\n")
    code, _, err = cli("render", str(config), "--out", str(out))
    assert code == 0
    assert f"it was kept as {out / 'envoy.yaml.bak.1'}" in err
    assert (out / "envoy.yaml.bak").read_text(encoding="utf-8") == "# and their backup\n"
    assert (out / "envoy.yaml.bak.1").read_text(encoding="utf-8") == "# someone's own envoy config\n"


def test_render_out_writes_through_a_symlink(cli: Cli, tmp_path: Path) -> None:
    config = _file(tmp_path / "config.yaml", MINIMAL)
    out = tmp_path / "rendered"
    out.mkdir()
    (tmp_path / "mounted").mkdir()
    os.symlink(tmp_path / "mounted" / "envoy.yaml", out / "envoy.yaml")
    _file(tmp_path / "mounted" / "envoy.yaml", "")
    code, stdout, _ = cli("render", str(config), "--out", str(out))
    assert code == 0
    assert f"wrote {out / 'envoy.yaml'} (a link to {tmp_path / 'mounted' / 'envoy.yaml'})\n" in stdout
    assert (out / "envoy.yaml").is_symlink()
    assert (tmp_path / "mounted" / "envoy.yaml").read_text(encoding="utf-8").startswith("admin:\n")


def test_render_out_into_an_immutable_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    config = _file(tmp_path / "config.yaml", MINIMAL)
    out = tmp_path / "rendered"
    assert cli("render", str(config), "--out", str(out))[0] == 0
    before = {name: (out / name).read_bytes() for name in listing(out)}
    _file(tmp_path / "config.yaml", MINIMAL.replace("12000", "12500"))
    with immutable(out):
        code, stdout, err = cli("render", str(config), "--out", str(out))
    assert (code, stdout) == (1, "")
    assert err.startswith(f"error: cannot write {out / 'envoy.yaml'}: the system refused to change {out}")
    assert err.endswith(", or choose a folder you can write to with --out\n")
    assert {name: (out / name).read_bytes() for name in listing(out)} == before


# --- init -----------------------------------------------------------------------------------------------


def test_init_force_writes_through_a_symlink_and_keeps_the_mode(cli: Cli, tmp_path: Path) -> None:
    real = _file(tmp_path / "shared" / "gw.yaml", "# old\n", mode=0o600)
    link = tmp_path / "config.yaml"
    os.symlink(real, link)
    code, out, err = cli("init", "-t", "minimal", "-o", str(link), "--force")
    assert code == 0, err
    assert out.startswith(f"replaced {link} (template minimal)\n")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == MINIMAL
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_init_without_force_keeps_a_linked_file(cli: Cli, tmp_path: Path) -> None:
    real = _file(tmp_path / "gw.yaml", "# old\n")
    os.symlink(real, tmp_path / "config.yaml")
    code, _, err = cli("init", "-t", "minimal", "-o", str(tmp_path / "config.yaml"))
    assert code == 1
    assert err == (
        f"error: {tmp_path / 'config.yaml'} (a link to {real}) already exists; it was left untouched\n"
        "hint: pass --force to replace it, or choose another file with --output\n"
    )
    assert real.read_text(encoding="utf-8") == "# old\n"


def test_init_force_on_a_dangling_link_is_refused(cli: Cli, tmp_path: Path) -> None:
    link = tmp_path / "config.yaml"
    os.symlink(tmp_path / "gone" / "gw.yaml", link)
    code, _, err = cli("init", "-t", "minimal", "-o", str(link), "--force")
    assert code == 1
    assert err.startswith(
        f"error: {link} is a symbolic link to {tmp_path / 'gone' / 'gw.yaml'}, which does not "
        "exist; nothing was written\n"
    )
    assert listing(tmp_path) == ["config.yaml"]


def test_init_force_on_a_full_disk_keeps_the_old_file(cli: Cli, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", pages=8) as mnt:
        config = _file(mnt / "config.yaml", "# old\n")
        fill(mnt, leave_pages=0)
        code, _, err = cli("init", "-t", "minimal", "-o", str(config), "--force")
        assert code == 1
        assert err == (
            f"error: cannot write {config}: no space left on the device holding {mnt}; the old file is "
            "unchanged\nhint: free some space there and run it again, or choose another file with "
            "--output\n"
        )
        assert config.read_text(encoding="utf-8") == "# old\n"
        assert listing(mnt) == ["config.yaml", "filler"]


def test_init_force_past_a_file_size_limit_keeps_the_old_file(tmp_path: Path) -> None:
    config = _file(tmp_path / "config.yaml", "# old\n")
    result = planoai_child(
        ["init", "-t", "coding-agent", "-o", str(config), "--force"], max_file_size=512, cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    assert "a file-size limit, see ulimit -f); the old file is unchanged" in result.stderr
    assert config.read_text(encoding="utf-8") == "# old\n"
    assert listing(tmp_path) == ["config.yaml"]
