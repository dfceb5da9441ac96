"""Rule ``rollout-out-of-order`` (judged by :mod:`depguard.prcheck.rollout_order`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("rollout-out-of-order"),
    severity=Severity.HIGH,
    summary="A later rollout stage is upgraded before the earlier stages ran the version "
    "for their soak time.",
    help=(
        "The PR moves a dependency to a version in a state directory whose rollout stage "
        "(rollout.stages) comes after stages that, on the base branch, do not run that version "
        "yet or have not run it for their soak time. Merge the earlier stages' upgrade first "
        "and wait for the soak (`depguard rollout status DEP` says when the next wave may "
        "start), or split the PR per stage (`depguard rollout renovate-rules`)."
    ),
)
