"""``depguard rollout apply`` end to end, in-process and offline.

Provider rollouts run on a private copy of the shipped example ``manifests/examples/acme-infra``
(signed snapshot data for ``tf.acme.example/platform/inventory`` 1.2.0 and 1.3.0; dev already
runs 1.3.0, written by the real ``terraform``), so the lock file apply writes for stg can be
compared byte for byte with dev's. The Terraform CLI rollout runs on a small repository built
here: ``hashicorp/terraform`` pinned in aqua from a local registry, its release files served by
a snapshot directory, its ``aqua-checksums.json`` written by ``depguard checksums update``.

Every test compares the bytes (and permission bits) of every file before and after, so an edit
that should not happen, a rollback that leaves a trace or a stray new file is caught.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.terraform import TERRAFORM, run_terraform

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"
INVENTORY = "tf.acme.example/platform/inventory"
DEV_LOCK = "envs/dev/network/.terraform.lock.hcl"
STG_LOCK = "envs/stg/network/.terraform.lock.hcl"
STG_MAIN = "envs/stg/network/main.tf"
EXAMPLE_CONSTRAINT = 'version = ">= 1.2.0, < 2.0.0"'

Snapshot = dict[str, tuple[int, bytes]]
TfRepo = tuple[Path, dict[str, dict[str, str]]]  # the root, {tag: {asset: sha256}}


# --- helpers ---------------------------------------------------------------------------------


def _git_init(root: Path) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(
        ["git", "init", "-q", str(root)], check=True, capture_output=True, env=env, timeout=60
    )


def _run(*args: str) -> CliResult:
    result = run_cli(*args)
    assert "Traceback" not in result.err, result.err
    return result


def snapshot(root: Path) -> Snapshot:
    """Every regular file under ``root`` (``.git`` left out): its permission bits and bytes."""
    files: Snapshot = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".git" or rel.startswith(".git/") or not path.is_file():
            continue
        files[rel] = (path.stat().st_mode & 0o7777, path.read_bytes())
    return files


def changed(before: Snapshot, after: Snapshot) -> set[str]:
    """The files added, removed or changed (bytes or mode) between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def _example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, git: bool = True) -> Path:
    root = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, root)
    if git:
        _git_init(root)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the example as a git repository of its own; the cwd is its root."""
    return _example(tmp_path, monkeypatch)


def _narrow_stg_constraint(root: Path) -> bytes:
    """Make stg's inventory constraint ``~> 1.2.0`` (one that does not allow 1.3.0); return
    the new main.tf bytes."""
    main = root / STG_MAIN
    text = main.read_text()
    assert text.count(EXAMPLE_CONSTRAINT) == 1, "the example's stg main.tf changed"
    main.write_text(text.replace(EXAMPLE_CONSTRAINT, 'version = "~> 1.2.0"'))
    return main.read_bytes()


def _apply_inventory(to: str, wave: int, *extra: str) -> CliResult:
    return _run(
        "--offline", "--format", "json", *extra,
        "rollout", "apply", INVENTORY, "--to", to, "--wave", str(wave),
    )  # fmt: skip


def _verify(*paths: str) -> CliResult:
    return _run("--offline", "--format", "json", "verify", *(paths or (".",)))


# --- 1. a provider whose constraint already allows the version -------------------------------


def test_provider_wave_writes_the_lock_terraform_wrote(acme: Path) -> None:
    before = snapshot(acme)
    assert before[STG_LOCK] != before[DEV_LOCK]  # stg starts on 1.2.0

    result = _apply_inventory("1.3.0", 2)

    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["command"] == "rollout apply"
    assert report["findings"] == [] and report["skipped"] == []
    assert [c["subject"] for c in report["checked"]] == [f"{INVENTORY} 1.3.0"]
    # ">= 1.2.0, < 2.0.0" allows 1.3.0: main.tf is not edited, only the lock is refreshed
    assert report["notes"] == [f"refreshed {STG_LOCK}"]
    after = snapshot(acme)
    assert changed(before, after) == {STG_LOCK}
    # dev's lock was written by the real terraform for the same configuration and version
    assert after[STG_LOCK][1] == after[DEV_LOCK][1]

    verify = _verify()
    assert verify.code == 0, verify.out + verify.err
    assert verify.json()["findings"] == [] and verify.json()["skipped"] == []
    lock_check = _run("--offline", "lock", ".", "--check", "--provider", INVENTORY)
    assert lock_check.code == 0, lock_check.out + lock_check.err

    again = _apply_inventory("1.3.0", 2)
    assert again.code == 0, again.out + again.err
    assert again.json().get("notes", []) == [] and again.json()["checked"] == []
    assert snapshot(acme) == after


def test_wave_already_done_is_a_no_op(acme: Path) -> None:
    before = snapshot(acme)
    result = _apply_inventory("1.3.0", 1)  # dev already runs 1.3.0
    assert result.code == 0, result.out + result.err
    assert result.json().get("notes", []) == [] and result.json()["checked"] == []
    assert snapshot(acme) == before


# --- 2. a provider whose constraint must be bumped -------------------------------------------


def test_provider_constraint_is_bumped_and_lock_matches_terraform(
    acme: Path, tmp_path: Path
) -> None:
    main_before = _narrow_stg_constraint(acme)
    before = snapshot(acme)

    result = _apply_inventory("1.3.0", 2)

    assert result.code == 0, result.out + result.err
    assert result.json()["notes"] == [f"edited {STG_MAIN}", f"refreshed {STG_LOCK}"]
    after = snapshot(acme)
    assert changed(before, after) == {STG_MAIN, STG_LOCK}
    # bump_constraint keeps the operator and the precision; nothing else in main.tf moves
    main_after = after[STG_MAIN][1]
    assert main_after == main_before.replace(b'"~> 1.2.0"', b'"~> 1.3.0"')
    # the lock is dev's but for the constraints, which Terraform merges with the module's
    # ">= 1.2.0" and writes sorted by version (internal/getproviders VersionConstraintsString)
    dev_lock = after[DEV_LOCK][1].decode()
    old = 'constraints = ">= 1.2.0, < 2.0.0"'
    assert dev_lock.count(old) == 1  # null's line differs ("~> 3.0")
    want = dev_lock.replace(
        f'provider "{INVENTORY}" {{\n  version     = "1.3.0"\n  {old}',
        f'provider "{INVENTORY}" {{\n  version     = "1.3.0"\n  constraints = ">= 1.2.0, ~> 1.3.0"',
    )
    assert want != dev_lock
    assert after[STG_LOCK][1].decode() == want

    verify = _verify()
    assert verify.code == 0, verify.out + verify.err
    assert verify.json()["findings"] == [] and verify.json()["skipped"] == []

    if TERRAFORM is not None:
        # The oracle: `terraform providers lock` from a filesystem mirror holding the same
        # package recomputes the constraints from the configuration and merges the hashes;
        # it leaves a correct lock file byte-identical.
        mirror = tmp_path / "mirror" / "tf.acme.example" / "platform" / "inventory"
        mirror.mkdir(parents=True)
        name = "terraform-provider-inventory_1.3.0_linux_amd64.zip"
        shutil.copy(acme / "upstream/tf.acme.example/dl/platform/inventory/1.3.0" / name, mirror)
        stg = acme / "envs/stg/network"
        run_terraform(["get"], cwd=stg)
        run_terraform(
            [
                "providers", "lock", f"-fs-mirror={tmp_path / 'mirror'}",
                "-platform=linux_amd64", INVENTORY,
            ],
            cwd=stg,
        )  # fmt: skip
        assert (stg / ".terraform.lock.hcl").read_bytes() == after[STG_LOCK][1]


# --- 3. rollback -----------------------------------------------------------------------------


def test_unavailable_version_rolls_every_edit_back(acme: Path) -> None:
    _narrow_stg_constraint(acme)  # so that main.tf is edited before the refresh fails
    before = snapshot(acme)

    result = _apply_inventory("1.4.0", 2)  # the snapshot has no 1.4.0

    assert result.code == 3, result.out + result.err
    report = result.json()
    assert report["findings"] == []
    assert [s["subject"] for s in report["skipped"]] == [f"{INVENTORY} 1.4.0"]
    assert "not available offline" in report["skipped"][0]["reason"]
    assert f"edited {STG_MAIN}" in report["notes"]
    assert not any(n.startswith("refreshed") for n in report["notes"])
    assert report["notes"][-1].startswith("every edit was rolled back")
    assert snapshot(acme) == before


def test_rollback_never_exits_0(acme: Path) -> None:
    _narrow_stg_constraint(acme)
    before = snapshot(acme)

    result = _apply_inventory("1.4.0", 2, "--allow-skips")

    assert snapshot(acme) == before  # rolled back ...
    assert result.json()["notes"][-1].startswith("every edit was rolled back")
    assert result.code != 0, "nothing was applied, yet the run reports success"  # ... exit 0


def test_report_paths_are_repository_relative_without_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _example(tmp_path, monkeypatch, git=False)
    before = snapshot(root)

    result = _apply_inventory("1.4.0", 2)

    assert result.code == 3, result.out + result.err
    assert snapshot(root) == before
    assert [s["path"] for s in result.json()["skipped"]] == [STG_LOCK]  # ".terraform.lock.hcl"


def test_prerelease_bump_allows_the_prerelease(acme: Path) -> None:
    _narrow_stg_constraint(acme)
    before = snapshot(acme)

    result = _apply_inventory("1.4.0-beta1", 2)

    assert result.code in (1, 3)
    assert snapshot(acme) == before  # rolled back either way
    # once fixed: the constraint is "1.4.0-beta1" and the refresh skips (not in the snapshot)
    assert "lock-constraint-violation" not in result.rules(), result.json()["findings"]


# --- 4. usage errors -------------------------------------------------------------------------


@pytest.mark.parametrize("wave", [9, 0])
def test_wave_that_does_not_exist(acme: Path, wave: int) -> None:
    before = snapshot(acme)
    result = _apply_inventory("1.3.0", wave)
    assert result.code == 2
    assert result.out == ""
    assert f"--wave: wave {wave} does not exist (the plan has 3)" in result.err
    assert snapshot(acme) == before


def test_unknown_dependency_lists_the_known_ones(acme: Path) -> None:
    before = snapshot(acme)
    result = _run(
        "--offline", "rollout", "apply", "acme/nonexistent", "--to", "1.0.0", "--wave", "1"
    )
    assert result.code == 2
    assert "acme/nonexistent: no state directory uses a provider or aqua package" in result.err
    for known in ("registry.terraform.io/hashicorp/null", INVENTORY, "terraform"):
        assert known in result.err
    assert snapshot(acme) == before


def test_unused_full_provider_address_says_so(acme: Path) -> None:
    before = snapshot(acme)
    result = _run(
        "--offline", "rollout", "apply", "tf.acme.example/platform/inventroy",
        "--to", "1.3.0", "--wave", "1",
    )  # fmt: skip
    assert result.code == 2
    assert snapshot(acme) == before
    assert "no state directory uses" in result.err, result.err


def test_repo_option_uses_that_repositorys_policy(
    acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "depguard.yaml").write_text(
        'rollout:\n  stages:\n    - {name: only, match: ["nothing/**"]}\n'
    )
    monkeypatch.chdir(elsewhere)
    before = snapshot(acme)

    result = _run(
        "--offline", "rollout", "apply", INVENTORY, "--to", "1.3.0", "--wave", "2",
        "--repo", str(acme),
    )  # fmt: skip

    assert result.code == 0, result.err  # exit 2: "... match no rollout stage (only: ...)"
    assert changed(before, snapshot(acme)) == {STG_LOCK}


# --- 5. the Terraform CLI pinned with aqua ---------------------------------------------------

TF_OLD, TF_NEW = "v1.9.8", "v1.10.0"
TF_PLATFORMS = [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64")]

TF_DEPGUARD_YAML = """\
platforms: [linux_amd64]
snapshot_dirs: [upstream]
trust:
  aqua:
    registries:
      - {type: local, path: registry.yaml}
    github_owners: [hashicorp]
    policy_files: [aqua-policy.yaml]
rollout:
  stages:
    - {name: dev, match: ["envs/dev/**"], soak: 0s}
    - {name: stg, match: ["envs/stg/**"], soak: 0s}
"""
TF_POLICY = """\
registries:
  - name: local
    type: local
    path: registry.yaml
packages:
  - registry: local
"""
TF_REGISTRY = """\
packages:
  - type: github_release
    repo_owner: hashicorp
    repo_name: terraform
    description: Terraform (test registry; synthetic release files)
    asset: terraform_{{trimV .Version}}_{{.OS}}_{{.Arch}}.zip
    format: zip
    checksum:
      type: github_release
      asset: terraform_{{trimV .Version}}_SHA256SUMS
      algorithm: sha256
"""
TF_AQUA_YAML = """\
# the Terraform CLI of this state directory
registries:
  - name: local
    type: local
    path: ../../../../registry.yaml # the repository root
checksum:
  enabled: true
  require_checksum: true
  supported_envs:
    - linux/amd64
packages:
  - name: hashicorp/terraform@v1.9.8 # pinned by the rollout
    registry: local
"""
TF_MAIN = 'terraform {\n  required_version = ">= 1.9"\n}\n'


def _zip(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("terraform", date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _release(root: Path, tag: str) -> dict[str, str]:
    """Publish synthetic release files of hashicorp/terraform ``tag`` in the snapshot; return
    {asset: sha256}."""
    version = tag.removeprefix("v")
    base = root / "upstream/github.com/hashicorp/terraform/releases/download" / tag
    digests: dict[str, str] = {}
    for os_, arch in TF_PLATFORMS:
        name = f"terraform_{version}_{os_}_{arch}.zip"
        data = _zip(f"#!/bin/sh\necho Terraform {tag} {os_}/{arch}\n")
        _write(base / name, data)
        digests[name] = hashlib.sha256(data).hexdigest()
    sums = "".join(f"{digest}  {name}\n" for name, digest in sorted(digests.items()))
    _write(base / f"terraform_{version}_SHA256SUMS", sums)
    return digests


def _entry(tag: str, digests: dict[str, str]) -> dict[str, str]:
    asset = f"terraform_{tag.removeprefix('v')}_linux_amd64.zip"
    return {
        "id": f"github_release/github.com/hashicorp/terraform/{tag}/{asset}",
        "checksum": digests[asset].upper(),
        "algorithm": "sha256",
    }


@pytest.fixture
def tf_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TfRepo:
    """Two state directories (dev, stg) pinning hashicorp/terraform v1.9.8 with aqua; their
    aqua-checksums.json written by ``depguard checksums update``. Returns (root, digests)."""
    root = tmp_path / "tf-repo"
    _write(root / "depguard.yaml", TF_DEPGUARD_YAML)
    _write(root / "aqua-policy.yaml", TF_POLICY)
    _write(root / "registry.yaml", TF_REGISTRY)
    _write(root / "tfaction-root.yaml", "target_groups:\n  - working_directory: envs/\n")
    for env in ("dev", "stg"):
        app = root / "envs" / env / "app"
        _write(app / "tfaction.yaml", "{}\n")
        _write(app / "main.tf", TF_MAIN)
        _write(app / "aqua/aqua.yaml", TF_AQUA_YAML)
    digests = {tag: _release(root, tag) for tag in (TF_OLD, TF_NEW)}
    _git_init(root)  # the repository root: the local registry lies inside it
    monkeypatch.chdir(root)
    for env in ("dev", "stg"):
        update = _run("--offline", "checksums", "update", f"envs/{env}/app")
        assert update.code == 0, update.out + update.err
    return root, digests


def test_terraform_cli_pinned_with_aqua(tf_repo: TfRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root, digests = tf_repo
    dev_aqua = "envs/dev/app/aqua/aqua.yaml"
    dev_sums = "envs/dev/app/aqua/aqua-checksums.json"
    sums_before = json.loads((root / dev_sums).read_text())
    assert sums_before == {"checksums": [_entry(TF_OLD, digests[TF_OLD])]}
    verify = _verify()
    assert verify.code == 0 and verify.json()["findings"] == [], verify.out

    plan = _run(
        "--offline", "--format", "json", "rollout", "plan", "terraform", "--to", TF_NEW,
        "--start", "2026-01-01",
    )  # fmt: skip
    assert plan.code == 0, plan.err
    waves = [(w["index"], w["stage"], w["directories"], w["done"]) for w in plan.json()["waves"]]
    assert waves == [(1, "dev", ["envs/dev/app"], []), (2, "stg", ["envs/stg/app"], [])]
    assert plan.json()["next_wave"] == 1

    before = snapshot(root)
    monkeypatch.chdir(root.parent)  # and name the repository with --repo
    result = _run(
        "--offline", "--format", "json", "rollout", "apply", "terraform", "--to", TF_NEW,
        "--wave", "1", "--repo", str(root),
    )  # fmt: skip

    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["findings"] == [] and report["skipped"] == []
    assert [c["subject"] for c in report["checked"]] == ["hashicorp/terraform v1.10.0 linux/amd64"]
    assert report["notes"] == [f"edited {dev_aqua}", f"refreshed {dev_sums}"]
    after = snapshot(root)
    # stg, main.tf (">= 1.9" allows 1.10.0) and everything else untouched
    assert changed(before, after) == {dev_aqua, dev_sums}
    assert after[dev_aqua][1] == before[dev_aqua][1].replace(
        b"hashicorp/terraform@v1.9.8 #", b"hashicorp/terraform@v1.10.0 #"
    )
    # aqua's update-checksum: entries sorted by id, old ones kept, 2-space JSON
    want = {"checksums": [_entry(TF_NEW, digests[TF_NEW]), _entry(TF_OLD, digests[TF_OLD])]}
    assert json.loads(after[dev_sums][1]) == want
    assert after[dev_sums][1].decode().rstrip("\n") == json.dumps(want, indent=2)

    monkeypatch.chdir(root)
    verify = _verify("envs/dev/app")
    assert verify.code == 0, verify.out + verify.err
    assert verify.json()["findings"] == [] and verify.json()["skipped"] == []
    assert [c["subject"] for c in verify.json()["checked"]] == [
        "hashicorp/terraform v1.10.0 linux/amd64"
    ]

    plan = _run("--offline", "--format", "json", "rollout", "plan", "terraform", "--to", TF_NEW)
    assert [w["done"] for w in plan.json()["waves"]] == [["envs/dev/app"], []]
    again = _run("--offline", "rollout", "apply", "terraform", "--to", TF_NEW, "--wave", "1")
    assert again.code == 0, again.out + again.err
    assert snapshot(root) == after


def test_aqua_rollback_removes_created_checksum_files(tf_repo: TfRepo) -> None:
    root, _ = tf_repo
    # a second dev directory without aqua-checksums.json ...
    shutil.copytree(root / "envs/dev/app", root / "envs/dev/new")
    (root / "envs/dev/new/aqua/aqua-checksums.json").unlink()
    # ... while envs/dev/app also pins a package whose release is not in the snapshot
    aqua = root / "envs/dev/app/aqua/aqua.yaml"
    extra = "  - name: hashicorp/terraform-ls@v0.1.0\n    registry: local\n"
    aqua.write_text(aqua.read_text() + extra)
    registry = root / "registry.yaml"
    registry.write_text(
        registry.read_text()
        + TF_REGISTRY.removeprefix("packages:\n").replace("terraform", "terraform-ls")
    )
    before = snapshot(root)

    result = _run("--offline", "--format", "json", "rollout", "apply", "terraform",
                  "--to", TF_NEW, "--wave", "1")  # fmt: skip

    assert result.code == 3, result.out + result.err
    assert result.json()["notes"][-1].startswith("every edit was rolled back")
    assert changed(before, snapshot(root)) == set()  # envs/dev/new/aqua/aqua-checksums.json


# --- .terraform-version and required_version -------------------------------------------------


@pytest.fixture
def tfv_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dev and stg pinning Terraform with ``.terraform-version`` and a narrow
    ``required_version``; nothing to refresh, so no upstream is needed."""
    root = tmp_path / "tfv-repo"
    _write(
        root / "depguard.yaml",
        "rollout:\n  stages:\n"
        '    - {name: dev, match: ["envs/dev/**"], soak: 0s}\n'
        '    - {name: stg, match: ["envs/stg/**"], soak: 0s}\n',
    )
    for env in ("dev", "stg"):
        app = root / "envs" / env / "app"
        _write(app / "tfaction.yaml", "{}\n")
        _write(app / ".terraform-version", "1.9.8\n")
        _write(app / "versions.tf", 'terraform {\n  required_version = "~> 1.9.0" # CLI\n}\n')
    _git_init(root)
    monkeypatch.chdir(root)
    return root


def test_terraform_version_file_and_required_version(tfv_repo: Path) -> None:
    before = snapshot(tfv_repo)

    result = _run("--offline", "--format", "json", "rollout", "apply", "terraform",
                  "--to", TF_NEW, "--wave", "1")  # fmt: skip

    assert result.code == 0, result.out + result.err
    assert result.json()["notes"] == [
        "edited envs/dev/app/.terraform-version",
        "edited envs/dev/app/versions.tf",
    ]
    after = snapshot(tfv_repo)
    assert changed(before, after) == {"envs/dev/app/.terraform-version", "envs/dev/app/versions.tf"}
    assert after["envs/dev/app/.terraform-version"][1] == b"1.10.0\n"  # no "v": as written
    assert after["envs/dev/app/versions.tf"][1] == (
        b'terraform {\n  required_version = "~> 1.10.0" # CLI\n}\n'
    )


def test_required_version_that_allows_a_prerelease_is_kept(tfv_repo: Path) -> None:
    versions = tfv_repo / "envs/dev/app/versions.tf"
    versions.write_text('terraform {\n  required_version = ">= 1.9"\n}\n')
    # terraform 1.11 on a pre-release constraint: "Prerelease versions of terraform will
    # match constraints using their version core only" (so ">= 1.9" allows 1.12.0-rc1)
    before = versions.read_bytes()

    result = _run("--offline", "rollout", "apply", "terraform", "--to", "1.12.0-rc1",
                  "--wave", "1")  # fmt: skip

    assert result.code == 0, result.out + result.err
    assert (tfv_repo / "envs/dev/app/.terraform-version").read_bytes() == b"1.12.0-rc1\n"
    assert versions.read_bytes() == before, versions.read_text()
