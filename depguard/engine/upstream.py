"""Upstream truth about provider versions: signed checksums, signer, package hashes.

One :class:`Upstream` serves a whole run. Work is keyed by (provider, version) and by
(provider, version, platform), so a provider shared by a thousand state directories is fetched,
authenticated and hashed once (issue #2 §5). Network work runs in a thread pool; archives are
hashed in parallel by :func:`depguard.verify.hashes.hash_archives`, memoised in the cache by the
archive's SHA-256.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from depguard.engine.context import ProviderTruth, TruthKey
from depguard.errors import DepguardError, IntegrityError, SignatureError
from depguard.model import Platform, ProviderAddress
from depguard.sources.base import PackageMeta

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.net.cache import Cache
    from depguard.net.fetcher import Fetcher
    from depguard.sources.tf_registry import RegistrySource
    from depguard.verify.hashes import ZipLimits
    from depguard.verify.provider_auth import SignedShasums, SignerInfo

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_ZIP_PLATFORM = re.compile(r"_([a-z0-9]+)_([a-z0-9]+)\.zip$")
H1_CACHE_KIND = "h1-v2"  # v2: entries carry an HMAC
_H1 = re.compile(r"h1:[A-Za-z0-9+/]{43}=")


def platform_of_filename(
    filename: str, version: str, provider_type: str | None = None
) -> Platform | None:
    """Platform of a ``terraform-provider-TYPE_VERSION_OS_ARCH.zip`` name, else ``None``.

    With ``provider_type`` the name must be that provider's package (the naming the public
    registry requires), so another provider's signed release cannot stand in for it.
    """
    if provider_type is not None and not filename.startswith(
        f"terraform-provider-{provider_type}_{version}_"
    ):
        return None
    if f"_{version}_" not in filename:
        return None
    m = _ZIP_PLATFORM.search(filename)
    if not m:
        return None
    try:
        return Platform(m.group(1), m.group(2))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedRelease:
    """The authenticated ``SHA256SUMS`` of one provider version and who signed it."""

    shasums: SignedShasums
    signer: SignerInfo


def _load_memo_key(cache: Cache | None) -> bytes | None:
    if cache is None:
        return None
    from depguard.util.memo_key import memo_key

    return memo_key()


class _Memo:
    """Thread-safe memo: each key is computed once, concurrent callers wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[object, threading.Event] = {}
        self._values: dict[object, tuple[bool, Any]] = {}

    def get(self, key: object, compute: Callable[[], _T]) -> _T:
        with self._lock:
            event = self._events.get(key)
            owner = event is None
            if owner:
                event = self._events[key] = threading.Event()
        assert event is not None
        if owner:
            try:
                self._values[key] = (True, compute())
            except BaseException as e:
                self._values[key] = (False, e)
            finally:
                event.set()
        else:
            event.wait()
        ok, value = self._values[key]
        if ok:
            return value  # type: ignore[no-any-return]
        raise value


class Upstream:
    """Everything depguard learns from provider sources during one run."""

    def __init__(
        self,
        *,
        fetcher: Fetcher,
        cache: Cache | None,
        config: Config,
        registry: RegistrySource,
        jobs: int = 8,
        hashicorp_key: bytes | None = None,
        partners_key: bytes | None = None,
        memo_key: bytes | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._cache = cache
        self._config = config
        self._registry = registry
        self._jobs = max(1, jobs)
        self._hashicorp_key = hashicorp_key
        self._partners_key = partners_key
        self._memo = _Memo()
        self._memo_key = memo_key if memo_key is not None else _load_memo_key(cache)

    # -- small helpers ------------------------------------------------------------------

    @property
    def fetcher(self) -> Fetcher:
        return self._fetcher

    @property
    def registry(self) -> RegistrySource:
        return self._registry

    def map_parallel(
        self,
        fn: Callable[[Any], _T],
        items: Sequence[Any],
        *,
        progress: Callable[[str], None] | None = None,
        label: str = "",
    ) -> list[_T]:
        """Apply ``fn`` to ``items`` on the network thread pool, results in input order.

        With ``progress``, reports ``label done/total`` as items finish.
        """
        if progress is not None and items:
            done = 0
            lock = threading.Lock()
            inner = fn

            def fn(item: Any) -> _T:
                nonlocal done
                result = inner(item)
                with lock:
                    done += 1
                    progress(f"{label} {done}/{len(items)}")
                return result

        if len(items) <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(self._jobs, len(items))) as pool:
            return list(pool.map(fn, items))

    # -- registry metadata --------------------------------------------------------------

    def published_platforms(self, address: ProviderAddress, version: str) -> tuple[Platform, ...]:
        """Platforms the registry's ``versions`` list names for ``version`` (may be empty)."""
        infos = self._registry.version_infos(address)
        for info in infos:
            if info.version == version:
                return info.platforms
        return ()

    def registry_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        """The registry's download metadata for one platform (memoised), or ``None``."""
        return self._memo.get(
            ("meta", address, version, platform),
            lambda: self._registry.package_meta(address, version, platform),
        )

    def any_registry_meta(
        self, address: ProviderAddress, version: str, prefer: Sequence[Platform]
    ) -> PackageMeta | None:
        """Metadata for the first platform that has a package: ``prefer`` first, then the
        platforms the versions list names."""
        tried: set[Platform] = set()

        def candidates() -> Iterator[Platform]:
            yield from prefer
            # Only when none of the preferred platforms is published: ask the versions list.
            yield from self.published_platforms(address, version)

        for platform in candidates():
            if platform in tried:
                continue
            tried.add(platform)
            meta = self.registry_meta(address, version, platform)
            if meta is not None:
                return meta
        return None

    # -- authentication -------------------------------------------------------------------

    def signed_release(self, meta: PackageMeta) -> SignedRelease:
        """Fetch and authenticate the ``SHA256SUMS`` named by ``meta`` (memoised per URL).

        Raises :class:`SignatureError` / :class:`IntegrityError` when the data does not
        authenticate under the trust policy, :class:`NetworkError` when it cannot be fetched.
        """
        key = ("signed", meta.shasums_url, meta.shasums_signature_url, meta.address)
        return self._memo.get(key, lambda: self._authenticate(meta))

    def _authenticate(self, meta: PackageMeta) -> SignedRelease:
        from depguard.verify.provider_auth import authenticate_shasums, parse_shasums

        document, signature = self._registry.fetch_shasums(meta)
        url = meta.shasums_url or "SHA256SUMS"
        shasums = parse_shasums(document, url)
        signer = authenticate_shasums(
            document,
            signature,
            meta.signing_keys,
            trusted_fingerprints=self._config.pinned_fingerprints_for(str(meta.address)),
            provider=str(meta.address),
            url=url,
            hashicorp_key=self._hashicorp_key,
            partners_key=self._partners_key,
        )
        return SignedRelease(shasums=shasums, signer=signer)

    def authenticated_release(self, meta: PackageMeta) -> SignedRelease:
        """Authenticate the registry's package ``meta`` against its signed release.

        Steps (Terraform's ``PackageAuthenticationAll`` plus depguard's binding checks):
        1. the served file is this provider's package for this version and platform;
        2. ``SHA256SUMS`` is signed by a trusted key (:meth:`signed_release`);
        3. the signed list names the served file (``matchingChecksumAuthentication``) with
           the hash the registry claims for it;
        4. the signed list is this version's (a replayed older release fails).

        Raises :class:`IntegrityError` / :class:`SignatureError` when any step fails, and
        :class:`NetworkError` when the data cannot be fetched.
        """
        address, version = meta.address, meta.version
        subject = f"{address} {version}"
        if platform_of_filename(meta.filename, version, address.type) != meta.platform:
            raise IntegrityError(
                f"the registry serves {meta.filename} as the {meta.platform} package of "
                f"{subject}; it is not that package"
            )
        release = self.signed_release(meta)
        shasums = release.shasums
        listed = shasums.sha256_for(meta.filename)
        if listed is None:
            raise IntegrityError(
                f"{shasums.url}: the signed checksum list has no SHA-256 hash for "
                f"{meta.filename}, the package the registry serves for {subject}"
            )
        if meta.shasum is not None and listed != meta.shasum.lower():
            raise IntegrityError(
                f"the registry says {meta.filename} has sha256 {meta.shasum} but the signed "
                f"SHA256SUMS lists {listed}"
            )
        if not any(platform_of_filename(n, version, address.type) for n, _ in shasums.entries):
            raise IntegrityError(
                f"{shasums.url}: the signed checksum list names no package of version "
                f"{version}; it belongs to another release"
            )
        return release

    # -- verify: the truth about (provider, version) --------------------------------------

    def truth(
        self, address: ProviderAddress, version: str, platforms: Sequence[Platform]
    ) -> ProviderTruth:
        """Authenticate the release of ``address`` ``version``; never raises for bad data.

        Integrity and signature failures land in ``invalid`` (findings); fetch failures and
        missing releases land in ``unavailable`` (skips).
        """
        base = ProviderTruth(address=address, version=version)
        try:
            meta = self.any_registry_meta(address, version, platforms)
            if meta is None:
                return replace(
                    base,
                    unavailable=f"the registry offers no package of {address} {version}",
                )
            release = self.authenticated_release(meta)
            shasums = release.shasums
        except (SignatureError, IntegrityError) as e:
            return replace(base, invalid=e.message)
        except DepguardError as e:  # fetch failures, malformed registry answers (InputError)
            return replace(base, unavailable=e.message)
        platform_zh: dict[Platform, str] = {}
        for filename, digest in shasums.entries:
            platform = platform_of_filename(filename, version, address.type)
            if platform is not None:
                platform_zh.setdefault(platform, f"zh:{digest}")
        return replace(
            base,
            signer=release.signer,
            shasums=dict(shasums.entries),
            platform_zh=platform_zh,
        )

    def truths(
        self,
        keys: Iterable[TruthKey],
        platforms: Sequence[Platform],
        progress: Callable[[str], None] | None = None,
    ) -> dict[TruthKey, ProviderTruth]:
        """:meth:`truth` for many keys, in parallel."""
        unique = sorted(set(keys))
        results = self.map_parallel(
            lambda k: self.truth(k[0], k[1], platforms),
            unique,
            progress=progress,
            label="authenticating provider releases",
        )
        return dict(zip(unique, results, strict=True))

    # -- deep mode: hash every signed package -------------------------------------------

    def deepen(
        self,
        truths: Mapping[TruthKey, ProviderTruth],
        *,
        first: Sequence[Platform],
        progress: Callable[[str], None] | None = None,
    ) -> dict[TruthKey, ProviderTruth]:
        """Download and hash every signed package of each authenticated release.

        Each archive is checked against its signed ``SHA256SUMS`` line before hashing; a
        mismatch is a ``package_problems`` entry. Returns updated truths.
        """
        jobs: list[tuple[TruthKey, Platform]] = []
        for key, truth in truths.items():
            if truth.authenticated:
                ordered = [p for p in first if p in truth.platform_zh]
                ordered += sorted(p for p in truth.platform_zh if p not in ordered)
                jobs.extend((key, p) for p in ordered)

        urls: dict[Path, str] = {}

        def fetch(job: tuple[TruthKey, Platform]) -> tuple[str | None, str | None, Path | None]:
            """Return (problem, unavailable, archive path)."""
            (address, version), platform = job
            truth = truths[(address, version)]
            try:
                meta = self.registry_meta(address, version, platform)
                if meta is None:
                    return None, f"no download metadata for {platform}", None
                download = self._fetcher.download(meta.location)
            except DepguardError as e:
                return None, e.message, None
            expected = truth.platform_zh[platform].removeprefix("zh:")
            if download.sha256 != expected:
                return (
                    f"the {platform} package served at {meta.location} has sha256 "
                    f"{download.sha256}, not the signed {expected}",
                    None,
                    None,
                )
            urls[download.path] = meta.location
            return None, None, download.path

        fetched = self.map_parallel(fetch, jobs, progress=progress, label="downloading packages")
        to_hash: dict[Path, str] = {}
        for job, (_problem, _unavailable, path) in zip(jobs, fetched, strict=True):
            if path is not None:
                (key, platform) = job
                to_hash[path] = truths[key].platform_zh[platform].removeprefix("zh:")
        if progress is not None and to_hash:
            progress(f"hashing {len(to_hash)} packages")
        hashed = self.hash_paths(to_hash)

        updated = dict(truths)
        problems: dict[TruthKey, list[str]] = {}
        missing: dict[TruthKey, list[str]] = {}
        h1: dict[TruthKey, dict[Platform, tuple[str, str]]] = {}
        for (key, platform), (problem, unavailable, path) in zip(jobs, fetched, strict=True):
            if problem:
                problems.setdefault(key, []).append(problem)
            elif unavailable:
                missing.setdefault(key, []).append(f"{platform}: {unavailable}")
            elif path is not None:
                result = hashed.get(path)
                if isinstance(result, str):
                    where = urls.get(path, str(platform))
                    problems.setdefault(key, []).append(f"{platform} package {where}: {result}")
                elif result is not None:
                    h1.setdefault(key, {})[platform] = result
        for key in (k for k, t in truths.items() if t.authenticated):
            updated[key] = replace(
                truths[key],
                h1=h1.get(key, {}),
                package_problems=tuple(problems.get(key, ())),
                deep_unavailable="; ".join(missing[key]) if key in missing else None,
                deepened=True,
            )
        return updated

    def zip_limits(self) -> ZipLimits:
        """Archive limits from the policy (``limits.max_zip_uncompressed_bytes``)."""
        from depguard.verify.hashes import ZipLimits

        return ZipLimits(max_total_uncompressed=self._config.limits.max_zip_uncompressed_bytes)

    def hash_paths(self, paths: Mapping[Path, str]) -> dict[Path, tuple[str, str] | str]:
        """Return ``(h1_lock, h1_zip)`` per archive, or an error string; cached by SHA-256.

        ``paths`` maps each archive to its known SHA-256 (already verified by the caller).
        """
        out: dict[Path, tuple[str, str] | str] = {}
        todo: dict[Path, str] = {}
        for path, sha in paths.items():
            memo = self._memo_get(sha)
            if memo is not None:
                out[path] = memo
            else:
                todo[path] = sha
        if todo:
            results = self._hash_each(dict(todo))
            for path, result in results.items():
                out[path] = result
                if not isinstance(result, str):
                    self._memo_put(todo[path], result)
        return out

    def _memo_get(self, sha: str) -> tuple[str, str] | None:
        """A memoised (h1_lock, h1_zip) for an archive, only if its HMAC verifies (the
        shared cache is not trusted: util/memo_key.py)."""
        from depguard.util.memo_key import verify

        if self._cache is None or self._memo_key is None:
            return None
        entry = self._cache.get_derived(H1_CACHE_KIND, sha)
        if not isinstance(entry, dict):
            return None
        lock, zipped, mac = entry.get("h1_lock"), entry.get("h1_zip"), entry.get("mac")
        if not (isinstance(lock, str) and isinstance(zipped, str)):
            return None
        if not (_H1.fullmatch(lock) and _H1.fullmatch(zipped)):
            return None
        if not verify(self._memo_key, mac, sha, lock, zipped):
            log.warning("ignoring a cached package hash for %s: its authentication failed", sha)
            return None
        return lock, zipped

    def _memo_put(self, sha: str, result: tuple[str, str]) -> None:
        from depguard.util.memo_key import sign

        if self._cache is None or self._memo_key is None:
            return
        mac = sign(self._memo_key, sha, *result)
        self._cache.put_derived(
            H1_CACHE_KIND, sha, {"h1_lock": result[0], "h1_zip": result[1], "mac": mac}
        )

    def _hash_each(self, todo: Mapping[Path, str | None]) -> dict[Path, tuple[str, str] | str]:
        """Hash archives in parallel; each result is ``(h1_lock, h1_zip)`` or an error text."""
        from depguard.verify.hashes import hash_archives_settled

        known = {p: s for p, s in todo.items() if s is not None}
        settled = hash_archives_settled(list(todo), sha256s=known, limits=self.zip_limits())
        # Error texts must not depend on where the cache lives (fingerprints hash messages).
        return {
            p: r.message.removeprefix(f"{p}: ")
            if isinstance(r, DepguardError)
            else (
                r.h1_lock,
                r.h1_zip,
            )
            for p, r in settled.items()
        }
