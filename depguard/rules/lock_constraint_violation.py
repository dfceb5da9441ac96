"""Rule ``lock-constraint-violation``: the locked version does not satisfy the configuration's version constraints."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("lock-constraint-violation"),
    severity=Severity.HIGH,
    summary="The locked version does not satisfy the configuration's version constraints.",
    help=(
        '`terraform init` fails with "locked provider ... does not match configured version constraint". Update the lock (`depguard lock --upgrade`) or the constraint.'
    ),
)
