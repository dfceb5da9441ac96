"""The domain model: frozen, slotted dataclasses that cannot hold invalid values."""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field
from typing import NewType

RuleId = NewType("RuleId", str)


class Severity(enum.IntEnum):
    """Finding severity; ordered so that ``>=`` compares with ``--fail-on``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Return the severity named by ``text`` (case-insensitive); raise ``ValueError``."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


_PLATFORM_RE = re.compile(r"^([a-z0-9]+)_([a-z0-9]+)$")


@dataclass(frozen=True, slots=True, order=True)
class Platform:
    """A Terraform/Go platform such as ``linux_amd64`` (OS first, then architecture)."""

    os: str
    arch: str

    def __post_init__(self) -> None:
        if not self.os or not self.arch or "_" in self.os or "_" in self.arch:
            raise ValueError(f"invalid platform {self.os!r}/{self.arch!r}")

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``os_arch`` (``os/arch`` is accepted too); raise ``ValueError``."""
        m = _PLATFORM_RE.match(text.strip().lower().replace("/", "_"))
        if not m:
            raise ValueError(
                f"invalid platform {text!r}: must be two words joined by an underscore, "
                "like linux_amd64"
            )
        return cls(m.group(1), m.group(2))

    def __str__(self) -> str:
        return f"{self.os}_{self.arch}"


DEFAULT_REGISTRY_HOST = "registry.terraform.io"
BUILTIN_PROVIDER_HOST = "terraform.io"


@dataclass(frozen=True, slots=True, order=True)
class ProviderAddress:
    """A fully qualified provider source address ``hostname/namespace/type``.

    Build one with :func:`depguard.formats.tf_address.parse_provider_source`, which applies
    Terraform's normalisation; the constructor only checks the parts are already normal.
    """

    hostname: str
    namespace: str
    type: str

    def __post_init__(self) -> None:
        for part in (self.hostname, self.namespace, self.type):
            if not part or part != part.lower() or "/" in part:
                raise ValueError(f"provider address part {part!r} is not normalised")

    def __str__(self) -> str:
        return f"{self.hostname}/{self.namespace}/{self.type}"

    @property
    def is_builtin(self) -> bool:
        return self.hostname == BUILTIN_PROVIDER_HOST and self.namespace == "builtin"

    @property
    def is_legacy(self) -> bool:
        return self.namespace == "-"

    @property
    def is_lockable(self) -> bool:
        """Terraform locks every provider except built-in and legacy ones."""
        return not (self.is_builtin or self.is_legacy)


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A position in a file, paths relative to the repository root where known."""

    path: str
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem, identified by a stable rule id."""

    rule: RuleId
    severity: Severity
    message: str
    path: str
    line: int | None = None
    subject: str = ""
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            digest = hashlib.sha256(
                "\x00".join((self.rule, self.path, self.subject, self.message)).encode()
            ).hexdigest()[:16]
            object.__setattr__(self, "fingerprint", digest)

    def sort_key(self) -> tuple[str, int, str, str, str, str]:
        # Total over all fields (repr breaks the remaining ties: severity, line None vs 0),
        # so sorting a set gives the same order in every process (CONVENTIONS §11).
        return (self.path, self.line or 0, self.rule, self.subject, self.message, repr(self))


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    """Something that could not be checked, and why. Always reported, never dropped."""

    subject: str
    reason: str
    path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """Something that was checked, and the evidence the check rested on."""

    subject: str
    evidence: tuple[str, ...]
    path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One dependency change of a pull request (``check-pr``), with how it was judged.

    ``kind`` and ``name`` are those of :class:`~depguard.prcheck.changes.DependencyChange`;
    ``old``/``new`` are the versions (None where the dependency is absent), ``old_source`` /
    ``new_source`` where they are, ``hashes`` says what happened to lock hashes or checksums
    (``"+2 −2 hashes"``). ``status`` is ``verified`` (upstream data accounts for it),
    ``failed`` (a finding is about it), ``skipped`` (it could not be checked), or ``n/a``
    (nothing to verify, e.g. a version constraint). ``evidence`` is in words ("zh checked
    against SHA256SUMS signed by HashiCorp 34365D9472D7468F"); ``released`` is the new
    version's upstream release time (RFC 3339) and ``age`` how old it was at the run's clock.
    """

    kind: str
    name: str
    path: str
    line: int | None = None
    old: str | None = None
    new: str | None = None
    old_source: str | None = None
    new_source: str | None = None
    hashes: str = ""
    status: str = "n/a"
    evidence: tuple[str, ...] = ()
    released: str | None = None
    age: str | None = None

    def sort_key(self) -> tuple[str, int, str, str, str]:
        # Total, like Finding.sort_key: two removals of one action in a file tie otherwise.
        return (self.path, self.line or 0, self.name, self.kind, repr(self))


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The outcome of a judging command; renderers turn it into output.

    ``changes`` is filled by ``check-pr`` only: what the PR changes, one row per dependency.
    """

    command: str
    findings: tuple[Finding, ...] = ()
    skipped: tuple[Skip, ...] = ()
    checked: tuple[Checked, ...] = ()
    notes: tuple[str, ...] = field(default=())
    changes: tuple[Change, ...] = ()

    def sorted(self) -> Report:
        """Return a copy with deterministic ordering (findings, skips, checks sorted)."""
        return Report(
            command=self.command,
            findings=tuple(sorted(set(self.findings), key=Finding.sort_key)),
            skipped=tuple(sorted(set(self.skipped), key=lambda s: (s.path, s.subject, s.reason))),
            checked=tuple(sorted(set(self.checked), key=lambda c: (c.path, c.subject, c.evidence))),
            notes=self.notes,
            changes=tuple(sorted(set(self.changes), key=Change.sort_key)),
        )

    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


# --- Terraform lock files ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderLock:
    """One ``provider`` block of a ``.terraform.lock.hcl``."""

    address: ProviderAddress
    version: str
    constraints: str | None
    hashes: tuple[str, ...]
    line: int | None = None
    # Derived once: rules look at these for every entry of every lock file.
    zh: tuple[str, ...] = field(init=False, repr=False, compare=False)
    h1: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zh", tuple(h for h in self.hashes if h.startswith("zh:")))
        object.__setattr__(self, "h1", tuple(h for h in self.hashes if h.startswith("h1:")))

    def hashes_with_scheme(self, scheme: str) -> tuple[str, ...]:
        if scheme == "zh":
            return self.zh
        if scheme == "h1":
            return self.h1
        prefix = scheme + ":"
        return tuple(h for h in self.hashes if h.startswith(prefix))


@dataclass(frozen=True, slots=True, kw_only=True)
class LockFile:
    """A parsed ``.terraform.lock.hcl``; ``providers`` in file order."""

    path: str
    providers: tuple[ProviderLock, ...]

    def get(self, address: ProviderAddress) -> ProviderLock | None:
        for p in self.providers:
            if p.address == address:
                return p
        return None
