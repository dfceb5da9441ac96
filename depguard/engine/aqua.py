"""aqua configurations: discover, resolve every package to its artifacts, judge, update.

Flow (DESIGN.md §3): find aqua configs under the PATHs → parse them, their imports, their
``aqua-checksums.json`` and the repository's ``aqua-policy.yaml`` → load each registry once
(``github_content`` at its ref through the fetcher, ``local`` from disk) → resolve each package
for the platforms aqua's ``update-checksum`` would cover → fetch and authenticate the upstream
checksum of each distinct artifact once → findings per config. ``checksums update`` reuses the
same plan and writes what aqua would write, but only checksums that upstream vouches for.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from depguard.engine.paths import common_root, display_path, repository_root
from depguard.errors import DepguardError, InputError
from depguard.model import Checked, Finding, Report, Skip
from depguard.rules import (
    aqua_checksum_disabled,
    aqua_checksum_mismatch,
    aqua_checksum_missing,
    aqua_not_allowed,
    aqua_registry_unpinned,
    aqua_signature_invalid,
    invalid_manifest,
)

if TYPE_CHECKING:
    from depguard.aqua.platform import AquaPlatform, GitHubUrls
    from depguard.aqua.resolve import Artifact
    from depguard.config import Config
    from depguard.engine.aqua_upstream import AquaUpstream, ArtifactTruth
    from depguard.formats.aqua_checksums import ChecksumFile
    from depguard.formats.aqua_config import AquaConfig, AquaPackageRef, AquaRegistryRef
    from depguard.formats.aqua_policy import Policy
    from depguard.formats.aqua_registry import LazyRegistry, PackageDef, Registry

log = logging.getLogger(__name__)

_SKIP_DIRS = frozenset({".git", ".terraform", "node_modules", ".venv", "__pycache__"})
_CONFIG_NAME = re.compile(r"\.?aqua\.ya?ml")
# A tag (`v1.2.3`, `4.5.6-rc.1`, `v1+build`) or a commit SHA. The same language as
# `v?\d+(\.\d+)*([.+-][0-9A-Za-z.+-]*)?` without the overlap between its two optional
# parts, which made a long `1.1.1…` ref quadratic.
_PINNED_REF = re.compile(r"v?\d+(?:[.+-][0-9A-Za-z.+-]*)?|[0-9a-f]{40}")
_RULE_OF_FAILURE = {
    "aqua-signature-invalid": aqua_signature_invalid.META,
    "aqua-checksum-mismatch": aqua_checksum_mismatch.META,
}


# -- reading ---------------------------------------------------------------------------------


@dataclass(slots=True)
class AquaState:
    """One aqua config with its checksum file; parse problems collected, never raised."""

    path: Path
    display: str
    root: Path
    config: AquaConfig | None = None
    checksums: ChecksumFile | None = None
    checksums_path: Path | None = None
    checksums_display: str = ""
    policies: list[Policy] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def is_aqua_config(path: Path) -> bool:
    """``\\.?aqua\\.ya?ml`` anywhere, or the same name inside an ``aqua``/``.aqua`` directory."""
    return bool(_CONFIG_NAME.fullmatch(path.name))


def _owner_directory(config: Path) -> Path:
    """The directory an aqua config belongs to (``x/aqua/aqua.yaml`` → ``x``): its shard key."""
    parent = config.parent
    return parent.parent if parent.name in ("aqua", ".aqua") else parent


def find_aqua_configs(paths: Sequence[Path], *, explicit: bool = False) -> list[Path]:
    """Every aqua config under ``paths``. A file given directly is taken when it is named like
    an aqua config, or always with ``explicit`` (aqua's ``-c FILE`` accepts any name)."""
    found: set[Path] = set()
    for top in paths:
        top = top.resolve()
        if top.is_file():
            if explicit or is_aqua_config(top):
                found.add(top)
            continue
        if not top.is_dir():
            continue
        stack = [top]
        while stack:
            here = stack.pop()
            try:
                entries = list(here.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir():
                    if entry.name not in _SKIP_DIRS and not entry.is_symlink():
                        stack.append(entry)
                elif is_aqua_config(entry) and _is_main_config(entry):
                    found.add(entry)
    return sorted(found)


def _is_main_config(path: Path) -> bool:
    """Imported files are named freely (``aqua/imports/x.yaml``); configs are named aqua.yaml
    at a directory or inside ``aqua``/``.aqua`` — both match; an ``imports`` dir never does."""
    return path.parent.name != "imports"


def read_aqua_states(
    paths: Sequence[Path],
    root: Path | None = None,
    *,
    policy_files: Sequence[Path] = (),
    explicit: bool = False,
) -> tuple[Path, list[AquaState]]:
    """Discover and read every aqua config under ``paths``; return (repo root, states)."""
    from depguard.formats.aqua_checksums import parse_checksums
    from depguard.formats.aqua_config import load_config
    from depguard.util.text import decode_utf8

    root = root if root is not None else common_root(paths)
    policies = _read_policies(root, policy_files)
    states: list[AquaState] = []
    from depguard.engine.shard import selected

    for path in find_aqua_configs(paths, explicit=explicit):
        if not selected(display_path(_owner_directory(path), root)):
            continue  # --shard: another shard's
        state = AquaState(path=path, display=display_path(path, root), root=root)
        states.append(state)
        state.policies = policies[0]
        state.errors.extend(policies[1])
        try:
            state.config = load_config(path, repo_root=root)
        except InputError as e:
            state.errors.append(_relative(e, root))
            continue
        state.checksums_path = state.config.checksums_path()
        state.checksums_display = display_path(state.checksums_path, root)
        try:
            raw = state.checksums_path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as e:
            state.errors.append(InputError(state.checksums_display, f"cannot read: {e.strerror}"))
            continue
        try:
            state.checksums = parse_checksums(
                decode_utf8(raw, state.checksums_display), state.checksums_display
            )
        except InputError as e:
            state.errors.append(e)
    return root, states


def _relative(e: InputError, root: Path) -> InputError:
    """Re-anchor an error's path at the repository root for display."""
    p = Path(e.path)
    if not p.is_absolute():
        return e
    return InputError(display_path(p, root), e.reason, line=e.line, hint=e.hint)


def _read_policies(root: Path, extra: Sequence[Path] = ()) -> tuple[list[Policy], list[InputError]]:
    """aqua policy files: the Git root's (aqua's discovery), ``AQUA_POLICY_CONFIG`` and
    ``trust.aqua.policy_files`` — any of them allowing a package allows it, as in aqua."""
    import os

    from depguard.formats.aqua_policy import find_policy_files, load_policy

    policies: list[Policy] = []
    errors: list[InputError] = []
    env = [Path(p) for p in os.environ.get("AQUA_POLICY_CONFIG", "").split(os.pathsep) if p]
    files = list(dict.fromkeys([*find_policy_files(root), *env, *extra]))
    for path in files:
        shown = display_path(path, root)
        try:
            policies.append(load_policy(path.resolve(), shown))
        except InputError as e:
            errors.append(_relative(e, root))
        except OSError as e:
            errors.append(InputError(shown, f"cannot read: {e.strerror}"))
    return policies, errors


# -- planning --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedRegistry:
    """A registry's parsed content, or why it is not available."""

    registry: Registry | LazyRegistry | None = None
    digests: dict[str, str] = field(default_factory=dict)  # algorithm -> hex of the bytes
    unavailable: str | None = None
    error: InputError | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedPackage:
    """One package of one config, resolved for the platforms aqua would checksum."""

    state: AquaState
    ref: AquaPackageRef
    registry: AquaRegistryRef | None
    definition: PackageDef | None
    artifacts: tuple[Artifact, ...] = ()
    findings: tuple[Finding, ...] = ()
    skip: str | None = None

    @property
    def subject(self) -> str:
        return f"{self.ref.name} {self.ref.version}"


@dataclass(slots=True)
class AquaPlan:
    root: Path
    states: list[AquaState]
    registries: dict[str, LoadedRegistry]
    packages: list[PlannedPackage]
    findings: list[Finding] = field(default_factory=list)
    checked: list[Checked] = field(default_factory=list)  # registries matching their entry

    def artifacts(self) -> list[Artifact]:
        """Distinct artifacts with a checksum id (same id *and* same declared evidence), in a
        stable order."""
        seen: dict[str, Artifact] = {}
        for p in self.packages:
            for a in p.artifacts:
                if a.supported and a.checksum_id is not None:
                    seen.setdefault(truth_key(a), a)
        return [seen[k] for k in sorted(seen)]


def truth_key(a: Artifact) -> str:
    """What upstream truth is memoised by: the checksum id plus everything the registry
    declares about where the checksum comes from and which signatures vouch for it. Two
    configs (or registries) that give one asset different evidence are judged separately."""
    return repr(
        (a.checksum_id, a.url, a.asset, a.checksum_file, a.cosign, a.slsa, a.minisign,
         a.attestations)
    )  # fmt: skip


def registry_key(reg: AquaRegistryRef) -> str:
    if reg.type == "local":
        return f"local:{reg.path}"
    return f"github_content:{reg.repo_owner}/{reg.repo_name}@{reg.ref}:{reg.path}"


def _load_registries(
    states: Sequence[AquaState], upstream: AquaUpstream, root: Path
) -> dict[str, LoadedRegistry]:
    from depguard.formats.aqua_registry import parse_registry_lazily
    from depguard.util.text import decode_utf8

    wanted: dict[str, AquaRegistryRef] = {}
    for state in states:
        if state.config is None:
            continue
        used = {p.registry for p in state.config.packages}
        for name, reg in state.config.registries.items():
            if name in used:
                wanted.setdefault(registry_key(reg), reg)

    def load(item: tuple[str, AquaRegistryRef]) -> tuple[str, LoadedRegistry]:
        key, reg = item
        if reg.type == "local":
            shown = display_path(Path(reg.path), root)
            try:
                data = Path(reg.path).read_bytes()
            except OSError as e:
                return key, LoadedRegistry(
                    error=InputError(
                        reg.file,
                        f"local registry {shown}: cannot read ({e.strerror})",
                        line=reg.line,
                    )
                )
        else:
            shown = f"{reg.repo_owner}/{reg.repo_name}@{reg.ref}:{reg.path}"
            try:
                data = upstream.registry_bytes(reg)
            except DepguardError as e:
                return key, LoadedRegistry(unavailable=f"registry {shown}: {e.message}")
        digests = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "sha512": hashlib.sha512(data).hexdigest(),
            "sha1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
            "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        }
        try:
            registry = parse_registry_lazily(decode_utf8(data, shown), shown)
        except InputError as e:
            return key, LoadedRegistry(error=e, digests=digests)
        return key, LoadedRegistry(registry=registry, digests=digests)

    return dict(upstream.map_parallel(load, sorted(wanted.items())))


def plan(
    paths: Sequence[Path],
    *,
    config: Config,
    upstream: AquaUpstream,
    root: Path | None = None,
    platforms_override: Sequence[AquaPlatform] | None = None,
) -> AquaPlan:
    """Read, load registries and resolve every package (no artifact is fetched yet)."""
    root, states = read_aqua_states(paths, root, policy_files=config.trust.aqua.policy_files)
    registries = _load_registries(states, upstream, root)
    plan_ = AquaPlan(root=root, states=states, registries=registries, packages=[])
    reported: set[str] = set()
    for state in states:
        plan_.findings.extend(invalid_manifest.from_error(e) for e in state.errors)
        if state.config is None:
            continue
        plan_.findings.extend(_config_findings(state, registries, config, plan_.checked))
        for ref in state.config.packages:
            plan_.packages.append(
                _plan_package(state, ref, registries, config, reported, platforms_override)
            )
    for p in plan_.packages:
        plan_.findings.extend(p.findings)
    return plan_


def _config_findings(
    state: AquaState,
    registries: dict[str, LoadedRegistry],
    config: Config,
    checks: list[Checked],
) -> Iterable[Finding]:
    """Checksum settings, registry pins and registry checksums of one config (registries
    whose content matches their entry are appended to ``checks``)."""
    cfg = state.config
    assert cfg is not None
    cs = cfg.checksum
    if not cs.enabled:
        yield aqua_checksum_disabled.META.finding(
            message=f"{state.display}: checksum verification is off (`checksum.enabled` is not "
            "true), so aqua installs whatever it downloads",
            path=state.display,
            line=cs.line,
            subject=f"{state.display} checksum.enabled",
        )
    elif not cs.require_checksum:
        yield aqua_checksum_disabled.META.finding(
            message=f"{state.display}: `checksum.require_checksum` is off, so aqua trusts a "
            "missing entry on first use",
            path=state.display,
            line=cs.line,
            subject=f"{state.display} checksum.require_checksum",
        )
    used = {p.registry for p in cfg.packages}
    for name, reg in sorted(cfg.registries.items()):
        if name not in used or reg.type == "local":
            continue
        shown = f"{reg.repo_owner}/{reg.repo_name}@{reg.ref}"
        if reg.ref is None or not _PINNED_REF.fullmatch(reg.ref):
            yield aqua_registry_unpinned.META.finding(
                message=f"registry {name!r} ({shown}) uses ref {reg.ref!r}, which is not a tag "
                "or a commit SHA: a branch can change under the pin",
                path=_display_file(reg.file, state),
                line=reg.line,
                subject=f"{state.display} registry {name}",
            )
        cid = reg.checksum_id
        entry = state.checksums.get(cid) if state.checksums is not None and cid else None
        loaded = registries.get(registry_key(reg))
        if entry is None:
            yield aqua_registry_unpinned.META.finding(
                message=f"registry {name!r} ({shown}) has no entry in "
                f"{state.checksums_display or 'aqua-checksums.json'}: its content is trusted "
                "on first use; run `depguard checksums update --allow-tofu` to pin it",
                path=_display_file(reg.file, state),
                line=reg.line,
                subject=f"{state.display} registry {name} checksum",
            )
        elif loaded is not None and loaded.digests:
            want = entry.checksum.lower()
            got = loaded.digests.get(entry.algorithm)
            if got is not None and got != want:
                yield aqua_checksum_mismatch.META.finding(
                    message=f"registry {name!r} ({shown}): {entry.algorithm} of its content "
                    f"is {got}, but {state.checksums_display} pins {want}",
                    path=state.checksums_display,
                    line=state.checksums.line_of(cid) if state.checksums and cid else None,
                    subject=f"{cid}",
                )
            elif got is not None:
                checks.append(
                    Checked(
                        subject=f"registry {name} ({shown})",
                        evidence=(f"aqua-checksums:{entry.algorithm}",),
                        path=state.checksums_display,
                    )
                )


def _display_file(file: str, state: AquaState) -> str:
    """A file named by the config loader (absolute) as shown in findings."""
    p = Path(file)
    return display_path(p, state.root) if p.is_absolute() else file


def _policy_reason(
    state: AquaState,
    ref: AquaPackageRef,
    reg: AquaRegistryRef,
    definition: PackageDef | None,
    config: Config,
) -> str | None:
    """Why a package is not allowed (aqua-policy.yaml semantics, then depguard's policy)."""
    from depguard.formats.aqua_policy import check_package

    prefix = definition.raw.get("version_prefix") if definition is not None else None
    reason = check_package(
        state.policies,
        name=ref.name,
        version=ref.version,
        registry=reg,
        version_prefix=prefix if isinstance(prefix, str) else "",
    )
    if reason is not None:
        return reason
    trust = config.trust.aqua
    if not any(_registry_allowed(a, reg, state.root) for a in trust.registries):
        return (
            f"{ref.name}@{ref.version}: registry {reg.name!r} ({_reg_text(reg)}) is not in "
            "`trust.aqua.registries` of depguard.yaml"
        )
    if trust.github_owners is not None and definition is not None:
        owner = str(definition.raw.get("repo_owner") or ref.name.split("/", 1)[0])
        if owner.lower() not in {o.lower() for o in trust.github_owners}:
            return (
                f"{ref.name}@{ref.version}: owner {owner!r} is not in "
                "`trust.aqua.github_owners` of depguard.yaml"
            )
    return None


def _reg_text(reg: AquaRegistryRef) -> str:
    if reg.type == "local":
        return f"local {reg.path}"
    return f"{reg.repo_owner}/{reg.repo_name}@{reg.ref}:{reg.path}"


def _registry_allowed(allowed: object, reg: AquaRegistryRef, root: Path) -> bool:
    """Whether ``reg`` matches one ``trust.aqua.registries`` entry (by fields, like aqua;
    a local registry's ``path`` is relative to the repository root)."""
    from depguard.aqua.expr import constraint_true

    a_type = getattr(allowed, "type", None)
    a_ref = getattr(allowed, "ref", None)
    if a_type == "local":
        want = Path(str(getattr(allowed, "path", ""))).as_posix().removeprefix("./")
        return reg.type == "local" and display_path(Path(reg.path), root) == want
    if reg.type != "github_content":
        return False
    if a_type == "standard":
        if not reg.is_standard:
            return False
    elif (
        getattr(allowed, "repo_owner", None) != reg.repo_owner
        or getattr(allowed, "repo_name", None) != reg.repo_name
        or getattr(allowed, "path", None) != reg.path
    ):
        return False
    if a_ref is None:
        return True
    return constraint_true(
        f"semver({_quote(a_ref)})", reg.ref or "", where="depguard.yaml trust.aqua.registries"
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plan_package(
    state: AquaState,
    ref: AquaPackageRef,
    registries: dict[str, LoadedRegistry],
    config: Config,
    reported: set[str],
    platforms_override: Sequence[AquaPlatform] | None,
) -> PlannedPackage:
    from depguard.aqua.resolve import checksum_platforms, resolve

    cfg = state.config
    assert cfg is not None
    where = _display_file(ref.file, state)
    if not ref.version:
        return PlannedPackage(
            state=state,
            ref=ref,
            registry=None,
            definition=None,
            skip="the version comes from version_expr or go_version_file, which depguard "
            "does not evaluate (they read files at install time)",
        )
    reg = cfg.registries.get(ref.registry)
    if reg is None:
        err = InputError(
            where, f"package {ref.name}: unknown registry {ref.registry!r}", line=ref.line
        )
        return PlannedPackage(
            state=state,
            ref=ref,
            registry=None,
            definition=None,
            findings=(invalid_manifest.from_error(err),),
        )
    loaded = registries.get(registry_key(reg))
    if loaded is None or loaded.registry is None:
        findings: tuple[Finding, ...] = ()
        if loaded is not None and loaded.error is not None:
            key = registry_key(reg)
            if key not in reported:
                reported.add(key)
                findings = (invalid_manifest.from_error(loaded.error),)
        reason = (loaded.unavailable if loaded is not None else None) or "registry not loaded"
        return PlannedPackage(
            state=state,
            ref=ref,
            registry=reg,
            definition=None,
            findings=findings,
            skip=reason if loaded is None or loaded.error is None else "registry cannot be parsed",
        )
    definition = loaded.registry.lookup(ref.name)
    if definition is None:
        err = InputError(
            where,
            f"package {ref.name} is not defined in registry {ref.registry!r} ({_reg_text(reg)})",
            line=ref.line,
        )
        return PlannedPackage(
            state=state,
            ref=ref,
            registry=reg,
            definition=None,
            findings=(invalid_manifest.from_error(err),),
        )
    findings_l: list[Finding] = []
    policy_reason = _policy_reason(state, ref, reg, definition, config)
    if policy_reason is not None:
        findings_l.append(
            aqua_not_allowed.META.finding(
                message=policy_reason,
                path=where,
                line=ref.line,
                subject=f"{ref.name} {ref.version}",
            )
        )
    gh = upstream_urls(config)
    try:
        if platforms_override is not None:
            platforms = list(platforms_override)
        else:
            platforms = checksum_platforms(
                definition,
                ref.version,
                cfg.checksum.supported_envs if cfg.checksum.enabled else None,
            )
        artifacts = tuple(
            resolve(definition, ref.version, p, github=gh, vars=ref.vars) for p in platforms
        )
    except InputError as e:
        findings_l.append(invalid_manifest.from_error(e))
        return PlannedPackage(
            state=state, ref=ref, registry=reg, definition=definition, findings=tuple(findings_l)
        )
    return PlannedPackage(
        state=state,
        ref=ref,
        registry=reg,
        definition=definition,
        artifacts=artifacts,
        findings=tuple(findings_l),
    )


def upstream_urls(config: Config) -> GitHubUrls:
    from depguard.aqua.platform import GitHubUrls

    return GitHubUrls(
        url=config.github.url, api_url=config.github.api_url, raw_url=config.github.raw_url
    )


# -- judging ---------------------------------------------------------------------------------


def gather_truths(
    plan_: AquaPlan,
    upstream: AquaUpstream,
    *,
    download: bool | Callable[[Artifact], bool],
    allow_tofu: bool,
    wanted: Callable[[Artifact], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, ArtifactTruth]:
    """Upstream truth per :func:`truth_key`, fetched in parallel, once per artifact.

    ``download`` may be decided per artifact. One task per distinct upstream file: artifacts
    that share a checksum file (or, when the asset itself is downloaded, an asset URL) run in
    the same task, so no worker waits on another's download while other files queue.
    """
    from depguard.engine.aqua_upstream import spec_key

    artifacts = [a for a in plan_.artifacts() if wanted is None or wanted(a)]
    if progress is not None:
        progress(f"aqua: {len(artifacts)} artifacts")
    groups: dict[str, list[tuple[Artifact, bool]]] = {}
    for a in artifacts:
        deep = download(a) if callable(download) else download
        key = (
            spec_key(a.checksum_file)
            if not deep and a.checksum_file is not None
            else a.url or truth_key(a)
        )
        groups.setdefault(key, []).append((a, deep))

    def one(group: list[tuple[Artifact, bool]]) -> list[tuple[str, ArtifactTruth]]:
        return [
            (truth_key(a), upstream.truth(a, download=deep, allow_tofu=allow_tofu))
            for a, deep in group
        ]

    parts = upstream.map_parallel(one, list(groups.values()))
    return {k: v for part in parts for k, v in part}


def judge(
    plan_: AquaPlan, truths: dict[str, ArtifactTruth]
) -> tuple[list[Finding], list[Skip], list[Checked]]:
    """Compare every config's checksum entries with upstream truth (pure)."""
    findings: list[Finding] = list(plan_.findings)
    skipped: list[Skip] = []
    checked: list[Checked] = list(plan_.checked)
    for p in plan_.packages:
        if p.skip is not None:
            skipped.append(Skip(subject=p.subject, reason=p.skip, path=p.state.display))
            continue
        cfg = p.state.config
        assert cfg is not None
        enabled = cfg.checksum.enabled
        for a in p.artifacts:
            subject = f"{p.ref.name} {p.ref.version} {a.platform}"
            if not a.supported:
                continue
            if a.checksum_id is None:
                skipped.append(
                    Skip(
                        subject=subject,
                        reason=a.reason or "not checksummed by aqua",
                        path=p.state.display,
                    )
                )
                continue
            truth = truths.get(truth_key(a))
            entry = p.state.checksums.get(a.checksum_id) if p.state.checksums is not None else None
            line = (
                p.state.checksums.line_of(a.checksum_id)
                if entry is not None and p.state.checksums
                else None
            )
            if truth is not None and truth.failure is not None:
                rule_id, message = truth.failure
                findings.append(
                    _RULE_OF_FAILURE[rule_id].finding(
                        message=f"{p.ref.name}@{p.ref.version} ({a.platform}): {message}",
                        path=_display_file(p.ref.file, p.state),
                        line=p.ref.line,
                        subject=subject,
                    )
                )
                continue
            if entry is None:
                if enabled:
                    findings.append(
                        aqua_checksum_missing.META.finding(
                            message=f"{p.state.checksums_display or 'aqua-checksums.json'} has no "
                            f"entry for {a.checksum_id}; run `depguard checksums update`",
                            path=p.state.checksums_display or p.state.display,
                            subject=subject,
                        )
                    )
                continue
            if truth is None or truth.unavailable is not None:
                reason = truth.unavailable if truth is not None else "not checked"
                skipped.append(
                    Skip(subject=subject, reason=reason or "", path=p.state.checksums_display)
                )
                continue
            assert truth.checksum is not None
            if entry.algorithm != truth.algorithm:
                findings.append(
                    aqua_checksum_mismatch.META.finding(
                        message=f"{a.checksum_id}: the entry is {entry.algorithm}, but the "
                        f"registry declares {truth.algorithm}",
                        path=p.state.checksums_display,
                        line=line,
                        subject=subject,
                    )
                )
                continue
            if entry.checksum.lower() != truth.checksum.lower():
                findings.append(
                    aqua_checksum_mismatch.META.finding(
                        message=f"{a.checksum_id}: the entry is {entry.checksum.upper()}, but "
                        f"upstream ({', '.join(truth.evidence)}) says {truth.checksum.upper()}",
                        path=p.state.checksums_display,
                        line=line,
                        subject=subject,
                    )
                )
                continue
            checked.append(
                Checked(subject=subject, evidence=truth.evidence, path=p.state.checksums_display)
            )
    return findings, skipped, checked


def run_aqua_verify(
    paths: Sequence[Path],
    *,
    config: Config,
    upstream: AquaUpstream,
    deep: bool = False,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The aqua half of ``depguard verify``."""
    plan_ = plan(paths, config=config, upstream=upstream, root=root)
    wanted_keys = {
        truth_key(a)
        for p in plan_.packages
        for a in p.artifacts
        if a.checksum_id is not None
        and p.state.checksums is not None
        and p.state.checksums.get(a.checksum_id) is not None
    }
    truths = gather_truths(
        plan_,
        upstream,
        download=deep,
        allow_tofu=True,
        wanted=lambda a: truth_key(a) in wanted_keys,
        progress=progress,
    )
    findings, skipped, checked = judge(plan_, truths)
    deferred = sorted({k for t in truths.values() for k in t.deferred})
    notes: tuple[str, ...] = ()
    n = sum(1 for t in truths.values() if t.deferred and t.checksum is not None)
    if n:
        notes = (
            f"{n} aqua {'artifact declares' if n == 1 else 'artifacts declare'} signatures over "
            f"the asset itself ({', '.join(deferred)}); without --deep their entries were "
            "checked against the checksum file or GitHub's release digest only: run with "
            "--deep to download the assets and verify the signatures",
        )
    from depguard.engine.verify import apply_policy

    return Report(
        command="verify",
        findings=tuple(apply_policy(findings, config)),
        skipped=tuple(skipped),
        checked=tuple(checked),
        notes=notes,
    )


# -- checksums update ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksumChange:
    path: str
    id: str
    old: str | None
    new: str | None  # None: pruned
    trust: str = ""
    evidence: tuple[str, ...] = ()


@dataclass(slots=True)
class UpdateResult:
    report: Report
    changes: list[ChecksumChange]
    written: list[str]


def run_checksums_update(
    paths: Sequence[Path],
    *,
    config: Config,
    upstream: AquaUpstream,
    check: bool = False,
    prune: bool = False,
    allow_tofu: bool = False,
    corroborate: bool = False,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> UpdateResult:
    """``depguard checksums update``: add what aqua ``update-checksum`` would add, verified.

    Existing entries are kept as they are (like aqua); ``verify`` judges them. A file is
    written only when every entry it needs could be established, so a failed run never
    leaves a half-updated file.
    """
    from depguard.formats.aqua_checksums import empty_checksums
    from depguard.util.atomic import write_atomic

    plan_ = plan(paths, config=config, upstream=upstream, root=root)
    missing: set[str] = set()
    for p in plan_.packages:
        cs = p.state.checksums
        for a in p.artifacts:
            if (
                a.supported
                and a.checksum_id is not None
                and (cs is None or cs.get(a.checksum_id) is None)
            ):
                missing.add(truth_key(a))
    truths = gather_truths(
        plan_,
        upstream,
        download=_needs_download,
        allow_tofu=allow_tofu,
        wanted=lambda a: truth_key(a) in missing,
        progress=progress,
    )
    if corroborate:
        truths.update(_corroborated(plan_, upstream, truths))
    # A registry whose content contradicts its entry decides nothing: keep those findings.
    findings: list[Finding] = [
        f
        for f in plan_.findings
        if f.rule in ("invalid-manifest", "aqua-not-allowed", "aqua-checksum-mismatch")
    ]
    skipped: list[Skip] = []
    checked: list[Checked] = []
    changes: list[ChecksumChange] = []
    written: list[str] = []
    notes: list[str] = []
    by_state: dict[int, list[PlannedPackage]] = {}
    for p in plan_.packages:
        by_state.setdefault(id(p.state), []).append(p)
    for state in plan_.states:
        if state.config is None or state.checksums_path is None:
            continue
        if not state.config.checksum.enabled and state.checksums is None:
            continue  # aqua writes no checksum file when checksums are off
        shown = state.checksums_display
        if state.errors:
            # An unreadable config part or checksum file: never rewrite it from scratch.
            notes.append(f"{shown}: not written, because {state.display} has parse errors")
            continue
        cs = state.checksums if state.checksums is not None else empty_checksums(shown)
        touched: set[str] = set()
        complete = True
        for reg_name, reg in sorted(state.config.registries.items()):
            if reg.type == "local" or reg_name not in {p.registry for p in state.config.packages}:
                continue
            cid = reg.checksum_id
            if cid is None:
                continue
            touched.add(cid)
            loaded = plan_.registries.get(registry_key(reg))
            pinned = cs.get(cid)
            if pinned is not None:
                got = loaded.digests.get(pinned.algorithm) if loaded is not None else None
                if got is None or got != pinned.checksum.lower():
                    # unavailable (a skip) or contradicting its pin (a finding above): none of
                    # its packages' checksums can be trusted, so nothing is written
                    complete = False
                    if got is None:
                        skipped.append(
                            Skip(
                                subject=cid,
                                reason=(loaded.unavailable if loaded else None)
                                or "registry not loaded",
                                path=shown,
                            )
                        )
                continue
            if loaded is None or not loaded.digests:
                complete = False
                skipped.append(
                    Skip(
                        subject=cid,
                        reason=(loaded.unavailable if loaded else None) or "registry not loaded",
                        path=shown,
                    )
                )
                continue
            if not allow_tofu:
                complete = False
                skipped.append(
                    Skip(
                        subject=cid,
                        reason="a registry's content is vouched for by nothing but its ref: pass "
                        "--allow-tofu to pin what the ref serves now",
                        path=shown,
                    )
                )
                continue
            value = loaded.digests["sha256"].upper()
            changes.append(
                ChecksumChange(
                    path=shown, id=cid, old=None, new=value, trust="tofu", evidence=("tofu",)
                )
            )
            cs.set(cid, value, "sha256")
        for p in by_state.get(id(state), []):
            if p.skip is not None:
                complete = False
                skipped.append(Skip(subject=p.subject, reason=p.skip, path=shown))
                continue
            if any(f.rule == "invalid-manifest" for f in p.findings):
                complete = False  # its entries cannot be computed (see the finding)
                continue
            for a in p.artifacts:
                if not a.supported or a.checksum_id is None:
                    continue
                touched.add(a.checksum_id)
                if cs.get(a.checksum_id) is not None:
                    continue
                truth = truths.get(truth_key(a))
                subject = f"{p.ref.name} {p.ref.version} {a.platform}"
                if truth is None:
                    complete = False
                    skipped.append(Skip(subject=subject, reason="not checked", path=shown))
                    continue
                if truth.failure is not None:
                    complete = False
                    rule_id, message = truth.failure
                    findings.append(
                        _RULE_OF_FAILURE[rule_id].finding(
                            message=f"{p.ref.name}@{p.ref.version} ({a.platform}): {message}",
                            path=_display_file(p.ref.file, p.state),
                            line=p.ref.line,
                            subject=subject,
                        )
                    )
                    continue
                if truth.checksum is None:
                    complete = False
                    skipped.append(
                        Skip(subject=subject, reason=truth.unavailable or "", path=shown)
                    )
                    continue
                cs.set(a.checksum_id, truth.checksum.upper(), truth.algorithm)
                changes.append(
                    ChecksumChange(
                        path=shown,
                        id=a.checksum_id,
                        old=None,
                        new=truth.checksum.upper(),
                        trust=truth.trust or "",
                        evidence=truth.evidence,
                    )
                )
                checked.append(Checked(subject=subject, evidence=truth.evidence, path=shown))
        if prune:
            for removed in cs.prune(touched):
                changes.append(ChecksumChange(path=shown, id=removed, old="", new=None))
        state_changes = [c for c in changes if c.path == shown]
        if not state_changes:
            if complete:
                notes.append(f"{shown}: up to date ({len(touched)} entries in use)")
            continue
        missing_ids = [c.id for c in state_changes if c.new is not None]
        stale_ids = [c.id for c in state_changes if c.new is None]
        if check:
            findings.extend(
                aqua_checksum_missing.META.finding(
                    message=f"{shown} has no entry for {cid}; run `depguard checksums update`",
                    path=shown,
                    subject=cid,
                )
                for cid in missing_ids
            )
            if stale_ids:
                notes.append(f"{shown}: {len(stale_ids)} stale entries would be pruned")
            continue
        if not complete:
            notes.append(
                f"{shown}: not written, because some entries could not be established "
                "(see the skipped checks and findings)"
            )
            continue
        write_atomic(state.checksums_path, cs.dumps())
        written.append(shown)
    from depguard.engine.verify import apply_policy

    report = Report(
        command="checksums update",
        findings=tuple(apply_policy(findings, config)),
        skipped=tuple(skipped),
        checked=tuple(checked),
        notes=tuple(notes),
    )
    return UpdateResult(report=report, changes=changes, written=written)


def _corroborated(
    plan_: AquaPlan, upstream: AquaUpstream, truths: dict[str, ArtifactTruth]
) -> dict[str, ArtifactTruth]:
    """Cross-check established sha256 checksums with GitHub's release-asset digests: an
    agreeing digest is added as evidence (it never replaces a signed checksum); a disagreeing
    one makes the artifact a finding."""
    from depguard.engine.aqua_upstream import ArtifactTruth
    from depguard.errors import IntegrityError

    todo = [
        a
        for a in plan_.artifacts()
        if (t := truths.get(truth_key(a))) is not None
        and t.checksum is not None
        and t.algorithm == "sha256"
        and "release-digest" not in t.evidence
    ]

    def one(a: Artifact) -> tuple[str, ArtifactTruth]:
        truth = truths[truth_key(a)]
        assert truth.checksum is not None
        try:
            extra = upstream.corroborate(a, truth.checksum)
        except IntegrityError as e:
            return truth_key(a), ArtifactTruth(failure=("aqua-checksum-mismatch", e.message))
        if extra is None:
            return truth_key(a), truth
        return truth_key(a), replace(truth, evidence=(*truth.evidence, extra))

    return dict(upstream.map_parallel(one, todo))


def _needs_download(a: Artifact) -> bool:
    """Without a checksum file the asset itself must be fetched (and the signatures declared
    over it verified). With one, the checksum file (after its own signatures) is the truth,
    as in aqua; signatures over the asset are for `tools verify` and `verify --deep`."""
    return a.checksum_file is None


def merge_reports(*reports: Report) -> Report:
    """Concatenate the parts of reports of the same command."""
    first = reports[0]
    return replace(
        first,
        findings=tuple(f for r in reports for f in r.findings),
        skipped=tuple(s for r in reports for s in r.skipped),
        checked=tuple(c for r in reports for c in r.checked),
        notes=tuple(n for r in reports for n in r.notes),
    )


# -- tools verify ----------------------------------------------------------------------------


def nearest_aqua_config(start: Path) -> Path | None:
    """The nearest aqua config from ``start`` up (aqua's own search order per directory)."""
    here = start.resolve()
    for directory in (here, *here.parents):
        for name in ("aqua.yaml", "aqua.yml", ".aqua.yaml", ".aqua.yml"):
            for candidate in (
                directory / name,
                directory / "aqua" / name,
                directory / ".aqua" / name,
            ):
                if candidate.is_file():
                    return candidate
    return None


def verify_tool_file(
    file: Path,
    *,
    package: str,
    platform: AquaPlatform,
    aqua_config: Path | None,
    config: Config,
    upstream: AquaUpstream,
) -> Report:
    """``depguard tools verify``: judge one downloaded artifact of one package.

    The file must match its ``aqua-checksums.json`` entry and the upstream checksum file, and
    every signature the registry declares (over the checksum file and over the asset) must
    verify against it. Raises :class:`ConfigError` when the package or config cannot be found.
    """
    from depguard.errors import ConfigError
    from depguard.verify.intoto import Artifact as DataArtifact

    name, sep, version = package.partition("@")
    if not sep or not name or not version:
        raise ConfigError(f"--package {package!r}: expected OWNER/REPO@VERSION")
    cfg_path = aqua_config if aqua_config is not None else nearest_aqua_config(Path.cwd())
    if cfg_path is None:
        raise ConfigError(
            "no aqua config found from the current directory up; pass --config AQUA_YAML"
        )
    if not cfg_path.is_file():
        raise ConfigError(f"--config {cfg_path}: not a file")
    root = repository_root(cfg_path.resolve().parent)
    _, states = read_aqua_states(
        [cfg_path], root, policy_files=config.trust.aqua.policy_files, explicit=True
    )
    state = states[0]
    if state.errors:
        raise state.errors[0]
    assert state.config is not None
    refs = [p for p in state.config.packages if p.name == name]
    if not refs:
        raise ConfigError(f"{state.display} does not list the package {name}")
    base = next((p for p in refs if p.version == version), refs[0])
    ref = replace(base, version=version)
    registries = _load_registries([state], upstream, root)
    planned = _plan_package(state, ref, registries, config, set(), [platform])
    registry_checks: list[Checked] = []
    reg = planned.registry
    about_reg = (
        set()
        if reg is None
        else {reg.checksum_id, f"{state.display} registry {reg.name}",
              f"{state.display} registry {reg.name} checksum"}
    )  # fmt: skip
    # The package's registry must match its pin before anything it declares is believed.
    findings: list[Finding] = [
        f
        for f in _config_findings(state, registries, config, registry_checks)
        if f.subject in about_reg
    ]
    findings.extend(planned.findings)
    skipped: list[Skip] = []
    checked: list[Checked] = []
    if planned.skip is not None:
        skipped.append(Skip(subject=planned.subject, reason=planned.skip, path=state.display))
    for a in planned.artifacts:
        subject = f"{name} {version} {a.platform}"
        if not a.supported:
            raise ConfigError(f"{name}@{version} does not support {a.platform}: {a.reason}")
        if a.checksum_id is None:
            skipped.append(Skip(subject=subject, reason=a.reason or "", path=state.display))
            continue
        algorithm = a.checksum_file.algorithm if a.checksum_file is not None else "sha256"
        entry = state.checksums.get(a.checksum_id) if state.checksums is not None else None
        data = DataArtifact(file)
        # One read of the file for every digest any check needs (50 MB installers).
        data.precompute("sha256", algorithm, *((entry.algorithm,) if entry is not None else ()))
        sha256 = data.hexdigest("sha256")
        digest = data.hexdigest(algorithm)
        evidence: list[str] = []
        shown = state.checksums_display or state.display
        if entry is None:
            findings.append(
                aqua_checksum_missing.META.finding(
                    message=f"{shown} has no entry for {a.checksum_id}",
                    path=shown,
                    subject=subject,
                )
            )
        elif entry.checksum.lower() != data.hexdigest(entry.algorithm):
            findings.append(
                aqua_checksum_mismatch.META.finding(
                    message=f"{file}: {entry.algorithm} does not match the entry for "
                    f"{a.checksum_id} in {shown} ({entry.checksum.upper()})",
                    path=shown,
                    line=state.checksums.line_of(a.checksum_id) if state.checksums else None,
                    subject=subject,
                )
            )
        else:
            evidence.append("aqua-checksums")
        try:
            if a.checksum_file is not None:
                from depguard.verify.checksum_file import checksum_for

                checked_file = upstream.checksum_file(a.checksum_file)
                published = checksum_for(
                    checked_file.text,
                    a.asset or "",
                    algorithm=algorithm,
                    file_format=a.checksum_file.file_format,
                    pattern_checksum=a.checksum_file.pattern_checksum,
                    pattern_file=a.checksum_file.pattern_file,
                    source=checked_file.url,
                )
                if published.lower() != digest:
                    findings.append(
                        aqua_checksum_mismatch.META.finding(
                            message=f"{file}: {algorithm} is {digest}, but the upstream checksum "
                            f"file {checked_file.url} says {published.lower()}",
                            path=shown,
                            subject=subject,
                        )
                    )
                else:
                    evidence.append("checksum-file")
                    evidence.extend(checked_file.evidence)
            evidence.extend(upstream.asset_signatures(a, data, sha256))
            corroborated = upstream.corroborate(a, sha256)
            if corroborated is not None:
                evidence.append(corroborated)
        except DepguardError as e:
            from depguard.engine.aqua_upstream import failure_of

            if isinstance(e, InputError) and not str(e.path).startswith("http"):
                raise  # the repository's own files: a usage error, not a finding
            failure = failure_of(e)
            if failure is None:
                skipped.append(Skip(subject=subject, reason=e.message, path=shown))
            else:
                rule_id, message = failure
                findings.append(
                    _RULE_OF_FAILURE[rule_id].finding(message=message, path=shown, subject=subject)
                )
        if evidence:
            checked.append(Checked(subject=subject, evidence=tuple(evidence), path=shown))
    from depguard.engine.verify import apply_policy

    return Report(
        command="tools verify",
        findings=tuple(apply_policy(findings, config)),
        skipped=tuple(skipped),
        checked=tuple(checked),
    )
