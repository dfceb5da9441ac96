"""Rule ``invalid-manifest``: a lock file, configuration, checksum file, policy or workflow cannot be parsed."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("invalid-manifest"),
    severity=Severity.HIGH,
    summary='A lock file, configuration, checksum file, policy or workflow cannot be parsed.',
    help=(
        'depguard could not parse the file; the message names the file and line. The run continues with the other files. Fix the syntax (for lock files, `terraform providers lock` or `depguard lock` rewrites them canonically).'
    ),
)
