"""The rule registry: one module per rule id, registered once, here.

A rule module defines ``META`` (its :class:`~depguard.rules.base.RuleMeta`) and, depending on
what it judges, a check function: ``check_lock(LockContext)`` for lock-file rules; aqua rules
are judged by :mod:`depguard.engine.aqua`, which builds their findings from ``META``. A test
asserts that every id is unique, documented in the README and exercised by a positive and a
negative fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, cast

from depguard.model import Finding, RuleId
from depguard.rules import (
    action_not_pinned,
    aqua_checksum_disabled,
    aqua_checksum_mismatch,
    aqua_checksum_missing,
    aqua_not_allowed,
    aqua_registry_unpinned,
    aqua_signature_invalid,
    checksums_stale,
    invalid_manifest,
    lock_constraint_violation,
    lock_hash_mismatch,
    lock_missing_platform,
    lock_missing_provider,
    pr_not_from_bot,
    pr_unexpected_change,
    pr_unexpected_file,
    provider_not_allowed,
    provider_signature_invalid,
    provider_signer_changed,
    release_too_new,
    renovate_rule_ineffective,
    rollout_out_of_order,
    signature_downgrade,
    source_not_allowed,
)
from depguard.rules.base import RuleMeta

if TYPE_CHECKING:
    from depguard.engine.context import LockContext

RULE_MODULES: tuple[ModuleType, ...] = (
    invalid_manifest,
    lock_hash_mismatch,
    lock_missing_platform,
    lock_missing_provider,
    lock_constraint_violation,
    provider_signature_invalid,
    provider_not_allowed,
    aqua_checksum_mismatch,
    aqua_checksum_missing,
    aqua_signature_invalid,
    aqua_registry_unpinned,
    aqua_not_allowed,
    aqua_checksum_disabled,
    pr_unexpected_file,
    pr_not_from_bot,
    pr_unexpected_change,
    source_not_allowed,
    action_not_pinned,
    checksums_stale,
    release_too_new,
    signature_downgrade,
    provider_signer_changed,
    rollout_out_of_order,
    renovate_rule_ineffective,
)

# Rules judged by an engine module rather than a per-file check function.
ENGINE_RULES: frozenset[str] = frozenset(
    m.META.id
    for m in RULE_MODULES
    if m.__doc__ is not None and "judged by :mod:`depguard." in m.__doc__
)
# Rules of `check-pr`: their fixtures are PRs (base/head trees and an event).
PR_RULES: frozenset[str] = frozenset(
    m.META.id for m in RULE_MODULES if m.__doc__ is not None and "prcheck" in m.__doc__
)

ALL: tuple[RuleMeta, ...] = tuple(cast(RuleMeta, m.META) for m in RULE_MODULES)

BY_ID: MappingProxyType[RuleId, RuleMeta] = MappingProxyType({r.id: r for r in ALL})

LockCheck = Callable[["LockContext"], Iterable[Finding]]
LOCK_CHECKS: tuple[LockCheck, ...] = tuple(
    cast(LockCheck, m.check_lock) for m in RULE_MODULES if hasattr(m, "check_lock")
)


def get(rule_id: str) -> RuleMeta:
    """Return the metadata of ``rule_id``; raise ``KeyError`` for an unknown id."""
    return BY_ID[RuleId(rule_id)]
