"""Rule ``aqua-checksum-mismatch`` (judged by :mod:`depguard.engine.aqua`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("aqua-checksum-mismatch"),
    severity=Severity.CRITICAL,
    summary="An aqua-checksums.json entry differs from the upstream (signed) checksum.",
    help=(
        "The checksum aqua would compare a download against is not the one upstream publishes: "
        "either the entry was edited, or the registry content, the checksum file or the asset "
        "changed after it was pinned. Never copy the new value blindly: find out why it changed, "
        "then run `depguard checksums update --prune`."
    ),
)
