"""Landing dates from real git history (commits dated with GIT_COMMITTER_DATE): the day a
version landed on the default branch, through unrelated edits, merges and shallow history."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from depguard.config.model import RolloutStage
from depguard.config.patterns import PathGlob
from depguard.prcheck.gitrepo import GitRepo
from depguard.rollout.model import Dependency, Target, Usage, Workspace
from depguard.rollout.planner import Landed, plan
from depguard.rollout.status import landed, order_violations, stage_states, version_in
from tests.support.prrepo import git

AWS = Dependency("provider", "registry.terraform.io/hashicorp/aws")
NULL = "registry.terraform.io/hashicorp/null"


def _lock(**versions: str) -> str:
    blocks = []
    for name, version in sorted(versions.items()):
        blocks.append(
            f'provider "registry.terraform.io/hashicorp/{name}" {{\n'
            f'  version = "{version}"\n'
            f'  hashes = [\n    "zh:{"a" * 64}",\n  ]\n}}\n'
        )
    return '# This file is maintained automatically by "terraform init".\n\n' + "\n".join(blocks)


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, when: str = "2026-01-01T00:00:00Z") -> str:
        return git(self.path, *args, when=when)

    def commit(self, when: str, files: dict[str, str], message: str = "c") -> str:
        for rel, text in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, when=when)
        return self.git("rev-parse", "HEAD")


def _workspace(versions: dict[str, str]) -> Workspace:
    stages = (
        RolloutStage(name="dev", match=(PathGlob("envs/dev/**"),), soak=timedelta(days=2)),
        RolloutStage(name="stg", match=(PathGlob("envs/stg/**"),), soak=timedelta(days=3)),
    )
    targets = tuple(
        Target(
            path=path,
            stage=path.split("/")[1],
            target=path,
            usages=(
                Usage(
                    dependency=AWS,
                    pin="lock",
                    file=f"{path}/.terraform.lock.hcl",
                    version=version,
                ),
            ),
        )
        for path, version in sorted(versions.items())
    )
    return Workspace(root=Path("/"), targets=targets, stages=stages)


DEV = "envs/dev/a/.terraform.lock.hcl"
STG = "envs/stg/a/.terraform.lock.hcl"


def test_the_version_landed_with_the_oldest_commit_still_showing_it(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("2026-10-01T08:00:00Z", {DEV: _lock(aws="5.31.0"), STG: _lock(aws="5.31.0")})
    bump = repo.commit("2026-11-20T10:00:00Z", {DEV: _lock(aws="5.50.0")})
    # an unrelated edit of the same lock file later does not move the date
    repo.commit("2026-11-22T12:00:00Z", {DEV: _lock(aws="5.50.0", null="3.2.0")})
    ws = _workspace({"envs/dev/a": "5.50.0", "envs/stg/a": "5.31.0"})
    with GitRepo(repo.path) as git:
        got = landed(git, "HEAD", ws, AWS)
    assert got["envs/dev/a"].version == "5.50.0"
    assert got["envs/dev/a"].since == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert got["envs/dev/a"].commit == bump
    assert got["envs/stg/a"].since == datetime(2026, 10, 1, 8, tzinfo=UTC)

    p = plan(ws, AWS, to="5.50.0", start=datetime(2026, 11, 21).date(), landed=got)
    early = datetime(2026, 11, 21, 12, tzinfo=UTC)
    (dev, stg) = stage_states(p, got, now=early)
    assert dev.complete and dev.completed == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert dev.soak_until == datetime(2026, 11, 22, 10, tzinfo=UTC) and not dev.soak_met
    assert not stg.complete
    # stg may not take 5.50.0 before dev's soak is over, and may afterwards
    (reason,) = order_violations(p, got, stage="stg", now=early)
    assert "soak (2d) ends 2026-11-22 10:00 UTC" in reason
    assert order_violations(p, got, stage="stg", now=early + timedelta(days=1)) == []
    assert order_violations(p, got, stage="dev", now=early) == []


def test_a_merge_lands_when_it_is_merged(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("2026-10-01T00:00:00Z", {DEV: _lock(aws="5.31.0")})
    repo.git("checkout", "-q", "-b", "renovate/aws")
    repo.commit("2026-11-10T00:00:00Z", {DEV: _lock(aws="5.50.0")})
    repo.git("checkout", "-q", "main")
    repo.commit("2026-11-15T00:00:00Z", {"README.md": "x\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "renovate/aws", when="2026-11-21T06:00:00Z")
    ws = _workspace({"envs/dev/a": "5.50.0"})
    with GitRepo(repo.path) as git:
        got = landed(git, "main", ws, AWS)
    assert got["envs/dev/a"].since == datetime(2026, 11, 21, 6, tzinfo=UTC)


def test_a_version_that_went_back_and_forth_counts_from_its_last_arrival(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("2026-09-01T00:00:00Z", {DEV: _lock(aws="5.50.0")})
    repo.commit("2026-10-01T00:00:00Z", {DEV: _lock(aws="5.31.0")})  # rolled back
    repo.commit("2026-11-01T00:00:00Z", {DEV: _lock(aws="5.50.0")})  # and forward again
    with GitRepo(repo.path) as git:
        got = landed(git, "HEAD", _workspace({"envs/dev/a": "5.50.0"}), AWS)
    assert got["envs/dev/a"].since == datetime(2026, 11, 1, tzinfo=UTC)


def test_a_shallow_history_gives_no_date(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("2026-09-01T00:00:00Z", {DEV: _lock(aws="5.50.0")})
    repo.commit("2026-10-01T00:00:00Z", {"README.md": "x\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
        check=True, capture_output=True,
    )  # fmt: skip
    with GitRepo(clone) as git:
        got = landed(git, "HEAD", _workspace({"envs/dev/a": "5.50.0"}), AWS)
    assert got["envs/dev/a"].version == "5.50.0" and got["envs/dev/a"].since is None


def test_version_in_reads_each_pin_kind() -> None:
    assert version_in(AWS, DEV, _lock(aws="5.50.0").encode()) == "5.50.0"
    assert version_in(AWS, DEV, b"not hcl {") is None
    tf = Dependency("terraform", "terraform")
    assert version_in(tf, "envs/dev/a/.terraform-version", b"1.9.8\n") == "1.9.8"
    aqua = (
        b"packages:\n  - name: hashicorp/terraform@v1.9.8\n"
        b"  - name: suzuki-shunsuke/tfcmt@v4.14.0\n"
    )
    assert version_in(tf, "envs/dev/a/aqua/aqua.yaml", aqua) == "v1.9.8"
    tfcmt = Dependency("aqua", "suzuki-shunsuke/tfcmt")
    assert version_in(tfcmt, "envs/dev/a/aqua/aqua.yaml", aqua) == "v4.14.0"


def test_a_working_tree_pin_that_differs_from_head_gets_no_date(tmp_path: Path) -> None:
    """check_head: the workspace read from the working tree (the weekly report does) is
    compared with the last commit before any date is given."""
    repo = Repo(tmp_path / "r")
    repo.commit("2026-10-01T00:00:00Z", {DEV: _lock(aws="5.31.0"), STG: _lock(aws="5.31.0")})
    ws = _workspace({"envs/dev/a": "5.50.0", "envs/stg/a": "5.31.0"})  # dev edited, not committed
    with GitRepo(repo.path) as git_repo:
        got = landed(git_repo, "HEAD", ws, AWS, check_head=True)
    assert got["envs/dev/a"] == Landed("5.50.0")
    assert got["envs/stg/a"].since == datetime(2026, 10, 1, tzinfo=UTC)
