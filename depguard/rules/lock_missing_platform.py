"""Rule ``lock-missing-platform``: the lock file has no hash for a configured platform."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("lock-missing-platform"),
    severity=Severity.MEDIUM,
    summary='The lock file has no hash for a configured platform.',
    help=(
        '`terraform init` on that platform would fail (or rewrite the lock) when it installs from a mirror or cache, or with `-lockfile=readonly`. Run `depguard lock --platform ...` to add the missing hashes.'
    ),
)
