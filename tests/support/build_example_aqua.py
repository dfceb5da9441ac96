"""Rebuild the aqua half of the shipped example ``manifests/examples/acme-infra``.

Run ``python -m tests.support.build_example_aqua`` from the repository root (needs the corpus).
It writes an aqua registry ``acme/aqua-registry@v1.2.0`` into the example's upstream snapshot
and the release files its packages point at:

* ``acme/infra-cli`` — a demo tool (tiny synthetic tarballs) whose checksum file is signed with
  minisign by a throwaway demo key;
* ``acme/drift-report`` — a demo tool whose checksum file is signed with a throwaway cosign
  (ECDSA P-256) key;
* ``trailofbits/rfc8785.py`` v0.1.2 — a **real** wheel with its **real** Sigstore bundle
  (keyless, GitHub Actions identity; from the corpus);
* ``malancas/attest-demo`` — a **real** artifact with its **real** GitHub artifact attestation;
* ``slsa-framework/example-package`` v14 — a **real** binary with its **real** SLSA provenance
  (slsa-github-generator v2.1.0, a Sigstore bundle).

Only public keys are kept; a rebuild makes new demo keys. Afterwards it runs
``depguard checksums update --offline --allow-tofu`` on the example, which writes
``aqua/aqua-checksums.json`` from the snapshot (the registry's own entry is the only
trust-on-first-use entry).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"
UPSTREAM = EXAMPLE / "upstream"
CORPUS = Path(os.environ.get("DEPGUARD_CORPUS", ROOT.parent / "shared" / "corpus"))
SIGSTORE = CORPUS / "sigstore"

REGISTRY_REF = "v1.2.0"
INFRA_CLI = "v1.4.0"
DRIFT = "v0.7.2"
PLATFORMS = [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64")]
RFC_IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
GHA_ISSUER = "https://token.actions.githubusercontent.com"


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _release_dir(owner: str, repo: str, tag: str) -> Path:
    return UPSTREAM / "github.com" / owner / repo / "releases" / "download" / tag


def _publish(owner: str, repo: str, tag: str, assets: dict[str, bytes]) -> None:
    """Release files plus the API's release JSON (with GitHub's sha256 digests)."""
    out = _release_dir(owner, repo, tag)
    listed = []
    for name, data in sorted(assets.items()):
        _write(out / name, data)
        listed.append(
            {
                "name": name,
                "size": len(data),
                "browser_download_url": f"https://github.com/{owner}/{repo}/releases/download/"
                f"{tag}/{name}",
                "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            }
        )
    doc = {"tag_name": tag, "published_at": "2026-10-01T12:00:00Z", "assets": listed}
    api = UPSTREAM / "api.github.com" / "repos" / owner / repo / "releases" / "tags" / tag
    _write(api, json.dumps(doc, indent=2) + "\n")


def _tarball(name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mtime = 1_700_000_000
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(content))
    # gzip embeds a timestamp; zero it so rebuilds are reproducible
    data = bytearray(buf.getvalue())
    data[4:8] = b"\x00\x00\x00\x00"
    return bytes(data)


def _shasums(files: dict[str, bytes]) -> bytes:
    return "".join(
        f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())
    ).encode()


def build_infra_cli() -> str:
    import minisign

    kp = minisign.KeyPair.generate()
    version = INFRA_CLI.removeprefix("v")
    files = {
        f"infra-cli_{version}_{goos}_{goarch}.tar.gz": _tarball(
            "infra-cli", f"#!/bin/sh\necho infra-cli {version} {goos}/{goarch}\n".encode()
        )
        for goos, goarch in PLATFORMS
    }
    sums = _shasums(files)
    sums_name = f"infra-cli_{version}_checksums.txt"
    sig = kp.secret_key.sign(sums, trusted_comment=f"acme infra-cli {INFRA_CLI} checksums")
    assets = {**files, sums_name: sums, sums_name + ".minisig": bytes(sig)}
    _publish("acme", "infra-cli", INFRA_CLI, assets)
    return (
        kp.public_key.to_base64().decode()
        if isinstance(kp.public_key.to_base64(), bytes)
        else str(kp.public_key.to_base64())
    )


def build_drift_report() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    files = {
        f"drift-report-{goos}-{goarch}": f"drift-report {DRIFT} {goos}/{goarch}\n".encode()
        for goos, goarch in PLATFORMS
    }
    sums = _shasums(files)
    sig = base64.b64encode(key.sign(sums, ec.ECDSA(hashes.SHA256())))
    assets = {**files, "SHA256SUMS": sums, "SHA256SUMS.sig": sig, "cosign.pub": pub}
    _publish("acme", "drift-report", DRIFT, assets)


def build_real_artifacts() -> None:
    wheel = (SIGSTORE / "sigstore-python" / "bundle_v3_github.whl").read_bytes()
    bundle = (SIGSTORE / "sigstore-python" / "bundle_v3_github.whl.sigstore").read_bytes()
    name = "rfc8785-0.1.2-py3-none-any.whl"
    _publish("trailofbits", "rfc8785.py", "v0.1.2", {name: wheel, name + ".sigstore.json": bundle})

    artifact = (SIGSTORE / "gh-attestation" / "reusable-workflow-artifact").read_bytes()
    att = json.loads(
        (SIGSTORE / "gh-attestation" / "reusable-workflow-attestation.sigstore.json").read_text()
    )
    _publish("malancas", "attest-demo", "v0.0.1", {"attest-demo_linux_amd64": artifact})
    digest = hashlib.sha256(artifact).hexdigest()
    api = UPSTREAM / "api.github.com" / "repos" / "malancas" / "attest-demo" / "attestations"
    _write(
        api / f"sha256:{digest}",
        json.dumps({"attestations": [{"bundle": att, "repository_id": 1}]}, indent=2) + "\n",
    )

    slsa = SIGSTORE / "slsa-verifier" / "gha_generic-v2.1.0"
    binary = (slsa / "binary-linux-amd64-push-v14").read_bytes()
    prov = (slsa / "binary-linux-amd64-push-v14.intoto.jsonl").read_bytes()
    _publish(
        "slsa-framework",
        "example-package",
        "v14",
        {"binary-linux-amd64": binary, "binary-linux-amd64.intoto.jsonl": prov},
    )


def registry_yaml(minisign_key: str) -> str:
    return f"""\
# ACME's aqua registry (demo). Served from acme/aqua-registry@{REGISTRY_REF}.
packages:
  - type: github_release
    repo_owner: acme
    repo_name: infra-cli
    description: ACME infrastructure CLI (demo; checksum file signed with minisign)
    asset: infra-cli_{{{{trimV .Version}}}}_{{{{.OS}}}}_{{{{.Arch}}}}.tar.gz
    supported_envs: [linux, darwin]
    checksum:
      type: github_release
      asset: infra-cli_{{{{trimV .Version}}}}_checksums.txt
      algorithm: sha256
      minisign:
        type: github_release
        asset: infra-cli_{{{{trimV .Version}}}}_checksums.txt.minisig
        public_key: {minisign_key}
  - type: github_release
    repo_owner: acme
    repo_name: drift-report
    description: Drift report (demo; checksum file signed with a cosign key)
    asset: drift-report-{{{{.OS}}}}-{{{{.Arch}}}}
    format: raw
    supported_envs: [linux, darwin]
    checksum:
      type: github_release
      asset: SHA256SUMS
      algorithm: sha256
      cosign:
        key:
          type: github_release
          asset: cosign.pub
        signature:
          type: github_release
          asset: SHA256SUMS.sig
  - type: github_release
    repo_owner: trailofbits
    repo_name: rfc8785.py
    description: A real wheel with its real Sigstore bundle (keyless, GitHub Actions)
    asset: rfc8785-{{{{trimV .Version}}}}-py3-none-any.whl
    format: raw
    supported_envs: [linux, darwin]
    cosign:
      bundle:
        type: github_release
        asset: "{{{{.Asset}}}}.sigstore.json"
      opts:
        - --certificate-identity
        - {RFC_IDENTITY}
        - --certificate-oidc-issuer
        - {GHA_ISSUER}
  - type: github_release
    repo_owner: malancas
    repo_name: attest-demo
    description: A real artifact with its real GitHub artifact attestation
    asset: attest-demo_{{{{.OS}}}}_{{{{.Arch}}}}
    format: raw
    supported_envs: [linux/amd64]
    github_artifact_attestations:
      signer_workflow: github/artifact-attestations-workflows/\\.github/workflows/attest\\.yml
  - type: github_release
    repo_owner: slsa-framework
    repo_name: example-package
    description: A real binary with its real SLSA provenance (slsa-github-generator v2.1.0)
    asset: binary-{{{{.OS}}}}-{{{{.Arch}}}}
    format: raw
    supported_envs: [linux/amd64]
    slsa_provenance:
      type: github_release
      asset: "{{{{.Asset}}}}.intoto.jsonl"
"""


AQUA_YAML = f"""\
# aqua config of the ACME monorepo (see ../README.md). depguard verifies it with
# `depguard verify`, and writes aqua-checksums.json with `depguard checksums update`.
registries:
  - name: acme
    type: github_content
    repo_owner: acme
    repo_name: aqua-registry
    ref: {REGISTRY_REF} # renovate: depName=acme/aqua-registry
    path: registry.yaml
checksum:
  enabled: true
  require_checksum: true
  supported_envs:
    - linux/amd64
    - darwin/arm64
import_dir: imports
packages:
  - name: acme/infra-cli@{INFRA_CLI}
    registry: acme
  - name: acme/drift-report@{DRIFT}
    registry: acme
"""

POLICY_YAML = """\
# aqua's policy for the ACME monorepo (aqua reads it from the Git root; the example's
# depguard.yaml names it in trust.aqua.policy_files because the example is not a Git root).
registries:
  - type: standard
    ref: semver(">= 4.0.0")
  - name: acme
    type: github_content
    repo_owner: acme
    repo_name: aqua-registry
    ref: semver(">= 1.0.0")
    path: registry.yaml
packages:
  - registry: standard
  - registry: acme
"""

IMPORT_YAML = """\
# Tools with signatures made by their real upstream pipelines (Sigstore, GitHub attestations,
# SLSA); imported by ../aqua.yaml.
packages:
  - name: trailofbits/rfc8785.py@v0.1.2
    registry: acme
  - name: malancas/attest-demo@v0.0.1
    registry: acme
  - name: slsa-framework/example-package@v14
    registry: acme
"""


def main() -> int:
    if not SIGSTORE.is_dir():
        print(f"corpus not found at {CORPUS}; set DEPGUARD_CORPUS", file=sys.stderr)
        return 2
    for sub in ("github.com", "api.github.com", "raw.githubusercontent.com"):
        shutil.rmtree(UPSTREAM / sub, ignore_errors=True)
    key = build_infra_cli()
    build_drift_report()
    build_real_artifacts()
    _write(
        UPSTREAM
        / "raw.githubusercontent.com"
        / "acme"
        / "aqua-registry"
        / REGISTRY_REF
        / "registry.yaml",
        registry_yaml(key),
    )
    aqua_dir = EXAMPLE / "aqua"
    shutil.rmtree(aqua_dir, ignore_errors=True)
    _write(aqua_dir / "aqua.yaml", AQUA_YAML)
    _write(aqua_dir / "imports" / "supply-chain.yaml", IMPORT_YAML)
    _write(EXAMPLE / "aqua-policy.yaml", POLICY_YAML)
    _write(aqua_dir / "aqua-checksums.json", '{\n  "checksums": []\n}\n')
    from depguard.cli import main as depguard

    with tempfile_cache() as cache:
        code = depguard(
            [
                "--offline",
                "--cache-dir",
                str(cache),
                "--config",
                str(EXAMPLE / "depguard.yaml"),
                "checksums",
                "update",
                "--allow-tofu",
                str(aqua_dir),
            ]
        )
    print(f"checksums update exited {code}", file=sys.stderr)
    return code


def tempfile_cache() -> object:
    import tempfile

    return tempfile.TemporaryDirectory(prefix="depguard-example-")


if __name__ == "__main__":
    raise SystemExit(main())
