"""Real git repositories for PR tests: a base commit and a head commit built from two trees."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

_ENV = {
    "GIT_AUTHOR_NAME": "renovate[bot]",
    "GIT_AUTHOR_EMAIL": "bot@renovateapp.com",
    "GIT_COMMITTER_NAME": "renovate[bot]",
    "GIT_COMMITTER_EMAIL": "bot@renovateapp.com",
    "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str, when: str | None = None) -> str:
    """Run git in ``repo`` with a fixed identity, no user/system config and commit dates
    ``when`` (RFC 3339; default 2026-11-01); return its stripped stdout."""
    env = {**os.environ, **_ENV}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


_git = git


def _replace_tree(repo: Path, tree: Path) -> None:
    for child in repo.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(tree, repo, dirs_exist_ok=True, symlinks=True)
    for p in repo.rglob("*"):
        if ".git" not in p.parts and not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)


def build_pr_repo(root: Path, base_tree: Path, head_tree: Path) -> tuple[Path, str, str]:
    """A repository whose ``main`` is ``base_tree`` and whose second commit is ``head_tree``;
    returns (repo, base sha, head sha)."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _replace_tree(repo, base_tree)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    _replace_tree(repo, head_tree)
    # copytree keeps mtimes: a same-size edit would look unchanged to git's stat cache
    (repo / ".git" / "index").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "head")
    head = _git(repo, "rev-parse", "HEAD")
    return repo, base, head


def write_event(
    path: Path, *, author: str = "renovate[bot]", branch: str = "renovate/deps", body: str = ""
) -> Path:
    """A minimal ``pull_request_target`` event JSON."""
    doc = {
        "action": "opened",
        "number": 1,
        "pull_request": {
            "number": 1,
            "title": "chore(deps): update",
            "body": body,
            "user": {"login": author},
            "labels": [],
            "head": {"ref": branch, "sha": "0" * 40, "repo": {"full_name": "acme/infra"}},
            "base": {"ref": "main", "sha": "1" * 40, "repo": {"full_name": "acme/infra"}},
        },
    }
    path.write_text(json.dumps(doc))
    return path
