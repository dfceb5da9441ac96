"""aqua's resolution algorithm (depguard.aqua.resolve) against focused cases and the corpus."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from depguard.aqua.expr import constraint_true
from depguard.aqua.platform import PLATFORMS, AquaPlatform, GitHubUrls
from depguard.aqua.resolve import NEVER_CHECKSUMMED, Artifact, checksum_platforms, resolve
from depguard.errors import InputError

LINUX = AquaPlatform("linux", "amd64")
LINUX_ARM = AquaPlatform("linux", "arm64")
DARWIN = AquaPlatform("darwin", "amd64")
DARWIN_ARM = AquaPlatform("darwin", "arm64")
WINDOWS = AquaPlatform("windows", "amd64")
WINDOWS_ARM = AquaPlatform("windows", "arm64")


def pkg(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def rel(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "github_release",
        "repo_owner": "o",
        "repo_name": "r",
        "asset": "r_{{.OS}}_{{.Arch}}.{{.Format}}",
        "format": "tar.gz",
    }
    base.update(extra)
    return base


# --- basics -----------------------------------------------------------------------------------


def test_github_release_basics() -> None:
    a = resolve(rel(), "v1.2.3", LINUX)
    assert a.supported and a.reason is None
    assert a.type == "github_release"
    assert a.asset == "r_linux_amd64.tar.gz"
    assert a.url == "https://github.com/o/r/releases/download/v1.2.3/r_linux_amd64.tar.gz"
    assert a.checksum_id == "github_release/github.com/o/r/v1.2.3/r_linux_amd64.tar.gz"
    assert a.file is not None and a.file.tag == "v1.2.3" and a.file.asset == a.asset
    assert a.evidence == ()
    assert a.package == "o/r"


def test_custom_github_urls() -> None:
    urls = GitHubUrls(url="https://127.0.0.1:8443", raw_url="https://127.0.0.1:8444")
    a = resolve(rel(), "v1", LINUX, github=urls)
    assert a.url == "https://127.0.0.1:8443/o/r/releases/download/v1/r_linux_amd64.tar.gz"
    c = resolve(
        {"type": "github_content", "repo_owner": "o", "repo_name": "r", "path": "bin/x"},
        "v1",
        LINUX,
        github=urls,
    )
    assert c.url == "https://127.0.0.1:8444/o/r/v1/bin/x"
    assert c.checksum_id == "github_content/github.com/o/r/v1/bin/x"


def test_github_archive_and_go_build_ids() -> None:
    a = resolve({"type": "github_archive", "repo_owner": "o", "repo_name": "r"}, "v2", WINDOWS)
    assert a.checksum_id == "github_archive/github.com/o/r/v2"
    assert a.url == "https://github.com/o/r/archive/refs/tags/v2.tar.gz"
    assert a.asset is None
    b = resolve({"type": "go_build", "repo_owner": "o", "repo_name": "r"}, "v2", LINUX)
    assert b.checksum_id == "github_archive/github.com/o/r/v2"


def test_http_checksum_id_drops_query_and_decodes_path() -> None:
    p = {
        "type": "http",
        "name": "x/y",
        "url": "https://dl.example.com:8443/a%2Bb/{{.Version}}/tool_{{.OS}}.zip?token=1#frag",
    }
    a = resolve(p, "1.0", LINUX)
    assert a.checksum_id == "http/dl.example.com:8443/a+b/1.0/tool_linux.zip"
    assert a.asset == "tool_linux.zip"
    assert a.url == "https://dl.example.com:8443/a%2Bb/1.0/tool_linux.zip?token=1#frag"


@pytest.mark.parametrize("typ", ["go_install", "cargo"])
def test_go_install_and_cargo_are_never_checksummed(typ: str) -> None:
    p = {"type": typ, "repo_owner": "o", "repo_name": "r", "crate": "c", "path": "example.com/x"}
    a = resolve(p, "v1", LINUX)
    assert a.supported and a.checksum_id is None and a.url is None
    assert a.reason == NEVER_CHECKSUMMED


def test_package_def_like_objects_are_accepted() -> None:
    @dataclass(frozen=True)
    class Def:
        name: str
        raw: Mapping[str, Any]

    a = resolve(Def(name="alias/name", raw=rel()), "v1", LINUX)
    assert a.package == "alias/name"
    assert a.checksum_id == "github_release/github.com/o/r/v1/r_linux_amd64.tar.gz"


# --- version selection -----------------------------------------------------------------------

VERSIONED = """
type: github_release
repo_owner: o
repo_name: r
asset: top_{{.OS}}
replacements: {linux: Linux, amd64: x86_64}
version_constraint: semver(">= 3.0.0")
version_overrides:
  - version_constraint: Version == "v2.5.0"
    no_asset: true
  - version_constraint: semver(">= 2.0.0")
    asset: two_{{.OS}}_{{.Arch}}
    replacements: {darwin: macOS}
  - version_constraint: semver("< 2.0.0")
    asset: one_{{.OS}}_{{.Arch}}
    error_message: too old
  - version_constraint: "true"
    asset: any_{{.OS}}
"""


def test_version_selection_first_match() -> None:
    p = pkg(VERSIONED)
    assert resolve(p, "v3.1.0", LINUX).asset == "top_Linux"
    assert resolve(p, "v2.6.0", LINUX).asset == "two_linux_amd64"
    skipped = resolve(p, "v2.5.0", LINUX)
    assert not skipped.supported and "no_asset" in (skipped.reason or "")
    old = resolve(p, "v1.0.0", LINUX)
    assert not old.supported and old.reason == "the registry says: too old"
    # a commit hash satisfies no semver() constraint: the catch-all applies
    sha = "35661968adb8fa29ab1d4a8713c0547d9a6007bb"
    assert resolve(p, sha, LINUX).asset == "any_Linux"


def test_version_override_replacements_replace_whole() -> None:
    # the override's replacements drop the top-level linux/amd64 mapping entirely
    a = resolve(pkg(VERSIONED), "v2.6.0", DARWIN)
    assert a.asset == "two_macOS_amd64"


def test_no_version_constraint_ignores_overrides() -> None:
    p = rel(version_overrides=[{"version_constraint": "true", "asset": "other"}])
    assert resolve(p, "v1", LINUX).asset == "r_linux_amd64.tar.gz"


def test_no_matching_override_falls_back_to_top_level() -> None:
    p = rel(
        version_constraint="false",
        version_overrides=[{"version_constraint": 'Version == "v9"', "asset": "nine"}],
    )
    assert resolve(p, "v1", LINUX).asset == "r_linux_amd64.tar.gz"
    assert resolve(p, "v9", LINUX).asset == "nine.tar.gz"


def test_version_prefix() -> None:
    p = {
        "type": "github_release",
        "repo_owner": "kubernetes-sigs",
        "repo_name": "kustomize",
        "asset": "kustomize_{{.SemVer}}_{{.OS}}_{{.Arch}}.tar.gz",
        "version_prefix": "kustomize/",
        "version_constraint": 'semver(">= 5.0.0")',
        "version_overrides": [
            {"version_constraint": "true", "asset": "old_{{trimV .SemVer}}"},
        ],
    }
    a = resolve(p, "kustomize/v5.8.0", LINUX)
    assert a.asset == "kustomize_v5.8.0_linux_amd64.tar.gz"
    assert a.checksum_id == (
        "github_release/github.com/kubernetes-sigs/kustomize/kustomize/v5.8.0/"
        "kustomize_v5.8.0_linux_amd64.tar.gz"
    )
    assert a.url == (
        "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize/v5.8.0/"
        "kustomize_v5.8.0_linux_amd64.tar.gz"
    )
    assert resolve(p, "kustomize/v4.0.0", LINUX).asset == "old_4.0.0"
    # a version without the prefix skips the top level (and the override inherits the prefix)
    assert resolve(p, "v5.8.0", LINUX).asset == "kustomize_v5.8.0_linux_amd64.tar.gz"


def test_override_with_its_own_version_prefix() -> None:
    p = rel(
        version_constraint="false",
        version_overrides=[
            {"version_constraint": 'semver("< 2.0.0")', "version_prefix": "cli/", "asset": "a"},
            {"version_constraint": "true", "version_prefix": "@x@", "asset": "b_{{.SemVer}}"},
        ],
    )
    assert resolve(p, "cli/v1.0.0", LINUX).asset == "a.tar.gz"
    assert resolve(p, "@x@2.0.0", LINUX).asset == "b_2.0.0.tar.gz"


def test_type_change_resets_fields() -> None:
    p = rel(
        cosign={"opts": ["--key", "k"]},
        version_constraint='semver(">= 2.0.0")',
        version_overrides=[{"version_constraint": "true", "type": "go_install", "path": "x.io/y"}],
    )
    assert resolve(p, "v2.0.0", LINUX).cosign is not None
    old = resolve(p, "v1.0.0", LINUX)
    assert old.type == "go_install" and old.cosign is None and old.checksum_id is None
    archive = rel(
        version_constraint="false",
        version_overrides=[{"version_constraint": "true", "type": "github_archive"}],
    )
    a = resolve(archive, "v1", LINUX)
    assert a.type == "github_archive" and a.asset is None


def test_constraint_outside_the_subset_is_an_input_error() -> None:
    p = rel(version_constraint="Version matches '^v1'", version_overrides=[])
    with pytest.raises(InputError) as err:
        resolve(p, "v1", LINUX, where="pkgs/o/r/registry.yaml")
    assert err.value.path == "pkgs/o/r/registry.yaml"
    assert "package o/r" in err.value.reason


# --- platform overrides -----------------------------------------------------------------------


def test_platform_override_replacements_merge() -> None:
    p = rel(
        replacements={"amd64": "x86_64", "darwin": "Darwin"},
        overrides=[{"goos": "darwin", "replacements": {"arm64": "aarch64"}}],
    )
    assert resolve(p, "v1", DARWIN).asset == "r_Darwin_x86_64.tar.gz"
    assert resolve(p, "v1", DARWIN_ARM).asset == "r_Darwin_aarch64.tar.gz"
    assert resolve(p, "v1", LINUX).asset == "r_linux_x86_64.tar.gz"


def test_first_matching_override_wins_and_replaces_other_fields() -> None:
    p = rel(
        overrides=[
            {"goos": "linux", "goarch": "arm64", "asset": "first"},
            {"goos": "linux", "asset": "second", "format": "zip"},
            {"envs": ["windows/arm64"], "asset": "third"},
        ]
    )
    assert resolve(p, "v1", LINUX_ARM).asset == "first.tar.gz"
    assert resolve(p, "v1", LINUX).asset == "second.zip"
    assert resolve(p, "v1", WINDOWS_ARM).asset == "third.tar.gz"
    assert resolve(p, "v1", WINDOWS).asset == "r_windows_amd64.tar.gz"


def test_format_overrides() -> None:
    p = rel(format_overrides=[{"goos": "windows", "format": "zip"}])
    assert resolve(p, "v1", WINDOWS).asset == "r_windows_amd64.zip"
    assert resolve(p, "v1", LINUX).asset == "r_linux_amd64.tar.gz"


def test_libc_variants() -> None:
    p = rel(
        overrides=[
            {"goos": "linux", "variants": [{"key": "libc", "value": "glibc"}]},
            {
                "goos": "linux",
                "asset": "r_{{.OS}}_{{.Arch}}_musl.{{.Format}}",
                "variants": [{"key": "libc", "value": "musl"}],
            },
            {"goos": "linux", "variants": [{"key": "os_release", "value": "x"}], "asset": "never"},
        ]
    )
    musl = AquaPlatform("linux", "amd64", "musl")
    glibc = AquaPlatform("linux", "amd64", "glibc")
    assert resolve(p, "v1", musl).asset == "r_linux_amd64_musl.tar.gz"
    assert resolve(p, "v1", glibc).asset == "r_linux_amd64.tar.gz"
    assert resolve(p, "v1", LINUX).asset == "r_linux_amd64.tar.gz"  # undetected libc
    assert checksum_platforms(p, "v1", None) == [
        DARWIN,
        DARWIN_ARM,
        glibc,
        musl,
        AquaPlatform("linux", "arm64", "glibc"),
        AquaPlatform("linux", "arm64", "musl"),
        WINDOWS,
        WINDOWS_ARM,
    ]


def test_libc_variants_with_fallback_override_keep_default_runtime() -> None:
    p = rel(
        overrides=[
            {"goos": "linux", "asset": "m", "variants": [{"key": "libc", "value": "musl"}]},
            {"goos": "linux", "asset": "default"},
        ]
    )
    linux = checksum_platforms(p, "v1", ["linux/amd64"])
    assert linux == [LINUX, AquaPlatform("linux", "amd64", "musl")]


# --- supported_envs, rosetta2, windows_arm_emulation ---------------------------------------------


def test_supported_envs() -> None:
    p = rel(supported_envs=["linux", "darwin/amd64"])
    assert resolve(p, "v1", LINUX_ARM).supported
    a = resolve(p, "v1", WINDOWS)
    assert not a.supported and a.url is None and a.checksum_id is None
    assert a.reason == "not supported on windows/amd64 (supported_envs: linux, darwin/amd64)"
    assert not resolve(p, "v1", DARWIN_ARM).supported
    assert not resolve(rel(supported_envs=[]), "v1", LINUX).supported
    assert resolve(rel(supported_envs=["all"]), "v1", WINDOWS_ARM).supported
    assert resolve(rel(supported_envs=["arm64"]), "v1", WINDOWS_ARM).supported


def test_rosetta2() -> None:
    p = rel(supported_envs=["darwin/amd64", "linux"], rosetta2=True, replacements={"amd64": "x64"})
    a = resolve(p, "v1", DARWIN_ARM)
    assert a.supported
    assert a.asset == "r_darwin_x64.tar.gz"
    assert a.checksum_id == resolve(p, "v1", DARWIN).checksum_id
    assert resolve(p, "v1", LINUX_ARM).asset == "r_linux_arm64.tar.gz"
    # without rosetta2 darwin/arm64 is unsupported
    assert not resolve(rel(supported_envs=["darwin/amd64"]), "v1", DARWIN_ARM).supported
    # rosetta2 changes Arch even when darwin/arm64 is itself supported (aqua's getArch)
    assert resolve(rel(rosetta2=True), "v1", DARWIN_ARM).asset == "r_darwin_amd64.tar.gz"
    # checksum_platforms does not add darwin/arm64 (update-checksum uses supported_envs only)
    assert DARWIN_ARM not in checksum_platforms(p, "v1", None)


def test_windows_arm_emulation() -> None:
    p = rel(supported_envs=["windows/amd64", "amd64"], windows_arm_emulation=True)
    a = resolve(p, "v1", WINDOWS_ARM)
    assert a.supported and a.asset == "r_windows_amd64.tar.gz"
    assert not resolve(rel(supported_envs=["amd64"]), "v1", WINDOWS_ARM).supported
    assert not resolve(p, "v1", DARWIN_ARM).supported  # emulation is windows-only


def test_build_fallback_for_unsupported_platform() -> None:
    p = rel(
        supported_envs=["darwin"],
        build={"type": "go_build", "excluded_envs": ["windows"]},
    )
    a = resolve(p, "v1", LINUX)
    assert a.supported and a.type == "go_build"
    assert a.checksum_id == "github_archive/github.com/o/r/v1"
    assert not resolve(p, "v1", WINDOWS).supported
    off = rel(supported_envs=["darwin"], build={"type": "go_build", "enabled": False})
    assert not resolve(off, "v1", LINUX).supported


# --- asset finishing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "platform", "want"),
    [
        ({"asset": "tool", "format": "raw"}, WINDOWS, "tool.exe"),
        ({"asset": "tool", "format": "raw"}, LINUX, "tool"),
        ({"asset": "tool.exe", "format": "raw"}, WINDOWS, "tool.exe"),
        ({"asset": "tool", "format": "raw", "complete_windows_ext": False}, WINDOWS, "tool"),
        ({"asset": "tool", "format": "raw", "windows_ext": ".bat"}, WINDOWS, "tool.bat"),
        ({"asset": "tool", "format": "zip"}, WINDOWS, "tool.zip"),
        ({"asset": "tool", "format": "zip", "append_ext": False}, WINDOWS, "tool"),
        ({"asset": "tool.zip", "format": "tar.gz"}, LINUX, "tool.zip"),
        ({"asset": "tool.tar.gz", "format": "tar.gz"}, LINUX, "tool.tar.gz"),
        ({"asset": "tool", "format": ""}, WINDOWS, "tool.exe"),
        ({"asset": "tool.sh", "format": ""}, WINDOWS, "tool.sh"),
        ({"asset": "tool-{{trimV .Version}}", "format": ""}, WINDOWS, "tool-1.2.3.exe"),
        ({"asset": "tool.jar", "format": "raw"}, WINDOWS, "tool.jar"),
        ({"asset": "tool.sh", "format": "raw"}, WINDOWS, "tool.sh.exe"),
        ({"asset": "tool", "format": "tgz"}, LINUX, "tool.tgz"),
    ],
)
def test_asset_extensions(extra: dict[str, Any], platform: AquaPlatform, want: str) -> None:
    assert resolve(rel(**extra), "v1.2.3", platform).asset == want


def test_github_content_windows_ext() -> None:
    base = {"type": "github_content", "repo_owner": "o", "repo_name": "r", "path": "bin/tool"}
    assert resolve(base, "v1", WINDOWS).asset == "bin/tool"
    assert resolve({**base, "complete_windows_ext": True}, "v1", WINDOWS).asset == "bin/tool.sh"
    assert (
        resolve({**base, "complete_windows_ext": True, "windows_ext": ".ps1"}, "v1", WINDOWS).asset
        == "bin/tool.ps1"
    )


def test_http_url_gets_windows_ext() -> None:
    p = {"type": "http", "name": "x", "url": "https://e.com/{{.Version}}/kubectl", "format": "raw"}
    a = resolve(p, "v1.30.0", WINDOWS)
    assert a.url == "https://e.com/v1.30.0/kubectl.exe"
    assert a.checksum_id == "http/e.com/v1.30.0/kubectl.exe"


# --- checksum file and signatures -----------------------------------------------------------------


def test_checksum_block() -> None:
    p = rel(
        replacements={"amd64": "x86_64"},
        checksum={
            "type": "github_release",
            "asset": "r_{{trimV .Version}}_{{.Arch}}_checksums.txt#{{.Asset}}",
            "algorithm": "sha256",
            "replacements": {"amd64": "64bit"},
        },
    )
    a = resolve(p, "v1.2.3", LINUX)
    assert a.checksum_file is not None
    chk = a.checksum_file.file
    assert chk.asset == "r_1.2.3_64bit_checksums.txt#r_linux_x86_64.tar.gz"
    assert chk.url.startswith("https://github.com/o/r/releases/download/v1.2.3/")
    assert a.checksum_file.algorithm == "sha256"
    assert a.checksum_file.id == chk.url
    assert a.evidence == ("checksum-file",)


def test_checksum_replacements_empty_map_means_none() -> None:
    p = rel(
        replacements={"amd64": "x86_64"},
        checksum={
            "type": "github_release",
            "asset": "{{.Arch}}.sum",
            "algorithm": "sha512",
            "replacements": {},
        },
    )
    a = resolve(p, "v1", LINUX)
    assert a.checksum_file is not None and a.checksum_file.file.asset == "amd64.sum"
    merged = rel(
        replacements={"amd64": "x86_64", "linux": "Linux"},
        checksum={
            "type": "github_release",
            "asset": "{{.OS}}_{{.Arch}}.sum",
            "algorithm": "md5",
            "replacements": {"linux": "lin"},
        },
    )
    b = resolve(merged, "v1", LINUX)
    assert b.checksum_file is not None and b.checksum_file.file.asset == "lin_x86_64.sum"


def test_checksum_disabled_and_http_checksum_with_asset_url() -> None:
    off = rel(
        checksum={"type": "github_release", "asset": "x", "algorithm": "sha256", "enabled": False}
    )
    assert resolve(off, "v1", LINUX).checksum_file is None
    p = {
        "type": "http",
        "name": "x",
        "url": "https://e.com/{{.Version}}/x_{{.OS}}.zip",
        "checksum": {
            "type": "http",
            "url": "{{.AssetURL}}.sha256",
            "algorithm": "sha256",
            "file_format": "regexp",
            "pattern": {
                "checksum": "^(\\b[A-Fa-f0-9]{64}\\b)",
                "file": "^\\b[A-Fa-f0-9]{64}\\b\\s+(\\S+)$",
            },
        },
    }
    a = resolve(p, "v1", LINUX)
    assert a.checksum_file is not None
    assert a.checksum_file.file.url == "https://e.com/v1/x_linux.zip.sha256"
    assert a.checksum_file.file.kind == "http"
    assert a.checksum_file.file_format == "regexp"
    assert a.checksum_file.pattern_checksum and a.checksum_file.pattern_file


def test_bad_checksum_algorithm_is_an_input_error() -> None:
    p = rel(checksum={"type": "github_release", "asset": "x", "algorithm": "crc32"})
    with pytest.raises(InputError, match="algorithm"):
        resolve(p, "v1", LINUX)


def test_checksum_level_signatures() -> None:
    p = rel(
        checksum={
            "type": "github_release",
            "asset": "checksums.txt",
            "algorithm": "sha256",
            "cosign": {
                "opts": [
                    "--certificate-identity",
                    "https://github.com/o/r/.github/workflows/release.yml@refs/tags/{{.Version}}",
                ],
                "bundle": {"type": "github_release", "asset": "checksums.txt.sigstore.json"},
            },
            "minisign": {
                "type": "github_release",
                "asset": "checksums.txt.minisig",
                "public_key": "RWQ",
            },
            "github_artifact_attestations": {
                "signer_workflow": "o/r/.github/workflows/release.yml"
            },
        }
    )
    a = resolve(p, "v1.0.0", LINUX)
    chk = a.checksum_file
    assert chk is not None and chk.cosign is not None and chk.minisign is not None
    assert chk.cosign.opts[1].endswith("@refs/tags/v1.0.0")
    assert chk.cosign.bundle is not None
    assert (
        chk.cosign.bundle.url
        == "https://github.com/o/r/releases/download/v1.0.0/checksums.txt.sigstore.json"
    )
    assert chk.minisign.public_key == "RWQ"
    assert chk.attestations is not None and chk.attestations.repo_owner == "o"
    assert a.evidence == ("checksum-file", "cosign", "github-attestation", "minisign")


def test_package_level_signatures_and_enablement() -> None:
    p = rel(
        cosign={
            "signature": {"type": "http", "url": "https://e.com/{{.Asset}}.sig"},
            "key": {
                "type": "github_release",
                "repo_owner": "keys",
                "repo_name": "k",
                "asset": "cosign.pub",
            },
        },
        slsa_provenance={"type": "github_release", "asset": "multiple.intoto.jsonl"},
        minisign={
            "type": "http",
            "url": "https://e.com/{{.AssetWithoutExt}}.minisig",
            "public_key": "RWS",
        },
        github_artifact_attestations={
            "signer-workflow": "o/r/.github/workflows/x.yml",
            "predicate_type": "https://slsa.dev/provenance/v1",
        },
    )
    a = resolve(p, "v1", LINUX)
    assert a.cosign is not None and a.cosign.opts == ()
    assert (
        a.cosign.signature is not None
        and a.cosign.signature.url == "https://e.com/r_linux_amd64.tar.gz.sig"
    )
    assert (
        a.cosign.key is not None
        and a.cosign.key.url == "https://github.com/keys/k/releases/download/v1/cosign.pub"
    )
    assert a.slsa is not None
    assert a.slsa.source_uri == "github.com/o/r" and a.slsa.source_tag == "v1"
    assert a.slsa.provenance.asset == "multiple.intoto.jsonl"
    assert (
        a.minisign is not None and a.minisign.signature.url == "https://e.com/r_linux_amd64.minisig"
    )
    assert a.attestations is not None
    assert a.attestations.signer_workflow == "o/r/.github/workflows/x.yml"  # legacy key
    assert a.attestations.predicate_type == "https://slsa.dev/provenance/v1"
    assert a.evidence == ("cosign", "slsa", "github-attestation", "minisign")

    disabled = rel(
        cosign={"enabled": False, "opts": ["--key", "x"]},
        slsa_provenance={"asset": "x"},  # no type → disabled
        minisign={"enabled": False, "type": "http", "url": "u", "public_key": "k"},
        github_artifact_attestations={"enabled": False},
    )
    d = resolve(disabled, "v1", LINUX)
    assert (d.cosign, d.slsa, d.minisign, d.attestations) == (None, None, None, None)
    assert d.evidence == ()


def test_slsa_source_overrides() -> None:
    p = rel(
        slsa_provenance={
            "type": "github_release",
            "repo_owner": "other",
            "asset": "p.intoto.jsonl",
            "source_tag": "-",
        }
    )
    a = resolve(p, "v1", LINUX)
    assert a.slsa is not None
    assert a.slsa.source_uri == "github.com/other/r" and a.slsa.source_tag is None
    assert a.slsa.provenance.repo_owner == "other"


def test_platform_override_replaces_signature_blocks() -> None:
    p = rel(
        cosign={"opts": ["--key", "a"]},
        overrides=[{"goos": "windows", "cosign": {"enabled": False}}],
    )
    assert resolve(p, "v1", LINUX).cosign is not None
    assert resolve(p, "v1", WINDOWS).cosign is None


# --- vars and input errors -----------------------------------------------------------------------


def test_vars_defaults_and_required() -> None:
    p = rel(
        asset="r_{{.Vars.channel}}_{{.Vars.go}}",
        vars=[{"name": "channel", "default": "stable"}, {"name": "go", "required": True}],
    )
    assert resolve(p, "v1", LINUX, vars={"go": "1.22"}).asset == "r_stable_1.22.tar.gz"
    assert resolve(p, "v1", LINUX, vars={"go": "1", "channel": "beta"}).asset == "r_beta_1.tar.gz"
    with pytest.raises(InputError, match="variable 'go' is required"):
        resolve(p, "v1", LINUX)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (rel(asset="{{env `HOME`}}"), "template function env is not allowed"),
        (rel(asset="{{range .Vars}}{{end}}"), "template action range is not allowed"),
        (rel(asset=["x"]), "asset must be a string"),
        (rel(replacements=["x"]), "replacements must be a mapping"),
        (rel(type="go"), "type go was removed"),
        (rel(type="svn"), "invalid package type"),
        (
            {"type": "github_release", "repo_owner": "o", "repo_name": "r"},
            "github_release needs asset",
        ),
        ({"type": "http", "name": "x"}, "http needs url"),
        ({"type": "http", "name": "x", "url": "https://[::1/{{.Version}}"}, "is not a valid URL"),
        ({"type": "http", "name": "x", "url": "https://h:70000/x"}, "is not a valid URL"),
        (rel(checksum={"type": "ftp", "algorithm": "sha256"}), "unknown checksum type"),
        (rel(cosign={"signature": {"type": "s3"}}), "invalid file type"),
    ],
)
def test_malformed_entries_are_input_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        resolve(raw, "v1", LINUX, where="registry.yaml")
    assert err.value.path == "registry.yaml"
    assert message in err.value.reason


def test_input_error_carries_yaml_line_when_available() -> None:
    class LineDict(dict[str, Any]):
        line = 7

        def key_line(self, key: str) -> int:
            return {"asset": 9}.get(key, self.line)

    raw = LineDict(rel(asset=["bad"]))
    with pytest.raises(InputError) as err:
        resolve(raw, "v1", LINUX, where="r.yaml")
    assert err.value.line == 9


def test_checksum_platforms_intersects_config_envs() -> None:
    p = rel(supported_envs=["linux", "darwin"])
    assert checksum_platforms(p, "v1", None) == [DARWIN, DARWIN_ARM, LINUX, LINUX_ARM]
    assert checksum_platforms(p, "v1", ["linux/amd64", "windows"]) == [LINUX]
    assert checksum_platforms(p, "v1", []) == [DARWIN, DARWIN_ARM, LINUX, LINUX_ARM]
    assert checksum_platforms(rel(supported_envs=[]), "v1", None) == []
    with pytest.raises(InputError, match="unsupported runtime"):
        checksum_platforms(p, "v1", ["plan9"])


# --- the real registry ---------------------------------------------------------------------------

_LIT = re.compile(r'"([^"]*)"')


def _registry_packages(corpus: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    files = sorted((corpus / "aqua" / "registry" / "pkgs").rglob("registry.yaml"))
    assert len(files) >= 168
    for path in files:
        for p in yaml.safe_load(path.read_text())["packages"]:
            yield path, p


def _prefix(p: Mapping[str, Any], vo: Mapping[str, Any] | None) -> str:
    if vo is not None and vo.get("version_prefix") is not None:
        return str(vo["version_prefix"])
    return str(p.get("version_prefix") or "")


def _literal_versions(constraint: str, prefix: str) -> set[str]:
    """Versions that a constraint names, in the spellings a tag could have."""
    out: set[str] = set()
    for m in re.finditer(r'semver\("([^"]*)"\)', constraint):
        for term in m.group(1).split(","):
            lit = term.strip().lstrip("<>=! ")
            out |= {prefix + lit, prefix + "v" + lit}
    for m in re.finditer(
        r'semverWithVersion\("([^"]*)",\s*trimPrefix\(Version,\s*"([^"]*)"\)\)', constraint
    ):
        for term in m.group(1).split(","):
            lit = term.strip().lstrip("<>=! ")
            out |= {m.group(2) + lit, m.group(2) + "v" + lit}
    for m in re.finditer(r'Version (?:==|in) (\[[^\]]*\]|"[^"]*")', constraint):
        out |= set(_LIT.findall(m.group(1)))
    for m in re.finditer(r'Version startsWith "([^"]*)"', constraint):
        out |= {m.group(1) + "1.0.0", m.group(1) + "v1.0.0"}
    for m in re.finditer(r'Version contains "([^"]*)"', constraint):
        out.add("v1.0.0" + m.group(1))
    return out


def _candidates(p: Mapping[str, Any]) -> list[str]:
    levels: list[tuple[str, str]] = [(str(p.get("version_constraint") or ""), _prefix(p, None))]
    for vo in p.get("version_overrides") or []:
        levels.append((str(vo.get("version_constraint") or ""), _prefix(p, vo)))
    out: set[str] = set()
    for constraint, prefix in levels:
        for core in ("99.0.0", "999999.0.0", "0.0.1"):
            out |= {prefix + core, prefix + "v" + core}
        out |= _literal_versions(constraint, prefix)
    return sorted(out)


def _selected(p: Mapping[str, Any], version: str) -> int | str | None:
    """Which level aqua's SetVersion picks: "top", an override index, or None (no match)."""
    top = str(p.get("version_constraint") or "")
    if not top:
        return "top"
    prefix = _prefix(p, None)
    if (not prefix or version.startswith(prefix)) and constraint_true(
        top, version, prefix=prefix, where="t"
    ):
        return "top"
    for i, vo in enumerate(p.get("version_overrides") or []):
        prefix = _prefix(p, vo)
        source = str(vo.get("version_constraint") or "")
        if not source.strip() or (prefix and not version.startswith(prefix)):
            continue
        if constraint_true(source, version, prefix=prefix, where="t"):
            return i
    return None


def _check(a: Artifact, platform: AquaPlatform) -> None:
    assert a.platform == platform
    if not a.supported:
        assert a.reason and a.url is None and a.checksum_id is None
        return
    if a.type in ("go_install", "cargo"):
        assert a.checksum_id is None and a.reason == NEVER_CHECKSUMMED
        return
    assert a.url and a.url.startswith("https://"), a
    assert a.checksum_id and "<no value>" not in a.checksum_id, a
    assert " " not in a.checksum_id
    if a.checksum_file is not None:
        assert a.checksum_file.file.url.startswith("https://")
        assert "<no value>" not in a.checksum_file.file.url


def test_every_corpus_package_resolves_on_every_platform(corpus: Path) -> None:
    packages = resolved = overrides_total = overrides_hit = 0
    kinds: dict[str, int] = {}
    for path, p in _registry_packages(corpus):
        packages += 1
        vos = p.get("version_overrides") or []
        hits: set[int | str] = set()
        versions = _candidates(p)
        for version in versions:
            level = _selected(p, version)
            if level is None:
                continue  # aqua falls back to the (often incomplete) top level; not a real tag
            hits.add(level)
            for platform in PLATFORMS:
                a = resolve(p, version, platform, where=str(path), vars={"go_version": "1.22.0"})
                _check(a, platform)
                resolved += 1
                key = a.type if a.supported else "unsupported"
                kinds[key] = kinds.get(key, 0) + 1
        if vos and p.get("version_constraint"):
            last = len(vos) - 1
            if last not in hits:
                # e.g. a final catch-all only an unparsable version reaches
                for version in ("nightly", "a" * 40):
                    if _selected(p, version) == last:
                        for platform in PLATFORMS:
                            _check(resolve(p, version, platform, where=str(path)), platform)
                        hits.add(last)
                        break
            assert last in hits, f"{path}: the last version_override is never selected"
            older = [
                i
                for i, vo in enumerate(vos[:-1])
                if re.search(r"[0-9]", str(vo.get("version_constraint")))
            ]
            if older:
                assert set(older) & hits, f"{path}: no older version_override is exercised"
            overrides_total += len(vos)
            overrides_hit += len([h for h in hits if h != "top"])
    assert packages >= 168
    assert overrides_hit / overrides_total > 0.95, (overrides_hit, overrides_total)
    assert kinds.get("unsupported", 0) > 0 and kinds.get("github_release", 0) > 0
    print(
        f"\n{packages} packages, {resolved} resolutions, "
        f"{overrides_hit}/{overrides_total} version_overrides exercised, by kind {kinds}"
    )


# --- the real aqua-checksums.json files ----------------------------------------------------------


def _registry_index(corpus: Path) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for _, p in _registry_packages(corpus):
        name = p.get("name") or (
            f"{p['repo_owner']}/{p['repo_name']}"
            if p.get("repo_owner") and p.get("repo_name")
            else p.get("path")
        )
        for n in [name, *[a["name"] for a in p.get("aliases") or []]]:
            index.setdefault(str(n), p)  # the first definition wins
    return index


def _config_packages(cfg: Path, seen: set[Path]) -> Iterator[tuple[str, str, str, Any]]:
    """(name, version, registry, vars) of aqua.yaml and its imports (recursively)."""
    if cfg in seen:
        return
    seen.add(cfg)
    data = yaml.safe_load(cfg.read_text()) or {}
    for entry in data.get("packages") or []:
        if not entry:
            continue
        if entry.get("import"):
            for child in sorted(cfg.parent.glob(entry["import"])):
                yield from _config_packages(child, seen)
            continue
        name, version = str(entry.get("name", "")), entry.get("version")
        if version is None:
            name, _, version = name.partition("@")
        yield name, str(version), str(entry.get("registry", "standard")), entry.get("vars")
    if data.get("import_dir"):
        for child in sorted((cfg.parent / data["import_dir"]).glob("*.y*ml")):
            yield from _config_packages(child, seen)


# Entries an older registry or aqua wrote differently; the current registry differs on purpose.
_KNOWN_DRIFT = {
    # registry v3.136.1 had no arm64 assets for int128/ghcp v1.13.2; the current one does
    (
        "aquaproj-example-update-checksum",
        "github_release/github.com/int128/ghcp/v1.13.2/ghcp_darwin_arm64.zip",
    ),
    (
        "aquaproj-example-update-checksum",
        "github_release/github.com/int128/ghcp/v1.13.2/ghcp_linux_arm64.zip",
    ),
}


def test_checksum_ids_match_real_aqua_checksum_files(corpus: Path) -> None:
    root = corpus / "aqua"
    index = _registry_index(corpus)
    compared = matched = reverse = files = 0
    drift: list[str] = []
    for cfg in sorted(root.glob("examples/**/*aqua.y*ml")):
        if cfg.name not in ("aqua.yaml", ".aqua.yaml", "aqua.yml"):
            continue
        chk = next(
            (
                cfg.parent / n
                for n in ("aqua-checksums.json", ".aqua-checksums.json")
                if (cfg.parent / n).exists()
            ),
            None,
        )
        if chk is None:
            continue
        files += 1
        example = cfg.relative_to(root / "examples").parts[0]
        ids = {c["id"] for c in json.loads(chk.read_text())["checksums"]}
        data = yaml.safe_load(cfg.read_text()) or {}
        registries = {r.get("name", "standard"): r for r in data.get("registries") or []}
        envs = (data.get("checksum") or {}).get("supported_envs")
        for name, version, registry, pkg_vars in _config_packages(cfg, set()):
            reg = registries.get(registry)
            if not version or reg is None or reg.get("type") != "standard" or name not in index:
                continue  # version_expr packages, local registries, packages outside the corpus
            p = index[name]
            produced: set[str] = set()
            for platform in checksum_platforms(p, version, envs, where=name):
                a = resolve(p, version, platform, vars=pkg_vars, where=name)
                if not a.supported or a.checksum_id is None:
                    continue
                produced.add(a.checksum_id)
                if platform.libc == "musl":
                    continue  # libc variants are newer than these files
                if a.checksum_id.startswith("http/"):
                    host = a.checksum_id.split("/")[1]
                    present = any(
                        i.startswith(f"http/{host}/") and version.lstrip("v") in i for i in ids
                    )
                else:
                    prefix = "/".join(a.checksum_id.split("/")[:5]) + "/"
                    present = any(i.startswith(prefix) for i in ids)
                if not present:
                    continue  # the file has no entries for this package/version
                compared += 1
                if a.checksum_id in ids:
                    matched += 1
                elif (example, a.checksum_id) in _KNOWN_DRIFT:
                    drift.append(a.checksum_id)
                else:
                    pytest.fail(f"{cfg}: {name}@{version} {platform}: {a.checksum_id} not in {chk}")
            # every entry the file holds for this github package/version is one we produce
            sample = next((i for i in produced if not i.startswith("http/")), None)
            if sample is not None:
                prefix = "/".join(sample.split("/")[:5]) + "/"
                for i in ids:
                    if i.startswith(prefix):
                        reverse += 1
                        assert i in produced, f"{chk}: {i} is not produced by the resolver"
    assert files >= 10
    assert compared >= 400 and matched == compared - len(drift)
    assert len(drift) == len(_KNOWN_DRIFT)
    print(
        f"\nchecksum ids: {matched}/{compared} matched in {files} files "
        f"({len(drift)} known drift); reverse: {reverse} entries, all produced"
    )


def test_with_package_defs_from_the_registry_parser() -> None:
    registry = pytest.importorskip("depguard.formats.aqua_registry")
    text = """packages:
  - type: github_release
    repo_owner: o
    repo_name: r
    asset: r_{{.Version}}_{{.OS}}.tar.gz
    version_constraint: "false"
    version_overrides:
      - version_constraint: Version == "1.10"
        asset: r_1.10
        format: raw
      - version_constraint: "true"
        asset: "{{bogus .OS}}"
"""
    reg = registry.parse_registry(text, "pkgs/o/r/registry.yaml")
    pkg_def = reg.lookup("o/r")
    assert pkg_def is not None
    a = resolve(pkg_def, "1.10", WINDOWS)
    assert a.asset == "r_1.10.exe"
    with pytest.raises(InputError) as err:
        resolve(pkg_def, "v2", LINUX)
    assert err.value.path == "pkgs/o/r/registry.yaml"
    assert "template function bogus is not allowed" in err.value.reason
    assert err.value.line is not None


def test_yaml_scalar_text_is_kept_for_string_fields() -> None:
    yaml_lines = pytest.importorskip("depguard.formats.yaml_lines")
    raw = yaml_lines.load_yaml(
        "type: github_release\nrepo_owner: o\nrepo_name: r\nasset: 1.10\nformat: raw\n", "r.yaml"
    )
    assert resolve(raw, "v1", LINUX).asset == "1.10"
