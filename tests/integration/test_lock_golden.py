"""Golden tests: ``depguard lock`` writes the same bytes as ``terraform providers lock``.

Each test builds one configuration, runs the real terraform in one copy and depguard in
another, against the same source (filesystem mirror, HTTPS network mirror, HTTPS registry with
gpg-signed SHA256SUMS), and compares the lock files byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.servers import MirrorBuilder, RegistryBuilder
from tests.support.signing import GpgSigner, publish_signed
from tests.support.terraform import require_terraform, run_terraform

pytestmark = pytest.mark.terraform

DEMO_TF = """\
terraform {
  required_providers {
    demo = {
      source  = "example.com/acme/demo"
      version = "~> 1.0"
    }
    withdir = {
      source  = "example.com/acme/withdir"
      version = ">= 0.1.0, != 0.0.9, < 2.0.0"
    }
  }
}
"""


def _twin_dirs(tmp_path: Path, main_tf: str, lock: str | None = None) -> tuple[Path, Path]:
    """Two identical working directories: one for terraform, one for depguard."""
    dirs = []
    for name in ("tf", "dg"):
        d = tmp_path / name / "work"
        d.mkdir(parents=True)
        (d / "main.tf").write_text(main_tf)
        if lock is not None:
            (d / ".terraform.lock.hcl").write_text(lock)
        dirs.append(d)
    return dirs[0], dirs[1]


def _current_platform() -> str:
    """The platform `terraform init` installs for on this machine."""
    import platform
    import sys

    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    machine = platform.machine().lower()
    if machine not in arch:
        pytest.skip(f"no Terraform platform name known for machine {machine!r}")
    return f"{sys.platform.replace('win32', 'windows')}_{arch[machine]}"


def _platform_args(platforms: list[str], flag: str = "-platform=") -> list[str]:
    return [f"{flag}{p}" for p in platforms]


def _depguard_lock(work: Path, *extra: str, config: Path | None = None) -> None:
    args = ["--format", "json"]
    if config is not None:
        args += ["--config", str(config)]
    result = run_cli(*args, "lock", str(work), *extra)
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize(
    "platforms",
    [["linux_amd64"], ["linux_amd64", "darwin_arm64"]],
    ids=["one-platform", "two-platforms"],
)
def test_fs_mirror_matches_terraform(tmp_path: Path, corpus: Path, platforms: list[str]) -> None:
    require_terraform()
    mirror = corpus / "terraform" / "vectors" / "fs-mirror-packed"
    tf_dir, dg_dir = _twin_dirs(tmp_path, DEMO_TF)
    run_terraform(
        ["providers", "lock", f"-fs-mirror={mirror}", *_platform_args(platforms)], cwd=tf_dir
    )
    _depguard_lock(dg_dir, "--fs-mirror", str(mirror), *_platform_args(platforms, "--platform="))
    expected = (tf_dir / ".terraform.lock.hcl").read_bytes()
    assert (dg_dir / ".terraform.lock.hcl").read_bytes() == expected


def test_fs_mirror_unpacked_layout_matches_terraform(tmp_path: Path, corpus: Path) -> None:
    """An unpacked mirror (HOST/NS/TYPE/VERSION/OS_ARCH/) hashes the directory itself."""
    require_terraform()
    import zipfile

    packed = corpus / "terraform" / "vectors" / "fs-mirror-packed" / "example.com" / "acme"
    mirror = tmp_path / "unpacked"
    for zpath in sorted(packed.glob("*/*.zip")):
        _name, version, os_, arch = zpath.stem.split("_")
        target = mirror / "example.com" / "acme" / zpath.parent.name / version / f"{os_}_{arch}"
        with zipfile.ZipFile(zpath) as zf:
            zf.extractall(target)
    tf_dir, dg_dir = _twin_dirs(tmp_path, DEMO_TF)
    platforms = ["linux_amd64", "darwin_arm64"]
    run_terraform(
        ["providers", "lock", f"-fs-mirror={mirror}", *_platform_args(platforms)], cwd=tf_dir
    )
    _depguard_lock(dg_dir, "--fs-mirror", str(mirror), *_platform_args(platforms, "--platform="))
    assert (dg_dir / ".terraform.lock.hcl").read_bytes() == (
        tf_dir / ".terraform.lock.hcl"
    ).read_bytes()


def test_fs_mirror_keeps_existing_hashes_like_terraform(tmp_path: Path, corpus: Path) -> None:
    """Existing hashes (unknown schemes, unverified zh) survive, as `providers lock` keeps them."""
    require_terraform()
    mirror = corpus / "terraform" / "vectors" / "fs-mirror-packed"
    lock = (
        '# This file is maintained automatically by "terraform init".\n'
        "# Manual edits may be lost in future updates.\n\n"
        'provider "example.com/acme/demo" {\n'
        '  version     = "1.0.0"\n'
        '  constraints = "~> 1.0"\n'
        "  hashes = [\n"
        '    "x1:abc",\n'
        '    "zh:0000000000000000000000000000000000000000000000000000000000000000",\n'
        "  ]\n"
        "}\n"
    )
    tf_dir, dg_dir = _twin_dirs(tmp_path, DEMO_TF, lock)
    args = ["linux_amd64", "darwin_arm64"]
    run_terraform(["providers", "lock", f"-fs-mirror={mirror}", *_platform_args(args)], cwd=tf_dir)
    _depguard_lock(dg_dir, "--fs-mirror", str(mirror), *_platform_args(args, "--platform="))
    assert (dg_dir / ".terraform.lock.hcl").read_bytes() == (
        tf_dir / ".terraform.lock.hcl"
    ).read_bytes()


def test_net_mirror_matches_terraform(
    tmp_path: Path, corpus: Path, mirror_server: MirrorBuilder, trust_test_ca: Path
) -> None:
    require_terraform()
    vectors = corpus / "terraform" / "vectors"
    mirror_server.serve_tree(vectors / "net-mirror", zips_from=vectors / "fs-mirror-packed")
    base = mirror_server.base_url
    main_tf = DEMO_TF.replace('"~> 1.0"', '"1.0.0"')
    tf_dir, dg_dir = _twin_dirs(tmp_path, main_tf)
    platforms = ["linux_amd64", "darwin_arm64"]
    run_terraform(
        ["providers", "lock", f"-net-mirror={base}", *_platform_args(platforms)],
        cwd=tf_dir,
        env={"SSL_CERT_FILE": str(trust_test_ca)},
    )
    _depguard_lock(dg_dir, "--net-mirror", base, *_platform_args(platforms, "--platform="))
    assert (dg_dir / ".terraform.lock.hcl").read_bytes() == (
        tf_dir / ".terraform.lock.hcl"
    ).read_bytes()


def test_registry_matches_terraform(
    tmp_path: Path,
    registry_server: RegistryBuilder,
    gpg_signer: GpgSigner,
    trust_test_ca: Path,
) -> None:
    """A local HTTPS registry with a gpg-signed SHA256SUMS; depguard pins the signing key."""
    require_terraform()
    publish_signed(registry_server, gpg_signer, "acme", "demo", "1.0.0")
    publish_signed(registry_server, gpg_signer, "acme", "demo", "1.1.0")
    address = registry_server.address("acme", "demo")
    main_tf = (
        "terraform {\n  required_providers {\n    demo = {\n"
        f'      source  = "{address}"\n      version = "~> 1.0"\n    }}\n  }}\n}}\n'
    )
    tf_dir, dg_dir = _twin_dirs(tmp_path, main_tf)
    config = tmp_path / "depguard.yaml"
    fingerprint = gpg_signer.fingerprint
    config.write_text(
        "trust:\n  terraform:\n    providers: ['*/acme/*']\n    signing_keys:\n"
        f"      - fingerprint: '{fingerprint}'\n        providers: ['*/acme/*']\n"
    )
    platforms = ["linux_amd64", "darwin_arm64", "windows_amd64"]
    run_terraform(
        ["providers", "lock", *_platform_args(platforms)],
        cwd=tf_dir,
        env={"SSL_CERT_FILE": str(trust_test_ca)},
    )
    _depguard_lock(dg_dir, *_platform_args(platforms, "--platform="), config=config)
    expected = (tf_dir / ".terraform.lock.hcl").read_text()
    assert "zh:" in expected and expected.count("h1:") == 3
    assert (dg_dir / ".terraform.lock.hcl").read_text() == expected


def test_lock_check_reports_without_writing(tmp_path: Path, corpus: Path) -> None:
    mirror = corpus / "terraform" / "vectors" / "fs-mirror-packed"
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text(DEMO_TF)
    args = ("lock", str(work), "--fs-mirror", str(mirror), "--platform", "linux_amd64")
    result = run_cli(*args, "--check")
    assert result.code == 1, result.out
    assert not (work / ".terraform.lock.hcl").exists()
    result = run_cli(*args)
    assert result.code == 0, result.err
    first = (work / ".terraform.lock.hcl").read_bytes()
    result = run_cli(*args, "--check")
    assert result.code == 0, result.out
    assert (work / ".terraform.lock.hcl").read_bytes() == first


def test_use_cli_config_matches_terraform_init_from_a_filesystem_mirror(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--use-cli-config follows provider_installation like `terraform init` (h1 only)."""
    require_terraform()
    mirror = corpus / "terraform" / "vectors" / "fs-mirror-packed"
    cli_config = (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{mirror}"\n    include = ["example.com/*/*"]\n  }}\n'
        '  direct {\n    exclude = ["example.com/*/*"]\n  }\n}\n'
    )
    tf_dir, dg_dir = _twin_dirs(tmp_path, DEMO_TF)
    run_terraform(["init", "-backend=false", "-input=false"], cwd=tf_dir, cli_config=cli_config)
    config_file = tmp_path / "depguard.terraformrc"
    config_file.write_text(cli_config)
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config_file))
    _depguard_lock(dg_dir, "--use-cli-config", "--platform", _current_platform())
    assert (dg_dir / ".terraform.lock.hcl").read_bytes() == (
        tf_dir / ".terraform.lock.hcl"
    ).read_bytes()
