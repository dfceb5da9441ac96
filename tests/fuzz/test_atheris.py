"""The atheris targets (:mod:`tests.fuzz.atheris_targets`): their seeds keep the contract
in every run, and where atheris is installed (the optional ``fuzz`` extra) every target
fuzzes briefly under libFuzzer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.atheris_targets import ROOT, TARGETS, run_one

pytestmark = pytest.mark.fuzz

# Runs per target under libFuzzer in a normal test run; a real session uses
# -max_total_time (see the module docstring).
RUNS = int(os.environ.get("DEPGUARD_ATHERIS_RUNS", "500"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_keep_the_contract(name: str) -> None:
    seeds = [p.read_bytes() for p in TARGETS[name].seed_files()]
    for data in [*seeds, b"", b"\x00\xff", b"{" * 3000]:
        run_one(name, data)


def test_every_seed_glob_finds_files() -> None:
    for name, target in TARGETS.items():
        if target.seeds:
            assert list(target.seed_files()), f"{name}: no seed file matches {target.seeds}"


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_libfuzzer_run(name: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris is not installed (pip install -e '.[fuzz]')")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fuzz.atheris_targets",
            name,
            f"-runs={RUNS}",
            "-seed=1",
            f"-artifact_prefix={tmp_path}/",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert not list(tmp_path.glob("crash-*"))
