"""``depguard check-pr`` on real git repositories: the corpus's real Renovate PRs replayed from
their base/head trees, and attack scenarios built on a small repository."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.prrepo import build_pr_repo, write_event

RULES = Path(__file__).resolve().parents[1] / "data" / "rules"


def _check(tmp_path: Path, base: Path, head: Path, event: Path, *extra: str) -> CliResult:
    repo, b, h = build_pr_repo(tmp_path, base, head)
    result = run_cli(
        "--format", "json", "--offline", *extra, "check-pr", "--repo", str(repo), "--base", b,
        "--head", h, "--event", str(event),
    )  # fmt: skip
    assert "Traceback" not in result.err, result.err
    return result


def _corpus_prs(corpus: Path) -> list[Path]:
    root = corpus / "renovate" / "commits"
    return sorted(p for p in root.iterdir() if p.is_dir())


def test_real_renovate_prs_pass_the_gate(corpus: Path, tmp_path: Path) -> None:
    """The 13 real Renovate PRs: no finding at all, and their changes are all extracted."""
    # distinct dependency changes per PR (tests/unit/test_changes.py asserts each one; the same
    # action bumped twice in one workflow is one change here)
    expected_changes = {
        "01": 3, "02": 3, "03": 1, "04": 1, "05": 3, "06": 11, "07": 2, "08": 4, "09": 4,
        "10": 23, "11": 11, "12": 13, "13": 3,
    }  # fmt: skip
    for d in _corpus_prs(corpus):
        meta = json.loads(d.with_suffix(".json").read_text())
        work = tmp_path / d.name
        work.mkdir()
        event = write_event(work / "event.json", branch=meta.get("branch") or "renovate/x")
        result = _check(work, d / "base", d / "head", event)
        assert result.code == 0, (d.name, result.out)
        report = result.json()
        assert report["findings"] == [], d.name
        assert len(report["checked"]) == expected_changes[d.name[:2]], (d.name, report["checked"])


def _scenario(tmp_path: Path, rule: str) -> tuple[Path, Path, Path]:
    case = RULES / rule / "positive"
    return case / "base", case / "head", case / "event.json"


@pytest.mark.parametrize(
    ("rule", "author", "branch", "expect"),
    [
        ("pr-not-from-bot", "mallory", "renovate/tfcmt-4.x", {"pr-not-from-bot"}),
        # a human PR on an ordinary branch: bot-only rules are off, the rest still apply
        ("pr-unexpected-file", "alice", "feature/x", set()),
        ("pr-unexpected-change", "alice", "feature/x", {"pr-unexpected-change"}),
        ("action-not-pinned", "alice", "feature/x", {"action-not-pinned"}),
    ],
)
def test_bot_only_rules_follow_the_author(
    tmp_path: Path, rule: str, author: str, branch: str, expect: set[str]
) -> None:
    base, head, _ = _scenario(tmp_path, rule)
    event = write_event(tmp_path / "event.json", author=author, branch=branch)
    config = RULES / rule / "positive" / "depguard.yaml"
    result = _check(tmp_path, base, head, event, "--config", str(config))
    assert {f["rule"] for f in result.json()["findings"]} == expect


def test_symlink_and_submodule_in_a_bot_pr_are_unexpected(tmp_path: Path) -> None:
    base, head, event = _scenario(tmp_path, "pr-not-from-bot")
    head_copy = tmp_path / "head"
    shutil.copytree(head, head_copy)
    os.symlink("/etc/passwd", head_copy / "aqua" / "link.yaml")
    result = _check(tmp_path, base, head_copy, event)
    rules = {(f["rule"], f["path"]) for f in result.json()["findings"]}
    assert ("pr-unexpected-file", "aqua/link.yaml") in rules


def test_unknown_revision_is_a_usage_error(tmp_path: Path) -> None:
    base, head, _event = _scenario(tmp_path, "pr-not-from-bot")
    repo, _b, _h = build_pr_repo(tmp_path, base, head)
    result = run_cli("check-pr", "--repo", str(repo), "--base", "nope", "--head", "HEAD")
    assert result.code == 2, result.err
    assert "nope" in result.err and "Traceback" not in result.err
