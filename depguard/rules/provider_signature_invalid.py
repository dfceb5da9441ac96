"""Rule ``provider-signature-invalid`` (see ``META.summary``)."""

from __future__ import annotations

from collections.abc import Iterator

from depguard.engine.context import LockContext
from depguard.model import Finding, RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("provider-signature-invalid"),
    severity=Severity.CRITICAL,
    summary="The provider's SHA256SUMS signature is bad or made by an untrusted key.",
    help=(
        "The signature over the provider's `SHA256SUMS` does not verify, is not in binary "
        "OpenPGP form, or was made by a key that is neither HashiCorp's (official or partner) "
        "nor pinned in `trust.terraform.signing_keys` for this provider. The message prints the "
        "fingerprint to pin if you decide to trust the key."
    ),
)


def check_lock(ctx: LockContext) -> Iterator[Finding]:
    """Yield a finding for each locked provider whose signed upstream data fails to verify."""
    lock = ctx.state.lock
    if lock is None:
        return
    for entry in lock.providers:
        truth = ctx.truth(entry.address, entry.version)
        if truth is None:
            continue
        problems = [truth.invalid] if truth.invalid else []
        problems.extend(truth.package_problems)
        for problem in problems:
            yield META.finding(
                message=problem,
                path=ctx.state.lock_display,
                line=entry.line,
                subject=truth.subject,
            )
