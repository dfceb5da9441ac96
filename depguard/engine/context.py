"""What rules see: a state directory plus the upstream truth about the providers it locks.

Everything here is plain data, built by the engine; rules do no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from depguard.model import Platform, ProviderAddress

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.engine.workspace import StateDir
    from depguard.formats.tf_config import ProviderRequirement
    from depguard.verify.provider_auth import SignerInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderTruth:
    """What the origin registry's signed data says about one provider version.

    Exactly one of three states: ``unavailable`` is set (nothing could be checked: a skip),
    ``invalid`` is set (the signed data failed authentication: a finding), or neither (``signer``
    and ``shasums`` hold authenticated data).
    """

    address: ProviderAddress
    version: str
    signer: SignerInfo | None = None
    shasums: Mapping[str, str] = field(default_factory=dict)  # filename -> sha256 hex (signed)
    platform_zh: Mapping[Platform, str] = field(default_factory=dict)  # "zh:<hex>" per zip
    invalid: str | None = None
    unavailable: str | None = None
    # --deep: h1 values of every package hashed, per platform (lock variant, zip variant)
    h1: Mapping[Platform, tuple[str, str]] = field(default_factory=dict)
    deep_unavailable: str | None = None  # why some packages could not be hashed
    deepened: bool = False  # every signed package was looked at (Upstream.deepen)
    package_problems: tuple[str, ...] = ()  # served archives that contradict the signed sums
    # Every ``zh:`` Terraform would record: one per signed ``SHA256SUMS`` line (derived).
    zh_all: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zh_all", frozenset(f"zh:{v}" for v in self.shasums.values()))

    @property
    def subject(self) -> str:
        return f"{self.address} {self.version}"

    @property
    def authenticated(self) -> bool:
        return self.invalid is None and self.unavailable is None and self.signer is not None

    def h1_all(self) -> frozenset[str]:
        """Every ``h1:`` that matches a signed package hashed so far (both variants)."""
        return frozenset(h for pair in self.h1.values() for h in pair)


TruthKey = tuple[ProviderAddress, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockContext:
    """Input of the lock-file rules for one state directory."""

    state: StateDir
    truths: Mapping[TruthKey, ProviderTruth]
    config: Config
    platforms: tuple[Platform, ...]
    deep: bool

    required: Mapping[ProviderAddress, ProviderRequirement] = field(default_factory=dict)

    def truth(self, address: ProviderAddress, version: str) -> ProviderTruth | None:
        return self.truths.get((address, version))
