"""A throwaway local "Sigstore instance" for tests and benchmarks, built with ``cryptography``.

:meth:`SigstoreInstance.create` makes, in memory, everything a public-good Sigstore
deployment signs with, and writes a ``trusted_root.json`` naming it (the protobuf-specs
``TrustedRoot`` v0.1 JSON that ``manifests/sigstore/trusted_root.json`` uses):

* a Fulcio-like certificate authority: a root CA and, by default, an intermediate that
  issues the leaf certificates (listed issuing certificate first, root last);
* a certificate-transparency log key that signs the SCT embedded in every leaf;
* a Rekor (v1) log key that signs inclusion promises (SETs) and checkpoints.

Each ``logId.keyId`` is the SHA-256 of the key's DER ``SubjectPublicKeyInfo`` (RFC 6962
§3.2), which is what sigstore-python's keyrings and depguard's :class:`TrustMaterial` match.
No timestamp authority: times come from the log's integrated time, as for Rekor v1.

Signing (no network, no OIDC): :meth:`SigstoreInstance.sign` returns a Sigstore bundle v0.3
(``application/vnd.dev.sigstore.bundle.v0.3+json``) with a message signature and one
``hashedrekord`` 0.0.1 log entry; :meth:`SigstoreInstance.sign_dsse` one with a DSSE envelope
and a ``dsse`` 0.0.1 entry (in-toto attestations); :meth:`SigstoreInstance.sign_legacy` a
cosign legacy bundle (``base64Signature``/``cert``/``rekorBundle``, SET only). What they
contain follows what sigstore-python 4.5.1 verifies (``sigstore/verify/verifier.py``,
``sigstore/models.py``, ``sigstore/_internal/{sct,merkle}.py``,
``sigstore/_internal/rekor/checkpoint.py``):

1. Leaf certificate, Fulcio profile: empty subject, critical SAN (URI, or e-mail when the
   identity has no scheme), KeyUsage digitalSignature, EKU codeSigning, SKI/AKI, the OIDC
   issuer both as ``1.3.6.1.4.1.57264.1.1`` (raw bytes) and ``…1.8`` (DER UTF8String), any
   further Fulcio extensions by name, a 10-minute validity around the signing time.
2. Embedded SCT (RFC 6962 §3.2-3.3): a ``precert_entry`` over the issuer's key hash and the
   TBSCertificate *without* the SCT list extension, which is exactly what cryptography's
   ``tbs_precertificate_bytes`` of the final certificate gives back; v1, SHA-256/ECDSA,
   serialised as a ``SignedCertificateTimestampList`` in extension ``1.3.6.1.4.1.11129.2.4.2``.
3. Log entry: the canonical (RFC 8785) entry body, ``integratedTime``, ``logIndex``, an
   inclusion promise = ECDSA over RFC 8785 JSON of ``{body, integratedTime, logID,
   logIndex}`` (Rekor's SET), and an inclusion proof in this instance's Merkle tree
   (RFC 6962 §2.1; every signature appends a leaf) with a checkpoint signed as a Rekor
   "signed note": ``<origin> - <tree id>\\n<size>\\n<b64 root>\\n\\n— <name> <b64(key
   hint[4] + signature)>\\n``.

All artefacts verify with ``depguard.verify.sigstore.verify_bundle`` / ``verify_cosign`` /
``verify_github_attestation`` given ``trusted_root=inst.trusted_root_path`` (or
``DEPGUARD_SIGSTORE_TRUSTED_ROOT`` pointing at it), and with sigstore-python directly; the
pinned production root rejects them. Private keys never leave the process.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import struct
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

__all__ = [
    "BUNDLE_MEDIA_TYPE",
    "DEFAULT_IDENTITY",
    "DEFAULT_ISSUER",
    "FULCIO_EXTENSIONS",
    "INTOTO_PAYLOAD_TYPE",
    "SigstoreInstance",
    "github_workflow_extensions",
    "intoto_statement",
]

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
INTOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1"
DEFAULT_IDENTITY = "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0"
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"

_FULCIO_OID = "1.3.6.1.4.1.57264.1."
# Fulcio extensions by the names depguard's policies use (depguard/verify/cosign.py), with
# their OID arc and encoding: "raw" = the bytes of the string (deprecated 1.1-1.6), "der" =
# a DER UTF8String (1.8 onwards). See Fulcio's docs/oid-info.md.
FULCIO_EXTENSIONS: Mapping[str, tuple[int, str]] = {
    "Issuer": (1, "raw"),
    "GitHubWorkflowTrigger": (2, "raw"),
    "GitHubWorkflowSHA": (3, "raw"),
    "GitHubWorkflowName": (4, "raw"),
    "GitHubWorkflowRepository": (5, "raw"),
    "GitHubWorkflowRef": (6, "raw"),
    "IssuerV2": (8, "der"),
    "BuildSignerURI": (9, "der"),
    "BuildSignerDigest": (10, "der"),
    "RunnerEnvironment": (11, "der"),
    "SourceRepositoryURI": (12, "der"),
    "SourceRepositoryDigest": (13, "der"),
    "SourceRepositoryRef": (14, "der"),
    "SourceRepositoryIdentifier": (15, "der"),
    "SourceRepositoryOwnerURI": (16, "der"),
    "SourceRepositoryOwnerIdentifier": (17, "der"),
    "BuildConfigURI": (18, "der"),
    "BuildConfigDigest": (19, "der"),
    "BuildTrigger": (20, "der"),
    "RunInvocationURI": (21, "der"),
    "SourceRepositoryVisibilityAtSigning": (22, "der"),
}
_SCT_LIST_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
_LEAF_VALIDITY = dt.timedelta(minutes=10)  # Fulcio's certificate lifetime
_CHUNK = 1024 * 1024


# --------------------------------------------------------------------------- encodings


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962 §3.2 log id: SHA-256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(_spki(key)).digest()


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_utf8string(text: str) -> bytes:
    raw = text.encode()
    return b"\x0c" + _der_length(len(raw)) + raw


def _der_octet_string(raw: bytes) -> bytes:
    return b"\x04" + _der_length(len(raw)) + raw


def _u24(n: int) -> bytes:
    if n >= 1 << 24:
        raise ValueError(f"{n} does not fit in a TLS uint24")
    return n.to_bytes(3, "big")


def _rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(when: dt.datetime | None) -> dt.datetime:
    if when is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    if when.tzinfo is None:
        raise ValueError("pass an aware datetime")
    return when.astimezone(dt.UTC)


def _digest(data: bytes | Path) -> bytes:
    """SHA-256 of bytes or of a file (streamed: benchmark artifacts are large)."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).digest()
    h = hashlib.sha256()
    with data.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.digest()


def intoto_statement(
    subjects: Mapping[str, bytes | Path],
    *,
    predicate_type: str = "https://slsa.dev/provenance/v1",
    predicate: Mapping[str, Any] | None = None,
) -> bytes:
    """An in-toto Statement v1 (JSON bytes) naming ``subjects`` (name → content) by sha256."""
    doc = {
        "_type": INTOTO_STATEMENT_V1,
        "subject": [
            {"name": name, "digest": {"sha256": _digest(data).hex()}}
            for name, data in subjects.items()
        ],
        "predicateType": predicate_type,
        "predicate": dict(predicate or {}),
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def github_workflow_extensions(
    repo: str,
    *,
    ref: str = "refs/tags/v1.0.0",
    workflow: str = ".github/workflows/release.yml",
    sha: str = "0" * 40,
    trigger: str = "push",
    host: str = "https://github.com",
) -> dict[str, str]:
    """The Fulcio extensions a GitHub Actions certificate carries for ``repo`` (OWNER/NAME)."""
    owner = repo.split("/", 1)[0]
    signer = f"{host}/{repo}/{workflow}@{ref}"
    return {
        "GitHubWorkflowTrigger": trigger,
        "GitHubWorkflowSHA": sha,
        "GitHubWorkflowRepository": repo,
        "GitHubWorkflowRef": ref,
        "BuildSignerURI": signer,
        "BuildSignerDigest": sha,
        "RunnerEnvironment": "github-hosted",
        "SourceRepositoryURI": f"{host}/{repo}",
        "SourceRepositoryDigest": sha,
        "SourceRepositoryRef": ref,
        "SourceRepositoryOwnerURI": f"{host}/{owner}",
        "BuildConfigURI": signer,
        "BuildConfigDigest": sha,
        "BuildTrigger": trigger,
        "SourceRepositoryVisibilityAtSigning": "public",
    }


# --------------------------------------------------------------------------- Merkle tree


def _leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """RFC 6962 §2.1: the largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _tree_hash(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH over leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node_hash(_tree_hash(leaves[:k]), _tree_hash(leaves[k:]))


def _audit_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n]), lowest level first (what Rekor returns)."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*_audit_path(index, leaves[:k]), _tree_hash(leaves[k:])]
    return [*_audit_path(index - k, leaves[k:]), _tree_hash(leaves[:k])]


# --------------------------------------------------------------------------- the instance


@dataclass(frozen=True, slots=True)
class _Log:
    """A log's signing key and the names it goes by."""

    key: ec.EllipticCurvePrivateKey
    base_url: str

    @property
    def key_id(self) -> bytes:
        return _key_id(self.key.public_key())

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def trusted_root_entry(self, start: dt.datetime) -> dict[str, Any]:
        return {
            "baseUrl": self.base_url,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": _b64(_spki(self.key.public_key())),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": _rfc3339(start)},
            },
            "logId": {"keyId": _b64(self.key_id)},
        }


@dataclass(frozen=True, slots=True)
class _Entry:
    """One logged entry: what a bundle's ``tlogEntries[0]`` is made of."""

    body: bytes
    kind: str
    log_index: int
    integrated_time: int
    set_signature: bytes
    tree_size: int
    root_hash: bytes
    hashes: tuple[bytes, ...]
    checkpoint: str


class SigstoreInstance:
    """A local Fulcio CA + CT log + Rekor log; see the module docstring.

    Build with :meth:`create`. Thread-safe: signatures may be made from several threads
    (each appends one leaf to the log's Merkle tree).
    """

    def __init__(
        self,
        *,
        directory: Path,
        root_key: ec.EllipticCurvePrivateKey,
        root_cert: x509.Certificate,
        issuer_key: ec.EllipticCurvePrivateKey,
        issuer_cert: x509.Certificate,
        intermediate: x509.Certificate | None,
        ct_log: _Log,
        rekor: _Log,
        origin: str,
        tree_id: int,
        not_before: dt.datetime,
    ) -> None:
        self.directory = directory
        self.root_key = root_key
        self.root_cert = root_cert
        self.issuer_key = issuer_key
        self.issuer_cert = issuer_cert
        self.intermediate_cert = intermediate
        self.ct_log = ct_log
        self.rekor = rekor
        self.origin = origin
        self.tree_id = tree_id
        self.not_before = not_before
        self._leaves: list[bytes] = []
        self._lock = threading.Lock()
        self.trusted_root_path = directory / "trusted_root.json"

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        intermediate: bool = True,
        name: str = "depguard-test",
        not_before: dt.datetime | None = None,
    ) -> SigstoreInstance:
        """Make fresh keys and certificates and write ``directory/trusted_root.json``.

        ``intermediate``: issue leaves from an intermediate CA (like public-good Fulcio) or
        directly from the root. ``not_before``: start of every validity window (default:
        one day ago, so signatures "now" and somewhat in the past verify).
        """
        start = _utc(not_before) if not_before is not None else _utc(None) - dt.timedelta(days=1)
        end = start + dt.timedelta(days=3650)
        root_key = ec.generate_private_key(ec.SECP384R1())
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{name}.invalid"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root"),
            ]
        )
        root_cert = _ca_certificate(
            subject=root_name,
            issuer=root_name,
            key=root_key.public_key(),
            signer=root_key,
            not_before=start,
            not_after=end,
            path_length=1,
            eku=False,
        )
        issuer_key, issuer_cert, inter = root_key, root_cert, None
        if intermediate:
            issuer_key = ec.generate_private_key(ec.SECP384R1())
            inter = _ca_certificate(
                subject=x509.Name(
                    [
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{name}.invalid"),
                        x509.NameAttribute(NameOID.COMMON_NAME, f"{name} intermediate"),
                    ]
                ),
                issuer=root_name,
                key=issuer_key.public_key(),
                signer=root_key,
                not_before=start,
                not_after=end,
                path_length=0,
                eku=True,  # public-good Fulcio's intermediate carries EKU codeSigning
                authority=root_cert,
            )
            issuer_cert = inter
        directory.mkdir(parents=True, exist_ok=True)
        instance = cls(
            directory=directory,
            root_key=root_key,
            root_cert=root_cert,
            issuer_key=issuer_key,
            issuer_cert=issuer_cert,
            intermediate=inter,
            ct_log=_Log(ec.generate_private_key(ec.SECP256R1()), f"https://ctfe.{name}.invalid"),
            rekor=_Log(ec.generate_private_key(ec.SECP256R1()), f"https://rekor.{name}.invalid"),
            origin=f"rekor.{name}.invalid",
            tree_id=secrets.randbits(62),
            not_before=start,
        )
        instance.trusted_root_path.write_text(
            json.dumps(instance.trusted_root(), indent=2) + "\n", encoding="utf-8"
        )
        return instance

    def trusted_root(self) -> dict[str, Any]:
        """The ``trusted_root.json`` document (also written to :attr:`trusted_root_path`)."""
        chain = [c for c in (self.intermediate_cert, self.root_cert) if c is not None]
        return {
            "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
            "tlogs": [self.rekor.trusted_root_entry(self.not_before)],
            "certificateAuthorities": [
                {
                    "subject": {
                        "organization": self.root_cert.subject.get_attributes_for_oid(
                            NameOID.ORGANIZATION_NAME
                        )[0].value,
                        "commonName": "sigstore",
                    },
                    "uri": f"https://fulcio.{self.origin.removeprefix('rekor.')}",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": _b64(c.public_bytes(serialization.Encoding.DER))}
                            for c in chain
                        ]
                    },
                    "validFor": {"start": _rfc3339(self.not_before)},
                }
            ],
            "ctlogs": [self.ct_log.trusted_root_entry(self.not_before)],
            "timestampAuthorities": [],
        }

    # -- certificates -----------------------------------------------------------------------

    def issue_certificate(
        self,
        *,
        identity: str = DEFAULT_IDENTITY,
        issuer: str = DEFAULT_ISSUER,
        extensions: Mapping[str, str] | None = None,
        when: dt.datetime | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A Fulcio-profile leaf for ``identity`` with an embedded SCT; returns (key, cert).

        ``identity`` becomes a URI SAN when it has a scheme, an e-mail SAN otherwise;
        ``issuer`` goes into extensions 1.1 and 1.8; ``extensions`` adds Fulcio extensions
        by name (:data:`FULCIO_EXTENSIONS`, e.g. from :func:`github_workflow_extensions`).
        """
        signed_at = _utc(when)
        leaf_key = key if key is not None else ec.generate_private_key(ec.SECP256R1())
        san: x509.GeneralName = (
            x509.UniformResourceIdentifier(identity)
            if "://" in identity
            else x509.RFC822Name(identity)
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.issuer_cert.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(signed_at - dt.timedelta(seconds=30))
            .not_valid_after(signed_at - dt.timedelta(seconds=30) + _LEAF_VALIDITY)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuer_key.public_key()),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
        )
        claims = {"Issuer": issuer, "IssuerV2": issuer, **(extensions or {})}
        for claim, value in claims.items():
            if claim not in FULCIO_EXTENSIONS:
                raise ValueError(f"unknown Fulcio extension {claim!r}")
            arc, encoding = FULCIO_EXTENSIONS[claim]
            raw = value.encode() if encoding == "raw" else _der_utf8string(value)
            oid = ObjectIdentifier(f"{_FULCIO_OID}{arc}")
            builder = builder.add_extension(x509.UnrecognizedExtension(oid, raw), critical=False)
        # RFC 6962 §3.2: the CT log signs the TBSCertificate without the SCT list extension.
        # Built with the same fields and every other extension in the same order, that is
        # the TBS of this certificate before the (last) SCT extension is added.
        precert = builder.sign(self.issuer_key, hashes.SHA384())
        sct = self._sct(precert.tbs_certificate_bytes, when=signed_at)
        sct_list = struct.pack("!H", len(sct)) + sct
        extension = x509.UnrecognizedExtension(
            _SCT_LIST_OID, _der_octet_string(struct.pack("!H", len(sct_list)) + sct_list)
        )
        cert = builder.add_extension(extension, critical=False).sign(
            self.issuer_key, hashes.SHA384()
        )
        if cert.tbs_precertificate_bytes != precert.tbs_certificate_bytes:
            raise RuntimeError("SCT would not verify: the precertificate TBS differs")
        return leaf_key, cert

    def _sct(self, tbs: bytes, *, when: dt.datetime) -> bytes:
        """A v1 SCT (RFC 6962 §3.2) for a precert entry, as serialised in the SCT list."""
        timestamp = int(when.timestamp() * 1000)
        issuer_key_hash = _key_id(self.issuer_key.public_key())
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp, 1)  # v1, certificate_timestamp, precert_entry
            + issuer_key_hash
            + _u24(len(tbs))
            + tbs
            + struct.pack("!H", 0)  # no CtExtensions
        )
        signature = self.ct_log.sign(signed)
        return (
            struct.pack("!B32sQH", 0, self.ct_log.key_id, timestamp, 0)
            + struct.pack("!BBH", 4, 3, len(signature))  # sha256, ecdsa
            + signature
        )

    # -- the log ----------------------------------------------------------------------------

    def _log(self, body: bytes, kind: str, when: dt.datetime) -> _Entry:
        """Append ``body`` to the Merkle tree; return the entry with SET, proof, checkpoint."""
        integrated_time = int(when.timestamp())
        with self._lock:
            self._leaves.append(_leaf_hash(body))
            index = len(self._leaves) - 1
            leaves = list(self._leaves)
        root = _tree_hash(leaves)
        promise = rfc8785.dumps(
            {
                "body": _b64(body),
                "integratedTime": integrated_time,
                "logID": self.rekor.key_id.hex(),
                "logIndex": index,
            }
        )
        note = f"{self.origin} - {self.tree_id}\n{len(leaves)}\n{_b64(root)}\n"
        signature = self.rekor.key_id[:4] + self.rekor.sign(note.encode())
        return _Entry(
            body=body,
            kind=kind,
            log_index=index,
            integrated_time=integrated_time,
            set_signature=self.rekor.sign(promise),
            tree_size=len(leaves),
            root_hash=root,
            hashes=tuple(_audit_path(index, leaves)),
            checkpoint=f"{note}\n\u2014 {self.origin} {_b64(signature)}\n",
        )

    def _tlog_entry(self, entry: _Entry) -> dict[str, Any]:
        return {
            "logIndex": str(entry.log_index),
            "logId": {"keyId": _b64(self.rekor.key_id)},
            "kindVersion": {"kind": entry.kind, "version": "0.0.1"},
            "integratedTime": str(entry.integrated_time),
            "inclusionPromise": {"signedEntryTimestamp": _b64(entry.set_signature)},
            "inclusionProof": {
                "logIndex": str(entry.log_index),
                "rootHash": _b64(entry.root_hash),
                "treeSize": str(entry.tree_size),
                "hashes": [_b64(h) for h in entry.hashes],
                "checkpoint": {"envelope": entry.checkpoint},
            },
            "canonicalizedBody": _b64(entry.body),
        }

    @property
    def log_size(self) -> int:
        """How many entries this instance has logged."""
        with self._lock:
            return len(self._leaves)

    # -- signing ----------------------------------------------------------------------------

    def _hashedrekord(
        self, data: bytes | Path, identity: str, issuer: str, extensions: Any, when: Any
    ) -> tuple[x509.Certificate, bytes, bytes, _Entry]:
        signed_at = _utc(when)
        digest = _digest(data)
        key, cert = self.issue_certificate(
            identity=identity, issuer=issuer, extensions=extensions, when=signed_at
        )
        signature = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        pem = cert.public_bytes(serialization.Encoding.PEM)
        body = rfc8785.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                    "signature": {"content": _b64(signature), "publicKey": {"content": _b64(pem)}},
                },
            }
        )
        return cert, digest, signature, self._log(body, "hashedrekord", signed_at)

    def sign(
        self,
        data: bytes | Path,
        *,
        identity: str = DEFAULT_IDENTITY,
        issuer: str = DEFAULT_ISSUER,
        extensions: Mapping[str, str] | None = None,
        when: dt.datetime | None = None,
    ) -> bytes:
        """Sign ``data`` (bytes or a file) keylessly: a Sigstore bundle v0.3 (JSON bytes) with
        a message signature and a ``hashedrekord`` 0.0.1 entry, as ``cosign sign-blob
        --bundle`` (new format) and ``sigstore sign`` write it."""
        cert, digest, signature, entry = self._hashedrekord(
            data, identity, issuer, extensions, when
        )
        bundle = {
            "mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": {
                "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [self._tlog_entry(entry)],
            },
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)},
                "signature": _b64(signature),
            },
        }
        return json.dumps(bundle, indent=2).encode() + b"\n"

    def sign_legacy(
        self,
        data: bytes | Path,
        *,
        identity: str = DEFAULT_IDENTITY,
        issuer: str = DEFAULT_ISSUER,
        extensions: Mapping[str, str] | None = None,
        when: dt.datetime | None = None,
    ) -> bytes:
        """Sign ``data`` like ``cosign sign-blob --bundle`` with ``--new-bundle-format=false``:
        ``base64Signature``, ``cert`` (base64 of PEM) and ``rekorBundle`` (SET, no proof)."""
        cert, _, signature, entry = self._hashedrekord(data, identity, issuer, extensions, when)
        doc = {
            "base64Signature": _b64(signature),
            "cert": _b64(cert.public_bytes(serialization.Encoding.PEM)),
            "rekorBundle": {
                "SignedEntryTimestamp": _b64(entry.set_signature),
                "Payload": {
                    "body": _b64(entry.body),
                    "integratedTime": entry.integrated_time,
                    "logIndex": entry.log_index,
                    "logID": self.rekor.key_id.hex(),
                },
            },
        }
        return json.dumps(doc).encode()

    def sign_dsse(
        self,
        payload: bytes,
        *,
        payload_type: str = INTOTO_PAYLOAD_TYPE,
        identity: str = DEFAULT_IDENTITY,
        issuer: str = DEFAULT_ISSUER,
        extensions: Mapping[str, str] | None = None,
        when: dt.datetime | None = None,
    ) -> bytes:
        """Sign ``payload`` (e.g. :func:`intoto_statement`) in a DSSE envelope: a Sigstore
        bundle v0.3 with a ``dsse`` 0.0.1 entry, like GitHub artifact attestations and
        slsa-github-generator ≥ v2.1.0 provenance."""
        signed_at = _utc(when)
        key, cert = self.issue_certificate(
            identity=identity, issuer=issuer, extensions=extensions, when=signed_at
        )
        pae = b"DSSEv1 %d %s %d %s" % (
            len(payload_type.encode()),
            payload_type.encode(),
            len(payload),
            payload,
        )
        signature = key.sign(pae, ec.ECDSA(hashes.SHA256()))
        envelope: dict[str, Any] = {
            "payload": _b64(payload),
            "payloadType": payload_type,
            "signatures": [{"sig": _b64(signature)}],
        }
        pem = cert.public_bytes(serialization.Encoding.PEM)
        body = rfc8785.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(rfc8785.dumps(envelope)).hexdigest(),
                    },
                    "payloadHash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(payload).hexdigest(),
                    },
                    "signatures": [{"signature": _b64(signature), "verifier": _b64(pem)}],
                },
            }
        )
        entry = self._log(body, "dsse", signed_at)
        bundle = {
            "mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": {
                "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [self._tlog_entry(entry)],
            },
            "dsseEnvelope": envelope,
        }
        return json.dumps(bundle, indent=2).encode() + b"\n"


def _ca_certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    path_length: int,
    eku: bool,
    authority: x509.Certificate | None = None,
) -> x509.Certificate:
    """A CA certificate with the extensions the WebPKI CA profile that sigstore-python's chain
    building uses (cryptography ``ExtensionPolicy.webpki_defaults_ca``) expects."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.public_key() if authority is not None else key  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
        )
    return builder.sign(signer, hashes.SHA384())
