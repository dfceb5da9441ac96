"""The aqua commands end to end against the local HTTPS "GitHub" (online mode).

Each test builds a repository of its own in ``tmp_path`` (``.git`` marks the root) with an
``aqua.yaml`` that uses a ``github_content`` registry served by
:class:`~tests.support.github_server.GitHubBuilder`, an ``aqua-policy.yaml`` that allows it and
a ``depguard.yaml`` whose ``github:`` URLs point at the local server (configuration, never
patching). The registry declares:

* ``acme/infra-cli`` — a checksum file signed with minisign (py-minisign, a key made here);
* ``acme/drift-report`` — a checksum file signed with a cosign key (``cryptography``, P-256);
* ``acme/plain-tool`` — no checksum file and no signature: trust on first use only.

Checked: ``checksums update`` (entries, ``--check``, ``--prune``, ``--allow-tofu``, refusals that
leave the file byte-identical, one request per checksum file, a warm cache), the aqua half of
``verify`` on tampered inputs, ``tools verify``, ``tools resolve --format json`` and that
``GITHUB_TOKEN`` is never printed nor sent anywhere but the API host.
"""
# ruff: noqa: F811  (pytest fixtures are imported by name and then used as parameters)

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAKE_TOKEN
from tests.support.cli import CliResult, run_cli

# Fixtures from the plugins; imported so this module also runs before they are registered.
from tests.support.fixtures import tls_material, trust_test_ca  # noqa: F401
from tests.support.github_server import GitHubBuilder, github_server  # noqa: F401
from tests.support.servers import HttpsServer, TLSMaterial

pytestmark = pytest.mark.usefixtures("trust_test_ca")

REGISTRY_REF = "v1.2.0"
INFRA = "v1.4.0"
DRIFT = "v0.7.2"
PLAIN = "v2.0.0"
PLATFORMS = (("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64"))
REGISTRY_ID = (
    f"registries/github_content/github.com/acme/aqua-registry/{REGISTRY_REF}/registry.yaml"
)

INFRA_SUMS = f"infra-cli_{INFRA[1:]}_checksums.txt"
INFRA_SUMS_PATH = f"/gh/acme/infra-cli/releases/download/{INFRA}/{INFRA_SUMS}"
DRIFT_SUMS_PATH = f"/gh/acme/drift-report/releases/download/{DRIFT}/SHA256SUMS"


def infra_asset(goos: str, goarch: str) -> str:
    return f"infra-cli_{INFRA[1:]}_{goos}_{goarch}.tar.gz"


def drift_asset(goos: str, goarch: str) -> str:
    return f"drift-report-{goos}-{goarch}"


def plain_asset(goos: str, goarch: str) -> str:
    return f"plain-tool_{goos}_{goarch}"


def release_id(repo: str, tag: str, asset: str) -> str:
    return f"github_release/github.com/acme/{repo}/{tag}/{asset}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shasums(files: Mapping[str, bytes]) -> bytes:
    return "".join(f"{sha256(d)}  {n}\n" for n, d in sorted(files.items())).encode()


def checksums_json(entries: Mapping[str, tuple[str, str]]) -> str:
    """aqua's file: sorted by id, upper-case hex, 2-space indent, trailing newline."""
    doc = {
        "checksums": [
            {"id": i, "checksum": entries[i][0].upper(), "algorithm": entries[i][1]}
            for i in sorted(entries)
        ]
    }
    return json.dumps(doc, indent=2) + "\n"


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    minisign: Any  # minisign.KeyPair
    minisign_other: Any
    cosign: Any  # ec.EllipticCurvePrivateKey
    cosign_other: Any

    @property
    def minisign_public(self) -> str:
        value = self.minisign.public_key.to_base64()
        return value.decode() if isinstance(value, bytes) else str(value)

    @staticmethod
    def minisign_sign(kp: Any, data: bytes) -> bytes:
        return bytes(kp.secret_key.sign(data, trusted_comment="acme checksums"))

    @staticmethod
    def cosign_sign(key: Any, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256())))

    def cosign_pub(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return bytes(
            self.cosign.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


@pytest.fixture(scope="module")
def keys() -> Keys:
    minisign = pytest.importorskip("minisign")
    from cryptography.hazmat.primitives.asymmetric import ec

    return Keys(
        minisign=minisign.KeyPair.generate(),
        minisign_other=minisign.KeyPair.generate(),
        cosign=ec.generate_private_key(ec.SECP256R1()),
        cosign_other=ec.generate_private_key(ec.SECP256R1()),
    )


# --- the registry and the repository ----------------------------------------------------------

REGISTRY_TEMPLATE = """\
# ACME's aqua registry (test), served from acme/aqua-registry@REF.
packages:
  - type: github_release
    repo_owner: acme
    repo_name: infra-cli
    asset: infra-cli_{{trimV .Version}}_{{.OS}}_{{.Arch}}.tar.gz
    supported_envs: [linux, darwin]
    checksum:
      type: github_release
      asset: infra-cli_{{trimV .Version}}_checksums.txt
      algorithm: sha256
      minisign:
        type: github_release
        asset: infra-cli_{{trimV .Version}}_checksums.txt.minisig
        public_key: MINISIGN_KEY
  - type: github_release
    repo_owner: acme
    repo_name: drift-report
    asset: drift-report-{{.OS}}-{{.Arch}}
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
    repo_owner: acme
    repo_name: plain-tool
    asset: plain-tool_{{.OS}}_{{.Arch}}
    format: raw
    supported_envs: [linux, darwin]
"""

POLICY = """\
registries:
  - name: acme
    type: github_content
    repo_owner: acme
    repo_name: aqua-registry
    path: registry.yaml
packages:
  - registry: acme
"""


def aqua_yaml(*, ref: str = REGISTRY_REF, packages: tuple[str, ...] = ("infra", "drift")) -> str:
    names = {
        "infra": f"acme/infra-cli@{INFRA}",
        "drift": f"acme/drift-report@{DRIFT}",
        "plain": f"acme/plain-tool@{PLAIN}",
    }
    pkgs = "".join(f"  - name: {names[p]}\n    registry: acme\n" for p in packages)
    return (
        "registries:\n"
        "  - name: acme\n"
        "    type: github_content\n"
        "    repo_owner: acme\n"
        "    repo_name: aqua-registry\n"
        f"    ref: {ref}\n"
        "    path: registry.yaml\n"
        "checksum:\n"
        "  enabled: true\n"
        "  require_checksum: true\n"
        "  supported_envs: [linux, darwin]\n"
        f"packages:\n{pkgs}"
    )


def depguard_yaml(gh: GitHubBuilder) -> str:
    urls = gh.urls
    return (
        "github:\n"
        f"  url: {urls.url}\n"
        f"  api_url: {urls.api_url}\n"
        f"  raw_url: {urls.raw_url}\n"
        "trust:\n"
        "  aqua:\n"
        "    registries:\n"
        "      - type: standard\n"
        "      - {type: github_content, repo_owner: acme, repo_name: aqua-registry,"
        " path: registry.yaml}\n"
    )


@dataclass
class World:
    """A repository under ``root`` and the upstream it uses, on ``gh``."""

    gh: GitHubBuilder
    root: Path
    keys: Keys
    #: checksum id -> asset bytes of everything published
    assets: dict[str, bytes] = field(default_factory=dict)
    registry: bytes = b""

    # -- upstream ------------------------------------------------------------------------------

    def publish_registry(self, ref: str = REGISTRY_REF, text: str | None = None) -> bytes:
        data = (
            text
            if text is not None
            else REGISTRY_TEMPLATE.replace("REF", ref).replace(
                "MINISIGN_KEY", self.keys.minisign_public
            )
        ).encode()
        self.gh.add_raw("acme", "aqua-registry", ref, "registry.yaml", data)
        if ref == REGISTRY_REF:
            self.registry = data
        return data

    def infra_files(self) -> dict[str, bytes]:
        return {
            infra_asset(o, a): f"#!/bin/sh\necho infra-cli {INFRA} {o}/{a}\n".encode()
            for o, a in PLATFORMS
        }

    def publish_infra(
        self,
        *,
        files: Mapping[str, bytes] | None = None,
        sums: bytes | None = None,
        signer: Any = None,
    ) -> None:
        """``files``: the assets served; ``sums``: the checksum file (default: of the
        default assets); ``signer``: the minisign key pair that signs ``sums``."""
        default = self.infra_files()
        served = dict(files if files is not None else default)
        body = sums if sums is not None else shasums(default)
        sig = Keys.minisign_sign(signer or self.keys.minisign, body)
        self.gh.add_release(
            "acme",
            "infra-cli",
            INFRA,
            {**served, INFRA_SUMS: body, INFRA_SUMS + ".minisig": sig},
        )
        for name, data in default.items():
            self.assets[release_id("infra-cli", INFRA, name)] = data

    def publish_drift(self, *, sig_key: Any = None) -> None:
        files = {
            drift_asset(o, a): f"drift-report {DRIFT} {o}/{a}\n".encode() for o, a in PLATFORMS
        }
        body = shasums(files)
        sig = Keys.cosign_sign(sig_key or self.keys.cosign, body)
        self.gh.add_release(
            "acme",
            "drift-report",
            DRIFT,
            {
                **files,
                "SHA256SUMS": body,
                "SHA256SUMS.sig": sig,
                "cosign.pub": self.keys.cosign_pub(),
            },
        )
        for name, data in files.items():
            self.assets[release_id("drift-report", DRIFT, name)] = data

    def publish_plain(self) -> None:
        files = {plain_asset(o, a): f"plain {o}/{a}\n".encode() for o, a in PLATFORMS}
        self.gh.add_release("acme", "plain-tool", PLAIN, files)
        for name, data in files.items():
            self.assets[release_id("plain-tool", PLAIN, name)] = data

    def publish_all(self) -> None:
        self.publish_registry()
        self.publish_infra()
        self.publish_drift()
        self.publish_plain()

    # -- repository ----------------------------------------------------------------------------

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path

    def entries(self, *repos: str, registry: bool = True) -> dict[str, tuple[str, str]]:
        """The entries aqua would record for the packages of ``repos`` (and the registry)."""
        out = {
            i: (sha256(d), "sha256")
            for i, d in self.assets.items()
            if any(i.startswith(f"github_release/github.com/acme/{r}/") for r in repos)
        }
        if registry:
            out[REGISTRY_ID] = (sha256(self.registry), "sha256")
        return out

    def expected(self, *repos: str, registry: bool = True) -> str:
        return checksums_json(self.entries(*repos, registry=registry))

    @property
    def sums_file(self) -> Path:
        return self.root / "aqua" / "aqua-checksums.json"

    def run(self, *args: str) -> CliResult:
        result = run_cli("--config", str(self.root / "depguard.yaml"), *args)
        assert "Traceback" not in result.err, result.err
        assert "Traceback" not in result.out, result.out
        return result

    def update(self, *args: str) -> CliResult:
        return self.run("checksums", "update", str(self.root), *args)

    def verify(self, *args: str) -> CliResult:
        return self.run("--format", "json", "verify", str(self.root), *args)

    def asset_requests(self) -> int:
        """Requests for release files that are neither checksum files nor signatures."""
        skip = (INFRA_SUMS, ".minisig", "SHA256SUMS", "cosign.pub")
        return sum(
            n
            for path, n in self.gh.counts.items()
            if "/releases/download/" in path and not any(s in path for s in skip)
        )


def make_world(gh: GitHubBuilder, root: Path, keys: Keys, *, packages: tuple[str, ...]) -> World:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir()
    world = World(gh=gh, root=root, keys=keys)
    world.write("depguard.yaml", depguard_yaml(gh))
    world.write("aqua-policy.yaml", POLICY)
    world.write("aqua/aqua.yaml", aqua_yaml(packages=packages))
    world.publish_all()
    return world


@pytest.fixture
def world(github_server: GitHubBuilder, tmp_path: Path, keys: Keys) -> World:
    """infra-cli (minisign) and drift-report (cosign key), no tofu package."""
    return make_world(github_server, tmp_path / "repo", keys, packages=("infra", "drift"))


def finding_rules(result: CliResult) -> list[str]:
    return sorted(result.rules())


# --- checksums update -------------------------------------------------------------------------


def test_update_writes_exactly_what_aqua_would(world: World) -> None:
    result = world.update("--allow-tofu")
    assert result.code == 0, result.out + result.err
    written = world.sums_file.read_text()
    assert written == world.expected("infra-cli", "drift-report")
    # the format, spelled out: sorted ids, upper-case hex, 2-space indent, trailing newline
    doc = json.loads(written)
    ids = [c["id"] for c in doc["checksums"]]
    assert ids == sorted(ids) and len(ids) == 2 * len(PLATFORMS) + 1
    assert all(c["checksum"] == c["checksum"].upper() for c in doc["checksums"])
    assert written.startswith('{\n  "checksums": [\n    {\n      "id": ')
    assert written.endswith("\n  ]\n}\n")
    # evidence per entry in the change list
    for goos, goarch in PLATFORMS:
        infra = release_id("infra-cli", INFRA, infra_asset(goos, goarch))
        drift = release_id("drift-report", DRIFT, drift_asset(goos, goarch))
        assert f"+ {infra} [signed: checksum-file, minisign]" in result.err
        assert f"+ {drift} [signed: checksum-file, cosign]" in result.err
    assert f"+ {REGISTRY_ID} [tofu: tofu]" in result.err
    # a second run changes nothing and does not rewrite the file
    mtime = world.sums_file.stat().st_mtime_ns
    again = world.update("--allow-tofu")
    assert again.code == 0, again.err
    assert world.sums_file.read_text() == written
    assert world.sums_file.stat().st_mtime_ns == mtime


def test_update_adds_to_an_existing_file_keeping_old_entries(world: World) -> None:
    """Existing entries stay exactly as they are (case included), like aqua."""
    entries = world.entries("infra-cli", "drift-report")
    keep = release_id("drift-report", DRIFT, drift_asset("linux", "amd64"))
    lower = json.dumps(
        {"checksums": [{"id": keep, "checksum": entries[keep][0].lower(), "algorithm": "sha256"}]},
        indent=2,
    )
    world.sums_file.write_text(lower + "\n")
    result = world.update("--allow-tofu")
    assert result.code == 0, result.err
    want = world.expected("infra-cli", "drift-report").replace(
        entries[keep][0].upper(), entries[keep][0].lower()
    )
    assert world.sums_file.read_text() == want


def test_check_writes_nothing_and_exits_1_when_entries_are_missing(world: World) -> None:
    result = world.run("--format", "json", "checksums", "update", str(world.root), "--check")
    assert result.code == 1, result.out + result.err
    assert not world.sums_file.exists()
    assert set(result.rules()) == {"aqua-checksum-missing"}
    # the registry entry needs --allow-tofu (a skip); the package entries are findings
    assert len(result.rules()) == 2 * len(PLATFORMS)

    partial = world.entries("infra-cli", "drift-report")
    partial.pop(release_id("infra-cli", INFRA, infra_asset("darwin", "arm64")))
    before = checksums_json(partial)
    world.sums_file.write_text(before)
    result = world.update("--check")
    assert result.code == 1, result.out + result.err
    assert world.sums_file.read_text() == before

    world.sums_file.write_text(world.expected("infra-cli", "drift-report"))
    result = world.update("--check")
    assert result.code == 0, result.out + result.err
    assert world.sums_file.read_text() == world.expected("infra-cli", "drift-report")


def test_prune_removes_stale_ids(world: World) -> None:
    stale = {
        release_id("infra-cli", "v1.3.0", infra_asset("linux", "amd64")): ("AB" * 32, "sha256"),
        "registries/github_content/github.com/acme/aqua-registry/v1.1.0/registry.yaml": (
            "CD" * 32,
            "sha256",
        ),
    }
    current = world.entries("infra-cli", "drift-report")
    world.sums_file.write_text(checksums_json({**current, **stale}))
    check = world.update("--prune", "--check")
    assert check.code == 1, check.out + check.err
    assert world.sums_file.read_text() == checksums_json({**current, **stale})
    result = world.update("--prune")
    assert result.code == 0, result.out + result.err
    assert world.sums_file.read_text() == checksums_json(current)
    for sid in stale:
        assert f"- {sid} (pruned)" in result.err
    # without --prune, stale entries are kept (aqua keeps them too)
    world.sums_file.write_text(checksums_json({**current, **stale}))
    assert world.update().code == 0
    assert world.sums_file.read_text() == checksums_json({**current, **stale})


def test_package_without_checksum_file_needs_allow_tofu(
    github_server: GitHubBuilder, tmp_path: Path, keys: Keys
) -> None:
    world = make_world(github_server, tmp_path / "repo", keys, packages=("infra", "plain"))
    result = world.run("--format", "json", "checksums", "update", str(world.root))
    assert result.code == 3, result.out + result.err
    assert not world.sums_file.exists()
    report = result.json()
    assert report["findings"] == []
    skipped = {s["subject"]: s["reason"] for s in report["skipped"]}
    for goos, goarch in PLATFORMS:
        reason = skipped[f"acme/plain-tool {PLAIN} {goos}/{goarch}"]
        assert "--allow-tofu" in reason
    assert "--allow-tofu" in skipped[REGISTRY_ID]
    assert any("not written" in n for n in report["notes"])
    assert world.asset_requests() == 0  # nothing would vouch for them: not even downloaded

    # --allow-skips does not make a partial file acceptable either
    assert world.update("--allow-skips").code == 0
    assert not world.sums_file.exists()

    result = world.update("--allow-tofu")
    assert result.code == 0, result.out + result.err
    assert world.sums_file.read_text() == world.expected("infra-cli", "plain-tool")
    for goos, goarch in PLATFORMS:
        assert f"+ {release_id('plain-tool', PLAIN, plain_asset(goos, goarch))} [tofu: tofu]" in (
            result.err
        )
        assert (
            f"+ {release_id('infra-cli', INFRA, infra_asset(goos, goarch))} "
            "[signed: checksum-file, minisign]" in result.err
        )


def test_registry_entry_alone_needs_allow_tofu(world: World) -> None:
    """Package entries that are signed are not enough: the registry's own entry is tofu."""
    before = checksums_json(world.entries("infra-cli", "drift-report", registry=False))
    world.sums_file.write_text(before)
    result = world.run("--format", "json", "checksums", "update", str(world.root))
    assert result.code == 3, result.out + result.err
    assert [s["subject"] for s in result.json()["skipped"]] == [REGISTRY_ID]
    assert world.sums_file.read_text() == before
    result = world.update("--allow-tofu")
    assert result.code == 0, result.err
    assert f"+ {REGISTRY_ID} [tofu: tofu]" in result.err
    assert world.sums_file.read_text() == world.expected("infra-cli", "drift-report")


@pytest.mark.parametrize("which", ["minisign", "cosign"])
def test_bad_signature_leaves_the_file_untouched(world: World, which: str) -> None:
    if which == "minisign":
        world.publish_infra(signer=world.keys.minisign_other)
        culprit = "acme/infra-cli"
    else:
        world.publish_drift(sig_key=world.keys.cosign_other)
        culprit = "acme/drift-report"
    before = b'{\n  "checksums": []\n}\n'
    world.sums_file.write_bytes(before)
    result = world.run("--format", "json", "checksums", "update", str(world.root), "--allow-tofu")
    assert result.code == 1, result.out + result.err
    findings = result.json()["findings"]
    assert {f["rule"] for f in findings} == {"aqua-signature-invalid"}
    assert all(f["severity"] == "critical" for f in findings)
    assert all(f["subject"].startswith(culprit) for f in findings)
    assert len(findings) == len(PLATFORMS)
    assert world.sums_file.read_bytes() == before


def test_checksum_file_lacking_the_asset_writes_nothing(world: World) -> None:
    files = world.infra_files()
    missing = infra_asset("darwin", "arm64")
    world.publish_infra(sums=shasums({n: d for n, d in files.items() if n != missing}))
    result = world.run("checksums", "update", str(world.root), "--allow-tofu")
    assert result.code == 1, result.out + result.err
    assert not world.sums_file.exists()
    assert f"no checksum for {missing} in" in result.out
    assert INFRA_SUMS in result.out


def test_one_request_per_checksum_file_and_a_warm_cache(
    github_server: GitHubBuilder, tmp_path: Path, keys: Keys
) -> None:
    """Two configs × four platforms share each checksum file: fetched once per run. The
    second run (same cache, entries missing again) downloads no asset."""
    world = make_world(github_server, tmp_path / "repo", keys, packages=("infra", "drift", "plain"))
    world.write("tools/aqua.yaml", aqua_yaml(packages=("infra", "drift", "plain")))
    cache = tmp_path / "cache"
    result = world.update("--allow-tofu", "--cache-dir", str(cache))
    assert result.code == 0, result.out + result.err
    expected = world.expected("infra-cli", "drift-report", "plain-tool")
    assert world.sums_file.read_text() == expected
    assert (world.root / "tools" / "aqua-checksums.json").read_text() == expected
    gh = world.gh
    for path in (
        INFRA_SUMS_PATH,
        INFRA_SUMS_PATH + ".minisig",
        DRIFT_SUMS_PATH,
        DRIFT_SUMS_PATH + ".sig",
        f"/gh/acme/drift-report/releases/download/{DRIFT}/cosign.pub",
        f"/raw/acme/aqua-registry/{REGISTRY_REF}/registry.yaml",
    ):
        assert gh.count(path) == 1, (path, dict(gh.counts))
    # assets are fetched only where no checksum file exists (plain-tool), once each
    for goos, goarch in PLATFORMS:
        assert (
            gh.count(f"/gh/acme/infra-cli/releases/download/{INFRA}/{infra_asset(goos, goarch)}")
            == 0
        )
        assert (
            gh.count(f"/gh/acme/plain-tool/releases/download/{PLAIN}/{plain_asset(goos, goarch)}")
            == 1
        )
    assert world.asset_requests() == len(PLATFORMS)

    world.sums_file.unlink()
    (world.root / "tools" / "aqua-checksums.json").unlink()
    gh.counts.clear()
    result = world.update("--allow-tofu", "--cache-dir", str(cache))
    assert result.code == 0, result.out + result.err
    assert world.sums_file.read_text() == expected
    assert world.asset_requests() == 0, dict(gh.counts)
    assert gh.count(INFRA_SUMS_PATH) <= 1 and gh.count(DRIFT_SUMS_PATH) <= 1


# --- verify: tampering ------------------------------------------------------------------------


@pytest.fixture
def pinned(world: World) -> World:
    """``world`` with a complete, correct aqua-checksums.json."""
    world.sums_file.write_text(world.expected("infra-cli", "drift-report"))
    return world


def test_verify_clean(pinned: World) -> None:
    result = pinned.verify()
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["findings"] == [] and report["skipped"] == []
    evidence = {c["subject"]: c["evidence"] for c in report["checked"]}
    assert evidence[f"acme/infra-cli {INFRA} linux/amd64"] == ["checksum-file", "minisign"]
    assert evidence[f"acme/drift-report {DRIFT} darwin/arm64"] == ["checksum-file", "cosign"]
    assert evidence[f"registry acme (acme/aqua-registry@{REGISTRY_REF})"] == [
        "aqua-checksums:sha256"
    ]


def test_verify_edited_entry(pinned: World) -> None:
    entries = pinned.entries("infra-cli", "drift-report")
    victim = release_id("infra-cli", INFRA, infra_asset("linux", "amd64"))
    entries[victim] = (sha256(b"evil"), "sha256")
    pinned.sums_file.write_text(checksums_json(entries))
    result = pinned.verify()
    assert result.code == 1, result.out
    (finding,) = result.json()["findings"]
    assert finding["rule"] == "aqua-checksum-mismatch"
    assert finding["severity"] == "critical"
    assert finding["path"] == "aqua/aqua-checksums.json"
    text = pinned.sums_file.read_text().splitlines()
    assert text[finding["line"] - 1].strip() in ("{", f'"id": "{victim}",')
    assert sha256(b"evil").upper() in finding["message"]


def test_verify_registry_swapped_at_the_same_ref(pinned: World) -> None:
    pinned.gh.add_raw(
        "acme",
        "aqua-registry",
        REGISTRY_REF,
        "registry.yaml",
        pinned.registry + b"# moved tag\n",
    )
    result = pinned.verify()
    assert result.code == 1, result.out
    (finding,) = result.json()["findings"]
    assert finding["rule"] == "aqua-checksum-mismatch"
    assert finding["subject"] == REGISTRY_ID
    assert finding["severity"] == "critical"


def test_verify_checksum_file_resigned_by_another_key(pinned: World) -> None:
    files = pinned.infra_files()
    files[infra_asset("linux", "amd64")] = b"evil"
    pinned.publish_infra(files=files, sums=shasums(files), signer=pinned.keys.minisign_other)
    result = pinned.verify()
    assert result.code == 1, result.out
    rules = set(result.rules())
    assert rules == {"aqua-signature-invalid"}
    subjects = {f["subject"] for f in result.json()["findings"]}
    assert subjects == {f"acme/infra-cli {INFRA} {o}/{a}" for o, a in PLATFORMS}


def test_verify_cosign_signature_by_another_key(pinned: World) -> None:
    pinned.publish_drift(sig_key=pinned.keys.cosign_other)
    result = pinned.verify()
    assert result.code == 1, result.out
    assert set(result.rules()) == {"aqua-signature-invalid"}


def test_verify_branch_ref_is_unpinned(world: World) -> None:
    world.write("aqua/aqua.yaml", aqua_yaml(ref="develop"))
    registry = world.publish_registry("develop")
    entries = world.entries("infra-cli", "drift-report", registry=False)
    entries[REGISTRY_ID.replace(REGISTRY_REF, "develop")] = (sha256(registry), "sha256")
    world.sums_file.write_text(checksums_json(entries))
    result = world.verify()
    assert result.code == 1, result.out
    (finding,) = result.json()["findings"]
    assert finding["rule"] == "aqua-registry-unpinned"
    assert finding["path"] == "aqua/aqua.yaml" and finding["line"] == 2
    assert "'develop'" in finding["message"]


def test_verify_registry_not_allowed_by_aqua_policy(pinned: World) -> None:
    """aqua matches policy registries by their fields, not their names: a policy entry named
    ``acme`` for another repository does not allow the config's ``acme``."""
    pinned.write("aqua-policy.yaml", POLICY.replace("repo_name: aqua-registry", "repo_name: other"))
    result = pinned.verify()
    assert result.code == 1, result.out
    findings = result.json()["findings"]
    assert {f["rule"] for f in findings} == {"aqua-not-allowed"}
    assert {f["subject"] for f in findings} == {
        f"acme/infra-cli {INFRA}",
        f"acme/drift-report {DRIFT}",
    }
    assert all(f["path"] == "aqua/aqua.yaml" for f in findings)

    # no policy file at all: aqua allows only the standard registry
    (pinned.root / "aqua-policy.yaml").unlink()
    result = pinned.verify()
    assert result.code == 1
    assert set(result.rules()) == {"aqua-not-allowed"}


def test_deep_downloads_assets_and_catches_one_that_contradicts_its_checksum_file(
    pinned: World,
) -> None:
    files = pinned.infra_files()
    bad = infra_asset("darwin", "amd64")
    files[bad] = b"not what the checksum file says"
    pinned.publish_infra(files=files)
    shallow = pinned.verify()
    assert shallow.code == 0, shallow.out
    assert pinned.asset_requests() == 0
    deep = pinned.verify("--deep")
    assert deep.code == 1, deep.out
    (finding,) = deep.json()["findings"]
    assert finding["rule"] == "aqua-checksum-mismatch"
    assert finding["subject"] == f"acme/infra-cli {INFRA} darwin/amd64"
    assert bad in finding["message"]
    assert pinned.asset_requests() == 2 * len(PLATFORMS)


# --- tools verify -----------------------------------------------------------------------------


def _tools_verify(world: World, file: Path, package: str, *extra: str) -> CliResult:
    return world.run(
        "--format",
        "json",
        "tools",
        "verify",
        str(file),
        "--package",
        package,
        "--platform",
        "linux/amd64",
        "--config",
        str(world.root / "aqua" / "aqua.yaml"),
        *extra,
    )


def test_tools_verify_good_file(pinned: World, tmp_path: Path) -> None:
    file = tmp_path / "download.tar.gz"
    file.write_bytes(pinned.infra_files()[infra_asset("linux", "amd64")])
    result = _tools_verify(pinned, file, f"acme/infra-cli@{INFRA}")
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["command"] == "tools verify"
    assert report["findings"] == [] and report["skipped"] == []
    (checked,) = report["checked"]
    assert checked["subject"] == f"acme/infra-cli {INFRA} linux/amd64"
    assert checked["evidence"] == ["aqua-checksums", "checksum-file", "minisign", "release-digest"]

    drift = tmp_path / "drift"
    drift.write_bytes(
        pinned.assets[release_id("drift-report", DRIFT, drift_asset("linux", "amd64"))]
    )
    result = _tools_verify(pinned, drift, f"acme/drift-report@{DRIFT}")
    assert result.code == 0, result.out + result.err
    evidence = result.json()["checked"][0]["evidence"]
    assert evidence == ["aqua-checksums", "checksum-file", "cosign", "release-digest"]


def test_tools_verify_tampered_file(pinned: World, tmp_path: Path) -> None:
    file = tmp_path / "download.tar.gz"
    file.write_bytes(pinned.infra_files()[infra_asset("linux", "amd64")] + b"\n# backdoor\n")
    result = _tools_verify(pinned, file, f"acme/infra-cli@{INFRA}")
    assert result.code == 1, result.out + result.err
    rules = result.rules()
    assert rules and set(rules) == {"aqua-checksum-mismatch"}
    assert result.json()["checked"] == []


def test_tools_verify_missing_entry(pinned: World, tmp_path: Path) -> None:
    entries = pinned.entries("infra-cli", "drift-report")
    del entries[release_id("infra-cli", INFRA, infra_asset("linux", "amd64"))]
    pinned.sums_file.write_text(checksums_json(entries))
    file = tmp_path / "download.tar.gz"
    file.write_bytes(pinned.infra_files()[infra_asset("linux", "amd64")])
    result = _tools_verify(pinned, file, f"acme/infra-cli@{INFRA}")
    assert result.code == 1, result.out + result.err
    assert result.rules() == ["aqua-checksum-missing"]


def test_tools_verify_unknown_package(pinned: World, tmp_path: Path) -> None:
    file = tmp_path / "x"
    file.write_bytes(b"x")
    result = _tools_verify(pinned, file, "acme/nope@v1.0.0")
    assert result.code == 2, result.out + result.err
    assert "acme/nope" in result.err
    assert result.out == ""


def test_tools_verify_config_after_the_command_is_the_aqua_config(
    pinned: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "download.tar.gz"
    file.write_bytes(pinned.infra_files()[infra_asset("linux", "amd64")])
    monkeypatch.chdir(pinned.root)  # ./depguard.yaml is found by default from here
    args = ("--package", f"acme/infra-cli@{INFRA}", "--platform", "linux/amd64")
    aqua = str(pinned.root / "aqua" / "aqua.yaml")
    policy = str(pinned.root / "depguard.yaml")
    # global --config before `tools` (depguard.yaml), command --config after it (aqua.yaml)
    ok = run_cli("--config", policy, "tools", "verify", str(file), *args, "--config", aqua)
    assert ok.code == 0, ok.out + ok.err
    # only the command's --config: the policy comes from ./depguard.yaml
    ok = run_cli("tools", "verify", str(file), *args, "--config", aqua)
    assert ok.code == 0, ok.out + ok.err
    # aqua.yaml given before `tools` is read as the policy, and refused as one
    bad = run_cli("--config", aqua, "tools", "verify", str(file), *args, "--config", aqua)
    assert bad.code == 2, bad.out + bad.err
    assert "aqua.yaml" in bad.err and "Traceback" not in bad.err


def test_tools_verify_config_that_is_not_an_aqua_config_is_a_usage_error(
    pinned: World, tmp_path: Path
) -> None:
    file = tmp_path / "download.tar.gz"
    file.write_bytes(pinned.infra_files()[infra_asset("linux", "amd64")])
    policy = str(pinned.root / "depguard.yaml")
    result = run_cli(
        "--config", policy, "tools", "verify", str(file), "--package", f"acme/infra-cli@{INFRA}",
        "--platform", "linux/amd64", "--config", policy,
    )  # fmt: skip
    assert "Traceback" not in result.err
    assert result.code == 2, result.err
    assert "depguard.yaml" in result.err


def test_tools_verify_accepts_an_aqua_config_with_another_name(
    pinned: World, tmp_path: Path
) -> None:
    file = tmp_path / "download.tar.gz"
    file.write_bytes(pinned.infra_files()[infra_asset("linux", "amd64")])
    other = pinned.write("aqua/tools.yaml", (pinned.root / "aqua" / "aqua.yaml").read_text())
    result = pinned.run(
        "tools", "verify", str(file), "--package", f"acme/infra-cli@{INFRA}",
        "--platform", "linux/amd64", "--config", str(other),
    )  # fmt: skip
    assert result.code == 0, result.out + result.err


# --- tools resolve ----------------------------------------------------------------------------


def test_tools_resolve_json(github_server: GitHubBuilder, tmp_path: Path, keys: Keys) -> None:
    world = make_world(github_server, tmp_path / "repo", keys, packages=("infra", "drift", "plain"))
    result = world.run("--format", "json", "tools", "resolve", str(world.root))
    assert result.code == 0, result.out + result.err
    doc = result.json()
    assert list(doc) == ["schema", "packages"]
    assert doc["schema"] == "depguard.tools/v1"
    items = {(p["name"], p["platform"]): p for p in doc["packages"]}
    assert len(items) == len(doc["packages"]) == 3 * len(PLATFORMS)
    web = world.gh.urls.url
    evidence = {
        "acme/infra-cli": ["checksum-file", "minisign"],
        "acme/drift-report": ["checksum-file", "cosign"],
        "acme/plain-tool": [],
    }
    for (name, platform), item in items.items():
        goos, goarch = platform.split("/")
        repo, version, asset = {
            "acme/infra-cli": ("infra-cli", INFRA, infra_asset(goos, goarch)),
            "acme/drift-report": ("drift-report", DRIFT, drift_asset(goos, goarch)),
            "acme/plain-tool": ("plain-tool", PLAIN, plain_asset(goos, goarch)),
        }[name]
        assert item == {
            "name": name,
            "version": version,
            "registry": "acme",
            "config": "aqua/aqua.yaml",
            "platform": platform,
            "supported": True,
            "type": "github_release",
            "url": f"{web}/acme/{repo}/releases/download/{version}/{asset}",
            "checksum_id": release_id(repo, version, asset),
            "evidence": evidence[name],
        }
    # resolving fetches the registry only: no checksum file, no asset
    assert world.gh.count(f"/raw/acme/aqua-registry/{REGISTRY_REF}/registry.yaml") == 1
    assert not any("/releases/" in p for p in world.gh.counts), dict(world.gh.counts)
    # the text format says the same
    text = world.run("tools", "resolve", str(world.root))
    assert text.code == 0
    assert f"acme/infra-cli {INFRA} linux/amd64\n  url:         {web}/acme/infra-cli/" in text.out


def test_tools_resolve_unsupported_platform(world: World) -> None:
    result = world.run(
        "--format", "json", "tools", "resolve", str(world.root), "--platform", "windows/amd64"
    )
    assert result.code == 0, result.out + result.err
    doc = result.json()
    assert doc["schema"] == "depguard.tools/v1"
    assert len(doc["packages"]) == 2
    for item in doc["packages"]:
        assert item["platform"] == "windows/amd64"
        assert item["supported"] is False
        assert "url" not in item and "checksum_id" not in item
        assert item["reason"]


# --- secrets ----------------------------------------------------------------------------------


@pytest.fixture
def split_world(tls_material: TLSMaterial, tmp_path: Path, keys: Keys) -> Iterator[World]:
    """The API on ``localhost``, web and raw on ``127.0.0.1`` (so "token only to the API host"
    is observable), and a package without checksum file (its digest comes from the API)."""
    server = HttpsServer(tls_material).start()
    try:
        gh = GitHubBuilder(server, separate_hosts=True)
        yield make_world(gh, tmp_path / "repo", keys, packages=("infra", "drift", "plain"))
    finally:
        server.stop()


def _secret_runs(world: World, out_file: Path) -> list[CliResult]:
    return [
        world.run("-vv", "checksums", "update", str(world.root), "--allow-tofu"),
        world.run("-vv", "--format", "json", "verify", str(world.root)),
        world.run("-vv", "--format", "sarif", "--output", str(out_file), "verify", str(world.root)),
        world.run("-vv", "verify", str(world.root), "--deep"),
        world.run("-vv", "--format", "json", "tools", "resolve", str(world.root)),
    ]


def test_token_is_never_printed_written_or_sent_off_the_api_host(
    split_world: World, tmp_path: Path
) -> None:
    world = split_world
    assert os.environ["GITHUB_TOKEN"] == FAKE_TOKEN
    out_file = tmp_path / "report.sarif"
    runs = _secret_runs(world, out_file)
    assert runs[0].code == 0, runs[0].err
    assert runs[1].code == 0, runs[1].out
    assert world.sums_file.exists() and out_file.exists()
    for r in runs:
        assert FAKE_TOKEN not in r.out and FAKE_TOKEN not in r.err
        assert FAKE_TOKEN[4:20] not in r.out + r.err  # not even a fragment
    # the debug log talked about the requests, so the check above means something
    assert "GET" in runs[1].err
    cache = Path(os.environ["DEPGUARD_CACHE_DIR"])
    files = [world.sums_file, out_file, *(p for p in cache.rglob("*") if p.is_file())]
    for path in files:
        assert FAKE_TOKEN.encode() not in path.read_bytes(), path
    auth = world.gh.authorizations()
    api = [p for p in auth if p.startswith("/api/")]
    other = {p: v for p, v in auth.items() if not p.startswith("/api/")}
    assert api, auth  # release digests of the package without checksum file
    assert any(p.startswith("/raw/") for p in other) and any(p.startswith("/gh/") for p in other)
    assert all(h is None for v in other.values() for h in v), other


def test_token_is_sent_to_the_api_host(split_world: World, tmp_path: Path) -> None:
    world = split_world
    runs = _secret_runs(world, tmp_path / "report.sarif")
    assert runs[1].code == 0, runs[1].out
    auth = world.gh.authorizations()
    api = {p: v for p, v in auth.items() if p.startswith("/api/")}
    assert api, auth
    assert all(h == f"Bearer {FAKE_TOKEN}" for v in api.values() for h in v), api
