"""``depguard init``: a commented ``depguard.yaml`` proposed from what a repository uses.

Three steps, the last two pure:

1. :func:`discover` reads the working tree with depguard's own readers (nothing is written,
   nothing is fetched): the state directories as ``depguard rollout`` finds them
   (``tfaction-root.yaml`` aware), the providers of every lock file and ``required_providers``
   block, the aqua configs with their registries and packages, the ``uses:`` of GitHub
   workflows and action metadata, and ``-platform=`` flags where the repository runs
   ``terraform providers lock`` (``tfaction-root.yaml``, workflows, root-level scripts).
2. :func:`guess_stages` turns directory names into rollout stages: a path segment ``dev``,
   ``development`` or ``sandbox`` is the dev stage, ``stg``/``stage``/``staging``/``qa`` stg,
   ``prd``/``prod``/``production`` prod and ``canary`` a canary stage before them (compared
   case-insensitively, whole segments only); the first such segment from the root decides,
   and the stage matches everything under it.
3. :func:`render` writes the policy: every value found is a value, every guess says so in a
   comment (``review``), and what could not be read is listed at the top. The text always
   loads with :func:`depguard.config.parse_config` (:func:`propose` checks it).

Discovery never says more than the files do: the hashes of a lock file do not name the
platforms they cover, so ``platforms`` keeps depguard's defaults unless ``-platform=`` flags
name them; signing keys cannot be known offline, so non-HashiCorp provider namespaces are
flagged for review instead.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from depguard.config.values import GITHUB_OWNER_PATTERN
from depguard.errors import InputError
from depguard.model import DEFAULT_REGISTRY_HOST

if TYPE_CHECKING:
    from depguard.rollout.workspace import _Repo

__all__ = [
    "STAGE_WORDS",
    "AquaRegistryGuess",
    "Discovery",
    "ProviderNamespace",
    "StageGuess",
    "discover",
    "guess_stages",
    "propose",
    "render",
]

#: Rollout stages in order, each with the directory names (lower case) that suggest it.
STAGE_WORDS: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("canary", frozenset({"canary"})),
    ("dev", frozenset({"dev", "development", "sandbox"})),
    ("stg", frozenset({"stg", "stage", "staging", "qa"})),
    ("prod", frozenset({"prd", "prod", "production"})),
)
# Suggested soaks (DESIGN.md §4's example); the comment next to them says they are suggestions.
_SOAK: Final = {"canary": "1d", "dev": "2d", "stg": "3d", "prod": "7d"}
_HASHICORP: Final = (DEFAULT_REGISTRY_HOST, "hashicorp")
_DEFAULT_PLATFORMS: Final = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64")
_PLATFORM_FLAG: Final = re.compile(r"-platform[= ]+[\"']?([a-z0-9]+_[a-z0-9]+)")
_SCRIPT_NAME: Final = re.compile(r"Makefile|.*\.(?:mk|sh|bash)|\.pre-commit-config\.ya?ml")
_SHOWN: Final = 5  # names listed in a comment before "and N more"
_WIDTH: Final = 96  # comments are wrapped to this many columns


# --- what discovery finds -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderNamespace:
    """The providers of one ``hostname/namespace`` in use; ``types`` sorted."""

    hostname: str
    namespace: str
    types: tuple[str, ...]

    @property
    def pattern(self) -> str:
        return f"{self.hostname}/{self.namespace}/*"

    @property
    def hashicorp(self) -> bool:
        """Whether HashiCorp publishes this namespace (its keys are built into depguard)."""
        return (self.hostname, self.namespace) == _HASHICORP


@dataclass(frozen=True, slots=True, kw_only=True)
class AquaRegistryGuess:
    """A ``trust.aqua.registries`` entry for a registry an aqua config declares.

    ``ref`` is the tag in use (None for local registries); ``ref_constraint`` allows it and
    newer tags, None when the ref is not a version tag (a branch or commit: ``problem`` says).
    """

    type: str  # standard, github_content or local
    repo_owner: str | None = None
    repo_name: str | None = None
    path: str | None = None
    ref: str | None = None
    ref_constraint: str | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StageGuess:
    """A rollout stage guessed from directory names: ``match`` globs and the directories."""

    name: str
    match: tuple[str, ...]
    directories: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    """Everything :func:`discover` found; paths repository-relative POSIX, all sorted.

    ``problems`` are files that could not be read or parsed (each message starts with the
    file and line); ``notes`` say what else discovery assumed or left out. Both are listed
    at the top of the policy.
    """

    state_directories: tuple[str, ...] = ()
    lock_files: tuple[str, ...] = ()
    h1_per_provider: tuple[int, ...] = ()  # one count per lock entry
    platform_flags: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (platform, files)
    providers: tuple[ProviderNamespace, ...] = ()
    aqua_configs: tuple[str, ...] = ()
    aqua_packages: int = 0
    aqua_registries: tuple[AquaRegistryGuess, ...] = ()
    aqua_owners: tuple[str, ...] = ()
    aqua_supported_envs: tuple[tuple[str, tuple[str, ...] | None], ...] = ()
    aqua_policy_file: str | None = None
    workflows: tuple[str, ...] = ()
    action_owners: tuple[str, ...] = ()
    uses_total: int = 0
    uses_unpinned: int = 0
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# --- 1. discovery (reads the working tree) ---------------------------------------------------


def discover(root: Path) -> Discovery:
    """Read what the repository at ``root`` uses (module docstring, step 1).

    Files that cannot be read or parsed do not stop discovery: each becomes a problem naming
    file and line. Returns a :class:`Discovery`; raises :class:`InputError` only when
    ``root`` itself cannot be listed.
    """
    from depguard.rollout.model import FsSource
    from depguard.rollout.workspace import _Repo

    root = root.resolve()
    problems: list[str] = []
    notes: list[str] = []
    try:
        repo = _Repo(FsSource(root))
    except OSError as e:
        raise InputError(str(root), f"cannot list the repository: {e.strerror or e}") from e
    states = _state_directories(repo, problems, notes)
    locks, h1_counts, providers = _terraform(root, problems, notes)
    aqua = _aqua(root, problems, notes)
    workflows, owners, total, unpinned = _actions(repo, problems)
    return Discovery(
        state_directories=tuple(states),
        lock_files=tuple(locks),
        h1_per_provider=tuple(h1_counts),
        platform_flags=_platform_flags(repo, problems),
        providers=providers,
        aqua_configs=aqua.configs,
        aqua_packages=aqua.packages,
        aqua_registries=aqua.registries,
        aqua_owners=aqua.owners,
        aqua_supported_envs=aqua.supported_envs,
        aqua_policy_file=_aqua_policy_file(root),
        workflows=workflows,
        action_owners=owners,
        uses_total=total,
        uses_unpinned=unpinned,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _state_directories(repo: _Repo, problems: list[str], notes: list[str]) -> list[str]:
    """The state directories ``depguard rollout`` plans over (tfaction-aware)."""
    from depguard.rollout import workspace

    try:
        found = workspace._state_directories(repo, notes)
    except InputError as e:
        problems.append(f"{e.message} (state directories: those with a lock file)")
        found = {d: d for d, names in repo.dirs.items() if workspace.LOCK_FILE in names}
    return sorted(found)


def _terraform(
    root: Path, problems: list[str], notes: list[str]
) -> tuple[list[str], list[int], tuple[ProviderNamespace, ...]]:
    """Lock files, h1: hashes per lock entry, and providers by namespace (lock files and
    ``required_providers`` of every state directory)."""
    from depguard.engine.workspace import read_states

    _, states = read_states([root], root=root)
    locks: list[str] = []
    h1_counts: list[int] = []
    namespaces: dict[tuple[str, str], set[str]] = {}
    for state in states:
        problems.extend(e.message for e in state.errors)
        addresses = []
        if state.lock is not None:
            locks.append(state.lock_display)
            for entry in state.lock.providers:
                h1_counts.append(len(entry.h1))
                addresses.append(entry.address)
        if state.requirements is not None:
            addresses.extend(p.address for p in state.requirements.providers)
        for address in addresses:
            if address.is_lockable:
                namespaces.setdefault((address.hostname, address.namespace), set()).add(
                    address.type
                )
    providers: list[ProviderNamespace] = []
    for (hostname, namespace), types in sorted(namespaces.items(), key=_hashicorp_first):
        candidate = ProviderNamespace(
            hostname=hostname, namespace=namespace, types=tuple(sorted(types))
        )
        if _valid_provider_pattern(candidate.pattern):
            providers.append(candidate)
        else:
            notes.append(
                f"providers of {hostname}/{namespace} ({', '.join(sorted(types))}): the "
                "namespace cannot be written as a provider pattern; add it by hand"
            )
    return sorted(locks), h1_counts, tuple(providers)


def _hashicorp_first(item: tuple[tuple[str, str], set[str]]) -> tuple[bool, str, str]:
    (hostname, namespace), _ = item
    return ((hostname, namespace) != _HASHICORP, hostname, namespace)


def _valid_provider_pattern(pattern: str) -> bool:
    from depguard.config.patterns import NameGlob

    try:
        NameGlob.provider(pattern)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class _Aqua:
    configs: tuple[str, ...] = ()
    packages: int = 0
    registries: tuple[AquaRegistryGuess, ...] = ()
    owners: tuple[str, ...] = ()
    supported_envs: tuple[tuple[str, tuple[str, ...] | None], ...] = ()


def _aqua(root: Path, problems: list[str], notes: list[str]) -> _Aqua:
    """aqua configs (aqua's file names, anywhere), their registries and package owners."""
    from depguard.engine.paths import display_path
    from depguard.formats.aqua_config import find_configs, load_config

    configs: list[str] = []
    packages = 0
    registries: dict[tuple[str, str | None, str | None, str | None], list[str | None]] = {}
    owners: set[str] = set()
    envs: list[tuple[str, tuple[str, ...] | None]] = []
    for path in find_configs(root):
        shown = display_path(path, root)
        try:
            config = load_config(path, repo_root=root)
        except InputError as e:
            problems.append(_relative_message(e.message, root))
            continue
        configs.append(shown)
        packages += len(config.packages)
        if config.checksum.enabled:
            envs.append((shown, config.checksum.supported_envs))
        for reg in config.registries.values():
            if reg.type == "local":
                key: tuple[str, str | None, str | None, str | None] = (
                    "local",
                    None,
                    None,
                    display_path(Path(reg.path), root),
                )
            elif reg.is_standard:
                key = ("standard", None, None, None)
            else:
                key = ("github_content", reg.repo_owner, reg.repo_name, reg.path)
            registries.setdefault(key, []).append(reg.ref if reg.type != "local" else None)
        for pkg in config.packages:
            owner = pkg.name.split("/", 1)[0].lower()
            if re.fullmatch(GITHUB_OWNER_PATTERN, owner):
                owners.add(owner)
            else:
                notes.append(
                    f"{_relative(pkg.file, root)}:{pkg.line}: package {pkg.name!r}: "
                    f"{owner!r} is not a GitHub owner; left out of github_owners"
                )
    guesses = tuple(_registry_guess(key, refs) for key, refs in sorted(registries.items(), key=str))
    return _Aqua(
        configs=tuple(sorted(configs)),
        packages=packages,
        registries=guesses,
        owners=tuple(sorted(owners)),
        supported_envs=tuple(envs),
    )


def _relative(file: str, root: Path) -> str:
    from depguard.engine.paths import display_path

    path = Path(file)
    return display_path(path, root) if path.is_absolute() else file


def _relative_message(message: str, root: Path) -> str:
    """A reader's message naming an absolute path, with the path shown relative to ``root``."""
    prefix = str(root).rstrip("/") + "/"
    return message.replace(prefix, "")


_VERSION_KEY: Final = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def _registry_guess(
    key: tuple[str, str | None, str | None, str | None], refs: Sequence[str | None]
) -> AquaRegistryGuess:
    """The policy entry for one registry: the lowest version tag in use as the floor."""
    from depguard.config.values import check_ref_constraint

    kind, owner, name, path = key
    if kind == "local":
        return AquaRegistryGuess(type="local", path=path)
    tags = sorted({r for r in refs if r})
    versions = [t for t in tags if _VERSION_KEY.fullmatch(t)]
    if not versions or len(versions) != len(tags):
        others = [t for t in tags if t not in versions] or ["(none)"]
        return AquaRegistryGuess(
            type=kind,
            repo_owner=owner,
            repo_name=name,
            path=path,
            ref=others[0],
            problem=f"ref {others[0]} is not a version tag: pin a tag (aqua-registry-unpinned)",
        )
    lowest = min(versions, key=_version_key)
    constraint = f">= {lowest}"
    try:
        check_ref_constraint(constraint)
    except ValueError:
        return AquaRegistryGuess(
            type=kind,
            repo_owner=owner,
            repo_name=name,
            path=path,
            ref=lowest,
            problem=f"ref {lowest} cannot be written as a version constraint",
        )
    return AquaRegistryGuess(
        type=kind,
        repo_owner=owner,
        repo_name=name,
        path=path,
        ref=", ".join(versions),
        ref_constraint=constraint,
    )


def _version_key(tag: str) -> tuple[int, ...]:
    m = _VERSION_KEY.fullmatch(tag)
    assert m is not None
    return tuple(int(g or 0) for g in m.groups())


def _aqua_policy_file(root: Path) -> str | None:
    """The aqua-policy.yaml aqua reads at the root (the first of its names), if any."""
    from depguard.formats.aqua_policy import POLICY_FILE_NAMES

    for name in POLICY_FILE_NAMES:
        if (root / name).is_file():
            return name
    return None


def _read(repo: _Repo, path: str, problems: list[str]) -> str | None:
    try:
        return repo.text(path)
    except InputError as e:
        problems.append(e.message)
        return None


def _actions(repo: _Repo, problems: list[str]) -> tuple[tuple[str, ...], tuple[str, ...], int, int]:
    """Workflow and action files, the owners their ``uses:`` name, and how many are pinned."""
    from depguard.formats.workflows import is_workflow_path, parse_workflow

    files = sorted(
        f"{d}/{n}" if d != "." else n
        for d, names in repo.dirs.items()
        for n in names
        if is_workflow_path(f"{d}/{n}" if d != "." else n)
    )
    owners: set[str] = set()
    total = unpinned = 0
    read: list[str] = []
    for path in files:
        text = _read(repo, path, problems)
        if text is None:
            continue
        try:
            refs = parse_workflow(text, path)
        except InputError as e:
            problems.append(e.message)
            continue
        read.append(path)
        for ref in refs:
            if ref.kind not in ("action", "reusable-workflow") or ref.owner is None:
                continue
            total += 1
            unpinned += not ref.pinned
            owner = ref.owner.lower()
            if re.fullmatch(GITHUB_OWNER_PATTERN, owner):
                owners.add(owner)
    return tuple(read), tuple(sorted(owners)), total, unpinned


def _platform_flags(repo: _Repo, problems: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``-platform=os_arch`` flags (``terraform providers lock``) in tfaction-root.yaml,
    workflows and root-level scripts: the platforms the repository locks today."""
    from depguard.config.values import check_platform
    from depguard.formats.workflows import is_workflow_path
    from depguard.rollout.workspace import TFACTION_ROOT

    candidates = sorted(
        {n for n in repo.dirs.get(".", ()) if n == TFACTION_ROOT or _SCRIPT_NAME.fullmatch(n)}
        | {
            f"{d}/{n}"
            for d, names in repo.dirs.items()
            if d == ".github/workflows"
            for n in names
            if is_workflow_path(f"{d}/{n}")
        }
    )
    found: dict[str, set[str]] = {}
    for path in candidates:
        text = _read(repo, path, problems)
        for m in _PLATFORM_FLAG.finditer(text or ""):
            try:
                platform = str(check_platform(m.group(1)))
            except ValueError:
                continue
            found.setdefault(platform, set()).add(path)
    return tuple((p, tuple(sorted(files))) for p, files in sorted(found.items()))


# --- 2. stages from directory names ----------------------------------------------------------

_GLOB_UNSAFE: Final = re.compile(r"[\[\]{}\\*?]")


def guess_stages(directories: Iterable[str]) -> tuple[tuple[StageGuess, ...], tuple[str, ...]]:
    """Guess rollout stages from the state directories' names (module docstring, step 2).

    Returns (stages in rollout order, directories no guess matches). Each stage matches
    ``<path up to its segment>/**``; characters a path pattern cannot hold literally become
    ``?``.
    """
    words = {word: stage for stage, names in STAGE_WORDS for word in names}
    patterns: dict[str, set[str]] = {}
    members: dict[str, list[str]] = {}
    unmatched: list[str] = []
    for directory in sorted(set(directories)):
        segments = directory.split("/")
        for i, segment in enumerate(segments):
            stage = words.get(segment.lower())
            if stage is None:
                continue
            prefix = "/".join(_glob_literal(s) for s in segments[: i + 1])
            patterns.setdefault(stage, set()).add(f"{prefix}/**")
            members.setdefault(stage, []).append(directory)
            break
        else:
            unmatched.append(directory)
    stages = tuple(
        StageGuess(
            name=stage, match=tuple(sorted(patterns[stage])), directories=tuple(members[stage])
        )
        for stage, _ in STAGE_WORDS
        if stage in patterns
    )
    return stages, tuple(unmatched)


def _glob_literal(segment: str) -> str:
    text = _GLOB_UNSAFE.sub("?", segment)
    return "?" + text[1:] if text.startswith("!") else text


# --- 3. the policy text ----------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's; non-ASCII is escaped)."""
    return json.dumps(text)


def _flow(items: Iterable[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


# YAML line breaks besides \n and \r (PyYAML: NEL, LS, PS) and other control characters
# must not reach a comment: a directory name must never start a line of YAML.
_UNSAFE_IN_COMMENT: Final = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _comment(text: str, prefix: str = "", *, bullet: bool = False) -> list[str]:
    """``text`` as a comment after ``prefix``: indentation (the comment is wrapped to fit
    :data:`_WIDTH`, as a list item with ``bullet``), or a value it annotates (one line)."""
    safe = _UNSAFE_IN_COMMENT.sub("?", text)
    if prefix.strip():
        return [f"{prefix}# {safe}".rstrip()]
    wrapped = textwrap.wrap(
        safe,
        max(_WIDTH - len(prefix) - 2, 40),
        initial_indent="  - " if bullet else "",
        subsequent_indent="    " if bullet else "",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"{prefix}# {line}".rstrip() for line in wrapped or [""]]


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown if len(names) <= _SHOWN else f"{shown} and {len(names) - _SHOWN} more"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n or 'no'} {one if n == 1 else (many or one + 's')}"


def render(found: Discovery) -> str:
    """Return the commented ``depguard.yaml`` for ``found`` (module docstring, step 3)."""
    stages, unmatched = guess_stages(found.state_directories)
    out: list[str] = []
    out += _header(found)
    out += _platforms(found)
    out += ["", "trust:"]
    out += _terraform_section(found)
    out += _aqua_section(found)
    out += _actions_section(found)
    out += [
        "  # How old a release must be before an update to it is accepted (absent: no minimum).",
        "  # 3d is a good start: most malicious releases are caught and yanked within days.",
        "  # min_release_age: 3d",
    ]
    out += _rollout_section(stages, unmatched)
    return "\n".join(out) + "\n"


def _header(found: Discovery) -> list[str]:
    summary = ", ".join(
        [
            _count(len(found.state_directories), "state directory", "state directories"),
            f"{_count(len(found.lock_files), 'lock file')} "
            f"({_count(sum(len(p.types) for p in found.providers), 'provider')})",
            f"{_count(len(found.aqua_configs), 'aqua config')} "
            f"({_count(found.aqua_packages, 'package')})",
            _count(len(found.workflows), "workflow file"),
        ]
    )
    lines = [
        "# depguard.yaml: the trust policy of this repository, proposed by `depguard init` from",
        "# what the repository uses. It is a starting point: check every line marked 'review',",
        "# then run `depguard verify`. Keys left out take depguard's defaults; depguard's",
        "# manifests/policy/default.yaml lists them all and manifests/schema/depguard.schema.json",
        "# describes every key for editors.",
        "#",
        *_comment(f"Found: {summary}."),
    ]
    if found.problems:
        lines += [
            "#",
            "# review: these files could not be used (fix them and run `depguard init` again):",
        ]
        for problem in found.problems:
            lines += _comment(problem, bullet=True)
    if found.notes:
        lines += ["#", "# Notes:"]
        for note in found.notes:
            lines += _comment(note, bullet=True)
    return lines


def _platforms(found: Discovery) -> list[str]:
    lines = ["", "# Platforms every lock file must cover (`depguard lock` hashes each of them)."]
    if found.platform_flags:
        files = sorted({f for _, fs in found.platform_flags for f in fs})
        lines += _comment(
            f"From -platform= flags in {_listing(files)}: the platforms locked today."
        )
        platforms: Sequence[str] = [p for p, _ in found.platform_flags]
    else:
        platforms = _DEFAULT_PLATFORMS
        lines.append("# depguard's defaults: no -platform= flag names the platforms locked today.")
    if found.h1_per_provider:
        low, high = min(found.h1_per_provider), max(found.h1_per_provider)
        spread = str(low) if low == high else f"{low} to {high}"
        lines += _comment(
            f"The lock files hold {spread} h1: {'hash' if high == 1 else 'hashes'} per provider, "
            "one per platform Terraform hashed; the hashes do not say which platforms those are."
        )
    for config, envs in found.aqua_supported_envs:
        shown = "all" if envs is None else ", ".join(envs)
        lines += _comment(
            f"aqua-checksums.json of {config} follows its checksum.supported_envs ({shown}), "
            "not this list."
        )
    lines.append(f"platforms: {_flow(platforms)}")
    return lines


def _terraform_section(found: Discovery) -> list[str]:
    lines = ["  terraform:"]
    if not found.providers:
        lines += [
            "    # No provider found in lock files or required_providers: the default",
            '    # ["registry.terraform.io/hashicorp/*"] applies.',
        ]
        return lines
    lines += [
        "    # The providers in use (lock files, required_providers), one pattern per namespace.",
        "    # Providers signed by HashiCorp's official or partner keys are allowed besides these.",
        "    providers:",
    ]
    others: list[str] = []
    for ns in found.providers:
        types = _listing(ns.types)
        if ns.hashicorp:
            lines += _comment(types, f"      - {_q(ns.pattern)}  ")
        else:
            others.append(ns.pattern)
            lines += _comment(
                f"review: add signing_keys fingerprints ({types})", f"      - {_q(ns.pattern)}  "
            )
    if others:
        lines += [
            "    # review: pin the key that signs each provider flagged above (unless HashiCorp's",
            "    # partner key signs it): `depguard verify` names the fingerprint to pin in its",
            "    # provider-signature-invalid finding.",
            "    # signing_keys:",
            '    #   - fingerprint: "<40 hex digits>"',
        ]
        lines.append(f"    #     providers: {_flow(others)}")
    return lines


def _registry_lines(reg: AquaRegistryGuess) -> list[str]:
    """One ``registries`` entry: a flow mapping, or a block one when that is too long."""
    fields = [f"type: {_q(reg.type)}"]
    for key, value in (
        ("repo_owner", reg.repo_owner),
        ("repo_name", reg.repo_name),
        ("path", reg.path),
        ("ref", reg.ref_constraint),
    ):
        if value is not None:
            fields.append(f"{key}: {_q(value)}")
    flow = "      - {" + ", ".join(fields) + "}"
    if len(flow) <= _WIDTH:
        return [flow]
    return [f"      - {fields[0]}", *(f"        {f}" for f in fields[1:])]


def _aqua_section(found: Discovery) -> list[str]:
    if not found.aqua_configs:
        if found.aqua_policy_file is None:
            return ["  # No aqua config found: trust.aqua keeps its defaults."]
        return [
            "  aqua:",
            "    # No aqua config found: registries and github_owners keep their defaults.",
            *_policy_file_lines(found.aqua_policy_file),
        ]
    lines = ["  aqua:"]
    lines += _comment(
        f"Registries the aqua configs declare ({_listing(found.aqua_configs)}); a ref allows "
        "the tag in use and newer tags (branches never match).",
        "    ",
    )
    lines.append("    registries:")
    for reg in found.aqua_registries:
        if reg.problem is not None:
            lines += _comment(f"review: {reg.problem}", "      ")
        elif reg.ref is not None:
            lines += _comment(f"in use: {reg.ref}", "      ")
        lines += _registry_lines(reg)
    if not found.aqua_registries:
        lines[-1] = "    registries: []  # review: the aqua configs declare no registry"
    lines += [
        "    # Owners of the aqua packages in use (from the package names); only their packages",
        "    # may be installed. A registry entry naming another repo_owner is reported by",
        "    # `depguard verify` (aqua-not-allowed): add that owner here if you trust it.",
        f"    github_owners: {_flow(found.aqua_owners)}",
    ]
    if found.aqua_policy_file is not None:
        lines += _policy_file_lines(found.aqua_policy_file)
    return lines


def _policy_file_lines(name: str) -> list[str]:
    return [
        *_comment(
            f"{name} at the repository root: aqua's own policy, honoured too (both must allow "
            "a package); listed so that it applies wherever depguard runs.",
            "    ",
        ),
        f"    policy_files: {_flow([name])}",
    ]


def _actions_section(found: Discovery) -> list[str]:
    if not found.workflows:
        return ["  # No GitHub Actions workflow found: trust.actions keeps its defaults."]
    lines = ["  actions:"]
    lines += _comment(
        f"Owners of the actions and reusable workflows used in {_listing(found.workflows)} "
        f"({_count(found.uses_total, 'uses: reference')}).",
        "    ",
    )
    lines.append(f"    owners: {_flow(found.action_owners)}")
    if found.uses_unpinned:
        lines.append(
            f"    # {found.uses_unpinned} of {found.uses_total} uses: are not pinned to a full "
            "commit SHA: action-not-pinned reports them."
        )
    else:
        lines.append("    # Every uses: is pinned to a full commit SHA; keep it that way.")
    lines.append("    require_sha: true")
    return lines


def _rollout_section(stages: Sequence[StageGuess], unmatched: Sequence[str]) -> list[str]:
    lines = ["", "rollout:"]
    if not stages:
        lines += [
            "  # No state directory name looks like a stage (dev, stg, prod, ...): add stages to",
            "  # use `depguard rollout`, for example",
            '  #   - {name: dev, match: ["envs/dev/**"], soak: 2d}',
            "  stages: []",
        ]
        if unmatched:
            lines += _comment(f"State directories: {_listing(unmatched)}.", "  ")
        return lines
    lines += [
        "  # Stages in rollout order. Each soak is a suggestion: how long a version runs in the",
        "  # stage before the next stage may take it.",
        "  stages:",
    ]
    for stage in stages:
        lines += _comment(
            f"guessed from directory names: review ({_listing(stage.directories)})", "    "
        )
        lines += [
            f"    - name: {_q(stage.name)}",
            f"      match: {_flow(stage.match)}",
            f"      soak: {_SOAK[stage.name]}",
        ]
        if stage.name == "prod":
            lines.append("      # approval: true  # each prod wave waits for a person")
    if unmatched:
        lines += _comment(
            f"review: {_count(len(unmatched), 'state directory', 'state directories')} "
            f"{'matches' if len(unmatched) == 1 else 'match'} no guess "
            f"({_listing(unmatched)}): they go into the last stage.",
            "  ",
        )
        lines.append("  unmatched: last")
    else:
        lines += ["  # Every state directory matches a stage.", "  unmatched: error"]
    return lines


def propose(root: Path) -> tuple[str, Discovery]:
    """Discover ``root`` and return (the policy text, what was found).

    The text is parsed with the config loader before it is returned; raises
    :class:`InputError` when ``root`` cannot be listed, and ``RuntimeError`` if the text does
    not load (a bug in this module, never the repository's fault).
    """
    from depguard.config import parse_config
    from depguard.errors import ConfigError

    found = discover(root)
    text = render(found)
    try:
        parse_config(text, "depguard.yaml (proposed)")
    except ConfigError as e:
        raise RuntimeError(f"depguard init wrote a policy that does not load: {e}") from e
    return text, found
