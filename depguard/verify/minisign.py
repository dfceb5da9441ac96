"""minisign signatures (aqua's ``minisign`` block), verified with py-minisign.

Format (https://jedisct1.github.io/minisign/): a public key is base64 of
``alg(2) || key_id(8) || ed25519_pk(32)`` with ``alg = "Ed"``; a signature file has four lines
— untrusted comment, base64 of ``alg(2) || key_id(8) || sig(64)``, ``trusted comment: …``,
base64 of the global signature over ``sig || trusted_comment``. ``alg`` is ``ED`` for the
prehashed mode (Ed25519 over BLAKE2b-512 of the file; minisign's default since 0.8) and
``Ed`` for the legacy mode (Ed25519 over the whole file).

Verification steps (minisign.c ``verify``):

1. decode the public key and the signature;
2. the key ids must match (else the signature is by another key);
3. the signature algorithm must be allowed (depguard refuses legacy ``Ed`` by default: it
   cannot be streamed and minisign itself signs prehashed);
4. the file signature must verify (prehashed: over BLAKE2b-512 of the data, streamed);
5. the global signature must verify over the file signature and the trusted comment, so an
   edited trusted comment fails too.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from depguard.errors import InputError, SignatureError

__all__ = ["MAX_SIGNATURE_BYTES", "key_id_hex", "verify_minisign"]

MAX_SIGNATURE_BYTES = 64 * 1024  # trusted comments are at most 8 KiB


def key_id_hex(key_id: bytes) -> str:
    """The key id as minisign prints it (``%016llX`` of the little-endian uint64)."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


def _public_key_text(public_key: str) -> str:
    """The base64 line of a public key given as that line or as a whole ``.pub`` file."""
    lines = [ln.strip() for ln in public_key.strip().splitlines() if ln.strip()]
    if len(lines) == 2 and lines[0].startswith("untrusted comment:"):
        return lines[1]
    return lines[0] if len(lines) == 1 else public_key.strip()


def _sig_key_id(signature: bytes) -> bytes | None:
    try:
        raw = base64.b64decode(signature.splitlines()[1], validate=True)
    except (IndexError, ValueError, binascii.Error):
        return None
    return raw[2:10] if len(raw) >= 10 else None


def verify_minisign(
    data: bytes | Path,
    signature: bytes,
    public_key: str,
    *,
    allow_legacy: bool = False,
    source: str,
) -> str:
    """Verify a minisign ``signature`` of ``data`` (bytes, or a file streamed from disk).

    ``public_key`` is the base64 key (``RW…``) as aqua's ``minisign.public_key`` holds it (a
    whole two-line ``.pub`` file is accepted too). Returns the trusted comment. Raises
    :class:`SignatureError` (message starting with ``source``) for a malformed signature, a
    signature by another key, a legacy ``Ed`` signature unless ``allow_legacy``, or a failed
    verification (tampered data or trusted comment); :class:`InputError` for a malformed
    public key or an unreadable data file.
    """
    import minisign  # lazy: keeps `depguard --help` cheap

    # 1. decode
    try:
        pk = minisign.PublicKey.from_base64(_public_key_text(public_key))
    except (minisign.Error, ValueError, IndexError) as e:
        raise InputError(source, f"invalid minisign public key: {e}") from None
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureError(
            f"{source}: minisign signature is larger than {MAX_SIGNATURE_BYTES} bytes"
        )
    sig_bytes = signature.rstrip(b" \t\r\n")
    try:
        sig = minisign.Signature.from_bytes(sig_bytes)
    except (minisign.Error, ValueError) as e:
        raise SignatureError(f"{source}: malformed minisign signature ({e})") from None

    # 2. key ids
    pk_id = base64.b64decode(pk.to_base64())[2:10]
    sig_id = _sig_key_id(sig_bytes)
    if sig_id is not None and sig_id != pk_id:
        raise SignatureError(
            f"{source}: minisign signature was made by key {key_id_hex(sig_id)}, "
            f"not by the pinned public key {key_id_hex(pk_id)}"
        )

    # 3. algorithm policy
    if not sig.is_prehashed() and not allow_legacy:
        raise SignatureError(
            f"{source}: legacy minisign signature (algorithm 'Ed', not prehashed) refused",
            hint="re-sign with a current minisign (prehashed 'ED' is its default) or allow "
            "legacy minisign signatures explicitly",
        )

    # 4.+5. file signature and global signature (py-minisign checks both). A file object is
    # streamed in 8 KiB chunks into BLAKE2b-512 for prehashed signatures; a legacy signature
    # needs the whole message, which py-minisign reads.
    try:
        if isinstance(data, Path):
            try:
                with data.open("rb") as f:
                    pk.verify(f, sig)
            except OSError as e:
                raise InputError(str(data), f"cannot read the file: {e.strerror or e}") from e
        else:
            pk.verify(data, sig)
    except (minisign.Error, ValueError) as e:
        raise SignatureError(
            f"{source}: minisign signature verification failed ({e}): the data or the "
            "trusted comment does not match the signature"
        ) from None
    comment: str = sig.trusted_comment
    return comment
