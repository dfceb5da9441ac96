"""Detached OpenPGP signature verification with pysequoia (Sequoia-PGP), raise-or-return.

Behaviour follows what Terraform requires of a provider registry's ``SHA256SUMS.sig``
(research/terraform-lock.md §4.4, §12.5; hashicorp/terraform
``internal/getproviders/package_authentication.go``) and research/signatures.md §5:

* The signature must be a **binary** OpenPGP signature. Go's ``CheckDetachedSignature``
  fails on ASCII armor ("tag byte does not have MSB set"); a registry serving armor is a
  finding, so armor is refused here even though Sequoia could read it.
* Among the signature packets, the first whose issuer is one of the given certificates is
  the one checked (go-crypto does the same); none → :class:`UnknownIssuerError`.
* Revoked certificates are refused (go-crypto refuses revoked keys too).
* Expiry: Sequoia checks that the certificate and the signing (sub)key were alive **when
  the signature was made**. A key that expired *after* signing is therefore accepted
  (Terraform also ignores ``ErrKeyExpired``), but a signature made *after* the key
  expired is rejected — stricter than Terraform, which ignores expiry altogether; gpg
  refuses to sign with an expired key, so only hand-crafted signatures hit this.
* Sequoia's standard policy also rejects SHA-1 (and weaker) signature digests and weak
  public-key algorithms that Terraform would accept; the error message says so.

pysequoia cannot parse some real signatures: HashiCorp's 2021 signature over
``terraform-provider-null_3.1.0_SHA256SUMS`` declares a 4096-bit RSA MPI whose value has
only 4091 significant bits. RFC 4880 §3.2 requires the exact bit count; Go and GnuPG read
the value anyway, Sequoia refuses it ("Not a signature"). :func:`normalize_signature`
re-encodes such MPIs canonically before verification. The MPIs lie outside the hashed
area, and the integer is unchanged, so what is verified is unchanged.

``pysequoia`` is imported inside the functions that need it: importing this module must
stay cheap (CONVENTIONS §15).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from depguard.errors import DepguardError, SignatureError

__all__ = [
    "UnknownIssuerError",
    "ValidSignature",
    "dearmor",
    "normalize_signature",
    "verify_detached",
]

# RFC 4880 §4.3 / RFC 9580 §5.1: packet tags used here.
_TAG_SIGNATURE = 2
_MAX_SIGNATURE_PACKETS = 16
# RFC 4880 §5.2.2-3 + RFC 6637 + draft EdDSA: how many MPIs a v4 signature carries.
_SIG_MPI_COUNT = {1: 1, 3: 1, 17: 2, 19: 2, 22: 2}  # RSA, RSA-sign, DSA, ECDSA, EdDSA
_WEAK_HASHES = {"MD5", "SHA1", "RipeMD"}


class UnknownIssuerError(SignatureError):
    """No given certificate holds the key that made the signature (go-crypto's
    ``ErrUnknownIssuer``); provider authentication then tries the next registry key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidSignature:
    """A signature that verified: who made it and when (fingerprints upper-case hex)."""

    primary_fingerprint: str
    signing_fingerprint: str
    created: dt.datetime

    @property
    def key_id(self) -> str:
        """The primary key's 16-hex-digit ID, as Terraform prints it."""
        return self.primary_fingerprint[-16:]


# --------------------------------------------------------------------------- packets


@dataclass(frozen=True, slots=True)
class _Packet:
    tag: int
    body: bytes
    new_format: bool
    raw: bytes = b""  # the packet as read, header included


def _read_packets(data: bytes, what: str) -> list[_Packet]:
    """Split ``data`` into OpenPGP packets (RFC 4880 §4.2), checking every bound."""
    packets: list[_Packet] = []
    pos = 0
    end = len(data)

    def take(n: int) -> bytes:
        nonlocal pos
        if n < 0 or pos + n > end:
            raise SignatureError(f"{what}: truncated OpenPGP packet")
        chunk = data[pos : pos + n]
        pos += n
        return chunk

    while pos < end:
        start = pos
        if len(packets) == _MAX_SIGNATURE_PACKETS:
            raise SignatureError(f"{what}: more than {_MAX_SIGNATURE_PACKETS} OpenPGP packets")
        first = take(1)[0]
        if not first & 0x80:
            raise SignatureError(
                f"{what}: not a binary OpenPGP signature (tag byte does not have MSB set)"
            )
        if first & 0x40:  # new format: tag in 6 bits, 1/2/5-octet length
            tag = first & 0x3F
            o1 = take(1)[0]
            if o1 < 192:
                length = o1
            elif o1 < 224:
                length = ((o1 - 192) << 8) + take(1)[0] + 192
            elif o1 == 255:
                length = int.from_bytes(take(4), "big")
            else:  # partial body lengths are only allowed for data packets (§4.2.2.4)
                raise SignatureError(f"{what}: partial-length OpenPGP packet in a signature")
        else:  # old format: tag in 4 bits, length type in 2
            tag = (first >> 2) & 0x0F
            length_type = first & 0x03
            if length_type == 3:  # indeterminate: to the end of the input
                length = end - pos
            else:
                length = int.from_bytes(take((1, 2, 4)[length_type]), "big")
        body = take(length)
        packets.append(_Packet(tag, body, bool(first & 0x40), data[start:pos]))
    return packets


def _encode_packet(packet: _Packet, body: bytes) -> bytes:
    """Serialise ``body`` as ``packet``'s tag, with the smallest definite length of the
    packet's original header format."""
    n = len(body)
    if packet.new_format:
        if n < 192:
            header = bytes((0xC0 | packet.tag, n))
        elif n < 8384:
            m = n - 192
            header = bytes((0xC0 | packet.tag, (m >> 8) + 192, m & 0xFF))
        else:
            header = bytes((0xC0 | packet.tag, 0xFF)) + n.to_bytes(4, "big")
    else:
        length_type, size = (0, 1) if n < 0x100 else (1, 2) if n < 0x10000 else (2, 4)
        header = bytes((0x80 | (packet.tag << 2) | length_type,)) + n.to_bytes(size, "big")
    return header + body


def _canonical_v4_signature(body: bytes, what: str) -> bytes | None:
    """Return ``body`` with canonical MPIs, or ``None`` when it already is canonical.

    v4 layout (RFC 4880 §5.2.3): version, type, public-key algorithm, hash algorithm,
    hashed subpackets (2-octet length), unhashed subpackets (2-octet length), the left 16
    bits of the digest, then the algorithm's MPIs (2-octet bit count, big-endian value).
    Other versions and algorithms without MPIs are returned untouched (``None``).
    """
    if len(body) < 6 or body[0] != 4:
        return None
    count = _SIG_MPI_COUNT.get(body[2])
    if count is None:
        return None
    malformed = SignatureError(f"{what}: malformed OpenPGP signature packet")
    pos = 6 + int.from_bytes(body[4:6], "big")  # skip the hashed subpackets
    if pos + 2 > len(body):
        raise malformed
    pos += 2 + int.from_bytes(body[pos : pos + 2], "big") + 2  # unhashed area, left 16 bits
    mpi_start = pos
    mpis: list[bytes] = []
    changed = False
    for _ in range(count):
        if pos + 2 > len(body):
            raise malformed
        bits = int.from_bytes(body[pos : pos + 2], "big")
        size = (bits + 7) // 8
        if pos + 2 + size > len(body):
            raise malformed
        value = body[pos + 2 : pos + 2 + size].lstrip(b"\x00")
        pos += 2 + size
        actual = int.from_bytes(value, "big").bit_length()
        if actual > bits:  # the top octet has bits the header does not declare
            raise malformed
        changed |= actual != bits
        mpis.append(actual.to_bytes(2, "big") + value)
    if pos != len(body):  # data after the last MPI
        raise malformed
    return body[:mpi_start] + b"".join(mpis) if changed else None


def _signature_packets(signature: bytes, what: str) -> list[bytes]:
    """Check the input is binary signature packets; return each, canonically encoded."""
    if signature.lstrip()[:5] == b"-----":
        raise SignatureError(
            f"{what}: signature is ASCII-armored; Terraform accepts only binary OpenPGP signatures"
        )
    packets = _read_packets(signature, what)
    if not packets:
        raise SignatureError(f"{what}: empty signature")
    out = []
    for packet in packets:
        if packet.tag != _TAG_SIGNATURE:
            raise SignatureError(f"{what}: OpenPGP packet with tag {packet.tag} in a signature")
        body = _canonical_v4_signature(packet.body, what)
        # Re-encode only when an MPI changed; otherwise keep the caller's exact bytes.
        out.append(packet.raw if body is None else _encode_packet(packet, body))
    return out


def normalize_signature(signature: bytes, *, what: str = "signature") -> bytes:
    """Return ``signature`` with every v4 MPI in canonical form (see the module docstring).

    Only packets that need it are re-encoded (their length header is rebuilt in the same
    packet format); otherwise the input is returned unchanged.

    Raises:
        SignatureError: the input is armored, not OpenPGP, truncated, holds a non-signature
            packet, or a signature packet is malformed.
    """
    return b"".join(_signature_packets(signature, what))


# --------------------------------------------------------------------------- armor


def _crc24(data: bytes) -> int:
    crc = 0xB704CE  # RFC 4880 §6.1
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


_BEGIN = re.compile(r"^-----BEGIN PGP ([A-Z ,/0-9]+)-----$")


def dearmor(text: str | bytes, *, what: str = "armored data") -> tuple[str, bytes]:
    """Decode one ASCII-armored block (RFC 4880 §6.2), like Go's ``armor.Decode``.

    Armor headers (``Key: value`` lines) are skipped; the optional ``=XXXX`` CRC-24 line is
    checked when present.

    Returns:
        ``(block type, decoded bytes)``, e.g. ``("PUBLIC KEY BLOCK", b"\\x99...")``.

    Raises:
        SignatureError: no armored block, bad base64, CRC-24 mismatch or missing END line.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise SignatureError(f"{what}: not ASCII armor") from None
    lines = [line.strip() for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if _BEGIN.match(line)), None)
    if start is None:
        raise SignatureError(f"{what}: no '-----BEGIN PGP ...-----' line")
    match = _BEGIN.match(lines[start])
    assert match is not None
    kind = match.group(1)
    i = start + 1
    while i < len(lines) and lines[i] and ":" in lines[i]:  # armor headers
        i += 1
    body: list[str] = []
    checksum: str | None = None
    for line in lines[i:]:
        if line == f"-----END PGP {kind}-----":
            break
        if line.startswith("="):
            checksum = line[1:]
        elif line:
            body.append(line)
    else:
        raise SignatureError(f"{what}: no '-----END PGP {kind}-----' line")
    try:
        data = base64.b64decode("".join(body), validate=True)
        crc = base64.b64decode(checksum, validate=True) if checksum is not None else None
    except (binascii.Error, ValueError) as e:
        raise SignatureError(f"{what}: invalid base64 in ASCII armor") from e
    if crc is not None and (len(crc) != 3 or int.from_bytes(crc, "big") != _crc24(data)):
        raise SignatureError(f"{what}: ASCII armor checksum mismatch")
    return kind, data


# --------------------------------------------------------------------------- verification


def _load_certs(certs: Sequence[bytes | str], what: str) -> list[Any]:
    import pysequoia

    loaded: list[Any] = []
    for item in certs:
        data = item.encode("utf-8") if isinstance(item, str) else item
        try:
            loaded.extend(pysequoia.Cert.split_bytes(data))
        except Exception as e:  # pysequoia raises bare errors with Rust backtraces
            raise SignatureError(f"{what}: cannot parse OpenPGP certificate") from _short(e)
    if not loaded:
        raise SignatureError(f"{what}: no OpenPGP certificate to verify with")
    return loaded


def _key_ids(cert: Any) -> frozenset[str]:
    """Key IDs (upper-case) of the primary key and every subkey of ``cert``."""
    from pysequoia import packet

    key_tags = (packet.Tag.PublicKey, packet.Tag.PublicSubkey)
    return frozenset(
        p.key_id.upper() for p in packet.PacketPile.from_bytes(bytes(cert)) if p.tag in key_tags
    )


def _short(error: BaseException) -> SignatureError:
    """Keep the first line of a pysequoia error for ``__cause__``; drop the backtrace."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return SignatureError(first)


def _issuer(sig: Any) -> str | None:
    fingerprint = sig.issuer_fingerprint
    if fingerprint:
        return str(fingerprint).upper()[-16:]
    key_id = sig.issuer_key_id
    return str(key_id).upper() if key_id else None


def _failure_reason(sig: Any, cert: Any) -> str:
    """Best explanation for a signature Sequoia rejected."""
    try:
        digest = str(sig.hash_algorithm).rpartition(".")[2]  # "HashAlgorithm.SHA1" → "SHA1"
    except Exception:  # pysequoia raises RuntimeError for algorithms it does not know
        return "it uses a hash algorithm Sequoia does not know"
    if digest in _WEAK_HASHES:
        return f"it uses the {digest} digest, which Sequoia's standard policy rejects"
    expiry = cert.expiration
    if expiry is not None and sig.created is not None and sig.created > expiry:
        return f"it was made on {sig.created:%Y-%m-%d}, after the key expired ({expiry:%Y-%m-%d})"
    return "the data was altered, or the key was not valid for signing when it was made"


def verify_detached(
    data: bytes, signature: bytes, certs: Sequence[bytes | str], *, what: str = "signature"
) -> ValidSignature:
    """Verify a binary detached OpenPGP ``signature`` over ``data`` with ``certs``.

    ``certs`` are certificates (armored or binary; one item may hold several).
    ``what`` names the signature in messages (a URL or file name).

    Returns:
        The :class:`ValidSignature`: primary and signing-key fingerprints and creation time.

    Raises:
        UnknownIssuerError: no certificate holds the issuing key.
        SignatureError: the signature is armored, malformed or does not verify, or the
            issuing certificate is revoked or unparsable.
    """
    try:
        return _verify_detached(data, signature, certs, what)
    except DepguardError:
        raise
    except Exception as e:
        # pysequoia reports odd input as bare RuntimeErrors (with a Rust backtrace); whatever
        # slipped past the checks below, it is a signature that cannot be trusted.
        raise SignatureError(f"{what}: malformed OpenPGP signature") from _short(e)


def _verify_detached(
    data: bytes, signature: bytes, certs: Sequence[bytes | str], what: str
) -> ValidSignature:
    import pysequoia

    # 1. Binary signature packets only; canonical MPIs (module docstring).
    packets = _signature_packets(signature, what)
    # 2. Certificates and the key IDs they hold (primary and subkeys).
    loaded = _load_certs(certs, what)
    by_key_id: dict[str, list[Any]] = {}
    for cert in loaded:
        for key_id in _key_ids(cert):
            by_key_id.setdefault(key_id, []).append(cert)

    issuers: list[str] = []
    for raw in packets:
        try:
            sig = pysequoia.Sig.from_bytes(raw)
        except Exception as e:
            raise SignatureError(f"{what}: malformed OpenPGP signature") from _short(e)
        # 3. go-crypto CheckDetachedSignature: the first signature whose issuer is in the
        #    keyring is the one that counts; one without an issuer is an error.
        issuer = _issuer(sig)
        if issuer is None:
            raise SignatureError(f"{what}: signature does not name its issuer")
        if sig.created is None:  # RFC 4880 §5.2.3.4: the creation time is mandatory
            raise SignatureError(f"{what}: signature has no creation time")
        issuers.append(issuer)
        candidates = by_key_id.get(issuer)
        if not candidates:
            continue
        reason = ""
        for cert in candidates:
            fingerprint = str(cert.fingerprint).upper()
            # 4. Revoked certificates are refused outright.
            if cert.is_revoked:
                raise SignatureError(f"{what}: key {fingerprint} is revoked")
            # 5. Cryptographic check under Sequoia's standard policy, at signing time.
            try:
                result = pysequoia.verify(bytes=data, store=lambda _ids, c=cert: [c], signature=sig)
                valid = list(result.valid_sigs)
            except Exception:  # a bare RuntimeError whose text carries a Rust backtrace
                valid = []
            if valid and sig.created is not None:
                return ValidSignature(
                    primary_fingerprint=str(valid[0].certificate).upper(),
                    signing_fingerprint=str(valid[0].signing_key).upper(),
                    created=sig.created,
                )
            reason = _failure_reason(sig, cert)
        raise SignatureError(f"{what}: signature by key {issuer} does not verify: {reason}")
    raise UnknownIssuerError(f"{what}: signature from unknown issuer {', '.join(issuers)}")
