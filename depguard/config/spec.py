"""The declarative spec of ``depguard.yaml``: every key, its type and how its value converts.

The loader walks composed YAML against :data:`SPEC`; :func:`key_paths` lists the keys it
accepts, which a test compares with the JSON schema. Converters raise ``ValueError`` with a
user-facing message; the loader adds ``file:line`` and the key path.

``depguard.rules`` is imported lazily (only to accept the ids of registered rules).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from depguard.config.model import (
    AQUA_REGISTRY_TYPES,
    ActionsTrust,
    AquaRegistry,
    AquaTrust,
    Config,
    GitHubSettings,
    Limits,
    RenovateSettings,
    RolloutSettings,
    RolloutStage,
    RuleSettings,
    SigningKey,
    TerraformTrust,
    Trust,
)
from depguard.config.patterns import NameGlob, PathGlob
from depguard.config.values import (
    BOT_LOGIN_PATTERN,
    GITHUB_OWNER_PATTERN,
    STAGE_NAME_PATTERN,
    check_https_url,
    check_platform,
    check_ref_constraint,
    expand_path,
    normalise_fingerprint,
    parse_duration,
    parse_size,
)
from depguard.model import RuleId, Severity

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
# Rules depguard adds beyond DESIGN.md §2 (documented in the README's rule list).
EXTENSION_RULE_IDS: tuple[str, ...] = ("renovate-rule-ineffective",)


def is_known_rule_id(rule_id: str) -> bool:
    """Return whether ``rule_id`` is a DESIGN.md §2 rule id or a registered rule."""
    if rule_id in KNOWN_RULE_IDS or rule_id in EXTENSION_RULE_IDS:
        return True
    from depguard import rules  # lazily: rule modules may import depguard.config

    return RuleId(rule_id) in rules.BY_ID


def _all_rule_ids() -> tuple[str, ...]:
    from depguard import rules

    return tuple(dict.fromkeys((*KNOWN_RULE_IDS, *EXTENSION_RULE_IDS, *rules.BY_ID)))


# --- spec nodes -----------------------------------------------------------------------------

_Kind = Literal["string", "integer", "number", "boolean", "null", "date"]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar of one of ``kinds``, converted by ``convert``."""

    kinds: frozenset[_Kind]
    what: str  # "a string", used in "expected …"
    convert: Callable[[Any], Any] = lambda v: v
    hint: Callable[[Any], str | None] | None = None  # extra help for a wrong type


@dataclass(frozen=True, slots=True)
class Seq:
    """A list of ``item``; ``unique`` maps an item to the key that must not repeat."""

    item: Spec
    min_items: int = 0
    unique: Callable[[Any], object] | None = None


@dataclass(frozen=True, slots=True)
class Map:
    """A mapping with fixed keys, built into an object by ``build(**values)``."""

    fields: Mapping[str, Spec]
    build: Callable[..., Any]
    required: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DynamicMap:
    """A mapping with validated dynamic keys (``rules``)."""

    key: Callable[[str], None]  # raises ValueError for a bad key
    known_keys: Callable[[], Iterable[str]]
    value: Map
    build: Callable[[dict[str, Any]], Any]
    what_key: str
    key_help: str


Spec = Leaf | Seq | Map | DynamicMap


# --- leaves and their converters ------------------------------------------------------------


def _string(convert: Callable[[str], Any] = lambda v: v) -> Leaf:
    def non_empty(v: str) -> Any:
        if not v.strip():
            raise ValueError("must not be empty")
        return convert(v)

    return Leaf(frozenset({"string"}), "a string", non_empty)


def _duration_hint(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"add a unit: {value}d (days), {value}h (hours) or {value}m (minutes)"
    return None


_BOOL = Leaf(frozenset({"boolean"}), "a boolean (true or false)")
_DURATION = Leaf(
    frozenset({"string"}), "a duration such as 3d, 12h, 90m or 1w", parse_duration, _duration_hint
)
_SIZE = Leaf(frozenset({"string", "integer"}), "a size such as 512MiB or a byte count", parse_size)


def _at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be at least 1, got {value}")
    return value


def _regex_check(pattern: str, what: str, example: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise ValueError(f"invalid {what} {text!r} (example: {example})")
        return text

    return check


def _choice(*choices: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in choices:
            raise ValueError(f"unknown value {text!r} (expected one of: {', '.join(choices)})")
        return text

    return check


_POSITIVE_INT = Leaf(frozenset({"integer"}), "an integer", _at_least_one)
_PATHS = Seq(_string(PathGlob))
_OWNERS = Seq(
    _string(lambda v: _regex_check(GITHUB_OWNER_PATTERN, "GitHub owner", "aquaproj")(v).lower()),
    unique=lambda v: v,
)
_PATH = _string(expand_path)


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


# --- the spec of depguard.yaml --------------------------------------------------------------

SPEC = Map(
    build=Config,
    fields={
        "platforms": Seq(_string(check_platform), min_items=1, unique=lambda p: p),
        "trust": Map(
            build=Trust,
            fields={
                "terraform": Map(
                    build=TerraformTrust,
                    fields={
                        "providers": Seq(_string(NameGlob.provider), unique=lambda p: p),
                        "signing_keys": Seq(
                            Map(
                                build=SigningKey,
                                required=("fingerprint", "providers"),
                                fields={
                                    "fingerprint": _string(normalise_fingerprint),
                                    "providers": Seq(_string(NameGlob.provider), min_items=1),
                                },
                            )
                        ),
                    },
                ),
                "aqua": Map(
                    build=AquaTrust,
                    fields={
                        "registries": Seq(
                            Map(
                                build=AquaRegistry,
                                required=("type",),
                                fields={
                                    "type": _string(_choice(*AQUA_REGISTRY_TYPES)),
                                    "ref": _string(check_ref_constraint),
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
                        "policy_files": Seq(_PATH),
                        "allow_legacy_minisign": _BOOL,
                    },
                ),
                "actions": Map(
                    build=ActionsTrust,
                    fields={"owners": _OWNERS, "require_sha": _BOOL},
                ),
                "min_release_age": _DURATION,
                "min_release_age_exempt": Seq(_string(NameGlob)),
            },
        ),
        "renovate": Map(
            build=RenovateSettings,
            fields={
                "bot_logins": Seq(
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
        "github": Map(
            build=GitHubSettings,
            fields={
                "url": _string(check_https_url),
                "api_url": _string(check_https_url),
                "raw_url": _string(check_https_url),
            },
        ),
        "rollout": Map(
            build=RolloutSettings,
            fields={
                "stages": Seq(
                    Map(
                        build=RolloutStage,
                        required=("name", "match"),
                        fields={
                            "name": _string(_regex_check(STAGE_NAME_PATTERN, "stage name", "prod")),
                            "match": Seq(_string(PathGlob), min_items=1),
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
        "rules": DynamicMap(
            key=_check_rule_key,
            known_keys=_all_rule_ids,
            value=Map(
                build=dict,
                fields={"severity": _string(_severity), "ignore": _PATHS},
            ),
            build=_rule_settings,
            what_key="rule id",
            key_help="the README lists every rule id",
        ),
        "limits": Map(
            build=Limits,
            fields={
                "max_download_bytes": _SIZE,
                "max_zip_uncompressed_bytes": _SIZE,
                "timeout": _DURATION,
                "download_timeout": _DURATION,
            },
        ),
        "cache_dir": _PATH,
        "snapshot_dirs": Seq(_PATH),
        "offline": _BOOL,
    },
)


def join_key(prefix: str, key: str) -> str:
    """Return the dotted key path of ``key`` under ``prefix`` (``""``: the top level)."""
    return f"{prefix}.{key}" if prefix else key


def key_paths() -> frozenset[str]:
    """Return every key path the loader accepts, like ``trust.terraform.providers`` or
    ``rollout.stages[].name``; ``rules`` is expanded over every accepted rule id."""
    out: set[str] = set()

    def walk(spec: Spec, prefix: str) -> None:
        if isinstance(spec, Map):
            for key, sub in spec.fields.items():
                path = join_key(prefix, key)
                out.add(path)
                walk(sub, path)
        elif isinstance(spec, Seq):
            walk(spec.item, prefix + "[]")
        elif isinstance(spec, DynamicMap):
            for key in spec.known_keys():
                out.add(f"{prefix}.{key}")
                walk(spec.value, f"{prefix}.{key}")

    walk(SPEC, "")
    return frozenset(out)
