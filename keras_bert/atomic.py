"""Atomic output: a directory or file appears complete at its final path, or not at all.

One mechanism for everything keras_bert writes (`tools/convert checkpoint` and `export`,
`export_saved_model`, `save_pretrained`):

- Work happens in a temporary sibling with a recognisable name,
  `.<NAME>.keras-bert-tmp-<pid>-<random>`, renamed onto `NAME` only when complete (one
  `rename` on one filesystem). Any exception removes it.
- Replacing (`--force`, `overwrite=True`): the old `NAME` is renamed aside to
  `.<NAME>.keras-bert-old-<pid>-<random>`, the new one renamed in, then the old one deleted.
  A kill at any moment leaves `NAME` absent or complete, never a mix.
- A killed run's temporaries are removed by the next run in the same directory: those whose
  pid is no longer alive, or older than `STALE_SECONDS` (a pid may be reused). The unmarked
  names of earlier releases (`.NAME.tmp-*`, `.NAME.old-*`, `.export-*`) are removed by age.
- Output follows the user's umask (`tempfile.mkdtemp` and `mkstemp` create 0700 / 0600,
  which a serving process running as another user cannot read).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time

TAG = "keras-bert"
STALE_SECONDS = 24 * 3600
# Test hook: `KERAS_BERT_PAUSE_AT=<stage>` makes a publish print `keras-bert: paused at <stage>` on
# stderr and sleep, so a test can SIGKILL the process at that exact moment. Stages: "staged" (the
# temporary is complete, nothing renamed yet) and "aside" (the old NAME moved aside, the new not in).
PAUSE_ENV = "KERAS_BERT_PAUSE_AT"

_OURS = re.compile(r"^\.(?P<name>.+)\.keras-bert-(?:tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")
_LEGACY = re.compile(r"^\.(?:.+\.(?:tmp|old)-[A-Za-z0-9_]{8}|export-[A-Za-z0-9_]{8})$")


def umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path: str, directory: bool | None = None):
    """Gives `path` (and, for a directory, everything under it) the mode a plain `mkdir`/`open`
    would have given: 0777 / 0666 less the umask."""
    mask = umask()
    if directory is None:
        directory = os.path.isdir(path) and not os.path.islink(path)
    if not directory:
        os.chmod(path, 0o666 & ~mask)
        return
    os.chmod(path, 0o777 & ~mask)
    for root, dirs, files in os.walk(path):
        for d in dirs:
            if not os.path.islink(os.path.join(root, d)):
                os.chmod(os.path.join(root, d), 0o777 & ~mask)
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), (0o777 if _executable(os.path.join(root, name)) else 0o666) & ~mask)


def _executable(path: str) -> bool:
    return bool(os.stat(path).st_mode & 0o100)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def temp_name(target: str, kind: str = "tmp") -> str:
    """`.<NAME>.keras-bert-<kind>-<pid>-<random>` beside `target` (kind: "tmp" or "old")."""
    parent, name = os.path.split(os.path.abspath(target))
    return os.path.join(parent, f".{name}.{TAG}-{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def _remove(path: str):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)


def clean_stale(parent: str, now: float | None = None) -> list[str]:
    """Removes the temporaries killed runs left in `parent`: ours whose pid is dead or that are
    older than `STALE_SECONDS`, and unmarked ones of earlier releases older than that. Returns
    the paths removed. A missing or unreadable `parent` removes nothing."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = os.listdir(parent)
    except OSError:
        return removed
    for entry in entries:
        path = os.path.join(parent, entry)
        ours, legacy = _OURS.match(entry), _LEGACY.match(entry)
        if not (ours or legacy):
            continue
        try:
            age = now - os.lstat(path).st_mtime
        except OSError:
            continue
        if age > STALE_SECONDS or (ours and not _pid_alive(int(ours["pid"]))):
            _remove(path)
            removed.append(path)
    return removed


def leftovers(parent: str) -> list[str]:
    """Names in `parent` that are temporaries of keras_bert (any age, any pid): for tests and audits."""
    try:
        return sorted(e for e in os.listdir(parent) if _OURS.match(e) or _LEGACY.match(e))
    except OSError:
        return []


def _pause(stage: str):
    if os.environ.get(PAUSE_ENV) == stage:
        import sys

        print(f"keras-bert: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(3600)


def check_target(target) -> str:
    """Checks, changing nothing, that `target` can be created: its nearest existing ancestor
    must be a writable directory. Raises NotADirectoryError / PermissionError naming it."""
    target = os.path.abspath(os.fspath(target))
    probe = os.path.dirname(target)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise NotADirectoryError(20, f"cannot create {target!r}: {probe!r} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise PermissionError(13, f"cannot create {target!r}: directory {probe!r} is not writable")
    return target


def prepare_parent(target: str) -> str:
    """Creates the parent directory of `target` (umask modes) and cleans its stale temporaries."""
    parent = os.path.dirname(check_target(target))
    os.makedirs(parent, exist_ok=True)
    clean_stale(parent)
    return parent


def publish(staged: str, target: str, overwrite: bool):
    """Renames the complete `staged` onto `target`. An existing `target` is a FileExistsError
    unless `overwrite`; then it is moved aside, `staged` renamed in, and the old one deleted."""
    _pause("staged")
    if not os.path.lexists(target):
        os.rename(staged, target)
        return
    if not overwrite:
        raise FileExistsError(17, f"{target!r} exists; pass overwrite=True (CLI: --force) to replace it", target)
    old = temp_name(target, "old")
    os.rename(target, old)
    _pause("aside")
    try:
        os.rename(staged, target)
    except OSError:
        os.rename(old, target)  # put the old version back
        raise
    _remove(old)


@contextlib.contextmanager
def atomic_directory(target, overwrite: bool = False):
    """Yields a fresh temporary directory beside `target`; on normal exit it becomes `target`
    (see `publish`), on an exception it is removed. Modes follow the umask.

    Example:
        >>> with atomic_directory("out/model", overwrite=True) as tmp:
        ...     write_files(tmp)
    """
    target = os.path.abspath(os.fspath(target))
    if os.path.lexists(target) and not overwrite:
        raise FileExistsError(17, f"{target!r} exists; pass overwrite=True (CLI: --force) to replace it", target)
    prepare_parent(target)
    tmp = temp_name(target, "tmp")
    os.mkdir(tmp)
    try:
        yield tmp
        apply_umask(tmp, directory=True)
        publish(tmp, target, overwrite)
    finally:
        if os.path.lexists(tmp):
            _remove(tmp)


@contextlib.contextmanager
def scratch_directory(near):
    """A temporary working directory beside `near`, always removed on exit (for inputs to a
    writer that must not end up in the output, e.g. SavedModel asset sources)."""
    prepare_parent(os.fspath(near))
    path = temp_name(near, "tmp")
    os.mkdir(path)
    try:
        yield path
    finally:
        _remove(path)


@contextlib.contextmanager
def atomic_file(target, overwrite: bool = True):
    """Yields a temporary path beside `target` to write one file to; on normal exit it is
    renamed onto `target` with umask modes, on an exception removed."""
    target = os.path.abspath(os.fspath(target))
    prepare_parent(target)
    tmp = temp_name(target, "tmp")
    try:
        yield tmp
        apply_umask(tmp, directory=False)
        if os.path.lexists(target) and not overwrite:
            raise FileExistsError(17, f"{target!r} exists", target)
        os.replace(tmp, target)
    finally:
        if os.path.lexists(tmp):
            _remove(tmp)
