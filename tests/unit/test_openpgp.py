"""Detached OpenPGP verification: the real HashiCorp signature, MPI normalisation, armor,
revocation, expiry, forged subkeys — with real gpg-made keys."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from depguard.errors import SignatureError
from depguard.verify import keys
from depguard.verify.openpgp import (
    UnknownIssuerError,
    dearmor,
    normalize_signature,
    verify_detached,
)
from tests.support.gpg import (
    GpgHome,
    GpgKey,
    SignedSample,
    forge_subkey_cert,
    packet_tag,
    split_packets,
)

pytest_plugins = ("tests.support.gpg_fixtures",)

ROOT = Path(__file__).resolve().parents[2]
HASHICORP_FPR = "C874011F0AB405110D02105534365D9472D7468F"
B0B4_SUBKEY_FPR = "B36CBA91A2C0730C435FC280B0B441097685B676"


@pytest.fixture(scope="module")
def signing(corpus: Path) -> Path:
    return corpus / "terraform/real/signing"


@pytest.fixture(scope="module")
def null_doc(signing: Path) -> bytes:
    return (signing / "terraform-provider-null_3.1.0_SHA256SUMS").read_bytes()


@pytest.fixture(scope="module")
def null_sig(signing: Path) -> bytes:
    return (signing / "terraform-provider-null_3.1.0_SHA256SUMS.sig").read_bytes()


def _mpi_offset(packet_body: bytes) -> int:
    """Offset of the first MPI in a v4 signature packet body."""
    hashed = int.from_bytes(packet_body[4:6], "big")
    unhashed = int.from_bytes(packet_body[6 + hashed : 8 + hashed], "big")
    return 8 + hashed + unhashed + 2


def _body(packet: bytes) -> tuple[bytes, bytes]:
    """Split one packet (gpg writes old-format headers, HashiCorp new-format) into
    (header, body)."""
    if packet[0] & 0x40:
        o1 = packet[1]
        size = 2 if o1 < 192 else 3 if o1 < 224 else 6
    else:
        size = 1 + (1, 2, 4, 0)[packet[0] & 0x03]
    return packet[:size], packet[size:]


# ----------------------------------------------------------------------------- shipped keys


def test_shipped_key_copies_are_identical() -> None:
    for name in keys.shipped_key_names():
        manifest = (ROOT / "manifests/keys" / name).read_bytes()
        packaged = (ROOT / "depguard/data/keys" / name).read_bytes()
        assert manifest == packaged, f"manifests/keys/{name} and depguard/data/keys/{name} differ"
    assert keys.hashicorp_cert() == (ROOT / "manifests/keys/hashicorp.asc").read_bytes()
    assert (
        keys.hashicorp_partners_cert()
        == (ROOT / "manifests/keys/hashicorp-partners.asc").read_bytes()
    )


def test_shipped_fingerprints() -> None:
    import pysequoia

    cert = pysequoia.Cert.from_bytes(keys.hashicorp_cert())
    partners = pysequoia.Cert.from_bytes(keys.hashicorp_partners_cert())
    assert cert.fingerprint.upper() == keys.HASHICORP_FINGERPRINT == HASHICORP_FPR
    assert partners.fingerprint.upper() == keys.HASHICORP_PARTNERS_FINGERPRINT
    assert not cert.is_revoked and not partners.is_revoked


def test_partners_key_is_terraforms_copy(signing: Path) -> None:
    assert keys.hashicorp_partners_cert() == (signing / "hashicorp-partners-key.asc").read_bytes()


# ------------------------------------------------------------------ real HashiCorp signature


def test_real_null_signature_verifies(null_doc: bytes, null_sig: bytes) -> None:
    result = verify_detached(null_doc, null_sig, [keys.hashicorp_cert()])
    assert result.primary_fingerprint == HASHICORP_FPR
    assert result.signing_fingerprint == B0B4_SUBKEY_FPR  # subkey expired 2022-04-20
    assert result.key_id == "34365D9472D7468F"
    assert result.created == dt.datetime(2021, 4, 22, 17, 16, 54, tzinfo=dt.UTC)


@pytest.mark.parametrize("position", [0, 100, -2])
def test_one_byte_change_in_document_fails(null_doc: bytes, null_sig: bytes, position: int) -> None:
    tampered = bytearray(null_doc)
    tampered[position] ^= 0x01
    with pytest.raises(SignatureError, match="does not verify") as info:
        verify_detached(bytes(tampered), null_sig, [keys.hashicorp_cert()])
    assert not isinstance(info.value, UnknownIssuerError)


def test_tampered_signature_value_fails(null_doc: bytes, null_sig: bytes) -> None:
    tampered = bytearray(null_sig)
    tampered[-1] ^= 0x01
    with pytest.raises(SignatureError, match="does not verify"):
        verify_detached(null_doc, bytes(tampered), [keys.hashicorp_cert()])


def test_why_the_shipped_cert_is_a_merge(signing: Path, null_doc: bytes, null_sig: bytes) -> None:
    main = (signing / "hashicorp-public-key.asc").read_bytes()
    v1_11_4 = (signing / "hashicorp-public-key_as-embedded-in-terraform-v1.11.4.asc").read_bytes()
    # Terraform main's copy has no self-signature valid in 2021: Sequoia refuses it.
    with pytest.raises(SignatureError, match="does not verify"):
        verify_detached(null_doc, null_sig, [main])
    assert verify_detached(null_doc, null_sig, [v1_11_4]).primary_fingerprint == HASHICORP_FPR


def test_wrong_key_is_unknown_issuer(null_doc: bytes, null_sig: bytes) -> None:
    with pytest.raises(UnknownIssuerError, match="unknown issuer B0B441097685B676"):
        verify_detached(null_doc, null_sig, [keys.hashicorp_partners_cert()])


# ----------------------------------------------------------------------------- MPI normalisation


def test_null_signature_mpi_is_non_canonical(null_sig: bytes) -> None:
    header, body = _body(null_sig)
    offset = _mpi_offset(body)
    assert int.from_bytes(body[offset : offset + 2], "big") == 4096
    assert int.from_bytes(body[offset + 2 :], "big").bit_length() == 4091

    fixed = normalize_signature(null_sig)
    fixed_header, fixed_body = _body(fixed)
    assert fixed_header == header  # same value length: only the bit count changes
    assert int.from_bytes(fixed_body[offset : offset + 2], "big") == 4091
    assert fixed_body[:offset] == body[:offset]  # hashed area and everything else untouched
    assert fixed_body[offset + 2 :] == body[offset + 2 :]
    assert normalize_signature(fixed) == fixed  # idempotent


def test_canonical_signature_is_returned_unchanged(gpg_home: GpgHome, gpg_rsa_key: GpgKey) -> None:
    sig = gpg_home.sign(gpg_rsa_key, b"data")
    assert normalize_signature(sig) == sig


def _pad_first_mpi(sig: bytes, zero_bytes: int) -> bytes:
    """Prefix the first MPI's value with zero octets and inflate its bit count to match."""
    (packet,) = split_packets(sig)
    _, body = _body(packet)
    offset = _mpi_offset(body)
    bits = int.from_bytes(body[offset : offset + 2], "big")
    size = (bits + 7) // 8
    value = body[offset + 2 : offset + 2 + size]
    padded_bits = size * 8 + zero_bytes * 8
    new_body = (
        body[:offset]
        + padded_bits.to_bytes(2, "big")
        + b"\x00" * zero_bytes
        + value
        + body[offset + 2 + size :]
    )
    n = len(new_body)
    if n < 192:
        header = bytes((0xC2, n))
    elif n < 8384:
        header = bytes((0xC2, ((n - 192) >> 8) + 192, (n - 192) & 0xFF))
    else:
        header = bytes((0xC2, 0xFF)) + n.to_bytes(4, "big")
    return header + new_body


@pytest.mark.parametrize("key_fixture", ["gpg_rsa_key", "gpg_ed25519_key"])
def test_leading_zero_octets_are_stripped(
    gpg_home: GpgHome, key_fixture: str, request: pytest.FixtureRequest
) -> None:
    key: GpgKey = request.getfixturevalue(key_fixture)
    data = b"signed data\n"
    sig = gpg_home.sign(key, data)
    padded = _pad_first_mpi(sig, zero_bytes=2)
    assert len(padded) > len(sig)
    fixed = normalize_signature(padded)
    assert verify_detached(data, padded, [gpg_home.export(key)]).primary_fingerprint == (
        key.fingerprint
    )
    with pytest.raises(SignatureError, match="does not verify"):
        verify_detached(data + b"x", padded, [gpg_home.export(key)])
    assert len(fixed) <= len(sig) + 1  # back to canonical size (header may differ by 1)


def test_old_format_packet_header(null_doc: bytes, null_sig: bytes) -> None:
    _, body = _body(null_sig)
    old = bytes((0x80 | (2 << 2) | 1,)) + len(body).to_bytes(2, "big") + body  # tag 2, 2-octet
    fixed = normalize_signature(old)
    assert fixed[0] == old[0] and fixed[3:] != body  # old format kept, MPI re-encoded
    indeterminate = bytes((0x80 | (2 << 2) | 3,)) + body
    assert verify_detached(null_doc, old, [keys.hashicorp_cert()]).key_id == "34365D9472D7468F"
    assert verify_detached(null_doc, indeterminate, [keys.hashicorp_cert()]).key_id == (
        "34365D9472D7468F"
    )


def test_mpi_with_undeclared_bits_is_malformed(null_sig: bytes) -> None:
    header, body = _body(null_sig)
    offset = _mpi_offset(body)
    broken = body[:offset] + (4000).to_bytes(2, "big") + body[offset + 2 :]
    with pytest.raises(SignatureError, match="malformed OpenPGP signature packet"):
        normalize_signature(header + broken)


# ----------------------------------------------------------------------------- rejected inputs


def test_armored_signature_is_rejected(
    corpus: Path, gpg_home: GpgHome, gpg_rsa_key: GpgKey
) -> None:
    registry = corpus / "terraform/vectors/registry"
    vector = registry / "dl/acme/armoredsig/1.1.0/terraform-provider-armoredsig_1.1.0_SHA256SUMS"
    key = (registry / "keys/throwaway-signing-key_689618FB2A4ACDD1.pub.asc").read_bytes()
    sig = Path(f"{vector}.sig").read_bytes()
    with pytest.raises(SignatureError, match="ASCII-armored; Terraform accepts only binary"):
        verify_detached(vector.read_bytes(), sig, [key])
    armored = gpg_home.sign(gpg_rsa_key, b"x", armor=True)
    with pytest.raises(SignatureError, match="ASCII-armored"):
        verify_detached(b"x", b"\n  " + armored, [gpg_home.export(gpg_rsa_key)])


@pytest.mark.parametrize(
    ("garbage", "message"),
    [
        (b"", "empty signature"),
        (b"hello world", "tag byte does not have MSB set"),
        (b"\xc2", "truncated"),
        (b"\xc2\xff\x00\x00\x10\x00abc", "truncated"),
        (b"\xc2\xe1abc", "partial-length"),
        (b"\xc6\x03abc", "tag 6"),
    ],
)
def test_garbage_is_rejected(garbage: bytes, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_detached(b"data", garbage, [keys.hashicorp_cert()])


def test_every_truncation_and_random_bytes_are_clean_errors(
    null_doc: bytes, null_sig: bytes
) -> None:
    cert = keys.hashicorp_cert()
    for size in range(len(null_sig)):
        with pytest.raises(SignatureError) as info:
            verify_detached(null_doc, null_sig[:size], [cert])
        assert "\n" not in str(info.value) and "backtrace" not in str(info.value).lower()
    rnd = random.Random(7)
    for _ in range(200):
        blob = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 600)))
        with pytest.raises(SignatureError):
            verify_detached(null_doc, blob, [cert])


def test_bad_certificate(null_doc: bytes, null_sig: bytes) -> None:
    with pytest.raises(SignatureError, match="cannot parse OpenPGP certificate") as info:
        verify_detached(null_doc, null_sig, [b"not a key"])
    assert "backtrace" not in str(info.value).lower()
    with pytest.raises(SignatureError, match="no OpenPGP certificate"):
        verify_detached(null_doc, null_sig, [])


def test_lazy_import() -> None:
    code = (
        "import sys, depguard.verify.openpgp, depguard.verify.provider_auth, "
        "depguard.verify.hashes, depguard.verify.keys; "
        "sys.exit('pysequoia' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


# ----------------------------------------------------------------------------- gpg-made keys


@pytest.mark.parametrize("key_fixture", ["gpg_rsa_key", "gpg_ed25519_key", "gpg_subkey_key"])
@pytest.mark.parametrize("armored_cert", [True, False])
def test_gpg_signatures_verify(
    gpg_home: GpgHome, key_fixture: str, armored_cert: bool, request: pytest.FixtureRequest
) -> None:
    key: GpgKey = request.getfixturevalue(key_fixture)
    data = b"abc  terraform-provider-x_1.0.0_linux_amd64.zip\n"
    sig = gpg_home.sign(key, data)
    cert = gpg_home.export(key, armor=armored_cert)
    result = verify_detached(data, sig, [cert])
    assert result.primary_fingerprint == key.fingerprint
    assert result.signing_fingerprint == key.signing_fingerprint
    with pytest.raises(SignatureError, match="does not verify"):
        verify_detached(data[:-1], sig, [cert])


def test_subkey_signature_reports_primary(gpg_home: GpgHome, gpg_subkey_key: GpgKey) -> None:
    assert gpg_subkey_key.signing_fingerprint != gpg_subkey_key.fingerprint
    sig = gpg_home.sign(gpg_subkey_key, b"d")
    result = verify_detached(b"d", sig, [gpg_home.export(gpg_subkey_key)])
    assert result.key_id == gpg_subkey_key.key_id


def test_certificate_str_and_keyring(
    gpg_home: GpgHome, gpg_rsa_key: GpgKey, gpg_ed25519_key: GpgKey
) -> None:
    sig = gpg_home.sign(gpg_ed25519_key, b"d")
    keyring = gpg_home.export(gpg_rsa_key) + gpg_home.export(gpg_ed25519_key)
    assert verify_detached(b"d", sig, [keyring.decode()]).primary_fingerprint == (
        gpg_ed25519_key.fingerprint
    )


def test_first_signature_with_a_known_issuer_counts(
    gpg_home: GpgHome, gpg_rsa_key: GpgKey, gpg_ed25519_key: GpgKey
) -> None:
    both = gpg_home.sign(gpg_rsa_key, b"d") + gpg_home.sign(gpg_ed25519_key, b"d")
    cert = gpg_home.export(gpg_ed25519_key)
    assert verify_detached(b"d", both, [cert]).primary_fingerprint == gpg_ed25519_key.fingerprint
    with pytest.raises(UnknownIssuerError, match=f"{gpg_rsa_key.key_id}, {gpg_ed25519_key.key_id}"):
        verify_detached(b"d", both, [keys.hashicorp_cert()])


def test_revoked_key_is_rejected(gpg_revoked_key: SignedSample) -> None:
    s = gpg_revoked_key
    with pytest.raises(SignatureError, match=f"key {s.key.fingerprint} is revoked"):
        verify_detached(s.data, s.signature, [s.cert])


def test_key_expired_after_signing_is_accepted(gpg_expired_key: SignedSample) -> None:
    s = gpg_expired_key
    result = verify_detached(s.data, s.signature, [s.cert])
    assert result.primary_fingerprint == s.key.fingerprint
    assert result.created == dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)


def test_signature_made_after_expiry_is_rejected(gpg_signed_after_expiry: SignedSample) -> None:
    s = gpg_signed_after_expiry
    with pytest.raises(SignatureError, match="made on 2020-03-01, after the key expired"):
        verify_detached(s.data, s.signature, [s.cert])


def test_forged_subkey_is_rejected(
    gpg_home: GpgHome, gpg_ed25519_key: GpgKey, gpg_subkey_key: GpgKey
) -> None:
    # The attacker grafts their own signing subkey (bound by *their* primary) onto the
    # victim's certificate and signs with it: the issuer is "in" the forged cert, but the
    # binding is not the victim's, so it must not verify as the victim.
    forged = forge_subkey_cert(
        gpg_home.export(gpg_ed25519_key, armor=False), gpg_home.export(gpg_subkey_key, armor=False)
    )
    assert [packet_tag(p) for p in split_packets(forged)].count(14) == 1
    sig = gpg_home.sign(gpg_subkey_key, b"payload")
    with pytest.raises(SignatureError, match="does not verify") as info:
        verify_detached(b"payload", sig, [forged])
    assert not isinstance(info.value, UnknownIssuerError)  # the issuer *is* in the forgery


def test_sha1_signature_is_rejected_with_a_reason(gpg_home: GpgHome, gpg_rsa_key: GpgKey) -> None:
    sig = gpg_home.sign(gpg_rsa_key, b"d", digest="SHA1")
    with pytest.raises(SignatureError, match="SHA1 digest"):
        verify_detached(b"d", sig, [gpg_home.export(gpg_rsa_key)])


# ----------------------------------------------------------------------------- armor


def test_dearmor_matches_gpg(gpg_home: GpgHome, gpg_rsa_key: GpgKey) -> None:
    armored = gpg_home.export(gpg_rsa_key)
    kind, body = dearmor(armored)
    assert kind == "PUBLIC KEY BLOCK"
    assert body == gpg_home.dearmor(armored) == gpg_home.export(gpg_rsa_key, armor=False)
    sig_kind, _ = dearmor(gpg_home.sign(gpg_rsa_key, b"x", armor=True).decode())
    assert sig_kind == "SIGNATURE"


def test_dearmor_rejects_bad_input(gpg_home: GpgHome, gpg_rsa_key: GpgKey) -> None:
    armored = gpg_home.export(gpg_rsa_key).decode()
    lines = armored.splitlines()
    crc_index = next(i for i, line in enumerate(lines) if line.startswith("="))
    lines[crc_index] = "=AAAA"
    with pytest.raises(SignatureError, match="checksum mismatch"):
        dearmor("\n".join(lines))
    with pytest.raises(SignatureError, match="BEGIN PGP"):
        dearmor("just text")
    with pytest.raises(SignatureError, match="END PGP"):
        dearmor(armored.replace("-----END PGP PUBLIC KEY BLOCK-----", ""))
    with pytest.raises(SignatureError, match="invalid base64"):
        dearmor(armored.replace(lines[3], "!!!!" + lines[3][4:]))
    with pytest.raises(SignatureError, match="not ASCII armor"):
        dearmor(b"\xff\xfe")


def test_mutated_signatures_only_ever_raise_signature_error() -> None:
    """Random byte flips in a real binary signature never escape as pysequoia RuntimeErrors."""
    import random

    from depguard.errors import SignatureError as _SignatureError

    root = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"
    dl = root / "upstream" / "tf.acme.example" / "dl" / "platform" / "inventory" / "1.3.0"
    sums = (dl / "terraform-provider-inventory_1.3.0_SHA256SUMS").read_bytes()
    sig = (dl / "terraform-provider-inventory_1.3.0_SHA256SUMS.sig").read_bytes()
    key = (root / "keys" / "acme-demo.asc").read_text()
    verify_detached(sums, sig, [key])  # the original verifies
    rng = random.Random(1)
    for _ in range(400):
        mutated = bytearray(sig)
        for _ in range(rng.randint(1, 3)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try:
            verify_detached(sums, bytes(mutated), [key])
        except _SignatureError:
            continue
