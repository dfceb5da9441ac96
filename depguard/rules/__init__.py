"""The rule registry: one module per rule id, registered once, here.

A test asserts that every id is unique, documented in the README and exercised by a positive
and a negative fixture.
"""

from __future__ import annotations

from types import MappingProxyType

from depguard.model import RuleId
from depguard.rules import (
    invalid_manifest,
    lock_constraint_violation,
    lock_hash_mismatch,
    lock_missing_platform,
    lock_missing_provider,
    provider_not_allowed,
    provider_signature_invalid,
)
from depguard.rules.base import RuleMeta

ALL: tuple[RuleMeta, ...] = (
    invalid_manifest.META,
    lock_hash_mismatch.META,
    lock_missing_platform.META,
    lock_missing_provider.META,
    lock_constraint_violation.META,
    provider_signature_invalid.META,
    provider_not_allowed.META,
)

BY_ID: MappingProxyType[RuleId, RuleMeta] = MappingProxyType({r.id: r for r in ALL})


def get(rule_id: str) -> RuleMeta:
    """Return the metadata of ``rule_id``; raise ``KeyError`` for an unknown id."""
    return BY_ID[RuleId(rule_id)]
