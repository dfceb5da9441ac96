"""Atomic file writes: a reader sees the old file or the new one, never a partial one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename.

    Keeps the permission bits of an existing file unless ``mode`` is given. Raises ``OSError``.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is None:
            with contextlib.suppress(FileNotFoundError):
                mode = path.stat().st_mode & 0o7777
        Path(tmp).chmod(mode if mode is not None else 0o644)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise
    remove_stale(path)


#: A temporary file of ours older than this is a leftover of a killed run, not a writer at work.
STALE_SECONDS = 600


def remove_stale(path: Path) -> None:
    """Remove ``.NAME.*.tmp`` siblings that a run killed between writing and renaming left
    behind (so that a later ``git add -A`` never commits one)."""
    import time

    cutoff = time.time() - STALE_SECONDS
    with contextlib.suppress(OSError):
        for sibling in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                if sibling.is_file() and sibling.stat().st_mtime < cutoff:
                    sibling.unlink()


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    import glob

    return glob.escape(name)
