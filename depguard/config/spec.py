"""The declarative spec of ``depguard.yaml``: every key, its type, how its value converts, and
how it is described.

The loader walks composed YAML against :data:`SPEC`; :func:`key_paths` lists the keys it
accepts. Converters raise ``ValueError`` with a user-facing message; the loader adds
``file:line`` and the key path. :mod:`depguard.config.schema` generates the JSON schema
(``manifests/schema/depguard.schema.json``) from the same nodes: their ``doc`` strings, their
types, and the JSON Schema keywords in :class:`Json` (patterns, enums, examples); defaults come
from the dataclasses of :mod:`depguard.config.model` that the nodes build.

``depguard.rules`` is imported lazily (only to accept the ids of registered rules).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

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
    DURATION_PATTERN,
    FINGERPRINT_PATTERN,
    GITHUB_OWNER_PATTERN,
    NAME_PATTERN,
    PLATFORM_PATTERN,
    PROVIDER_PATTERN,
    REF_CONSTRAINT_PATTERN,
    SIZE_PATTERN,
    STAGE_NAME_PATTERN,
    check_https_url,
    check_platform,
    check_ref_constraint,
    expand_path,
    format_duration,
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
class Json:
    """How a spec node appears in the JSON schema (:mod:`depguard.config.schema`).

    ``keywords`` are the JSON Schema keywords the node's shape does not imply (``pattern``,
    ``enum``, ``examples``, ``oneOf``...). With a ``name`` the node is defined once, under
    ``$defs/<name>`` with ``doc`` as its description, and referenced wherever it is used.
    """

    name: str | None = None
    doc: str = ""
    keywords: Mapping[str, Any] = field(default_factory=dict)


_NO_JSON = Json()


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar of one of ``kinds``, converted by ``convert``.

    ``dump`` writes a model value back in the file's syntax (the schema's ``default``);
    ``doc`` describes the value where it is used.
    """

    kinds: frozenset[_Kind]
    what: str  # "a string", used in "expected …"
    convert: Callable[[Any], Any] = lambda v: v
    hint: Callable[[Any], str | None] | None = None  # extra help for a wrong type
    dump: Callable[[Any], Any] | None = None
    doc: str = ""
    json: Json = _NO_JSON


@dataclass(frozen=True, slots=True)
class Seq:
    """A list of ``item``; ``unique`` maps an item to the key that must not repeat."""

    item: Spec
    min_items: int = 0
    unique: Callable[[Any], object] | None = None
    doc: str = ""
    json: Json = _NO_JSON


@dataclass(frozen=True, slots=True)
class Map:
    """A mapping with fixed keys, built into an object by ``build(**values)``.

    Absent keys take the defaults of ``build`` when it is a dataclass.
    """

    fields: Mapping[str, Spec]
    build: Callable[..., Any]
    required: tuple[str, ...] = ()
    doc: str = ""
    json: Json = _NO_JSON


@dataclass(frozen=True, slots=True)
class DynamicMap:
    """A mapping with validated dynamic keys (``rules``)."""

    key: Callable[[str], None]  # raises ValueError for a bad key
    known_keys: Callable[[], Iterable[str]]
    value: Map
    build: Callable[[dict[str, Any]], Any]
    what_key: str
    key_help: str
    doc: str = ""
    json: Json = _NO_JSON


Spec = Leaf | Seq | Map | DynamicMap
_S = TypeVar("_S", Leaf, Seq, Map, DynamicMap)


def _doc(spec: _S, text: str) -> _S:
    """Return ``spec`` described by ``text`` where it is used."""
    return replace(spec, doc=text)


def _define(name: str, text: str, spec: _S) -> _S:
    """Return ``spec`` as the schema definition ``$defs/<name>`` described by ``text``."""
    return replace(spec, json=replace(spec.json, name=name, doc=text))


# --- leaves and their converters ------------------------------------------------------------


def _string(
    convert: Callable[[str], Any] = lambda v: v, keywords: Mapping[str, Any] | None = None
) -> Leaf:
    """A non-empty string converted by ``convert``; ``keywords`` for the schema."""

    def non_empty(v: str) -> Any:
        if not v.strip():
            raise ValueError("must not be empty")
        return convert(v)

    extra = dict(keywords or {})
    if "enum" not in extra:  # an enum says it all
        extra = {"minLength": 1, **extra}
    return Leaf(frozenset({"string"}), "a string", non_empty, json=Json(keywords=extra))


def _duration_hint(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"add a unit: {value}d (days), {value}h (hours) or {value}m (minutes)"
    return None


def _format_size(value: int) -> str | int:
    """Return a byte count as the largest binary unit that divides it (``1GiB``)."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value % size == 0:
            return f"{value // size}{unit}"
    return value


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


def _matching(
    pattern: str, what: str, example: str, then: Callable[[str], Any] = lambda v: v
) -> Leaf:
    """A non-empty string that must match ``pattern`` (the schema's ``pattern`` too)."""
    check = _regex_check(pattern, what, example)
    return _string(lambda v: then(check(v)), {"pattern": pattern})


def _choice(*choices: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in choices:
            raise ValueError(f"unknown value {text!r} (expected one of: {', '.join(choices)})")
        return text

    return check


def _one_of(*choices: str) -> Leaf:
    """A string that is one of ``choices`` (the schema's ``enum``)."""
    return _string(_choice(*choices), {"enum": list(choices)})


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


# Syntax checks of a path pattern the schema can express (PathGlob checks the rest).
_PATH_GLOB_PATTERN = r"^[^/!\\\[\]{}][^\\\[\]{}]*$"
_PATH_GLOB_NOT = r"(^|/)\.{1,2}(/|$)|//|/$|[^/]\*\*|\*\*[^/]"
_NO_DOUBLE_STAR = {"pattern": r"\*\*"}
_HTTPS_URL_PATTERN = r"^https://[^\s/?#@]+(/[^\s?#]*)?$"

_BOOL = Leaf(frozenset({"boolean"}), "a boolean (true or false)")
_DURATION = _define(
    "duration",
    "A duration: a number and a unit (w, d, h, m, s), units combined largest first, like "
    "90m, 12h, 3d, 1w or 1d12h. A bare number is an error.",
    Leaf(
        frozenset({"string"}),
        "a duration such as 3d, 12h, 90m or 1w",
        parse_duration,
        _duration_hint,
        dump=format_duration,
        json=Json(
            keywords={
                "minLength": 1,
                "pattern": DURATION_PATTERN,
                "examples": ["3d", "12h", "90m", "1w"],
            }
        ),
    ),
)
_SIZE = _define(
    "size",
    "A size: a byte count, or a number with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), "
    "like 512MiB.",
    Leaf(
        frozenset({"string", "integer"}),
        "a size such as 512MiB or a byte count",
        parse_size,
        dump=_format_size,
        json=Json(
            keywords={
                "oneOf": [
                    {"type": "integer", "minimum": 1},
                    {"type": "string", "pattern": SIZE_PATTERN},
                ],
                "examples": ["512MiB", "2GiB", 1048576],
            }
        ),
    ),
)
_POSITIVE_INT = _define(
    "positiveInteger",
    "An integer of at least 1.",
    Leaf(
        frozenset({"integer"}),
        "an integer",
        _at_least_one,
        json=Json(keywords={"minimum": 1}),
    ),
)
_PLATFORM = _define(
    "platform",
    "A platform as os_arch with Go's names, like linux_amd64.",
    _string(
        check_platform,
        {
            "pattern": PLATFORM_PATTERN,
            "examples": [
                "linux_amd64",
                "linux_arm64",
                "darwin_amd64",
                "darwin_arm64",
                "windows_amd64",
            ],
        },
    ),
)
_PROVIDER_GLOB = _define(
    "providerPattern",
    "A provider address pattern hostname/namespace/type; namespace/type means "
    "registry.terraform.io/namespace/type. '*' matches within one segment; case-insensitive.",
    _string(
        NameGlob.provider,
        {
            "pattern": PROVIDER_PATTERN,
            "not": _NO_DOUBLE_STAR,
            "examples": ["registry.terraform.io/hashicorp/*", "integrations/github"],
        },
    ),
)
_NAME_GLOB = _define(
    "namePattern",
    "A dependency name pattern: '/'-separated segments (owner/repo, namespace/type or a "
    "provider address), '*' matches within one segment; case-insensitive. A two-part pattern "
    "also matches providers of registry.terraform.io by namespace/type.",
    _string(
        NameGlob,
        {"pattern": NAME_PATTERN, "not": _NO_DOUBLE_STAR, "examples": ["hashicorp/*"]},
    ),
)
_PATH_GLOB = _define(
    "pathPattern",
    "A path pattern matched against whole repository-relative paths, case-sensitively: '*' "
    "and '?' stay within one segment, '**' as a whole segment matches any number of segments "
    "(including none). No leading '/', no '.' or '..' segments, no [], {} or !.",
    _string(
        PathGlob,
        {
            "pattern": _PATH_GLOB_PATTERN,
            "not": {"pattern": _PATH_GLOB_NOT},
            "examples": ["**/.terraform.lock.hcl", "envs/prod/**", ".github/workflows/*.yaml"],
        },
    ),
)
_PATHS = _define("pathPatterns", "Path patterns.", Seq(_PATH_GLOB))
_OWNERS = _define(
    "githubOwners",
    "GitHub owners. Absent: no owner restriction; a list (even an empty one) allows only "
    "these owners.",
    Seq(
        _define(
            "githubOwner",
            "A GitHub user or organisation login (compared case-insensitively).",
            _matching(GITHUB_OWNER_PATTERN, "GitHub owner", "aquaproj", str.lower),
        ),
        unique=lambda v: v,
    ),
)
_PATH = _define(
    "path",
    "A filesystem path; relative paths are relative to this file; '~' is expanded.",
    _string(expand_path),
)
_HTTPS_URL = _define(
    "httpsUrl",
    "An https URL without credentials, query or fragment (a trailing slash is removed).",
    _string(check_https_url, {"pattern": _HTTPS_URL_PATTERN, "format": "uri"}),
)
_SEVERITY = _define(
    "severity",
    "A severity.",
    _string(_severity, {"enum": [s.label for s in Severity]}),
)


def _if_type(value: str, then: Mapping[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"type": {"const": value}}}, "then": dict(then)}


def _none_of(*keys: str) -> dict[str, Any]:
    return {"anyOf": [{"required": [k]} for k in keys]}


# What AquaRegistry.__post_init__ checks, as JSON Schema conditions.
_AQUA_REGISTRY_RULES = [
    _if_type("github_content", {"required": ["repo_owner", "repo_name", "path"]}),
    _if_type("standard", {"not": _none_of("repo_owner", "repo_name", "path")}),
    _if_type("local", {"required": ["path"], "not": _none_of("repo_owner", "repo_name", "ref")}),
]

# --- the spec of depguard.yaml --------------------------------------------------------------

SPEC = Map(
    build=Config,
    doc="The trust policy of depguard. Every key is optional; absent keys take the defaults in "
    "manifests/policy/default.yaml. Unknown and duplicate keys are errors. Precedence: "
    "command-line flag > DEPGUARD_* environment > this file > defaults.",
    json=Json(keywords={"title": "depguard trust policy (depguard.yaml)"}),
    fields={
        "platforms": Seq(
            _PLATFORM,
            min_items=1,
            unique=lambda p: p,
            doc="Platforms every lock file and aqua-checksums.json must cover (default: "
            "linux_amd64, linux_arm64, darwin_amd64, darwin_arm64). Environment: "
            "DEPGUARD_PLATFORMS.",
        ),
        "trust": Map(
            build=Trust,
            doc="What depguard trusts.",
            fields={
                "terraform": Map(
                    build=TerraformTrust,
                    doc="Terraform providers.",
                    fields={
                        "providers": Seq(
                            _PROVIDER_GLOB,
                            unique=lambda p: p,
                            doc="Allowed providers (provider patterns; default "
                            "[registry.terraform.io/hashicorp/*]). Providers signed by "
                            "HashiCorp's official or partner keys are allowed as well.",
                        ),
                        "signing_keys": Seq(
                            _define(
                                "signingKey",
                                "A provider-signing key trusted for the providers listed.",
                                Map(
                                    build=SigningKey,
                                    required=("fingerprint", "providers"),
                                    fields={
                                        "fingerprint": _doc(
                                            _string(
                                                normalise_fingerprint,
                                                {"pattern": FINGERPRINT_PATTERN},
                                            ),
                                            "The key's OpenPGP (v4) primary-key fingerprint: 40 "
                                            "hex digits, spaces allowed (as gpg prints it).",
                                        ),
                                        "providers": Seq(
                                            _PROVIDER_GLOB,
                                            min_items=1,
                                            doc="Providers this key may sign (provider patterns).",
                                        ),
                                    },
                                ),
                            ),
                            doc="Pinned signing keys of providers not signed by HashiCorp "
                            "(HashiCorp's keys are built in).",
                        ),
                    },
                ),
                "aqua": Map(
                    build=AquaTrust,
                    doc="aqua registries and packages.",
                    fields={
                        "registries": Seq(
                            _define(
                                "aquaRegistry",
                                "An aqua registry aqua configs may import.",
                                Map(
                                    build=AquaRegistry,
                                    required=("type",),
                                    json=Json(keywords={"allOf": _AQUA_REGISTRY_RULES}),
                                    fields={
                                        "type": _doc(
                                            _one_of(*AQUA_REGISTRY_TYPES),
                                            "standard: aquaproj/aqua-registry; github_content: "
                                            "a registry file in a GitHub repository; local: a "
                                            "file in this repository.",
                                        ),
                                        "ref": _doc(
                                            _string(
                                                check_ref_constraint,
                                                {"pattern": REF_CONSTRAINT_PATTERN},
                                            ),
                                            "A version constraint on the registry's tag, like "
                                            "'>= v4.0.0' or '>= v4.0.0, < v5.0.0' (absent: any "
                                            "tag; branches are never allowed). Not for local "
                                            "registries.",
                                        ),
                                        "repo_owner": _doc(
                                            _matching(GITHUB_OWNER_PATTERN, "owner", "aquaproj"),
                                            "github_content only: the repository owner.",
                                        ),
                                        "repo_name": _doc(
                                            _matching(
                                                r"^[A-Za-z0-9._-]+$", "repository", "aqua-registry"
                                            ),
                                            "github_content only: the repository name.",
                                        ),
                                        "path": _doc(
                                            _string(),
                                            "github_content and local: the registry file's path.",
                                        ),
                                    },
                                ),
                            ),
                            doc="Allowed registries (default: the standard registry at any tag).",
                        ),
                        "github_owners": _OWNERS,
                        "policy_files": Seq(
                            _PATH,
                            doc="aqua-policy.yaml files honoured besides the Git root's (like "
                            "AQUA_POLICY_CONFIG); relative to this file.",
                        ),
                        "allow_legacy_minisign": _doc(
                            _BOOL,
                            "Accept minisign's legacy (non-prehashed) signatures (default false).",
                        ),
                    },
                ),
                "actions": Map(
                    build=ActionsTrust,
                    doc="GitHub Actions in workflows.",
                    fields={
                        "owners": _OWNERS,
                        "require_sha": _doc(
                            _BOOL, "'uses:' must name a full commit SHA (default true)."
                        ),
                    },
                ),
                "min_release_age": _doc(
                    _DURATION,
                    "Minimum age of a release before an update to it is accepted (default 0s: "
                    "none).",
                ),
                "min_release_age_exempt": Seq(
                    _NAME_GLOB, doc="Dependencies exempt from min_release_age (name patterns)."
                ),
            },
        ),
        "renovate": Map(
            build=RenovateSettings,
            doc="Renovate, the bot whose PRs depguard checks.",
            fields={
                "bot_logins": Seq(
                    _doc(
                        _matching(BOT_LOGIN_PATTERN, "bot login", "renovate[bot]"),
                        "A GitHub login.",
                    ),
                    min_items=1,
                    unique=lambda v: v,
                    doc="Logins allowed to author PRs on Renovate branches (default "
                    "[renovate[bot]]).",
                ),
                "branch_prefix": _doc(
                    _matching(r"^\S+$", "branch prefix (no spaces)", "renovate/"),
                    "Prefix of Renovate's branches (default renovate/).",
                ),
                "allowed_files": _doc(
                    _PATHS,
                    "The only files a bot PR may change (default: lock files, *.tf, "
                    ".terraform-version, aqua configs and checksums, workflows).",
                ),
            },
        ),
        "github": Map(
            build=GitHubSettings,
            doc="GitHub (Enterprise Server or a mirror) URLs.",
            fields={
                "url": _doc(
                    _HTTPS_URL,
                    "Web URL; release downloads are "
                    "{url}/{owner}/{repo}/releases/download/{tag}/{asset} (default "
                    "https://github.com).",
                ),
                "api_url": _doc(_HTTPS_URL, "REST API URL (default https://api.github.com)."),
                "raw_url": _doc(
                    _HTTPS_URL, "Raw content URL (default https://raw.githubusercontent.com)."
                ),
            },
        ),
        "rollout": Map(
            build=RolloutSettings,
            doc="Staged rollout of upgrades across state directories.",
            fields={
                "stages": Seq(
                    _define(
                        "rolloutStage",
                        "A rollout stage.",
                        Map(
                            build=RolloutStage,
                            required=("name", "match"),
                            fields={
                                "name": _doc(
                                    _matching(STAGE_NAME_PATTERN, "stage name", "prod"),
                                    "The stage name, unique.",
                                ),
                                "match": Seq(
                                    _PATH_GLOB,
                                    min_items=1,
                                    doc="State directories of this stage (path patterns).",
                                ),
                                "soak": _doc(
                                    _DURATION,
                                    "How long a version runs in this stage before the next "
                                    "stage may take it (default 0s).",
                                ),
                                "canary": _doc(
                                    _POSITIVE_INT,
                                    "Size of a first, canary wave (default: no canary wave).",
                                ),
                                "max_per_wave": _doc(
                                    _POSITIVE_INT, "Directories per wave (default: unlimited)."
                                ),
                                "approval": _doc(
                                    _BOOL,
                                    "Each wave waits for a person's approval (default false).",
                                ),
                            },
                        ),
                    ),
                    unique=lambda stage: stage.name,
                    doc="Stages in order (default none).",
                ),
                "unmatched": _doc(
                    _one_of("error", "last"),
                    "A state directory no stage matches is an error, or goes into the last "
                    "stage (default error).",
                ),
            },
        ),
        "rules": DynamicMap(
            key=_check_rule_key,
            known_keys=_all_rule_ids,
            value=_define(
                "ruleSettings",
                "Settings of one rule.",
                Map(
                    build=dict,
                    fields={
                        "severity": _doc(_SEVERITY, "Severity of this rule's findings."),
                        "ignore": _doc(
                            _PATHS, "Findings at these paths are ignored (path patterns)."
                        ),
                    },
                ),
            ),
            build=_rule_settings,
            what_key="rule id",
            key_help="the README lists every rule id",
            doc="Per-rule settings keyed by rule id.",
        ),
        "limits": Map(
            build=Limits,
            doc="Safe limits on network work.",
            fields={
                "max_download_bytes": _doc(_SIZE, "Largest download (default 1GiB)."),
                "max_zip_uncompressed_bytes": _doc(
                    _SIZE, "Most bytes hashing one provider zip may unpack (default 4GiB)."
                ),
                "timeout": _doc(
                    _DURATION, "Connecting, and each read of a response (default 30s)."
                ),
                "download_timeout": _doc(
                    _DURATION, "The whole body of one download (default 30m)."
                ),
            },
        ),
        "cache_dir": _doc(
            _PATH,
            "Cache directory (default $DEPGUARD_CACHE_DIR, else the user cache directory); "
            "relative to this file.",
        ),
        "snapshot_dirs": Seq(
            _PATH,
            doc="Directories of stored upstream data read before the network; relative to this "
            "file. Environment: DEPGUARD_SNAPSHOT_DIRS.",
        ),
        "offline": _doc(
            _BOOL,
            "Never use the network: read only the cache and the snapshots (default false). "
            "Environment: DEPGUARD_OFFLINE.",
        ),
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
