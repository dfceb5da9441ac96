"""Rule ``lock-hash-mismatch``: a lock-file hash does not match the provider's signed upstream data."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("lock-hash-mismatch"),
    severity=Severity.CRITICAL,
    summary="A lock-file hash does not match the provider's signed upstream data.",
    help=(
        "A `zh:` hash is not a line of the provider's signed `SHA256SUMS`, or (with `--deep`) an `h1:` hash matches none of the signed packages. Someone may have tampered with the lock file or the packages. Regenerate the entry with `depguard lock` and review the diff."
    ),
)
