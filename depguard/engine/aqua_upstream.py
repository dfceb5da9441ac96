"""Upstream truth about aqua artifacts: checksum files, their signatures, asset signatures.

One :class:`AquaUpstream` serves a run. Every file is fetched once per URL (however many
packages, platforms and configs share it), checksum files are authenticated once per rendered
URL, and work runs on a thread pool. Verifiers are called in-process; nothing is executed.

Trust levels of a checksum (``ArtifactTruth.trust``):

* ``signed`` — from a checksum file whose declared signatures verified, or computed from an
  asset whose declared signatures (cosign, SLSA, GitHub attestation, minisign) verified;
* ``published`` — from the upstream checksum file the registry declares, which declares no
  signature (what aqua itself trusts);
* ``tofu`` — nothing upstream vouches for it: the asset's current bytes (or GitHub's record of
  them). ``checksums update`` writes such entries only with ``--allow-tofu``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from depguard.errors import (
    DepguardError,
    InputError,
    IntegrityError,
    NetworkError,
    SignatureError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from depguard.aqua.platform import GitHubUrls
    from depguard.aqua.resolve import (
        Artifact,
        AttestationSpec,
        ChecksumFileSpec,
        CosignSpec,
        FileRef,
        MinisignSpec,
        SlsaSpec,
    )
    from depguard.formats.aqua_config import AquaRegistryRef
    from depguard.net.fetcher import Download, Fetcher
    from depguard.sources.github import GitHubSource
    from depguard.verify.intoto import Artifact as DataArtifact

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_K = TypeVar("_K")
_V = TypeVar("_V")

MAX_CHECKSUM_FILE_BYTES = 16 * 1024 * 1024
MAX_SIGNATURE_BYTES = 4 * 1024 * 1024
MAX_REGISTRY_BYTES = 64 * 1024 * 1024

Trust = Literal["signed", "published", "tofu"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedFile:
    """A downloaded checksum file and the signatures that vouched for it."""

    url: str
    text: str
    sha256: str
    evidence: tuple[str, ...]  # signature kinds that verified (empty: unsigned)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactTruth:
    """What upstream says one artifact's checksum is, and how sure we are.

    Exactly one of ``checksum``, ``failure`` and ``unavailable`` explains the outcome; a
    ``failure`` is a finding (rule id + message), ``unavailable`` a skip.
    """

    checksum: str | None = None  # lower-case hex
    algorithm: str = "sha256"
    trust: Trust | None = None
    evidence: tuple[str, ...] = ()
    failure: tuple[str, str] | None = None
    unavailable: str | None = None
    # signatures over the asset itself that were not checked (they need the asset: --deep)
    deferred: tuple[str, ...] = ()


class _Memo(Generic[_K, _V]):
    """Thread-safe memo: one computation per key, concurrent callers wait for it; errors are
    remembered too (a failed download is not retried by every package that shares it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[_K, threading.Lock] = {}
        self._values: dict[_K, _V | DepguardError] = {}

    def get(self, key: _K, compute: Callable[[], _V]) -> _V:
        with self._lock:
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._values:
                try:
                    self._values[key] = compute()
                except DepguardError as e:
                    self._values[key] = e
            value = self._values[key]
        if isinstance(value, DepguardError):
            raise value
        return value


def failure_of(exc: DepguardError) -> tuple[str, str] | None:
    """The aqua rule an upstream fault is a finding of, with its message; ``None`` when it is
    only a skip (network, unsupported material). Malformed signature material from upstream
    (a garbage bundle, .sig, provenance or attestation) fails, as aqua's verifiers fail."""
    if isinstance(exc, SignatureError | InputError):
        return "aqua-signature-invalid", exc.message
    if isinstance(exc, IntegrityError):
        return "aqua-checksum-mismatch", exc.message
    return None


class AquaUpstream:
    """Fetches and authenticates everything aqua registries declare for their artifacts."""

    def __init__(
        self,
        *,
        fetcher: Fetcher,
        github: GitHubUrls,
        jobs: int = 8,
        allow_legacy_minisign: bool = False,
        max_download_bytes: int | None = None,
        rekor_url: str = "https://rekor.sigstore.dev",
    ) -> None:
        from depguard.sources.github import GitHubSource

        self.fetcher = fetcher
        self.urls = github
        self.github: GitHubSource = GitHubSource(fetcher, github)
        self._jobs = max(1, jobs)
        self._allow_legacy_minisign = allow_legacy_minisign
        self._max_download = max_download_bytes
        self._rekor_url = rekor_url
        self._files: _Memo[str, bytes] = _Memo()
        self._downloads: _Memo[str, Download] = _Memo()
        self._checksum_files: _Memo[str, CheckedFile] = _Memo()
        self._registries: _Memo[str, bytes] = _Memo()
        self._releases: _Memo[tuple[str, str, str], dict[str, str | None]] = _Memo()
        self._attestations: _Memo[tuple[str, str, str], list[bytes]] = _Memo()

    # -- plumbing ---------------------------------------------------------------------------

    def map_parallel(self, fn: Callable[[_K], _T], items: Sequence[_K]) -> list[_T]:
        """Apply ``fn`` to ``items`` on the thread pool; results in input order."""
        if len(items) <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(self._jobs, len(items))) as pool:
            return list(pool.map(fn, items))

    def fetch(self, ref: FileRef, *, max_bytes: int = MAX_SIGNATURE_BYTES) -> bytes:
        """The bytes of a small file (checksum file, signature, bundle), fetched once."""

        def load() -> bytes:
            if ref.kind == "github_release":
                # Release files are addressed by tag like the assets: cache-first, one download
                # per URL. Nothing read this way is trusted unverified: checksum files are
                # checked against their signatures and then pinned by aqua-checksums.json.
                return self.fetcher.download(ref.url, max_bytes=max_bytes).path.read_bytes()
            return self.fetcher.get(ref.url, max_bytes=max_bytes).body

        return self._files.get(ref.url, load)

    def download(self, url: str) -> Download:
        """Stream an asset into the cache once per run; returns its path and sha256."""

        def load() -> Download:
            if self._max_download is not None:
                return self.fetcher.download(url, max_bytes=self._max_download)
            return self.fetcher.download(url)

        return self._downloads.get(url, load)

    # -- registries -------------------------------------------------------------------------

    def registry_bytes(self, reg: AquaRegistryRef) -> bytes:
        """The content of a ``github_content`` registry at its ref (raw, then contents API)."""
        assert reg.repo_owner and reg.repo_name and reg.ref
        owner, repo, ref = reg.repo_owner, reg.repo_name, reg.ref
        key = f"{owner}/{repo}/{ref}/{reg.path}"
        return self._registries.get(
            key,
            # cache-first: the content is checked against its aqua-checksums.json pin
            lambda: self.github.raw(
                owner, repo, ref, reg.path, max_bytes=MAX_REGISTRY_BYTES, cache_first=True
            ),
        )

    # -- GitHub release metadata ------------------------------------------------------------

    def release_digests(self, owner: str, repo: str, tag: str) -> dict[str, str | None]:
        """Asset name → sha256 digest GitHub records for the release (``None`` if absent)."""

        def load() -> dict[str, str | None]:
            release = self.github.release(owner, repo, tag)
            return {name: asset.digest for name, asset in release.assets.items()}

        return self._releases.get((owner, repo, tag), load)

    def attestation_bundles(self, owner: str, repo: str, sha256: str) -> list[bytes]:
        return self._attestations.get(
            (owner, repo, sha256), lambda: self.github.attestations(owner, repo, sha256)
        )

    # -- signatures -------------------------------------------------------------------------

    def verify_cosign(
        self, spec: CosignSpec, data: bytes | Path | DataArtifact, *, source: str
    ) -> str:
        """Verify a cosign declaration over ``data``; return the evidence kind."""
        from depguard.verify.sigstore import fetch_rekor_bundle, verify_cosign

        bundle = self.fetch(spec.bundle) if spec.bundle else None
        if bundle is None and spec.key is None and spec.signature and spec.certificate:
            # A detached keyless .sig + .pem has no trusted time: look the entry up in Rekor
            # (through the fetcher, so the answer is cached and replays --offline) and verify
            # the bundle it yields like any other.
            try:
                bundle = fetch_rekor_bundle(
                    self.fetcher,
                    data,
                    signature=self.fetch(spec.signature),
                    certificate=self.fetch(spec.certificate),
                    source=source,
                    rekor_url=self._rekor_url,
                )
            except NetworkError as e:
                raise UnsupportedError(
                    f"{source}: a detached cosign signature needs a Rekor lookup for a trusted "
                    f"time, which failed ({e.message}); run once online to cache it"
                ) from e
        verify_cosign(
            data,
            bundle=bundle,
            signature=self.fetch(spec.signature) if spec.signature and bundle is None else None,
            certificate=self.fetch(spec.certificate)
            if spec.certificate and bundle is None
            else None,
            key=self.fetch(spec.key) if spec.key else None,
            opts=spec.opts,
            source=source,
        )
        return "cosign"

    def verify_minisign(
        self, spec: MinisignSpec, data: bytes | Path | DataArtifact, *, source: str
    ) -> str:
        from depguard.verify.intoto import Artifact as DataArtifact
        from depguard.verify.minisign import verify_minisign

        if isinstance(data, DataArtifact):
            data = data.path if data.path is not None else data.read()
        verify_minisign(
            data,
            self.fetch(spec.signature),
            spec.public_key,
            allow_legacy=self._allow_legacy_minisign,
            source=source,
        )
        return "minisign"

    def verify_attestation(
        self, spec: AttestationSpec, data: bytes | Path | DataArtifact, sha256: str, *, source: str
    ) -> str:
        from depguard.verify.sigstore import verify_github_attestation

        bundles = self.attestation_bundles(spec.repo_owner, spec.repo_name, sha256)
        if not bundles:
            raise SignatureError(
                f"{source}: the registry declares GitHub artifact attestations, but "
                f"{spec.repo_owner}/{spec.repo_name} has none for sha256:{sha256}"
            )
        verify_github_attestation(
            data,
            bundles,
            repo=f"{spec.repo_owner}/{spec.repo_name}",
            signer_workflow=spec.signer_workflow,
            predicate_type=spec.predicate_type,
            source=source,
        )
        return "github-attestation"

    def verify_slsa(self, spec: SlsaSpec, data: bytes | Path | DataArtifact, *, source: str) -> str:
        from depguard.verify.sigstore import verify_slsa_provenance

        verify_slsa_provenance(
            data,
            self.fetch(spec.provenance, max_bytes=MAX_CHECKSUM_FILE_BYTES),
            source_uri=spec.source_uri,
            source_tag=spec.source_tag,
            source=source,
        )
        return "slsa"

    # -- checksum files ---------------------------------------------------------------------

    def checksum_file(self, spec: ChecksumFileSpec) -> CheckedFile:
        """Download a checksum file once and verify every signature declared for it, in aqua's
        order (GitHub attestation → cosign → minisign). Raises ``SignatureError`` when one
        fails, ``UnsupportedError`` when one cannot be checked, ``NetworkError``."""
        return self._checksum_files.get(spec_key(spec), lambda: self._load_checksum_file(spec))

    def _load_checksum_file(self, spec: ChecksumFileSpec) -> CheckedFile:
        import hashlib

        from depguard.util.text import decode_utf8

        # The signature material is known up front: fetch it alongside the checksum file
        # instead of one round trip later (errors are memoised and surface on use).
        material = [
            ref
            for ref in (
                *(
                    (spec.cosign.bundle, spec.cosign.signature, spec.cosign.certificate,
                     spec.cosign.key)
                    if spec.cosign is not None
                    else ()
                ),
                spec.minisign.signature if spec.minisign is not None else None,
            )
            if ref is not None
        ]  # fmt: skip
        with ThreadPoolExecutor(max_workers=max(1, len(material))) as pool:
            pending = [pool.submit(self.fetch, ref) for ref in material]
            data = self.fetch(spec.file, max_bytes=MAX_CHECKSUM_FILE_BYTES)
            for f in pending:
                f.exception()  # wait; a failure is raised again by the verifier's fetch
        source = spec.file.url
        sha256 = hashlib.sha256(data).hexdigest()
        evidence: list[str] = []
        if spec.attestations is not None:
            evidence.append(self.verify_attestation(spec.attestations, data, sha256, source=source))
        if spec.cosign is not None:
            evidence.append(self.verify_cosign(spec.cosign, data, source=source))
        if spec.minisign is not None:
            evidence.append(self.verify_minisign(spec.minisign, data, source=source))
        text = decode_utf8(data, source)
        return CheckedFile(url=source, text=text, sha256=sha256, evidence=tuple(evidence))

    # -- per artifact -----------------------------------------------------------------------

    def asset_signatures(
        self, artifact: Artifact, path: Path | DataArtifact, sha256: str
    ) -> tuple[str, ...]:
        """Verify every asset-level signature the registry declares for ``artifact``."""
        source = artifact.url or artifact.package
        evidence: list[str] = []
        if artifact.attestations is not None:
            evidence.append(
                self.verify_attestation(artifact.attestations, path, sha256, source=source)
            )
        if artifact.cosign is not None:
            evidence.append(self.verify_cosign(artifact.cosign, path, source=source))
        if artifact.slsa is not None:
            evidence.append(self.verify_slsa(artifact.slsa, path, source=source))
        if artifact.minisign is not None:
            evidence.append(self.verify_minisign(artifact.minisign, path, source=source))
        return tuple(evidence)

    def truth(self, artifact: Artifact, *, download: bool, allow_tofu: bool) -> ArtifactTruth:
        """The upstream checksum of ``artifact`` (never raises for upstream faults).

        ``download``: fetch and hash the asset (needed for asset-level signatures and when no
        checksum file exists). ``allow_tofu``: accept a checksum nothing upstream vouches for.
        """
        try:
            return self._truth(artifact, download=download, allow_tofu=allow_tofu)
        except (SignatureError, IntegrityError, InputError, NetworkError, UnsupportedError) as e:
            failure = failure_of(e)
            if failure is not None:
                return ArtifactTruth(failure=failure)
            return ArtifactTruth(unavailable=e.message)

    def _truth(self, artifact: Artifact, *, download: bool, allow_tofu: bool) -> ArtifactTruth:
        from depguard.verify.checksum_file import checksum_for, file_digest

        spec = artifact.checksum_file
        published: str | None = None
        algorithm = spec.algorithm if spec is not None else "sha256"
        evidence: list[str] = []
        trust: Trust | None = None
        if spec is not None:
            checked = self.checksum_file(spec)
            try:
                published = checksum_for(
                    checked.text,
                    artifact.asset or "",
                    algorithm=spec.algorithm,
                    file_format=spec.file_format,
                    pattern_checksum=spec.pattern_checksum,
                    pattern_file=spec.pattern_file,
                    source=checked.url,
                )
            except InputError as e:
                raise IntegrityError(f"the upstream checksum file is unusable: {e.message}") from e
            evidence.append("checksum-file")
            evidence.extend(checked.evidence)
            trust = "signed" if checked.evidence else "published"
        asset_signed = _has_asset_signatures(artifact)
        if not download:
            # Signatures over the asset itself need the asset: they are left for --deep (and
            # `checksums update`, which always verifies them), and said so.
            deferred = _asset_signature_kinds(artifact)
            if published is None:
                truth = self._release_digest_truth(artifact, allow_tofu=allow_tofu)
                return replace(truth, deferred=deferred)
            return ArtifactTruth(
                checksum=published,
                algorithm=algorithm,
                trust=trust,
                evidence=tuple(evidence),
                deferred=deferred,
            )
        if artifact.url is None:
            return ArtifactTruth(unavailable="the artifact has no download URL")
        if published is None and not asset_signed and not allow_tofu:
            return ArtifactTruth(unavailable=_TOFU_REASON)  # do not download for nothing
        got = self.download(artifact.url)
        computed = got.sha256 if algorithm == "sha256" else file_digest(got.path, algorithm)
        if published is not None and published.lower() != computed.lower():
            raise IntegrityError(
                f"{artifact.url}: the asset's {algorithm} is {computed}, but its checksum file "
                f"says {published.lower()}"
            )
        if asset_signed:
            evidence.extend(self.asset_signatures(artifact, got.path, got.sha256))
            trust = "signed"
        if trust is None:
            if not allow_tofu:
                return ArtifactTruth(unavailable=_TOFU_REASON)
            trust = "tofu"
            evidence.append("tofu")
        return ArtifactTruth(
            checksum=computed.lower(), algorithm=algorithm, trust=trust, evidence=tuple(evidence)
        )

    def corroborate(self, artifact: Artifact, sha256: str) -> str | None:
        """Compare ``sha256`` with the digest GitHub records for the release asset.

        Returns ``"release-digest"`` when they agree, ``None`` when there is nothing to compare
        (not a GitHub release, no digest recorded, the API unavailable: corroboration is extra
        evidence, never a requirement). Raises :class:`IntegrityError` when they disagree.
        """
        ref = _release_of(artifact)
        if ref is None or artifact.asset is None:
            return None
        try:
            digest = self.release_digests(*ref).get(artifact.asset)
        except (NetworkError, InputError) as e:
            log.info("%s: no release digest to corroborate with (%s)", artifact.asset, e.message)
            return None
        if digest is None:
            return None
        if digest.lower() != sha256.lower():
            raise IntegrityError(
                f"{artifact.url}: GitHub records sha256 {digest} for the release asset, but "
                f"the checksum is {sha256.lower()}"
            )
        return "release-digest"

    def _release_digest_truth(self, artifact: Artifact, *, allow_tofu: bool) -> ArtifactTruth:
        """No checksum file, no asset signature: GitHub's record of the asset is all there is."""
        if artifact.type != "github_release" or artifact.asset is None:
            return ArtifactTruth(unavailable=_TOFU_REASON if not allow_tofu else _NO_UPSTREAM)
        ref = _release_of(artifact)
        if ref is None:
            return ArtifactTruth(unavailable=_NO_UPSTREAM)
        digest = self.release_digests(*ref).get(artifact.asset)
        if digest is None:
            return ArtifactTruth(
                unavailable=f"{artifact.asset}: no checksum file and GitHub records no digest "
                "for the asset; run with --deep to hash it"
            )
        return ArtifactTruth(
            checksum=digest, algorithm="sha256", trust="tofu", evidence=("release-digest",)
        )


_TOFU_REASON = (
    "nothing upstream vouches for this asset (no checksum file, no signature): pass "
    "--allow-tofu to trust its current bytes"
)
_NO_UPSTREAM = "no upstream checksum or digest is available for this artifact"


def _asset_signature_kinds(artifact: Artifact) -> tuple[str, ...]:
    """Evidence kinds of the signatures declared over the asset itself."""
    declared = (
        ("github-attestation", artifact.attestations),
        ("cosign", artifact.cosign),
        ("slsa", artifact.slsa),
        ("minisign", artifact.minisign),
    )
    return tuple(kind for kind, spec in declared if spec is not None)


def _has_asset_signatures(artifact: Artifact) -> bool:
    return any(
        x is not None
        for x in (artifact.cosign, artifact.slsa, artifact.minisign, artifact.attestations)
    )


def _release_of(artifact: Artifact) -> tuple[str, str, str] | None:
    """(owner, repo, tag) of a github_release artifact's main download."""
    f = artifact.file
    if f is not None and f.kind == "github_release" and f.repo_owner and f.repo_name and f.tag:
        return f.repo_owner, f.repo_name, f.tag
    return None


def spec_key(spec: ChecksumFileSpec) -> str:
    """Memo key of a checksum file: its URL plus the signatures declared for it."""
    return repr(
        (spec.file.url, spec.cosign, spec.minisign, spec.attestations),
    )
