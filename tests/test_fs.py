"""The safe writer (planoai_cli/fs) on real files: atomic replacement, modes and owners, symlinks, backups,
compare-and-swap, and real failures (read-only and immutable folders, a full disk, a file-size limit)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from planoai_cli.errors import ExitCode, PlanoError
from planoai_cli.fs import LEDGER, Existing, Snapshot, write_file, write_generated
from planoai_cli.fs import atomic as atomic_module
from tests.fsfix import fill, immutable, listing, read_only, require_root, tmpfs

OLD = b"# the user's own file\nversion: v0.1\n"
NEW = "version: v0.4.0\n"


def _file(path: Path, data: bytes = OLD, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


# --- modes, owners, atomicity ---------------------------------------------------------------------------


def test_a_new_file_gets_the_callers_mode_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        written = write_file(tmp_path / "a" / "b.yaml", NEW, mode=0o644, existing=Existing.REFUSE)
    finally:
        os.umask(old)
    assert (written.replaced, written.backup, written.link) == (False, None, False)
    assert stat.S_IMODE((tmp_path / "a" / "b.yaml").stat().st_mode) == 0o644
    assert listing(tmp_path / "a") == ["b.yaml"]


def test_a_replaced_file_keeps_its_mode_and_is_a_new_inode(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml", mode=0o600)
    inode = path.stat().st_ino
    written = write_file(path, NEW, mode=0o644, existing=Existing.REPLACE)
    assert written.replaced is True
    assert path.read_text(encoding="utf-8") == NEW
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_ino != inode  # renamed over the old file, which readers saw whole until then
    assert listing(tmp_path) == ["c.yaml"]


def test_keep_mode_false_sets_the_mode_given(tmp_path: Path) -> None:
    path = _file(tmp_path / ".env", mode=0o644)
    write_file(path, "K=v\n", mode=0o600, existing=Existing.REPLACE, keep_mode=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_replaced_file_keeps_its_owner(tmp_path: Path) -> None:
    require_root()
    path = _file(tmp_path / "c.yaml", mode=0o640)
    os.chown(path, 65534, 65534)
    backup = write_file(path, NEW, mode=0o644, existing=Existing.BACKUP).backup
    assert backup is not None
    for each in (path, backup):
        info = each.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)


def test_refuse_never_replaces(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml")
    with pytest.raises(PlanoError) as caught:
        write_file(path, NEW, mode=0o644, existing=Existing.REFUSE, hint="choose another file with --output")
    assert caught.value.message == f"{path} already exists; it was left untouched"
    assert caught.value.hint == "pass --force to replace it, or choose another file with --output"
    assert caught.value.exit_code == ExitCode.FAILURE
    assert path.read_bytes() == OLD
    assert listing(tmp_path) == ["c.yaml"]


def test_a_folder_in_the_way_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").mkdir()
    with pytest.raises(PlanoError, match="it is not a regular file; nothing was written"):
        write_file(tmp_path / "c.yaml", NEW, mode=0o644, existing=Existing.REPLACE)


def test_text_that_cannot_be_encoded_changes_nothing(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml")
    with pytest.raises(UnicodeEncodeError):
        write_file(path, NEW * 1000 + "\udcff", mode=0o644, existing=Existing.REPLACE)
    assert path.read_bytes() == OLD
    assert listing(tmp_path) == ["c.yaml"]


# --- backups --------------------------------------------------------------------------------------------


def test_backup_keeps_the_old_bytes_and_mode_beside_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml", mode=0o640)
    written = write_file(path, NEW, mode=0o644, existing=Existing.BACKUP)
    assert written.backup == tmp_path / "c.yaml.bak"
    assert written.backup.read_bytes() == OLD
    assert stat.S_IMODE(written.backup.stat().st_mode) == 0o640
    assert path.read_text(encoding="utf-8") == NEW


def test_an_existing_backup_is_never_replaced(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml")
    _file(tmp_path / "c.yaml.bak", b"kept by the user\n")
    _file(tmp_path / "c.yaml.bak.1", b"an older run\n")
    os.symlink("nowhere", tmp_path / "c.yaml.bak.2")  # a dangling link is taken too, never written through
    written = write_file(path, NEW, mode=0o644, existing=Existing.BACKUP)
    assert written.backup == tmp_path / "c.yaml.bak.3"
    assert written.backup.read_bytes() == OLD
    assert (tmp_path / "c.yaml.bak").read_bytes() == b"kept by the user\n"
    assert (tmp_path / "c.yaml.bak.1").read_bytes() == b"an older run\n"
    assert os.readlink(tmp_path / "c.yaml.bak.2") == "nowhere"
    assert not (tmp_path / "nowhere").exists()


def test_no_backup_for_a_new_file(tmp_path: Path) -> None:
    assert write_file(tmp_path / "c.yaml", NEW, mode=0o644, existing=Existing.BACKUP).backup is None
    assert listing(tmp_path) == ["c.yaml"]


def test_when_every_backup_name_is_taken_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic_module, "MAX_BACKUPS", 2)
    path = _file(tmp_path / "c.yaml")
    _file(tmp_path / "c.yaml.bak", b"1")
    _file(tmp_path / "c.yaml.bak.1", b"2")
    with pytest.raises(PlanoError, match=r"c.yaml.bak through .bak.1 all exist; the old file is unchanged"):
        write_file(path, NEW, mode=0o644, existing=Existing.BACKUP)
    assert path.read_bytes() == OLD
    assert listing(tmp_path) == ["c.yaml", "c.yaml.bak", "c.yaml.bak.1"]


# --- symlinks -------------------------------------------------------------------------------------------


def test_a_symlink_is_written_through_and_the_backup_sits_beside_the_target(tmp_path: Path) -> None:
    real = _file(tmp_path / "real" / "x.yaml", mode=0o600)
    (tmp_path / "dotfiles").mkdir()
    link = tmp_path / "dotfiles" / "link.yaml"
    os.symlink("../real/x.yaml", link)
    written = write_file(link, NEW, mode=0o644, existing=Existing.BACKUP)
    assert (written.path, written.target, written.link) == (link, real, True)
    assert written.shown() == f"{link} (a link to {real})"
    assert os.readlink(link) == "../real/x.yaml"  # the link itself is untouched
    assert real.read_text(encoding="utf-8") == NEW
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert written.backup == tmp_path / "real" / "x.yaml.bak"
    assert written.backup.read_bytes() == OLD
    assert listing(tmp_path / "dotfiles") == ["link.yaml"]
    assert listing(tmp_path / "real") == ["x.yaml", "x.yaml.bak"]


def test_a_chain_of_links_reaches_the_last_target(tmp_path: Path) -> None:
    real = _file(tmp_path / "real.yaml")
    os.symlink(real, tmp_path / "one.yaml")
    os.symlink(tmp_path / "one.yaml", tmp_path / "two.yaml")
    assert write_file(tmp_path / "two.yaml", NEW, mode=0o644, existing=Existing.REPLACE).target == real
    assert real.read_text(encoding="utf-8") == NEW
    assert (tmp_path / "one.yaml").is_symlink()
    assert (tmp_path / "two.yaml").is_symlink()


@pytest.mark.parametrize("existing", list(Existing))
def test_a_dangling_link_is_refused_and_nothing_is_created(tmp_path: Path, existing: Existing) -> None:
    (tmp_path / "gone").mkdir()
    link = tmp_path / "link.yaml"
    os.symlink(tmp_path / "gone" / "x.yaml", link)
    with pytest.raises(PlanoError) as caught:
        write_file(link, NEW, mode=0o644, existing=existing)
    assert caught.value.message == (
        f"{link} is a symbolic link to {tmp_path / 'gone' / 'x.yaml'}, which does not exist; nothing was written"
    )
    assert caught.value.hint == "point the link at an existing file, or remove the link to write a new file there"
    assert os.readlink(link) == str(tmp_path / "gone" / "x.yaml")
    assert listing(tmp_path) == ["gone", "link.yaml"]
    assert listing(tmp_path / "gone") == []


def test_a_link_loop_is_refused(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    with pytest.raises(PlanoError, match="a symbolic link that leads back to itself"):
        write_file(tmp_path / "a.yaml", NEW, mode=0o644, existing=Existing.REPLACE)


def test_refuse_through_a_link_to_an_existing_file(tmp_path: Path) -> None:
    real = _file(tmp_path / "real.yaml")
    os.symlink(real, tmp_path / "link.yaml")
    with pytest.raises(PlanoError, match=r"link.yaml \(a link to .*real.yaml\) already exists"):
        write_file(tmp_path / "link.yaml", NEW, mode=0o644, existing=Existing.REFUSE)
    assert real.read_bytes() == OLD


# --- compare-and-swap -----------------------------------------------------------------------------------


def test_a_file_changed_since_it_was_read_is_not_clobbered(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml")
    read = Snapshot.read(path)
    path.write_bytes(b"# edited meanwhile\n")
    with pytest.raises(PlanoError) as caught:
        write_file(path, NEW, mode=0o644, existing=Existing.BACKUP, expected=read)
    assert caught.value.message == f"{path} changed after planoai read it; it was left as it is (nothing was written)"
    assert caught.value.hint == "run the command again so that it starts from the current content"
    assert path.read_bytes() == b"# edited meanwhile\n"
    assert listing(tmp_path) == ["c.yaml"]


def test_a_file_removed_or_created_since_it_was_read_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml")
    read = Snapshot.read(path)
    path.unlink()
    with pytest.raises(PlanoError, match="changed after planoai read it"):
        write_file(path, NEW, mode=0o644, existing=Existing.REPLACE, expected=read)
    assert listing(tmp_path) == []
    absent = Snapshot.read(tmp_path / "new.yaml", missing_ok=True)
    _file(tmp_path / "new.yaml")
    with pytest.raises(PlanoError, match="changed after planoai read it"):
        write_file(tmp_path / "new.yaml", NEW, mode=0o644, existing=Existing.REPLACE, expected=absent)
    assert (tmp_path / "new.yaml").read_bytes() == OLD


def test_a_change_during_the_write_is_caught_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path / "c.yaml")
    real_backup = atomic_module._backup

    def edit_then_backup(*args: object) -> Path:
        kept = real_backup(*args)  # type: ignore[arg-type]
        path.write_bytes(b"# an editor saved while planoai was writing\n")
        return kept

    monkeypatch.setattr(atomic_module, "_backup", edit_then_backup)
    with pytest.raises(PlanoError, match="changed after planoai read it"):
        write_file(path, NEW, mode=0o644, existing=Existing.BACKUP, expected=Snapshot.read(path))
    assert path.read_bytes() == b"# an editor saved while planoai was writing\n"
    assert listing(tmp_path) == ["c.yaml"]  # the staged file and the new backup are gone


def test_the_same_content_rewritten_meanwhile_is_not_a_change(tmp_path: Path) -> None:
    path = _file(tmp_path / "c.yaml")
    read = Snapshot.read(path)
    path.unlink()
    _file(path)  # saved again, unchanged (a new inode, a new mtime)
    assert write_file(path, NEW, mode=0o644, existing=Existing.REPLACE, expected=read).replaced is True


# --- real failures: nothing changes, nothing stays behind -------------------------------------------------


def test_an_immutable_folder_is_a_clear_error(tmp_path: Path) -> None:
    path = _file(tmp_path / "ro" / "c.yaml")
    with immutable(tmp_path / "ro"), pytest.raises(PlanoError) as caught:
        write_file(path, NEW, mode=0o644, existing=Existing.BACKUP)
    assert caught.value.message == (
        f"cannot write {path}: the system refused to change {tmp_path / 'ro'} (an "
        "immutable folder or file? see lsattr -d); the old file is unchanged"
    )
    assert caught.value.hint == "clear the attribute (chattr -i) or run as the owner"
    assert path.read_bytes() == OLD
    assert listing(tmp_path / "ro") == ["c.yaml"]


def test_a_read_only_filesystem_is_a_clear_error(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt") as mnt:
        path = _file(mnt / "c.yaml")
        read_only(mnt)
        with pytest.raises(PlanoError) as caught:
            write_file(path, NEW, mode=0o644, existing=Existing.BACKUP, hint="choose another file with --output")
        assert caught.value.message == (
            f"cannot write {path}: {mnt} is on a read-only filesystem; the old file is unchanged"
        )
        assert caught.value.hint == "remount it read-write, or choose another file with --output"
        assert path.read_bytes() == OLD
        assert listing(mnt) == ["c.yaml"]


def test_a_link_into_a_read_only_folder_is_refused_and_the_link_stays(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt") as mnt:
        real = _file(mnt / "x.yaml")
        read_only(mnt)
        os.symlink(real, tmp_path / "link.yaml")
        with pytest.raises(PlanoError, match=rf"link.yaml \(a link to {real}\): {mnt} is on a read-only"):
            write_file(tmp_path / "link.yaml", NEW, mode=0o644, existing=Existing.BACKUP)
        assert real.read_bytes() == OLD
        assert (tmp_path / "link.yaml").is_symlink()


@pytest.mark.parametrize(
    ("free_pages", "existing"), [(0, Existing.REPLACE), (1, Existing.BACKUP)], ids=["staging-fails", "backup-fails"]
)
def test_a_full_disk_leaves_the_old_file_intact(tmp_path: Path, free_pages: int, existing: Existing) -> None:
    with tmpfs(tmp_path / "mnt", pages=8) as mnt:
        path = _file(mnt / "c.yaml")
        fill(mnt, leave_pages=free_pages)  # with one page free, the staged file fits and its backup does not
        with pytest.raises(PlanoError) as caught:
            write_file(path, NEW, mode=0o644, existing=existing)
        assert caught.value.message == (
            f"cannot write {path}: no space left on the device holding {mnt}; the old file is unchanged"
        )
        assert caught.value.hint == "free some space there and run it again"
        assert path.read_bytes() == OLD
        assert listing(mnt) == ["c.yaml", "filler"]


def test_folders_made_for_a_file_that_could_not_be_written_are_removed(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", pages=8) as mnt:
        (mnt / "kept").mkdir()
        fill(mnt, leave_pages=0)
        with pytest.raises(PlanoError, match=r"no space left on the device holding .*; nothing was written"):
            write_file(mnt / "kept" / "new" / "deeper" / "c.yaml", NEW, mode=0o644, existing=Existing.REFUSE)
        assert listing(mnt) == ["filler", "kept"]
        assert listing(mnt / "kept") == []


# --- generated files (render --out, the zero-config file) ---------------------------------------------------


def test_generated_files_are_replaced_while_unedited(tmp_path: Path) -> None:
    first = write_generated(tmp_path / "out", {"envoy.yaml": "one\n", "other.yaml": "a\n"})
    assert [w.backup for w in first] == [None, None]
    second = write_generated(tmp_path / "out", {"envoy.yaml": "two\n", "other.yaml": "a\n"})
    assert [(w.replaced, w.backup) for w in second] == [(True, None), (True, None)]
    assert (tmp_path / "out" / "envoy.yaml").read_text(encoding="utf-8") == "two\n"
    assert listing(tmp_path / "out") == [LEDGER, "envoy.yaml", "other.yaml"]
    recorded = json.loads((tmp_path / "out" / LEDGER).read_text(encoding="utf-8"))
    assert sorted(recorded) == ["envoy.yaml", "other.yaml"]


def test_a_generated_file_edited_by_hand_is_kept_as_a_backup(tmp_path: Path) -> None:
    write_generated(tmp_path, {"envoy.yaml": "one\n"})
    (tmp_path / "envoy.yaml").write_text("one, tuned by hand\n", encoding="utf-8")
    (written,) = write_generated(tmp_path, {"envoy.yaml": "two\n"})
    assert written.backup == tmp_path / "envoy.yaml.bak"
    assert written.backup.read_text(encoding="utf-8") == "one, tuned by hand\n"
    assert (tmp_path / "envoy.yaml").read_text(encoding="utf-8") == "two\n"
    (again,) = write_generated(tmp_path, {"envoy.yaml": "three\n"})  # planoai's own output again: no new backup
    assert again.backup is None


def test_a_file_planoai_never_wrote_is_kept_unless_identical(tmp_path: Path) -> None:
    _file(tmp_path / "envoy.yaml", b"someone else's\n")
    _file(tmp_path / "same.yaml", b"same\n")
    (tmp_path / LEDGER).write_text("not json", encoding="utf-8")  # a broken ledger vouches for nothing
    written = write_generated(tmp_path, {"envoy.yaml": "ours\n", "same.yaml": "same\n"})
    assert [w.backup for w in written] == [tmp_path / "envoy.yaml.bak", None]
    assert (tmp_path / "envoy.yaml.bak").read_bytes() == b"someone else's\n"


def test_a_generated_file_behind_a_dangling_link_is_refused(tmp_path: Path) -> None:
    os.symlink(tmp_path / "nowhere.yaml", tmp_path / "envoy.yaml")
    with pytest.raises(PlanoError, match="which does not exist; nothing was written"):
        write_generated(tmp_path, {"envoy.yaml": "x\n"})
    assert listing(tmp_path) == ["envoy.yaml"]
