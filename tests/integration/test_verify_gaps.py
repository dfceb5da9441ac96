"""Fail-closed corners of verify: entries that pin nothing, unchecked h1 values, empty PATHs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.cli import run_cli

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
    assert report["skipped"][0]["reason"] == "no state directories found"
    code, _ = _verify(empty, "--allow-skips")
    assert code == 0
