"""Rule ``pr-unexpected-change`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("pr-unexpected-change"),
    severity=Severity.CRITICAL,
    summary="Inside a manifest, a change that is not a version bump.",
    help=(
        "A new aqua registry, a changed source/URL/owner, or a lock hash or checksum changed "
        "for an unchanged version: none of these is what a dependency update does. Find out who "
        "made the change and why before merging."
    ),
)
