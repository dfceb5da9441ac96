"""Rule ``provider-signature-invalid``: the provider's SHA256SUMS signature is bad or made by an untrusted key."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("provider-signature-invalid"),
    severity=Severity.CRITICAL,
    summary="The provider's SHA256SUMS signature is bad or made by an untrusted key.",
    help=(
        "The signature over the provider's `SHA256SUMS` does not verify, is not in binary OpenPGP form, or was made by a key that is neither HashiCorp's (official or partner) nor pinned in `trust.terraform.signing_keys` for this provider. The message prints the fingerprint to pin if you decide to trust the key."
    ),
)
