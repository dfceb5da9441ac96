"""Rule ``release-too-new`` (judged by :mod:`depguard.prcheck.release_age`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("release-too-new"),
    severity=Severity.MEDIUM,
    summary="The release is younger than the policy's minimum age.",
    help=(
        "A freshly published release has had no time for the community to notice a "
        "compromise. `trust.min_release_age` sets the minimum age (release dates from the "
        "Terraform registry and GitHub releases); `trust.min_release_age_exempt` exempts "
        "owners or namespaces you trust to publish safely."
    ),
)
