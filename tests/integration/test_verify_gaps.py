"""Fail-closed corners of verify: entries that pin nothing, unchecked h1 values, empty PATHs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.servers import RegistryBuilder
from tests.support.signing import GpgSigner, publish_signed

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    shutil.copytree(EXAMPLE, root)
    (root / ".git").mkdir()
    return root


def _verify(root: Path, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    config = next(
        p / "depguard.yaml" for p in (root, *root.parents) if (p / "depguard.yaml").exists()
    )
    result = run_cli(
        "--format", "json", "--offline", "--config", str(config), "verify", str(root), *args
    )
    return result.code, result.json()


def test_entry_without_hashes_pins_nothing(example: Path) -> None:
    lock = example / "envs" / "dev" / "network" / ".terraform.lock.hcl"
    text = lock.read_text()
    # Drop the null entry's hash list and give inventory only an unknown scheme.
    text = re.sub(
        r'(provider "registry.terraform.io/hashicorp/null" \{.*?)  hashes = \[.*?\]\n',
        r"\1",
        text,
        count=1,
        flags=re.S,
    )
    text = re.sub(
        r'(provider "tf.acme.example/platform/inventory" \{.*?hashes = \[\n).*?(  \])',
        r'\1    "h0:bogus",\n\2',
        text,
        count=1,
        flags=re.S,
    )
    lock.write_text(text)
    code, report = _verify(example / "envs" / "dev")
    assert code == 1
    missing = {f["subject"] for f in report["findings"] if f["rule"] == "lock-missing-platform"}
    assert any(s.startswith("registry.terraform.io/hashicorp/null 3.1.0") for s in missing)
    assert any(s.startswith("tf.acme.example/platform/inventory 1.3.0") for s in missing)


def test_unchecked_h1_values_are_noted_without_deep(example: Path) -> None:
    code, report = _verify(example)
    assert code == 0
    assert any("--deep" in n and "h1:" in n for n in report.get("notes", []))


def test_a_path_without_state_directories_is_a_skip(example: Path) -> None:
    empty = example / "docs"
    empty.mkdir()
    code, report = _verify(empty)
    assert code == 3
    assert report["skipped"][0]["reason"] == "no state directories or aqua configs found"
    code, _ = _verify(empty, "--allow-skips")
    assert code == 0


def test_lock_refuses_to_carry_over_a_zh_the_signed_sums_lack(example: Path) -> None:
    lock = example / "envs" / "dev" / "network" / ".terraform.lock.hcl"
    bogus = "zh:" + "d" * 64
    original = lock.read_text()
    tampered = original.replace(
        '    "zh:fbd1fee2c9df3aa19cf8851ce134dea6e45ea01cb85695c1726670c285797e25",\n',
        f'    "zh:fbd1fee2c9df3aa19cf8851ce134dea6e45ea01cb85695c1726670c285797e25",\n'
        f'    "{bogus}",\n',
    )
    assert tampered != original
    lock.write_text(tampered)
    args = ("--format", "json", "--offline", "--config", str(example / "depguard.yaml"), "lock")
    target = (str(example / "envs" / "dev"), "--provider", "tf.acme.example/platform/inventory")
    result = run_cli(*args, *target)
    assert result.code == 1, result.out
    assert result.rules() == ["lock-hash-mismatch"]
    assert lock.read_text() == tampered  # not written
    # --upgrade rewrites the entry from the signed data only.
    result = run_cli(*args, *target, "--upgrade")
    assert result.code == 0, result.out + result.err
    assert bogus not in lock.read_text()
    assert lock.read_text() == original


def test_a_poisoned_hash_memo_in_the_shared_cache_is_not_trusted(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attacker who can write the (actions/cache-restored) cache cannot vouch for an h1."""
    import json

    cache = tmp_path / "shared-cache"
    monkeypatch.setenv("DEPGUARD_CACHE_DIR", str(cache))
    dev = example / "envs" / "dev"
    code, _ = _verify(dev, "--deep", "--allow-skips")
    assert code == 0
    forged = "h1:" + "A" * 43 + "="
    entries = list((cache / "derived").rglob("*.json"))
    assert entries
    for entry in entries:
        data = json.loads(entry.read_text())
        data["h1_lock"] = forged  # the MAC no longer matches
        entry.write_text(json.dumps(data))
    lock = dev / "network" / ".terraform.lock.hcl"
    lock.write_text(lock.read_text().replace("  hashes = [\n", f'  hashes = [\n    "{forged}",\n'))
    code, report = _verify(dev, "--deep", "--allow-skips")
    assert code == 1
    assert "lock-hash-mismatch" in {f["rule"] for f in report["findings"]}


def test_lock_skips_a_version_terraform_cannot_run(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, trust_test_ca: Path
) -> None:
    """A release that only speaks plugin protocol 4 is not locked (Terraform would refuse it)."""
    publish_signed(registry_server, gpg_signer, "acme", "old", "0.1.0", protocols=("4.0",))
    work = tmp_path / "work"
    work.mkdir()
    address = registry_server.address("acme", "old")
    (work / "main.tf").write_text(
        f'terraform {{\n  required_providers {{\n    old = {{ source = "{address}" }}\n  }}\n}}\n'
    )
    config = tmp_path / "depguard.yaml"
    config.write_text(
        "trust:\n  terraform:\n    providers: ['*/acme/*']\n    signing_keys:\n"
        f"      - fingerprint: '{gpg_signer.fingerprint}'\n        providers: ['*/acme/*']\n"
    )
    result = run_cli(
        "--format", "json", "--config", str(config), "lock", str(work), "--platform", "linux_amd64"
    )
    assert result.code == 3, result.out + result.err
    assert "protocol" in result.json()["skipped"][0]["reason"]
    assert not (work / ".terraform.lock.hcl").exists()
