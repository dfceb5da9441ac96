"""Rule ``source-not-allowed`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("source-not-allowed"),
    severity=Severity.HIGH,
    summary="A new or updated dependency comes from outside the allowlist.",
    help=(
        "The provider address, aqua package owner or action owner is not allowed by `trust` in "
        "depguard.yaml. Allow it explicitly if it is intended."
    ),
)
