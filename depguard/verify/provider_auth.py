"""Provider package authentication: Terraform's checks with depguard's trust policy. No I/O.

Mirrors ``PackageAuthenticationAll`` of hashicorp/terraform ``registry_client.go`` /
``package_authentication.go`` (research/terraform-lock.md §4.4):

1. ``matchingChecksumAuthentication`` — the ``SHA256SUMS`` line for the package's file
   name must exist and equal the archive's SHA-256 (:func:`check_archive`).
2. ``archiveHashAuthentication`` — the archive's SHA-256 must equal the registry's
   ``shasum`` (:func:`check_archive` with ``registry_shasum``).
3. ``signatureAuthentication`` — the binary detached signature over ``SHA256SUMS`` must
   verify with one of the registry's ``signing_keys`` and is then classified official /
   partner / community (:func:`authenticate_shasums`).

depguard's policy differs from Terraform in one place, on purpose (DESIGN §4): a
community (self-signed) key is accepted only when the caller passes its primary
fingerprint in ``trusted_fingerprints`` — the pins the policy holds for this provider.
Everything fails closed and raises ``SignatureError`` / ``IntegrityError``.

The HashiCorp and partners certificates are parameters (defaulting to the shipped ones,
:mod:`depguard.verify.keys`), so tests inject throwaway keys without monkeypatching.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from depguard.errors import IntegrityError, SignatureError
from depguard.sources.base import SigningKey
from depguard.verify.keys import HASHICORP_FINGERPRINT, hashicorp_cert, hashicorp_partners_cert
from depguard.verify.openpgp import UnknownIssuerError, dearmor, verify_detached

__all__ = [
    "SignedShasums",
    "SignerInfo",
    "SignerKind",
    "authenticate_shasums",
    "check_archive",
    "normalize_fingerprint",
    "parse_shasums",
    "zh_hashes",
]

SignerKind = Literal["official", "partner", "community"]

_HEX64 = re.compile(rb"[0-9A-Fa-f]{64}")
_FINGERPRINT = re.compile(r"[0-9A-F]{40}|[0-9A-F]{64}")  # v4 (SHA-1) or v6 (SHA-256)


def normalize_fingerprint(text: str) -> str:
    """Return an OpenPGP fingerprint as upper-case hex without spaces.

    Raises:
        ValueError: not a 40- or 64-hex-digit fingerprint (key IDs are too short to pin).
    """
    fingerprint = re.sub(r"\s+", "", text).upper().removeprefix("0X")
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise ValueError(f"not an OpenPGP fingerprint: {text!r}")
    return fingerprint


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedShasums:
    """A parsed ``SHA256SUMS`` document (hash values lower-case hex, in document order)."""

    url: str
    document: bytes
    entries: tuple[tuple[str, str], ...]  # (file name, sha256 hex), one per line

    def sha256_for(self, filename: str) -> str | None:
        """Return the hash listed for ``filename`` (exact match, first line wins, as in
        Terraform's ``matchingChecksumAuthentication``), or ``None``."""
        return next((digest for name, digest in self.entries if name == filename), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerInfo:
    """Who signed a provider's ``SHA256SUMS`` and how depguard classified the key."""

    kind: SignerKind
    primary_fingerprint: str
    signing_fingerprint: str
    key_id: str  # the primary key's ID, as Terraform prints "(self-signed, key ID …)"
    created: dt.datetime | None = None

    def evidence(self) -> str:
        """Return the JSON report's evidence string (``openpgp:34365D9472D7468F:official``)."""
        return f"openpgp:{self.key_id}:{self.kind}"


# --------------------------------------------------------------------------- SHA256SUMS


def parse_shasums(document: bytes, url: str) -> SignedShasums:
    """Parse a ``SHA256SUMS`` document like Terraform's ``AcceptableHashes``.

    Each line is split on whitespace; the first field must be 64 hex digits and a second
    field (the file name) must follow, otherwise the whole list is rejected. Every line
    counts — Terraform records a ``zh:`` for each, ``_manifest.json`` included. Blank
    lines are skipped (Go would index an empty field list there). Stricter than
    Terraform: a file name listed twice with different hashes rejects the list.

    Returns:
        The :class:`SignedShasums`.

    Raises:
        IntegrityError: the document is empty or a line is malformed (message names
            ``url`` and the line number).
    """
    entries: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for number, line in enumerate(document.split(b"\n"), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2 or not _HEX64.fullmatch(fields[0]):
            raise IntegrityError(
                f"{url}:{number}: not a checksum line ('<sha256 hex>  <file name>'); "
                "the checksum list is rejected"
            )
        name = fields[1].decode("utf-8", "backslashreplace")
        digest = fields[0].decode("ascii").lower()
        if seen.setdefault(name, digest) != digest:
            raise IntegrityError(f"{url}:{number}: {name} is listed twice with different hashes")
        entries.append((name, digest))
    if not entries:
        raise IntegrityError(f"{url}: the checksum list is empty")
    return SignedShasums(url=url, document=document, entries=tuple(entries))


def zh_hashes(shasums: SignedShasums) -> tuple[str, ...]:
    """Return ``zh:<hex>`` for every line (document order, duplicates removed).

    This is what Terraform adds to a lock file once the list's signature is trusted.
    """
    return tuple(dict.fromkeys(f"zh:{digest}" for _, digest in shasums.entries))


def check_archive(
    meta_filename: str,
    zip_sha256: str,
    shasums: SignedShasums,
    *,
    registry_shasum: str | None = None,
) -> None:
    """Check a downloaded archive against the signed list (and the registry's ``shasum``).

    Raises:
        IntegrityError: no line for ``meta_filename`` ("checksum list has no SHA-256 hash
            for …"), the line differs from ``zip_sha256`` ("checksum list has unexpected
            SHA-256 hash X (expected Y)"), or ``registry_shasum`` differs ("archive has
            incorrect checksum zh:X (expected zh:Y)").
        ValueError: ``zip_sha256`` is not 64 hex digits (a programming error).
    """
    actual = zip_sha256.lower()
    if not _HEX64.fullmatch(actual.encode("ascii", "replace")):
        raise ValueError(f"zip_sha256 must be 64 hex digits, got {zip_sha256!r}")
    # 1. matchingChecksumAuthentication: the signed line for this file name.
    listed = shasums.sha256_for(meta_filename)
    if listed is None:
        raise IntegrityError(
            f"{shasums.url}: checksum list has no SHA-256 hash for {meta_filename!r}"
        )
    if listed != actual:
        raise IntegrityError(
            f"{shasums.url}: checksum list has unexpected SHA-256 hash {listed} "
            f"(expected {actual}) for {meta_filename}"
        )
    # 2. archiveHashAuthentication: the registry's own claim about the archive.
    if registry_shasum is not None and registry_shasum.lower() != actual:
        raise IntegrityError(
            f"{meta_filename}: archive has incorrect checksum zh:{actual} "
            f"(expected zh:{registry_shasum.lower()})"
        )


# --------------------------------------------------------------------------- signature


def authenticate_shasums(
    document: bytes,
    signature: bytes,
    signing_keys: Sequence[SigningKey],
    *,
    trusted_fingerprints: Collection[str] = (),
    provider: str = "this provider",
    url: str = "SHA256SUMS",
    signature_url: str | None = None,
    hashicorp_key: bytes | str | None = None,
    partners_key: bytes | str | None = None,
) -> SignerInfo:
    """Authenticate a provider's ``SHA256SUMS`` signature and classify its signer.

    ``signing_keys`` are the registry's ``signing_keys.gpg_public_keys``.
    ``trusted_fingerprints`` are the primary fingerprints the policy pins for this
    provider (already filtered by the caller); they admit community keys only.
    ``provider``, ``url`` (of ``SHA256SUMS``) and ``signature_url`` (default ``url +
    ".sig"``) are used in messages. ``hashicorp_key`` / ``partners_key``
    default to the shipped certificates.

    Returns:
        The :class:`SignerInfo` (official, partner or pinned community key).

    Raises:
        SignatureError: "signature from unknown issuer" (no registry key made it), the
            signature does not verify, a registry key cannot be decoded, "trust signature
            does not verify", or a community key that the policy does not pin (the message
            prints the fingerprint to pin).
        ValueError: a ``trusted_fingerprints`` entry is not a fingerprint.
    """
    pins = {normalize_fingerprint(fp) for fp in trusted_fingerprints}
    sig_url = signature_url or f"{url}.sig"

    # (a) findSigningKey: the first registry key that issued the signature. An unknown
    #     issuer moves on to the next key; any other failure is terminal.
    signer = None
    key: SigningKey | None = None
    for candidate in signing_keys:
        try:
            signer = verify_detached(document, signature, [candidate.ascii_armor], what=sig_url)
        except UnknownIssuerError:
            continue
        key = candidate
        break
    if signer is None or key is None:
        raise SignatureError(
            f"{sig_url}: authentication signature from unknown issuer "
            "(no key in the registry's signing_keys made it)"
        )

    def info(kind: SignerKind) -> SignerInfo:
        assert signer is not None
        return SignerInfo(
            kind=kind,
            primary_fingerprint=signer.primary_fingerprint,
            signing_fingerprint=signer.signing_fingerprint,
            key_id=signer.key_id,
            created=signer.created,
        )

    # (b) Official: the signature also verifies with HashiCorp's own certificate.
    try:
        verify_detached(document, signature, [hashicorp_key or hashicorp_cert()], what=sig_url)
    except SignatureError:
        pass
    else:
        return info("official")

    # (c) Partner: the registry key carries a trust signature — a binary detached signature
    #     by HashiCorp's partners key over the armored key's decoded body.
    if key.trust_signature:
        try:
            _, key_body = dearmor(key.ascii_armor, what="signing key")
            _, trust = dearmor(key.trust_signature, what="trust signature")
            verify_detached(
                key_body, trust, [partners_key or hashicorp_partners_cert()], what="trust signature"
            )
        except SignatureError as e:
            raise SignatureError(
                f"{url}: trust signature does not verify for key {signer.key_id} ({e.message})"
            ) from e
        return info("partner")

    # (d) Community: trusted only when the policy pins this primary fingerprint.
    if signer.primary_fingerprint in pins:
        return info("community")
    hint = (
        f'pin it in depguard.yaml: trust.terraform.signing_keys: [{{fingerprint: "'
        f'{signer.primary_fingerprint}", providers: ["{provider}"]}}]'
    )
    if signer.primary_fingerprint == HASHICORP_FINGERPRINT:
        hint = "the shipped HashiCorp certificate does not verify it; update depguard"
    raise SignatureError(
        f"{sig_url}: signed by community key {signer.primary_fingerprint} "
        f"(key ID {signer.key_id}), which the policy does not trust for {provider}",
        hint=hint,
    )
