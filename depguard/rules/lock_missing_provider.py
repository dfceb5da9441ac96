"""Rule ``lock-missing-provider``: a provider required by the configuration has no lock entry."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("lock-missing-provider"),
    severity=Severity.HIGH,
    summary='A provider required by the configuration has no lock entry.',
    help=(
        'The configuration (or a local module it calls) requires a provider that the lock file does not pin, so its version and hashes are chosen at `terraform init` time, unreviewed. Run `depguard lock`.'
    ),
)
