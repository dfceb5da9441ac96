"""``rollout-out-of-order`` in ``check-pr``: a PR that upgrades a dependency in a stage whose
earlier stages do not yet run that version, for their soak time, on the base branch.

The base branch is read as git objects (the workspace discovered from the base revision, the
landing dates from its first-parent history); the PR's own changes do not count, so a PR
that upgrades dev and prod together is out of order for prod.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from depguard.errors import DepguardError
from depguard.model import Finding, Skip
from depguard.rules import rollout_out_of_order

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.prcheck.changes import DependencyChange
    from depguard.rollout.model import Dependency, Target, Workspace

__all__ = ["check_rollout_order"]


def _dependency(c: DependencyChange) -> Dependency | None:
    """The rollout dependency a version change moves, if it pins an exact version."""
    from depguard.formats.tf_address import parse_lock_label
    from depguard.rollout.model import Dependency

    if c.old_version is None or c.new_version is None or c.old_version == c.new_version:
        return None
    if c.kind == "provider" and c.file.endswith(".terraform.lock.hcl"):
        try:
            return Dependency("provider", str(parse_lock_label(c.name)))
        except DepguardError:
            return None
    if c.kind == "aqua-package":
        if c.name == "hashicorp/terraform":
            return Dependency("terraform", "terraform")
        return Dependency("aqua", c.name)
    if c.kind == "terraform-version":
        return Dependency("terraform", "terraform")
    return None


def _owner(file: str, targets: Sequence[Target]) -> Target | None:
    """The state directory a changed file belongs to (the deepest one containing it)."""
    holders = [t for t in targets if t.path == "." or file.startswith(t.path + "/")]
    return max(holders, key=lambda t: -1 if t.path == "." else len(t.path), default=None)


def check_rollout_order(
    repo_dir: Path, base: str, changes: Sequence[DependencyChange], *, config: Config
) -> tuple[list[Finding], list[Skip]]:
    """Findings for version changes that skip a stage (no stages configured: none)."""
    from depguard.prcheck.release_age import now
    from depguard.rollout.model import GitSource
    from depguard.rollout.planner import plan
    from depguard.rollout.status import landed, order_violations
    from depguard.rollout.workspace import discover

    if not config.rollout.stages:
        return [], []
    moves = [(c, d) for c in changes if (d := _dependency(c)) is not None]
    if not moves:
        return [], []
    findings: list[Finding] = []
    clock = now()
    try:
        with GitSource(repo_dir, base) as source:
            workspace: Workspace = discover(source, config, root=repo_dir, constraints=False)
            histories = {
                dep: landed(source.repo, source.commit, workspace, dep, prefix=source.prefix)
                for dep in sorted({d for _, d in moves})
            }
    except DepguardError as e:
        return [], [
            Skip(
                subject="rollout order",
                reason=f"the base branch's rollout state could not be read: {e.message}",
            )
        ]
    seen: set[tuple[str, str, str]] = set()
    for c, dep in moves:
        target = _owner(c.file, workspace.targets)
        if target is None or c.new_version is None:
            continue
        key = (str(dep), target.path, c.new_version)
        if key in seen:
            continue
        seen.add(key)
        history = histories[dep]
        staged = plan(workspace, dep, to=c.new_version, start=clock.date(), landed=history)
        reasons = order_violations(staged, history, stage=target.stage, now=clock)
        if reasons:
            findings.append(
                rollout_out_of_order.META.finding(
                    message=f"{c.file}: {dep} {c.new_version} in {target.path} (stage "
                    f"{target.stage}) before the earlier stages: " + "; ".join(reasons),
                    path=c.file,
                    line=c.line,
                    subject=f"{dep} {c.new_version} {target.path}",
                )
            )
    return findings, []
