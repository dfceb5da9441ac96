"""Provider package authentication: SHA256SUMS parsing, archive checks, signer classes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from depguard.errors import IntegrityError, SignatureError
from depguard.sources.base import SigningKey
from depguard.verify import keys
from depguard.verify.provider_auth import (
    SignedShasums,
    authenticate_shasums,
    check_archive,
    normalize_fingerprint,
    parse_shasums,
    zh_hashes,
)
from tests.support.gpg import GpgHome, GpgKey, PartnerSetup, SignedSample

pytest_plugins = ("tests.support.gpg_fixtures",)

DEMO_FPR = "429814248A3499E58ABAC72B689618FB2A4ACDD1"
OTHER_FPR = "492C97CBC7E6CB0A6572B76D8FD2419C202746BA"
MANIFEST_ZH = "zh:fbd1fee2c9df3aa19cf8851ce134dea6e45ea01cb85695c1726670c285797e25"
DOC = b"0" * 64 + b"  terraform-provider-x_1.0.0_linux_amd64.zip\n"


# ----------------------------------------------------------------------------- vectors


def _registry(corpus: Path) -> Path:
    return corpus / "terraform/vectors/registry"


def _sums(corpus: Path, case: str) -> tuple[bytes, bytes]:
    base = _registry(corpus) / f"dl/acme/{case}/1.1.0/terraform-provider-{case}_1.1.0_SHA256SUMS"
    return base.read_bytes(), Path(f"{base}.sig").read_bytes()


def _registry_keys(corpus: Path) -> tuple[SigningKey, ...]:
    meta = json.loads(
        (_registry(corpus) / "v1/providers/acme/demo/1.1.0/download/linux/amd64.json").read_text()
    )
    return tuple(
        SigningKey(
            ascii_armor=k["ascii_armor"], trust_signature=k["trust_signature"], key_id=k["key_id"]
        )
        for k in meta["signing_keys"]["gpg_public_keys"]
    )


def _other_key(corpus: Path) -> SigningKey:
    path = _registry(corpus) / "keys/throwaway-other-key_8FD2419C202746BA.pub.asc"
    return SigningKey(ascii_armor=path.read_text())


def test_demo_community_key_unpinned_fails_closed(corpus: Path) -> None:
    doc, sig = _sums(corpus, "demo")
    with pytest.raises(SignatureError) as info:
        authenticate_shasums(doc, sig, _registry_keys(corpus), provider="example.com/acme/demo")
    message = info.value.diagnostics()
    assert f"signed by community key {DEMO_FPR} (key ID 689618FB2A4ACDD1)" in message
    assert "does not trust for example.com/acme/demo" in message
    assert f'fingerprint: "{DEMO_FPR}", providers: ["example.com/acme/demo"]' in message


def test_demo_community_key_pinned(corpus: Path) -> None:
    doc, sig = _sums(corpus, "demo")
    pin = " ".join(DEMO_FPR[i : i + 4] for i in range(0, 40, 4)).lower()  # as gpg prints it
    signer = authenticate_shasums(doc, sig, _registry_keys(corpus), trusted_fingerprints=[pin])
    assert signer.kind == "community"
    assert signer.primary_fingerprint == signer.signing_fingerprint == DEMO_FPR
    assert signer.key_id == "689618FB2A4ACDD1"
    assert signer.evidence() == "openpgp:689618FB2A4ACDD1:community"


def test_pin_for_another_key_does_not_help(corpus: Path) -> None:
    doc, sig = _sums(corpus, "demo")
    with pytest.raises(SignatureError, match="does not trust"):
        authenticate_shasums(doc, sig, _registry_keys(corpus), trusted_fingerprints=[OTHER_FPR])


def test_badsig_unknown_issuer(corpus: Path) -> None:
    doc, sig = _sums(corpus, "badsig")
    with pytest.raises(SignatureError, match="authentication signature from unknown issuer"):
        authenticate_shasums(doc, sig, _registry_keys(corpus), trusted_fingerprints=[OTHER_FPR])


def test_no_signing_keys_is_unknown_issuer(corpus: Path) -> None:
    doc, sig = _sums(corpus, "demo")
    with pytest.raises(SignatureError, match="unknown issuer"):
        authenticate_shasums(doc, sig, [], trusted_fingerprints=[DEMO_FPR])


def test_second_registry_key_is_found(corpus: Path) -> None:
    doc, sig = _sums(corpus, "badsig")
    signer = authenticate_shasums(
        doc, sig, [*_registry_keys(corpus), _other_key(corpus)], trusted_fingerprints=[OTHER_FPR]
    )
    assert signer.primary_fingerprint == OTHER_FPR


def test_armored_signature_is_terminal(corpus: Path) -> None:
    doc, sig = _sums(corpus, "armoredsig")
    with pytest.raises(SignatureError, match="ASCII-armored"):
        authenticate_shasums(doc, sig, _registry_keys(corpus), trusted_fingerprints=[DEMO_FPR])


def test_tampered_document_is_terminal(corpus: Path) -> None:
    doc, sig = _sums(corpus, "demo")
    with pytest.raises(SignatureError, match="does not verify"):
        authenticate_shasums(
            doc.replace(b"b15c", b"b15d"),
            sig,
            _registry_keys(corpus),
            trusted_fingerprints=[DEMO_FPR],
        )


def test_undecodable_registry_key_is_terminal(corpus: Path) -> None:
    doc, sig = _sums(corpus, "demo")
    with pytest.raises(SignatureError, match="cannot parse OpenPGP certificate"):
        authenticate_shasums(doc, sig, [SigningKey(ascii_armor="garbage")])


# ----------------------------------------------------------------------------- official


def test_real_null_is_official(corpus: Path) -> None:
    signing = corpus / "terraform/real/signing"
    doc = (signing / "terraform-provider-null_3.1.0_SHA256SUMS").read_bytes()
    sig = (signing / "terraform-provider-null_3.1.0_SHA256SUMS.sig").read_bytes()
    # What registry.terraform.io serves in signing_keys: HashiCorp's key (here the v1.11.4
    # copy, whose primary has since expired).
    served = (signing / "hashicorp-public-key_as-embedded-in-terraform-v1.11.4.asc").read_text()
    signer = authenticate_shasums(doc, sig, [SigningKey(ascii_armor=served)])
    assert signer.kind == "official"
    assert signer.primary_fingerprint == keys.HASHICORP_FINGERPRINT
    assert signer.signing_fingerprint == "B36CBA91A2C0730C435FC280B0B441097685B676"
    assert signer.evidence() == "openpgp:34365D9472D7468F:official"
    assert signer.created is not None and signer.created.year == 2021


def test_injected_hashicorp_key_is_official(gpg_home: GpgHome, gpg_rsa_key: GpgKey) -> None:
    cert = gpg_home.export(gpg_rsa_key)
    sig = gpg_home.sign(gpg_rsa_key, DOC)
    registry_key = SigningKey(ascii_armor=cert.decode())
    assert authenticate_shasums(DOC, sig, [registry_key], hashicorp_key=cert).kind == "official"
    # The same key without the injection is a community key.
    with pytest.raises(SignatureError, match="community key"):
        authenticate_shasums(DOC, sig, [registry_key])


def test_official_key_id_that_shipped_cert_rejects_hints_update(
    gpg_home: GpgHome, gpg_rsa_key: GpgKey, corpus: Path
) -> None:
    # Signed by HashiCorp, but with a cert the shipped one no longer verifies: the Terraform
    # main copy alone lacks the 2021 self-signature (see manifests/keys/README.md).
    signing = corpus / "terraform/real/signing"
    doc = (signing / "terraform-provider-null_3.1.0_SHA256SUMS").read_bytes()
    sig = (signing / "terraform-provider-null_3.1.0_SHA256SUMS.sig").read_bytes()
    old = (signing / "hashicorp-public-key_as-embedded-in-terraform-v1.11.4.asc").read_text()
    main = (signing / "hashicorp-public-key.asc").read_bytes()
    with pytest.raises(SignatureError, match="community key") as info:
        authenticate_shasums(doc, sig, [SigningKey(ascii_armor=old)], hashicorp_key=main)
    assert info.value.hint is not None and "update depguard" in info.value.hint


# ----------------------------------------------------------------------------- partner


def _partner_key(setup: PartnerSetup, trust_signature: str | None = None) -> SigningKey:
    return SigningKey(
        ascii_armor=setup.provider_armor,
        trust_signature=setup.trust_signature if trust_signature is None else trust_signature,
    )


def test_partner_classification(gpg_home: GpgHome, gpg_partner_setup: PartnerSetup) -> None:
    setup = gpg_partner_setup
    sig = gpg_home.sign(setup.provider, DOC)
    signer = authenticate_shasums(DOC, sig, [_partner_key(setup)], partners_key=setup.partners_cert)
    assert signer.kind == "partner"
    assert signer.primary_fingerprint == setup.provider.fingerprint
    assert signer.evidence() == f"openpgp:{setup.provider.key_id}:partner"


def test_partner_trust_signature_against_shipped_partners_key_fails(
    gpg_home: GpgHome, gpg_partner_setup: PartnerSetup
) -> None:
    setup = gpg_partner_setup
    sig = gpg_home.sign(setup.provider, DOC)
    with pytest.raises(SignatureError, match="trust signature does not verify"):
        authenticate_shasums(DOC, sig, [_partner_key(setup)])


def test_trust_signature_by_the_wrong_key(
    gpg_home: GpgHome, gpg_partner_setup: PartnerSetup, gpg_rsa_key: GpgKey
) -> None:
    setup = gpg_partner_setup
    body = gpg_home.dearmor(setup.provider_armor)
    forged = gpg_home.sign(gpg_rsa_key, body, armor=True).decode()
    sig = gpg_home.sign(setup.provider, DOC)
    with pytest.raises(SignatureError, match="trust signature does not verify") as info:
        authenticate_shasums(
            DOC,
            sig,
            [_partner_key(setup, forged)],
            partners_key=setup.partners_cert,
            trusted_fingerprints=[setup.provider.fingerprint],  # a pin does not rescue it
        )
    assert "unknown issuer" in str(info.value)


def test_trust_signature_over_the_armor_text_is_not_over_the_body(
    gpg_home: GpgHome, gpg_partner_setup: PartnerSetup
) -> None:
    setup = gpg_partner_setup
    over_text = gpg_home.sign(setup.partners, setup.provider_armor.encode(), armor=True).decode()
    sig = gpg_home.sign(setup.provider, DOC)
    with pytest.raises(SignatureError, match="trust signature does not verify"):
        authenticate_shasums(
            DOC, sig, [_partner_key(setup, over_text)], partners_key=setup.partners_cert
        )


def test_garbage_trust_signature(gpg_home: GpgHome, gpg_partner_setup: PartnerSetup) -> None:
    setup = gpg_partner_setup
    sig = gpg_home.sign(setup.provider, DOC)
    with pytest.raises(SignatureError, match=r"trust signature does not verify.*BEGIN PGP"):
        authenticate_shasums(
            DOC, sig, [_partner_key(setup, "not armor")], partners_key=setup.partners_cert
        )


def test_trust_signature_for_another_key_does_not_transfer(
    gpg_home: GpgHome, gpg_partner_setup: PartnerSetup, gpg_ed25519_key: GpgKey
) -> None:
    # A valid partner trust signature copied next to a different (attacker) key.
    setup = gpg_partner_setup
    attacker = SigningKey(
        ascii_armor=gpg_home.export(gpg_ed25519_key).decode(),
        trust_signature=setup.trust_signature,
    )
    sig = gpg_home.sign(gpg_ed25519_key, DOC)
    with pytest.raises(SignatureError, match="trust signature does not verify"):
        authenticate_shasums(DOC, sig, [attacker], partners_key=setup.partners_cert)


# ----------------------------------------------------------------------------- gpg community keys


def test_community_subkey_signer_pins_the_primary(
    gpg_home: GpgHome, gpg_subkey_key: GpgKey
) -> None:
    sig = gpg_home.sign(gpg_subkey_key, DOC)
    key = SigningKey(ascii_armor=gpg_home.export(gpg_subkey_key).decode())
    with pytest.raises(SignatureError, match=gpg_subkey_key.fingerprint):
        authenticate_shasums(
            DOC, sig, [key], trusted_fingerprints=[gpg_subkey_key.signing_fingerprint]
        )
    signer = authenticate_shasums(
        DOC, sig, [key], trusted_fingerprints=[gpg_subkey_key.fingerprint]
    )
    assert signer.signing_fingerprint == gpg_subkey_key.signing_fingerprint
    assert signer.key_id == gpg_subkey_key.key_id


def test_revoked_registry_key_is_rejected(gpg_revoked_key: SignedSample) -> None:
    s = gpg_revoked_key
    with pytest.raises(SignatureError, match="revoked"):
        authenticate_shasums(
            s.data,
            s.signature,
            [SigningKey(ascii_armor=s.cert.decode())],
            trusted_fingerprints=[s.key.fingerprint],
        )


def test_invalid_pin_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not an OpenPGP fingerprint"):
        authenticate_shasums(DOC, b"", [], trusted_fingerprints=["689618FB2A4ACDD1"])


def test_normalize_fingerprint() -> None:
    assert normalize_fingerprint("4298 1424 8a34 99e5 8aba  c72b 6896 18fb 2a4a cdd1") == DEMO_FPR
    assert normalize_fingerprint("0x" + DEMO_FPR.lower()) == DEMO_FPR
    with pytest.raises(ValueError):
        normalize_fingerprint("xyz")


# ----------------------------------------------------------------------------- SHA256SUMS


def test_parse_registry_vector(corpus: Path) -> None:
    doc, _ = _sums(corpus, "demo")
    sums = parse_shasums(doc, "https://localhost:18444/dl/SHA256SUMS")
    assert [name for name, _ in sums.entries] == [
        "terraform-provider-demo_1.1.0_darwin_arm64.zip",
        "terraform-provider-demo_1.1.0_linux_amd64.zip",
        "terraform-provider-demo_1.1.0_manifest.json",
        "terraform-provider-demo_1.1.0_windows_amd64.zip",
    ]
    assert sums.sha256_for("terraform-provider-demo_1.1.0_linux_amd64.zip") == (
        "b15cd267873d7927281be3676d2c76f9635b84fbc387b326133fe2924a07bb29"
    )
    assert MANIFEST_ZH in zh_hashes(sums)  # Terraform records the manifest line too
    assert len(zh_hashes(sums)) == 4


def test_null_zh_hashes_equal_a_real_terraform_lock(corpus: Path) -> None:
    signing = corpus / "terraform/real/signing"
    doc = (signing / "terraform-provider-null_3.1.0_SHA256SUMS").read_bytes()
    lock = next((corpus / "terraform/real/lockfiles").glob("19_*.hcl")).read_text()
    block = lock[lock.index('provider "registry.terraform.io/hashicorp/null"') :]
    block = block[: block.index("\n}\n")]
    recorded = set(re.findall(r'"(zh:[0-9a-f]{64})"', block))
    assert set(zh_hashes(parse_shasums(doc, "SHA256SUMS"))) == recorded
    assert len(recorded) == 11


def test_parse_tolerates_crlf_blank_lines_and_upper_case() -> None:
    doc = b"\r\n" + b"AB" * 32 + b"  a.zip\r\n\n" + b"cd" * 32 + b" *b.zip extra\n"
    sums = parse_shasums(doc, "u")
    assert sums.entries == (("a.zip", "ab" * 32), ("*b.zip", "cd" * 32))
    assert sums.sha256_for("b.zip") is None  # exact names, as Terraform


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b"", "the checksum list is empty"),
        (b"\n  \n", "the checksum list is empty"),
        (b"ab" * 32 + b"\n", "u:1: not a checksum line"),
        (b"ab" * 32 + b"  a.zip\nzz" + b"0" * 62 + b"  b.zip\n", "u:2: not a checksum line"),
        (b"abc  a.zip\n", "u:1: not a checksum line"),
        (b"ab" * 32 + b"  a.zip\n" + b"cd" * 32 + b"  a.zip\n", "u:2: a.zip is listed twice"),
    ],
)
def test_parse_rejects_malformed_lists(doc: bytes, message: str) -> None:
    with pytest.raises(IntegrityError, match=message):
        parse_shasums(doc, "u")


def test_identical_duplicate_lines_are_kept_once_in_zh() -> None:
    line = b"ab" * 32 + b"  a.zip\n"
    sums = parse_shasums(line + line, "u")
    assert len(sums.entries) == 2 and zh_hashes(sums) == ("zh:" + "ab" * 32,)


def _sample_sums() -> SignedShasums:
    return parse_shasums(b"ab" * 32 + b"  p_linux_amd64.zip\n", "https://r/SHA256SUMS")


def test_check_archive_ok() -> None:
    check_archive("p_linux_amd64.zip", "AB" * 32, _sample_sums())  # upper-case is fine
    check_archive("p_linux_amd64.zip", "ab" * 32, _sample_sums(), registry_shasum="ab" * 32)


def test_check_archive_mismatch_messages() -> None:
    sums = _sample_sums()
    with pytest.raises(IntegrityError, match=r"has no SHA-256 hash for 'p_darwin_arm64\.zip'"):
        check_archive("p_darwin_arm64.zip", "ab" * 32, sums)
    with pytest.raises(
        IntegrityError,
        match=f"https://r/SHA256SUMS: checksum list has unexpected SHA-256 hash {'ab' * 32} "
        rf"\(expected {'cd' * 32}\)",
    ):
        check_archive("p_linux_amd64.zip", "cd" * 32, sums)
    with pytest.raises(
        IntegrityError, match=rf"archive has incorrect checksum zh:{'ab' * 32} \(expected zh:ff"
    ):
        check_archive("p_linux_amd64.zip", "ab" * 32, sums, registry_shasum="ff" * 32)
    with pytest.raises(ValueError, match="64 hex digits"):
        check_archive("p_linux_amd64.zip", "zz", sums)
