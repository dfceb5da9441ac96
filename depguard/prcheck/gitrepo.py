"""Read a pull request as git objects: changed paths between two commits, and blob bytes.

This is the only module that runs ``git``. It never checks anything out and never runs
anything the repository could supply: a PR on ``pull_request_target`` is attacker data, and
so is a local repository's ``.git/config``.

How git is run (every invocation):

* argv lists only, no shell; revisions the user gave are resolved once with
  ``rev-parse --verify --end-of-options REV^{commit}`` and only full object ids are passed on;
  paths go after ``--`` with ``--literal-pathspecs`` so ``*``, ``:(glob)`` or ``-x`` are names;
* the inherited environment loses every ``GIT_*`` variable (``GIT_DIR``, ``GIT_EXTERNAL_DIFF``,
  ``GIT_CONFIG_PARAMETERS``, ``GIT_CONFIG_COUNT``…), system and global config are ignored
  (``GIT_CONFIG_NOSYSTEM=1``, ``GIT_CONFIG_GLOBAL=/dev/null``), prompts are off
  (``GIT_TERMINAL_PROMPT=0``), replace refs and grafts are ignored (they would let
  ``refs/replace`` swap a blob's content), lazy fetches of a partial clone are off
  (``GIT_NO_LAZY_FETCH=1`` and ``protocol.allow=never``: a missing object is an error,
  never a network fetch);
* ``-c core.hooksPath=/dev/null -c core.fsmonitor=false``, ``--no-pager``, and for the diff
  ``--no-textconv --no-ext-diff --no-color --ignore-submodules=none`` with an explicit rename
  limit and order file, so repository config cannot hide, reorder or execute anything;
* every process runs in its own process group and the whole group is killed on timeout;
  output sizes are bounded (``cat-file --batch-check`` reports a blob's size before a byte
  of it is read).

Paths: git paths are bytes. They are decoded as UTF-8 with ``surrogateescape``, so a path
that is not UTF-8 becomes a ``str`` holding lone surrogates (``b"caf\\xe9"`` →
``"caf\\udce9"``) and round-trips exactly when passed back (:meth:`GitRepo.read_path`
encodes it the same way). Output is always read NUL-separated (``-z``), so spaces,
newlines and quotes in names need no unquoting.

Needs git ≥ 2.30 (``rev-parse --end-of-options``). POSIX only (process groups).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

from depguard.errors import InputError

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MODE_ABSENT",
    "MODE_SUBMODULE",
    "MODE_SYMLINK",
    "ChangedPath",
    "GitRepo",
]

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
MODE_ABSENT = "000000"
MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"
MODE_TREE = "040000"

_STATUSES = frozenset("AMDRCT")
_OID_RE = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})")
_MODE_RE = re.compile(r"[0-7]{6}")
# Rename/copy detection is quadratic in the number of added × deleted files; a repository's
# diff.renameLimit must not be able to lift git's default bound.
_RENAME_LIMIT = 1000
# A raw diff record is ~100 bytes of modes and ids plus its paths; this bounds the bytes read
# per allowed path before the exact count is checked.
_DIFF_BYTES_PER_PATH = 1024
_LIST_MAX_BYTES = 256 * 1024 * 1024
# a `git log --raw --no-abbrev` line: ":MODE MODE OLD NEW STATUS\tPATH" -> (NEW, PATH)
_RAW_LINE = re.compile(r"^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) [A-Z]\d*\t(.*)$", re.MULTILINE)
_SMALL_OUTPUT = 1024 * 1024

T = TypeVar("T")


def _decode_path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _encode_path(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangedPath:
    """One entry of ``git diff-tree -r --raw -M -C`` between two commits.

    ``status`` is git's letter without the score: ``A`` added, ``M`` modified (content or
    mode, e.g. ``chmod +x``), ``D`` deleted, ``R`` renamed, ``C`` copied (the source is also
    changed in the same diff; a copy of an unmodified file is reported as ``A``), ``T`` type
    changed (file ↔ symlink ↔ submodule). ``score`` is the similarity percentage of ``R``/``C``.
    An absent side has mode ``000000`` and an all-zero object id. For a submodule
    (``160000``) the object id is a commit of another repository and is normally not present.
    """

    status: str
    old_path: str | None
    new_path: str | None
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str
    score: int | None = None

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"unknown diff status {self.status!r}")
        for mode in (self.old_mode, self.new_mode):
            if not _MODE_RE.fullmatch(mode):
                raise ValueError(f"bad file mode {mode!r}")
        for oid in (self.old_oid, self.new_oid):
            if not _OID_RE.fullmatch(oid):
                raise ValueError(f"bad object id {oid!r}")
        if (self.old_path is None) != (self.status == "A"):
            raise ValueError(f"{self.status} entry: old_path must be None exactly when added")
        if (self.new_path is None) != (self.status == "D"):
            raise ValueError(f"{self.status} entry: new_path must be None exactly when deleted")
        if (self.score is not None) != (self.status in "RC"):
            raise ValueError(f"{self.status} entry: score is for renames and copies only")

    @property
    def path(self) -> str:
        """The path at head, or the deleted path for ``D``."""
        path = self.new_path if self.new_path is not None else self.old_path
        assert path is not None  # __post_init__: at least one side exists
        return path

    @property
    def is_symlink(self) -> bool:
        """True when either side is a symlink: its blob is the link target, never followed."""
        return MODE_SYMLINK in (self.old_mode, self.new_mode)

    @property
    def is_submodule(self) -> bool:
        """True when either side is a submodule gitlink, whose object is not readable here."""
        return MODE_SUBMODULE in (self.old_mode, self.new_mode)


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_GRAFT_FILE=os.devnull,
        GIT_NO_LAZY_FETCH="1",
        GIT_OPTIONAL_LOCKS="0",
        GIT_ATTR_NOSYSTEM="1",
        GIT_ADVICE="0",
        LC_ALL="C",
        LANGUAGE="C",
    )
    return env


_GLOBAL_OPTS = (
    "--no-pager",
    "--literal-pathspecs",
    "--no-replace-objects",
    "-c",
    "core.hooksPath=" + os.devnull,
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.attributesFile=" + os.devnull,
    "-c",
    "protocol.allow=never",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # Kill git and anything it spawned: a child holding our pipe would block the reader.
    # Only while git is unreaped: afterwards its pid (= the group id) may be reused.
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _first_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["(no message)"])[0]


class _Batch:
    """A persistent ``git cat-file --batch[-check]`` process; callers hold the repo lock."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        try:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                start_new_session=True,
            )
        except OSError:
            self.stderr.close()
            raise
        self.timed_out = False
        # One watchdog thread per process (not a timer thread per request: a PR touching
        # hundreds of files makes thousands of requests).
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._closed = False
        self._watchdog = threading.Thread(target=self._watch, daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        with self._cond:
            while not self._closed:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self._deadline = None
                self.timed_out = True
                _kill_group(self.proc)

    def request(self, line: bytes, reader: Callable[[IO[bytes]], T], timeout: float) -> T | None:
        """Send one request line and parse the answer; ``None`` when the process died."""
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        with self._cond:
            self._deadline = time.monotonic() + timeout
            self._cond.notify()
        try:
            stdin.write(line)
            stdin.flush()
            return reader(stdout)
        except (BrokenPipeError, ConnectionResetError, _Eof):
            return None
        finally:
            with self._cond:
                self._deadline = None

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return _first_line(self.stderr.read(64 * 1024))

    def close(self, timeout: float) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()  # cat-file exits at end of input
        except OSError:
            pass
        try:
            self.proc.wait(timeout=min(timeout, 5.0))
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr.close()


class _Eof(Exception):
    """The batch process closed its output mid-answer (killed or crashed)."""


def _readline(stream: IO[bytes]) -> bytes:
    line = stream.readline()
    if not line.endswith(b"\n"):
        raise _Eof
    return line[:-1]


def _close_all(procs: dict[str, _Batch], timeout: float) -> None:
    while procs:
        _, batch = procs.popitem()
        batch.close(timeout)


@dataclass(frozen=True, slots=True)
class _Header:
    oid: str
    type: str | None  # None: missing
    size: int


def _parse_header(line: bytes, oid: str) -> _Header:
    parts = line.decode("ascii", "replace").split(" ")
    if len(parts) == 2 and parts[1] == "missing" and parts[0] == oid:
        return _Header(oid, None, 0)
    if len(parts) != 3 or parts[0] != oid or not parts[2].isdigit():
        raise RuntimeError(f"unexpected git cat-file answer for {oid}: {line!r}")
    return _Header(oid, parts[1], int(parts[2]))


class GitRepo:
    """Read-only access to a local repository's objects through git plumbing.

    Thread-safe: one lock serialises the persistent ``cat-file`` processes; one-shot commands
    run concurrently. Use as a context manager or call :meth:`close` to end the processes.
    """

    def __init__(self, repo_dir: Path, *, git: str = "git", timeout: float = 60.0) -> None:
        """Open ``repo_dir`` (a work tree, a subdirectory of one, or a bare repository).

        Raises :class:`InputError` when it is not a directory, not a git repository, git
        refuses it (e.g. "dubious ownership") or git cannot be run.
        """
        self.repo_dir = Path(repo_dir)
        self._where = str(self.repo_dir)
        self._git = git
        self._timeout = timeout
        self._env = _git_env()
        self._lock = threading.Lock()
        self._procs: dict[str, _Batch] = {}
        self._commits: set[str] = set()
        self._closed = False
        self._finalizer = weakref.finalize(self, _close_all, self._procs, timeout)
        if not self.repo_dir.is_dir():
            raise InputError(self._where, "not a directory (expected a git repository)")
        rc, _, err = self._run(["rev-parse", "--git-dir"], max_output=_SMALL_OUTPUT)
        if rc != 0:
            msg = _first_line(err)
            hint = None
            if "dubious ownership" in msg:
                hint = "run depguard as the user owning the repository"
            raise InputError(self._where, f"not a usable git repository ({msg})", hint=hint)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """End the ``cat-file`` processes (closing their input, killing them if they linger)."""
        with self._lock:
            self._closed = True
            self._finalizer()  # runs _close_all once; later calls are no-ops

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"GitRepo({self._where!r}) is closed")

    # -- one-shot commands ----------------------------------------------------------------

    def _argv(self, args: Sequence[str | bytes]) -> list[str | bytes]:
        return [self._git, *_GLOBAL_OPTS, *args]

    def _run(self, args: Sequence[str | bytes], *, max_output: int) -> tuple[int, bytes, bytes]:
        """Run git; return (exit code, stdout, stderr). Raise InputError on timeout,
        when git cannot be started, or when stdout exceeds ``max_output`` bytes
        (the message then starts with "output too large")."""
        argv = self._argv(args)
        log.debug("git %s", " ".join(map(repr, args)))
        with tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=self.repo_dir,
                    env=self._env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    bufsize=0,
                    start_new_session=True,
                )
            except OSError as e:
                raise InputError(self._where, f"cannot run {self._git!r}: {e}") from e
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                _kill_group(proc)

            timer = threading.Timer(self._timeout, expire)
            timer.daemon = True
            timer.start()
            chunks: list[bytes] = []
            total = 0
            overflow = False
            try:
                assert proc.stdout is not None
                while chunk := proc.stdout.read(1 << 16):
                    total += len(chunk)
                    if total > max_output:
                        overflow = True
                        _kill_group(proc)
                        break
                    chunks.append(chunk)
                rc = proc.wait()
            finally:
                timer.cancel()
                if proc.poll() is None:
                    _kill_group(proc)
                    proc.wait()
                if proc.stdout is not None:
                    proc.stdout.close()
            if expired.is_set():
                raise InputError(self._where, f"git {args[0]!s} timed out after {self._timeout:g}s")
            if overflow:
                raise InputError(
                    self._where, f"output too large: git {args[0]!s} wrote over {max_output} bytes"
                )
            err.seek(0)
            return rc, b"".join(chunks), err.read(64 * 1024)

    def resolve(self, rev: str) -> str:
        """Return the full object id of the commit ``rev`` names (a ref, an id, ``HEAD~2``…).

        Raises :class:`InputError` when it names no commit in this repository (unknown,
        ambiguous, not fetched, or not a commit).
        """
        self._check_open()
        if rev in self._commits:  # a full id already proven to name a commit
            return rev
        if not rev or any(c in rev for c in "\0\n\r"):
            raise InputError(self._where, f"invalid revision {rev!r}")
        rc, out, _ = self._run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"],
            max_output=_SMALL_OUTPUT,
        )
        oid = out.decode("ascii", "replace").strip()
        if rc != 0 or not _OID_RE.fullmatch(oid):
            raise InputError(
                self._where,
                f"unknown revision {rev!r}: not a commit in this repository",
                hint="fetch it first, e.g. `git fetch origin <ref>`, or pass a full commit id",
            )
        self._commits.add(oid)  # objects are immutable, so this never goes stale
        return oid

    def changed_paths(self, base: str, head: str, *, max_paths: int = 50_000) -> list[ChangedPath]:
        """Return the files that differ between the trees of ``base`` and ``head``.

        Recursive, with rename and copy detection, in git's path order; an empty list
        when the trees are equal. Raises :class:`InputError` for an unknown revision and
        ``InputError("diff too large …")`` beyond ``max_paths`` entries.
        """
        base_oid, head_oid = self.resolve(base), self.resolve(head)
        args = [
            "diff-tree",
            "-r",
            "-z",
            "--raw",
            "--no-abbrev",
            "-M",
            "-C",
            f"-l{_RENAME_LIMIT}",
            "-O" + os.devnull,
            "--no-color",
            "--no-relative",
            "--ignore-submodules=none",
            "--no-textconv",
            "--no-ext-diff",
            "--end-of-options",
            base_oid,
            head_oid,
            "--",
        ]
        too_large = f"diff too large: more than {max_paths} changed paths between {base} and {head}"
        try:
            rc, out, err = self._run(args, max_output=max_paths * _DIFF_BYTES_PER_PATH + 4096)
        except InputError as e:
            if e.reason.startswith("output too large"):
                raise InputError(self._where, too_large) from e
            raise
        if rc != 0:
            raise InputError(self._where, f"git diff-tree failed: {_first_line(err)}")
        changes = _parse_raw_diff(out)
        if len(changes) > max_paths:
            raise InputError(
                self._where,
                f"diff too large: {len(changes)} changed paths between {base} and {head} "
                f"(limit {max_paths})",
            )
        return changes

    def _ls_tree(
        self, commit: str, paths: Sequence[bytes], *, recursive: bool, max_output: int
    ) -> list[tuple[str, str, str, str]]:
        args: list[str | bytes] = ["ls-tree", "-z", "--full-tree", "--full-name"]
        if recursive:
            args.append("-r")
        # ls-tree has no "TREE -- PATH" separator: "--" after --end-of-options would be a
        # path named "--". A leading "--" ends the options; every later word is tree or path.
        args += ["--", commit, *paths]
        rc, out, err = self._run(args, max_output=max_output)
        if rc != 0:
            raise InputError(self._where, f"git ls-tree failed: {_first_line(err)}")
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, tab, name = record.partition(b"\t")
            fields = meta.decode("ascii", "replace").split(" ")
            if not tab or len(fields) != 3:
                raise RuntimeError(f"unexpected git ls-tree record {record!r}")
            mode, kind, oid = fields
            entries.append((_decode_path(name), mode, kind, oid))
        return entries

    def list_files(self, rev: str) -> list[tuple[str, str, str]]:
        """Return ``(path, mode, oid)`` for every blob, symlink and submodule gitlink in
        ``rev``'s tree (``ls-tree -r``), in git's path order.

        Raises :class:`InputError` for an unknown revision or a listing over 256 MiB.
        """
        commit = self.resolve(rev)
        entries = self._ls_tree(commit, [], recursive=True, max_output=_LIST_MAX_BYTES)
        return [(path, mode, oid) for path, mode, _, oid in entries]

    def read_path(self, rev: str, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes | None:
        """Return the bytes of ``path`` in ``rev``'s tree, or ``None`` when nothing is there.

        ``path`` is relative to the repository root (``/``-separated, no ``.``/``..``).
        A symlink gives its target as bytes (never followed; a path through a symlinked
        directory is absent). Raises :class:`InputError` for an unknown revision, an
        invalid path, a directory or submodule at ``path``, or a blob over ``max_bytes``.
        """
        parts = path.split("/")
        if not path or "\0" in path or any(p in ("", ".", "..") for p in parts):
            raise InputError(path or "''", "not a valid repository path")
        commit = self.resolve(rev)
        for name, mode, kind, oid in self._ls_tree(
            commit, [_encode_path(path)], recursive=False, max_output=_SMALL_OUTPUT
        ):
            if name != path:
                continue
            if kind == "blob":
                return self._read_blob(oid, max_bytes, path)
            what = "a submodule" if mode == MODE_SUBMODULE else f"a {kind}, not a file"
            raise InputError(path, f"is {what} in {rev}")
        return None

    # -- blobs ----------------------------------------------------------------------------

    def read_blob(self, oid: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """Return the content of blob ``oid`` (symlink targets and binary data as they are).

        The size is checked with ``cat-file --batch-check`` before any content is read.
        Raises :class:`InputError` when the object is missing (e.g. a submodule commit),
        not a blob, or larger than ``max_bytes``; ``ValueError`` for a malformed or all-zero
        id (the absent side of a change).
        """
        return self._read_blob(oid, max_bytes, f"object {oid}")

    def _read_blob(self, oid: str, max_bytes: int, what: str) -> bytes:
        if not _OID_RE.fullmatch(oid):
            raise ValueError(f"not a full lowercase object id: {oid!r}")
        if not oid.strip("0"):
            raise ValueError("the all-zero object id names no object (absent side of a change)")
        request = oid.encode("ascii") + b"\n"
        with self._lock:
            self._check_open()
            header = self._ask("--batch-check", request, lambda s: _parse_header(_readline(s), oid))
            if header.type is None:
                raise InputError(what, f"object {oid} is not in this repository")
            if header.type != "blob":
                raise InputError(what, f"object {oid} is a {header.type}, not a blob")
            if header.size > max_bytes:
                raise InputError(
                    what, f"blob {oid} is {header.size} bytes, over the {max_bytes}-byte limit"
                )

            def read_content(stream: IO[bytes]) -> bytes:
                again = _parse_header(_readline(stream), oid)
                if again.type != "blob" or again.size != header.size:
                    raise RuntimeError(f"git cat-file changed its answer for {oid}: {again}")
                data = stream.read(again.size)
                if len(data) != again.size or stream.read(1) != b"\n":
                    raise _Eof
                return data

            return self._ask("--batch", request, read_content)

    def read_blobs(
        self, oids: Iterable[str], *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> dict[str, bytes]:
        """Return the content of many blobs at once: one ``git cat-file --batch`` process, the
        requests written while the answers are read (no round trip per object).

        Same checks as :meth:`read_blob`: a missing object, a non-blob or one over
        ``max_bytes`` raises :class:`InputError` (before the oversized content is read); so
        does a process that dies or exceeds the timeout.
        """
        wanted = list(dict.fromkeys(oids))
        for oid in wanted:
            if not _OID_RE.fullmatch(oid) or not oid.strip("0"):
                raise ValueError(f"not a blob id: {oid!r}")
        if not wanted:
            return {}
        self._check_open()
        argv = self._argv(["cat-file", "--batch"])
        try:
            proc = subprocess.Popen(
                argv,
                cwd=self.repo_dir,
                env=self._env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as e:
            raise InputError(self._where, f"cannot run {self._git!r}: {e}") from e
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:
            try:
                stdin.write(b"".join(o.encode("ascii") + b"\n" for o in wanted))
                stdin.close()
            except OSError:
                pass  # the reader sees the short answer

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        timer = threading.Timer(self._timeout, _kill_group, (proc,))
        timer.daemon = True
        timer.start()
        out: dict[str, bytes] = {}
        try:
            for oid in wanted:
                header = _parse_header(_readline(stdout), oid)
                if header.type is None:
                    raise InputError(f"object {oid}", f"object {oid} is not in this repository")
                if header.type != "blob":
                    raise InputError(
                        f"object {oid}", f"object {oid} is a {header.type}, not a blob"
                    )
                if header.size > max_bytes:
                    raise InputError(
                        f"object {oid}",
                        f"blob {oid} is {header.size} bytes, over the {max_bytes}-byte limit",
                    )
                data = stdout.read(header.size)
                if len(data) != header.size or stdout.read(1) != b"\n":
                    raise InputError(self._where, "git cat-file --batch ended early")
                out[oid] = data
        except _Eof:
            raise InputError(self._where, "git cat-file --batch ended early") from None
        finally:
            timer.cancel()
            if proc.poll() is None:
                _kill_group(proc)
            proc.wait()
            stdout.close()
            writer.join(timeout=1)
        return out

    def _ask(self, mode: str, request: bytes, reader: Callable[[IO[bytes]], T]) -> T:
        batch = self._procs.get(mode)
        if batch is None or batch.proc.poll() is not None:
            if batch is not None:
                batch.close(self._timeout)
            argv = self._argv(["cat-file", mode])
            try:
                batch = _Batch([os.fsdecode(a) for a in argv], self.repo_dir, self._env)
            except OSError as e:
                raise InputError(self._where, f"cannot run {self._git!r}: {e}") from e
            self._procs[mode] = batch
        try:
            answer = batch.request(request, reader, self._timeout)
        except BaseException:
            # An unexpected answer or an interrupt leaves the stream mid-object: never reuse it.
            del self._procs[mode]
            batch.close(self._timeout)
            raise
        if answer is None:
            # The process died (timeout or crash): drop it; the next call starts a new one.
            del self._procs[mode]
            reason = (
                f"timed out after {self._timeout:g}s" if batch.timed_out else batch.stderr_text()
            )
            batch.close(self._timeout)
            raise InputError(self._where, f"git cat-file {mode} failed: {reason}")
        return answer

    def history(
        self, rev: str, *, keep: Callable[[str], bool], max_output: int = _LIST_MAX_BYTES
    ) -> list[tuple[str, int, list[tuple[str, str]]]]:
        """Return ``rev``'s first-parent history, newest first, in one ``git log`` pass:
        ``(commit, committer time, [(path, new blob id)])`` for the files ``keep`` accepts
        (the id is all zeros where the commit deleted the file). A merge lists what it
        changed against its first parent, i.e. what landed on the branch with it.

        Paths git would quote (control characters, ``"``) are left out. Raises
        :class:`InputError` for an unknown revision or a log over ``max_output`` bytes.
        """
        commit = self.resolve(rev)
        rc, out, err = self._run(
            [
                "-c", "core.quotePath=false", "log", "--first-parent",
                "--diff-merges=first-parent", "--no-renames", "--raw", "--no-abbrev",
                "--format=%x01%H %ct", "--end-of-options", commit, "--",
            ],
            max_output=max_output,
        )  # fmt: skip
        if rc != 0:
            raise InputError(self._where, f"git log failed: {err.decode('utf-8', 'replace')}")
        result: list[tuple[str, int, list[tuple[str, str]]]] = []
        for record in out.decode("utf-8", "replace").split("\x01")[1:]:
            head, _, rest = record.partition("\n")
            oid, _, when = head.partition(" ")
            files = [
                (path, blob)
                for blob, path in _RAW_LINE.findall(rest)
                if not path.startswith('"') and keep(path)
            ]
            result.append((oid, int(when), files))
        return result

    def prefix(self) -> str:
        """Where ``repo_dir`` is inside the work tree: ``""`` at the top, else
        ``"sub/dir/"`` (paths of commits are relative to the top)."""
        rc, out, _ = self._run(["rev-parse", "--show-prefix"], max_output=_SMALL_OUTPUT)
        return out.decode("utf-8", "replace").strip() if rc == 0 else ""

    def shallow_commits(self) -> frozenset[str]:
        """The commits a shallow clone cut the history at (their parents are missing, so
        they look like root commits adding every file); empty for a full clone."""
        rc, out, _ = self._run(["rev-parse", "--git-path", "shallow"], max_output=_SMALL_OUTPUT)
        if rc != 0:
            return frozenset()
        path = Path(os.fsdecode(out.strip()))
        if not path.is_absolute():
            path = self.repo_dir / path
        try:
            text = path.read_text("ascii")
        except (OSError, UnicodeDecodeError):
            return frozenset()
        return frozenset(
            line.strip() for line in text.splitlines() if _OID_RE.fullmatch(line.strip())
        )

    def merge_base(self, a: str, b: str) -> str | None:
        """Return the best common ancestor of commits ``a`` and ``b``, or ``None`` when they
        share no history (or a shallow clone cut it off).

        Raises :class:`InputError` for an unknown revision.
        """
        a_oid, b_oid = self.resolve(a), self.resolve(b)
        rc, out, err = self._run(
            ["merge-base", "--end-of-options", a_oid, b_oid], max_output=_SMALL_OUTPUT
        )
        if rc == 1 and not out.strip():
            return None
        oid = out.decode("ascii", "replace").strip()
        if rc != 0 or not _OID_RE.fullmatch(oid):
            raise InputError(self._where, f"git merge-base failed: {_first_line(err)}")
        return oid


def _parse_raw_diff(out: bytes) -> list[ChangedPath]:
    """Parse ``diff-tree -r -z --raw`` output.

    Each record is ``:old_mode new_mode old_oid new_oid STATUS[score]`` NUL path NUL, with a
    second path NUL for renames and copies (old path first).
    """
    fields = out.split(b"\0")
    if fields and fields[-1] == b"":
        fields.pop()
    changes: list[ChangedPath] = []
    i = 0
    while i < len(fields):
        meta = fields[i].decode("ascii", "replace")
        parts = meta.split(" ")
        if not meta.startswith(":") or len(parts) != 5 or not parts[4]:
            raise RuntimeError(f"unexpected git diff-tree record {fields[i]!r}")
        old_mode, new_mode, old_oid, new_oid, status = parts
        old_mode = old_mode[1:]
        letter, score_text = status[0], status[1:]
        npaths = 2 if letter in "RC" else 1
        if i + npaths >= len(fields):
            raise RuntimeError(f"truncated git diff-tree record {fields[i]!r}")
        paths = [_decode_path(p) for p in fields[i + 1 : i + 1 + npaths]]
        i += 1 + npaths
        if letter not in _STATUSES:
            # U (unmerged) and X (unknown) cannot occur between two trees.
            raise RuntimeError(f"unexpected git diff-tree status {status!r}")
        changes.append(
            ChangedPath(
                status=letter,
                old_path=None if letter == "A" else paths[0],
                new_path=None if letter == "D" else paths[-1],
                old_mode=old_mode,
                new_mode=new_mode,
                old_oid=old_oid,
                new_oid=new_oid,
                score=int(score_text) if letter in "RC" and score_text else None,
            )
        )
    return changes
