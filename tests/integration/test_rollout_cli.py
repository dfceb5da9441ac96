"""``depguard rollout plan|status|matrix`` on the shipped example, as a real git repository
whose commits are dated (GIT_COMMITTER_DATE), and the rollout order in ``check-pr``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.prrepo import git, write_event
from tests.support.renovate_validator import validate, validator_path

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"
INVENTORY = "tf.acme.example/platform/inventory"
STG_LOCK = "envs/stg/network/.terraform.lock.hcl"
DEV_LOCK = "envs/dev/network/.terraform.lock.hcl"
PROD_LOCK = "envs/prod/network/.terraform.lock.hcl"


def _git(repo: Path, *args: str, when: str = "2026-10-01T12:00:00Z") -> str:
    return git(repo, *args, when=when)


def _commit(repo: Path, when: str, message: str) -> str:
    (repo / ".git" / "index").unlink(missing_ok=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message, when=when)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """The example with a history: every directory on inventory 1.2.0 since 2026-10-01, dev
    moved to 1.3.0 on 2026-11-20, an unrelated edit of dev's lock file on 2026-11-25."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    _git(repo, "init", "-q", "-b", "main")
    dev = (repo / DEV_LOCK).read_bytes()
    (repo / DEV_LOCK).write_bytes((repo / STG_LOCK).read_bytes())
    _commit(repo, "2026-10-01T12:00:00Z", "initial")
    (repo / DEV_LOCK).write_bytes(dev)
    _commit(repo, "2026-11-20T09:30:00Z", "chore(deps): update inventory to 1.3.0 (dev)")
    (repo / DEV_LOCK).write_bytes(dev + b"\n")
    _commit(repo, "2026-11-25T08:00:00Z", "style: trailing newline")
    return repo


def _rollout(repo: Path, *args: str, fmt: str = "json", now: str | None = None) -> CliResult:
    old = os.environ.get("DEPGUARD_NOW")
    os.environ["DEPGUARD_NOW"] = now or "2026-11-21T00:00:00Z"
    try:
        return run_cli("--format", fmt, "rollout", *args, "--repo", str(repo))
    finally:
        if old is None:
            del os.environ["DEPGUARD_NOW"]
        else:
            os.environ["DEPGUARD_NOW"] = old


def test_status_dates_each_directory_from_history(history: Path) -> None:
    result = _rollout(history, "status", INVENTORY)
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["schema"] == "depguard.rollout/v1" and doc["to"] == "1.3.0"
    dirs = {d["path"]: (d["version"], d["since"]) for d in doc["directories"]}
    assert dirs == {
        "envs/dev/network": ("1.3.0", "2026-11-20T09:30:00Z"),  # not the later unrelated edit
        "envs/stg/network": ("1.2.0", "2026-10-01T12:00:00Z"),
        "envs/prod/network": ("1.2.0", "2026-10-01T12:00:00Z"),
    }
    stages = {s["name"]: s for s in doc["stages"]}
    assert stages["dev"]["completed"] == "2026-11-20T09:30:00Z"
    assert stages["dev"]["soak_until"] == "2026-11-22T09:30:00Z"
    assert not stages["dev"]["soak_met"]  # DEPGUARD_NOW is 2026-11-21
    assert [w["stage"] for w in doc["waves"]] == ["dev", "stg", "prod"]
    assert doc["waves"][0]["completed"] == "2026-11-20"
    assert doc["waves"][1]["earliest"] == "2026-11-22"  # dev's soak (2d) after it landed
    assert doc["next_wave"] == 2
    later = _rollout(history, "status", INVENTORY, now="2026-11-23T00:00:00Z").json()
    assert {s["name"]: s["soak_met"] for s in later["stages"]}["dev"]


def test_status_reads_a_revision_not_the_working_tree(history: Path) -> None:
    (history / STG_LOCK).write_bytes((history / DEV_LOCK).read_bytes())  # uncommitted
    doc = _rollout(history, "status", INVENTORY).json()
    assert {d["path"]: d["version"] for d in doc["directories"]}["envs/stg/network"] == "1.2.0"
    first = _git(history, "rev-list", "--max-parents=0", "HEAD")
    old = run_cli("--format", "json", "rollout", "status", INVENTORY, "--to", "1.3.0",
                  "--repo", str(history), "--rev", first)  # fmt: skip
    assert old.code == 0, old.err
    assert {d["version"] for d in old.json()["directories"]} == {"1.2.0"}


def test_plan_is_deterministic_and_renders(history: Path) -> None:
    args = ("plan", INVENTORY, "--to", "1.3.0", "--start", "2026-12-01")
    first, second = _rollout(history, *args), _rollout(history, *args)
    assert first.out == second.out
    waves = first.json()["waves"]
    assert [(w["index"], w["stage"], w["directories"], w["earliest"], w["approval"])
            for w in waves] == [
        (1, "dev", ["envs/dev/network"], "2026-12-01", False),
        (2, "stg", ["envs/stg/network"], "2026-12-03", False),
        (3, "prod", ["envs/prod/network"], "2026-12-06", True),
    ]  # fmt: skip
    assert waves[0]["done"] == ["envs/dev/network"]
    text = _rollout(history, *args, fmt="text").out
    assert "wave 3  prod (approval)  earliest 2026-12-06" in text
    md = _rollout(history, *args, fmt="markdown").out
    assert "| 2 | stg | 2026-12-03 | pending | <code>envs/stg/network</code> |" in md


def test_matrix_is_tfaction_targets(history: Path) -> None:
    result = _rollout(history, "matrix", INVENTORY, "--wave", "2", fmt="text")
    assert result.code == 0, result.err
    assert result.out.count("\n") == 1  # one line for $GITHUB_OUTPUT
    assert json.loads(result.out) == [
        {
            "target": "stg/network",
            "working_directory": "envs/stg/network",
            "runs_on": "ubuntu-latest",
            "job_type": "terraform",
            "skip_terraform": False,
        }
    ]
    bad = _rollout(history, "matrix", INVENTORY, "--wave", "7")
    assert bad.code == 2 and "wave 7 does not exist" in bad.err


def test_usage_errors(history: Path) -> None:
    unknown = _rollout(history, "plan", "hashicorp/nope")
    assert unknown.code == 2 and "Traceback" not in unknown.err
    not_a_repo = run_cli("rollout", "status", INVENTORY, "--repo", str(history / "envs"))
    assert not_a_repo.code == 2 and "Traceback" not in not_a_repo.err


def _pr(history: Path, *edits: tuple[str, str]) -> CliResult:
    for path, source in edits:
        (history / path).write_bytes((history / source).read_bytes())
    head = _commit(history, "2026-11-26T00:00:00Z", "renovate")
    base = _git(history, "rev-parse", "HEAD~1")
    event = write_event(history.parent / "event.json")
    old = os.environ.get("DEPGUARD_NOW")
    os.environ["DEPGUARD_NOW"] = "2026-11-26T00:00:00Z"
    try:
        return run_cli(
            "--format", "json", "--config", str(history / "depguard.yaml"), "check-pr",
            "--repo", str(history), "--base", base, "--head", head, "--event", str(event),
            "--no-verify",
        )  # fmt: skip
    finally:
        if old is None:
            del os.environ["DEPGUARD_NOW"]
        else:
            os.environ["DEPGUARD_NOW"] = old


def test_check_pr_lets_the_next_stage_follow_after_the_soak(history: Path) -> None:
    # dev has run 1.3.0 since 11-20 (soak 2d over on 11-26): stg may take it
    result = _pr(history, (STG_LOCK, DEV_LOCK))
    assert result.code == 0, result.out
    assert result.json()["findings"] == []


def test_check_pr_blocks_prod_before_stg(history: Path) -> None:
    result = _pr(history, (PROD_LOCK, DEV_LOCK))
    assert result.code == 1, result.out
    (finding,) = result.json()["findings"]
    assert (finding["rule"], finding["path"]) == ("rollout-out-of-order", PROD_LOCK)
    assert "stage stg: 1 of 1 directories do not run 1.3.0 yet" in finding["message"]


def test_check_pr_blocks_a_stage_upgraded_together_with_the_one_before(history: Path) -> None:
    # stg and prod in one PR: prod is out of order (stg does not run it on the base branch)
    result = _pr(history, (STG_LOCK, DEV_LOCK), (PROD_LOCK, DEV_LOCK))
    assert {(f["rule"], f["path"]) for f in result.json()["findings"]} == {
        ("rollout-out-of-order", PROD_LOCK)
    }


def test_renovate_rules_written_into_the_example_pass_the_validator_and_the_lint(
    history: Path, tmp_path: Path
) -> None:
    """The example's renovate.json5 already holds depguard's rules: --write keeps it as it
    is, lint-renovate finds nothing, and (renovate tier) the real validator accepts it."""
    before = (history / "renovate.json5").read_text()
    written = run_cli("rollout", "renovate-rules", "--write", "--repo", str(history))
    assert written.code == 0, written.err
    assert (history / "renovate.json5").read_text() == before
    lint = run_cli("--format", "json", "rollout", "lint-renovate", "--repo", str(history))
    assert lint.code == 0 and lint.json()["findings"] == [], lint.out
    # a config without depguard's rules gains them, the rest untouched
    (history / "renovate.json5").write_text("{\n  // ours\n  extends: ['config:recommended'],\n}\n")
    assert run_cli("rollout", "renovate-rules", "--write", "--repo", str(history)).code == 0
    merged = (history / "renovate.json5").read_text()
    assert "// ours" in merged and "depguard rollout: prod" in merged
    lint = run_cli("--format", "json", "rollout", "lint-renovate", "--repo", str(history))
    assert lint.json()["findings"] == [], lint.out
    # and one that merges the stages into one PR is what the lint is for
    (history / "renovate.json5").write_text(
        "{packageRules: [{matchManagers: ['terraform'], groupName: 'all providers'}]}\n"
    )
    lint = run_cli("--format", "json", "rollout", "lint-renovate", "--repo", str(history))
    assert {f["rule"] for f in lint.json()["findings"]} == {"renovate-rule-ineffective"}


@pytest.mark.renovate
def test_renovate_rules_of_the_example_pass_the_real_validator(
    history: Path, tmp_path: Path
) -> None:
    validator = validator_path()
    printed = run_cli("rollout", "renovate-rules", "--repo", str(history))
    assert printed.code == 0, printed.err
    for name, text in (
        ("printed", printed.out),
        ("example", (history / "renovate.json5").read_text()),
    ):
        result = validate(validator, text, tmp_path / name)
        assert result.returncode == 0, (name, result.stdout, result.stderr)
