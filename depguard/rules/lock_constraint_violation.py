"""Rule ``lock-constraint-violation`` (see ``META.summary``)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from depguard.engine.context import LockContext
from depguard.model import Finding, RuleId, Severity
from depguard.rules.base import RuleMeta
from depguard.versions import Constraints, merge_constraints

META = RuleMeta(
    id=RuleId("lock-constraint-violation"),
    severity=Severity.HIGH,
    summary="The locked version does not satisfy the configuration's version constraints.",
    help=(
        '`terraform init` fails with "locked provider ... does not match configured version '
        'constraint". Update the lock (`depguard lock --upgrade`) or the constraint.'
    ),
)


def check_lock(ctx: LockContext) -> Iterator[Finding]:
    """Yield a finding for each locked version outside the merged version constraints.

    Terraform refuses such a lock at init ("locked provider ... does not match configured
    version constraint"), so the pipeline would fail or silently re-resolve.
    """
    lock = ctx.state.lock
    if lock is None:
        return
    for entry in lock.providers:
        req = ctx.required.get(entry.address)
        if req is None or not req.constraints:
            continue
        merged = _merged(req.constraints)
        if not merged.allows(entry.version):
            yield META.finding(
                message=f"{entry.address} is locked at {entry.version}, which does not "
                f'satisfy the configured constraints "{merged}" ({req.where})',
                path=ctx.state.lock_display,
                line=entry.line,
                subject=f"{entry.address} {entry.version}",
            )


@functools.lru_cache(maxsize=1024)
def _merged(constraints: tuple[str, ...]) -> Constraints:
    # Thousands of directories share a handful of constraint sets.
    return merge_constraints(*constraints)
