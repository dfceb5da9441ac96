"""Terraform's provider version and version-constraint semantics.

Terraform (v1.11) parses provider versions and constraints with apparentlymart/go-versions:
``versions.ParseVersion`` for exact versions (the lock file's ``version``),
``constraints.ParseRubyStyleMulti`` for constraint strings, ``versions.MeetingConstraints`` for
the set of acceptable versions, and ``providerreqs.VersionConstraintsString`` for the canonical
string written to ``.terraform.lock.hcl``. Constraints written in a ``required_providers``
block are first validated by hashicorp/go-version (``version.NewConstraint``), which rejects a
few spellings that go-versions would accept (``=> 1.0``, ``1.*``, ``^1.0``, a trailing comma).

This module re-implements exactly that behaviour; the Python ``packaging``/``semver`` libraries
do not match it (abbreviated versions, ``~>``, pre-release selection, go-versions' ordering of
pre-release identifiers). Every function is pure.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cmp_to_key, lru_cache

__all__ = [
    "Constraint",
    "Constraints",
    "Op",
    "Version",
    "constraints_string",
    "merge_constraints",
    "newest_allowed",
    "parse_constraints",
    "parse_lock_constraints",
    "parse_version",
]


# --- versions ---------------------------------------------------------------------------


def _extra_less(a: str, b: str) -> bool:
    """go-versions ``VersionExtra.LessThan`` (pre-release precedence), quirks included.

    It compares dot-separated parts left to right but, at every step, a string with fewer
    remaining parts sorts first *before* the current parts are compared.
    """
    if a == b:
        return False
    s1, s2 = a, b
    while True:
        d1, d2 = s1.find("."), s2.find(".")
        if d1 == -1 and d2 != -1:
            return True
        if d2 == -1 and d1 != -1:
            return False
        if d1 == -1:
            return _part_less(s1, s2)
        p1, p2 = s1[:d1], s2[:d2]
        if p1 != p2:
            return _part_less(p1, p2)
        s1, s2 = s1[d1 + 1 :], s2[d2 + 1 :]


def _part_less(a: str, b: str) -> bool:
    # go-versions lessThanStr: all-digit parts sort before others and compare by length first.
    an = all("0" <= c <= "9" for c in a)
    bn = all("0" <= c <= "9" for c in b)
    if an and not bn:
        return True
    if bn and not an:
        return False
    if an and len(a) != len(b):
        return len(a) < len(b)
    return a < b


@dataclass(frozen=True, slots=True)
class Version:
    """A semantic version as go-versions models it (``major.minor.patch[-pre][+meta]``).

    Ordering follows semantic-version precedence (metadata ignored); ``==`` compares every
    field including metadata, like go-versions' ``==``. Use :meth:`same` for precedence
    equality.
    """

    major: int
    minor: int
    patch: int
    prerelease: str = ""
    metadata: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse an exact version like Terraform's ``ParseVersion``; raise ``ValueError``."""
        return parse_version(text)

    def __str__(self) -> str:
        s = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            s += "-" + self.prerelease
        if self.metadata:
            s += "+" + self.metadata
        return s

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def same(self, other: Version) -> bool:
        """Return True when both have the same precedence (metadata is not considered)."""
        return (self.major, self.minor, self.patch, self.prerelease) == (
            other.major,
            other.minor,
            other.patch,
            other.prerelease,
        )

    def _less(self, other: Version) -> bool:
        # go-versions Version.LessThan
        a = (self.major, self.minor, self.patch)
        b = (other.major, other.minor, other.patch)
        if a != b:
            return a < b
        if self.prerelease == other.prerelease:
            return False
        if not self.prerelease:
            return False
        if not other.prerelease:
            return True
        return _extra_less(self.prerelease, other.prerelease)

    def __lt__(self, other: Version) -> bool:
        return self._less(other)

    def __gt__(self, other: Version) -> bool:
        return other._less(self)

    def __le__(self, other: Version) -> bool:
        return not other._less(self)

    def __ge__(self, other: Version) -> bool:
        return not self._less(other)


_UNSPECIFIED = Version(0, 0, 0)

# --- the go-versions constraint scanner (constraints/raw_scan.rl) ------------------------
# constraint = op sep nums pre? meta?
#   op   = any run of characters other than digits, whitespace, letters, "." and "*"
#   sep  = any run of whitespace and "v"
#   nums = num ("." num)*, num = digits | "*" | "x" | "X"
#   pre  = "-" (alnum | "." | "-")+,  meta = "+" (alnum | "." | "-")+
_RAW_RE = re.compile(
    r"(?P<op>[^0-9A-Za-z.*\s]*)"
    r"(?P<sep>[\sv]*)"
    r"(?P<nums>(?:[0-9]+|[*xX])(?:\.(?:[0-9]+|[*xX]))*)?"
    r"(?:-(?P<pre>[0-9A-Za-z.\-]+))?"
    r"(?:\+(?P<meta>[0-9A-Za-z.\-]+))?",
    re.ASCII,
)
_NUM_NAMES = ("major", "minor", "patch")


@dataclass(frozen=True, slots=True)
class _Raw:
    op: str
    sep: str
    nums: tuple[str, ...]
    pre: str
    meta: str
    end: int


def _scan(text: str) -> _Raw:
    m = _RAW_RE.match(text)
    assert m is not None  # every group is optional, so the pattern always matches
    nums = tuple(m.group("nums").split(".")) if m.group("nums") else ()
    return _Raw(
        op=m.group("op"),
        sep=m.group("sep"),
        nums=nums,
        pre=m.group("pre") or "",
        meta=m.group("meta") or "",
        end=m.end(),
    )


def _is_wild(num: str) -> bool:
    return num in ("*", "x", "X")


def _go_quote(s: str) -> str:
    """Quote like Go's ``%q`` for the characters constraint strings contain."""
    out = ['"']
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif not ch.isprintable():
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


@lru_cache(maxsize=4096)
def parse_version(text: str) -> Version:
    """Parse an exact version like go-versions ``ParseVersion`` (Terraform's ``ParseVersion``).

    Abbreviated versions are zero-filled (``"1.1"`` is ``1.1.0``); leading zeros are accepted
    and dropped. Returns the :class:`Version`. Raises ``ValueError`` with go-versions' message
    (for example ``a "v" prefix should not be used``).
    """
    if not text.strip():
        raise ValueError("empty specification")
    raw = _scan(text)
    op = raw.op.strip()
    if op in (">", ">=", "<", "<=", "!", "!=", "~>", "^", "~"):
        raise ValueError(
            f"can't use constraint operator {_go_quote(raw.op)}; an exact version is required"
        )
    if op:
        raise ValueError(f"invalid sequence {_go_quote(raw.op)} at start of specification")
    if raw.sep:
        if "v" in raw.sep:
            raise ValueError('a "v" prefix should not be used')
        raise ValueError("extraneous spaces at start of specification")
    remain = text[raw.end :]
    if remain:
        r = remain.strip()
        if not r:
            raise ValueError("extraneous spaces at end of specification")
        if text.startswith("v"):
            raise ValueError('a "v" prefix should not be used')
        if r.startswith((",", "|")):
            raise ValueError("can't specify multiple versions; a single exact version is required")
        if r.startswith("-"):
            raise ValueError("can't specify version range; a single exact version is required")
        if text.strip().startswith(r):
            raise ValueError(
                "invalid specification; required format is three positive integers "
                "separated by periods"
            )
        raise ValueError(f"invalid characters {_go_quote(r)}")
    if len(raw.nums) > 3:
        raise ValueError("too many numbered portions; only three are allowed (major, minor, patch)")
    nums = list(raw.nums) + ["0"] * (3 - len(raw.nums))
    for name, num in zip(_NUM_NAMES, nums, strict=True):
        if _is_wild(num):
            raise ValueError(f"can't use wildcard for {name} number; an exact version is required")
    return Version(int(nums[0]), int(nums[1]), int(nums[2]), raw.pre, raw.meta)


# --- constraints ------------------------------------------------------------------------


class Op(enum.Enum):
    """A go-versions selection operator; the value is the canonical symbol."""

    EQ = ""
    NE = "!="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    PESSIMISTIC_PATCH = "~> X.Y.Z"  # "~>" with three numbers: >= X.Y.Z, < X.(Y+1).0
    PESSIMISTIC_MINOR = "~> X.Y"  # "~>" with one or two numbers: >= X.Y.0, < (X+1).0.0


# providerreqs.versionSelectionsBoundaryPriority: the order of operators on the same boundary.
_OP_PRIORITY = {
    Op.GT: 1,
    Op.GE: 2,
    Op.EQ: 3,
    Op.PESSIMISTIC_PATCH: 4,
    Op.PESSIMISTIC_MINOR: 5,
    Op.LE: 6,
    Op.LT: 7,
    Op.NE: 8,
}
_OPS = {
    "": Op.EQ,
    "=": Op.EQ,
    "!=": Op.NE,
    ">": Op.GT,
    ">=": Op.GE,
    "<": Op.LT,
    "<=": Op.LE,
}


@dataclass(frozen=True, slots=True)
class Constraint:
    """One selection (``op boundary``); abbreviated boundaries are already zero-filled.

    Zero-filling loses nothing: go-versions treats the unconstrained parts of ``>= 2`` as
    zero, and Terraform's canonical string writes them as zero (``>= 2.0.0``).
    """

    op: Op
    boundary: Version

    def __str__(self) -> str:
        b = self.boundary
        if self.op is Op.PESSIMISTIC_MINOR:
            text = f"~> {b.major}.{b.minor}"
        else:
            text = f"{b.major}.{b.minor}.{b.patch}"
            if self.op is Op.PESSIMISTIC_PATCH:
                text = "~> " + text
            elif self.op is not Op.EQ:
                text = f"{self.op.value} {text}"
        if b.prerelease:
            text += "-" + b.prerelease
        if b.metadata:
            text += "+" + b.metadata
        return text

    def contains(self, v: Version) -> bool:
        """Set membership as go-versions ``MeetingConstraints`` builds it (no pre-release rule)."""
        op, b = self.op, self.boundary
        if op is Op.EQ:
            return v == b  # versions.Only: exact, metadata included
        if op is Op.NE:
            return v != b
        lower = Version(b.major, b.minor, b.patch, b.prerelease)  # metadata only counts for =/!=
        if op is Op.GT:
            return v > lower
        if op is Op.GE:
            return v >= lower
        if op is Op.LT:
            return v < lower
        if op is Op.LE:
            return v <= lower
        if op is Op.PESSIMISTIC_MINOR:
            upper = Version(b.major + 1, 0, 0)
        else:
            upper = Version(b.major, b.minor + 1, 0)
        return lower <= v < upper


@dataclass(frozen=True, slots=True)
class Constraints:
    """An intersection of selections (Terraform's ``VersionConstraints``), possibly empty.

    ``str()`` gives the canonical string Terraform writes to the lock file.
    """

    terms: tuple[Constraint, ...] = ()

    def __str__(self) -> str:
        return constraints_string(self)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __add__(self, other: Constraints) -> Constraints:
        return Constraints(self.terms + other.terms)

    def allows(self, version: Version | str) -> bool:
        """Return True when Terraform would accept ``version`` under these constraints.

        Follows go-versions ``MeetingConstraints``: every selection must hold; a pre-release
        is acceptable only when an ``=`` selection names it exactly (a pre-release inside a
        range is never selected); the unspecified version ``0.0.0`` is excluded as soon as
        any constraint exists. Raises ``ValueError`` when ``version`` is a malformed string.
        """
        v = parse_version(version) if isinstance(version, str) else version
        if not self.terms:
            return not v.prerelease
        if v == _UNSPECIFIED:
            return False
        if not all(t.contains(v) for t in self.terms):
            return False
        if v.prerelease:
            # Set.WithoutUnrequestedPrereleases: only versions requested by an exact selection.
            return any(t.op is Op.EQ and t.boundary == v for t in self.terms)
        return True

    def canonical_terms(self) -> tuple[Constraint, ...]:
        """Return the terms de-duplicated and in Terraform's canonical order."""
        return _canonical_terms(self.terms)


def _extra_cmp(a: str, b: str) -> int:
    if a == b:
        return 0
    return -1 if _extra_less(a, b) else 1


def _canonical_terms(terms: tuple[Constraint, ...]) -> tuple[Constraint, ...]:
    # providerreqs.VersionConstraintsString: dedupe on (operator, zero-filled boundary), then
    # sort by boundary precedence, build metadata (as a tie-breaker), then operator priority.
    unique = list(dict.fromkeys(terms))

    def key_cmp(a: Constraint, b: Constraint) -> int:
        va, vb = a.boundary, b.boundary
        c = _extra_cmp(va.metadata, vb.metadata) if va.same(vb) else (-1 if va < vb else 1)
        if c:
            return c
        return _OP_PRIORITY[a.op] - _OP_PRIORITY[b.op]

    return tuple(sorted(unique, key=cmp_to_key(key_cmp)))


def _parse_one(text: str) -> tuple[Constraint | None, int, str | None]:
    """Parse one selection from the start of ``text`` (go-versions ``parseRubyStyle``).

    Returns (constraint, consumed length, error message).
    """
    raw = _scan(text)
    end = raw.end
    if raw.op in _OPS:
        op = _OPS[raw.op]
    elif raw.op == "~>":
        op = Op.PESSIMISTIC_PATCH if len(raw.nums) == 3 else Op.PESSIMISTIC_MINOR
    elif raw.op == "=<":
        return None, end, f'invalid constraint operator {_go_quote(raw.op)}; did you mean "<="?'
    elif raw.op == "=>":
        return None, end, f'invalid constraint operator {_go_quote(raw.op)}; did you mean ">="?'
    else:
        return None, end, f"invalid constraint operator {_go_quote(raw.op)}"
    if "v" in raw.sep:
        # Terraform v1.11 reports this without the "invalid specification" wrapper.
        return None, end, 'a "v" prefix should not be used'
    if raw.sep and raw.sep != " ":
        if not raw.op:
            return None, end, "extraneous spaces at start of specification"
        return None, end, f"only one space is expected after the operator {_go_quote(raw.op)}"
    if raw.sep == " " and not raw.op:
        return None, end, "extraneous spaces at start of specification"
    if len(raw.nums) > 3:
        return None, end, "too many numbered portions; only three are allowed (major, minor, patch)"
    for name, num in zip(_NUM_NAMES, raw.nums, strict=False):
        if _is_wild(num):
            return (
                None,
                end,
                f"can't use wildcard for {name} number; omit segments that should be unconstrained",
            )
    if not raw.nums:
        return None, end, "a version number is required"
    nums = [int(n) for n in raw.nums] + [0] * (3 - len(raw.nums))
    return Constraint(op, Version(nums[0], nums[1], nums[2], raw.pre, raw.meta)), end, None


@lru_cache(maxsize=4096)
def parse_lock_constraints(text: str) -> Constraints:
    """Parse a constraint string like go-versions ``ParseRubyStyleMulti``.

    This is the parser Terraform applies to a lock file's ``constraints`` and, after the
    go-version syntax check, to ``required_providers`` versions. An empty string gives empty
    constraints. Returns :class:`Constraints`; raises ``ValueError`` with go-versions' message.
    """
    terms: list[Constraint] = []
    remain = text.strip()
    while remain:
        term, consumed, err = _parse_one(remain)
        if err is not None:
            if err.startswith('a "v" prefix'):
                raise ValueError(err)
            raise ValueError(f"invalid specification {_go_quote(remain[:consumed])}: {err}")
        assert term is not None
        rest = remain[consumed:].strip()
        if rest:
            if rest.startswith("v"):
                raise ValueError('a "v" prefix should not be used')
            if not rest.startswith(","):
                raise ValueError(f"missing comma after {_go_quote(remain[:consumed])}")
            rest = rest[1:].strip()
        terms.append(term)
        remain = rest
    return Constraints(tuple(terms))


# hashicorp/go-version's constraint regexp (constraint.go + version.go VersionRegexpRaw), with
# Go's \s spelled out: Go's \s is [\t\n\f\r ], Python's is wider.
_GO_VERSION_CONSTRAINT_RE = re.compile(
    # Possessive: with the operator empty, two greedy runs of the same class split the
    # spaces every possible way before failing (quadratic on a line of tabs).
    r"[\t\n\f\r ]*+(?:<=|>=|!=|~>|<|>|=|)[\t\n\f\r ]*+"
    r"v?[0-9]+(?:\.[0-9]+)*?"
    r"(?:-[0-9]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*"
    r"|-?[A-Za-z\-~]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*)?"
    r"(?:\+[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*)?"
    r"[\t\n\f\r ]*",
    re.ASCII,
)


@lru_cache(maxsize=4096)
def parse_constraints(text: str) -> Constraints:
    """Parse a ``required_providers`` version constraint as Terraform does.

    Terraform first checks the string with hashicorp/go-version (each comma-separated part
    must look like ``[op] version``; failure gives "This string does not use correct version
    constraint syntax."), then parses it with go-versions (:func:`parse_lock_constraints`).
    Returns :class:`Constraints`; raises ``ValueError`` with Terraform's message.
    """
    for part in text.split(","):
        if not _GO_VERSION_CONSTRAINT_RE.fullmatch(part):
            raise ValueError("This string does not use correct version constraint syntax.")
    return parse_lock_constraints(text)


def merge_constraints(*items: Constraints | str) -> Constraints:
    """Concatenate constraints from several declarations (Terraform ``Requirements.Merge``).

    Strings are parsed with :func:`parse_constraints`. Returns the combined
    :class:`Constraints`; raises ``ValueError`` for a malformed string.
    """
    terms: list[Constraint] = []
    for item in items:
        c = parse_constraints(item) if isinstance(item, str) else item
        terms.extend(c.terms)
    return Constraints(tuple(terms))


def constraints_string(constraints: Constraints | str | Iterable[str]) -> str:
    """Return the canonical constraint string Terraform writes to ``.terraform.lock.hcl``.

    Selections are de-duplicated after zero-filling, sorted by boundary version then operator
    (``>``, ``>=``, ``=``, ``~> X.Y.Z``, ``~> X.Y``, ``<=``, ``<``, ``!=``) and joined with
    ``", "``; ``~> X.Y`` stays two-part and ``=`` is dropped. A string or an iterable of strings
    is parsed with :func:`parse_constraints` and merged first. Returns ``""`` when there are
    no constraints; raises ``ValueError`` for a malformed string.
    """
    if isinstance(constraints, Constraints):
        c = constraints
    elif isinstance(constraints, str):
        c = parse_constraints(constraints)
    else:
        c = merge_constraints(*constraints)
    return ", ".join(str(t) for t in _canonical_terms(c.terms))


def newest_allowed(
    available: Iterable[Version | str], constraints: Constraints | str
) -> str | None:
    """Return the version Terraform's installer would select, or None when none is allowed.

    Mirrors ``providercache.Installer``: sort the available versions, walk from the newest
    and take the first one :meth:`Constraints.allows` accepts. Strings that are not valid
    versions are skipped, as Terraform's registry client skips them. The result is the
    version's canonical string (``"1"`` is selected as ``"1.0.0"``), the form Terraform
    writes to the lock file and uses in the download URL. A string ``constraints``
    is parsed with :func:`parse_constraints` (raises ``ValueError`` when malformed).
    """
    c = parse_constraints(constraints) if isinstance(constraints, str) else constraints
    best: Version | None = None
    for item in available:
        if isinstance(item, str):
            try:
                v = parse_version(item)
            except ValueError:
                continue
        else:
            v = item
        if (best is None or v > best) and c.allows(v):
            best = v
    return None if best is None else str(best)
