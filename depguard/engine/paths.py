"""Repository-relative paths: the repository root of the PATHs a command is given, and how
files are named in findings (``/`` separators, relative to that root). Light on imports:
every engine uses it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def join_display(base: str, name: str) -> str:
    """Join a display directory and a file name ("." means the repository root)."""
    return name if base in ("", ".") else f"{base}/{name}"


def repository_root(start: Path) -> Path:
    """Return the nearest ancestor of ``start`` holding ``.git``, else ``start`` itself."""
    start = start.resolve()
    here = start if start.is_dir() else start.parent
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def common_root(paths: Sequence[Path]) -> Path:
    """The repository root of all ``paths``: the nearest ``.git`` above their common
    directory, else that directory (so several PATHs outside Git share one root)."""
    resolved = [p.resolve() for p in paths]
    dirs = [p if p.is_dir() else p.parent for p in resolved]
    return repository_root(Path(os.path.commonpath(dirs)))


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` separators, or absolute when outside it.

    ``path`` must be absolute and canonical (as :func:`discover` returns) or relative to cwd.
    """
    resolved = path if path.is_absolute() else path.resolve()
    text, base = str(resolved), str(root)
    if text == base:
        return "."
    if text.startswith(base.rstrip(os.sep) + os.sep):
        return text[len(base.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    return resolved.as_posix()
