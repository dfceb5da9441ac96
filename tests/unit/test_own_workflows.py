"""The project's own workflows pass its own rules: every `uses:` pinned by full SHA with a
version comment, least-privilege permissions, no PR content checked out on pull_request_target."""

from __future__ import annotations

from pathlib import Path

import pytest

from depguard.formats.workflows import parse_workflow
from depguard.formats.yaml_lines import load_yaml

WORKFLOWS = sorted((Path(__file__).resolve().parents[2] / ".github" / "workflows").glob("*.yaml"))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_with_a_version_comment(path: Path) -> None:
    for ref in parse_workflow(path.read_text(), path.name):
        if ref.kind in ("local",):
            continue
        assert ref.pinned, f"{path.name}:{ref.line}: {ref.uses} is not pinned by SHA"
        assert ref.comment and ref.comment.lstrip("# ").startswith("v"), ref


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_declared(path: Path) -> None:
    doc = load_yaml(path.read_text(), path.name)
    assert "permissions" in doc, f"{path.name}: no top-level permissions"


def test_the_pr_gate_checks_out_only_the_base() -> None:
    text = (WORKFLOWS[0].parent / "depguard-pr.yaml").read_text()
    assert "github.event.pull_request.base.sha" in text
    assert "pull_request.head.sha }}\n" not in text and "head.ref" not in text
    assert "persist-credentials: false" in text
