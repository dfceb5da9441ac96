"""Rule ``signature-downgrade`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("signature-downgrade"),
    severity=Severity.HIGH,
    summary="The new version offers fewer signature kinds than the old one.",
    help=(
        "The old version of a dependency was verifiable by a signature kind (cosign, GitHub "
        "attestation, SLSA, minisign) that the new version, or the registry entry the PR "
        "moves to, no longer declares. An attacker who cannot forge a signature removes it "
        "instead; find out why upstream or the registry dropped it."
    ),
)
