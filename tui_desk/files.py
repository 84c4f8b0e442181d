"""Private files (SPEC §9): everything tui-desk writes — the store, its backups, the log,
the TUI's state, a policy written by `init` — is 0600 in 0700 directories whatever the
umask, is created exclusively (never through a planted file or symbolic link), and appears
whole or not at all: it is written in a private folder beside its destination, then renamed.

Directories tui-desk creates are 0700; directories that already exist (`/tmp`, a shared
folder named by `--db`) are left as they are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def private_dir(path: Path) -> Path:
    """`path` as a directory, creating it and any missing parents 0700."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            continue  # created meanwhile by someone else: not ours to change
        os.chmod(folder, DIR_MODE)  # a umask such as 0o277 must not leave it unusable
    return path


def create_private(path: Path) -> int:
    """A new, empty file 0600 opened for writing; FileExistsError when anything (a file, a
    symbolic link, even a dangling one) is already there."""
    fd = os.open(path, _CREATE, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def publish(tmp: Path, dest: Path, *, overwrite: bool) -> None:
    """Give the finished file `tmp` its name `dest` atomically. Without `overwrite`, an
    existing `dest` (or a link there) raises FileExistsError and stays untouched."""
    if overwrite:
        os.replace(tmp, dest)  # replaces a symbolic link itself, never its target
        return
    try:
        os.link(tmp, dest, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(dest):
            raise FileExistsError(f"{dest} exists") from None
        os.rename(tmp, dest)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def staged(dest: Path) -> Iterator[Path]:
    """A path to fill, in a new 0700 folder with a random name beside `dest` (so the file,
    and any companion a library writes beside it, is out of everyone else's reach); the
    folder goes when the block ends. The caller publishes the file."""
    private_dir(dest.parent)
    folder = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield folder / dest.name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_private(
    dest: Path, data: bytes, *, overwrite: bool, check: Callable[[Path], None] | None = None
) -> None:
    """Write `data` to `dest` 0600, whole or not at all (temporary file, fsync, rename)."""
    with staged(dest) as tmp:
        fd = create_private(tmp)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if check is not None:
            check(tmp)
        publish(tmp, dest, overwrite=overwrite)


def open_private_append(path: Path) -> int:
    """The file at `path` for appending (a log), created 0600 if missing, tightened to
    0600 if it exists; never through a symbolic link."""
    private_dir(path.parent)
    fd = os.open(
        path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
    )
    os.fchmod(fd, FILE_MODE)
    return fd
