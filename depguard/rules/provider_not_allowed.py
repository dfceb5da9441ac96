"""Rule ``provider-not-allowed``: the provider address is outside the trust allowlist."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("provider-not-allowed"),
    severity=Severity.HIGH,
    summary='The provider address is outside the trust allowlist.',
    help=(
        "Allowed by default: `registry.terraform.io/hashicorp/*` and any provider signed by HashiCorp's official or partner keys. Add the address pattern to `trust.terraform.providers` in depguard.yaml to allow it."
    ),
)
