"""Sigstore bundles, GitHub attestations and SLSA provenance through depguard's API, offline:
every case of the shared corpus (``sigstore/cases.json``) with its expected outcome, plus
tampered copies and the kinds depguard must report as unsupported."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from depguard.errors import (
    DepguardError,
    InputError,
    IntegrityError,
    SignatureError,
    UnsupportedError,
)
from depguard.verify.cosign import ExactIdentity, ExactIssuer, PolicySet
from depguard.verify.sigstore import (
    SLSA_BUILDER_PATTERN,
    bundle_candidates,
    verify_bundle,
    verify_cosign,
    verify_github_attestation,
    verify_slsa_provenance,
)

GHA = "https://token.actions.githubusercontent.com"
RFC8785_ID = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
ATTEST_WORKFLOW = "github/artifact-attestations-workflows/.github/workflows/attest.yml"
SLSA_INTOTO = "slsa-verifier/gha_generic-v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl"
SLSA_BINARY = "slsa-verifier/gha_generic-v2.1.0/binary-linux-amd64-push-v14"


@pytest.fixture(scope="module")
def vectors(corpus: Path) -> Path:
    return corpus / "sigstore"


def _cases() -> list[dict[str, Any]]:
    from tests.conftest import CORPUS

    if CORPUS is None:
        return [{"id": "corpus-missing"}]
    doc = json.loads((CORPUS / "sigstore" / "cases.json").read_text())
    return list(doc["cases"])


def _expected(case: dict[str, Any]) -> str:
    expect = str(case["expect"])
    if expect.startswith("pass"):
        return "pass"
    if expect.startswith("fail"):
        return "fail"
    return "unsupported"


def _run_case(case: dict[str, Any], root: Path) -> str:
    """Run one corpus case through the API aqua's check kind maps to."""
    artifact = root / case["artifact"] if case.get("artifact") else b"artifact not included"
    case_id = case["id"]
    if case_id == "sigstore-conformance/managed-key-happy-path":
        bundle = (root / case["bundle"]).read_bytes()
        key = (root / case["public_key"]).read_bytes()
        verify_cosign(artifact, bundle=bundle, key=key, source=case["bundle"])
        # Through the keyless path the same bundle is not verifiable.
        policy = PolicySet([ExactIdentity("x"), ExactIssuer(GHA)])
        with pytest.raises(UnsupportedError, match="managed key"):
            verify_bundle(artifact, bundle, policy, source=case["bundle"])
        return "pass"
    if "intoto/0.0.2" in case["kind"]:
        policy = PolicySet([ExactIdentity(case["identity"]), ExactIssuer(case["issuer"])])
        verify_bundle(artifact, (root / case["bundle"]).read_bytes(), policy, source=case_id)
        return "pass"
    if case_id.startswith("gh-attestation/"):
        ext = case.get("extensions", {})
        repo = ext.get("GitHubWorkflowRepository", "/".join(case["identity"].split("/")[3:5]))
        signer = ATTEST_WORKFLOW if case_id == "gh-attestation/reusable-workflow" else None
        verify_github_attestation(
            artifact,
            [(root / case["bundle"]).read_bytes()],
            repo=repo,
            signer_workflow=signer,
            predicate_type=case.get("predicate_type"),
            issuer=case["issuer"],
            source=case["bundle"],
        )
        return "pass"
    if case_id.startswith("slsa-verifier/"):
        verify_slsa_provenance(
            artifact,
            (root / case["bundle"]).read_bytes(),
            source_uri="github.com/slsa-framework/example-package",
            source_tag="v14",
            source=case["bundle"],
        )
        return "pass"
    opts = ["--certificate-identity", case["identity"], "--certificate-oidc-issuer", case["issuer"]]
    if "bundle" in case:
        verify_cosign(
            artifact, bundle=(root / case["bundle"]).read_bytes(), opts=opts, source=case["bundle"]
        )
    else:
        verify_cosign(
            artifact,
            signature=(root / case["signature"]).read_bytes(),
            certificate=(root / case["certificate"]).read_bytes(),
            opts=opts,
            source=case["signature"],
        )
    return "pass"


@pytest.mark.parametrize("case", _cases(), ids=lambda c: str(c["id"]))
def test_corpus_case(case: dict[str, Any], vectors: Path) -> None:
    try:
        outcome = _run_case(case, vectors)
    except UnsupportedError:
        outcome = "unsupported"
    except (SignatureError, IntegrityError):
        outcome = "fail"
    assert outcome == _expected(case), case.get("notes") or case["expect"]


def test_corpus_covers_every_kind(vectors: Path) -> None:
    expectations = [_expected(c) for c in _cases()]
    assert expectations.count("pass") >= 12
    assert expectations.count("fail") >= 14
    assert expectations.count("unsupported") >= 5


# --------------------------------------------------------------------------- message signatures


def _wheel_bundle(vectors: Path) -> dict[str, Any]:
    return json.loads((vectors / "sigstore-python/bundle_v3_github.whl.sigstore").read_bytes())


def _opts(identity: str = RFC8785_ID, *extra: str) -> list[str]:
    return ["--certificate-identity", identity, "--certificate-oidc-issuer", GHA, *extra]


def test_wheel_bundle_streams_from_a_file(vectors: Path, tmp_path: Path) -> None:
    wheel = vectors / "sigstore-python/bundle_v3_github.whl"
    raw = json.dumps(_wheel_bundle(vectors)).encode()
    summary = verify_cosign(wheel, bundle=raw, opts=_opts(), source="w.sigstore")
    assert summary.startswith("sigstore-bundle message-signature; by " + RFC8785_ID)
    assert "log index 79605083" in summary
    result = verify_bundle(
        wheel.read_bytes(),
        raw,
        PolicySet([ExactIdentity(RFC8785_ID), ExactIssuer(GHA)]),
        source="w.sigstore",
    )
    assert result.issuer == GHA
    assert result.statement is None

    flipped = tmp_path / "w.whl"
    data = bytearray(wheel.read_bytes())
    data[1000] ^= 0x01
    flipped.write_bytes(bytes(data))
    with pytest.raises(SignatureError, match="digest mismatch"):
        verify_cosign(flipped, bundle=raw, opts=_opts(), source="w.sigstore")


def _tampered(doc: dict[str, Any], path: tuple[Any, ...], index: int = -3) -> bytes:
    doc = json.loads(json.dumps(doc))
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    raw = bytearray(base64.b64decode(target[path[-1]]))
    raw[index] ^= 0x01
    target[path[-1]] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(doc).encode()


ENTRY = ("verificationMaterial", "tlogEntries", 0)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("messageSignature", "signature"), "Signature is invalid"),
        ((*ENTRY, "inclusionPromise", "signedEntryTimestamp"), "SET"),
        ((*ENTRY, "inclusionProof", "rootHash"), "root hash"),
        ((*ENTRY, "canonicalizedBody"), "invalid log entry"),
    ],
)
def test_wheel_bundle_tampered(path: tuple[Any, ...], message: str, vectors: Path) -> None:
    wheel = vectors / "sigstore-python/bundle_v3_github.whl"
    raw = _tampered(_wheel_bundle(vectors), path)
    with pytest.raises(SignatureError, match=message) as info:
        verify_cosign(wheel, bundle=raw, opts=_opts(), source="w.sigstore")
    assert str(info.value).startswith("w.sigstore")


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (_opts(RFC8785_ID.replace("v0.1.2", "v0.1.3")), "is not"),
        (
            [
                "--certificate-identity-regexp",
                r"^https://github\.com/trailofbits/rfc8785\.py/.+@refs/tags/\Qv0.1.3\E$",
                "--certificate-oidc-issuer",
                GHA,
            ],
            "does not match",
        ),
        (
            _opts(RFC8785_ID, "--certificate-github-workflow-ref", "refs/heads/main"),
            "GitHubWorkflowRef",
        ),
        (
            _opts(RFC8785_ID, "--certificate-github-workflow-trigger", "push"),
            "GitHubWorkflowTrigger",
        ),
        (
            _opts(RFC8785_ID, "--certificate-github-workflow-repository", "evil/rfc8785.py"),
            "Repository",
        ),
        (
            [
                "--certificate-identity",
                RFC8785_ID,
                "--certificate-oidc-issuer",
                "https://accounts.google.com",
            ],
            "OIDC issuer",
        ),
    ],
)
def test_wheel_bundle_wrong_identity(opts: list[str], message: str, vectors: Path) -> None:
    wheel = vectors / "sigstore-python/bundle_v3_github.whl"
    raw = json.dumps(_wheel_bundle(vectors)).encode()
    with pytest.raises(SignatureError, match=message):
        verify_cosign(wheel, bundle=raw, opts=opts, source="w.sigstore")


def test_wheel_bundle_matching_regexp_and_workflow_flags(vectors: Path) -> None:
    wheel = vectors / "sigstore-python/bundle_v3_github.whl"
    raw = json.dumps(_wheel_bundle(vectors)).encode()
    opts = [
        "--certificate-identity-regexp",
        r"^https://github\.com/trailofbits/rfc8785\.py/\.github/workflows/.+\.ya?ml@refs/tags/\Qv0.1.2\E$",
        "--certificate-oidc-issuer-regexp",
        r"^https://token\.actions\.githubusercontent\.com$",
        "--certificate-github-workflow-trigger=release",
        "--certificate-github-workflow-sha",
        "d8b4a6445f38c48b9137a8099706d9b8073146e4",
        "--certificate-github-workflow-repository",
        "trailofbits/rfc8785.py",
        "--certificate-github-workflow-ref",
        "refs/tags/v0.1.2",
    ]
    assert "sigstore-bundle" in verify_cosign(wheel, bundle=raw, opts=opts, source="w")


# --------------------------------------------------------------------------- detection / JSONL


def test_jsonl_passes_when_any_line_verifies(vectors: Path) -> None:
    conformance = vectors / "sigstore-conformance"
    bad = json.loads((conformance / "bundle-from-wrong-instance_fail.sigstore.json").read_bytes())
    unsupported = json.loads((conformance / "managed-key-happy-path.sigstore.json").read_bytes())
    good = json.loads((conformance / "happy-path-v0.3.sigstore.json").read_bytes())
    beacon = (
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
        ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    )
    opts = _opts(beacon)
    jsonl = b"\n".join(json.dumps(d).encode() for d in (bad, unsupported, good)) + b"\n"
    assert [c.line for c in bundle_candidates(jsonl, source="x")] == [1, 2, 3]
    verify_cosign(conformance / "a.txt", bundle=jsonl, opts=opts, source="x.jsonl")

    # Without the good line: a failure outranks "unsupported".
    jsonl = b"\n".join(json.dumps(d).encode() for d in (bad, unsupported))
    with pytest.raises(SignatureError, match="none of 2 candidates") as info:
        verify_cosign(conformance / "a.txt", bundle=jsonl, opts=opts, source="x.jsonl")
    assert "x.jsonl:1" in str(info.value) and "x.jsonl:2" in str(info.value)
    # Only unsupported lines: unsupported.
    jsonl = json.dumps(unsupported).encode() + b"\n\n" + json.dumps(unsupported).encode()
    with pytest.raises(UnsupportedError, match="no candidate could be checked"):
        verify_cosign(conformance / "a.txt", bundle=jsonl, opts=opts, source="x.jsonl")


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (b"", InputError, "empty"),
        (b"{not json", InputError, "not JSON"),
        (
            b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}\n{oops\n',
            InputError,
            ":2",
        ),
        (b'{"hello": "world"}', SignatureError, "not a Sigstore bundle"),
        (b"[1, 2]", SignatureError, "not a JSON object"),
        (b'{"attestations": [{"nobundle": 1}]}', SignatureError, "without a bundle"),
        (
            b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "x": 1}',
            SignatureError,
            "without verificationMaterial",
        ),
    ],
)
def test_bad_material(raw: bytes, error: type[DepguardError], message: str) -> None:
    with pytest.raises(error, match=message) as info:
        verify_cosign(b"data", bundle=raw, opts=_opts(), source="m.json")
    assert str(info.value).startswith("m.json")


def test_detached_signature_and_certificate_are_unsupported(vectors: Path) -> None:
    legacy = vectors / "derived-cosign-legacy"
    with pytest.raises(UnsupportedError, match="needs an online Rekor lookup"):
        verify_cosign(
            vectors / "sigstore-conformance/a.txt",
            signature=(legacy / "a.txt.sig").read_bytes(),
            certificate=(legacy / "a.txt.pem").read_bytes(),
            opts=_opts(),
            source="a.txt.sig",
        )
    with pytest.raises(InputError, match="needs a bundle"):
        verify_cosign(b"x", signature=b"sig", opts=_opts(), source="s")
    with pytest.raises(InputError, match="no certificate identity"):
        verify_cosign(b"x", bundle=b"{}", opts=["--certificate-oidc-issuer", GHA], source="s")


def test_unsupported_bundle_shapes(vectors: Path) -> None:
    good = json.loads((vectors / "sigstore-conformance/happy-path-v0.3.sigstore.json").read_bytes())
    no_proof = json.loads(json.dumps(good))
    del no_proof["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    with pytest.raises(UnsupportedError, match="no inclusion proof"):
        verify_cosign(b"x", bundle=json.dumps(no_proof).encode(), opts=_opts(), source="s")
    no_tlog = json.loads(json.dumps(good))
    no_tlog["verificationMaterial"]["tlogEntries"] = []
    with pytest.raises(UnsupportedError, match="no transparency log entry"):
        verify_cosign(b"x", bundle=json.dumps(no_tlog).encode(), opts=_opts(), source="s")


# --------------------------------------------------------------------------- GitHub attestations


def _attest(vectors: Path) -> tuple[Path, bytes]:
    return (
        vectors / "gh-attestation/reusable-workflow-artifact",
        (vectors / "gh-attestation/reusable-workflow-attestation.sigstore.json").read_bytes(),
    )


def test_github_attestation(vectors: Path, tmp_path: Path) -> None:
    artifact, bundle = _attest(vectors)
    summary = verify_github_attestation(
        artifact,
        [bundle],
        repo="malancas/attest-demo",
        signer_workflow=ATTEST_WORKFLOW,
        predicate_type=None,
        source="attestations",
    )
    assert summary.startswith("GitHub attestation of malancas/attest-demo: sigstore-bundle dsse")
    assert "predicate https://slsa.dev/provenance/v1" in summary
    # gh's host-qualified form of --signer-workflow.
    verify_github_attestation(
        artifact,
        [bundle],
        repo="malancas/attest-demo",
        signer_workflow="github.com/" + ATTEST_WORKFLOW,
        predicate_type="https://slsa.dev/provenance/v1",
        source="attestations",
    )
    # The GitHub REST API response shape.
    api = json.dumps({"attestations": [{"bundle": json.loads(bundle), "repository_id": 1}]})
    verify_github_attestation(
        artifact,
        [api.encode()],
        repo="malancas/attest-demo",
        signer_workflow=ATTEST_WORKFLOW,
        predicate_type=None,
        source="api",
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        # Without --signer-workflow gh expects the repository's own workflow as signer.
        ({"signer_workflow": None}, SignatureError, "does not match"),
        ({"signer_workflow": "malancas/attest-demo/.github/"}, SignatureError, "does not match"),
        ({"repo": "malancas/other"}, SignatureError, "SourceRepositoryURI"),
        ({"repo": "evil/attest-demo"}, SignatureError, "SourceRepository"),
        (
            {"predicate_type": "https://spdx.dev/Document/v2.3"},
            SignatureError,
            "no attestation with predicate type",
        ),
        (
            {"issuer": "https://token.actions.githubusercontent.com/x"},
            SignatureError,
            "OIDC issuer",
        ),
        ({"repo": "not-a-repo"}, InputError, "OWNER/NAME"),
        ({"signer_workflow": "(?=x)"}, InputError, "unsupported regular expression"),
    ],
)
def test_github_attestation_rejects(
    kwargs: dict[str, Any], error: type[DepguardError], message: str, vectors: Path
) -> None:
    artifact, bundle = _attest(vectors)
    args: dict[str, Any] = {
        "repo": "malancas/attest-demo",
        "signer_workflow": ATTEST_WORKFLOW,
        "predicate_type": None,
        **kwargs,
    }
    with pytest.raises(error, match=message):
        verify_github_attestation(artifact, [bundle], source="att", **args)


def test_github_attestation_tampered_artifact_and_payload(vectors: Path) -> None:
    artifact, bundle = _attest(vectors)
    args: dict[str, Any] = {
        "repo": "malancas/attest-demo",
        "signer_workflow": ATTEST_WORKFLOW,
        "predicate_type": None,
        "source": "att",
    }
    with pytest.raises(IntegrityError, match="is not a subject of the attestation"):
        verify_github_attestation(artifact.read_bytes() + b"\0", [bundle], **args)
    doc = json.loads(bundle)
    payload = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
    payload["subject"][0]["digest"]["sha256"] = "0" * 64
    doc["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(SignatureError):
        verify_github_attestation(artifact, [json.dumps(doc).encode()], **args)
    with pytest.raises(SignatureError, match="no attestations"):
        verify_github_attestation(artifact, [], **args)


def test_github_attestation_message_signature_bundle_is_not_an_attestation(vectors: Path) -> None:
    bundle = (vectors / "sigstore-python/bundle_v3_github.whl.sigstore").read_bytes()
    with pytest.raises(SignatureError, match="no DSSE envelope"):
        verify_github_attestation(
            vectors / "sigstore-python/bundle_v3_github.whl",
            [bundle],
            repo="trailofbits/rfc8785.py",
            signer_workflow=None,
            predicate_type=None,
            source="att",
        )


def test_github_private_repository_attestation_is_unsupported(vectors: Path) -> None:
    with pytest.raises(UnsupportedError, match="no transparency log entry"):
        verify_github_attestation(
            vectors / "gh-attestation/github_provenance_demo-0.0.12-py3-none-any.whl",
            [
                (
                    vectors
                    / "gh-attestation/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl"
                ).read_bytes()
            ],
            repo="actions/attest-demo",
            signer_workflow=None,
            predicate_type=None,
            source="att.jsonl",
        )


def test_npm_intoto_entry_is_unsupported(vectors: Path) -> None:
    policy = PolicySet(
        [
            ExactIdentity(
                "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
            ),
            ExactIssuer(GHA),
        ]
    )
    with pytest.raises(UnsupportedError, match=r"intoto/0\.0\.2"):
        verify_bundle(
            vectors / "gh-attestation/sigstore-js-2.1.0.tgz",
            (vectors / "gh-attestation/sigstore-js-2.1.0-bundle.json").read_bytes(),
            policy,
            source="npm",
        )


# --------------------------------------------------------------------------- SLSA provenance


def test_slsa_provenance(vectors: Path, tmp_path: Path) -> None:
    binary = vectors / SLSA_BINARY
    provenance = (vectors / SLSA_INTOTO).read_bytes()
    for uri in (
        "github.com/slsa-framework/example-package",
        "https://github.com/slsa-framework/example-package",
        "git+https://github.com/slsa-framework/example-package.git",
    ):
        summary = verify_slsa_provenance(
            binary, provenance, source_uri=uri, source_tag="v14", source="prov"
        )
        assert summary.startswith("SLSA provenance for github.com/slsa-framework/example-package")
    # aqua's source_tag "-": no tag check.
    verify_slsa_provenance(
        binary.read_bytes(),
        provenance,
        source_uri="github.com/slsa-framework/example-package",
        source_tag=None,
        source="prov",
    )


@pytest.mark.parametrize(
    ("source_uri", "source_tag", "error", "message"),
    [
        ("github.com/slsa-framework/other-package", "v14", SignatureError, "source repository"),
        ("github.com/slsa-framework/example-package", "v13", SignatureError, "source ref"),
        ("gitlab.com/slsa-framework/example-package", "v14", InputError, "not a github.com"),
        ("github.com/only-owner", "v14", InputError, "not a github.com"),
    ],
)
def test_slsa_provenance_rejects(
    source_uri: str, source_tag: str, error: type[DepguardError], message: str, vectors: Path
) -> None:
    with pytest.raises(error, match=message):
        verify_slsa_provenance(
            vectors / SLSA_BINARY,
            (vectors / SLSA_INTOTO).read_bytes(),
            source_uri=source_uri,
            source_tag=source_tag,
            source="prov",
        )


def test_slsa_provenance_tampered_binary(vectors: Path) -> None:
    data = bytearray((vectors / SLSA_BINARY).read_bytes())
    data[len(data) // 2] ^= 0x01
    with pytest.raises(IntegrityError, match="is not a subject"):
        verify_slsa_provenance(
            bytes(data),
            (vectors / SLSA_INTOTO).read_bytes(),
            source_uri="github.com/slsa-framework/example-package",
            source_tag="v14",
            source="prov",
        )


def test_slsa_provenance_is_not_a_cosign_signature(vectors: Path) -> None:
    with pytest.raises(SignatureError):
        verify_slsa_provenance(
            vectors / "sigstore-python/bundle_v3_github.whl",
            (vectors / "sigstore-python/bundle_v3_github.whl.sigstore").read_bytes(),
            source_uri="github.com/trailofbits/rfc8785.py",
            source_tag="v0.1.2",
            source="prov",
        )


def test_slsa_v2_0_0_bare_dsse_is_unsupported(vectors: Path) -> None:
    with pytest.raises(UnsupportedError, match="needs an online Rekor search"):
        verify_slsa_provenance(
            b"binary not included",
            (
                vectors
                / "slsa-verifier/gha_generic-v2.0.0/binary-linux-amd64-push-v14.intoto.jsonl"
            ).read_bytes(),
            source_uri="github.com/slsa-framework/example-package",
            source_tag="v14",
            source="prov",
        )


@pytest.mark.parametrize(
    ("san", "trusted"),
    [
        (
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0",
            True,
        ),
        (
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v1.10.0",
            True,
        ),
        (
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0-rc.1",
            False,
        ),
        (
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1",
            False,
        ),
        (
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/heads/main",
            False,
        ),
        (
            "https://github.com/evil/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0",
            False,
        ),
        (
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0\n",
            False,
        ),
    ],
)
def test_slsa_builder_pattern(san: str, trusted: bool) -> None:
    from depguard.verify.cosign import go_regexp

    assert bool(go_regexp(SLSA_BUILDER_PATTERN, where="w").search(san)) is trusted


def test_jsonl_subject_mismatch_on_one_line_does_not_stop_the_search(vectors: Path) -> None:
    from depguard.verify.cosign import RegexIdentity, RegexIssuer

    dsse = json.loads(
        (vectors / "sigstore-conformance/happy-path-intoto-in-dsse-v3.sigstore.json").read_bytes()
    )
    wheel_bundle = _wheel_bundle(vectors)
    wheel = vectors / "sigstore-python/bundle_v3_github.whl"
    policy = PolicySet([RegexIdentity("^https://", where="w"), RegexIssuer("^https://", where="w")])
    with pytest.raises(IntegrityError, match="is not a subject"):
        verify_bundle(wheel, json.dumps(dsse).encode(), policy, source="x.jsonl")
    jsonl = json.dumps(dsse).encode() + b"\n" + json.dumps(wheel_bundle).encode()
    result = verify_bundle(wheel, jsonl, policy, source="x.jsonl")
    assert result.identities == (RFC8785_ID,)


# --------------------------------------------------------------------------- online Rekor lookup


class FakeRekor:
    """A dict-backed Fetcher answering Rekor v1 ``GET /api/v1/log/entries/{uuid}``."""

    def __init__(self, entries: dict[str, dict[str, Any]]) -> None:
        self.entries = entries
        self.urls: list[str] = []

    def get(self, url: str, **kwargs: Any) -> Any:
        from depguard.net.fetcher import NotFound, Response

        self.urls.append(url)
        assert kwargs["max_bytes"] > 0
        uuid = url.rsplit("/", 1)[1]
        if uuid not in self.entries:
            if 404 in kwargs.get("ok_statuses", ()):
                return Response(url=url, status=404, body=b"")
            raise NotFound(url)
        body = json.dumps({"24296fb24b8ad77a" + uuid: self.entries[uuid]}).encode()
        return Response(url=url, status=200, body=body)


def _rekor_entry(vectors: Path) -> tuple[str, dict[str, Any]]:
    """The Rekor API form of the production entry behind happy-path-v0.3 / the legacy pair."""
    import hashlib

    bundle = json.loads(
        (vectors / "sigstore-conformance/happy-path-v0.3.sigstore.json").read_bytes()
    )
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    body = base64.b64decode(entry["canonicalizedBody"])
    proof = entry["inclusionProof"]
    api = {
        "body": entry["canonicalizedBody"],
        "integratedTime": int(entry["integratedTime"]),
        "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
        "logIndex": int(entry["logIndex"]),
        "verification": {
            "signedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
            "inclusionProof": {
                "checkpoint": proof["checkpoint"]["envelope"],
                "hashes": [base64.b64decode(h).hex() for h in proof["hashes"]],
                "logIndex": int(proof["logIndex"]),
                "rootHash": base64.b64decode(proof["rootHash"]).hex(),
                "treeSize": int(proof["treeSize"]),
            },
        },
    }
    return hashlib.sha256(b"\0" + body).hexdigest(), api


def test_fetch_rekor_bundle_completes_a_detached_signature(vectors: Path) -> None:
    from depguard.verify.sigstore import fetch_rekor_bundle

    uuid, api = _rekor_entry(vectors)
    rekor = FakeRekor({uuid: api})
    legacy = vectors / "derived-cosign-legacy"
    a_txt = vectors / "sigstore-conformance/a.txt"
    signature = (legacy / "a.txt.sig").read_bytes()
    certificate = (legacy / "a.txt.pem").read_bytes()
    bundle = fetch_rekor_bundle(
        rekor, a_txt, signature=signature, certificate=certificate, source="a.txt.sig"
    )
    assert rekor.urls == [f"https://rekor.sigstore.dev/api/v1/log/entries/{uuid}"]
    beacon = (
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
        ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    )
    summary = verify_cosign(a_txt, bundle=bundle, opts=_opts(beacon), source="stored.sigstore.json")
    assert summary.startswith("sigstore-bundle message-signature; by " + beacon)
    # The certificate given as base64 of PEM (older cosign output) finds the same entry.
    b64_cert = base64.b64encode(certificate)
    assert (
        fetch_rekor_bundle(rekor, a_txt, signature=signature, certificate=b64_cert, source="s")
        == bundle
    )

    # A tampered inclusion proof is caught when the stored bundle is verified.
    api["verification"]["inclusionProof"]["hashes"][0] = "00" * 32
    tampered = fetch_rekor_bundle(
        FakeRekor({uuid: api}), a_txt, signature=signature, certificate=certificate, source="s"
    )
    with pytest.raises(SignatureError, match="inclusion proof"):
        verify_cosign(a_txt, bundle=tampered, opts=_opts(beacon), source="stored")


def test_fetch_rekor_bundle_failures(vectors: Path) -> None:
    from depguard.verify.sigstore import fetch_rekor_bundle

    uuid, api = _rekor_entry(vectors)
    legacy = vectors / "derived-cosign-legacy"
    a_txt = vectors / "sigstore-conformance/a.txt"
    signature = (legacy / "a.txt.sig").read_bytes()
    certificate = (legacy / "a.txt.pem").read_bytes()
    # Another artifact: its entry does not exist.
    with pytest.raises(SignatureError, match="has no transparency log entry"):
        fetch_rekor_bundle(
            FakeRekor({uuid: api}),
            b"other",
            signature=signature,
            certificate=certificate,
            source="s",
        )
    # A server answering with an entry for different content.
    other = dict(api, body=base64.b64encode(b'{"kind":"other"}').decode())
    with pytest.raises(IntegrityError, match="different content"):
        fetch_rekor_bundle(
            FakeRekor({uuid: other}),
            a_txt,
            signature=signature,
            certificate=certificate,
            source="s",
        )
    no_proof = json.loads(json.dumps(api))
    del no_proof["verification"]["inclusionProof"]
    with pytest.raises(UnsupportedError, match="no inclusion proof"):
        fetch_rekor_bundle(
            FakeRekor({uuid: no_proof}),
            a_txt,
            signature=signature,
            certificate=certificate,
            source="s",
        )


def test_trusted_root_can_be_a_path(vectors: Path, tmp_path: Path) -> None:
    from depguard.verify import trust_root

    wheel = vectors / "sigstore-python/bundle_v3_github.whl"
    raw = json.dumps(_wheel_bundle(vectors)).encode()
    copy = tmp_path / "trusted_root.json"
    copy.write_bytes(trust_root.pinned_trusted_root_bytes())
    verify_cosign(wheel, bundle=raw, opts=_opts(), source="w", trusted_root=copy)
    # A root without the production Fulcio CAs does not verify the same bundle.
    doc = json.loads(copy.read_bytes())
    doc["certificateAuthorities"] = doc["certificateAuthorities"][:1]
    copy.write_text(json.dumps(doc))
    with pytest.raises(SignatureError, match="certificate chain"):
        verify_cosign(wheel, bundle=raw, opts=_opts(), source="w", trusted_root=copy)
