"""Rule ``aqua-registry-unpinned`` (judged by :mod:`depguard.engine.aqua`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("aqua-registry-unpinned"),
    severity=Severity.HIGH,
    summary="A registry ref is a branch, or a registry has no checksum entry.",
    help=(
        "A `github_content` registry decides every download URL and checksum file of its "
        "packages. Pin it to a tag or commit SHA and record its checksum (`depguard checksums "
        "update --allow-tofu` after reviewing the ref) so a changed registry cannot redirect "
        "downloads."
    ),
)
