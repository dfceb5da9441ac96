"""Rule ``lock-hash-mismatch`` (see ``META.summary``)."""

from __future__ import annotations

from collections.abc import Iterator

from depguard.engine.context import LockContext
from depguard.model import Finding, RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("lock-hash-mismatch"),
    severity=Severity.CRITICAL,
    summary="A lock-file hash does not match the provider's signed upstream data.",
    help=(
        "A `zh:` hash is not a line of the provider's signed `SHA256SUMS`, or (with `--deep`) "
        "an `h1:` hash matches none of the signed packages. Someone may have tampered with the "
        "lock file or the packages. Regenerate the entry with `depguard lock` and review the "
        "diff."
    ),
)


def check_lock(ctx: LockContext) -> Iterator[Finding]:
    """Yield a finding per lock hash that no signed package accounts for.

    ``zh:`` values must be lines of the signed ``SHA256SUMS`` (Terraform records every line).
    ``h1:`` values are judged only when every signed package was hashed (``--deep``, or
    ``check-pr`` for the entries a PR adds ``h1:`` hashes to): each must equal the lock
    (extracted files) or zip variant of one of them.
    """
    lock = ctx.state.lock
    if lock is None:
        return
    for entry in lock.providers:
        truth = ctx.truth(entry.address, entry.version)
        if truth is None or not truth.authenticated:
            continue
        signed_zh = truth.zh_all
        for h in entry.hashes_with_scheme("zh"):
            if h not in signed_zh:
                yield META.finding(
                    message=f"{h} is not in the signed SHA256SUMS of {truth.subject} "
                    f"({truth.signer.evidence() if truth.signer else 'unsigned'})",
                    path=ctx.state.lock_display,
                    line=entry.line,
                    subject=truth.subject,
                )
        if not truth.deepened or truth.deep_unavailable is not None or truth.package_problems:
            continue  # not every signed package was hashed: h1 values cannot be judged
        signed_h1 = truth.h1_all()
        for h in entry.hashes_with_scheme("h1"):
            if h not in signed_h1:
                yield META.finding(
                    message=f"{h} matches none of the {len(truth.h1)} signed packages of "
                    f"{truth.subject}",
                    path=ctx.state.lock_display,
                    line=entry.line,
                    subject=truth.subject,
                )
