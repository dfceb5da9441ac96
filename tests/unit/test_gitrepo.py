"""GitRepo against real git repositories built in tmp_path with the `git` binary."""

from __future__ import annotations

import os
import random
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.prcheck.gitrepo import ChangedPath, GitRepo

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git binary not found")

ZERO = "0" * 40


def _builder_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Renovate Bot",
        GIT_AUTHOR_EMAIL="bot@renovateapp.com",
        GIT_AUTHOR_DATE="2024-05-01T12:00:00+00:00",
        GIT_COMMITTER_NAME="Renovate Bot",
        GIT_COMMITTER_EMAIL="bot@renovateapp.com",
        GIT_COMMITTER_DATE="2024-05-01T12:00:00+00:00",
        LC_ALL="C",
    )
    return env


class Builder:
    """Builds a repository with plain git commands (the way the PR corpus tests do)."""

    def __init__(self, root: Path, *, object_format: str = "sha1") -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main", f"--object-format={object_format}")

    def git(self, *args: str | bytes, check: bool = True) -> str:
        assert GIT is not None
        proc = subprocess.run(
            [GIT, *args],
            cwd=self.root,
            env=_builder_env(self.root.parent),
            capture_output=True,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {args} failed: {proc.stderr.decode()}")
        return proc.stdout.decode("utf-8", "surrogateescape").strip()

    def write(self, rel: str | bytes, data: bytes | str, *, executable: bool = False) -> Path:
        raw = rel.encode() if isinstance(rel, str) else rel
        path = Path(os.fsdecode(os.path.join(os.fsencode(self.root), raw)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        if executable:
            path.chmod(0o755)
        return path

    def symlink(self, rel: str, target: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(target)

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def commit(self, message: str = "commit") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def blob(self, rev: str, path: str) -> str:
        return self.git("rev-parse", f"{rev}:{path}")


@pytest.fixture
def builder(tmp_path: Path) -> Builder:
    return Builder(tmp_path / "repo")


@pytest.fixture
def open_repo() -> Iterator[list[GitRepo]]:
    opened: list[GitRepo] = []
    yield opened
    for repo in opened:
        repo.close()


def _open(opened: list[GitRepo], path: Path, **kw: object) -> GitRepo:
    repo = GitRepo(path, **kw)  # type: ignore[arg-type]
    opened.append(repo)
    return repo


def _by_path(changes: list[ChangedPath]) -> dict[str, ChangedPath]:
    return {c.path: c for c in changes}


# -- changed paths ---------------------------------------------------------------------------


def test_added_modified_deleted(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("keep.tf", 'terraform { required_version = "1.5.0" }\n')
    builder.write("gone.txt", "bye\n")
    base = builder.commit("base")
    builder.write("keep.tf", 'terraform { required_version = "1.6.0" }\n')
    builder.write("envs/prod/.terraform.lock.hcl", "# lock\n")
    builder.remove("gone.txt")
    head = builder.commit("head")

    repo = _open(open_repo, builder.root)
    changes = repo.changed_paths(base, head)
    assert [(c.status, c.path) for c in changes] == [
        ("A", "envs/prod/.terraform.lock.hcl"),
        ("D", "gone.txt"),
        ("M", "keep.tf"),
    ]
    added, deleted, modified = changes
    assert added.old_path is None and added.old_mode == "000000" and added.old_oid == ZERO
    assert added.new_mode == "100644" and added.new_oid == builder.blob(head, added.path)
    assert deleted.new_path is None and deleted.new_mode == "000000" and deleted.new_oid == ZERO
    assert repo.read_blob(deleted.old_oid) == b"bye\n"
    assert modified.old_path == modified.new_path == "keep.tf"
    assert repo.read_blob(modified.old_oid) == b'terraform { required_version = "1.5.0" }\n'
    assert repo.read_blob(modified.new_oid) == b'terraform { required_version = "1.6.0" }\n'
    assert all(c.score is None and not c.is_symlink and not c.is_submodule for c in changes)
    # Branch names and abbreviated revisions are resolved too.
    assert repo.changed_paths("main~1", "main") == changes


def test_rename_without_and_with_modification(builder: Builder, open_repo: list[GitRepo]) -> None:
    body = "".join(f"line {i}\n" for i in range(40))
    builder.write("old/aqua.yaml", body)
    builder.write("old/tool.yaml", body.replace("line", "tool"))
    base = builder.commit("base")
    (builder.root / "new").mkdir()
    builder.git("mv", "old/aqua.yaml", "new/aqua.yaml")
    builder.git("mv", "old/tool.yaml", "new/tool.yaml")
    builder.write("new/tool.yaml", body.replace("line", "tool") + "one more line\n")
    head = builder.commit("move")

    repo = _open(open_repo, builder.root)
    pure, edited = repo.changed_paths(base, head)
    assert (pure.status, pure.score, pure.old_path, pure.new_path) == (
        "R",
        100,
        "old/aqua.yaml",
        "new/aqua.yaml",
    )
    assert pure.old_oid == pure.new_oid and pure.path == "new/aqua.yaml"
    assert edited.status == "R" and edited.score is not None and 50 <= edited.score < 100
    assert (edited.old_path, edited.new_path) == ("old/tool.yaml", "new/tool.yaml")
    assert edited.old_oid != edited.new_oid
    assert repo.read_blob(edited.new_oid).endswith(b"one more line\n")


def test_copies(builder: Builder, open_repo: list[GitRepo]) -> None:
    body = "".join(f"provider {i}\n" for i in range(40))
    builder.write("a/.terraform.lock.hcl", body)
    builder.write("b/.terraform.lock.hcl", body.replace("provider", "module"))
    base = builder.commit("base")
    # Copy whose source changes in the same diff: git -C reports C (the source shows as M).
    builder.write("c/.terraform.lock.hcl", body)
    builder.write("a/.terraform.lock.hcl", body + "changed\n")
    # Copy of an unmodified file: -C (without --find-copies-harder) reports a plain add.
    builder.write("d/.terraform.lock.hcl", body.replace("provider", "module"))
    head = builder.commit("copy")

    repo = _open(open_repo, builder.root)
    changes = _by_path(repo.changed_paths(base, head))
    assert set(changes) == {
        "a/.terraform.lock.hcl",
        "c/.terraform.lock.hcl",
        "d/.terraform.lock.hcl",
    }
    assert changes["a/.terraform.lock.hcl"].status == "M"
    copy = changes["c/.terraform.lock.hcl"]
    assert (copy.status, copy.score, copy.old_path) == ("C", 100, "a/.terraform.lock.hcl")
    assert copy.old_oid == copy.new_oid == builder.blob(base, "a/.terraform.lock.hcl")
    plain = changes["d/.terraform.lock.hcl"]
    assert plain.status == "A" and plain.old_path is None


def test_mode_change_chmod_x(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("scripts/install.sh", "#!/bin/sh\necho hi\n")
    base = builder.commit("base")
    (builder.root / "scripts/install.sh").chmod(0o755)
    head = builder.commit("chmod")

    repo = _open(open_repo, builder.root)
    [change] = repo.changed_paths(base, head)
    assert (change.status, change.old_mode, change.new_mode) == ("M", "100644", "100755")
    assert change.old_oid == change.new_oid


def test_symlinks_are_blobs_never_followed(
    builder: Builder, open_repo: list[GitRepo], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me\n")
    builder.write("real/aqua.yaml", "packages: []\n")
    builder.write("config.tf", "# plain file\n")
    base = builder.commit("base")
    builder.symlink("aqua.yaml", str(secret))  # absolute target outside the repository
    builder.symlink("up.yaml", "../../secret.txt")  # relative escape
    builder.symlink("linkdir", "real")  # symlinked directory
    builder.remove("config.tf")
    builder.symlink("config.tf", "real/aqua.yaml")  # file -> symlink: type change
    head = builder.commit("links")

    repo = _open(open_repo, builder.root)
    changes = _by_path(repo.changed_paths(base, head))
    link = changes["aqua.yaml"]
    assert (link.status, link.new_mode, link.is_symlink) == ("A", "120000", True)
    assert repo.read_blob(link.new_oid) == str(secret).encode()
    assert repo.read_blob(changes["up.yaml"].new_oid) == b"../../secret.txt"
    assert changes["linkdir"].is_symlink
    retyped = changes["config.tf"]
    assert (retyped.status, retyped.old_mode, retyped.new_mode) == ("T", "100644", "120000")
    assert retyped.is_symlink and not retyped.is_submodule
    assert repo.read_blob(retyped.old_oid) == b"# plain file\n"
    # read_path returns the link target and never resolves through a symlinked directory.
    assert repo.read_path(head, "aqua.yaml") == str(secret).encode()
    assert repo.read_path(head, "linkdir") == b"real"
    assert repo.read_path(head, "linkdir/aqua.yaml") is None
    assert repo.read_path(head, "real/aqua.yaml") == b"packages: []\n"
    assert ("aqua.yaml", "120000", link.new_oid) in repo.list_files(head)


def _add_gitlink(builder: Builder, path: str, oid: str) -> None:
    builder.git("update-index", "--add", "--cacheinfo", f"160000,{oid},{path}")


def test_submodule_gitlink_flagged_not_read(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("README.md", "hi\n")
    base = builder.commit("base")
    old_sub = "1" * 40  # commits of another repository: not present here
    new_sub = "2" * 40
    _add_gitlink(builder, "vendor/module", old_sub)
    builder.write(".gitmodules", '[submodule "m"]\n\tpath = vendor/module\n\tignore = all\n')
    builder.git("add", ".gitmodules")
    builder.git("commit", "-q", "--no-verify", "-m", "add submodule")
    mid = builder.git("rev-parse", "HEAD")
    _add_gitlink(builder, "vendor/module", new_sub)
    builder.git("commit", "-q", "--no-verify", "-m", "bump submodule")
    head = builder.git("rev-parse", "HEAD")
    # Config that would make `git diff` hide submodule changes must not hide them here.
    builder.git("config", "diff.ignoreSubmodules", "all")
    builder.git("config", "submodule.m.ignore", "all")

    repo = _open(open_repo, builder.root)
    added = _by_path(repo.changed_paths(base, mid))["vendor/module"]
    assert (added.status, added.new_mode, added.new_oid) == ("A", "160000", old_sub)
    assert added.is_submodule and not added.is_symlink
    [bumped] = repo.changed_paths(mid, head)
    assert (bumped.status, bumped.old_oid, bumped.new_oid) == ("M", old_sub, new_sub)
    assert bumped.is_submodule
    with pytest.raises(InputError, match="not in this repository"):
        repo.read_blob(bumped.new_oid)
    with pytest.raises(InputError, match="is a submodule"):
        repo.read_path(head, "vendor/module")
    assert ("vendor/module", "160000", new_sub) in repo.list_files(head)
    # The batch processes survive a missing object.
    assert repo.read_path(head, "README.md") == b"hi\n"


def test_binary_blobs_returned_exactly(builder: Builder, open_repo: list[GitRepo]) -> None:
    rnd = random.Random(4)
    small = bytes(range(256)) + b"\0\n\r\n\xff"
    large = rnd.randbytes(3 * 1024 * 1024 + 7)
    builder.write("small.bin", small)
    builder.write("large.zip", large)
    builder.write("empty", b"")
    head = builder.commit("binary")

    repo = _open(open_repo, builder.root)
    assert repo.read_path(head, "small.bin") == small
    assert repo.read_path(head, "large.zip") == large
    assert repo.read_path(head, "empty") == b""
    # Interleaved reads keep the stream in sync.
    for _ in range(3):
        assert repo.read_blob(builder.blob(head, "small.bin")) == small
        assert repo.read_blob(builder.blob(head, "empty")) == b""


WEIRD_PATHS: list[bytes] = [
    b"dir with space/aqua.yaml",
    b"new\nline.tf",
    b"tab\there.tf",
    b'quote"and\\backslash.txt',
    b"caf\xe9/latin1.txt",  # not UTF-8
    b"\xe2\x98\x83 snow.txt",  # UTF-8 non-ASCII
    b"--output=pwned",
    b"-rf",
    b"--",
    b":(glob)magic",
    b"*",
]


def test_weird_paths_round_trip(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("a.txt", "a\n")
    base = builder.commit("base")
    for i, raw in enumerate(WEIRD_PATHS):
        builder.write(raw, f"content {i}\n")
    head = builder.commit("weird")

    repo = _open(open_repo, builder.root)
    names = [raw.decode("utf-8", "surrogateescape") for raw in WEIRD_PATHS]
    assert "caf\udce9/latin1.txt" in names  # documented representation: surrogateescape
    changes = _by_path(repo.changed_paths(base, head))
    assert set(changes) == set(names)
    listed = {path for path, _, _ in repo.list_files(head)}
    assert listed == {*names, "a.txt"}
    for i, name in enumerate(names):
        assert changes[name].status == "A"
        assert repo.read_blob(changes[name].new_oid) == f"content {i}\n".encode()
        assert repo.read_path(head, name) == f"content {i}\n".encode()
    # Literal pathspecs: a glob or pathspec magic is a name, never a pattern.
    assert repo.read_path(base, "*") is None
    assert repo.read_path(head, "*.txt") is None
    assert repo.read_path(head, ":(glob)*.txt") is None
    assert not (builder.root / "pwned").exists()


def test_read_path_absent_directory_and_invalid(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("envs/prod/main.tf", "# prod\n")
    builder.write("ab", "not a prefix match\n")
    head = builder.commit("base")

    repo = _open(open_repo, builder.root)
    assert repo.read_path(head, "envs/prod/main.tf") == b"# prod\n"
    assert repo.read_path(head, "envs/dev/main.tf") is None
    assert repo.read_path(head, "a") is None
    with pytest.raises(InputError, match="is a tree, not a file"):
        repo.read_path(head, "envs/prod")
    for bad in ["", "/etc/passwd", "envs/../ab", "./ab", "envs//prod/main.tf", "envs/prod/"]:
        with pytest.raises(InputError, match="not a valid repository path"):
            repo.read_path(head, bad)


def test_empty_diff(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("main.tf", "# x\n")
    base = builder.commit("base")
    head = builder.commit("empty commit, same tree")
    assert base != head

    repo = _open(open_repo, builder.root)
    assert repo.changed_paths(base, head) == []
    assert repo.changed_paths(head, head) == []


def test_unknown_revisions(builder: Builder, open_repo: list[GitRepo], tmp_path: Path) -> None:
    builder.write("main.tf", "# x\n")
    head = builder.commit("base")
    blob = builder.blob(head, "main.tf")

    repo = _open(open_repo, builder.root)
    assert repo.resolve("main") == head == repo.resolve(head[:10])
    for rev in ["nope", "deadbeef" * 5, blob, f"{head}:main.tf", "main~5"]:
        with pytest.raises(InputError) as info:
            repo.resolve(rev)
        assert info.value.reason == f"unknown revision {rev!r}: not a commit in this repository"
        assert info.value.hint is not None and "git fetch" in info.value.hint
        assert str(info.value).startswith(str(builder.root))
    with pytest.raises(InputError, match="unknown revision 'nope'"):
        repo.changed_paths("nope", head)
    with pytest.raises(InputError, match="unknown revision 'nope'"):
        repo.changed_paths(head, "nope")
    # Option-looking revisions stay revisions.
    out = tmp_path / "written-by-git"
    for rev in [f"--output={out}", "--all", "-h"]:
        with pytest.raises(InputError, match="unknown revision"):
            repo.resolve(rev)
    assert not out.exists()
    for rev in ["", "a\nb", "a\0b"]:
        with pytest.raises(InputError, match="invalid revision"):
            repo.resolve(rev)


def test_read_blob_errors(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("dir/f", "x\n")
    head = builder.commit("base")
    tree = builder.git("rev-parse", f"{head}:dir")

    repo = _open(open_repo, builder.root)
    with pytest.raises(InputError, match="is a tree, not a blob"):
        repo.read_blob(tree)
    with pytest.raises(InputError, match="is a commit, not a blob"):
        repo.read_blob(head)
    with pytest.raises(ValueError, match="all-zero"):
        repo.read_blob(ZERO)
    for bad in ["HEAD", head[:10], head.upper(), head + "\nHEAD", ""]:
        with pytest.raises(ValueError, match="not a full lowercase object id"):
            repo.read_blob(bad)


def test_blob_over_max_bytes_is_refused_before_reading(
    builder: Builder, open_repo: list[GitRepo]
) -> None:
    builder.write("big.bin", b"x" * 5000)
    head = builder.commit("big")
    oid = builder.blob(head, "big.bin")

    repo = _open(open_repo, builder.root)
    with pytest.raises(InputError) as info:
        repo.read_blob(oid, max_bytes=4999)
    assert info.value.reason == f"blob {oid} is 5000 bytes, over the 4999-byte limit"
    with pytest.raises(InputError, match="over the 100-byte limit") as info:
        repo.read_path(head, "big.bin", max_bytes=100)
    assert info.value.path == "big.bin"
    # Only --batch-check ran: the content reader was never started.
    assert set(repo._procs) == {"--batch-check"}
    assert repo.read_blob(oid, max_bytes=5000) == b"x" * 5000


def test_too_many_changed_paths(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("seed", "s\n")
    base = builder.commit("base")
    for i in range(12):
        builder.write(f"envs/e{i:02}/.terraform.lock.hcl", f"# {i}\n")
    head = builder.commit("many")

    repo = _open(open_repo, builder.root)
    assert len(repo.changed_paths(base, head, max_paths=12)) == 12
    with pytest.raises(InputError) as info:
        repo.changed_paths(base, head, max_paths=11)
    assert info.value.reason == (
        f"diff too large: 12 changed paths between {base} and {head} (limit 11)"
    )


def test_too_many_changed_paths_stops_reading_early(
    builder: Builder, open_repo: list[GitRepo]
) -> None:
    builder.write("seed", "s\n")
    base = builder.commit("base")
    for i in range(300):
        builder.write(f"{'d' * 60}/{i:04}-{'x' * 60}.tf", f"# {i}\n")
    head = builder.commit("wide")

    repo = _open(open_repo, builder.root)
    with pytest.raises(InputError) as info:
        repo.changed_paths(base, head, max_paths=2)  # output cap hit before parsing
    assert info.value.reason.startswith("diff too large: more than 2 changed paths")


def test_sha256_repository(tmp_path: Path, open_repo: list[GitRepo]) -> None:
    b = Builder(tmp_path / "sha256", object_format="sha256")
    b.write("main.tf", "# a\n")
    base = b.commit("base")
    b.write("main.tf", "# b\n")
    head = b.commit("head")
    assert len(head) == 64

    repo = _open(open_repo, b.root)
    [change] = repo.changed_paths(base, head)
    assert len(change.new_oid) == 64
    assert repo.read_blob(change.new_oid) == b"# b\n"
    assert repo.read_path(base, "main.tf") == b"# a\n"
    assert repo.changed_paths(head, head) == []


def test_merge_base_and_list_files(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("main.tf", "# a\n")
    root = builder.commit("root")
    builder.git("checkout", "-q", "-b", "renovate/aws")
    builder.write("main.tf", "# b\n")
    pr = builder.commit("pr")
    builder.git("checkout", "-q", "main")
    builder.write("other.tf", "# c\n")
    main = builder.commit("main moved on")
    builder.git("checkout", "-q", "--orphan", "unrelated")
    builder.git("rm", "-q", "-rf", ".")
    builder.write("x", "x\n")
    lone = builder.commit("unrelated root")

    repo = _open(open_repo, builder.root)
    assert repo.merge_base(main, pr) == root
    assert repo.merge_base("main", "renovate/aws") == root
    assert repo.merge_base(main, lone) is None
    with pytest.raises(InputError, match="unknown revision"):
        repo.merge_base("main", "nope")
    assert repo.list_files(main) == [
        ("main.tf", "100644", builder.blob(main, "main.tf")),
        ("other.tf", "100644", builder.blob(main, "other.tf")),
    ]


def test_subdirectory_and_bare_repository(
    builder: Builder, open_repo: list[GitRepo], tmp_path: Path
) -> None:
    builder.write("envs/prod/main.tf", "# prod\n")
    builder.write("top.tf", "# top\n")
    head = builder.commit("base")
    bare = tmp_path / "bare.git"
    builder.git("clone", "-q", "--bare", str(builder.root), str(bare))

    for where in (builder.root / "envs", bare):
        repo = _open(open_repo, where)
        # Paths are always relative to the repository root, wherever the repo was opened.
        assert repo.read_path(head, "top.tf") == b"# top\n"
        assert [p for p, _, _ in repo.list_files(head)] == ["envs/prod/main.tf", "top.tf"]


# -- nothing from the repository runs ---------------------------------------------------------


def _marker_script(scripts: Path, markers: Path, name: str) -> Path:
    """A script that records that it ran, then behaves like `cat` (valid for every hook)."""
    scripts.mkdir(parents=True, exist_ok=True)
    path = scripts / name
    path.write_text(
        f'#!/bin/sh\necho "$0 $*" >> "{markers}/{name}"\n'
        'for a in "$@"; do [ -f "$a" ] && cat "$a" && exit 0; done\n'
        "exit 0\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _exercise(repo: GitRepo, base: str, head: str) -> None:
    repo.resolve(head)
    changes = repo.changed_paths(base, head)
    assert changes
    for c in changes:
        for oid in (c.old_oid, c.new_oid):
            if oid != ZERO and not c.is_submodule:
                repo.read_blob(oid)
    repo.read_path(head, "main.tf")
    repo.list_files(head)
    repo.merge_base(base, head)


def test_malicious_repository_config_runs_nothing(
    builder: Builder, open_repo: list[GitRepo], tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    scripts = tmp_path / "scripts"
    builder.write("main.tf", "# v1\n")
    builder.write("versions.hcl", "# v1\n")
    builder.write(".gitattributes", "*.tf diff=evil filter=evilfilter\n*.hcl diff=evildrv\n")
    base = builder.commit("base")
    builder.write("main.tf", "# v2\n")
    builder.write("versions.hcl", "# v2\n")
    builder.write("added.tf", "# new\n")
    head = builder.commit("head")

    hooks = tmp_path / "hooks"
    for hook in ["pre-commit", "post-commit", "post-checkout", "reference-transaction",
                 "pre-auto-gc", "post-index-change"]:  # fmt: skip
        _marker_script(hooks, markers, hook)
        _marker_script(builder.root / ".git" / "hooks", markers, hook)
    config = {
        "core.hooksPath": str(hooks),
        "core.fsmonitor": str(_marker_script(scripts, markers, "fsmonitor")),
        "core.pager": str(_marker_script(scripts, markers, "pager")),
        "pager.diff-tree": str(_marker_script(scripts, markers, "pager-diff-tree")),
        "diff.evil.textconv": str(_marker_script(scripts, markers, "textconv")),
        "diff.evildrv.command": str(_marker_script(scripts, markers, "diffdriver")),
        "filter.evilfilter.clean": str(_marker_script(scripts, markers, "clean")),
        "filter.evilfilter.smudge": str(_marker_script(scripts, markers, "smudge")),
        "filter.evilfilter.required": "true",
        "core.alternateRefsCommand": str(_marker_script(scripts, markers, "altrefs")),
        "core.sshCommand": str(_marker_script(scripts, markers, "ssh")),
        "uploadpack.packObjectsHook": str(_marker_script(scripts, markers, "packobjects")),
        "color.ui": "always",
        "color.diff": "always",
        "diff.renameLimit": "0",
        "diff.relative": "true",
        "diff.noprefix": "true",
        "core.abbrev": "7",
        "gc.auto": "1",
    }
    for key, value in config.items():
        builder.git("config", key, value)
    (builder.root / ".git" / "info" / "attributes").write_text("*.tf diff=evil\n")

    repo = _open(open_repo, builder.root)
    _exercise(repo, base, head)
    changes = repo.changed_paths(base, head)
    assert [c.path for c in changes] == ["added.tf", "main.tf", "versions.hcl"]
    assert all(len(c.new_oid) == 40 for c in changes)  # core.abbrev ignored
    repo.close()
    assert sorted(p.name for p in markers.iterdir()) == []

    # Positive control: the same repository does run them for ordinary porcelain commands,
    # so the empty marker directory above proves something.
    builder.git("diff", base, head)
    builder.git("status")
    builder.git("hash-object", "main.tf")
    builder.git("commit", "-q", "--allow-empty", "-m", "control")
    ran = {p.name for p in markers.iterdir()}
    assert {"textconv", "diffdriver", "fsmonitor", "clean", "pre-commit", "post-commit"} <= ran


def test_hostile_environment_is_ignored(
    builder: Builder,
    open_repo: list[GitRepo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    scripts = tmp_path / "scripts"
    builder.write("main.tf", "# v1\n")
    builder.write(".gitattributes", "* diff=evil\n")
    base = builder.commit("base")
    builder.write("main.tf", "# v2\n")
    head = builder.commit("head")
    other = Builder(tmp_path / "other")
    other.write("main.tf", "# decoy\n")
    decoy = other.commit("decoy")

    evil = str(_marker_script(scripts, markers, "env"))
    monkeypatch.setenv("GIT_DIR", str(other.root / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.root))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other.root / ".git" / "objects"))
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", evil)
    monkeypatch.setenv("GIT_PAGER", evil)
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'diff.evil.textconv'='{evil}'")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.fsmonitor")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", evil)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "evil-global"))
    (tmp_path / "evil-global").write_text(f"[core]\n\thooksPath = {scripts}\n")

    repo = _open(open_repo, builder.root)
    assert repo.resolve("HEAD") == head != decoy
    _exercise(repo, base, head)
    assert list(markers.iterdir()) == []


def test_replace_refs_cannot_swap_content(builder: Builder, open_repo: list[GitRepo]) -> None:
    builder.write("aqua-checksums.json", '{"checksums": ["good"]}\n')
    head = builder.commit("base")
    good = builder.blob(head, "aqua-checksums.json")
    evil_path = builder.write("evil.json", '{"checksums": ["evil"]}\n')
    evil = builder.git("hash-object", "-w", str(evil_path))
    evil_path.unlink()
    builder.git("replace", good, evil)
    assert builder.git("cat-file", "-p", good) == '{"checksums": ["evil"]}'  # control

    repo = _open(open_repo, builder.root)
    assert repo.read_blob(good) == b'{"checksums": ["good"]}\n'
    assert repo.read_path(head, "aqua-checksums.json") == b'{"checksums": ["good"]}\n'


# -- opening, concurrency, lifecycle, timeouts ------------------------------------------------


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InputError, match="not a usable git repository") as info:
        GitRepo(plain)
    assert info.value.path == str(plain)
    assert "not a git repository" in info.value.reason
    with pytest.raises(InputError, match="not a directory"):
        GitRepo(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        GitRepo(tmp_path / "file")


def test_git_not_found(builder: Builder, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot run"):
        GitRepo(builder.root, git=str(tmp_path / "no-such-git"))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_dubious_ownership_is_refused(builder: Builder, tmp_path: Path) -> None:
    builder.write("main.tf", "# x\n")
    builder.commit("base")
    for path in [builder.root, *builder.root.rglob("*")]:
        os.lchown(path, 65534, 65534)
    with pytest.raises(InputError, match="dubious ownership") as info:
        GitRepo(builder.root)
    assert info.value.hint is not None


def test_concurrent_read_blob(builder: Builder, open_repo: list[GitRepo]) -> None:
    rnd = random.Random(7)
    contents = {f"f{i:02}.bin": rnd.randbytes(rnd.randrange(0, 200_000)) for i in range(24)}
    for name, data in contents.items():
        builder.write(name, data)
    head = builder.commit("blobs")
    oids = {builder.blob(head, name): data for name, data in contents.items()}

    repo = _open(open_repo, builder.root)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(seed: int) -> None:
        order = list(oids) * 4
        random.Random(seed).shuffle(order)
        start.wait()
        try:
            for oid in order:
                assert repo.read_blob(oid) == oids[oid]
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert all(not t.is_alive() for t in threads)


def test_close_terminates_cat_file(builder: Builder) -> None:
    builder.write("main.tf", "# x\n")
    head = builder.commit("base")
    with GitRepo(builder.root) as repo:
        assert repo.read_path(head, "main.tf") == b"# x\n"
        procs = [b.proc for b in repo._procs.values()]
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
    assert all(p.returncode is not None for p in procs)
    assert repo._procs == {}
    with pytest.raises(RuntimeError, match="closed"):
        repo.read_blob(builder.blob(head, "main.tf"))
    with pytest.raises(RuntimeError, match="closed"):
        repo.changed_paths(head, head)
    repo.close()  # idempotent


def test_unclosed_repo_is_cleaned_up_by_gc(builder: Builder) -> None:
    import gc

    builder.write("main.tf", "# x\n")
    head = builder.commit("base")
    repo = GitRepo(builder.root)
    repo.read_path(head, "main.tf")
    procs = [b.proc for b in repo._procs.values()]
    del repo
    gc.collect()
    assert all(p.returncode is not None for p in procs)


def _slow_git(tmp_path: Path, body: str) -> str:
    assert GIT is not None
    path = tmp_path / "slow-git"
    path.write_text(f"#!/bin/sh\nGIT={GIT}\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_timeout_kills_git_and_its_children(builder: Builder, tmp_path: Path) -> None:
    # The wrapper's child `sleep` inherits stdout: only killing the group ends the read.
    slow = _slow_git(tmp_path, 'sleep 30\nexec "$GIT" "$@"')
    started = time.monotonic()
    with pytest.raises(InputError, match=r"git rev-parse timed out after 0\.5s"):
        GitRepo(builder.root, git=slow, timeout=0.5)
    assert time.monotonic() - started < 10


def test_batch_timeout_is_reported_and_recovers(
    builder: Builder, open_repo: list[GitRepo], tmp_path: Path
) -> None:
    builder.write("main.tf", "# x\n")
    head = builder.commit("base")
    oid = builder.blob(head, "main.tf")
    flag = tmp_path / "hang"
    flag.write_text("")
    slow = _slow_git(
        tmp_path,
        f'case "$*" in *cat-file*) [ -f "{flag}" ] && sleep 30;; esac\nexec "$GIT" "$@"',
    )
    repo = _open(open_repo, builder.root, git=slow, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(InputError, match=r"git cat-file --batch-check failed: timed out"):
        repo.read_blob(oid)
    assert time.monotonic() - started < 10
    flag.unlink()
    assert repo.read_blob(oid) == b"# x\n"  # a fresh process replaces the dead one


# -- the data type ---------------------------------------------------------------------------


def _change(
    status: str = "M", old: str | None = "x", new: str | None = "x", **kw: object
) -> ChangedPath:
    fields: dict[str, object] = {
        "old_mode": "100644",
        "new_mode": "100644",
        "old_oid": "a" * 40,
        "new_oid": "b" * 64,
        **kw,
    }
    return ChangedPath(status=status, old_path=old, new_path=new, **fields)  # type: ignore[arg-type]


def test_changed_path_validation() -> None:
    c = _change()
    assert c.path == "x" and not c.is_symlink and not c.is_submodule
    assert _change("D", new=None).path == "x"
    assert _change("R", new="y", score=90).path == "y"
    assert _change(old_mode="120000").is_symlink
    assert _change(new_mode="160000").is_submodule
    with pytest.raises(ValueError, match="unknown diff status"):
        _change("U")
    with pytest.raises(ValueError, match="old_path must be None"):
        _change("A")
    with pytest.raises(ValueError, match="new_path must be None"):
        _change(new=None)
    with pytest.raises(ValueError, match="score"):
        _change("R", new="y")
    with pytest.raises(ValueError, match="score"):
        _change(score=50)
    with pytest.raises(ValueError, match="bad file mode"):
        _change(new_mode="644")
    with pytest.raises(ValueError, match="bad object id"):
        _change(old_oid="A" * 40)
