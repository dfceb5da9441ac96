"""The trust policy ``depguard.yaml`` (DESIGN.md §4): one strict loader, one frozen ``Config``.

Loading (CONVENTIONS §12):

* YAML is *composed* with ``yaml.SafeLoader`` into nodes and then walked against a declarative
  spec (``_SPEC``), so every error names ``file:line`` and the dotted key path. Only plain data
  tags are accepted (strings, numbers, booleans, null, lists, mappings); ``!!python/...`` and
  any other tag is refused before anything is constructed. Anchors, aliases and ``<<`` merge
  keys work; a node budget stops alias/merge bombs.
* Unknown keys, duplicate keys, wrong types and invalid values are a :class:`ConfigError`.
* Absent keys take the defaults of the dataclasses below (those of DESIGN.md §4); the file
  ``manifests/policy/default.yaml`` spells them out and a test keeps both equal.
* Paths in the file (``cache_dir``, ``snapshot_dirs``) are relative to the file's directory.

Precedence is CLI flag > ``DEPGUARD_*`` environment > file > defaults: :func:`load_config`
reads the file, :func:`apply_env` layers the environment on top, and the CLI applies its flags
with :func:`dataclasses.replace`.

Pattern semantics (all documented in ``manifests/schema/depguard.schema.json`` too):

* **Name globs** (``trust.terraform.providers``, ``signing_keys[].providers``,
  ``min_release_age_exempt``): ``/``-separated segments, ``*`` matches any run of characters
  *within one segment* (never a ``/``), matching is case-insensitive, and a pattern only matches
  names with the same number of segments. A two-part provider pattern ``namespace/type``
  means ``registry.terraform.io/namespace/type``, as in Terraform's ``source`` addresses.
* **Path globs** (``renovate.allowed_files``, ``rollout.stages[].match``, ``rules.*.ignore``):
  match the whole repository-relative POSIX path, case-sensitively. ``*`` and ``?`` stay within
  one segment (and match dot files); ``**`` as a whole segment matches zero or more segments,
  so ``**/aqua.yaml`` also matches ``aqua.yaml`` and ``envs/dev/**`` also matches ``envs/dev``.

``yaml`` is imported lazily so that importing this module stays cheap.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from depguard.errors import ConfigError
from depguard.model import DEFAULT_REGISTRY_HOST, Platform, ProviderAddress, RuleId, Severity

if TYPE_CHECKING:
    import yaml

__all__ = [
    "CONFIG_FILE_NAMES",
    "KNOWN_RULE_IDS",
    "ActionsTrust",
    "AquaRegistry",
    "AquaTrust",
    "Config",
    "GitHubSettings",
    "Limits",
    "NameGlob",
    "PathGlob",
    "RenovateSettings",
    "RolloutSettings",
    "RolloutStage",
    "RuleSettings",
    "SigningKey",
    "TerraformTrust",
    "Trust",
    "apply_env",
    "find_config",
    "format_duration",
    "is_known_rule_id",
    "key_paths",
    "load_config",
    "normalise_fingerprint",
    "parse_config",
    "parse_duration",
    "parse_size",
]

CONFIG_FILE_NAMES = ("depguard.yaml", ".depguard.yaml")

# Every rule id of DESIGN.md §2, implemented or not, so that a policy written for a later
# release still loads; ids registered in depguard.rules are accepted as well.
KNOWN_RULE_IDS: tuple[str, ...] = (
    "invalid-manifest",
    "lock-hash-mismatch",
    "lock-missing-platform",
    "lock-missing-provider",
    "lock-constraint-violation",
    "provider-signature-invalid",
    "provider-signer-changed",
    "provider-not-allowed",
    "aqua-checksum-mismatch",
    "aqua-checksum-missing",
    "aqua-signature-invalid",
    "aqua-registry-unpinned",
    "aqua-not-allowed",
    "aqua-checksum-disabled",
    "pr-unexpected-file",
    "pr-not-from-bot",
    "pr-unexpected-change",
    "source-not-allowed",
    "signature-downgrade",
    "release-too-new",
    "action-not-pinned",
    "checksums-stale",
    "rollout-out-of-order",
)

# --- value syntax (the JSON schema repeats these patterns; a test keeps them equal) ----------

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
_AQUA_REGISTRY_TYPES = ("standard", "github_content", "local")
_MAX_CONFIG_BYTES = 1024 * 1024
_MAX_NODES = 100_000  # alias/merge expansion budget of one document


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


def _check_https_url(text: str) -> str:
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


def _check_platform(text: str) -> Platform:
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


def _check_ref_constraint(text: str) -> str:
    if not re.fullmatch(REF_CONSTRAINT_PATTERN, text):
        raise ValueError(
            f"invalid ref constraint {text!r}: write version constraints such as '>= v4.0.0' "
            "or '>= v4.0.0, < v5.0.0' (branch names are not allowed)"
        )
    return text


def _regex_check(pattern: str, what: str, example: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise ValueError(f"invalid {what} {text!r} (example: {example})")
        return text

    return check


def is_known_rule_id(rule_id: str) -> bool:
    """Return whether ``rule_id`` is a DESIGN.md §2 rule id or a registered rule."""
    if rule_id in KNOWN_RULE_IDS:
        return True
    from depguard import rules  # lazily: rule modules may import this module

    return RuleId(rule_id) in rules.BY_ID


def _all_rule_ids() -> tuple[str, ...]:
    from depguard import rules

    return tuple(dict.fromkeys((*KNOWN_RULE_IDS, *rules.BY_ID)))


# --- globs ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _name_glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "/".join("[^/]*".join(map(re.escape, seg.split("*"))) for seg in pattern.split("/"))
    )


@dataclass(frozen=True, slots=True)
class NameGlob:
    """A case-insensitive glob over ``/``-separated names (see the module docstring).

    ``pattern`` is stored in lower case. Use :meth:`provider` for provider addresses.
    """

    pattern: str

    def __post_init__(self) -> None:
        if not re.fullmatch(NAME_PATTERN, self.pattern) or "**" in self.pattern:
            raise ValueError(
                f"invalid name pattern {self.pattern!r}: write owner/name segments separated "
                "by '/', where '*' matches within one segment (like 'hashicorp/*')"
            )
        object.__setattr__(self, "pattern", self.pattern.lower())

    @classmethod
    def provider(cls, text: str) -> NameGlob:
        """Return the glob for a provider pattern; ``namespace/type`` implies the public registry.

        Raises ``ValueError`` unless ``text`` has two or three segments.
        """
        if not re.fullmatch(PROVIDER_PATTERN, text) or "**" in text:
            raise ValueError(
                f"invalid provider pattern {text!r}: write hostname/namespace/type or "
                "namespace/type, where '*' matches within one segment "
                "(like 'registry.terraform.io/hashicorp/*')"
            )
        if text.count("/") == 1:
            text = f"{DEFAULT_REGISTRY_HOST}/{text}"
        return cls(text)

    def matches(self, name: str) -> bool:
        """Return whether ``name`` (same number of segments) matches, ignoring case."""
        return _name_glob_regex(self.pattern).fullmatch(name.lower()) is not None

    def __str__(self) -> str:
        return self.pattern


def _path_glob_error(pattern: str) -> str | None:
    if not pattern:
        return "a path pattern must not be empty"
    if pattern.startswith("/"):
        return "path patterns are relative to the repository root: remove the leading '/'"
    if "\\" in pattern:
        return "use '/' as the path separator"
    if any(c in pattern for c in "[]{}") or pattern.startswith("!"):
        return "only '*', '?' and '**' are supported (no [], {} or ! negation)"
    for seg in pattern.split("/"):
        if seg in ("", ".", ".."):
            return "empty, '.' and '..' path segments are not allowed"
        if "**" in seg and seg != "**":
            return "'**' must be a whole path segment, like '**/aqua.yaml'"
    return None


@functools.lru_cache(maxsize=1024)
def _path_glob_regex(pattern: str) -> re.Pattern[str]:
    segs = pattern.split("/")
    rx = ""
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if seg == "**":
            if last:
                # 'a/**' matches 'a' and everything below it; a lone '**' matches everything.
                rx = rx[:-1] + "(?:/.*)?" if rx else ".*"
            else:
                rx += "(?:[^/]+/)*"
            continue
        for c in seg:
            rx += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        if not last:
            rx += "/"
    return re.compile(rx)


@dataclass(frozen=True, slots=True)
class PathGlob:
    """A glob over repository-relative POSIX paths (see the module docstring)."""

    pattern: str

    def __post_init__(self) -> None:
        problem = _path_glob_error(self.pattern)
        if problem:
            raise ValueError(f"invalid path pattern {self.pattern!r}: {problem}")

    def matches(self, path: str) -> bool:
        """Return whether the repository-relative ``path`` matches (case-sensitive)."""
        path = path.removeprefix("./")
        return _path_glob_regex(self.pattern).fullmatch(path) is not None

    def __str__(self) -> str:
        return self.pattern


# --- the configuration tree -----------------------------------------------------------------

DEFAULT_PLATFORMS: tuple[Platform, ...] = (
    Platform("linux", "amd64"),
    Platform("linux", "arm64"),
    Platform("darwin", "amd64"),
    Platform("darwin", "arm64"),
)
DEFAULT_PROVIDER_PATTERNS: tuple[NameGlob, ...] = (NameGlob("registry.terraform.io/hashicorp/*"),)
DEFAULT_ALLOWED_FILES: tuple[PathGlob, ...] = tuple(
    PathGlob(p)
    for p in (
        "**/.terraform.lock.hcl",
        "**/*.tf",
        "**/aqua.yaml",
        "**/aqua-checksums.json",
        "**/aqua/imports/*.yaml",
        ".github/workflows/*.yaml",
        ".github/workflows/*.yml",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningKey:
    """A pinned provider-signing key (``trust.terraform.signing_keys[]``).

    ``fingerprint`` is normalised to 40 upper-case hex digits; ``providers`` must not be empty.
    """

    fingerprint: str
    providers: tuple[NameGlob, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint", normalise_fingerprint(self.fingerprint))
        if not self.providers:
            raise ValueError("a signing key must list the providers it may sign")


@dataclass(frozen=True, slots=True, kw_only=True)
class TerraformTrust:
    """``trust.terraform``: provider allowlist and pinned signing keys.

    ``allow_hashicorp_signed`` (not a file key) tells the verifier that a provider whose
    ``SHA256SUMS`` is signed by HashiCorp's official or partner keys is allowed too.
    """

    providers: tuple[NameGlob, ...] = DEFAULT_PROVIDER_PATTERNS
    signing_keys: tuple[SigningKey, ...] = ()
    allow_hashicorp_signed: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AquaRegistry:
    """An allowed aqua registry (``trust.aqua.registries[]``).

    ``ref`` is a version constraint on the registry ref (``None``: any tag; branches are never
    allowed). ``github_content`` needs ``repo_owner``, ``repo_name`` and ``path``; ``local`` needs
    ``path`` and takes no ``ref``; ``standard`` is ``aquaproj/aqua-registry``.
    """

    type: Literal["standard", "github_content", "local"]
    ref: str | None = None
    repo_owner: str | None = None
    repo_name: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if self.type not in _AQUA_REGISTRY_TYPES:
            raise ValueError(
                f"unknown registry type {self.type!r} "
                f"(expected one of: {', '.join(_AQUA_REGISTRY_TYPES)})"
            )
        if self.ref is not None:
            _check_ref_constraint(self.ref)
        repo = self.repo_owner is not None or self.repo_name is not None
        if self.type == "github_content" and None in (self.repo_owner, self.repo_name, self.path):
            raise ValueError("a github_content registry needs repo_owner, repo_name and path")
        if self.type == "standard" and (repo or self.path is not None):
            raise ValueError(
                "a standard registry is aquaproj/aqua-registry: "
                "repo_owner, repo_name and path are not allowed"
            )
        if self.type == "local" and (self.path is None or repo or self.ref is not None):
            raise ValueError(
                "a local registry needs path and takes no repo_owner, repo_name or ref"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class AquaTrust:
    """``trust.aqua``. ``github_owners=None`` (absent) adds no owner restriction to the
    registry allowlist; a list (even empty) allows only those owners (case-insensitive)."""

    registries: tuple[AquaRegistry, ...] = (AquaRegistry(type="standard"),)
    github_owners: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionsTrust:
    """``trust.actions``. ``owners=None`` (absent) adds no owner restriction; ``require_sha``
    asks for full commit SHAs in ``uses:``."""

    owners: tuple[str, ...] | None = None
    require_sha: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Trust:
    """``trust``. ``min_release_age`` of zero turns the age check off."""

    terraform: TerraformTrust = field(default_factory=TerraformTrust)
    aqua: AquaTrust = field(default_factory=AquaTrust)
    actions: ActionsTrust = field(default_factory=ActionsTrust)
    min_release_age: timedelta = timedelta(0)
    min_release_age_exempt: tuple[NameGlob, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RenovateSettings:
    """``renovate``: who Renovate is and which files its PRs may touch."""

    bot_logins: tuple[str, ...] = ("renovate[bot]",)
    branch_prefix: str = "renovate/"
    allowed_files: tuple[PathGlob, ...] = DEFAULT_ALLOWED_FILES


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHubSettings:
    """``github``: GitHub (Enterprise Server or a mirror) base URLs, https only, no trailing
    slash. Release downloads are ``{url}/{owner}/{repo}/releases/download/{tag}/{asset}``."""

    url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    raw_url: str = "https://raw.githubusercontent.com"

    def __post_init__(self) -> None:
        for name in ("url", "api_url", "raw_url"):
            object.__setattr__(self, name, _check_https_url(getattr(self, name)))


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutStage:
    """One stage of ``rollout.stages``. ``canary``: size of a first wave (``None``: none);
    ``max_per_wave``: directories per wave (``None``: unlimited); ``approval``: a wave waits
    for a human."""

    name: str
    match: tuple[PathGlob, ...]
    soak: timedelta = timedelta(0)
    canary: int | None = None
    max_per_wave: int | None = None
    approval: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(STAGE_NAME_PATTERN, self.name):
            raise ValueError(f"invalid stage name {self.name!r} (letters, digits, '.', '_', '-')")
        if not self.match:
            raise ValueError(f"stage {self.name!r} must match at least one path pattern")
        if self.soak < timedelta(0):
            raise ValueError(f"stage {self.name!r}: soak must not be negative")
        for key in ("canary", "max_per_wave"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ValueError(f"stage {self.name!r}: {key} must be at least 1, got {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutSettings:
    """``rollout``. ``unmatched``: a state directory no stage matches is an ``error`` or goes
    into the ``last`` stage."""

    stages: tuple[RolloutStage, ...] = ()
    unmatched: Literal["error", "last"] = "error"

    def __post_init__(self) -> None:
        if self.unmatched not in ("error", "last"):
            raise ValueError(f"unmatched must be 'error' or 'last', got {self.unmatched!r}")
        names = [s.name for s in self.stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate stage name {dupes[0]!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSettings:
    """``rules.<rule-id>``: a severity override and path globs whose findings are ignored."""

    id: RuleId
    severity: Severity | None = None
    ignore: tuple[PathGlob, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """``limits``: safe bounds on network work (CONVENTIONS §9).

    ``timeout`` is per request (connect and each read); ``download_timeout`` bounds the whole
    body of one download; ``max_zip_uncompressed_bytes`` bounds what hashing a provider zip
    may unpack (zip-bomb guard).
    """

    max_download_bytes: int = 1024**3
    max_zip_uncompressed_bytes: int = 4 * 1024**3
    timeout: timedelta = timedelta(seconds=30)
    download_timeout: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        for name in ("max_download_bytes", "max_zip_uncompressed_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("timeout", "download_timeout"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be longer than zero")


def _address_parts(address: str | ProviderAddress) -> str:
    text = str(address).lower()
    if text.count("/") == 1:
        text = f"{DEFAULT_REGISTRY_HOST}/{text}"
    if text.count("/") != 2 or "" in text.split("/"):
        raise ValueError(f"not a provider address: {str(address)!r}")
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole trust policy. Build with :func:`load_config`/:func:`parse_config`; derive
    variants with :func:`dataclasses.replace` (validation runs again).

    ``source`` is the display path of the file it came from (``None``: built-in defaults) and
    takes no part in equality. ``cache_dir=None`` means the CLI's default cache directory.
    """

    platforms: tuple[Platform, ...] = DEFAULT_PLATFORMS
    trust: Trust = field(default_factory=Trust)
    renovate: RenovateSettings = field(default_factory=RenovateSettings)
    github: GitHubSettings = field(default_factory=GitHubSettings)
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    rules: tuple[RuleSettings, ...] = ()
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path | None = None
    snapshot_dirs: tuple[Path, ...] = ()
    offline: bool = False
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.platforms:
            raise ValueError("platforms must not be empty")
        if len(set(self.platforms)) != len(self.platforms):
            raise ValueError("platforms must not repeat")
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule settings must not repeat a rule id")

    def provider_allowed(self, address: str | ProviderAddress) -> bool:
        """Return whether ``trust.terraform.providers`` allows the provider ``address``.

        ``address`` is ``host/namespace/type`` or ``namespace/type`` (public registry), any
        case. ``False`` does not settle it when ``allow_hashicorp_signed`` is set: the verifier
        also allows providers signed by HashiCorp. Raises ``ValueError`` for a malformed address.
        """
        name = _address_parts(address)
        return any(p.matches(name) for p in self.trust.terraform.providers)

    def pinned_fingerprints_for(self, address: str | ProviderAddress) -> frozenset[str]:
        """Return the fingerprints pinned for ``address`` by ``trust.terraform.signing_keys``.

        Fingerprints are 40 upper-case hex digits. Raises ``ValueError`` for a bad address.
        """
        name = _address_parts(address)
        return frozenset(
            key.fingerprint
            for key in self.trust.terraform.signing_keys
            if any(p.matches(name) for p in key.providers)
        )

    def is_release_age_exempt(self, name: str) -> bool:
        """Return whether ``trust.min_release_age_exempt`` exempts the dependency ``name``.

        ``name`` is an aqua package or action (``owner/repo[/...]``) or a provider address;
        two-part patterns match providers of the public registry by ``namespace/type``.
        """
        lowered = name.lower()
        short = None
        if lowered.startswith(DEFAULT_REGISTRY_HOST + "/") and lowered.count("/") == 2:
            short = lowered.removeprefix(DEFAULT_REGISTRY_HOST + "/")
        return any(
            p.matches(lowered) or (short is not None and p.matches(short))
            for p in self.trust.min_release_age_exempt
        )

    def rule(self, rule_id: str) -> RuleSettings | None:
        """Return the ``rules.<rule_id>`` settings, or ``None`` when the policy has none."""
        for settings in self.rules:
            if settings.id == rule_id:
                return settings
        return None

    def rule_severity(self, rule_id: str, default: Severity) -> Severity:
        """Return the severity the policy sets for ``rule_id``, else ``default``."""
        settings = self.rule(rule_id)
        if settings is None or settings.severity is None:
            return default
        return settings.severity

    def is_ignored(self, rule_id: str, path: str) -> bool:
        """Return whether findings of ``rule_id`` at the repository-relative ``path`` are
        ignored by ``rules.<rule_id>.ignore``."""
        settings = self.rule(rule_id)
        return settings is not None and any(g.matches(path) for g in settings.ignore)


# --- the spec the loader walks --------------------------------------------------------------

_Kind = Literal["string", "integer", "number", "boolean", "null", "date"]


@dataclass(frozen=True, slots=True)
class _Leaf:
    kinds: frozenset[_Kind]
    what: str  # "a string", used in "expected …"
    convert: Callable[[Any], Any] = lambda v: v
    hint: Callable[[Any], str | None] | None = None  # extra help for a wrong type


@dataclass(frozen=True, slots=True)
class _Seq:
    item: _Spec
    min_items: int = 0
    unique: Callable[[Any], object] | None = None


@dataclass(frozen=True, slots=True)
class _Map:
    fields: Mapping[str, _Spec]
    build: Callable[..., Any]
    required: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Dict:
    """A mapping with validated dynamic keys (``rules``)."""

    key: Callable[[str], None]  # raises ValueError for a bad key
    known_keys: Callable[[], Iterable[str]]
    value: _Map
    build: Callable[[dict[str, Any]], Any]
    what_key: str
    key_help: str


_Spec = _Leaf | _Seq | _Map | _Dict


def _string(convert: Callable[[str], Any] = lambda v: v) -> _Leaf:
    def non_empty(v: str) -> Any:
        if not v.strip():
            raise ValueError("must not be empty")
        return convert(v)

    return _Leaf(frozenset({"string"}), "a string", non_empty)


def _duration_hint(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"add a unit: {value}d (days), {value}h (hours) or {value}m (minutes)"
    return None


_BOOL = _Leaf(frozenset({"boolean"}), "a boolean (true or false)")
_DURATION = _Leaf(
    frozenset({"string"}), "a duration such as 3d, 12h, 90m or 1w", parse_duration, _duration_hint
)
_SIZE = _Leaf(frozenset({"string", "integer"}), "a size such as 512MiB or a byte count", parse_size)


def _at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be at least 1, got {value}")
    return value


def _choice(*choices: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in choices:
            raise ValueError(f"unknown value {text!r} (expected one of: {', '.join(choices)})")
        return text

    return check


_POSITIVE_INT = _Leaf(frozenset({"integer"}), "an integer", _at_least_one)
_PATHS = _Seq(_string(PathGlob))
_OWNERS = _Seq(
    _string(lambda v: _regex_check(GITHUB_OWNER_PATTERN, "GitHub owner", "aquaproj")(v).lower()),
    unique=lambda v: v,
)


def _expand_path(text: str) -> Path:
    try:
        return Path(text).expanduser()
    except RuntimeError as e:  # '~' without a home directory
        raise ValueError(f"cannot expand {text!r}: {e}") from None


_PATH = _string(_expand_path)


def _rule_settings(entries: dict[str, Any]) -> tuple[RuleSettings, ...]:
    return tuple(RuleSettings(id=RuleId(k), **entries[k]) for k in sorted(entries))


def _check_rule_key(key: str) -> None:
    if not is_known_rule_id(key):
        raise ValueError(f"unknown rule id {key!r} in rules")


def _severity(text: str) -> Severity:
    labels = [s.label for s in Severity]
    if text not in labels:
        raise ValueError(f"unknown severity {text!r} (expected one of: {', '.join(labels)})")
    return Severity.parse(text)


_SPEC = _Map(
    build=Config,
    fields={
        "platforms": _Seq(_string(_check_platform), min_items=1, unique=lambda p: p),
        "trust": _Map(
            build=Trust,
            fields={
                "terraform": _Map(
                    build=TerraformTrust,
                    fields={
                        "providers": _Seq(_string(NameGlob.provider), unique=lambda p: p),
                        "signing_keys": _Seq(
                            _Map(
                                build=SigningKey,
                                required=("fingerprint", "providers"),
                                fields={
                                    "fingerprint": _string(normalise_fingerprint),
                                    "providers": _Seq(_string(NameGlob.provider), min_items=1),
                                },
                            )
                        ),
                    },
                ),
                "aqua": _Map(
                    build=AquaTrust,
                    fields={
                        "registries": _Seq(
                            _Map(
                                build=AquaRegistry,
                                required=("type",),
                                fields={
                                    "type": _string(_choice(*_AQUA_REGISTRY_TYPES)),
                                    "ref": _string(_check_ref_constraint),
                                    "repo_owner": _string(
                                        _regex_check(GITHUB_OWNER_PATTERN, "owner", "aquaproj")
                                    ),
                                    "repo_name": _string(
                                        _regex_check(
                                            r"^[A-Za-z0-9._-]+$", "repository", "aqua-registry"
                                        )
                                    ),
                                    "path": _string(),
                                },
                            )
                        ),
                        "github_owners": _OWNERS,
                    },
                ),
                "actions": _Map(
                    build=ActionsTrust,
                    fields={"owners": _OWNERS, "require_sha": _BOOL},
                ),
                "min_release_age": _DURATION,
                "min_release_age_exempt": _Seq(_string(NameGlob)),
            },
        ),
        "renovate": _Map(
            build=RenovateSettings,
            fields={
                "bot_logins": _Seq(
                    _string(_regex_check(BOT_LOGIN_PATTERN, "bot login", "renovate[bot]")),
                    min_items=1,
                    unique=lambda v: v,
                ),
                "branch_prefix": _string(
                    _regex_check(r"^\S+$", "branch prefix (no spaces)", "renovate/")
                ),
                "allowed_files": _PATHS,
            },
        ),
        "github": _Map(
            build=GitHubSettings,
            fields={
                "url": _string(_check_https_url),
                "api_url": _string(_check_https_url),
                "raw_url": _string(_check_https_url),
            },
        ),
        "rollout": _Map(
            build=RolloutSettings,
            fields={
                "stages": _Seq(
                    _Map(
                        build=RolloutStage,
                        required=("name", "match"),
                        fields={
                            "name": _string(_regex_check(STAGE_NAME_PATTERN, "stage name", "prod")),
                            "match": _Seq(_string(PathGlob), min_items=1),
                            "soak": _DURATION,
                            "canary": _POSITIVE_INT,
                            "max_per_wave": _POSITIVE_INT,
                            "approval": _BOOL,
                        },
                    ),
                    unique=lambda stage: stage.name,
                ),
                "unmatched": _string(_choice("error", "last")),
            },
        ),
        "rules": _Dict(
            key=_check_rule_key,
            known_keys=_all_rule_ids,
            value=_Map(
                build=dict,
                fields={"severity": _string(_severity), "ignore": _PATHS},
            ),
            build=_rule_settings,
            what_key="rule id",
            key_help="the README lists every rule id",
        ),
        "limits": _Map(
            build=Limits,
            fields={
                "max_download_bytes": _SIZE,
                "max_zip_uncompressed_bytes": _SIZE,
                "timeout": _DURATION,
                "download_timeout": _DURATION,
            },
        ),
        "cache_dir": _PATH,
        "snapshot_dirs": _Seq(_PATH),
        "offline": _BOOL,
    },
)


def key_paths() -> frozenset[str]:
    """Return every key path the loader accepts, like ``trust.terraform.providers`` or
    ``rollout.stages[].name``; ``rules`` is expanded over every accepted rule id."""
    out: set[str] = set()

    def walk(spec: _Spec, prefix: str) -> None:
        if isinstance(spec, _Map):
            for key, sub in spec.fields.items():
                path = f"{prefix}.{key}" if prefix else key
                out.add(path)
                walk(sub, path)
        elif isinstance(spec, _Seq):
            walk(spec.item, prefix + "[]")
        elif isinstance(spec, _Dict):
            for key in spec.known_keys():
                out.add(f"{prefix}.{key}")
                walk(spec.value, f"{prefix}.{key}")

    walk(_SPEC, "")
    return frozenset(out)


# --- the YAML walker ------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_MERGE_TAG = _TAG + "merge"


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (date, datetime)):
        return "date"
    return type(value).__name__


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


class _Walker:
    """Walks composed YAML nodes against a spec; every error names ``file:line`` and a key."""

    def __init__(self, yaml_mod: Any, loader: yaml.SafeLoader, display: str) -> None:
        self.yaml = yaml_mod
        self.loader = loader
        self.display = display
        self.budget = _MAX_NODES
        self.merging: set[int] = set()

    def error(self, node: yaml.Node, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(f"{self.display}:{node.start_mark.line + 1}: {message}", hint=hint)

    def spend(self, node: yaml.Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise self.error(
                node, f"too many values (over {_MAX_NODES} after expanding aliases and merges)"
            )

    def check_tag(self, node: yaml.Node) -> None:
        y = self.yaml
        ok = (
            (isinstance(node, y.ScalarNode) and node.tag in _SCALAR_TAGS)
            or (isinstance(node, y.SequenceNode) and node.tag == _TAG + "seq")
            or (isinstance(node, y.MappingNode) and node.tag == _TAG + "map")
        )
        if not ok:
            tag = node.tag.replace(_TAG, "!!")
            raise self.error(
                node,
                f"unsupported YAML tag {tag!r}",
                "the policy is plain data: strings, numbers, booleans, lists and mappings",
            )

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (self.yaml.YAMLError, ValueError, OverflowError) as e:
            raise self.error(node, f"invalid {node.tag.replace(_TAG, '!!')} value") from e

    def describe(self, node: yaml.Node) -> str:
        if isinstance(node, self.yaml.MappingNode):
            return "a mapping"
        if isinstance(node, self.yaml.SequenceNode):
            return "a list"
        assert isinstance(node, self.yaml.ScalarNode)
        kind = _kind_of(self.scalar(node))
        if kind == "null":
            return "null (an empty value)"
        raw = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return f"{_article(kind)} ({raw!r})" if kind == "string" else f"{_article(kind)} ({raw})"

    def value(self, node: yaml.Node, spec: _Spec, path: str) -> Any:
        self.spend(node)
        self.check_tag(node)
        if isinstance(spec, _Leaf):
            return self.leaf(node, spec, path)
        if isinstance(spec, _Seq):
            return self.seq(node, spec, path)
        pairs = self.mapping(node, path)
        if isinstance(spec, _Dict):
            return self.dict(pairs, spec, path)
        kwargs: dict[str, Any] = {}
        for key, (knode, vnode) in pairs.items():
            if key not in spec.fields:
                where = f"in {path}" if path else "at the top level"
                expected = ", ".join(sorted(spec.fields))
                raise self.error(
                    knode,
                    f"unknown key {key!r} {where} (expected one of: {expected})",
                    _did_you_mean(key, spec.fields),
                )
            kwargs[key] = self.value(vnode, spec.fields[key], _join(path, key))
        for key in spec.required:
            if key not in pairs:
                raise self.error(node, f"{path}: missing required key {key!r}")
        try:
            return spec.build(**kwargs)
        except ValueError as e:
            raise self.error(node, f"{path}: {e}" if path else str(e)) from e

    def leaf(self, node: yaml.Node, spec: _Leaf, path: str) -> Any:
        if not isinstance(node, self.yaml.ScalarNode):
            raise self.error(node, f"{path}: expected {spec.what}, got {self.describe(node)}")
        value = self.scalar(node)
        kind = _kind_of(value)
        if kind not in spec.kinds:
            hint = spec.hint(value) if spec.hint else None
            if hint is None and "string" in spec.kinds and node.style is None and kind != "null":
                hint = f"write it in quotes ('{node.value}') if you meant the string"
            raise self.error(node, f"{path}: expected {spec.what}, got {self.describe(node)}", hint)
        try:
            return spec.convert(value)
        except ValueError as e:
            raise self.error(node, f"{path}: {e}") from e

    def seq(self, node: yaml.Node, spec: _Seq, path: str) -> tuple[Any, ...]:
        if not isinstance(node, self.yaml.SequenceNode):
            hint = None
            if isinstance(node, self.yaml.ScalarNode) and node.value:
                hint = f"write a list, like [{node.value}]"
            raise self.error(node, f"{path}: expected a list, got {self.describe(node)}", hint)
        items: list[Any] = []
        seen: dict[object, int] = {}
        for i, item_node in enumerate(node.value):
            item = self.value(item_node, spec.item, f"{path}[{i}]")
            if spec.unique is not None:
                key = spec.unique(item)
                line = item_node.start_mark.line + 1
                if key in seen:
                    raise self.error(
                        item_node,
                        f"{path}[{i}]: duplicate entry {str(key)!r} (first on line {seen[key]})",
                    )
                seen[key] = line
            items.append(item)
        if len(items) < spec.min_items:
            raise self.error(node, f"{path}: must not be empty")
        return tuple(items)

    def mapping(self, node: yaml.Node, path: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Return ``key -> (key node, value node)`` with merges applied; null is empty."""
        y = self.yaml
        if isinstance(node, y.ScalarNode) and node.tag == _TAG + "null":
            return {}
        if not isinstance(node, y.MappingNode):
            what = f"{path}: expected" if path else "the top level must be"
            raise self.error(node, f"{what} a mapping of keys to values, got {self.describe(node)}")
        if id(node) in self.merging:
            raise self.error(node, f"{path or 'top level'}: a mapping merges itself ('<<')")
        self.merging.add(id(node))
        try:
            own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
            merged: list[dict[str, tuple[yaml.Node, yaml.Node]]] = []
            for knode, vnode in node.value:
                self.spend(knode)
                if knode.tag == _MERGE_TAG:
                    self.check_tag(vnode)
                    sources = vnode.value if isinstance(vnode, y.SequenceNode) else [vnode]
                    for source in sources:
                        self.check_tag(source)
                        if not isinstance(source, y.MappingNode):
                            raise self.error(source, f"{path}: '<<' merges only mappings")
                        merged.append(self.mapping(source, path))
                    continue
                key = self.key(knode)
                if key in own:
                    first = own[key][0].start_mark.line + 1
                    where = f"in {path}" if path else "at the top level"
                    raise self.error(
                        knode, f"duplicate key {key!r} {where} (first on line {first})"
                    )
                own[key] = (knode, vnode)
        finally:
            self.merging.discard(id(node))
        # YAML merge: the mapping's own keys win, then earlier merged mappings over later ones.
        result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for m in reversed(merged):
            result.update(m)
        result.update(own)
        return result

    def key(self, node: yaml.Node) -> str:
        self.check_tag(node)
        if not isinstance(node, self.yaml.ScalarNode):
            raise self.error(node, f"keys must be strings, got {self.describe(node)}")
        value = self.scalar(node)
        if not isinstance(value, str):
            raise self.error(
                node,
                f"keys must be strings, got {self.describe(node)}",
                f"write it in quotes ('{node.value}')",
            )
        return value

    def dict(self, pairs: dict[str, tuple[yaml.Node, yaml.Node]], spec: _Dict, path: str) -> Any:
        entries: dict[str, Any] = {}
        for key, (knode, vnode) in pairs.items():
            try:
                spec.key(key)
            except ValueError as e:
                hint = _did_you_mean(key, spec.known_keys(), spec.what_key)
                raise self.error(knode, str(e), hint or spec.key_help) from e
            entries[key] = self.value(vnode, spec.value, f"{path}.{key}")
        return spec.build(entries)


def _did_you_mean(key: str, choices: Iterable[str], what: str = "key") -> str | None:
    import difflib

    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f"did you mean the {what} {close[0]!r}?" if close else None


# --- public API -----------------------------------------------------------------------------


def parse_config(text: str, path: str, *, base_dir: Path | None = None) -> Config:
    """Parse the text of a ``depguard.yaml``; ``path`` is the display path used in errors.

    An empty document (or one holding only comments) gives the defaults. Relative
    ``cache_dir`` and ``snapshot_dirs`` are joined to ``base_dir`` when given. Returns a
    :class:`Config`; raises :class:`ConfigError` naming ``path:line`` for any problem.
    """
    import yaml

    loader: yaml.SafeLoader | None = None
    try:
        try:
            loader = yaml.SafeLoader(text)
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = f":{mark.line + 1}" if mark is not None else ""
            if e.problem and e.context:
                # PyYAML splits "expected X, but found Y" over context and problem.
                sep = ", " if e.problem.startswith("but ") else ": "
                problem = f"{e.context}{sep}{e.problem}"
            else:
                problem = e.problem or e.context or "syntax error"
            raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from e
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML: {e}") from e
        if node is None:
            return replace(Config(), source=path)
        config: Config = _Walker(yaml, loader, path).value(node, _SPEC, "")
    finally:
        if loader is not None:
            loader.dispose()
    if base_dir is not None:
        config = replace(
            config,
            cache_dir=None if config.cache_dir is None else base_dir / config.cache_dir,
            snapshot_dirs=tuple(base_dir / p for p in config.snapshot_dirs),
        )
    return replace(config, source=path)


def load_config(path: Path | None, *, display_path: str | None = None) -> Config:
    """Read and parse the policy file at ``path`` (``None``: the built-in defaults).

    Paths in the file are relative to its directory. ``display_path`` (default ``str(path)``)
    names the file in errors. Returns a :class:`Config`; raises :class:`ConfigError` when the
    file cannot be read, is not UTF-8, is larger than 1 MiB, or is invalid.
    """
    if path is None:
        return Config()
    display = display_path if display_path is not None else str(path)
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"{display}: cannot read config file: {e.strerror or e}") from e
    if len(data) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"{display}: config file is larger than {_MAX_CONFIG_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{display}: config file is not UTF-8 ({e.reason})") from e
    return parse_config(text, display, base_dir=path.parent)


def find_config(start: Path) -> Path | None:
    """Return ``depguard.yaml`` or ``.depguard.yaml`` in the directory ``start``, or ``None``.

    There is no upward search on purpose: a trust policy must come from the checkout being
    judged, never from a parent directory that may belong to someone else (a shared runner's
    workspace, a home directory), and CI runs depguard from the repository root anyway.
    Raises :class:`ConfigError` when both files exist, since one would be silently ignored.
    """
    found = [start / name for name in CONFIG_FILE_NAMES if (start / name).is_file()]
    if len(found) > 1:
        raise ConfigError(
            f"{start}: both {CONFIG_FILE_NAMES[0]} and {CONFIG_FILE_NAMES[1]} exist",
            hint="keep one of them, or pass --config FILE",
        )
    return found[0] if found else None


def _env_path(name: str, text: str) -> Path:
    try:
        return _expand_path(text.strip())
    except ValueError as e:
        raise ConfigError(f"{name}: {e}") from e


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def apply_env(config: Config, environ: Mapping[str, str]) -> Config:
    """Return ``config`` with the ``DEPGUARD_*`` environment applied on top of it.

    * ``DEPGUARD_PLATFORMS``: comma-separated platforms, replacing ``platforms``;
    * ``DEPGUARD_OFFLINE``: ``1/true/yes/on`` or ``0/false/no/off`` (any case);
    * ``DEPGUARD_CACHE_DIR``: the cache directory;
    * ``DEPGUARD_SNAPSHOT_DIRS``: directories separated by ``os.pathsep``, replacing
      ``snapshot_dirs``.

    A variable that is unset or empty changes nothing. Relative paths are left relative (to
    the working directory). Raises :class:`ConfigError` naming the variable for a bad value.
    """
    changes: dict[str, Any] = {}
    if value := environ.get("DEPGUARD_PLATFORMS", "").strip():
        platforms: list[Platform] = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            try:
                platform = _check_platform(part)
            except ValueError as e:
                raise ConfigError(f"DEPGUARD_PLATFORMS: {e}") from e
            if platform in platforms:
                raise ConfigError(f"DEPGUARD_PLATFORMS: duplicate platform {part!r}")
            platforms.append(platform)
        if platforms:
            changes["platforms"] = tuple(platforms)
    if value := environ.get("DEPGUARD_OFFLINE", "").strip():
        if value.lower() in _TRUE:
            changes["offline"] = True
        elif value.lower() in _FALSE:
            changes["offline"] = False
        else:
            raise ConfigError(
                f"DEPGUARD_OFFLINE: expected true or false (or 1/0, yes/no, on/off), got {value!r}"
            )
    if value := environ.get("DEPGUARD_CACHE_DIR", "").strip():
        changes["cache_dir"] = _env_path("DEPGUARD_CACHE_DIR", value)
    if value := environ.get("DEPGUARD_SNAPSHOT_DIRS", "").strip():
        dirs = tuple(
            _env_path("DEPGUARD_SNAPSHOT_DIRS", p) for p in value.split(os.pathsep) if p.strip()
        )
        if dirs:
            changes["snapshot_dirs"] = dirs
    return replace(config, **changes) if changes else config
