"""`keras_bert.atomic`: output appears complete or not at all, --force replaces by move-aside,
killed runs' temporaries are cleaned by the next run, modes follow the umask."""

import os
import stat
import subprocess
import sys
import time

import pytest

from keras_bert import atomic


def _tree(path):
    return {
        os.path.relpath(os.path.join(r, f), path): open(os.path.join(r, f)).read()
        for r, _, files in os.walk(path)
        for f in files
    }


def test_directory_appears_complete(tmp_path):
    target = tmp_path / "a" / "b" / "out"
    with atomic.atomic_directory(target) as tmp:
        assert os.path.basename(tmp).startswith(f".out.keras-bert-tmp-{os.getpid()}-")
        open(os.path.join(tmp, "x"), "w").write("1")
        assert not target.exists()
    assert _tree(target) == {"x": "1"}
    assert atomic.leftovers(target.parent) == []


def test_exception_removes_temporary_and_keeps_old(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic.atomic_directory(target, overwrite=True) as tmp:
            open(os.path.join(tmp, "new"), "w").write("new")
            raise RuntimeError("boom")
    assert _tree(target) == {"old": "old"}
    assert atomic.leftovers(tmp_path) == []


def test_existing_target_needs_overwrite(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(FileExistsError, match="out"):
        with atomic.atomic_directory(target):
            pass
    assert atomic.leftovers(tmp_path) == []


def test_overwrite_moves_aside_then_renames_then_deletes(tmp_path, monkeypatch):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    renames = []
    real = os.rename
    monkeypatch.setattr(
        os, "rename", lambda a, b: renames.append((os.path.basename(a), os.path.basename(b))) or real(a, b)
    )
    with atomic.atomic_directory(target, overwrite=True) as tmp:
        open(os.path.join(tmp, "new"), "w").write("new")
    assert _tree(target) == {"new": "new"}
    (old_from, aside), (staged, final) = renames
    assert old_from == "out" and aside.startswith(".out.keras-bert-old-")
    assert staged.startswith(".out.keras-bert-tmp-") and final == "out"
    assert atomic.leftovers(tmp_path) == []


def test_failed_rename_in_restores_old(tmp_path, monkeypatch):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    real = os.rename

    def rename(a, b):
        if ".keras-bert-tmp-" in str(a):
            raise OSError(28, "No space left on device", str(b))
        return real(a, b)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="No space"):
        with atomic.atomic_directory(target, overwrite=True) as tmp:
            open(os.path.join(tmp, "new"), "w").write("new")
    assert _tree(target) == {"old": "old"}
    assert atomic.leftovers(tmp_path) == []


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_cleaned(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    names = {
        f".out.keras-bert-tmp-{dead}-0a1b2c3d": True,  # dead pid
        f".out.keras-bert-old-{dead}-0a1b2c3d": True,
        f".out.keras-bert-tmp-{alive}-0a1b2c3d": False,  # alive: another run in progress
        ".out.tmp-abcd1234": False,  # legacy, fresh
        ".export-abcd1234": False,
        ".hidden": False,  # not ours
    }
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "f").write_text("x")
    removed = {os.path.basename(p) for p in atomic.clean_stale(str(tmp_path))}
    assert removed == {n for n, gone in names.items() if gone}
    # A day later, every temporary is stale whatever its pid; what is not ours stays.
    removed = {os.path.basename(p) for p in atomic.clean_stale(str(tmp_path), now=time.time() + 2 * 86400)}
    assert removed == {n for n, gone in names.items() if not gone and n != ".hidden"}
    assert sorted(os.listdir(tmp_path)) == [".hidden"]


def test_next_run_cleans_killed_runs(tmp_path):
    stale = tmp_path / f".out.keras-bert-tmp-{_dead_pid()}-deadbeef"
    stale.mkdir()
    with atomic.atomic_directory(tmp_path / "out") as tmp:
        open(os.path.join(tmp, "x"), "w").write("1")
    assert not stale.exists()
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_modes_follow_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        assert atomic.umask() == mask
        target = tmp_path / "out"
        with atomic.atomic_directory(target) as tmp:
            os.chmod(tmp, 0o700)  # what tempfile.mkdtemp would give
            os.mkdir(os.path.join(tmp, "sub"), 0o700)
            fd = os.open(os.path.join(tmp, "sub", "f"), os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        with atomic.atomic_file(tmp_path / "file") as tmp:
            os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY, 0o600))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o777 & ~mask
    assert stat.S_IMODE(os.stat(target / "sub").st_mode) == 0o777 & ~mask
    assert stat.S_IMODE(os.stat(target / "sub" / "f").st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(os.stat(tmp_path / "file").st_mode) == 0o666 & ~mask


def test_file_exception_leaves_old_file(tmp_path):
    target = tmp_path / "w.bin"
    target.write_text("old")
    with pytest.raises(ValueError):
        with atomic.atomic_file(target) as tmp:
            open(tmp, "w").write("half")
            raise ValueError
    assert target.read_text() == "old"
    assert atomic.leftovers(tmp_path) == []


def test_target_under_a_regular_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(NotADirectoryError, match="'.*/f' is a file"):
        atomic.check_target(tmp_path / "f" / "a" / "out")
    with pytest.raises(NotADirectoryError):
        with atomic.atomic_directory(tmp_path / "f" / "out"):
            pass
    assert sorted(os.listdir(tmp_path)) == ["f"]
