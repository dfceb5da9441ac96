"""Run the real ``terraform`` binary in tests (the oracle for lock-file bytes)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

TERRAFORM = shutil.which("terraform")


def require_terraform() -> str:
    """Return the terraform path or skip the test with a reason."""
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH: golden tests against the real CLI are skipped")
    return TERRAFORM


def run_terraform(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    cli_config: str = "",
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Run ``terraform ARGS`` in ``cwd`` with an isolated CLI config and no plugin cache.

    Raises ``AssertionError`` with terraform's output when it fails.
    """
    binary = require_terraform()
    config = cwd.parent / f".{cwd.name}.terraformrc"
    config.write_text(cli_config)
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TF_", "GITHUB_TOKEN", "GH_TOKEN"))
    }
    full_env.update(
        {
            "TF_CLI_CONFIG_FILE": str(config),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "HOME": str(cwd.parent),
        }
    )
    full_env.update(env or {})
    proc = subprocess.run(
        [binary, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"terraform {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc
