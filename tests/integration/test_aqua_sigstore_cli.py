"""aqua's keyless Sigstore checks end to end: the CLI against the local HTTPS "GitHub" (online
mode) and a throwaway local Sigstore instance.

Each test publishes a ``github_content`` registry on
:class:`~tests.support.github_server.GitHubBuilder` with the packages it needs, releases signed
by :class:`~tests.support.sigstore_instance.SigstoreInstance`, and a repository in ``tmp_path``.
depguard trusts the instance through ``DEPGUARD_SIGSTORE_TRUSTED_ROOT`` and asks a local Rekor
(a route on the same HTTPS server) through ``DEPGUARD_REKOR_URL``: configuration only, no
patching. The registry kinds:

* ``acme/sums-bundle`` — a checksum file with a keyless cosign bundle (v0.3) and identity
  opts (exact identity, or ``--certificate-identity-regexp``);
* ``acme/sums-legacy`` — the same with a cosign legacy bundle (``rekorBundle``, SET only);
* ``acme/sums-detached`` — a checksum file with a detached ``.sig`` + ``.pem``: depguard looks
  the entry up in Rekor (cached, so it replays ``--offline``);
* ``acme/asset-bundle`` — no checksum file, a cosign bundle over each asset;
* ``acme/attested`` — no checksum file, GitHub artifact attestations (``signer_workflow``);
* ``acme/slsa-tool`` — no checksum file, SLSA provenance of slsa-github-generator's generic
  builder (``multiple.intoto.jsonl``).

Every failure is checked for its exit code and rule ids, and for leaving
``aqua-checksums.json`` byte-identical (or absent).
"""
# ruff: noqa: F811  (pytest fixtures are imported by name and then used as parameters)

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support.cli import CliResult, run_cli

# Fixtures from the plugins; imported so this module also runs before they are registered.
from tests.support.fixtures import tls_material, trust_test_ca  # noqa: F401
from tests.support.github_server import GitHubBuilder, github_server  # noqa: F401
from tests.support.servers import RecordedRequest, Reply
from tests.support.sigstore_instance import (
    DEFAULT_ISSUER,
    SigstoreInstance,
    github_workflow_extensions,
    intoto_statement,
)

pytestmark = pytest.mark.usefixtures("trust_test_ca")

OWNER = "acme"
REGISTRY_REF = "v3.0.0"
VERSION = "v1.0.0"
PLATFORMS = (("darwin", "arm64"), ("linux", "amd64"))
REGISTRY_ID = (
    f"registries/github_content/github.com/{OWNER}/aqua-registry/{REGISTRY_REF}/registry.yaml"
)
EMPTY_SUMS = b'{\n  "checksums": []\n}\n'
REKOR_PREFIX = "/rekor"
REKOR_ENTRIES = REKOR_PREFIX + "/api/v1/log/entries/"
SLSA_BUILDER = (
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
    "generator_generic_slsa3.yml@refs/tags/v2.1.0"
)
SLSA_PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def workflow_identity(repo: str, tag: str = VERSION) -> str:
    """The SAN GitHub Actions gives ``.github/workflows/release.yml`` of acme/REPO at TAG."""
    return f"https://github.com/{OWNER}/{repo}/.github/workflows/release.yml@refs/tags/{tag}"


def asset_name(repo: str, goos: str, goarch: str) -> str:
    return f"{repo}_{goos}_{goarch}"


def sums_name(repo: str) -> str:
    return f"{repo}_{VERSION[1:]}_checksums.txt"


def release_id(repo: str, asset: str) -> str:
    return f"github_release/github.com/{OWNER}/{repo}/{VERSION}/{asset}"


def shasums(files: Mapping[str, bytes]) -> bytes:
    return "".join(f"{sha256(d)}  {n}\n" for n, d in sorted(files.items())).encode()


def checksums_json(entries: Mapping[str, str]) -> str:
    """aqua's file: sorted by id, upper-case hex, 2-space indent, trailing newline."""
    doc = {
        "checksums": [
            {"id": i, "checksum": entries[i].upper(), "algorithm": "sha256"}
            for i in sorted(entries)
        ]
    }
    return json.dumps(doc, indent=2) + "\n"


# --- registry entries -------------------------------------------------------------------------

_PACKAGE_HEAD = """\
  - type: github_release
    repo_owner: acme
    repo_name: {repo}
    asset: {repo}_{{{{.OS}}}}_{{{{.Arch}}}}
    format: raw
    supported_envs: [darwin, linux]
"""


def _identity_opts(repo: str, indent: str, *, regexp: str | None = None) -> str:
    """cosign opts: the exact (templated) identity, or ``--certificate-identity-regexp``."""
    if regexp is None:
        flag = "--certificate-identity"
        value = f"https://github.com/acme/{repo}/.github/workflows/release.yml@refs/tags/{{{{.Version}}}}"
    else:
        flag, value = "--certificate-identity-regexp", regexp
    return (
        f"{indent}opts:\n"
        f"{indent}  - {flag}\n"
        f"{indent}  - '{value}'\n"
        f"{indent}  - --certificate-oidc-issuer\n"
        f"{indent}  - {DEFAULT_ISSUER}\n"
    )


def sums_entry(repo: str, *, material: str = "bundle", regexp: str | None = None) -> str:
    """A package whose checksum file carries a keyless cosign signature: ``material`` is
    ``bundle`` (v0.3 or legacy, served as ``.sigstore.json``) or ``detached`` (.sig + .pem)."""
    sums = f"{repo}_{{{{trimV .Version}}}}_checksums.txt"
    if material == "detached":
        files = (
            "        signature:\n"
            "          type: github_release\n"
            f"          asset: {sums}.sig\n"
            "        certificate:\n"
            "          type: github_release\n"
            f"          asset: {sums}.pem\n"
        )
    else:
        files = (
            "        bundle:\n"
            "          type: github_release\n"
            f"          asset: {sums}.sigstore.json\n"
        )
    return (
        _PACKAGE_HEAD.format(repo=repo)
        + "    checksum:\n"
        + "      type: github_release\n"
        + f"      asset: {sums}\n"
        + "      algorithm: sha256\n"
        + "      cosign:\n"
        + files
        + _identity_opts(repo, "        ", regexp=regexp)
    )


def asset_bundle_entry(repo: str) -> str:
    """No checksum file; a cosign bundle over each asset (``{{.Asset}}.sigstore.json``)."""
    return (
        _PACKAGE_HEAD.format(repo=repo)
        + "    cosign:\n"
        + "      bundle:\n"
        + "        type: github_release\n"
        + "        asset: '{{.Asset}}.sigstore.json'\n"
        + _identity_opts(repo, "      ")
    )


def attested_entry(repo: str) -> str:
    return (
        _PACKAGE_HEAD.format(repo=repo)
        + "    github_artifact_attestations:\n"
        + f"      signer_workflow: acme/{repo}/.github/workflows/release.yml\n"
    )


def slsa_entry(repo: str) -> str:
    """slsa_provenance without source_uri/source_tag: github.com/acme/REPO at the version."""
    return (
        _PACKAGE_HEAD.format(repo=repo)
        + "    slsa_provenance:\n"
        + "      type: github_release\n"
        + "      asset: multiple.intoto.jsonl\n"
    )


# --- Rekor ------------------------------------------------------------------------------------


def rekor_entry(bundle: bytes) -> tuple[str, dict[str, Any]]:
    """(entry UUID, Rekor's ``GET /api/v1/log/entries/{uuid}`` value) for a v0.3 bundle's
    ``hashedrekord`` entry: body base64, logID/rootHash/hashes hex, integers as numbers."""
    entry = json.loads(bundle)["verificationMaterial"]["tlogEntries"][0]
    body = base64.b64decode(entry["canonicalizedBody"])
    proof = entry["inclusionProof"]
    value = {
        "body": entry["canonicalizedBody"],
        "integratedTime": int(entry["integratedTime"]),
        "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
        "logIndex": int(entry["logIndex"]),
        "verification": {
            "inclusionProof": {
                "checkpoint": proof["checkpoint"]["envelope"],
                "hashes": [base64.b64decode(h).hex() for h in proof["hashes"]],
                "logIndex": int(proof["logIndex"]),
                "rootHash": base64.b64decode(proof["rootHash"]).hex(),
                "treeSize": int(proof["treeSize"]),
            },
            "signedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
        },
    }
    return hashlib.sha256(b"\x00" + body).hexdigest(), value


def detached_material(bundle: bytes) -> tuple[bytes, bytes]:
    """What ``cosign sign-blob --output-signature/--output-certificate`` writes for the same
    signature: the base64 signature and the PEM certificate."""
    doc = json.loads(bundle)
    der = base64.b64decode(doc["verificationMaterial"]["certificate"]["rawBytes"])
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    return doc["messageSignature"]["signature"].encode() + b"\n", pem


@dataclass
class Rekor:
    """A Rekor v1 read API on the test server: entries by UUID, 404 for anything else."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int | None = None  # answer every lookup with this status instead
    lookups: list[str] = field(default_factory=list)

    def __call__(self, req: RecordedRequest) -> Reply:
        uuid = req.path.split("?")[0].rsplit("/", 1)[-1]
        self.lookups.append(uuid)
        if self.status is not None:
            body = json.dumps({"code": self.status, "message": "unavailable"}).encode()
            return Reply(status=self.status, body=body, content_type="application/json")
        value = self.entries.get(uuid)
        if value is None:
            body = json.dumps({"code": 404, "message": "entry not found"}).encode()
            return Reply(status=404, body=body, content_type="application/json")
        # Rekor keys the answer by the full entry id: tree id (16 hex) + leaf hash.
        body = json.dumps({"24296fb24b8ad77a" + uuid: value}).encode()
        return Reply(body=body, content_type="application/json")


# --- the world --------------------------------------------------------------------------------


@dataclass
class World:
    """A repository under ``root`` using the registry published on ``gh``."""

    gh: GitHubBuilder
    inst: SigstoreInstance
    rekor: Rekor
    root: Path
    registry: bytes = b""
    #: checksum id -> asset bytes of every package in use
    assets: dict[str, bytes] = field(default_factory=dict)

    # -- upstream ------------------------------------------------------------------------------

    def use(self, *entries: tuple[str, str]) -> None:
        """Publish a registry with ``(repo, entry)`` packages and an aqua.yaml using them."""
        text = "packages:\n" + "".join(e for _, e in entries)
        self.registry = text.encode()
        self.gh.add_raw(OWNER, "aqua-registry", REGISTRY_REF, "registry.yaml", self.registry)
        pkgs = "".join(
            f"  - name: acme/{repo}@{VERSION}\n    registry: acme\n" for repo, _ in entries
        )
        self.write(
            "aqua/aqua.yaml",
            "registries:\n"
            "  - name: acme\n"
            "    type: github_content\n"
            "    repo_owner: acme\n"
            "    repo_name: aqua-registry\n"
            f"    ref: {REGISTRY_REF}\n"
            "    path: registry.yaml\n"
            "checksum:\n"
            "  enabled: true\n"
            "  require_checksum: true\n"
            "  supported_envs: [darwin/arm64, linux/amd64]\n"
            f"packages:\n{pkgs}",
        )

    def files(self, repo: str) -> dict[str, bytes]:
        return {
            asset_name(repo, o, a): f"#!/bin/sh\necho {repo} {VERSION} {o}/{a}\n".encode()
            for o, a in PLATFORMS
        }

    def release(self, repo: str, files: Mapping[str, bytes], extra: Mapping[str, bytes]) -> None:
        """Publish ``files`` (the assets, remembered as this package's) and ``extra``."""
        self.gh.add_release(OWNER, repo, VERSION, {**files, **extra})
        for name, data in files.items():
            self.assets[release_id(repo, name)] = data

    def sign(self, data: bytes, repo: str, **kw: Any) -> bytes:
        return self.inst.sign(data, identity=workflow_identity(repo), **kw)

    # -- repository ----------------------------------------------------------------------------

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path

    @property
    def sums_file(self) -> Path:
        return self.root / "aqua" / "aqua-checksums.json"

    def expected(self) -> str:
        entries = {i: sha256(d) for i, d in self.assets.items()}
        entries[REGISTRY_ID] = sha256(self.registry)
        return checksums_json(entries)

    def pin(self) -> None:
        """Write the complete, correct aqua-checksums.json."""
        self.sums_file.write_text(self.expected())

    def run(self, *args: str) -> CliResult:
        result = run_cli("--config", str(self.root / "depguard.yaml"), *args)
        assert "Traceback" not in result.err, result.err
        assert "Traceback" not in result.out, result.out
        return result

    def update(self, *args: str) -> CliResult:
        return self.run(
            "--format", "json", "checksums", "update", str(self.root), "--allow-tofu", *args
        )

    def verify(self, *args: str) -> CliResult:
        return self.run("--format", "json", "verify", str(self.root), *args)

    def tools_verify(self, file: Path, repo: str) -> CliResult:
        return self.run(
            "--format", "json", "tools", "verify", str(file),
            "--package", f"acme/{repo}@{VERSION}", "--platform", "linux/amd64",
            "--config", str(self.root / "aqua" / "aqua.yaml"),
        )  # fmt: skip

    def download(self, repo: str, goos: str = "linux", goarch: str = "amd64") -> Path:
        """The asset as a user would have downloaded it, outside the repository."""
        name = asset_name(repo, goos, goarch)
        return self.write(f"../downloads/{name}", self.assets[release_id(repo, name)])


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory) -> SigstoreInstance:
    return SigstoreInstance.create(tmp_path_factory.mktemp("sigstore"))


@pytest.fixture
def world(
    github_server: GitHubBuilder,
    inst: SigstoreInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    monkeypatch.setenv("DEPGUARD_SIGSTORE_TRUSTED_ROOT", str(inst.trusted_root_path))
    rekor = Rekor()
    github_server.server.route(REKOR_ENTRIES, rekor, prefix=True)
    monkeypatch.setenv("DEPGUARD_REKOR_URL", github_server.server.url + REKOR_PREFIX)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    w = World(gh=github_server, inst=inst, rekor=rekor, root=root)
    urls = github_server.urls
    w.write(
        "depguard.yaml",
        "github:\n"
        f"  url: {urls.url}\n"
        f"  api_url: {urls.api_url}\n"
        f"  raw_url: {urls.raw_url}\n"
        "trust:\n"
        "  aqua:\n"
        "    registries:\n"
        "      - {type: github_content, repo_owner: acme, repo_name: aqua-registry,"
        " path: registry.yaml}\n",
    )
    w.write(
        "aqua-policy.yaml",
        "registries:\n"
        "  - name: acme\n"
        "    type: github_content\n"
        "    repo_owner: acme\n"
        "    repo_name: aqua-registry\n"
        "    path: registry.yaml\n"
        "packages:\n"
        "  - registry: acme\n",
    )
    return w


def subjects(repo: str) -> set[str]:
    return {f"acme/{repo} {VERSION} {o}/{a}" for o, a in PLATFORMS}


def assert_refused(result: CliResult, world: World, before: bytes | None, *rules: str) -> None:
    """Exit 1, only ``rules`` (critical), and aqua-checksums.json as it was (or absent)."""
    assert result.code == 1, result.out + result.err
    findings = result.json()["findings"]
    assert findings, result.out
    assert {f["rule"] for f in findings} == set(rules), findings
    assert all(f["severity"] == "critical" for f in findings)
    if before is None:
        assert not world.sums_file.exists()
    else:
        assert world.sums_file.read_bytes() == before
    assert "wrote " not in result.err


def assert_written(result: CliResult, world: World, repo: str, evidence: str) -> None:
    """Exit 0, the file is exactly what aqua would write, each entry with its evidence."""
    assert result.code == 0, result.out + result.err
    assert world.sums_file.read_text() == world.expected()
    for o, a in PLATFORMS:
        assert f"+ {release_id(repo, asset_name(repo, o, a))} [{evidence}]" in result.err
    assert f"+ {REGISTRY_ID} [tofu: tofu]" in result.err


# --- 1. checksum file + keyless cosign bundle --------------------------------------------------

SUMS = "sums-bundle"


def publish_sums_bundle(world: World, *, bundle: bytes | None = None) -> bytes:
    """Publish sums-bundle's release; ``bundle`` defaults to a correct one. Returns the
    checksum file."""
    files = world.files(SUMS)
    sums = shasums(files)
    sig = bundle if bundle is not None else world.sign(sums, SUMS)
    world.release(SUMS, files, {sums_name(SUMS): sums, sums_name(SUMS) + ".sigstore.json": sig})
    return sums


def test_checksum_file_bundle_update_then_verify(world: World) -> None:
    world.use((SUMS, sums_entry(SUMS)))
    publish_sums_bundle(world)
    result = world.update()
    assert_written(result, world, SUMS, "signed: checksum-file, cosign")
    assert result.json()["findings"] == []
    # The checksum file and its bundle are fetched once, however many platforms share them.
    path = f"/gh/acme/{SUMS}/releases/download/{VERSION}/{sums_name(SUMS)}"
    assert world.gh.count(path) == 1 and world.gh.count(path + ".sigstore.json") == 1

    verified = world.verify()
    assert verified.code == 0, verified.out + verified.err
    report = verified.json()
    assert report["findings"] == [] and report["skipped"] == []
    evidence = {c["subject"]: c["evidence"] for c in report["checked"]}
    for subject in subjects(SUMS):
        assert evidence[subject] == ["checksum-file", "cosign"]
    assert world.rekor.lookups == []  # a bundle needs no Rekor lookup


@pytest.mark.parametrize("bad", ["other-identity", "other-file", "other-issuer"])
def test_checksum_file_bundle_that_does_not_match_writes_nothing(world: World, bad: str) -> None:
    world.use((SUMS, sums_entry(SUMS)))
    files = world.files(SUMS)
    sums = shasums(files)
    if bad == "other-identity":  # the right file, signed by another repository's workflow
        bundle = world.inst.sign(sums, identity=workflow_identity("evil"))
    elif bad == "other-file":  # the right identity, over another checksum file
        bundle = world.sign(shasums({**files, asset_name(SUMS, "linux", "amd64"): b"evil"}), SUMS)
    else:
        bundle = world.sign(sums, SUMS, issuer="https://accounts.example.com")
    publish_sums_bundle(world, bundle=bundle)
    world.sums_file.write_bytes(EMPTY_SUMS)
    result = world.update()
    assert_refused(result, world, EMPTY_SUMS, "aqua-signature-invalid")
    assert {f["subject"] for f in result.json()["findings"]} == subjects(SUMS)


def test_checksum_file_resigned_after_pinning_fails_verify(world: World) -> None:
    world.use((SUMS, sums_entry(SUMS)))
    publish_sums_bundle(world)
    world.pin()
    before = world.sums_file.read_bytes()
    # (not verified before the swap: release files are read cache-first, by tag)
    publish_sums_bundle(world, bundle=world.inst.sign(b"x", identity=workflow_identity(SUMS)))
    result = world.verify()
    assert_refused(result, world, before, "aqua-signature-invalid")
    assert all(sums_name(SUMS) in f["message"] for f in result.json()["findings"])


@pytest.mark.parametrize(
    ("regexp", "ok"),
    [
        (
            r"^https://github\.com/acme/sums-bundle/\.github/workflows/release\.yml@refs/tags/v.*$",
            True,
        ),
        (r"^https://github\.com/acme/[a-z-]+/", True),
        (r"^https://github\.com/acme/other/", False),
        (r"release\.yml@refs/heads/main$", False),
    ],
)
def test_checksum_file_bundle_identity_regexp(world: World, regexp: str, ok: bool) -> None:
    world.use((SUMS, sums_entry(SUMS, regexp=regexp)))
    publish_sums_bundle(world)
    result = world.update()
    if ok:
        assert_written(result, world, SUMS, "signed: checksum-file, cosign")
    else:
        assert_refused(result, world, None, "aqua-signature-invalid")


# --- 2. cosign bundle over the asset ----------------------------------------------------------

ASSET = "asset-bundle"


def publish_asset_bundle(world: World, *, tamper: str | None = None) -> None:
    """Publish asset-bundle with a bundle per asset; ``tamper``: an asset name to serve with
    other bytes than were signed."""
    files = world.files(ASSET)
    bundles = {f"{n}.sigstore.json": world.sign(d, ASSET) for n, d in files.items()}
    world.release(ASSET, files, bundles)
    if tamper is not None:
        served = {**files, tamper: files[tamper] + b"# backdoor\n"}
        world.gh.add_release(OWNER, ASSET, VERSION, {**served, **bundles})


def test_asset_bundle_update_verify_deep_and_tools_verify(world: World) -> None:
    world.use((ASSET, asset_bundle_entry(ASSET)))
    publish_asset_bundle(world)
    assert_written(world.update(), world, ASSET, "signed: cosign")

    deep = world.verify("--deep")
    assert deep.code == 0, deep.out + deep.err
    evidence = {c["subject"]: c["evidence"] for c in deep.json()["checked"]}
    assert all(evidence[s] == ["cosign"] for s in subjects(ASSET))

    # Without --deep the asset is not downloaded: GitHub's digest stands in, and a note says
    # the cosign signature over the asset was not checked.
    shallow = world.verify()
    assert shallow.code == 0, shallow.out + shallow.err
    report = shallow.json()
    assert report["findings"] == [] and report["skipped"] == []
    evidence = {c["subject"]: c["evidence"] for c in report["checked"]}
    assert all(evidence[s] == ["release-digest"] for s in subjects(ASSET))
    (note,) = [n for n in report["notes"] if "--deep" in n]
    assert "(cosign)" in note and f"{len(PLATFORMS)} aqua artifacts" in note

    good = world.tools_verify(world.download(ASSET), ASSET)
    assert good.code == 0, good.out + good.err
    (checked,) = good.json()["checked"]
    assert checked["evidence"] == ["aqua-checksums", "cosign", "release-digest"]
    assert good.json()["findings"] == []


def test_asset_bundle_tampered_download_fails_tools_verify(world: World) -> None:
    world.use((ASSET, asset_bundle_entry(ASSET)))
    publish_asset_bundle(world)
    world.pin()
    file = world.download(ASSET)
    file.write_bytes(file.read_bytes() + b"# backdoor\n")
    result = world.tools_verify(file, ASSET)
    assert result.code == 1, result.out + result.err
    rules = sorted(result.rules())
    assert rules == ["aqua-checksum-mismatch", "aqua-signature-invalid"]
    assert result.json()["checked"] == []


def test_asset_bundle_tampered_upstream_asset(world: World) -> None:
    world.use((ASSET, asset_bundle_entry(ASSET)))
    bad = asset_name(ASSET, "darwin", "arm64")
    publish_asset_bundle(world, tamper=bad)
    # checksums update hashes the asset and checks its bundle: refused, nothing written
    result = world.update()
    assert_refused(result, world, None, "aqua-signature-invalid")
    (finding,) = result.json()["findings"]
    assert finding["subject"] == f"acme/{ASSET} {VERSION} darwin/arm64"
    # pinned before the swap: --deep catches the asset its signature does not cover
    world.pin()
    before = world.sums_file.read_bytes()
    deep = world.verify("--deep")
    assert_refused(deep, world, before, "aqua-signature-invalid")
    assert [f["subject"] for f in deep.json()["findings"]] == [finding["subject"]]


# --- 3. GitHub artifact attestations ----------------------------------------------------------

ATTESTED = "attested"


def publish_attested(world: World, how: str | None = "good") -> None:
    """Publish ``attested`` with one attestation per asset. ``how``: ``good``; ``other-repo``
    (signed by another repository's workflow); ``other-source`` (the right signer workflow,
    run for another source repository, as a reusable workflow would be); ``other-subject``
    (a statement about other bytes); ``None`` (no attestation)."""
    files = world.files(ATTESTED)
    world.release(ATTESTED, files, {})
    if how is None:
        return
    for name, data in files.items():
        signer, source, subject = ATTESTED, f"{OWNER}/{ATTESTED}", data
        if how == "other-repo":
            signer, source = "evil", f"{OWNER}/evil"
        elif how == "other-source":
            source = f"evil/{ATTESTED}"
        elif how == "other-subject":
            subject = data + b"x"
        bundle = world.inst.sign_dsse(
            intoto_statement({name: subject}),
            identity=workflow_identity(signer),
            extensions=github_workflow_extensions(source),
        )
        world.gh.add_attestation(OWNER, ATTESTED, sha256(data), bundle)


def test_attestation_update_and_tools_verify(world: World) -> None:
    world.use((ATTESTED, attested_entry(ATTESTED)))
    publish_attested(world)
    assert_written(world.update(), world, ATTESTED, "signed: github-attestation")
    result = world.tools_verify(world.download(ATTESTED), ATTESTED)
    assert result.code == 0, result.out + result.err
    (checked,) = result.json()["checked"]
    assert checked["evidence"] == ["aqua-checksums", "github-attestation", "release-digest"]


@pytest.mark.parametrize(
    ("how", "rule", "says"),
    [
        ("other-repo", "aqua-signature-invalid", "acme/evil/"),
        ("other-source", "aqua-signature-invalid", "https://github.com/evil/attested"),
        # The statement does not list the artifact: depguard reports the asset as contradicting
        # its attestation (IntegrityError -> aqua-checksum-mismatch, as for a checksum file).
        ("other-subject", "aqua-checksum-mismatch", "is not a subject of the attestation"),
        (None, "aqua-signature-invalid", "has none for sha256:"),
    ],
)
def test_attestation_that_does_not_cover_the_asset(
    world: World, how: str | None, rule: str, says: str
) -> None:
    world.use((ATTESTED, attested_entry(ATTESTED)))
    publish_attested(world, how)
    result = world.update()
    assert_refused(result, world, None, rule)
    assert {f["subject"] for f in result.json()["findings"]} == subjects(ATTESTED)

    world.pin()
    before = world.sums_file.read_bytes()
    tools = world.tools_verify(world.download(ATTESTED), ATTESTED)
    assert_refused(tools, world, before, rule)
    (finding,) = tools.json()["findings"]
    assert says in finding["message"]


# --- 4. cosign legacy bundle ------------------------------------------------------------------

LEGACY = "sums-legacy"


@pytest.mark.parametrize("tamper", [None, "checksum-file", "set"])
def test_legacy_bundle_on_a_checksum_file(world: World, tamper: str | None) -> None:
    world.use((LEGACY, sums_entry(LEGACY)))
    files = world.files(LEGACY)
    sums = shasums(files)
    legacy = world.inst.sign_legacy(sums, identity=workflow_identity(LEGACY))
    if tamper == "checksum-file":  # the file served is not the one signed
        sums = shasums({**files, asset_name(LEGACY, "linux", "amd64"): b"evil"})
    elif tamper == "set":  # the Rekor promise no longer covers the entry
        doc = json.loads(legacy)
        doc["rekorBundle"]["Payload"]["integratedTime"] += 1
        legacy = json.dumps(doc).encode()
    world.release(
        LEGACY, files, {sums_name(LEGACY): sums, sums_name(LEGACY) + ".sigstore.json": legacy}
    )
    world.sums_file.write_bytes(EMPTY_SUMS)
    result = world.update()
    if tamper is None:
        assert_written(result, world, LEGACY, "signed: checksum-file, cosign")
        assert world.verify().code == 0
    else:
        assert_refused(result, world, EMPTY_SUMS, "aqua-signature-invalid")


# --- 5. detached .sig + .pem, completed by a Rekor lookup -------------------------------------

DETACHED = "sums-detached"


def publish_detached(
    world: World, *, identity: str | None = None, log: bool = True, base64_pem: bool = False
) -> None:
    """Publish sums-detached with a .sig and .pem; ``log``: Rekor knows the entry;
    ``base64_pem``: the .pem holds base64 of the PEM, as many cosign-signed releases ship it."""
    files = world.files(DETACHED)
    sums = shasums(files)
    bundle = world.inst.sign(sums, identity=identity or workflow_identity(DETACHED))
    sig, pem = detached_material(bundle)
    if base64_pem:
        pem = base64.b64encode(pem)
    if log:
        uuid, value = rekor_entry(bundle)
        world.rekor.entries[uuid] = value
    name = sums_name(DETACHED)
    world.release(DETACHED, files, {name: sums, name + ".sig": sig, name + ".pem": pem})


@pytest.mark.parametrize("base64_pem", [False, True], ids=["pem", "base64-pem"])
def test_detached_signature_via_rekor_replays_offline(
    world: World, tmp_path: Path, base64_pem: bool
) -> None:
    world.use((DETACHED, sums_entry(DETACHED, material="detached")))
    publish_detached(world, base64_pem=base64_pem)
    cache = str(tmp_path / "cache")
    result = world.update("--cache-dir", cache)
    assert_written(result, world, DETACHED, "signed: checksum-file, cosign")
    assert len(world.rekor.lookups) == 1  # one checksum file, one lookup
    written = world.sums_file.read_text()

    # Offline, same cache: the Rekor answer (and everything else) replays.
    world.sums_file.unlink()
    offline = world.update("--cache-dir", cache, "--offline")
    assert offline.code == 0, offline.out + offline.err
    assert world.sums_file.read_text() == written
    verified = world.verify("--cache-dir", cache, "--offline")
    assert verified.code == 0, verified.out + verified.err
    evidence = {c["subject"]: c["evidence"] for c in verified.json()["checked"]}
    assert all(evidence[s] == ["checksum-file", "cosign"] for s in subjects(DETACHED))
    assert len(world.rekor.lookups) == 1


@pytest.mark.parametrize("bad", ["not-logged", "other-identity"])
def test_detached_signature_that_rekor_does_not_vouch_for(world: World, bad: str) -> None:
    """fetch_rekor_bundle documents "Rekor has no entry for this signature" as a
    SignatureError (cosign refuses it too): a finding, never a skip."""
    world.use((DETACHED, sums_entry(DETACHED, material="detached")))
    if bad == "not-logged":
        publish_detached(world, log=False)
        says = "no transparency log entry"
    else:
        publish_detached(world, identity=workflow_identity("evil"))
        says = "evil"
    world.sums_file.write_bytes(EMPTY_SUMS)
    result = world.update()
    assert_refused(result, world, EMPTY_SUMS, "aqua-signature-invalid")
    assert all(says in f["message"] for f in result.json()["findings"])
    assert world.rekor.lookups


def test_detached_signature_when_rekor_cannot_answer_is_a_skip(world: World) -> None:
    """A failed lookup (not a 404) is a NetworkError: the check cannot be made, so the
    entries are skipped and nothing is written (aqua_upstream.verify_cosign)."""
    world.use((DETACHED, sums_entry(DETACHED, material="detached")))
    publish_detached(world)
    world.rekor.status = 403
    result = world.update()
    assert result.code == 3, result.out + result.err
    report = result.json()
    assert report["findings"] == []
    skipped = {s["subject"]: s["reason"] for s in report["skipped"]}
    for subject in subjects(DETACHED):
        assert "Rekor lookup" in skipped[subject]
    assert not world.sums_file.exists()


# --- 6. SLSA provenance -----------------------------------------------------------------------

SLSA = "slsa-tool"


def slsa_statement(files: Mapping[str, bytes], *, ref: str, builder: str = SLSA_BUILDER) -> bytes:
    """slsa-github-generator generic v2.1.0 output: an in-toto v0.1 statement with SLSA v0.2
    provenance whose builder, trigger (configSource) and source (materials[0]) are what
    slsa-verifier checks."""
    uri = f"git+https://github.com/{OWNER}/{SLSA}@{ref}"
    doc = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": SLSA_PROVENANCE_V02,
        "subject": [{"name": n, "digest": {"sha256": sha256(d)}} for n, d in sorted(files.items())],
        "predicate": {
            "builder": {"id": builder},
            "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
            "invocation": {
                "configSource": {
                    "uri": uri,
                    "digest": {"sha1": "0" * 40},
                    "entryPoint": ".github/workflows/release.yml",
                },
                "environment": {
                    "github_event_name": "push",
                    "github_ref": ref,
                    "github_ref_type": "tag",
                    "github_repository": f"{OWNER}/{SLSA}",
                },
            },
            "materials": [{"uri": uri, "digest": {"sha1": "0" * 40}}],
        },
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def publish_slsa(
    world: World,
    *,
    cert_ref: str = f"refs/tags/{VERSION}",
    statement_ref: str | None = None,
    builder: str = SLSA_BUILDER,
) -> None:
    """Publish slsa-tool and its ``multiple.intoto.jsonl`` (one compact bundle line)."""
    files = world.files(SLSA)
    extensions = github_workflow_extensions(f"{OWNER}/{SLSA}", ref=cert_ref)
    extensions["BuildSignerURI"] = builder  # the reusable workflow signs
    bundle = world.inst.sign_dsse(
        slsa_statement(files, ref=statement_ref or cert_ref, builder=builder),
        identity=builder,
        extensions=extensions,
    )
    line = json.dumps(json.loads(bundle), separators=(",", ":")).encode() + b"\n"
    world.release(SLSA, files, {"multiple.intoto.jsonl": line})


def test_slsa_provenance_update_and_verify_deep(world: World) -> None:
    world.use((SLSA, slsa_entry(SLSA)))
    publish_slsa(world)
    assert_written(world.update(), world, SLSA, "signed: slsa")
    deep = world.verify("--deep")
    assert deep.code == 0, deep.out + deep.err
    report = deep.json()
    assert report["findings"] == [] and report["skipped"] == []
    evidence = {c["subject"]: c["evidence"] for c in report["checked"]}
    assert all(evidence[s] == ["slsa"] for s in subjects(SLSA))
    tools = world.tools_verify(world.download(SLSA), SLSA)
    assert tools.code == 0, tools.out + tools.err
    assert tools.json()["checked"][0]["evidence"] == ["aqua-checksums", "slsa", "release-digest"]


@pytest.mark.parametrize(
    ("where", "says"),
    [
        # the certificate was issued for a build of another tag (SourceRepositoryRef)
        ("certificate", "refs/tags/v0.9.0"),
        # the certificate is right but the provenance says another tag was built
        ("statement", "refs/tags/v0.9.0"),
    ],
)
def test_slsa_provenance_from_another_tag_fails(world: World, where: str, says: str) -> None:
    world.use((SLSA, slsa_entry(SLSA)))
    if where == "certificate":
        publish_slsa(world, cert_ref="refs/tags/v0.9.0")
    else:
        publish_slsa(world, statement_ref="refs/tags/v0.9.0")
    world.pin()
    before = world.sums_file.read_bytes()
    deep = world.verify("--deep")
    assert_refused(deep, world, before, "aqua-signature-invalid")
    findings = deep.json()["findings"]
    assert {f["subject"] for f in findings} == subjects(SLSA)
    assert all(says in f["message"] and f"refs/tags/{VERSION}" in f["message"] for f in findings)
    # and nothing is written from it either
    world.sums_file.write_bytes(EMPTY_SUMS)
    assert_refused(world.update(), world, EMPTY_SUMS, "aqua-signature-invalid")


@pytest.mark.parametrize(
    "builder",
    [
        SLSA_BUILDER.replace("@refs/tags/v2.1.0", "@refs/heads/main"),
        SLSA_BUILDER.replace("@refs/tags/v2.1.0", "@refs/tags/v2.1.0-rc.1"),
        "https://github.com/acme/slsa-tool/.github/workflows/generator_generic_slsa3.yml"
        "@refs/tags/v2.1.0",
    ],
    ids=["branch", "pre-release", "not-slsa-framework"],
)
def test_slsa_provenance_from_an_untrusted_builder_fails(world: World, builder: str) -> None:
    """slsa-verifier trusts slsa-framework's builders at a vX.Y.Z tag only."""
    world.use((SLSA, slsa_entry(SLSA)))
    publish_slsa(world, builder=builder)
    result = world.update()
    assert_refused(result, world, None, "aqua-signature-invalid")
    assert all(builder in f["message"] for f in result.json()["findings"])
