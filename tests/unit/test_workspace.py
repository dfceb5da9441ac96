"""State-directory discovery (issue #2 §3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from depguard.engine.workspace import read_states
from depguard.errors import InputError

MODULE_CALL = 'module "m" {\n  source = "../../modules/net"\n}\n'
LOCK = (
    '# This file is maintained automatically by "terraform init".\n'
    "# Manual edits may be lost in future updates.\n"
)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (tmp_path / ".git").mkdir(exist_ok=True)
    return tmp_path


def _displays(root: Path) -> list[str]:
    _, states = read_states([root])
    return [s.display for s in states]


def test_called_module_is_not_a_state_directory(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "envs/dev/main.tf": MODULE_CALL,
            "envs/prd/main.tf": MODULE_CALL,
            "modules/net/main.tf": 'resource "null_resource" "x" {}\n',
        },
    )
    assert _displays(root) == ["envs/dev", "envs/prd"]


def test_lock_file_or_tfaction_yaml_makes_a_state_directory(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "envs/dev/main.tf": MODULE_CALL,
            "modules/net/main.tf": "",
            "modules/net/.terraform.lock.hcl": LOCK,
            "only-tfaction/tfaction.yaml": "{}\n",
        },
    )
    assert _displays(root) == ["envs/dev", "modules/net", "only-tfaction"]


def test_skips_dot_terraform_and_git(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "a/main.tf": "",
            "a/.terraform/modules/x/main.tf": "",
            ".git/hooks/main.tf": "",
            "node_modules/x/main.tf": "",
        },
    )
    assert _displays(root) == ["a"]


def test_a_lock_file_path_names_its_directory(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"s/.terraform.lock.hcl": LOCK, "t/main.tf": ""})
    _, states = read_states([root / "s" / ".terraform.lock.hcl"])
    assert [s.display for s in states] == ["s"]


def test_other_files_are_rejected(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"README.md": "x"})
    with pytest.raises(InputError, match=r"not a directory or a \.terraform\.lock\.hcl file"):
        read_states([root / "README.md"])


def test_parse_errors_are_collected_not_raised(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"s/main.tf": 'terraform {\n  required_version = "1\n'})
    _, states = read_states([root])
    assert len(states) == 1
    assert states[0].errors and states[0].errors[0].path == "s/main.tf"


def test_symlinked_state_directories_inside_the_repository_are_followed(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"real/x/.terraform.lock.hcl": LOCK, "envs/dev/main.tf": ""})
    (root / "envs" / "prod").symlink_to(root / "real" / "x")
    (root / "envs" / "loop").symlink_to(root / "envs")
    _, states = read_states([root / "envs"])
    assert sorted(s.display for s in states) == ["envs/dev", "real/x"]


def test_symlinks_leaving_the_repository_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "x").mkdir(parents=True)
    (outside / "x" / ".terraform.lock.hcl").write_text(LOCK)
    root = _tree(tmp_path / "repo", {"envs/dev/main.tf": ""})
    (root / "envs" / "prod").symlink_to(outside / "x")
    assert _displays(root) == ["envs/dev"]
