"""Rule ``aqua-not-allowed`` (judged by :mod:`depguard.engine.aqua`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("aqua-not-allowed"),
    severity=Severity.HIGH,
    summary="A registry or package is not allowed by aqua-policy.yaml or the depguard policy.",
    help=(
        "aqua refuses packages its policy does not allow (registries matched by their fields, not "
        "their names; only the standard registry when no policy exists), and depguard's "
        "`trust.aqua` adds registry and owner allowlists. Allow it explicitly, or remove the "
        "package."
    ),
)
