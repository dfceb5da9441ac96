"""minisign verification: vectors made here with py-minisign and, independently, with raw
Ed25519 + BLAKE2b-512 following the published format."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import minisign
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from depguard.errors import InputError, SignatureError
from depguard.verify.minisign import key_id_hex, verify_minisign

DATA = b"checksums for tool v1.2.3\n" * 100
SRC = "https://example.test/tool_checksums.txt.minisig"


@pytest.fixture(scope="module")
def keypair() -> minisign.KeyPair:
    return minisign.KeyPair.generate()


@pytest.fixture(scope="module")
def other_keypair() -> minisign.KeyPair:
    return minisign.KeyPair.generate()


def pub(kp: minisign.KeyPair) -> str:
    return str(kp.public_key.to_base64().decode())


def sign(kp: minisign.KeyPair, data: bytes, *, prehash: bool = True, comment: str = "") -> bytes:
    sig = kp.secret_key.sign(
        data, prehash=prehash, trusted_comment=comment or "timestamp:1767225600\tfile:x"
    )
    return bytes(sig) + b"\n"


def test_prehashed_bytes_and_path(keypair: minisign.KeyPair, tmp_path: Path) -> None:
    sig = sign(keypair, DATA, comment="timestamp:1\tfile:tool\thashed")
    assert verify_minisign(DATA, sig, pub(keypair), source=SRC) == "timestamp:1\tfile:tool\thashed"
    f = tmp_path / "tool.bin"
    f.write_bytes(DATA)
    assert verify_minisign(f, sig, pub(keypair), source=SRC) == "timestamp:1\tfile:tool\thashed"


def test_big_file_is_streamed(keypair: minisign.KeyPair, tmp_path: Path) -> None:
    data = bytes(range(256)) * (24 * 1024)  # 6 MiB
    f = tmp_path / "big.tar.gz"
    f.write_bytes(data)
    sig = sign(keypair, data)
    assert verify_minisign(f, sig, pub(keypair), source=SRC).startswith("timestamp:")


def test_public_key_as_pub_file_and_signature_with_crlf(keypair: minisign.KeyPair) -> None:
    sig = sign(keypair, DATA).replace(b"\n", b"\r\n") + b"\r\n\r\n"
    pub_file = bytes(keypair.public_key).decode() + "\n"
    assert verify_minisign(DATA, sig, pub_file, source=SRC)


def test_legacy_refused_by_default(keypair: minisign.KeyPair, tmp_path: Path) -> None:
    sig = sign(keypair, DATA, prehash=False)
    with pytest.raises(SignatureError) as exc:
        verify_minisign(DATA, sig, pub(keypair), source=SRC)
    assert exc.value.message.startswith(SRC + ": legacy minisign signature")
    assert "'Ed'" in exc.value.message
    assert verify_minisign(DATA, sig, pub(keypair), allow_legacy=True, source=SRC)
    f = tmp_path / "d"
    f.write_bytes(DATA)
    assert verify_minisign(f, sig, pub(keypair), allow_legacy=True, source=SRC)


def test_legacy_tampered_fails_even_when_allowed(keypair: minisign.KeyPair) -> None:
    sig = sign(keypair, DATA, prehash=False)
    with pytest.raises(SignatureError, match="verification failed"):
        verify_minisign(DATA + b"x", sig, pub(keypair), allow_legacy=True, source=SRC)


def test_wrong_key(keypair: minisign.KeyPair, other_keypair: minisign.KeyPair) -> None:
    sig = sign(other_keypair, DATA)
    with pytest.raises(SignatureError) as exc:
        verify_minisign(DATA, sig, pub(keypair), source=SRC)
    msg = exc.value.message
    other_id = base64.b64decode(pub(other_keypair))[2:10]
    mine = base64.b64decode(pub(keypair))[2:10]
    assert key_id_hex(other_id) in msg and key_id_hex(mine) in msg
    assert "not by the pinned public key" in msg


def test_same_key_id_other_key_fails(keypair: minisign.KeyPair) -> None:
    # A forged public key reusing the key id still fails the Ed25519 check.
    raw = bytearray(base64.b64decode(pub(keypair)))
    raw[10:42] = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    forged = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SignatureError, match="verification failed"):
        verify_minisign(DATA, sign(keypair, DATA), forged, source=SRC)


def test_tampered_data(keypair: minisign.KeyPair, tmp_path: Path) -> None:
    sig = sign(keypair, DATA)
    with pytest.raises(SignatureError, match="verification failed") as exc:
        verify_minisign(DATA[:-1] + b"?", sig, pub(keypair), source=SRC)
    assert exc.value.message.startswith(SRC)
    f = tmp_path / "d"
    f.write_bytes(DATA + b"\n")
    with pytest.raises(SignatureError, match="verification failed"):
        verify_minisign(f, sig, pub(keypair), source=SRC)


def test_tampered_trusted_comment(keypair: minisign.KeyPair) -> None:
    sig = sign(keypair, DATA, comment="timestamp:1\tfile:tool-1.0.0.tar.gz")
    edited = sig.replace(b"tool-1.0.0", b"tool-9.9.9")
    assert edited != sig
    with pytest.raises(SignatureError, match="verification failed"):
        verify_minisign(DATA, edited, pub(keypair), source=SRC)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: b"",
        lambda s: b"not a signature",
        lambda s: b"\n".join(s.splitlines()[:3]),  # three lines
        lambda s: s.replace(b"trusted comment: ", b"trusted note: "),
        lambda s: b"\n".join([*s.splitlines()[:1], b"!!!notbase64", *s.splitlines()[2:]]),
        lambda s: b"\n".join(
            [*s.splitlines()[:1], base64.b64encode(b"XY" + bytes(72)), *s.splitlines()[2:]]
        ),
        lambda s: b"\xff\xfe" + s,
        lambda s: s + b"x" * 70000,
    ],
)
def test_malformed_signature(keypair: minisign.KeyPair, mangle: object) -> None:
    sig = sign(keypair, DATA)
    bad = mangle(sig)  # type: ignore[operator]
    with pytest.raises(SignatureError) as exc:
        verify_minisign(DATA, bad, pub(keypair), source=SRC)
    assert exc.value.message.startswith(SRC + ": ")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "not base64!",
        "RWQ",
        base64.b64encode(b"ED" + bytes(40)).decode(),  # "ED" is not a key algorithm
        base64.b64encode(b"Ed" + bytes(39)).decode(),
    ],
)
def test_malformed_public_key_is_input_error(keypair: minisign.KeyPair, key: str) -> None:
    with pytest.raises(InputError, match="invalid minisign public key"):
        verify_minisign(DATA, sign(keypair, DATA), key, source=SRC)


def test_unreadable_file_is_input_error(keypair: minisign.KeyPair, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        verify_minisign(tmp_path / "missing", sign(keypair, DATA), pub(keypair), source=SRC)


def _independent_vector(data: bytes, comment: str, *, prehash: bool) -> tuple[str, bytes]:
    """A key and signature built from the published format, without py-minisign."""
    sk = ed25519.Ed25519PrivateKey.generate()
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = bytes.fromhex("0123456789abcdef")
    message = hashlib.blake2b(data).digest() if prehash else data
    sig = sk.sign(message)
    global_sig = sk.sign(sig + comment.encode())
    alg = b"ED" if prehash else b"Ed"
    text = b"\n".join(
        [
            b"untrusted comment: signature from minisign secret key",
            base64.b64encode(alg + key_id + sig),
            b"trusted comment: " + comment.encode(),
            base64.b64encode(global_sig),
            b"",
        ]
    )
    return base64.b64encode(b"Ed" + key_id + pk).decode(), text


def test_independent_prehashed_vector() -> None:
    key, sig = _independent_vector(DATA, "timestamp:5\tfile:a", prehash=True)
    assert verify_minisign(DATA, sig, key, source=SRC) == "timestamp:5\tfile:a"
    with pytest.raises(SignatureError):
        verify_minisign(DATA + b"!", sig, key, source=SRC)


def test_independent_legacy_vector() -> None:
    key, sig = _independent_vector(DATA, "c", prehash=False)
    with pytest.raises(SignatureError, match="legacy"):
        verify_minisign(DATA, sig, key, source=SRC)
    assert verify_minisign(DATA, sig, key, allow_legacy=True, source=SRC) == "c"


def test_key_id_is_printed_like_minisign() -> None:
    # minisign prints le64_load(keynum) with %016llX.
    assert key_id_hex(bytes.fromhex("08a0188bc5695ff1")) == "F15F69C58B18A008"
