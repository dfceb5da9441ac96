"""Rule ``checksums-stale`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("checksums-stale"),
    severity=Severity.MEDIUM,
    summary="A version bump without matching checksum or lock hashes.",
    help=(
        "The PR bumps a version but does not add the aqua-checksums.json entries or lock hashes "
        "for it, so installs fail or trust on first use. The message names the command that "
        "fixes it (`depguard checksums update …` or `depguard lock …`)."
    ),
)
