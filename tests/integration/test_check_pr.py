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


def _check(
    tmp_path: Path, base: Path, head: Path, event: Path, *extra: str, verify: bool = False
) -> CliResult:
    repo, b, h = build_pr_repo(tmp_path, base, head)
    result = run_cli(
        "--format", "json", "--offline", *extra, "check-pr", "--repo", str(repo), "--base", b,
        "--head", h, "--event", str(event), *(() if verify else ("--no-verify",)),
    )  # fmt: skip
    assert "Traceback" not in result.err, result.err
    return result


def _corpus_prs(corpus: Path) -> list[Path]:
    root = corpus / "renovate" / "commits"
    return sorted(p for p in root.iterdir() if p.is_dir())


def test_real_renovate_prs_pass_the_gate(corpus: Path, tmp_path: Path) -> None:
    """The 13 real Renovate PRs: no finding of the PR rules, and their changes are all
    extracted. (Their upstream releases are not in any snapshot, so verification of their new
    hashes is exercised on the shipped example below.)"""
    # rows of the change table per PR (tests/unit/test_changes.py asserts each extracted
    # change; here a lock entry's hash change shares its version change's row and an
    # aqua-checksums.json is one row)
    expected_rows = {
        "01": 2, "02": 2, "03": 1, "04": 1, "05": 2, "06": 16, "07": 1, "08": 2, "09": 2,
        "10": 5, "11": 13, "12": 2, "13": 2,
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
        rows = report["changes"]
        assert len(rows) == expected_rows[d.name[:2]], (d.name, rows)
        # --no-verify: nothing claims to be verified, nothing failed
        assert {r["status"] for r in rows} <= {"n/a", "not verified"}, (d.name, rows)


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


EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"


def _example_pr(tmp_path: Path, edit: str) -> CliResult:
    """A Renovate PR on the shipped example whose head has one edit; verified offline against
    the example's upstream snapshot (its depguard.yaml, as the base branch's policy)."""
    head = tmp_path / "head"
    shutil.copytree(EXAMPLE, head)
    if edit == "lock-zh":
        lock = head / "envs" / "dev" / "network" / ".terraform.lock.hcl"
        text = lock.read_text()
        start = text.index('"zh:') + 4
        lock.write_text(text[:start] + "0" * 64 + text[start + 64 :])
    elif edit == "aqua-sum":
        sums = head / "aqua" / "aqua-checksums.json"
        doc = json.loads(sums.read_text())
        doc["checksums"][1]["checksum"] = "F" * 64
        sums.write_text(json.dumps(doc, indent=2) + "\n")
    event = write_event(tmp_path / "event.json")
    return _check(
        tmp_path, EXAMPLE, head, event, "--config", str(EXAMPLE / "depguard.yaml"), verify=True
    )


def test_a_tampered_lock_hash_in_a_bot_pr_is_critical(tmp_path: Path) -> None:
    result = _example_pr(tmp_path, "lock-zh")
    assert result.code == 1, result.out + result.err
    rules = {(f["rule"], f["severity"]) for f in result.json()["findings"]}
    assert ("lock-hash-mismatch", "critical") in rules
    assert ("pr-unexpected-change", "critical") in rules  # hashes changed, version did not


def test_a_tampered_aqua_checksum_in_a_bot_pr_is_critical(tmp_path: Path) -> None:
    result = _example_pr(tmp_path, "aqua-sum")
    assert result.code == 1, result.out + result.err
    rules = {(f["rule"], f["severity"]) for f in result.json()["findings"]}
    assert ("aqua-checksum-mismatch", "critical") in rules
    assert ("pr-unexpected-change", "critical") in rules


def test_an_unchanged_example_pr_verifies_the_touched_directories(tmp_path: Path) -> None:
    head = tmp_path / "head"
    shutil.copytree(EXAMPLE, head)
    lock = head / "envs" / "stg" / "network" / ".terraform.lock.hcl"
    dev = EXAMPLE / "envs" / "dev" / "network" / ".terraform.lock.hcl"
    lock.write_bytes(dev.read_bytes())  # stg catches up with dev: inventory 1.2.0 -> 1.3.0
    tf = head / "envs" / "stg" / "network" / "main.tf"
    tf.write_bytes((EXAMPLE / "envs" / "dev" / "network" / "main.tf").read_bytes())
    event = write_event(tmp_path / "event.json")
    result = _check(
        tmp_path, EXAMPLE, head, event, "--config", str(EXAMPLE / "depguard.yaml"), verify=True
    )
    report = result.json()
    assert result.code == 0, result.out + result.err
    subjects = {(c["path"], c["subject"]) for c in report["checked"]}
    assert (
        "envs/stg/network/.terraform.lock.hcl",
        "tf.acme.example/platform/inventory 1.3.0",
    ) in subjects
    (row,) = report["changes"]
    assert (row["kind"], row["name"], row["old"], row["new"]) == (
        "provider",
        "tf.acme.example/platform/inventory",
        "1.2.0",
        "1.3.0",
    )
    assert row["status"] == "verified" and row["hashes"] == "+8 −8 hashes"
    # stg's entry gains h1: hashes: its signed packages were downloaded and hashed too
    assert row["evidence"] == [
        "zh and h1 checked against SHA256SUMS signed by a trusted key FE991F73193CD349"
    ]


def test_the_pr_comment_lists_each_change_with_its_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--format markdown is the PR comment (marker, change table, findings, how to fix), and
    under GitHub Actions the same comment goes to $GITHUB_STEP_SUMMARY."""
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    head = tmp_path / "head"
    shutil.copytree(EXAMPLE, head)
    lock = head / "envs" / "dev" / "network" / ".terraform.lock.hcl"
    text = lock.read_text()
    start = text.index('"zh:') + 4
    lock.write_text(text[:start] + "0" * 64 + text[start + 64 :])
    event = write_event(tmp_path / "event.json")
    result = _check(
        tmp_path, EXAMPLE, head, event, "--format", "markdown", "--config",
        str(EXAMPLE / "depguard.yaml"), verify=True,
    )  # fmt: skip
    assert result.code == 1, result.out
    out = result.out
    assert out.startswith("<!-- depguard:report command=check-pr -->\n")
    assert "| Dependency | Change | Source | Verification | Evidence | Released |" in out
    row = next(line for line in out.splitlines() if "provider-hashes" in line)
    assert "envs/dev/network/.terraform.lock.hcl" in row and "**failed**" in row
    assert "+1 −1 hashes" in row
    assert "[lock-hash-mismatch](" in out and "**How to fix**" in out
    assert out.index("| Dependency |") < out.index("| Severity |")
    written = summary.read_text()
    assert written.startswith("earlier step\n") and out in written


BODY = """This PR contains the following updates:

| Package | Type | Update | Change |
|---|---|---|---|
| [{package}](https://github.com/{package}) | | patch | `v4.14.0` -> `v4.14.1` |
"""


@pytest.mark.parametrize(
    ("package", "expect"),
    [("suzuki-shunsuke/tfcmt", set()), ("suzuki-shunsuke/tfnotify", {"pr-unexpected-change"})],
)
def test_the_body_claims_are_checked_against_the_diff(
    tmp_path: Path, package: str, expect: set[str]
) -> None:
    base, head, _ = _scenario(tmp_path, "pr-not-from-bot")  # a tfcmt bump
    event = write_event(tmp_path / "event.json", body=BODY.format(package=package))
    config = RULES / "pr-not-from-bot" / "positive" / "depguard.yaml"
    result = _check(tmp_path, base, head, event, "--config", str(config))
    assert {f["rule"] for f in result.json()["findings"]} == expect


def test_rows_without_verification(tmp_path: Path) -> None:
    """--no-verify: a row a finding is about is failed, the others say they were not
    verified (never "verified")."""
    base, head, event = _scenario(tmp_path, "checksums-stale")
    result = _check(tmp_path / "p", base, head, event, "--format", "json")
    (row,) = result.json()["changes"]
    assert (row["name"], row["status"]) == ("suzuki-shunsuke/tfcmt", "failed")
    case = RULES / "checksums-stale" / "negative"
    result = _check(tmp_path / "n", case / "base", case / "head", case / "event.json")
    rows = result.json()["changes"]
    assert rows and {r["status"] for r in rows} <= {"not verified", "n/a"}, rows
