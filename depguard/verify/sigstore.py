"""Sigstore verification for aqua's cosign, slsa_provenance and github_artifact_attestations.

Everything runs in process and offline against the pinned trusted root
(:mod:`depguard.verify.trust_root`); sigstore-python 4.5.1's public ``Verifier`` does the
bundle cryptography (research/signatures.md §2.3: trusted time, Fulcio chain, SCT, policy,
inclusion proof + checkpoint, SET, signature, entry-body consistency).

Material is recognised by shape (:func:`bundle_candidates`, signatures.md §7.2):

========================================  ==================================================
shape                                     handling
========================================  ==================================================
``mediaType`` (Sigstore bundle 0.1–0.3)   sigstore-python ``verify_artifact`` / ``verify_dsse``
``base64Signature`` + ``rekorBundle``     :func:`~depguard.verify.cosign.verify_legacy_bundle`
``payloadType`` + ``signatures[].cert``   bare DSSE (slsa-github-generator ≤ v2.0.0):
                                          ``UnsupportedError`` — needs a Rekor search
JSON Lines                                one candidate per line; passes if any verifies
``{"attestations": [{"bundle": …}]}``     GitHub attestations API response: one per bundle
========================================  ==================================================

Recognised but unverifiable material is reported as :class:`UnsupportedError` with the
reason, never as a pass: ``intoto/0.0.2`` log entries (npm provenance, BYOB builders), bundles
without a transparency-log entry (GitHub's private-repository Sigstore instance, TSA only),
entries without an inclusion proof and checkpoint, managed-key bundles in the keyless path,
detached ``.sig`` + ``.pem`` (no trusted time without an online Rekor lookup).

Errors from sigstore-python (``VerificationError``, ``InvalidBundle``, anything it raises on
odd input) become :class:`SignatureError` naming ``source``; input that is not JSON becomes
:class:`InputError`. ``sigstore`` is imported inside functions (CONVENTIONS §15).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography.hazmat.primitives import serialization

from depguard.errors import (
    DepguardError,
    InputError,
    IntegrityError,
    SignatureError,
    UnsupportedError,
)
from depguard.verify.cosign import (
    GITHUB_ACTIONS_ISSUER,
    BundleResult,
    CertIdentity,
    CertificatePolicy,
    ExactIssuer,
    ExtensionEquals,
    PolicySet,
    RegexIdentity,
    SourceRepository,
    SourceRepositoryRef,
    load_certificate,
    parse_cosign_opts,
    policy_from_opts,
    verify_keyed,
    verify_legacy_bundle,
)
from depguard.verify.intoto import (
    SLSA_PROVENANCE_V02,
    SLSA_PROVENANCE_V1,
    Artifact,
    Statement,
    check_predicate_type,
    check_slsa_provenance,
    check_subject,
    parse_statement,
)
from depguard.verify.trust_root import (
    TrustMaterial,
    load_trusted_root,
    resolve_trust_material,
)

if TYPE_CHECKING:
    from cryptography import x509

    from depguard.net.fetcher import Fetcher

__all__ = [
    "DEFAULT_ATTESTATION_PREDICATE",
    "SLSA_BUILDER_PATTERN",
    "BundleResult",
    "Candidate",
    "bundle_candidates",
    "fetch_rekor_bundle",
    "load_trusted_root",
    "verify_bundle",
    "verify_cosign",
    "verify_github_attestation",
    "verify_slsa_provenance",
]

log = logging.getLogger(__name__)

BundleKind = Literal["sigstore-bundle", "cosign-legacy-bundle", "bare-dsse"]

# gh attestation verify: --predicate-type defaults to SLSA provenance v1.
DEFAULT_ATTESTATION_PREDICATE = SLSA_PROVENANCE_V1
# slsa-verifier's default trusted builders for verify-artifact
# (verifiers/internal/gha/builder.go defaultArtifactTrustedReusableWorkflows), pinned at a full
# semver tag vX.Y.Z without pre-release or build metadata (verifyTrustedBuilderRef).
SLSA_BUILDER_PATTERN = (
    r"^https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/"
    r"(?:generator_generic_slsa3|builder_go_slsa3|builder_docker-based_slsa3)\.yml"
    r"@refs/tags/v(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$"
)
# gh attestation verify: a --signer-workflow that starts with a host name is used as is.
_GH_HOST_RE = re.compile(r"^[a-zA-Z0-9-]+\.[a-zA-Z0-9-]+.*$")
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One piece of signature material found in a file."""

    kind: BundleKind
    doc: Mapping[str, Any]
    line: int | None  # 1-based line for JSON Lines input

    def where(self, source: str) -> str:
        """``source`` or ``source:line``."""
        return source if self.line is None else f"{source}:{self.line}"


def _kind(doc: Mapping[str, Any], where: str) -> BundleKind:
    media_type = doc.get("mediaType")
    if isinstance(media_type, str) and media_type.startswith("application/vnd.dev.sigstore.bundle"):
        return "sigstore-bundle"
    if "base64Signature" in doc:
        return "cosign-legacy-bundle"
    signatures = doc.get("signatures")
    if "payloadType" in doc and isinstance(signatures, list):
        return "bare-dsse"
    raise SignatureError(f"{where}: not a Sigstore bundle, cosign bundle or DSSE envelope")


def bundle_candidates(raw: bytes, *, source: str) -> list[Candidate]:
    """Split signature material into candidates (see the module docstring for the shapes).

    Raises:
        InputError: neither JSON nor JSON Lines (names the first bad line).
        SignatureError: JSON that is not any known signature shape.
    """
    docs: list[tuple[Any, int | None]]
    try:
        docs = [(json.loads(raw), None)]
    except (ValueError, UnicodeDecodeError):
        docs = []
        for number, text in enumerate(raw.splitlines(), start=1):
            if not text.strip():
                continue
            try:
                docs.append((json.loads(text), number))
            except (ValueError, UnicodeDecodeError) as e:
                raise InputError(source, f"not JSON or JSON Lines ({e})", line=number) from e
    if not docs:
        raise InputError(source, "empty signature material")
    candidates: list[Candidate] = []
    for doc, line in docs:
        where = source if line is None else f"{source}:{line}"
        if isinstance(doc, dict) and isinstance(doc.get("attestations"), list):
            # GitHub REST API: {"attestations": [{"bundle": {...}, "repository_id": …}]}
            for item in doc["attestations"]:
                inner = item.get("bundle") if isinstance(item, dict) else None
                if not isinstance(inner, dict):
                    raise SignatureError(f"{where}: attestation without a bundle")
                candidates.append(Candidate(kind=_kind(inner, where), doc=inner, line=line))
            continue
        if not isinstance(doc, dict):
            raise SignatureError(f"{where}: signature material is not a JSON object")
        candidates.append(Candidate(kind=_kind(doc, where), doc=doc, line=line))
    if not candidates:
        raise SignatureError(f"{source}: no attestation in the file")
    return candidates


def _first_of(
    candidates: Sequence[Candidate], check: Callable[[Candidate], BundleResult], source: str
) -> BundleResult:
    """Return the first candidate that verifies; otherwise raise the most telling error.

    A verification failure outranks "unsupported": material that fails is a finding even
    when another line is of a kind depguard cannot check.
    """
    failures: list[DepguardError] = []
    for candidate in candidates:
        try:
            return check(candidate)
        except (IntegrityError, UnsupportedError) as e:  # InputError is not per-candidate
            log.debug("%s: candidate rejected: %s", candidate.where(source), e)
            failures.append(e)
    if len(failures) == 1:
        raise failures[0]
    reasons = "; ".join(str(e) for e in failures)
    if all(isinstance(e, UnsupportedError) for e in failures):
        raise UnsupportedError(f"{source}: no candidate could be checked: {reasons}")
    raise SignatureError(f"{source}: none of {len(failures)} candidates verifies: {reasons}")


# --------------------------------------------------------------------------- Sigstore bundles


def _preflight(doc: Mapping[str, Any], where: str) -> None:
    """Report bundle features sigstore-python 4.5.1 cannot verify offline as unsupported."""
    material = doc.get("verificationMaterial")
    if not isinstance(material, dict):
        raise SignatureError(f"{where}: Sigstore bundle without verificationMaterial")
    if "publicKey" in material and not (
        "certificate" in material or "x509CertificateChain" in material
    ):
        raise UnsupportedError(
            f"{where}: bundle is signed with a managed key, not a Fulcio certificate; "
            "verify it with the public key (cosign --key)"
        )
    entries = material.get("tlogEntries")
    if not entries:
        raise UnsupportedError(
            f"{where}: bundle has no transparency log entry (timestamp-authority only, as "
            "GitHub's Sigstore instance issues for private repositories)"
        )
    first = entries[0] if isinstance(entries, list) else None
    if not isinstance(first, dict):
        raise SignatureError(f"{where}: malformed tlogEntries")
    kind_version = first.get("kindVersion") or {}
    kind = kind_version.get("kind") if isinstance(kind_version, dict) else None
    if kind == "intoto":
        raise UnsupportedError(
            f"{where}: log entry kind intoto/{kind_version.get('version')} is not supported "
            "(sigstore-python verifies dsse and hashedrekord entries only)"
        )
    proof = first.get("inclusionProof")
    if not isinstance(proof, dict) or not proof.get("checkpoint"):
        raise UnsupportedError(
            f"{where}: log entry has no inclusion proof with checkpoint; completing it needs "
            "an online Rekor lookup"
        )


def _sigstore_bundle(
    candidate: Candidate,
    artifact: Artifact,
    policy: CertificatePolicy,
    trust: TrustMaterial,
    source: str,
) -> tuple[BundleResult, x509.Certificate]:
    """Verify one Sigstore bundle with sigstore-python; DSSE payloads must name the artifact."""
    from cryptography.x509 import ExtensionNotFound
    from sigstore.errors import Error as SigstoreError
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle
    from sigstore_models.common.v1 import HashAlgorithm

    where = candidate.where(source)
    _preflight(candidate.doc, where)
    try:
        bundle = Bundle.from_json(json.dumps(candidate.doc))
    except (SigstoreError, ValueError) as e:
        raise SignatureError(f"{where}: invalid Sigstore bundle: {e}") from e
    verifier = trust.verifier()
    statement: Statement | None = None
    try:
        if candidate.doc.get("dsseEnvelope") is not None:
            payload_type, payload = verifier.verify_dsse(bundle, policy)
            content = "dsse"
        else:
            data: bytes | Hashed
            if artifact.path is None:
                data = artifact.read()
            else:  # stream: sigstore-python accepts a precomputed SHA-256
                data = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=artifact.digest("sha256"))
            verifier.verify_artifact(data, bundle, policy)
            content = "message-signature"
    except (SigstoreError, ValueError, ExtensionNotFound) as e:
        raise SignatureError(f"{where}: {e}") from e
    if content == "dsse":
        statement = parse_statement(payload_type, payload, source=where)
        check_subject(statement, artifact, source=where)
    cert = bundle.signing_certificate
    identity = CertIdentity.from_certificate(cert)
    entry = candidate.doc["verificationMaterial"]["tlogEntries"][0]
    log_index = entry.get("logIndex")
    result = BundleResult(
        format="sigstore-bundle",
        content=content,
        identities=identity.sans,
        issuer=identity.issuer,
        log_index=int(log_index) if isinstance(log_index, int | str) else None,
        statement=statement,
    )
    return result, cert


def _check_candidate(
    candidate: Candidate,
    artifact: Artifact,
    policy: CertificatePolicy,
    trust: TrustMaterial,
    source: str,
) -> BundleResult:
    where = candidate.where(source)
    if candidate.kind == "sigstore-bundle":
        return _sigstore_bundle(candidate, artifact, policy, trust, source)[0]
    if candidate.kind == "cosign-legacy-bundle":
        return verify_legacy_bundle(
            artifact, candidate.doc, policy, trusted_root=trust, source=where
        )
    raise UnsupportedError(
        f"{where}: bare DSSE envelope with an embedded certificate (slsa-github-generator "
        "≤ v2.0.0 format) has no transparency log data: needs an online Rekor search"
    )


def verify_bundle(
    data: bytes | Path | Artifact,
    bundle: bytes,
    policy: CertificatePolicy,
    *,
    source: str,
    trusted_root: TrustMaterial | Path | None = None,
) -> BundleResult:
    """Verify signature material ``bundle`` over ``data`` under ``policy``, offline.

    ``bundle`` may be a Sigstore bundle (message signature or DSSE; a DSSE statement must
    list the artifact as a subject), a cosign legacy bundle, or JSON Lines of those (passes
    if any line verifies). Files are hashed in streaming fashion. ``trusted_root`` defaults
    to the pinned production root.

    Returns:
        What was verified (format, identity, issuer, log index, statement).

    Raises:
        InputError: not JSON / JSON Lines, or the artifact cannot be read.
        SignatureError: verification failed (the message names ``source`` and the reason).
        IntegrityError: a DSSE statement does not list the artifact.
        UnsupportedError: material depguard recognises but cannot verify offline.
    """
    trust = resolve_trust_material(trusted_root)
    artifact = data if isinstance(data, Artifact) else Artifact(data)
    candidates = bundle_candidates(bundle, source=source)
    return _first_of(
        candidates, lambda c: _check_candidate(c, artifact, policy, trust, source), source
    )


# --------------------------------------------------------------------------- cosign dispatch


def verify_cosign(
    data: bytes | Path | Artifact,
    *,
    bundle: bytes | None = None,
    signature: bytes | None = None,
    certificate: bytes | None = None,
    key: bytes | None = None,
    opts: Sequence[str] = (),
    source: str,
    trusted_root: TrustMaterial | Path | None = None,
) -> str:
    """Verify an aqua ``cosign`` check: ``opts`` plus the downloaded material.

    * ``key`` (aqua ``cosign.key`` or ``--key`` in opts) → keyed: the signature (detached,
      or from ``bundle``) must verify with the key; a bundle's Rekor entry is checked too
      unless ``--insecure-ignore-tlog``.
    * ``bundle`` → keyless: :func:`verify_bundle` under :func:`policy_from_opts`.
    * ``signature`` + ``certificate`` only → ``UnsupportedError`` (needs an online Rekor
      lookup for a trusted time).

    ``--bundle/--signature/--certificate/--key`` values inside ``opts`` are URLs for the
    caller to download; pass the bytes here.

    Returns:
        A one-line summary of what verified.

    Raises:
        InputError: bad opts, keyless opts without identity/issuer, missing material.
        SignatureError / IntegrityError: verification failed.
        UnsupportedError: material that cannot be verified offline.
    """
    options = parse_cosign_opts(opts, where=source)
    if key is not None or options.key is not None:
        if key is None:
            raise InputError(source, f"cosign opts name --key {options.key} but no key was given")
        if signature is None and bundle is None:
            raise InputError(source, "keyed cosign verification needs a signature or a bundle")
        result = verify_keyed(
            data,
            key,
            signature=signature,
            bundle=bundle,
            ignore_tlog=options.insecure_ignore_tlog,
            trusted_root=trusted_root,
            source=source,
        )
        return result.summary()
    policy = policy_from_opts(opts, where=source)
    assert policy is not None  # keyless: policy_from_opts raised or built one
    if bundle is not None:
        return verify_bundle(
            data, bundle, policy, source=source, trusted_root=trusted_root
        ).summary()
    if signature is not None and certificate is not None:
        raise UnsupportedError(
            f"{source}: detached cosign signature and certificate carry no trusted time; "
            "verification needs an online Rekor lookup"
        )
    raise InputError(
        source, "keyless cosign verification needs a bundle, or a signature and a certificate"
    )


# --------------------------------------------------------------------------- attestations


def _check_owner_repo(repo: str, source: str) -> tuple[str, str]:
    if not _REPO_RE.fullmatch(repo):
        raise InputError(source, f"repository {repo!r} is not OWNER/NAME")
    owner, _, name = repo.partition("/")
    return owner, name


def _signer_regexp(repo: str, signer_workflow: str | None) -> str:
    """The SAN regular expression ``gh attestation verify`` builds
    (cli/cli ``pkg/cmd/attestation/verify/policy.go``)."""
    if signer_workflow:
        if _GH_HOST_RE.match(signer_workflow):
            return f"^https://{signer_workflow}"
        return f"^https://github.com/{signer_workflow}"
    return f"(?i)^https://github.com/{repo}/"


def _predicate_type(candidate: Candidate) -> str | None:
    """The (unauthenticated) predicate type of a DSSE bundle, for gh's pre-filtering."""
    envelope = candidate.doc.get("dsseEnvelope")
    try:
        payload = json.loads(base64.b64decode(envelope["payload"]))  # type: ignore[index]
        value = payload.get("predicateType")
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def verify_github_attestation(
    data: bytes | Path | Artifact,
    bundles: Sequence[bytes],
    *,
    repo: str,
    signer_workflow: str | None,
    predicate_type: str | None,
    source: str,
    issuer: str = GITHUB_ACTIONS_ISSUER,
    trusted_root: TrustMaterial | Path | None = None,
) -> str:
    """Verify GitHub artifact attestations like ``gh attestation verify -R repo``.

    ``bundles`` are attestation bundles (JSON, JSON Lines or the REST API response). As in
    cli/cli: attestations whose predicate type is not ``predicate_type`` (default SLSA
    provenance v1) are ignored; one that verifies suffices. The certificate must name
    source repository ``https://github.com/<repo>`` and its owner, the OIDC ``issuer``, and a
    SAN matching ``^https://github.com/<signer_workflow>`` (or, without a signer workflow,
    ``(?i)^https://github.com/<repo>/``); the statement must list the artifact's digest.

    Returns:
        A one-line summary naming the signer workflow and predicate type.

    Raises:
        InputError: ``repo`` is not OWNER/NAME, a bad regular expression, or bad JSON.
        SignatureError / IntegrityError: no attestation verifies.
        UnsupportedError: only attestations depguard cannot verify offline were found
            (e.g. private-repository, timestamp-only bundles).
    """
    owner, _ = _check_owner_repo(repo, source)
    expected_predicate = predicate_type or DEFAULT_ATTESTATION_PREDICATE
    policy = PolicySet(
        [
            ExactIssuer(issuer),
            RegexIdentity(_signer_regexp(repo, signer_workflow), where=source),
            ExtensionEquals("SourceRepositoryURI", f"https://github.com/{repo}"),
            ExtensionEquals("SourceRepositoryOwnerURI", f"https://github.com/{owner}"),
        ]
    )
    trust = resolve_trust_material(trusted_root)
    artifact = data if isinstance(data, Artifact) else Artifact(data)
    candidates: list[Candidate] = []
    for index, raw in enumerate(bundles, start=1):
        where = source if len(bundles) == 1 else f"{source}#{index}"
        candidates.extend(bundle_candidates(raw, source=where))
    if not candidates:
        raise SignatureError(f"{source}: no attestations for {repo}")
    matching = [
        c
        for c in candidates
        if c.kind != "sigstore-bundle" or _predicate_type(c) in (None, expected_predicate)
    ]
    if not matching:
        raise SignatureError(
            f"{source}: no attestation with predicate type {expected_predicate} "
            f"({len(candidates)} attestation(s) of other types)"
        )

    def check(candidate: Candidate) -> BundleResult:
        where = candidate.where(source)
        if candidate.kind != "sigstore-bundle":
            raise SignatureError(f"{where}: not a Sigstore attestation bundle")
        if candidate.doc.get("dsseEnvelope") is None:
            raise SignatureError(f"{where}: attestation bundle has no DSSE envelope")
        result, _ = _sigstore_bundle(candidate, artifact, policy, trust, source)
        assert result.statement is not None
        check_predicate_type(result.statement, expected_predicate, source=where)
        return result

    result = _first_of(matching, check, source)
    return f"GitHub attestation of {repo}: {result.summary()}"


def _normalise_source_uri(source_uri: str, source: str) -> str:
    """slsa-verifier ``--source-uri``: ``github.com/OWNER/REPO`` (scheme optional)."""
    uri = source_uri.removeprefix("git+").removeprefix("https://").removeprefix("http://")
    uri = uri.removesuffix(".git").rstrip("/")
    if not uri.startswith("github.com/") or not _REPO_RE.fullmatch(uri.removeprefix("github.com/")):
        raise InputError(
            source, f"SLSA source URI {source_uri!r} is not a github.com/OWNER/REPO repository"
        )
    return uri


def verify_slsa_provenance(
    data: bytes | Path | Artifact,
    provenance: bytes,
    *,
    source_uri: str,
    source_tag: str | None,
    source: str,
    trusted_root: TrustMaterial | Path | None = None,
) -> str:
    """Verify SLSA provenance like ``slsa-verifier verify-artifact`` (aqua's slsa_provenance).

    ``provenance`` is an ``.intoto.jsonl`` file. Each line that is a Sigstore bundle
    (slsa-github-generator ≥ v2.1.0, dsse/0.0.1) is checked offline: OIDC issuer
    ``https://token.actions.githubusercontent.com``; the SAN is a trusted slsa-github-generator
    builder at a ``vX.Y.Z`` tag (:data:`SLSA_BUILDER_PATTERN`); the certificate's source
    repository is ``source_uri`` and, with ``source_tag``, its ref ``refs/tags/<tag>``; then
    the statement (:func:`~depguard.verify.intoto.check_slsa_provenance`, subject digest).
    One verifying line suffices.

    Returns:
        A one-line summary naming builder and source.

    Raises:
        InputError: bad ``source_uri`` or JSON.
        SignatureError / IntegrityError: verification failed.
        UnsupportedError: only bare DSSE lines (≤ v2.0.0, need a Rekor search) or
            intoto/0.0.2 bundles (BYOB and container builders).
    """
    repository = _normalise_source_uri(source_uri, source)
    owner_repo = repository.removeprefix("github.com/")
    children: list[CertificatePolicy] = [
        ExactIssuer(GITHUB_ACTIONS_ISSUER),
        RegexIdentity(SLSA_BUILDER_PATTERN, where=source),
        SourceRepository(owner_repo),
    ]
    if source_tag is not None:
        children.append(SourceRepositoryRef(f"refs/tags/{source_tag}"))
    policy = PolicySet(children)
    trust = resolve_trust_material(trusted_root)
    artifact = data if isinstance(data, Artifact) else Artifact(data)

    def check(candidate: Candidate) -> BundleResult:
        where = candidate.where(source)
        if candidate.kind == "cosign-legacy-bundle":
            raise SignatureError(f"{where}: a cosign blob signature is not SLSA provenance")
        if candidate.kind == "bare-dsse":
            return _check_candidate(candidate, artifact, policy, trust, source)
        if candidate.doc.get("dsseEnvelope") is None:
            raise SignatureError(f"{where}: provenance bundle has no DSSE envelope")
        result, cert = _sigstore_bundle(candidate, artifact, policy, trust, source)
        statement = result.statement
        assert statement is not None
        if statement.predicate_type not in (SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1):
            raise SignatureError(
                f"{where}: predicate type {statement.predicate_type!r} is not SLSA provenance"
            )
        builder = next(
            (s for s in CertIdentity.from_certificate(cert).sans if s.startswith("https://")),
            "",
        )
        check_slsa_provenance(
            statement,
            builder_id=builder,
            source_repository=repository,
            source_tag=source_tag,
            source=where,
        )
        return result

    result = _first_of(bundle_candidates(provenance, source=source), check, source)
    return f"SLSA provenance for {repository}: {result.summary()}"


# --------------------------------------------------------------------------- online: Rekor lookup

REKOR_URL = "https://rekor.sigstore.dev"
_MAX_REKOR_ENTRY_BYTES = 512 * 1024


def _pem_candidates(certificate: bytes, source: str) -> list[bytes]:
    """PEM encodings under which cosign may have logged ``certificate``: as given (PEM or
    base64 of PEM) and cryptography's canonical re-encoding."""
    given = certificate.strip()
    if not given.startswith(b"-----BEGIN"):
        try:
            given = base64.b64decode(given, validate=True).strip()
        except ValueError:
            given = b""
    canonical = load_certificate(certificate, source=source).public_bytes(
        serialization.Encoding.PEM
    )
    candidates = [given + b"\n"] if given.startswith(b"-----BEGIN") else []
    if canonical not in candidates:
        candidates.append(canonical)
    return candidates


def fetch_rekor_bundle(
    fetcher: Fetcher,
    data: bytes | Path | Artifact,
    *,
    signature: bytes,
    certificate: bytes,
    source: str,
    rekor_url: str = REKOR_URL,
    timeout: float = 30.0,
) -> bytes:
    """Online, at lock time: turn a detached cosign ``.sig`` + ``.pem`` into a Sigstore bundle.

    Rebuilds the ``hashedrekord`` 0.0.1 entry cosign logged for this artifact digest,
    signature and certificate, derives its entry UUID (RFC 6962 leaf hash of the canonical
    body) and fetches ``GET {rekor_url}/api/v1/log/entries/{uuid}`` through ``fetcher``. The
    entry (with inclusion proof, checkpoint and SET) is packed with the certificate and the
    signature into a v0.3 bundle, which is **not yet verified**: store it and verify it with
    :func:`verify_cosign` (``bundle=``) or :func:`verify_bundle`, offline.

    Raises:
        NetworkError: the Rekor request failed.
        SignatureError: Rekor has no entry for this signature (cosign would refuse it too),
            or the certificate/signature cannot be parsed.
        IntegrityError: Rekor answered with an entry for different content.
        UnsupportedError: the entry has no inclusion proof.
    """
    import rfc8785

    artifact = data if isinstance(data, Artifact) else Artifact(data)
    text = signature.strip()
    try:
        raw_signature = base64.b64decode(text, validate=True)
    except ValueError:
        raw_signature = signature
    cert = load_certificate(certificate, source=source)
    base = rekor_url.rstrip("/")
    for pem in _pem_candidates(certificate, source):
        body = rfc8785.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {
                        "hash": {"algorithm": "sha256", "value": artifact.hexdigest("sha256")}
                    },
                    "signature": {
                        "content": base64.b64encode(raw_signature).decode(),
                        "publicKey": {"content": base64.b64encode(pem).decode()},
                    },
                },
            }
        )
        uuid = hashlib.sha256(b"\x00" + body).hexdigest()  # RFC 6962 §2.1 leaf hash
        url = f"{base}/api/v1/log/entries/{uuid}"
        response = fetcher.get(
            url, max_bytes=_MAX_REKOR_ENTRY_BYTES, timeout=timeout, ok_statuses=(200, 404)
        )
        if response.status == 404:
            continue
        document = response.json()
        if not isinstance(document, dict) or len(document) != 1:
            raise IntegrityError(f"{url}: expected exactly one log entry")
        (entry,) = document.values()
        try:
            logged = base64.b64decode(entry["body"])
            verification = entry["verification"]
            promise = verification["signedEntryTimestamp"]
            proof = verification.get("inclusionProof")
            log_index, log_id = int(entry["logIndex"]), bytes.fromhex(entry["logID"])
            integrated_time = int(entry["integratedTime"])
        except (KeyError, TypeError, ValueError) as e:
            raise IntegrityError(f"{url}: malformed Rekor entry ({e!r})") from e
        if logged != body:
            raise IntegrityError(f"{url}: Rekor returned an entry for different content")
        if not isinstance(proof, dict) or not proof.get("checkpoint"):
            raise UnsupportedError(f"{url}: Rekor entry has no inclusion proof with checkpoint")
        try:
            inclusion_proof = {
                "logIndex": str(int(proof["logIndex"])),
                "rootHash": base64.b64encode(bytes.fromhex(proof["rootHash"])).decode(),
                "treeSize": str(int(proof["treeSize"])),
                "hashes": [base64.b64encode(bytes.fromhex(h)).decode() for h in proof["hashes"]],
                "checkpoint": {"envelope": str(proof["checkpoint"])},
            }
        except (KeyError, TypeError, ValueError) as e:
            raise IntegrityError(f"{url}: malformed inclusion proof ({e!r})") from e
        bundle = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {
                    "rawBytes": base64.b64encode(
                        cert.public_bytes(serialization.Encoding.DER)
                    ).decode()
                },
                "tlogEntries": [
                    {
                        "logIndex": str(log_index),
                        "logId": {"keyId": base64.b64encode(log_id).decode()},
                        "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                        "integratedTime": str(integrated_time),
                        "inclusionPromise": {"signedEntryTimestamp": promise},
                        "inclusionProof": inclusion_proof,
                        "canonicalizedBody": base64.b64encode(body).decode(),
                    }
                ],
            },
            "messageSignature": {
                "messageDigest": {
                    "algorithm": "SHA2_256",
                    "digest": base64.b64encode(artifact.digest("sha256")).decode(),
                },
                "signature": base64.b64encode(raw_signature).decode(),
            },
        }
        return json.dumps(bundle, indent=2).encode() + b"\n"
    raise SignatureError(
        f"{source}: {base} has no transparency log entry for this signature and certificate"
    )
