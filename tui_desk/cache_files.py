"""Files of the user cache directory: written 0600 in a 0700 directory whatever the umask,
and read back only when this user owns them and nobody else may write them.

A cache is a convenience: any doubt about a file (missing, a link, someone else's, writable
by others, unreadable) reads as a miss, and a write that cannot be done safely is skipped.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

from tui_desk import files
from tui_desk.paths import APP

# More than any cache of ours holds; a larger file is not ours.
MAX_CACHE_BYTES = 4 * 1024 * 1024


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP))


def read_private(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file of this user that only they may write;
    else None. Symbolic links are not followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not _private(info) or not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > MAX_CACHE_BYTES or not _private_dir(path.parent):
            return None
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # written by an older version: readable by others no more
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_CACHE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, as a 0600 file in a 0700 directory
    (`tui_desk.files`); skipped silently when the directory is not this user's own."""
    try:
        files.private_dir(path.parent)
        if _private_dir(path.parent):
            files.write_private(path, data, overwrite=True)
    except OSError:
        pass


def _private(info: os.stat_result) -> bool:
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _private_dir(directory: Path) -> bool:
    """A directory others cannot swap files in: this user's, writable by nobody else."""
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and _private(info)
