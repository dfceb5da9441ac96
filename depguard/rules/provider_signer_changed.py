"""Rule ``provider-signer-changed`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("provider-signer-changed"),
    severity=Severity.HIGH,
    summary="The new provider version is signed by a different key than the locked one.",
    help=(
        "Both signatures may verify against keys the policy trusts, but a publisher that "
        "suddenly signs with another key is what a stolen registry account looks like. "
        "Confirm the key rotation with the publisher before merging."
    ),
)
