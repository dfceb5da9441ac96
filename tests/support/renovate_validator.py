"""The real ``renovate-config-validator`` (npm renovate@39.264.1, Node 20, offline): the opt-in
test tier ``.ci/run`` enables by setting ``DEPGUARD_RENOVATE_VALIDATOR`` to its path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def validator_path() -> Path:
    """The validator, or a pytest skip saying why the tier is off."""
    value = os.environ.get("DEPGUARD_RENOVATE_VALIDATOR")
    if not value:
        pytest.skip("DEPGUARD_RENOVATE_VALIDATOR is not set (path to renovate-config-validator)")
    path = Path(value)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.skip(f"DEPGUARD_RENOVATE_VALIDATOR={value} is not an executable file")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH (renovate-config-validator needs it)")
    return path


def validate(validator: Path, text: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """Run the validator as Renovate 39 validates a repository config: no file argument (a
    file argument is validated as *global* config in 39), the config as ./renovate.json5."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "renovate.json5").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENOVATE_")}
    env["LOG_LEVEL"] = "info"
    return subprocess.run(
        [str(validator), "--strict"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
