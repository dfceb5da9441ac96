"""One download and one hash per (provider, version, platform), however many directories share
it; a warm cache downloads nothing (issue #2 §5)."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cli
from tests.support.servers import RegistryBuilder
from tests.support.signing import GpgSigner, publish_signed

PLATFORMS = ["linux_amd64", "darwin_arm64", "windows_amd64"]


def _repo(tmp_path: Path, address: str, fingerprint: str, dirs: int) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for i in range(dirs):
        d = root / "envs" / f"s{i}"
        d.mkdir(parents=True)
        (d / "main.tf").write_text(
            "terraform {\n  required_providers {\n    demo = {\n"
            f'      source  = "{address}"\n      version = "~> 1.0"\n    }}\n  }}\n}}\n'
        )
    (root / "depguard.yaml").write_text(
        f"platforms: [{', '.join(PLATFORMS)}]\n"
        "trust:\n  terraform:\n    providers: ['*/acme/*']\n    signing_keys:\n"
        f"      - fingerprint: '{fingerprint}'\n        providers: ['*/acme/*']\n"
    )
    return root


def _zip_requests(registry: RegistryBuilder) -> list[str]:
    return [r.path for r in registry.server.requests if r.path.endswith(".zip")]


def test_shared_provider_is_downloaded_once_per_platform(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, trust_test_ca: Path
) -> None:
    publish_signed(registry_server, gpg_signer, "acme", "demo", "1.0.0", PLATFORMS)
    address = str(registry_server.address("acme", "demo"))
    root = _repo(tmp_path, address, gpg_signer.fingerprint, dirs=6)
    config = str(root / "depguard.yaml")

    result = run_cli("--config", config, "--format", "json", "lock", str(root))
    assert result.code == 0, result.out + result.err
    locks = sorted(root.glob("envs/*/.terraform.lock.hcl"))
    assert len(locks) == 6
    assert len({p.read_text() for p in locks}) == 1
    zips = _zip_requests(registry_server)
    assert sorted(zips) == sorted(set(zips)) and len(zips) == len(PLATFORMS)
    sums = [r for r in registry_server.server.requests if r.path.endswith("_SHA256SUMS")]
    assert len(sums) == 1

    # verify --deep on the same tree: every package is already in the cache.
    before = len(_zip_requests(registry_server))
    result = run_cli("--config", config, "--format", "json", "verify", "--deep", str(root))
    assert result.code == 0, result.out + result.err
    assert len(_zip_requests(registry_server)) == before
    evidence = {tuple(c["evidence"]) for c in result.json()["checked"]}
    assert evidence == {(f"openpgp:{gpg_signer.key_id}:community", "zh", "h1")}
