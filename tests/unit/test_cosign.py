"""cosign: opts → policy mapping, Go regular expressions, certificate policies, keyed
signatures (generated keys), the managed-key conformance vector, and the offline SET-based
legacy-bundle verifier (production vectors, tampered copies, custom trust roots)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from depguard.errors import InputError, SignatureError, UnsupportedError
from depguard.verify import trust_root
from depguard.verify.cosign import (
    CosignOptions,
    ExactIdentity,
    ExactIssuer,
    ExtensionEquals,
    PolicySet,
    RegexIdentity,
    RegexIssuer,
    SourceRepository,
    SourceRepositoryRef,
    go_regexp,
    parse_cosign_opts,
    policy_from_opts,
    verify_cosign_key,
    verify_keyed,
    verify_legacy_bundle,
)
from depguard.verify.sigstore import verify_cosign
from depguard.verify.trust_root import TrustMaterial, load_trust_material

BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
RFC8785_ID = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
GHA = "https://token.actions.githubusercontent.com"


# --------------------------------------------------------------------------- opts


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        (
            ["--certificate-identity", "https://x", "--certificate-oidc-issuer", GHA],
            CosignOptions(identity="https://x", oidc_issuer=GHA),
        ),
        (
            ["--certificate-identity=https://x", f"--certificate-oidc-issuer={GHA}"],
            CosignOptions(identity="https://x", oidc_issuer=GHA),
        ),
        (
            ["--certificate-identity-regexp", "^a=b$", "--certificate-oidc-issuer-regexp=.*"],
            CosignOptions(identity_regexp="^a=b$", oidc_issuer_regexp=".*"),
        ),
        (
            [
                "--certificate-github-workflow-trigger",
                "release",
                "--certificate-github-workflow-sha=abc",
                "--certificate-github-workflow-name",
                "Release",
                "--certificate-github-workflow-repository",
                "o/r",
                "--certificate-github-workflow-ref=refs/tags/v1",
            ],
            CosignOptions(
                github_workflow_trigger="release",
                github_workflow_sha="abc",
                github_workflow_name="Release",
                github_workflow_repository="o/r",
                github_workflow_ref="refs/tags/v1",
            ),
        ),
        (
            [
                "--signature",
                "https://h/x.sig",
                "--certificate=https://h/x.pem",
                "--bundle",
                "b.json",
                "--key",
                "https://h/cosign.pub",
            ],
            CosignOptions(
                signature="https://h/x.sig",
                certificate="https://h/x.pem",
                bundle="b.json",
                key="https://h/cosign.pub",
            ),
        ),
        (["--insecure-ignore-tlog"], CosignOptions(insecure_ignore_tlog=True)),
        (["--insecure-ignore-tlog=true"], CosignOptions(insecure_ignore_tlog=True)),
        (["--insecure-ignore-tlog=false"], CosignOptions(insecure_ignore_tlog=False)),
        (["--insecure-ignore-tlog=1"], CosignOptions(insecure_ignore_tlog=True)),
        ([], CosignOptions()),
        # The same flag twice with the same value is harmless.
        (["--key", "k", "--key=k"], CosignOptions(key="k")),
    ],
)
def test_parse_cosign_opts(opts: list[str], expected: CosignOptions) -> None:
    assert parse_cosign_opts(opts, where="reg.yaml") == expected


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (["--rekor-url", "https://x"], "unsupported cosign flag --rekor-url"),
        (["--insecure-ignore-sct"], "unsupported cosign flag --insecure-ignore-sct"),
        (["-certificate-identity", "x"], "unexpected cosign argument"),
        (["checksums.txt"], "unexpected cosign argument"),
        (["--"], "unexpected cosign argument"),
        (["--certificate-identity"], "needs a value"),
        (["--certificate-identity="], "empty value"),
        (["--certificate-identity", ""], "empty value"),
        (["--insecure-ignore-tlog=maybe"], "not a boolean"),
        (["--certificate-identity", "a", "--certificate-identity", "b"], "given twice"),
    ],
)
def test_parse_cosign_opts_errors(opts: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_cosign_opts(opts, where="pkgs/x/registry.yaml")
    assert str(info.value).startswith("pkgs/x/registry.yaml")


def test_policy_from_opts_keyless() -> None:
    policy = policy_from_opts(
        [
            "--certificate-identity-regexp",
            r"^https://github\.com/o/r/\.github/workflows/.+\.ya?ml@refs/tags/\Qv1.2.3\E$",
            "--certificate-identity",
            "https://exact",
            "--certificate-oidc-issuer",
            GHA,
            "--certificate-oidc-issuer-regexp",
            "^https://token",
            "--certificate-github-workflow-ref",
            "refs/tags/v1.2.3",
            "--signature",
            "https://example/x.sig",
        ],
        where="w",
    )
    assert isinstance(policy, PolicySet)
    kinds = [type(child) for child in policy.children]
    assert kinds == [ExactIdentity, RegexIdentity, ExactIssuer, RegexIssuer, ExtensionEquals]
    assert "identity ~ ^https://github" in policy.describe()
    assert "GitHubWorkflowRef = refs/tags/v1.2.3" in policy.describe()


@pytest.mark.parametrize(
    ("opts", "keyed"),
    [(["--key", "https://x/cosign.pub"], False), (["--insecure-ignore-tlog"], True), ([], True)],
)
def test_policy_from_opts_keyed_is_none(opts: list[str], keyed: bool) -> None:
    assert policy_from_opts(opts, where="w", keyed=keyed) is None


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ([], "cosign opts give no certificate identity"),
        (["--certificate-oidc-issuer", GHA], "cosign opts give no certificate identity"),
        (["--signature", "s", "--certificate", "c"], "cosign opts give no certificate identity"),
        (["--certificate-identity", "x"], "cosign opts give no OIDC issuer"),
        (
            ["--certificate-identity-regexp", "(?=x)", "--certificate-oidc-issuer", GHA],
            "unsupported regular expression",
        ),
        (["--certificate-identity-regexp", "(", "--certificate-oidc-issuer", GHA], "invalid"),
    ],
)
def test_policy_from_opts_errors(opts: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        policy_from_opts(opts, where="w")


# --------------------------------------------------------------------------- Go regexp


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        # Unanchored, like Go's MatchString (cosign's --certificate-identity-regexp).
        (r"github\.com/o/r", "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1", True),
        (
            r"^https://github\.com/o/r/\.github/workflows/release\.yaml@",
            "https://github.com/o/r/.github/workflows/release.yaml@refs/tags/v1",
            True,
        ),
        (r"@refs/tags/\Qv1.2.3\E$", "x@refs/tags/v1.2.3", True),
        (r"@refs/tags/\Qv1.2.3\E$", "x@refs/tags/v1x2x3", False),
        (r"\Qa+b", "xa+b", True),  # \Q without \E runs to the end
        (r"^a$", "a\n", False),  # Go's $ is end of text
        (r"(?m)^a$", "b\na\n", True),
        (r"^a\z", "a", True),
        (r"(?i)^HTTPS://GITHUB\.COM/", "https://github.com/x", True),
        (r"^(?<name>v\d+)\.", "v12.3", True),
        (r"^(?P<name>v\d+)\.", "v12.3", True),
        (r"^[[:alpha:]]+$", "abc", True),
        (r"^[[:digit:]]+$", "abc", False),
        (r"^[]a]+$", "]a]", True),
        (r"^[a&&b]$", "&", True),  # literal in Go sets
        (r"^\d+$", "٣", False),  # Go's \d is ASCII
        (r"^\x{41}$", "A", True),
        (r"^(?i:a)b$", "Ab", True),
        (r"^a{2,3}$", "aaa", True),
        (r"^a*?b$", "aab", True),
    ],
)
def test_go_regexp(pattern: str, text: str, matches: bool) -> None:
    assert bool(go_regexp(pattern, where="w").search(text)) is matches


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?=a)",
        r"(?<=a)b",
        r"(?!a)",
        r"(a)\1",
        r"\pL",
        r"\p{Greek}",
        r"a*+",
        r"a++",
        r"(?U)a",
        r"a(?i)b",
        r"[[:nope:]]",
        r"[a",
        "a\\",
        r"\Z",
        r"(?>a)",
        "a" * 5000,
    ],
)
def test_go_regexp_refuses(pattern: str) -> None:
    with pytest.raises(InputError):
        go_regexp(pattern, where="w")


# --------------------------------------------------------------------------- policies


def _der_utf8(value: str) -> bytes:
    raw = value.encode()
    assert len(raw) < 128
    return bytes([0x0C, len(raw)]) + raw


def make_cert(
    *,
    uris: tuple[str, ...] = ("https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v1",),
    emails: tuple[str, ...] = (),
    username: str | None = None,
    raw: dict[int, str] | None = None,
    der: dict[int, str] | None = None,
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in uris]
    sans += [x509.RFC822Name(e) for e in emails]
    if username is not None:
        sans.append(x509.OtherName(ObjectIdentifier("1.3.6.1.4.1.57264.1.7"), _der_utf8(username)))
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(minutes=10))
        .add_extension(x509.SubjectAlternativeName(sans), critical=True)
    )
    for number, value in (raw or {}).items():
        oid = ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{number}")
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, value.encode()), False)
    for number, value in (der or {}).items():
        oid = ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{number}")
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, _der_utf8(value)), False)
    return builder.sign(key, hashes.SHA256())


def _passes(policy: Any, cert: x509.Certificate) -> bool:
    from sigstore.errors import VerificationError

    try:
        policy.verify(cert)
    except VerificationError:
        return False
    return True


def test_identity_policies_cover_uri_email_and_username() -> None:
    cert = make_cert(emails=("dev@example.com",), username="octocat")
    assert _passes(ExactIdentity("dev@example.com"), cert)
    assert _passes(ExactIdentity("octocat"), cert)
    assert _passes(
        ExactIdentity("https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v1"), cert
    )
    assert not _passes(ExactIdentity("https://github.com/o/r"), cert)
    assert _passes(RegexIdentity(r"^https://github\.com/o/r/", where="w"), cert)
    assert _passes(RegexIdentity(r"example\.com$", where="w"), cert)
    assert not _passes(RegexIdentity(r"^https://github\.com/o/other/", where="w"), cert)
    assert not _passes(RegexIdentity(r".", where="w"), make_cert(uris=()))


def test_issuer_prefers_v2_extension_and_falls_back_to_v1() -> None:
    both = make_cert(raw={1: "https://legacy"}, der={8: GHA})
    assert _passes(ExactIssuer(GHA), both)
    assert not _passes(ExactIssuer("https://legacy"), both)
    legacy_only = make_cert(raw={1: GHA})
    assert _passes(ExactIssuer(GHA), legacy_only)
    assert _passes(RegexIssuer(r"^https://token\.actions\.", where="w"), legacy_only)
    assert not _passes(RegexIssuer(r"^https://accounts\.google", where="w"), legacy_only)
    assert not _passes(ExactIssuer(GHA), make_cert())
    assert not _passes(RegexIssuer(".*", where="w"), make_cert())


def test_extension_policies() -> None:
    cert = make_cert(
        raw={2: "release", 5: "o/r", 6: "refs/tags/v1"},
        der={12: "https://github.com/o/r", 14: "refs/tags/v1"},
    )
    assert _passes(ExtensionEquals("GitHubWorkflowTrigger", "release"), cert)
    assert not _passes(ExtensionEquals("GitHubWorkflowTrigger", "push"), cert)
    assert not _passes(ExtensionEquals("GitHubWorkflowSHA", "abc"), cert)  # absent
    assert _passes(ExtensionEquals("SourceRepositoryURI", "https://github.com/o/r"), cert)
    assert _passes(SourceRepository("o/r"), cert)
    assert not _passes(SourceRepository("o/other"), cert)
    assert _passes(SourceRepositoryRef("refs/tags/v1"), cert)
    assert not _passes(SourceRepositoryRef("refs/tags/v2"), cert)
    legacy = make_cert(raw={5: "o/r", 6: "refs/tags/v1"})
    assert _passes(SourceRepository("o/r"), legacy)
    assert _passes(SourceRepositoryRef("refs/tags/v1"), legacy)
    # The URI extension, when present, wins over the legacy one.
    mixed = make_cert(raw={5: "o/r"}, der={12: "https://github.com/evil/r"})
    assert not _passes(SourceRepository("o/r"), mixed)
    with pytest.raises(ValueError, match="unknown Fulcio extension"):
        ExtensionEquals("Nope", "x")
    with pytest.raises(ValueError, match="at least one"):
        PolicySet([])


# --------------------------------------------------------------------------- keyed


def _pem(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


KeySigner = Callable[[bytes], tuple[bytes, bytes]]


def _ec(curve: ec.EllipticCurve, algorithm: hashes.HashAlgorithm) -> KeySigner:
    def sign(data: bytes) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(curve)
        return key.sign(data, ec.ECDSA(algorithm)), _pem(key)

    return sign


def _ed25519(data: bytes) -> tuple[bytes, bytes]:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.sign(data), _pem(key)


def _rsa_pkcs1(data: bytes) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256()), _pem(key)


def _rsa_pss(data: bytes) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
    return key.sign(data, pss, hashes.SHA256()), _pem(key)


SIGNERS = {
    "p256": _ec(ec.SECP256R1(), hashes.SHA256()),
    "p384": _ec(ec.SECP384R1(), hashes.SHA384()),
    "p521": _ec(ec.SECP521R1(), hashes.SHA512()),
    "ed25519": _ed25519,
    "rsa-pkcs1v15": _rsa_pkcs1,
    "rsa-pss": _rsa_pss,
}
DATA = b"4f5c1c0e  tool_1.2.3_linux_amd64.tar.gz\n" * 50


@pytest.mark.parametrize("kind", sorted(SIGNERS))
def test_verify_cosign_key(kind: str, tmp_path: Path) -> None:
    signature, pem = SIGNERS[kind](DATA)
    b64 = base64.b64encode(signature) + b"\n"  # cosign writes base64 text
    verify_cosign_key(DATA, b64, pem, source="x.sig")
    verify_cosign_key(DATA, signature, pem, source="x.sig")  # raw signature bytes
    artifact = tmp_path / "checksums.txt"
    artifact.write_bytes(DATA)
    verify_cosign_key(artifact, b64, pem, source="x.sig")  # streaming from a file

    with pytest.raises(SignatureError, match="does not verify"):
        verify_cosign_key(DATA + b"x", b64, pem, source="x.sig")
    flipped = bytearray(signature)
    flipped[len(flipped) // 2] ^= 0x01
    with pytest.raises(SignatureError, match=r"^x\.sig: cosign signature does not verify"):
        verify_cosign_key(DATA, bytes(flipped), pem, source="x.sig")
    _, other = SIGNERS[kind](DATA)
    with pytest.raises(SignatureError):
        verify_cosign_key(DATA, b64, other, source="x.sig")


def test_verify_cosign_key_bad_key() -> None:
    with pytest.raises(InputError, match="cannot parse the cosign public key"):
        verify_cosign_key(DATA, b"c2ln", b"-----BEGIN PUBLIC KEY-----\nnope\n", source="x.sig")


@pytest.fixture(scope="module")
def conformance(corpus: Path) -> Path:
    return corpus / "sigstore" / "sigstore-conformance"


@pytest.fixture(scope="module")
def legacy_dir(corpus: Path) -> Path:
    return corpus / "sigstore" / "derived-cosign-legacy"


def test_managed_key_conformance_vector(conformance: Path) -> None:
    bundle = json.loads((conformance / "managed-key-happy-path.sigstore.json").read_bytes())
    signature = base64.b64decode(bundle["messageSignature"]["signature"])
    key = (conformance / "managed-key-happy-path.key.pub").read_bytes()
    verify_cosign_key(conformance / "a.txt", signature, key, source="managed-key")
    with pytest.raises(SignatureError):
        verify_cosign_key(b"not a.txt", signature, key, source="managed-key")


def test_managed_key_bundle_with_its_log_entry(conformance: Path) -> None:
    raw = (conformance / "managed-key-happy-path.sigstore.json").read_bytes()
    key = (conformance / "managed-key-happy-path.key.pub").read_bytes()
    artifact = conformance / "a.txt"
    result = verify_keyed(artifact, key, bundle=raw, source="b.json")
    assert result.log_index == 771488337
    assert result.integrated_time == dt.datetime.fromtimestamp(1766077479, tz=dt.UTC)
    assert "keyed" in verify_cosign(artifact, key=key, bundle=raw, source="b.json")

    doc = json.loads(raw)
    entry = doc["verificationMaterial"]["tlogEntries"][0]
    entry["integratedTime"] = str(int(entry["integratedTime"]) + 1)
    with pytest.raises(SignatureError, match="signed entry timestamp does not verify"):
        verify_keyed(artifact, key, bundle=json.dumps(doc).encode(), source="b.json")
    # --insecure-ignore-tlog skips the entry (the signature still has to verify).
    result = verify_keyed(
        artifact, key, bundle=json.dumps(doc).encode(), ignore_tlog=True, source="b.json"
    )
    assert result.notes == ("transparency log ignored (--insecure-ignore-tlog)",)
    assert "ignored" in verify_cosign(
        artifact,
        key=key,
        bundle=json.dumps(doc).encode(),
        opts=["--insecure-ignore-tlog"],
        source="b.json",
    )


def test_verify_cosign_keyed_dispatch() -> None:
    signature, pem = SIGNERS["p256"](DATA)
    summary = verify_cosign(DATA, signature=base64.b64encode(signature), key=pem, source="s")
    assert "transparency log not consulted" in summary
    with pytest.raises(InputError, match="no key was given"):
        verify_cosign(DATA, signature=signature, opts=["--key", "https://x/cosign.pub"], source="s")
    with pytest.raises(InputError, match="needs a signature or a bundle"):
        verify_cosign(DATA, key=pem, source="s")
    with pytest.raises(SignatureError):
        verify_cosign(DATA + b"!", signature=signature, key=pem, source="s")


# --------------------------------------------------------------------------- legacy bundles


def _legacy(legacy_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((legacy_dir / f"{name}.cosign.bundle").read_bytes())


def _policy(identity: str = BEACON, issuer: str = GHA) -> PolicySet:
    return PolicySet([ExactIdentity(identity), ExactIssuer(issuer)])


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


def _flip_b64(value: str, index: int = -5) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_legacy_bundles_verify(legacy_dir: Path, corpus: Path) -> None:
    a_txt = corpus / "sigstore" / "sigstore-conformance" / "a.txt"
    result = verify_legacy_bundle(a_txt, _dump(_legacy(legacy_dir, "a.txt")), _policy(), source="b")
    assert result.format == "cosign-legacy-bundle"
    assert result.identities == (BEACON,)
    assert result.issuer == GHA
    assert result.integrated_time is not None
    wheel = corpus / "sigstore" / "sigstore-python" / "bundle_v3_github.whl"
    doc = _legacy(legacy_dir, "bundle_v3_github.whl")
    result = verify_legacy_bundle(wheel, doc, _policy(RFC8785_ID), source="b")
    assert result.log_index == doc["rekorBundle"]["Payload"]["logIndex"]
    # The same through the dispatcher with cosign opts, and with a regexp identity.
    opts = [
        "--certificate-identity-regexp",
        r"^https://github\.com/trailofbits/rfc8785\.py/\.github/workflows/.+@refs/tags/\Qv0.1.2\E$",
        "--certificate-oidc-issuer",
        GHA,
        "--certificate-github-workflow-trigger",
        "release",
    ]
    assert "cosign-legacy-bundle" in verify_cosign(wheel, bundle=_dump(doc), opts=opts, source="b")


Tamper = Callable[[dict[str, Any]], None]


def _set_payload(key: str, value: Any) -> Tamper:
    def tamper(doc: dict[str, Any]) -> None:
        doc["rekorBundle"]["Payload"][key] = value

    return tamper


TAMPERS: dict[str, tuple[Tamper, str]] = {
    "signature": (
        lambda d: d.update(base64Signature=_flip_b64(d["base64Signature"])),
        "signature over the artifact does not verify",
    ),
    "set": (
        lambda d: d["rekorBundle"].update(
            SignedEntryTimestamp=_flip_b64(d["rekorBundle"]["SignedEntryTimestamp"])
        ),
        "signed entry timestamp does not verify",
    ),
    "integrated-time": (
        lambda d: d["rekorBundle"]["Payload"].update(
            integratedTime=d["rekorBundle"]["Payload"]["integratedTime"] + 1
        ),
        "signed entry timestamp does not verify",
    ),
    "log-index": (
        lambda d: d["rekorBundle"]["Payload"].update(
            logIndex=d["rekorBundle"]["Payload"]["logIndex"] + 1
        ),
        "signed entry timestamp does not verify",
    ),
    "body": (
        lambda d: d["rekorBundle"]["Payload"].update(
            body=_flip_b64(d["rekorBundle"]["Payload"]["body"], 40)
        ),
        "signed entry timestamp does not verify",
    ),
    "log-id": (_set_payload("logID", "00" * 32), "is not in the trusted root"),
    "log-id-not-hex": (_set_payload("logID", "zz"), "logID is not hex"),
    "no-signature": (lambda d: d.pop("base64Signature"), "base64Signature is missing"),
    "bad-cert": (lambda d: d.update(cert="bm90IGEgY2VydA=="), "cannot parse the signing"),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_legacy_bundle_tampered(name: str, legacy_dir: Path, corpus: Path) -> None:
    tamper, message = TAMPERS[name]
    doc = _legacy(legacy_dir, "a.txt")
    tamper(doc)
    a_txt = corpus / "sigstore" / "sigstore-conformance" / "a.txt"
    with pytest.raises(SignatureError, match=message) as info:
        verify_legacy_bundle(a_txt, _dump(doc), _policy(), source="a.txt.cosign.bundle")
    assert str(info.value).startswith("a.txt.cosign.bundle: ")


def test_legacy_bundle_tampered_artifact_and_identity(legacy_dir: Path, corpus: Path) -> None:
    doc = _dump(_legacy(legacy_dir, "a.txt"))
    a_txt = (corpus / "sigstore" / "sigstore-conformance" / "a.txt").read_bytes()
    flipped = bytes([a_txt[0] ^ 0x01]) + a_txt[1:]
    with pytest.raises(SignatureError, match="signature over the artifact"):
        verify_legacy_bundle(flipped, doc, _policy(), source="b")
    with pytest.raises(SignatureError, match="is not"):
        verify_legacy_bundle(a_txt, doc, _policy(identity=RFC8785_ID), source="b")
    with pytest.raises(SignatureError, match="OIDC issuer"):
        verify_legacy_bundle(a_txt, doc, _policy(issuer="https://accounts.google.com"), source="b")
    regexp = PolicySet([RegexIdentity(r"^https://github\.com/evil/", where="w"), ExactIssuer(GHA)])
    with pytest.raises(SignatureError, match="does not match"):
        verify_legacy_bundle(a_txt, doc, regexp, source="b")


def test_legacy_bundle_with_another_certificate(legacy_dir: Path, corpus: Path) -> None:
    """A genuine certificate from another signing: chain and SCT hold, the signature does not."""
    doc = _legacy(legacy_dir, "a.txt")
    doc["cert"] = _legacy(legacy_dir, "bundle_v3_github.whl")["cert"]
    a_txt = corpus / "sigstore" / "sigstore-conformance" / "a.txt"
    with pytest.raises(SignatureError):
        verify_legacy_bundle(a_txt, _dump(doc), _policy(RFC8785_ID), source="b")


def test_legacy_bundle_unsupported_and_bad_input(legacy_dir: Path) -> None:
    doc = _legacy(legacy_dir, "a.txt")
    doc.pop("rekorBundle")
    with pytest.raises(UnsupportedError, match="needs an online Rekor lookup"):
        verify_legacy_bundle(b"x", _dump(doc), _policy(), source="b")
    with pytest.raises(InputError, match="not valid JSON"):
        verify_legacy_bundle(b"x", b"{oops", _policy(), source="b")


def _unbounded(authority: dict[str, Any]) -> dict[str, Any]:
    """The 2021 Fulcio root, claimed valid forever: it still did not issue the 2024 leaf."""
    return dict(authority, validFor={"start": "2021-01-01T00:00:00Z"})


def _custom_root(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> TrustMaterial:
    doc = json.loads(trust_root.pinned_trusted_root_bytes())
    edit(doc)
    path = tmp_path / "trusted_root.json"
    path.write_text(json.dumps(doc))
    return load_trust_material(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(ctlogs=[]), "no embedded SCT verifies"),
        (
            lambda d: [
                ca["validFor"].update(end="2022-06-01T00:00:00Z")
                for ca in d["certificateAuthorities"]
            ],
            "no Fulcio CA of the trusted root was valid",
        ),
        (
            lambda d: d.update(certificateAuthorities=[_unbounded(d["certificateAuthorities"][0])]),
            "does not chain to a trusted Fulcio CA",
        ),
        (
            lambda d: d["tlogs"][0]["publicKey"]["validFor"].update(end="2022-01-01T00:00:00Z"),
            "outside the validity",
        ),
        (lambda d: d["tlogs"].pop(0), "is not in the trusted root"),
    ],
)
def test_legacy_bundle_needs_the_trust_root(
    edit: Callable[[dict[str, Any]], None],
    message: str,
    tmp_path: Path,
    legacy_dir: Path,
    corpus: Path,
) -> None:
    trust = _custom_root(tmp_path, edit)
    a_txt = corpus / "sigstore" / "sigstore-conformance" / "a.txt"
    doc = _dump(_legacy(legacy_dir, "a.txt"))
    with pytest.raises(SignatureError, match=message):
        verify_legacy_bundle(a_txt, doc, _policy(), trusted_root=trust, source="b")


# ------------------------------------------------------------ keyed legacy bundle, own "Rekor"


def _fake_rekor_root(tmp_path: Path) -> tuple[TrustMaterial, ec.EllipticCurvePrivateKey, bytes]:
    rekor = ec.generate_private_key(ec.SECP256R1())
    der = rekor.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    log_id = hashlib.sha256(der).digest()

    def edit(doc: dict[str, Any]) -> None:
        doc["tlogs"].append(
            {
                "baseUrl": "https://rekor.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64.b64encode(der).decode(),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                },
                "logId": {"keyId": base64.b64encode(log_id).decode()},
            }
        )

    return _custom_root(tmp_path, edit), rekor, log_id


def _keyed_legacy_bundle(
    data: bytes,
    signer: ec.EllipticCurvePrivateKey,
    rekor: ec.EllipticCurvePrivateKey,
    log_id: bytes,
) -> dict[str, Any]:
    signature = signer.sign(data, ec.ECDSA(hashes.SHA256()))
    body = {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(data).hexdigest()}},
            "signature": {
                "content": base64.b64encode(signature).decode(),
                "publicKey": {"content": base64.b64encode(_pem(signer)).decode()},
            },
        },
    }
    body_b64 = base64.b64encode(rfc8785.dumps(body)).decode()
    payload = {
        "body": body_b64,
        "integratedTime": 1_700_000_000,
        "logID": log_id.hex(),
        "logIndex": 42,
    }
    set_sig = rekor.sign(rfc8785.dumps(payload), ec.ECDSA(hashes.SHA256()))
    return {
        "base64Signature": base64.b64encode(signature).decode(),
        "rekorBundle": {
            "SignedEntryTimestamp": base64.b64encode(set_sig).decode(),
            "Payload": payload,
        },
    }


def test_keyed_legacy_bundle_with_log_entry(tmp_path: Path) -> None:
    trust, rekor, log_id = _fake_rekor_root(tmp_path)
    signer = ec.generate_private_key(ec.SECP256R1())
    pem = _pem(signer)
    doc = _keyed_legacy_bundle(DATA, signer, rekor, log_id)
    result = verify_keyed(DATA, pem, bundle=_dump(doc), trusted_root=trust, source="b")
    assert result.log_index == 42
    assert "log index 42" in verify_cosign(
        DATA, bundle=_dump(doc), key=pem, trusted_root=trust, source="b"
    )
    # Not in the production root.
    with pytest.raises(SignatureError, match="not in the trusted root"):
        verify_keyed(DATA, pem, bundle=_dump(doc), source="b")

    # The log entry must be about this artifact, signature and key.
    other = ec.generate_private_key(ec.SECP256R1())
    mismatched = _keyed_legacy_bundle(DATA + b"?", signer, rekor, log_id)
    mismatched["base64Signature"] = doc["base64Signature"]
    with pytest.raises(SignatureError, match="log entry is for sha256"):
        verify_keyed(DATA, pem, bundle=_dump(mismatched), trusted_root=trust, source="b")
    foreign = _keyed_legacy_bundle(DATA, other, rekor, log_id)
    with pytest.raises(SignatureError, match="does not verify with the given public key"):
        verify_keyed(DATA, pem, bundle=_dump(foreign), trusted_root=trust, source="b")
    forged = copy.deepcopy(doc)
    forged["rekorBundle"]["SignedEntryTimestamp"] = base64.b64encode(
        other.sign(b"x", ec.ECDSA(hashes.SHA256()))
    ).decode()
    with pytest.raises(SignatureError, match="signed entry timestamp does not verify"):
        verify_keyed(DATA, pem, bundle=_dump(forged), trusted_root=trust, source="b")
