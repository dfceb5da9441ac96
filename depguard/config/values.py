"""Value syntax of ``depguard.yaml``: the patterns its scalar values follow and their parsers.

The JSON schema (``manifests/schema/depguard.schema.json``) repeats the ``*_PATTERN`` regexes
below; a test keeps them equal. Every parser returns the parsed value or raises ``ValueError``
with a user-facing message, which the loader prefixes with ``file:line`` and the key path.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from depguard.model import Platform

# Go's GOOS/GOARCH values (`go tool dist list`): Terraform and aqua platforms use them.
GO_OS = (
    "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux",
    "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows",
)  # fmt: skip
GO_ARCH = (
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle",
    "ppc64", "ppc64le", "riscv64", "s390x", "wasm",
)  # fmt: skip
PLATFORM_PATTERN = f"^({'|'.join(GO_OS)})_({'|'.join(GO_ARCH)})$"
DURATION_PATTERN = r"^(?=\d)(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$"
SIZE_PATTERN = r"^(\d+) ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$"
FINGERPRINT_PATTERN = r"^ *(?:[0-9A-Fa-f] *){40}$"
PROVIDER_PATTERN = r"^(?:[A-Za-z0-9.:_*-]+/)?[A-Za-z0-9_*-]+/[A-Za-z0-9_*-]+$"
NAME_PATTERN = r"^[A-Za-z0-9._:*-]+(?:/[A-Za-z0-9._:*-]+)+$"
GITHUB_OWNER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$"
BOT_LOGIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]*(?:\[bot\])?$"
STAGE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_REF_CLAUSE = (
    r" *(?:!=|>=|<=|~>|=|>|<|~|\^)? *v?[0-9]+(?:\.[0-9]+){0,2}"
    r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)? *"
)
REF_CONSTRAINT_PATTERN = f"^{_REF_CLAUSE}(?:,{_REF_CLAUSE})*$"

_SIZE_UNITS = {
    None: 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}


def parse_duration(text: str) -> timedelta:
    """Return the duration written as ``3d``, ``12h``, ``90m``, ``1w``, ``30s`` or ``1d12h``.

    Units appear at most once, largest first. Raises ``ValueError`` with a user-facing message.
    """
    m = re.fullmatch(DURATION_PATTERN, text)
    if not m:
        raise ValueError(
            f"invalid duration {text!r}: write a number and a unit, such as 3d, 12h, 90m or 1w "
            "(units: w, d, h, m, s; combined largest first, like 1d12h)"
        )
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    try:
        return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError(f"duration {text!r} is too large") from None


def format_duration(value: timedelta) -> str:
    """Return ``value`` in the syntax :func:`parse_duration` reads (``0s`` for zero)."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def parse_size(value: int | str) -> int:
    """Return a byte count from an integer or a string such as ``512MiB`` or ``1GB``.

    Raises ``ValueError`` for zero, negative or malformed sizes.
    """
    if isinstance(value, bool):
        raise ValueError(f"invalid size {value!r}")
    if isinstance(value, int):
        n = value
    else:
        m = re.fullmatch(SIZE_PATTERN, value)
        if not m:
            raise ValueError(
                f"invalid size {value!r}: write a byte count or a number with a unit, "
                "such as 512MiB or 2GiB (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
            )
        n = int(m.group(1)) * _SIZE_UNITS[m.group(2)]
    if n <= 0:
        raise ValueError(f"size must be positive, got {value!r}")
    return n


def normalise_fingerprint(text: str) -> str:
    """Return an OpenPGP v4 fingerprint as 40 upper-case hex digits without spaces.

    Spaces (as printed by ``gpg --fingerprint``) are removed. Raises ``ValueError``.
    """
    if not re.fullmatch(FINGERPRINT_PATTERN, text):
        compact = text.replace(" ", "")
        raise ValueError(
            f"invalid fingerprint {text!r}: an OpenPGP fingerprint is 40 hexadecimal digits "
            f"(spaces allowed), got {len(compact)} characters"
            + ("" if re.fullmatch(r"[0-9A-Fa-f]*", compact) else " with non-hex characters")
        )
    return text.replace(" ", "").upper()


def check_https_url(text: str) -> str:
    """Return ``text`` without a trailing slash if it is a plain https URL; else ValueError."""
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a bad port
    except ValueError as e:
        raise ValueError(f"invalid URL {text!r}: {e}") from None
    if parts.scheme != "https":
        raise ValueError(f"URL {text!r} must use https")
    if not parts.hostname:
        raise ValueError(f"URL {text!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"URL {text!r} must not contain credentials (use GITHUB_TOKEN or GH_TOKEN)"
        )
    if parts.query or parts.fragment or any(c.isspace() for c in text):
        raise ValueError(f"URL {text!r} must not have a query, a fragment or spaces")
    return text.rstrip("/")


def check_platform(text: str) -> Platform:
    """Return the platform written as ``os_arch`` with Go's names; else ``ValueError`` naming
    the unknown OS or architecture."""
    if not re.fullmatch(PLATFORM_PATTERN, text):
        m = re.fullmatch(r"([a-z0-9]+)_([a-z0-9]+)", text)
        if m is None:
            raise ValueError(
                f"invalid platform {text!r}: write os_arch in lower case, like linux_amd64"
            )
        if m.group(1) not in GO_OS:
            raise ValueError(
                f"invalid platform {text!r}: unknown OS {m.group(1)!r} "
                f"(expected one of: {', '.join(GO_OS)})"
            )
        raise ValueError(
            f"invalid platform {text!r}: unknown architecture {m.group(2)!r} "
            f"(expected one of: {', '.join(GO_ARCH)})"
        )
    return Platform.parse(text)


def check_ref_constraint(text: str) -> str:
    """Return ``text`` if it is a list of version constraints on a registry ref (never a
    branch name); else ``ValueError``."""
    if not re.fullmatch(REF_CONSTRAINT_PATTERN, text):
        raise ValueError(
            f"invalid ref constraint {text!r}: write version constraints such as '>= v4.0.0' "
            "or '>= v4.0.0, < v5.0.0' (branch names are not allowed)"
        )
    return text


def expand_path(text: str) -> Path:
    """Return ``text`` as a path with ``~`` expanded; ``ValueError`` if it cannot be."""
    try:
        return Path(text).expanduser()
    except RuntimeError as e:  # '~' without a home directory
        raise ValueError(f"cannot expand {text!r}: {e}") from None
