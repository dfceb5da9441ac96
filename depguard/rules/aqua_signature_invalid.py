"""Rule ``aqua-signature-invalid`` (judged by :mod:`depguard.engine.aqua`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("aqua-signature-invalid"),
    severity=Severity.CRITICAL,
    summary="A cosign/Sigstore/attestation/SLSA/minisign check declared by the registry fails.",
    help=(
        "The registry entry declares a signature over the asset or its checksum file, and that "
        "signature does not verify (wrong identity, tampered file, wrong key, missing "
        "attestation). Treat the release as compromised until explained."
    ),
)
