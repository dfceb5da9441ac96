"""Find the Terraform state directories under the given paths and read them.

A state directory (issue #2 §3) is a directory with a ``.terraform.lock.hcl``, a
``tfaction.yaml``, or root-module ``.tf`` files. A directory that another directory calls as a
local module is a module, not a state directory, unless it has a lock file or a
``tfaction.yaml`` of its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from depguard.engine.paths import common_root, display_path, join_display, repository_root
from depguard.errors import InputError
from depguard.formats.tf_config import Requirements, provider_requirements
from depguard.formats.tf_lock import parse_lock
from depguard.model import LockFile
from depguard.util.text import decode_utf8

__all__ = [
    "LOCK_FILE",
    "StateDir",
    "common_root",
    "display_path",
    "join_display",
    "read_state_dir",
    "read_states",
    "repository_root",
]

log = logging.getLogger(__name__)

LOCK_FILE = ".terraform.lock.hcl"
TFACTION_FILE = "tfaction.yaml"
_SKIP_DIRS = frozenset({".git", ".terraform", "node_modules", ".venv", "__pycache__"})


@dataclass(frozen=True, slots=True, kw_only=True)
class StateDir:
    """One state directory, read: its lock file and the requirements of its configuration."""

    path: Path
    display: str  # relative to the repository root, "/"-separated; "." for the root
    lock: LockFile | None
    lock_text: str | None
    requirements: Requirements | None
    errors: tuple[InputError, ...] = ()

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_FILE

    @property
    def lock_display(self) -> str:
        return join_display(self.display, LOCK_FILE)


def _candidates(top: Path, root: Path) -> Iterable[tuple[Path, bool]]:
    """Yield (directory, is_definite_state_dir) for directories worth reading under ``top``.

    Symlinked directories are followed when they resolve inside the repository ``root`` (a
    repository may link an environment to a shared directory); each real directory is read
    once, so link cycles end. Links that leave the repository are not followed.
    """
    seen: set[str] = set()
    inside = str(root).rstrip(os.sep) + os.sep
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen or not (real == str(root) or real.startswith(inside)):
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        names = set(filenames)
        definite = LOCK_FILE in names or TFACTION_FILE in names
        has_tf = any(n.endswith((".tf", ".tf.json")) for n in filenames)
        if definite or has_tf:
            yield Path(real), definite


def discover(paths: Sequence[Path], root: Path) -> tuple[set[Path], set[Path]]:
    """Return candidate directories under ``paths``: (definite state dirs, ``.tf``-only dirs).

    A path may be a directory or a lock file. Raises :class:`InputError` for a path that is
    neither. Whether a ``.tf``-only directory is a state directory is decided by
    :func:`read_states` once every candidate's configuration has been read.
    """
    definite: set[Path] = set()
    tf_only: set[Path] = set()
    for p in paths:
        if p.is_file():
            if p.name != LOCK_FILE and not p.name.endswith((".tf", ".tf.json")):
                raise InputError(str(p), "not a directory or a .terraform.lock.hcl file")
            definite.add(p.parent.resolve())
            continue
        # Resolve the top once; os.walk does not follow symlinks, so the paths it yields
        # under a resolved top are already canonical.
        for directory, is_definite in _candidates(p.resolve(), root):
            (definite if is_definite else tf_only).add(directory)
    return definite, tf_only - definite


def read_states(paths: Sequence[Path], *, root: Path | None = None) -> tuple[Path, list[StateDir]]:
    """Discover and read the state directories under ``paths``; return (repo root, states).

    ``root`` (default: the Git root above the paths, see :func:`common_root`) is what
    display paths are relative to. Each configuration is read once. A ``.tf``-only directory
    that another candidate calls as a local module is a module, not a state directory, and
    is dropped.
    """
    from depguard.engine.shard import selected

    root = root.resolve() if root is not None else common_root(paths)
    definite, tf_only = discover(paths, root)
    states = {d: read_state_dir(d, root) for d in sorted(definite | tf_only)}
    called: set[Path] = set()
    for state in states.values():
        if state.requirements is not None:
            called.update((root / m).resolve() for m in state.requirements.modules[1:])
    # --shard: this shard's directories, once every module call is known (a module's
    # callers may be in other shards)
    return root, [
        s
        for d, s in states.items()
        if (d in definite or d not in called) and selected(display_path(d, root))
    ]


def read_state_dir(path: Path, root: Path) -> StateDir:
    """Read the lock file and configuration of one state directory; never raises for bad input.

    Parse errors are collected in ``errors`` (each names file and line) so the run continues.
    """
    display = display_path(path, root)
    errors: list[InputError] = []
    lock: LockFile | None = None
    lock_text: str | None = None
    lock_path = path / LOCK_FILE
    lock_display = join_display(display, LOCK_FILE)
    try:
        raw = lock_path.read_bytes()
    except FileNotFoundError:
        raw = None
    except OSError as e:
        errors.append(InputError(lock_display, f"cannot read: {e.strerror}"))
        raw = None
    if raw is not None:
        try:
            lock_text = decode_utf8(raw, lock_display)
            lock = parse_lock(lock_text, lock_display)
        except InputError as e:
            errors.append(e)
    requirements: Requirements | None = None
    try:
        requirements = provider_requirements(path, display)
    except InputError as e:
        errors.append(e)
    return StateDir(
        path=path,
        display=display,
        lock=lock,
        lock_text=lock_text,
        requirements=requirements,
        errors=tuple(errors),
    )
