"""The frozen tree of the trust policy (DESIGN.md §4): :class:`Config` and its parts.

Defaults are those of DESIGN.md §4; ``manifests/policy/default.yaml`` spells them out and a
test keeps both equal. Every class validates itself in ``__post_init__``, so a tree built by
hand or derived with :func:`dataclasses.replace` is held to the same rules as a loaded one
(the loader checks most values earlier, to name the offending key and line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from depguard.config.patterns import NameGlob, PathGlob
from depguard.config.values import (
    STAGE_NAME_PATTERN,
    check_https_url,
    check_ref_constraint,
    normalise_fingerprint,
)
from depguard.model import DEFAULT_REGISTRY_HOST, Platform, ProviderAddress, RuleId, Severity

AQUA_REGISTRY_TYPES = ("standard", "github_content", "local")

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
        "**/.terraform-version",
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
        if self.type not in AQUA_REGISTRY_TYPES:
            raise ValueError(
                f"unknown registry type {self.type!r} "
                f"(expected one of: {', '.join(AQUA_REGISTRY_TYPES)})"
            )
        if self.ref is not None:
            check_ref_constraint(self.ref)
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
    # aqua-policy.yaml files to honour besides the Git root's (like AQUA_POLICY_CONFIG);
    # relative to depguard.yaml.
    policy_files: tuple[Path, ...] = ()
    # minisign's legacy (non-prehashed "Ed") signatures are refused unless this is true.
    allow_legacy_minisign: bool = False


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
            object.__setattr__(self, name, check_https_url(getattr(self, name)))


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
