"""Rule ``lock-missing-platform``: the lock file has no hash for a configured platform."""

from __future__ import annotations

from collections.abc import Iterator

from depguard.engine.context import LockContext
from depguard.model import Finding, RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("lock-missing-platform"),
    severity=Severity.MEDIUM,
    summary="The lock file has no hash for a configured platform.",
    help=(
        "`terraform init` on that platform would fail (or rewrite the lock) when it installs "
        "from a mirror or cache, or with `-lockfile=readonly`. Run `depguard lock --platform "
        "...` to add the missing hashes."
    ),
)


def check_lock(ctx: LockContext) -> Iterator[Finding]:
    """Yield a finding per (provider, configured platform) the lock has no hash for.

    A platform is covered when the lock holds the ``zh:`` of its signed zip or an ``h1:`` known
    to belong to its package. Without ``--deep`` an ``h1:``-only entry cannot be attributed to
    platforms; the engine reports that as a skip instead.
    """
    lock = ctx.state.lock
    if lock is None:
        return
    for entry in lock.providers:
        truth = ctx.truth(entry.address, entry.version)
        if truth is None or not truth.authenticated:
            continue
        hashes = set(entry.hashes)
        if not entry.zh and entry.h1 and not truth.h1:
            continue  # cannot attribute h1 hashes without --deep (reported as a skip)
        # An entry with neither zh: nor h1: (omitted hashes, unknown schemes) pins nothing:
        # every platform is missing.
        for platform in ctx.platforms:
            zh = truth.platform_zh.get(platform)
            if zh is None:
                yield META.finding(
                    message=f"{truth.subject} publishes no package for {platform}",
                    path=ctx.state.lock_display,
                    line=entry.line,
                    subject=f"{truth.subject} {platform}",
                )
                continue
            if zh in hashes or hashes.intersection(truth.h1.get(platform, ())):
                continue
            if not entry.zh and platform not in truth.h1 and truth.deep_unavailable:
                continue  # this platform's package could not be hashed (reported as a skip)
            yield META.finding(
                message=f"no hash for {platform} in the entry for {truth.subject}; run "
                f"`depguard lock --platform {platform}`",
                path=ctx.state.lock_display,
                line=entry.line,
                subject=f"{truth.subject} {platform}",
            )
