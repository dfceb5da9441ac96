"""Rule ``provider-not-allowed``: the provider address is outside the trust allowlist."""

from __future__ import annotations

from collections.abc import Iterator

from depguard.engine.context import LockContext
from depguard.model import Finding, RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("provider-not-allowed"),
    severity=Severity.HIGH,
    summary="The provider address is outside the trust allowlist.",
    help=(
        "Allowed by default: `registry.terraform.io/hashicorp/*` and any provider signed by "
        "HashiCorp's official or partner keys. Add the address pattern to "
        "`trust.terraform.providers` in depguard.yaml to allow it."
    ),
)


def check_lock(ctx: LockContext) -> Iterator[Finding]:
    """Yield a finding for each locked provider outside the trust allowlist.

    Allowed: addresses matching ``trust.terraform.providers``, and (unless disabled) any
    provider whose ``SHA256SUMS`` HashiCorp signed with its official or partner key.
    """
    lock = ctx.state.lock
    if lock is None:
        return
    allow_signed = ctx.config.trust.terraform.allow_hashicorp_signed
    for entry in lock.providers:
        if ctx.config.provider_allowed(str(entry.address)):
            continue
        truth = ctx.truth(entry.address, entry.version)
        signer = truth.signer if truth is not None and truth.authenticated else None
        if allow_signed and signer is not None and signer.kind in ("official", "partner"):
            continue
        yield META.finding(
            message=f"{entry.address} is not in trust.terraform.providers"
            + ("" if signer is None else f" and is signed by a {signer.kind} key")
            + "; add the address (or a pattern) to depguard.yaml to allow it",
            path=ctx.state.lock_display,
            line=entry.line,
            subject=str(entry.address),
        )
