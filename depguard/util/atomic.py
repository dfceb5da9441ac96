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
