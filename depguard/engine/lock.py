"""``depguard lock``: write complete, verified lock files for every state directory.

Behaves like running ``terraform providers lock -platform=…`` in every state directory
(``internal/command/providers_lock.go`` and ``providercache/installer.go``):

1. Version selection: a locked version that still satisfies the merged constraints is kept;
   a locked version outside them is an error ("must use terraform init -upgrade"); an unlocked
   provider gets the newest available version that satisfies them. ``--upgrade`` (like
   ``terraform init -upgrade``) always takes the newest allowed version.
2. For every (provider, version, platform), once per run however many directories share it:
   fetch the package from the chosen source, authenticate it (registry: signed ``SHA256SUMS``,
   trusted signer, archive hash; network mirror: listed hashes) and compute the ``h1:`` of the
   extracted package.
3. New entry = old hashes (same version) ∪ new ``h1:`` per platform ∪ every signed ``zh:``
   (registry only). Entries of providers no longer required are kept, like Terraform does.
4. Render byte-identically to Terraform and write atomically; ``--check`` writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from depguard.engine.upstream import Upstream
from depguard.engine.verify import apply_policy
from depguard.engine.workspace import StateDir, read_states
from depguard.errors import (
    DepguardError,
    IntegrityError,
    NetworkError,
    SignatureError,
    UnsupportedError,
)
from depguard.formats.tf_lock import detect_header, render_lock
from depguard.model import Checked, Finding, Platform, ProviderAddress, ProviderLock, Report, Skip
from depguard.rules import (
    invalid_manifest,
    lock_constraint_violation,
    lock_hash_mismatch,
    provider_signature_invalid,
)
from depguard.sources.base import PackageKind, PackageMeta, ProviderSource
from depguard.versions import constraints_string, merge_constraints, newest_allowed

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.verify.provider_auth import SignerInfo

log = logging.getLogger(__name__)

Key = tuple[ProviderAddress, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOptions:
    paths: tuple[Path, ...]
    platforms: tuple[Platform, ...]
    upgrade: bool = False
    check: bool = False
    providers: tuple[ProviderAddress, ...] = ()  # restrict to these (like positional args)
    # select exactly this version (rollout apply); it must satisfy the constraints
    pins: Mapping[ProviderAddress, str] = field(default_factory=dict)
    root: Path | None = None  # what display paths are relative to (default: the Git root)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedRelease:
    """The hashes learned for one (provider, version) across the requested platforms."""

    h1: dict[Platform, str] = field(default_factory=dict)
    zh: tuple[str, ...] = ()
    signer: SignerInfo | None = None
    evidence: tuple[str, ...] = ()
    error: DepguardError | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LockResult:
    report: Report
    would_change: tuple[str, ...]  # display paths of lock files that differ (written unless check)


@dataclass(slots=True)
class _Selection:
    state: StateDir
    versions: dict[ProviderAddress, str] = field(default_factory=dict)
    constraints: dict[ProviderAddress, str | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


class Locker:
    """Computes lock files from one provider source (registry, fs mirror or net mirror)."""

    def __init__(
        self,
        *,
        source: ProviderSource,
        upstream: Upstream,
        config: Config,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self._source = source
        self._upstream = upstream
        self._config = config
        self._progress = progress
        self._versions: dict[ProviderAddress, tuple[str, ...] | DepguardError] = {}

    # -- 1. version selection ---------------------------------------------------------------

    def _available(self, address: ProviderAddress) -> tuple[str, ...]:
        cached = self._versions.get(address)
        if cached is None:
            try:
                cached = self._source.available_versions(address)
            except DepguardError as e:
                cached = e
            self._versions[address] = cached
        if isinstance(cached, DepguardError):
            raise cached
        return cached

    def select(self, state: StateDir, options: LockOptions) -> _Selection:
        """Choose a version for every required provider of ``state`` (Terraform's rules).

        Returns the selection; constraint violations become findings and unresolvable
        providers skips on it (never raises for upstream failures).
        """
        sel = _Selection(state=state)
        reqs = state.requirements.providers if state.requirements else ()
        for req in reqs:
            if options.providers and req.address not in options.providers:
                continue
            try:
                merged = merge_constraints(*req.constraints)
            except ValueError as e:
                sel.skips.append(Skip(subject=str(req.address), reason=str(e), path=req.where))
                continue
            canonical = constraints_string(merged) or None
            old = state.lock.get(req.address) if state.lock else None
            pinned = options.pins.get(req.address)
            if pinned is not None:
                if not merged.allows(pinned):
                    sel.findings.append(
                        lock_constraint_violation.META.finding(
                            message=f"{req.address} {pinned} does not match configured version "
                            f'constraint "{canonical}" ({req.where})',
                            path=state.lock_display,
                            subject=f"{req.address} {pinned}",
                        )
                    )
                    continue
                sel.versions[req.address] = pinned
            elif old is not None and not options.upgrade:
                if not merged.allows(old.version):
                    sel.findings.append(
                        lock_constraint_violation.META.finding(
                            message=f"locked provider {req.address} {old.version} does not "
                            f'match configured version constraint "{canonical}" '
                            f"({req.where}); run `depguard lock --upgrade` to select a new "
                            "version",
                            path=state.lock_display,
                            line=old.line,
                            subject=f"{req.address} {old.version}",
                        )
                    )
                    continue
                sel.versions[req.address] = old.version
            else:
                try:
                    available = self._available(req.address)
                except DepguardError as e:
                    sel.skips.append(
                        Skip(subject=str(req.address), reason=e.message, path=state.lock_display)
                    )
                    continue
                chosen = newest_allowed(available, merged)
                if chosen is None:
                    sel.skips.append(
                        Skip(
                            subject=str(req.address),
                            reason=f"{self._source.describe()}: no available releases match "
                            f'the given constraints "{canonical or "(none)"}"',
                            path=state.lock_display,
                        )
                    )
                    continue
                sel.versions[req.address] = str(chosen)
            sel.constraints[req.address] = canonical
        return sel

    # -- 2. packages ------------------------------------------------------------------------

    def releases(
        self, keys: Sequence[Key], platforms: Sequence[Platform]
    ) -> dict[Key, LockedRelease]:
        """Fetch, authenticate and hash every (provider, version) on every platform.

        Returns one :class:`LockedRelease` per key; a failure is kept in its ``error``
        (never raised), so one bad provider does not stop the others.
        """
        units = [(key, platform) for key in keys for platform in platforms]
        if self._progress is not None:
            self._progress(f"fetching {len(units)} packages")
        fetched = self._upstream.map_parallel(
            self._fetch_unit, units, progress=self._progress, label="fetching packages"
        )
        to_hash: dict[Path, str | None] = {}
        for unit_result in fetched:
            if isinstance(unit_result, _Fetched) and unit_result.path is not None:
                to_hash[unit_result.path] = unit_result.sha256
        if self._progress is not None and to_hash:
            self._progress(f"hashing {len(to_hash)} packages")
        hashed = self._hash(to_hash)

        by_key: dict[Key, LockedRelease] = {}
        for (key, platform), unit_result in zip(units, fetched, strict=True):
            current = by_key.get(key, LockedRelease())
            if current.error is not None:
                continue
            if isinstance(unit_result, DepguardError):
                by_key[key] = LockedRelease(error=unit_result)
                continue
            h1 = unit_result.h1
            if h1 is None and unit_result.path is not None:
                result = hashed[unit_result.path]
                if isinstance(result, str):
                    by_key[key] = LockedRelease(
                        error=IntegrityError(f"{key[0]} {key[1]} {platform}: {result}")
                    )
                    continue
                h1 = result[0]
            if unit_result.mirror_hashes and unit_result.path is not None:
                result = hashed[unit_result.path]
                assert not isinstance(result, str)
                acceptable = {f"zh:{unit_result.sha256}", result[1]}
                if not acceptable.intersection(unit_result.mirror_hashes):
                    by_key[key] = LockedRelease(
                        error=IntegrityError(
                            f"{unit_result.where}: the archive matches none of the hashes "
                            "the network mirror lists for it"
                        )
                    )
                    continue
            assert h1 is not None
            new_h1 = dict(current.h1)
            new_h1[platform] = h1
            by_key[key] = LockedRelease(
                h1=new_h1,
                zh=unit_result.zh or current.zh,
                signer=unit_result.signer or current.signer,
                evidence=unit_result.evidence,
            )
        return by_key

    def _fetch_unit(self, unit: tuple[Key, Platform]) -> _Fetched | DepguardError:
        (address, version), platform = unit
        try:
            meta = self._source.package_meta(address, version, platform)
            if meta is None:
                return NetworkError(
                    f"{self._source.describe()}: provider {address} {version} is not "
                    f"available for {platform}"
                )
            return self._fetch_meta(meta)
        except DepguardError as e:
            return e

    def _fetch_meta(self, meta: PackageMeta) -> _Fetched:
        from depguard.verify.hashes import dir_h1

        where = f"{meta.address} {meta.version} {meta.platform}"
        if meta.kind is PackageKind.FS_DIR:
            h1 = dir_h1(Path(meta.location))
            return _Fetched(where=where, h1=h1, evidence=("fs-mirror",))
        if meta.kind is PackageKind.FS_ARCHIVE:
            return _Fetched(where=where, path=Path(meta.location), evidence=("fs-mirror",))
        download = self._upstream.fetcher.download(meta.location)
        if meta.kind is PackageKind.NET_MIRROR:
            return _Fetched(
                where=where,
                path=download.path,
                sha256=download.sha256,
                mirror_hashes=frozenset(meta.hashes),
                evidence=("net-mirror", "checksum") if meta.hashes else ("net-mirror",),
            )
        # Registry: Terraform's PackageAuthenticationAll, with depguard's trust policy.
        from depguard.sources.tf_registry import protocols_supported
        from depguard.verify.provider_auth import check_archive, zh_hashes

        if meta.protocols and not protocols_supported(meta.protocols):
            raise UnsupportedError(
                f"{where}: the package implements plugin protocol "
                f"{', '.join(meta.protocols)}, which Terraform cannot run (it needs 5 or 6)"
            )

        release = self._upstream.authenticated_release(meta)
        # archiveHashAuthentication: the bytes downloaded are the bytes signed.
        check_archive(meta.filename, download.sha256, release.shasums, registry_shasum=meta.shasum)
        return _Fetched(
            where=where,
            path=download.path,
            sha256=download.sha256,
            zh=zh_hashes(release.shasums),
            signer=release.signer,
            evidence=(release.signer.evidence(), "zh", "h1"),
        )

    def _hash(self, paths: dict[Path, str | None]) -> dict[Path, tuple[str, str] | str]:
        """h1 of each archive: memoised by SHA-256 when known (downloads), else hashed."""
        from depguard.verify.hashes import sha256_file

        def digest(path: Path) -> str | DepguardError:
            try:
                return sha256_file(path)
            except DepguardError as e:
                return e

        unknown = [p for p, s in paths.items() if s is None]
        # Mirror archives: take their SHA-256 first so the h1 memo (keyed by it) applies.
        known = {p: s for p, s in paths.items() if s is not None}
        failed: dict[Path, tuple[str, str] | str] = {}
        for path, result in zip(unknown, self._upstream.map_parallel(digest, unknown), strict=True):
            if isinstance(result, DepguardError):
                failed[path] = result.message
            else:
                known[path] = result
        return {**(self._upstream.hash_paths(known) if known else {}), **failed}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Fetched:
    where: str
    path: Path | None = None
    sha256: str | None = None
    h1: str | None = None
    zh: tuple[str, ...] = ()
    signer: SignerInfo | None = None
    mirror_hashes: frozenset[str] = frozenset()
    evidence: tuple[str, ...] = ()


def _error_finding(state: StateDir, key: Key, error: DepguardError) -> Finding | Skip:
    subject = f"{key[0]} {key[1]}"
    if isinstance(error, (SignatureError, IntegrityError)):
        return provider_signature_invalid.META.finding(
            message=f"{error.message}; the lock file was not written",
            path=state.lock_display,
            subject=subject,
        )
    return Skip(subject=subject, reason=error.message, path=state.lock_display)


def _unsigned_old_zh(
    state: StateDir, sel: _Selection, releases: dict[Key, LockedRelease]
) -> Iterator[Finding]:
    """Old ``zh:`` hashes Terraform would carry over but the signed ``SHA256SUMS`` lacks.

    Terraform keeps every old hash of an unchanged version; depguard refuses to write them
    back under a signed release (a verified file must not keep a forged hash). Mirrors have
    no signed list, so nothing can be judged there (Terraform semantics are kept).
    """
    if state.lock is None:
        return
    for address, version in sorted(sel.versions.items()):
        release = releases[(address, version)]
        old = state.lock.get(address)
        if not release.zh or old is None or old.version != version:
            continue
        signed = set(release.zh)
        for h in old.zh:
            if h not in signed:
                yield lock_hash_mismatch.META.finding(
                    message=f"{h} is not in the signed SHA256SUMS of {address} {version}; "
                    "the lock file was not written (remove the hash, or run "
                    "`depguard lock --upgrade` to rewrite the entry from the signed data)",
                    path=state.lock_display,
                    line=old.line,
                    subject=f"{address} {version}",
                )


def new_lock_text(
    state: StateDir,
    sel: _Selection,
    releases: dict[Key, LockedRelease],
    *,
    upgrade: bool = False,
) -> str:
    """Merge old entries and new hashes the way ``terraform providers lock`` does.

    With ``upgrade`` every selected entry starts a fresh hash set (depguard's choice:
    ``--upgrade`` rewrites entries only from what the source proves).
    """
    entries: dict[ProviderAddress, ProviderLock] = {}
    if state.lock is not None:
        entries = {p.address: p for p in state.lock.providers}
    for address, version in sel.versions.items():
        release = releases[(address, version)]
        hashes = set(release.h1.values()) | set(release.zh)
        old = entries.get(address)
        if old is not None and old.version == version and not upgrade:
            hashes |= set(old.hashes)
        entries[address] = ProviderLock(
            address=address,
            version=version,
            constraints=sel.constraints.get(address),
            hashes=tuple(sorted(hashes)),
        )
    header = detect_header(state.lock_text) if state.lock_text else None
    return render_lock(entries.values(), header=header)


def run_lock(
    options: LockOptions, *, locker: Locker, config: Config
) -> tuple[LockResult, dict[Path, str]]:
    """Compute new lock files; return the result and the texts to write (path → text).

    Nothing is written here; the CLI writes atomically (unless ``--check``). A directory with
    a finding or a skip is never written. Raises :class:`~depguard.errors.InputError` only for
    a PATH that is neither a directory nor a lock file.
    """
    _root, states = read_states(options.paths, root=options.root)
    findings: list[Finding] = []
    skips: list[Skip] = []
    checked: list[Checked] = []
    notes: list[str] = []
    selections: list[_Selection] = []
    outside: dict[Key, list[str]] = {}  # lock only warns about the allowlist
    for state in states:
        if state.errors:
            findings.extend(invalid_manifest.from_error(e) for e in state.errors)
            skips.append(
                Skip(
                    subject=state.display,
                    reason="not locked: its lock file or configuration does not parse",
                    path=state.lock_display,
                )
            )
            continue
        sel = locker.select(state, options)
        selections.append(sel)
        for address, version in sel.versions.items():
            if not config.provider_allowed(str(address)):
                outside.setdefault((address, version), []).append(state.display)
    keys = sorted({(a, v) for sel in selections for a, v in sel.versions.items()})
    releases = locker.releases(keys, options.platforms)
    allow_signed = config.trust.terraform.allow_hashicorp_signed
    for (address, version), dirs in sorted(outside.items()):
        signer = releases[(address, version)].signer
        if allow_signed and signer is not None and signer.kind in ("official", "partner"):
            continue  # allowed like in verify: HashiCorp signed it
        where = dirs[0] if len(dirs) == 1 else f"{len(dirs)} directories"
        notes.append(f"warning: {address} ({where}) is not in trust.terraform.providers")

    writes: dict[Path, str] = {}
    would_change: list[str] = []
    if not options.check:
        from depguard.util.atomic import remove_stale

        for state in states:  # temp files a killed earlier run left beside its lock files
            remove_stale(state.lock_path)
    for sel in selections:
        state = sel.state
        findings.extend(sel.findings)
        skips.extend(sel.skips)
        failed = False
        for address, version in sorted(sel.versions.items()):
            release = releases[(address, version)]
            if release.error is not None:
                failed = True
                problem = _error_finding(state, (address, version), release.error)
                if isinstance(problem, Skip):
                    skips.append(problem)
                else:
                    findings.append(problem)
            else:
                checked.append(
                    Checked(
                        subject=f"{address} {version}",
                        evidence=release.evidence,
                        path=state.lock_display,
                    )
                )
        if not failed and not options.upgrade:
            stale = list(_unsigned_old_zh(state, sel, releases))
            findings.extend(stale)
            failed = bool(stale)
        if failed or sel.findings or sel.skips:
            # Fail closed per directory: never write a lock with some providers missing or
            # with hashes the signed source contradicts.
            notes.append(f"not written: {state.lock_display} (see the findings and skips)")
            continue
        if not sel.versions and state.lock is None:
            continue  # nothing to lock, nothing to write
        text = new_lock_text(state, sel, releases, upgrade=options.upgrade)
        if text != state.lock_text:
            would_change.append(state.lock_display)
            writes[state.lock_path] = text
    verb = "would change" if options.check else "updated"
    notes.extend(f"{verb} {path}" for path in sorted(would_change))
    report = Report(
        command="lock",
        findings=tuple(apply_policy(findings, config)),
        skipped=tuple(skips),
        checked=tuple(checked),
        notes=tuple(sorted(set(notes))),
    )
    return LockResult(report=report, would_change=tuple(sorted(would_change))), writes
