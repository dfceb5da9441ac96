"""Regression tests from the security review: paths that used to fail open.

Each works on a private copy of the shipped example (offline, its upstream snapshot edited).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from tests.integration.test_example import copy_example
from tests.support.cli import CliResult, run_cli

REGISTRY = Path("upstream/raw.githubusercontent.com/acme/aqua-registry")
INFRA = "upstream/github.com/acme/infra-cli/releases/download/v1.4.0"
NO_MINISIGN = re.compile(
    r"\n      minisign:\n        type: github_release\n        asset: .*\n        public_key: .*"
)


def _run(root: Path, *args: str) -> CliResult:
    result = run_cli("--format", "json", "--config", str(root / "depguard.yaml"), *args)
    assert "Traceback" not in result.err, result.err
    return result


def _rules(result: CliResult) -> set[str]:
    return {f["rule"] for f in result.json()["findings"]}


def test_update_refuses_a_registry_that_contradicts_its_pin(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    reg = root / REGISTRY / "v1.2.0" / "registry.yaml"
    text = reg.read_text()
    reg.write_text(NO_MINISIGN.sub("", text))  # the served registry drops infra-cli's minisign
    sums = root / "aqua" / "aqua-checksums.json"
    doc = json.loads(sums.read_text())
    doc["checksums"] = [e for e in doc["checksums"] if "infra-cli" not in e["id"]]
    sums.write_text(json.dumps(doc, indent=2) + "\n")
    before = sums.read_bytes()

    update = _run(root, "--offline", "checksums", "update", str(root))
    assert update.code == 1, update.out + update.err
    assert "aqua-checksum-mismatch" in _rules(update)
    assert sums.read_bytes() == before

    asset = root / INFRA / "infra-cli_1.4.0_linux_amd64.tar.gz"
    tools = _run(
        root, "--offline", "tools", "verify", str(asset), "--package", "acme/infra-cli@v1.4.0",
        "--platform", "linux/amd64", "--config", str(root / "aqua" / "aqua.yaml"),
    )  # fmt: skip
    assert tools.code == 1, tools.out + tools.err
    assert "aqua-checksum-mismatch" in _rules(tools)


def test_a_second_config_cannot_hide_a_bad_signature(tmp_path: Path) -> None:
    """Same package and asset from another registry ref that declares no minisign: the first
    config's declared signature must still be verified (truths are per evidence spec)."""
    root = copy_example(tmp_path)
    text = (root / REGISTRY / "v1.2.0" / "registry.yaml").read_text()
    weaker = NO_MINISIGN.sub("", text)
    (root / REGISTRY / "v1.2.1").mkdir()
    (root / REGISTRY / "v1.2.1" / "registry.yaml").write_text(weaker)
    other = root / "a"
    other.mkdir()
    (other / "aqua.yaml").write_text(
        "registries:\n"
        "  - {name: acme, type: github_content, repo_owner: acme, repo_name: aqua-registry,"
        " ref: v1.2.1, path: registry.yaml}\n"
        "checksum: {enabled: true, require_checksum: true,"
        " supported_envs: [linux/amd64, darwin/arm64]}\n"
        "packages:\n  - {name: acme/infra-cli@v1.4.0, registry: acme}\n"
    )
    entries = [
        e
        for e in json.loads((root / "aqua" / "aqua-checksums.json").read_text())["checksums"]
        if "infra-cli" in e["id"]
    ]
    entries.append(
        {
            "id": "registries/github_content/github.com/acme/aqua-registry/v1.2.1/registry.yaml",
            "checksum": hashlib.sha256(weaker.encode()).hexdigest().upper(),
            "algorithm": "sha256",
        }
    )
    (other / "aqua-checksums.json").write_text(
        json.dumps({"checksums": sorted(entries, key=lambda e: e["id"])}, indent=2) + "\n"
    )
    sig = root / INFRA / "infra-cli_1.4.0_checksums.txt.minisig"
    lines = sig.read_bytes().split(b"\n")
    raw = bytearray(base64.b64decode(lines[1]))
    raw[20] ^= 1
    lines[1] = base64.b64encode(bytes(raw))
    sig.write_bytes(b"\n".join(lines))

    result = _run(root, "--offline", "verify", str(root))
    assert result.code == 1, result.out + result.err
    bad = [f for f in result.json()["findings"] if f["rule"] == "aqua-signature-invalid"]
    assert bad and all(f["path"].startswith("aqua/") for f in bad), bad


def test_malformed_signature_material_is_a_finding_not_a_skip(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    wheel_dir = root / "upstream/github.com/trailofbits/rfc8785.py/releases/download/v0.1.2"
    (wheel_dir / "rfc8785-0.1.2-py3-none-any.whl.sigstore.json").write_text("garbage\n")
    deep = _run(root, "--offline", "--allow-skips", "verify", str(root / "aqua"), "--deep")
    assert deep.code == 1, deep.out + deep.err
    assert "aqua-signature-invalid" in _rules(deep)
    tools = _run(
        root, "--offline", "--allow-skips", "tools", "verify",
        str(wheel_dir / "rfc8785-0.1.2-py3-none-any.whl"),
        "--package", "trailofbits/rfc8785.py@v0.1.2", "--platform", "linux/amd64",
        "--config", str(root / "aqua" / "aqua.yaml"),
    )  # fmt: skip
    assert tools.code == 1, tools.out + tools.err
    assert "aqua-signature-invalid" in _rules(tools)


def test_asset_signatures_left_for_deep_are_named_in_a_note(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    result = _run(root, "--offline", "verify", str(root))
    assert result.code == 0, result.out + result.err
    (note,) = [n for n in result.json()["notes"] if "--deep" in n and "aqua" in n]
    assert "cosign" in note and "slsa" in note and "github-attestation" in note


def test_several_paths_outside_git_share_one_root(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / ".git").rmdir()
    result = run_cli(
        "--format", "json", "--offline", "--config", str(root / "depguard.yaml"), "verify",
        str(root / "envs"), str(root / "aqua"),
    )  # fmt: skip
    assert "Traceback" not in result.err
    assert result.code == 0, result.out + result.err
    paths = {c["path"] for c in result.json()["checked"]}
    assert "aqua/aqua-checksums.json" in paths and not any(p.startswith("/") for p in paths)


def _drop_infra_entries(root: Path) -> Path:
    sums = root / "aqua" / "aqua-checksums.json"
    doc = json.loads(sums.read_text())
    doc["checksums"] = [e for e in doc["checksums"] if "infra-cli" not in e["id"]]
    sums.write_text(json.dumps(doc, indent=2) + "\n")
    return sums


def test_corroborate_adds_the_release_digest_and_catches_a_disagreement(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    sums = _drop_infra_entries(root)
    shipped = Path(__file__).resolve().parents[2] / "manifests/examples/acme-infra/aqua"
    good = run_cli(
        "--offline", "--config", str(root / "depguard.yaml"), "checksums", "update",
        str(root), "--corroborate",
    )  # fmt: skip
    assert good.code == 0, good.out + good.err
    assert "[signed: checksum-file, minisign, release-digest]" in good.err
    assert sums.read_bytes() == (shipped / "aqua-checksums.json").read_bytes()

    sums = _drop_infra_entries(root)
    before = sums.read_bytes()
    api = root / "upstream/api.github.com/repos/acme/infra-cli/releases/tags/v1.4.0"
    doc = json.loads(api.read_text())
    for asset in doc["assets"]:
        if asset["name"].endswith("linux_amd64.tar.gz"):
            asset["digest"] = "sha256:" + "0" * 64
    api.write_text(json.dumps(doc))
    bad = _run(root, "--offline", "checksums", "update", str(root), "--corroborate")
    assert bad.code == 1, bad.out + bad.err
    assert _rules(bad) == {"aqua-checksum-mismatch"}
    assert sums.read_bytes() == before


def test_tools_verify_corroborates_with_the_release_digest(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    asset = root / INFRA / "infra-cli_1.4.0_linux_amd64.tar.gz"
    result = _run(
        root, "--offline", "tools", "verify", str(asset), "--package", "acme/infra-cli@v1.4.0",
        "--platform", "linux/amd64", "--config", str(root / "aqua" / "aqua.yaml"),
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    (checked,) = result.json()["checked"]
    assert checked["evidence"] == ["aqua-checksums", "checksum-file", "minisign", "release-digest"]
