"""Rule ``aqua-checksum-missing`` (judged by :mod:`depguard.engine.aqua`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("aqua-checksum-missing"),
    severity=Severity.MEDIUM,
    summary="An artifact for a configured platform has no aqua-checksums.json entry.",
    help=(
        "aqua would trust the download on first use (or fail under `require_checksum`). Run "
        "`depguard checksums update`, which adds entries only after the checksum file's "
        "signatures verify."
    ),
)
