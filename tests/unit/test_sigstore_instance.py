"""The local Sigstore instance (tests/support/sigstore_instance.py) against depguard's verifiers.

Its bundles must verify under its own trusted root exactly like public-good ones, fail for
every tampered part, and never verify under the pinned production root.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from depguard.errors import IntegrityError, SignatureError
from depguard.verify.cosign import ExactIdentity, ExactIssuer, PolicySet
from depguard.verify.sigstore import verify_bundle, verify_cosign, verify_github_attestation
from depguard.verify.trust_root import TRUSTED_ROOT_ENV, load_trust_material
from tests.support.sigstore_instance import (
    DEFAULT_IDENTITY,
    DEFAULT_ISSUER,
    SigstoreInstance,
    github_workflow_extensions,
    intoto_statement,
)

ARTIFACT = b"tool 1.0.0 for linux/amd64\n" * 100
OPTS = [
    "--certificate-identity",
    DEFAULT_IDENTITY,
    "--certificate-oidc-issuer",
    DEFAULT_ISSUER,
]
POLICY = PolicySet([ExactIdentity(DEFAULT_IDENTITY), ExactIssuer(DEFAULT_ISSUER)])


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory) -> SigstoreInstance:
    return SigstoreInstance.create(tmp_path_factory.mktemp("sigstore"))


@pytest.fixture(autouse=True)
def _no_root_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRUSTED_ROOT_ENV, raising=False)


def _edit(bundle: bytes, change: Any) -> bytes:
    doc = json.loads(bundle)
    change(doc)
    return json.dumps(doc).encode()


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = doc["verificationMaterial"]["tlogEntries"][0]
    return entry


def _flip_b64(value: str, index: int) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# --------------------------------------------------------------------------- the trusted root


def test_trusted_root_names_the_instance_keys(inst: SigstoreInstance) -> None:
    material = load_trust_material(inst.trusted_root_path)
    assert [t.key_id for t in material.tlogs] == [inst.rekor.key_id]
    assert [t.key_id for t in material.ctlogs] == [inst.ct_log.key_id]
    (authority,) = material.certificate_authorities
    assert authority.certificates == (inst.intermediate_cert, inst.root_cert)
    doc = json.loads(inst.trusted_root_path.read_text())
    assert doc["mediaType"] == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    assert doc["tlogs"][0]["publicKey"]["validFor"]["start"].endswith("Z")


def test_bundle_shape(inst: SigstoreInstance) -> None:
    doc = json.loads(inst.sign(ARTIFACT))
    assert doc["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    entry = _entry(doc)
    assert entry["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.1"}
    body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    assert body["spec"]["data"]["hash"]["algorithm"] == "sha256"
    assert entry["inclusionProof"]["checkpoint"]["envelope"].startswith(inst.origin + " - ")
    assert int(entry["inclusionProof"]["treeSize"]) == int(entry["logIndex"]) + 1


# --------------------------------------------------------------------------- accepted


def test_message_signature_verifies(inst: SigstoreInstance, tmp_path: Path) -> None:
    bundle = inst.sign(ARTIFACT)
    result = verify_bundle(
        ARTIFACT, bundle, POLICY, source="tool.sigstore.json", trusted_root=inst.trusted_root_path
    )
    assert result.identities == (DEFAULT_IDENTITY,)
    assert result.issuer == DEFAULT_ISSUER
    artifact = tmp_path / "tool"
    artifact.write_bytes(ARTIFACT)  # streamed (prehashed) path
    summary = verify_cosign(
        artifact, bundle=bundle, opts=OPTS, source="b", trusted_root=inst.trusted_root_path
    )
    assert DEFAULT_IDENTITY in summary


def test_trusted_root_from_the_environment(
    inst: SigstoreInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TRUSTED_ROOT_ENV, str(inst.trusted_root_path))
    verify_cosign(ARTIFACT, bundle=inst.sign(ARTIFACT), opts=OPTS, source="b")


def test_every_entry_of_a_growing_log_verifies(inst: SigstoreInstance) -> None:
    bundles = [inst.sign(ARTIFACT + bytes([i])) for i in range(7)]
    for i, bundle in enumerate(bundles):
        entry = _entry(json.loads(bundle))
        assert len(entry["inclusionProof"]["hashes"]) > 0
        verify_bundle(
            ARTIFACT + bytes([i]),
            bundle,
            POLICY,
            source=f"b{i}",
            trusted_root=inst.trusted_root_path,
        )


def test_without_intermediate_and_with_email_identity(tmp_path: Path) -> None:
    inst = SigstoreInstance.create(tmp_path, intermediate=False)
    bundle = inst.sign(ARTIFACT, identity="dev@example.com", issuer="https://accounts.example")
    policy = PolicySet([ExactIdentity("dev@example.com"), ExactIssuer("https://accounts.example")])
    verify_bundle(ARTIFACT, bundle, policy, source="b", trusted_root=inst.trusted_root_path)


def test_sigstore_python_accepts_it_directly(inst: SigstoreInstance) -> None:
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier, policy

    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(inst.trusted_root_path)))
    verifier.verify_artifact(
        ARTIFACT,
        Bundle.from_json(inst.sign(ARTIFACT)),
        policy.Identity(identity=DEFAULT_IDENTITY, issuer=DEFAULT_ISSUER),
    )


def test_legacy_cosign_bundle_verifies(inst: SigstoreInstance) -> None:
    legacy = inst.sign_legacy(ARTIFACT)
    summary = verify_cosign(
        ARTIFACT, bundle=legacy, opts=OPTS, source="b", trusted_root=inst.trusted_root_path
    )
    assert "signed entry timestamp" in summary
    doc = json.loads(legacy)
    doc["rekorBundle"]["Payload"]["integratedTime"] += 1
    with pytest.raises(SignatureError):
        verify_cosign(
            ARTIFACT,
            bundle=json.dumps(doc).encode(),
            opts=OPTS,
            source="b",
            trusted_root=inst.trusted_root_path,
        )


def test_dsse_attestation_verifies_and_names_its_subject(inst: SigstoreInstance) -> None:
    statement = intoto_statement({"tool_linux_amd64": ARTIFACT})
    bundle = inst.sign_dsse(statement, extensions=github_workflow_extensions("o/r"))
    summary = verify_github_attestation(
        ARTIFACT,
        [bundle],
        repo="o/r",
        signer_workflow=None,
        predicate_type=None,
        source="att",
        trusted_root=inst.trusted_root_path,
    )
    assert "predicate https://slsa.dev/provenance/v1" in summary
    with pytest.raises(IntegrityError):
        verify_github_attestation(
            ARTIFACT + b"x",
            [bundle],
            repo="o/r",
            signer_workflow=None,
            predicate_type=None,
            source="att",
            trusted_root=inst.trusted_root_path,
        )
    with pytest.raises(SignatureError, match="SourceRepositoryURI"):
        verify_github_attestation(
            ARTIFACT,
            [inst.sign_dsse(statement, extensions=github_workflow_extensions("evil/r"))],
            repo="o/r",
            signer_workflow=None,
            predicate_type=None,
            source="att",
            trusted_root=inst.trusted_root_path,
        )


# --------------------------------------------------------------------------- rejected


def _rejects(inst: SigstoreInstance, bundle: bytes, *, data: bytes = ARTIFACT, match: str) -> None:
    with pytest.raises(SignatureError, match=match):
        verify_bundle(data, bundle, POLICY, source="b", trusted_root=inst.trusted_root_path)


def test_tampered_artifact_is_rejected(inst: SigstoreInstance) -> None:
    _rejects(inst, inst.sign(ARTIFACT), data=ARTIFACT[:-1] + b"?", match="digest mismatch")


def test_wrong_identity_and_issuer_are_rejected(inst: SigstoreInstance) -> None:
    other = DEFAULT_IDENTITY.replace("v1.0.0", "v1.0.1")
    _rejects(inst, inst.sign(ARTIFACT, identity=other), match="identity")
    _rejects(inst, inst.sign(ARTIFACT, issuer="https://accounts.google.com"), match="issuer")


def test_flipped_set_byte_is_rejected(inst: SigstoreInstance) -> None:
    def flip(doc: dict[str, Any]) -> None:
        promise = _entry(doc)["inclusionPromise"]
        promise["signedEntryTimestamp"] = _flip_b64(promise["signedEntryTimestamp"], 20)

    _rejects(inst, _edit(inst.sign(ARTIFACT), flip), match="SET")


def test_flipped_checkpoint_signature_is_rejected(inst: SigstoreInstance) -> None:
    def flip(doc: dict[str, Any]) -> None:
        checkpoint = _entry(doc)["inclusionProof"]["checkpoint"]
        note, _, line = checkpoint["envelope"].rstrip("\n").rpartition(" ")
        checkpoint["envelope"] = f"{note} {_flip_b64(line, 20)}\n"

    _rejects(inst, _edit(inst.sign(ARTIFACT), flip), match="checkpoint")


def test_flipped_inclusion_proof_is_rejected(inst: SigstoreInstance) -> None:
    inst.sign(b"another leaf, so that the proof has hashes")

    def flip(doc: dict[str, Any]) -> None:
        hashes = _entry(doc)["inclusionProof"]["hashes"]
        hashes[0] = _flip_b64(hashes[0], 0)

    _rejects(inst, _edit(inst.sign(ARTIFACT), flip), match="inclusion proof")


def test_signature_before_the_ca_existed_is_rejected(inst: SigstoreInstance) -> None:
    early = inst.not_before - dt.timedelta(days=1)
    _rejects(inst, inst.sign(ARTIFACT, when=early), match="certificate chain")


def test_another_instance_is_not_trusted(inst: SigstoreInstance, tmp_path: Path) -> None:
    stranger = SigstoreInstance.create(tmp_path)
    _rejects(inst, stranger.sign(ARTIFACT), match="certificate chain")


def test_pinned_production_root_rejects_it(inst: SigstoreInstance) -> None:
    with pytest.raises(SignatureError, match="certificate chain"):
        verify_cosign(ARTIFACT, bundle=inst.sign(ARTIFACT), opts=OPTS, source="b")
    with pytest.raises(SignatureError):
        verify_cosign(ARTIFACT, bundle=inst.sign_legacy(ARTIFACT), opts=OPTS, source="b")
