"""Rule ``aqua-checksum-disabled`` (judged by :mod:`depguard.engine.aqua`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("aqua-checksum-disabled"),
    severity=Severity.LOW,
    summary="checksum.enabled or require_checksum is off in an aqua config.",
    help=(
        "With `checksum.enabled` off aqua verifies nothing it downloads; with `require_checksum` "
        "off a missing entry is trusted on first use. Turn both on."
    ),
)
