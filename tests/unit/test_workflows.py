"""``uses:`` references of workflows and action metadata: forms, comments, anchors, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.formats.workflows import (
    UsesRef,
    is_workflow_path,
    parse_uses,
    parse_workflow,
)

SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"
SHA256 = "c" * 64
DIGEST = "sha256:" + "d" * 64


def _refs(text: str, path: str = ".github/workflows/ci.yaml") -> list[UsesRef]:
    return parse_workflow(text, path)


def _short(
    refs: list[UsesRef],
) -> list[tuple[int, str, str | None, str | None, str | None, str | None]]:
    return [(r.line, r.kind, r.name, r.path, r.ref, r.comment) for r in refs]


# --- forms ----------------------------------------------------------------------------------


WORKFLOW = f"""\
name: ci
on: [push, pull_request]
jobs:
  call-remote:
    uses: octo-org/shared/.github/workflows/deploy.yml@{SHA} # v1.2.0
    secrets: inherit
  call-local:
    uses: ./.github/workflows/reusable.yaml
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@{SHA} # v4.2.2
      - name: subdirectory action
        uses: "aws-actions/configure-aws-credentials/assume@v4"   #   v4 floating
      - uses: ./.github/actions/setup
      - uses: docker://alpine:3.20
      - uses: docker://ghcr.io/o/img@{DIGEST}  # 1.0
      - uses: docker://registry.example:5000/team/img
      - uses: 'actions/cache@{SHA}'
      - run: 'echo "uses: not/this@v1"'
      - {{name: go, uses: actions/setup-go@v5}} # flow
      - {{uses: actions/setup-node@v4, with: {{node-version: 22}}}} # after other content
"""


def test_every_form() -> None:
    assert _short(_refs(WORKFLOW)) == [
        (5, "reusable-workflow", "octo-org/shared", ".github/workflows/deploy.yml", SHA, "v1.2.0"),
        (
            8,
            "local",
            "./.github/workflows/reusable.yaml",
            "./.github/workflows/reusable.yaml",
            None,
            None,
        ),
        (12, "action", "actions/checkout", None, SHA, "v4.2.2"),
        (14, "action", "aws-actions/configure-aws-credentials", "assume", "v4", "v4 floating"),
        (15, "local", "./.github/actions/setup", "./.github/actions/setup", None, None),
        (16, "docker", "alpine", "alpine", "3.20", None),
        (17, "docker", "ghcr.io/o/img", "ghcr.io/o/img", DIGEST, "1.0"),
        (
            18,
            "docker",
            "registry.example:5000/team/img",
            "registry.example:5000/team/img",
            None,
            None,
        ),
        (19, "action", "actions/cache", None, SHA, None),
        (21, "action", "actions/setup-go", None, "v5", "flow"),
        # As Renovate reads it: a version comment follows the reference directly.
        (22, "action", "actions/setup-node", None, "v4", None),
    ]
    pinned = {r.line: r.pinned for r in _refs(WORKFLOW)}
    assert pinned == {
        5: True,
        8: False,
        12: True,
        14: False,
        15: False,
        16: False,
        17: True,
        18: False,
        19: True,
        21: False,
        22: False,
    }
    first = _refs(WORKFLOW)[0]
    assert (first.owner, first.repo, first.file) == (
        "octo-org",
        "shared",
        ".github/workflows/ci.yaml",
    )
    assert first.uses == f"octo-org/shared/.github/workflows/deploy.yml@{SHA}"


def test_pinned_needs_a_full_lower_case_commit_id() -> None:
    cases = {
        f"a/b@{SHA}": True,
        f"a/b@{SHA256}": True,
        f"a/b@{SHA.upper()}": False,  # could be a branch or tag named like that
        f"a/b@{SHA[:12]}": False,
        f"a/b@{SHA}0": False,
        "a/b@v4.1.0": False,
        "a/b@main": False,
        f"docker://img@{DIGEST}": True,
        "docker://img@sha256:abc": False,
        f"docker://img:{SHA}": False,
        f"./x@{SHA}": False,
    }
    for uses, expected in cases.items():
        (ref,) = _refs(f"jobs:\n  j:\n    steps:\n      - uses: {uses}\n")
        assert ref.pinned is expected, uses


def test_matrix_and_other_expressions() -> None:
    text = """\
jobs:
  j:
    strategy:
      matrix:
        action: [actions/checkout@v4, actions/cache@v4]
    steps:
      - uses: ${{ matrix.action }}
      - uses: actions/checkout@${{ matrix.sha }} # dynamic
  k:
    uses: ${{ inputs.workflow }}
"""
    refs = _refs(text)
    assert [(r.line, r.kind, r.ref, r.pinned, r.comment) for r in refs] == [
        (7, "expression", None, False, None),
        (8, "expression", None, False, "dynamic"),
        (10, "expression", None, False, None),
    ]
    assert refs[0].name == "${{ matrix.action }}"


def test_references_that_do_not_parse_are_kept_unpinned() -> None:
    cases = {
        "actions/checkout": ("action", None, None, None, None),
        "actions/checkout@": ("action", "actions", "checkout", None, None),
        "a/b@c@d": ("action", None, None, None, None),
        "checkout@v4": ("action", None, None, None, "v4"),
        "/b@v1": ("action", None, None, None, "v1"),
        f"../up@{SHA}": ("action", "..", "up", None, SHA),
    }
    for uses, expected in cases.items():
        assert parse_uses(uses) == expected, uses
    (ref,) = _refs("jobs:\n  j:\n    steps:\n      - uses: actions/checkout\n")
    assert ref.ref is None and not ref.pinned and ref.name == "actions/checkout"
    assert parse_uses("o/r/.github/workflows/x.yml@v1", job_level=True) == (
        "reusable-workflow",
        "o",
        "r",
        ".github/workflows/x.yml",
        "v1",
    )


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown uses kind"):
        UsesRef(
            file="f",
            line=1,
            uses="x",
            kind="npm",
            owner=None,
            repo=None,
            path=None,
            ref=None,
            comment=None,
        )


# --- comments -------------------------------------------------------------------------------


def test_trailing_comments() -> None:
    text = f"""\
jobs:
  j:
    steps:
      - uses: a/b@{SHA} # v1.0.0
      - uses: a/c@{SHA}    #v2
      - uses: a/d@v1#not-a-comment
      - uses: "a/e@v1" # quoted
      - uses: 'a/f@v1'# no blank before the hash: not a comment
      - uses: a/g@v1 #
      - uses: a/h@v1 # tag=v1.2.3 # and more
      - uses: a/i@v1 # {"x" * 500}
"""
    refs = _refs(text)
    assert [(r.uses, r.comment) for r in refs] == [
        (f"a/b@{SHA}", "v1.0.0"),
        (f"a/c@{SHA}", "v2"),
        ("a/d@v1#not-a-comment", None),
        ("a/e@v1", "quoted"),
        ("a/f@v1", None),
        ("a/g@v1", None),
        ("a/h@v1", "tag=v1.2.3 # and more"),
        ("a/i@v1", "x" * 200),
    ]
    assert refs[2].ref == "v1#not-a-comment"


def test_comment_lines_follow_yaml_line_breaks() -> None:
    # CRLF, CR, NEL, LS and PS are YAML line breaks; a comment must come from the line the
    # key is on.
    base = f"jobs:\n  j:\n    steps:\n      - run: echo\n      - uses: a/b@{SHA} # v9\n"
    for sep in ("\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"):
        text = base.replace("\n", sep)
        (ref,) = _refs(text)
        assert (ref.line, ref.comment) == (5, "v9"), repr(sep)
    (ref,) = _refs("\ufeff" + base)
    assert (ref.line, ref.comment) == (5, "v9")


# --- anchors ---------------------------------------------------------------------------------


def test_anchors_aliases_and_merge_keys() -> None:
    text = f"""\
x-checkout: &checkout
  uses: actions/checkout@{SHA} # v4.2.2
  with: {{persist-credentials: false}}
jobs:
  a:
    steps:
      - *checkout
      - uses: &cache actions/cache@{SHA} # v4.0.0
  b:
    steps:
      - <<: *checkout
        name: merged
      - uses: *cache
"""
    got = [(r.line, r.name, r.comment) for r in _refs(text)]
    assert got == [
        (2, "actions/checkout", "v4.2.2"),  # the alias: a reference at the anchor's line
        (2, "actions/checkout", "v4.2.2"),  # the merge: keys keep the anchor's line
        (8, "actions/cache", "v4.0.0"),
        (13, "actions/cache", None),  # the value is not on this line
    ]


# --- action metadata --------------------------------------------------------------------------


def test_composite_action() -> None:
    text = f"""\
name: setup
description: composite
runs:
  using: composite
  steps:
    - uses: aquaproj/aqua-installer@{SHA} # v4.0.4
      with:
        aqua_version: v2.60.1
    - run: echo hi
      shell: bash
    - uses: ./other
"""
    got = _short(parse_workflow(text, "tools/setup/action.yml"))
    assert got == [
        (6, "action", "aquaproj/aqua-installer", None, SHA, "v4.0.4"),
        (11, "local", "./other", "./other", None, None),
    ]


def test_docker_action() -> None:
    text = f"runs:\n  using: docker\n  image: docker://ghcr.io/o/i@{DIGEST} # v3\n"
    (ref,) = parse_workflow(text, "action.yaml")
    assert (ref.line, ref.kind, ref.name, ref.ref, ref.pinned, ref.comment) == (
        3,
        "docker",
        "ghcr.io/o/i",
        DIGEST,
        True,
        "v3",
    )
    assert parse_workflow("runs:\n  using: docker\n  image: Dockerfile\n", "action.yml") == []
    assert parse_workflow("runs:\n  using: node20\n  main: index.js\n", "action.yml") == []


def test_files_without_uses() -> None:
    assert _refs("") == []
    assert _refs("# only a comment\n") == []
    assert _refs("name: x\non: push\njobs:\n  j:\n    runs-on: x\n") == []
    assert _refs("jobs: {}\n") == []
    assert _refs("jobs:\n  j:\n    steps: []\n") == []


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("jobs:\n  j:\n    steps:\n      - uses: [a\n", "invalid YAML", None),
        ("jobs:\n  j: {\n", "invalid YAML", None),
        ("jobs:\n  j:\n    steps:\n    - uses: a/b@v1\n   bad: indent\n", "invalid YAML", 5),
        ("- a\n- b\n", "expected a mapping at the top level", 1),
        ("jobs: [a]\n", "jobs: expected a mapping", 1),
        ("jobs:\n  j: text\n", "jobs.j: expected a mapping", 2),
        ("jobs:\n  j:\n    steps: {uses: a/b@v1}\n", "jobs.j.steps: expected a list", 3),
        ("jobs:\n  j:\n    steps:\n      - a/b@v1\n", "jobs.j.steps[0]: expected a mapping", 4),
        (
            "jobs:\n  j:\n    steps:\n      - uses: {a: b}\n",
            "jobs.j.steps[0].uses: expected a string",
            4,
        ),
        ("jobs:\n  j:\n    steps:\n      - uses:\n", "jobs.j.steps[0].uses: empty reference", 4),
        ("jobs:\n  j:\n    uses: ''\n", "jobs.j.uses: empty reference", 3),
        ("runs: composite\n", "runs: expected a mapping", 1),
        (
            "jobs:\n  j:\n    steps:\n      - uses: a/b@v1\n"
            "      - uses: a/b@v1\n        uses: c/d@v1\n",
            "duplicate key 'uses'",
            6,
        ),
        ("a: &x [*x]\n", "alias", 1),
        ("jobs: !!python/object:os.system {}\n", "unsupported YAML tag", 1),
        ("jobs: {}\n---\njobs: {}\n", "several YAML documents", 2),
    ],
)
def test_malformed_files(text: str, message: str, line: int | None) -> None:
    with pytest.raises(InputError) as info:
        parse_workflow(text, ".github/workflows/bad.yml")
    assert message in str(info.value)
    assert str(info.value).startswith(".github/workflows/bad.yml")
    if line is not None:
        assert info.value.line == line
    else:
        assert info.value.line is not None


# --- paths ------------------------------------------------------------------------------------


def test_is_workflow_path() -> None:
    yes = [
        ".github/workflows/ci.yml",
        ".github/workflows/ci.yaml",
        ".github/workflows/CI.YML",
        ".github/workflows/.yml",
        "./.github/workflows/x.yaml",
        "action.yml",
        "action.yaml",
        ".github/actions/setup/action.yml",
        "deep/dir/action.yaml",
    ]
    no = [
        ".github/workflows/sub/ci.yml",  # GitHub reads workflows only directly in the folder
        "sub/.github/workflows/ci.yml",
        ".github/workflows/ci.json",
        ".github/workflows/",
        ".github/dependabot.yml",
        "myaction.yml",
        "action.yml.bak",
        "docs/action.md",
        ".github/workflow/ci.yml",
    ]
    assert [p for p in yes if not is_workflow_path(p)] == []
    assert [p for p in no if is_workflow_path(p)] == []


# --- the corpus -------------------------------------------------------------------------------


def _corpus_workflows(corpus: Path) -> list[Path]:
    files = (p for p in (corpus / "renovate").rglob("*") if p.is_file())
    return sorted(p for p in files if is_workflow_path(p.relative_to(_repo_root(p)).as_posix()))


def _repo_root(path: Path) -> Path:
    """The base/head tree (or probe sample repo) a corpus file belongs to."""
    for parent in path.parents:
        if parent.name in ("base", "head", "sample-repo"):
            return parent
    return path.parent


def test_every_corpus_workflow_parses_pinned_with_version_comments(corpus: Path) -> None:
    files = _corpus_workflows(corpus)
    assert len(files) == 45  # 11 + 11 (entry 06), 11 + 11 (entry 11), 1 probe
    total = 0
    for file in files:
        refs = parse_workflow(file.read_text(encoding="utf-8"), str(file))
        assert refs, file
        for ref in refs:
            total += 1
            # tfaction-example pins every action by SHA with pinact/Renovate's "# vX" comment.
            assert ref.kind in ("action", "reusable-workflow"), ref
            assert ref.pinned and ref.comment is not None and ref.comment.startswith("v"), ref
            assert f"@{ref.ref} # {ref.comment}" in file.read_text().splitlines()[ref.line - 1]
    assert total == 262


def _by_file(tree: Path) -> dict[str, list[tuple[str, str | None, str | None, str | None]]]:
    out = {}
    for file in sorted((tree / ".github" / "workflows").iterdir()):
        refs = parse_workflow(file.read_text(), file.name)
        out[file.name] = [(r.name, r.path, r.ref, r.comment) for r in refs]
    return out


def test_corpus_actions_checkout_update_changes_only_checkout(corpus: Path) -> None:
    """Entry 11 (chore(deps): update actions/checkout action to v7): in all 11 workflows
    every actions/checkout ref moves from v6.0.3 to v7.0.0 and nothing else changes."""
    entry = corpus / "renovate" / "commits" / "11-tfaction-example-pr4737"
    base, head = _by_file(entry / "base"), _by_file(entry / "head")
    assert base.keys() == head.keys() and len(base) == 11
    old = ("actions/checkout", None, "df4cb1c069e1874edd31b4311f1884172cec0e10", "v6.0.3")
    new = ("actions/checkout", None, "9c091bb21b7c1c1d1991bb908d89e4e9dddfe3e0", "v7.0.0")
    changed = 0
    for name in base:
        assert len(base[name]) == len(head[name])
        for before, after in zip(base[name], head[name], strict=True):
            if before != after:
                assert (before, after) == (old, new), name
                changed += 1
    commits = corpus / "renovate" / "commits"
    meta = json.loads((commits / "11-tfaction-example-pr4737.json").read_text())
    patch = (commits / "11-tfaction-example-pr4737.patch").read_text().splitlines()
    assert changed == 13 == sum(1 for line in patch if line.startswith("+ ") and "uses:" in line)
    assert "actions/checkout" in meta["title"] and "v7" in meta["title"]


def test_corpus_aqua_version_update_changes_no_uses(corpus: Path) -> None:
    """Entry 06 updates `aqua_version:` inputs in 11 workflows; no `uses:` ref changes."""
    entry = corpus / "renovate" / "commits" / "06-tfaction-example-pr1740"
    assert _by_file(entry / "base") == _by_file(entry / "head")


def test_probe_workflow(corpus: Path) -> None:
    file = corpus / "renovate" / "probe" / "sample-repo" / ".github" / "workflows" / "test.yaml"
    refs = parse_workflow(file.read_text(), ".github/workflows/test.yaml")
    assert [(r.name, r.comment, r.pinned) for r in refs] == [
        ("actions/checkout", "v4.2.2", True),
        ("aquaproj/aqua-installer", "v3.1.1", True),
    ]
    # The same refs Renovate 39's extract found (probe report).
    report = json.loads(
        (corpus / "renovate" / "probe" / "renovate-39.264.1.local-extract-report.json").read_text()
    )
    deps = report["repositories"]["local"]["packageFiles"]["github-actions"][0]["deps"]
    extracted = {
        (d["depName"], d.get("currentDigest"), d.get("currentValue"))
        for d in deps
        if d.get("depType") == "action"
    }
    assert extracted == {(r.name, r.ref, r.comment) for r in refs}
