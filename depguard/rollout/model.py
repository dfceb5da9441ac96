"""The rollout domain: what is rolled out (:class:`Dependency`), where it is used
(:class:`Usage` in a :class:`Target`, a state directory with its stage), and where files are
read from (:class:`FileSource`: a working tree or a git revision, so that the PR gate judges
the base branch from git objects without a checkout).

Plain frozen dataclasses; the modules of :mod:`depguard.rollout` build on them:
``workspace`` (discovery), ``planner`` (pure waves), ``status`` (git history),
``renovate_rules`` / ``lint_renovate`` (Renovate), ``edit`` / ``apply`` (rewriting pins).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from depguard.config.model import RolloutStage

__all__ = [
    "Dependency",
    "DependencyKind",
    "FileSource",
    "FsSource",
    "GitSource",
    "Target",
    "Usage",
    "Workspace",
]

#: ``provider``: a Terraform provider (name = the full address ``host/namespace/type``);
#: ``aqua``: an aqua package (name = ``owner/repo[/path]`` as in aqua.yaml, without version);
#: ``terraform``: the Terraform CLI (name ``terraform``), pinned by ``required_version``,
#: ``.terraform-version`` or the aqua package ``hashicorp/terraform``.
DependencyKind = Literal["provider", "aqua", "terraform"]


@dataclass(frozen=True, slots=True, order=True)
class Dependency:
    """What a rollout moves to a new version."""

    kind: DependencyKind
    name: str

    def __str__(self) -> str:
        return self.name if self.kind != "aqua" else f"aqua:{self.name}"


#: How a directory pins a dependency: ``lock`` (a ``.terraform.lock.hcl`` entry: the
#: version Terraform installs), ``constraint`` (``required_providers`` / ``required_version``:
#: a range), ``aqua`` (a package version in an aqua config or import), ``terraform-version``
#: (the ``.terraform-version`` file).
PinKind = Literal["lock", "constraint", "aqua", "terraform-version"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """One place a state directory pins a dependency.

    ``version`` is the exact version in use (lock entry, aqua version, .terraform-version);
    for a ``constraint`` pin it is None and ``constraint`` holds the range as written.
    ``file`` is repository-relative, ``line`` 1-based (None when unknown).
    """

    dependency: Dependency
    pin: PinKind
    file: str
    line: int | None = None
    version: str | None = None
    constraint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A state directory (Terraform root module / tfaction working directory).

    ``path`` is repository-relative POSIX (``.`` for the root); ``target`` is tfaction's
    name for it (v1: the target group's ``target`` prefix + the rest of the path; otherwise
    the path); ``stage`` is the name of the ``rollout.stages`` entry it falls in.
    """

    path: str
    stage: str
    target: str
    usages: tuple[Usage, ...] = ()

    def version_of(self, dependency: Dependency) -> str | None:
        """The exact version this directory runs (a lock entry, aqua or .terraform-version
        pin), or None when it only constrains it or does not use it."""
        for u in self.usages:
            if u.dependency == dependency and u.version is not None:
                return u.version
        return None

    def uses(self, dependency: Dependency) -> bool:
        return any(u.dependency == dependency for u in self.usages)


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """Every state directory of a repository, in path order, and the configured stages."""

    root: Path
    targets: tuple[Target, ...]
    stages: tuple[RolloutStage, ...]
    notes: tuple[str, ...] = field(default=())

    def dependencies(self) -> set[Dependency]:
        return {u.dependency for t in self.targets for u in t.usages}

    def in_stage(self, stage: str) -> list[Target]:
        return [t for t in self.targets if t.stage == stage]


class FileSource(Protocol):
    """Read-only access to a repository's files: a working tree or one git revision.

    Paths are repository-relative POSIX paths. ``read`` returns None for a missing file and
    raises :class:`~depguard.errors.InputError` for one it cannot read or that is too large.
    """

    def list_files(self) -> Iterable[str]:
        """Every regular file (no symlinks, no submodules), in no particular order."""
        ...

    def read(self, path: str) -> bytes | None: ...


class FsSource:
    """A :class:`FileSource` over a directory on disk (``.git`` and symlinks skipped)."""

    def __init__(self, root: Path, *, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def list_files(self) -> Iterable[str]:
        import os

        stack = [""]
        while stack:
            rel = stack.pop()
            with os.scandir(self.root / rel if rel else self.root) as it:
                entries = sorted(it, key=lambda e: e.name)
            for entry in entries:
                if entry.is_symlink():
                    continue
                path = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir():
                    if entry.name not in (".git", ".terraform", "node_modules"):
                        stack.append(path)
                elif entry.is_file():
                    yield path

    def read(self, path: str) -> bytes | None:
        from depguard.errors import InputError

        full = self.root / path
        try:
            if full.is_symlink() or not full.is_file():
                return None
            if full.stat().st_size > self.max_bytes:
                raise InputError(path, f"larger than {self.max_bytes} bytes")
            return full.read_bytes()
        except OSError as e:
            raise InputError(path, f"cannot read: {e.strerror}") from e


class GitSource:
    """A :class:`FileSource` over one revision of a git repository, read through git plumbing
    (nothing checked out). Use as a context manager; it holds a ``git cat-file`` process.

    When ``repo_dir`` is a subdirectory of the work tree, paths are relative to it and
    ``prefix`` (``"sub/dir/"``) is what commits put in front of them."""

    def __init__(self, repo_dir: Path, rev: str, *, max_bytes: int = 8 * 1024 * 1024) -> None:
        from depguard.prcheck.gitrepo import GitRepo

        self.repo = GitRepo(repo_dir)
        self.max_bytes = max_bytes
        try:
            self.commit = self.repo.resolve(rev)
            # repo_dir may be a subdirectory of the work tree: its files, relative to it
            self.prefix = self.repo.prefix()
            cut = len(self.prefix)
            self._cache: dict[str, bytes] = {}
            self._files = {
                p[cut:]: oid
                for p, mode, oid in self.repo.list_files(self.commit)
                if mode in ("100644", "100755") and p.startswith(self.prefix)
            }
        except BaseException:
            self.repo.close()
            raise

    def __enter__(self) -> GitSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.repo.close()

    def list_files(self) -> Iterable[str]:
        return self._files.keys()

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read these files in one batch (later :meth:`read` calls are served from it)."""
        oids = {self._files[p] for p in paths if p in self._files}
        self._cache.update(self.repo.read_blobs(oids, max_bytes=self.max_bytes))

    def read(self, path: str) -> bytes | None:
        oid = self._files.get(path)
        if oid is None:
            return None
        cached = self._cache.get(oid)
        return cached if cached is not None else self.repo.read_blob(oid, max_bytes=self.max_bytes)
