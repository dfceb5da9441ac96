"""Rule ``lock-missing-provider``: a provider required by the configuration has no lock entry."""

from __future__ import annotations

from collections.abc import Iterator

from depguard.engine.context import LockContext
from depguard.model import Finding, RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("lock-missing-provider"),
    severity=Severity.HIGH,
    summary="A provider required by the configuration has no lock entry.",
    help=(
        "The configuration (or a local module it calls) requires a provider that the lock file "
        "does not pin, so its version and hashes are chosen at `terraform init` time, "
        "unreviewed. Run `depguard lock`."
    ),
)


def check_lock(ctx: LockContext) -> Iterator[Finding]:
    """Yield one finding per lockable required provider without a lock entry."""
    lock = ctx.state.lock
    if lock is None and ctx.state.lock_text is not None:
        return  # the lock file exists but does not parse: invalid-manifest says so
    for address, req in sorted(ctx.required.items()):
        if not address.is_lockable:
            continue
        if lock is None or lock.get(address) is None:
            where = "the lock file does not exist" if lock is None else "it has no entry"
            yield META.finding(
                message=f"{address} is required ({req.where}) but {where}; "
                "run `depguard lock` to pin its version and hashes",
                path=ctx.state.lock_display,
                subject=str(address),
            )
