"""RegistrySource against a real local HTTPS provider registry built from the corpus vectors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from depguard.errors import InputError, NetworkError
from depguard.formats.tf_cli_config import parse_cli_config
from depguard.model import Platform, ProviderAddress
from depguard.net.cache import Cache
from depguard.net.fetcher import NotFound
from depguard.net.http import HttpFetcher
from depguard.net.offline import OfflineFetcher
from depguard.sources.base import PackageKind
from depguard.sources.tf_registry import RegistrySource, protocols_supported

# Fixtures come from the tests.support.fixtures plugin; imported here too so this module
# also runs before the plugin is registered in tests/conftest.py.
from tests.support.fixtures import (  # noqa: F401
    gpg_signer,
    registry_server,
    tls_material,
    trust_test_ca,
)
from tests.support.servers import RegistryBuilder, Reply, make_shasums
from tests.support.signing import MANIFEST_JSON, GpgSigner, provider_zip, publish_signed

pytestmark = pytest.mark.usefixtures("trust_test_ca")

LINUX = Platform("linux", "amd64")
DARWIN = Platform("darwin", "arm64")
WINDOWS = Platform("windows", "amd64")
PLATFORMS = ("linux_amd64", "darwin_arm64", "windows_amd64")


@dataclass(frozen=True)
class Demo:
    zips: dict[str, bytes]
    shasums: bytes
    sig: bytes
    manifest: bytes
    signing_keys: list[dict[str, str]]


@pytest.fixture(scope="module")
def demo(corpus: Path) -> Demo:
    v = corpus / "terraform" / "vectors"
    dl = v / "registry" / "dl" / "acme" / "demo" / "1.1.0"
    doc = json.loads(
        (v / "registry/v1/providers/acme/demo/1.1.0/download/linux/amd64.json").read_text()
    )
    return Demo(
        zips={
            p: (
                v / f"fs-mirror-packed/example.com/acme/demo/terraform-provider-demo_1.1.0_{p}.zip"
            ).read_bytes()
            for p in PLATFORMS
        },
        shasums=(dl / "terraform-provider-demo_1.1.0_SHA256SUMS").read_bytes(),
        sig=(dl / "terraform-provider-demo_1.1.0_SHA256SUMS.sig").read_bytes(),
        manifest=(dl / "terraform-provider-demo_1.1.0_manifest.json").read_bytes(),
        signing_keys=doc["signing_keys"]["gpg_public_keys"],
    )


@pytest.fixture
def registry(registry_server: RegistryBuilder, demo: Demo) -> RegistryBuilder:  # noqa: F811
    registry_server.add_provider(
        "acme",
        "demo",
        "1.1.0",
        demo.zips,
        demo.shasums,
        demo.sig,
        demo.signing_keys,
        extra_files={"terraform-provider-demo_1.1.0_manifest.json": demo.manifest},
    )
    return registry_server


@pytest.fixture
def fetcher(tmp_path: Path) -> HttpFetcher:
    return HttpFetcher(Cache(tmp_path / "cache"), github_token=None, sleep=lambda _s: None)


def test_versions_and_package_meta(
    registry: RegistryBuilder, fetcher: HttpFetcher, demo: Demo
) -> None:
    src = RegistrySource(fetcher)
    addr = registry.address("acme", "demo")
    assert src.available_versions(addr) == ("1.1.0",)
    (info,) = src.version_infos(addr)
    assert info.protocols == ("5.0",)
    assert info.protocol_compatible
    assert set(info.platforms) == {LINUX, DARWIN, WINDOWS}

    meta = src.package_meta(addr, "1.1.0", LINUX)
    assert meta is not None
    base = registry.server.url_for("/dl/acme/demo/1.1.0/")
    assert meta.kind is PackageKind.REGISTRY
    assert meta.filename == "terraform-provider-demo_1.1.0_linux_amd64.zip"
    assert meta.location == base + meta.filename
    assert meta.shasum == hashlib.sha256(demo.zips["linux_amd64"]).hexdigest()
    assert f"{meta.shasum}  {meta.filename}\n".encode() in demo.shasums  # vectors agree
    assert meta.shasums_url == base + "terraform-provider-demo_1.1.0_SHA256SUMS"
    assert meta.shasums_signature_url == base + "terraform-provider-demo_1.1.0_SHA256SUMS.sig"
    (key,) = meta.signing_keys
    assert key.key_id == "689618FB2A4ACDD1"
    assert key.ascii_armor.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert key.trust_signature == ""
    assert meta.protocols == ("5.0",)

    doc, sig = src.fetch_shasums(meta)
    assert doc == demo.shasums
    assert sig == demo.sig
    zip_download = fetcher.download(meta.location)
    assert zip_download.sha256 == meta.shasum


def test_discovery_is_memoised_and_requests_are_deduplicated(
    registry: RegistryBuilder, fetcher: HttpFetcher
) -> None:
    src = RegistrySource(fetcher)
    addr = registry.address("acme", "demo")
    for _ in range(3):
        src.available_versions(addr)
        for plat in (LINUX, DARWIN):
            src.package_meta(addr, "1.1.0", plat)
    server = registry.server
    assert len(server.requests_for("/.well-known/terraform.json")) == 1
    assert len(server.requests_for("/v1/providers/acme/demo/versions")) == 1
    assert len(server.requests_for("/v1/providers/acme/demo/1.1.0/download/linux/amd64")) == 1


def test_unpublished_platform_is_none(registry: RegistryBuilder, fetcher: HttpFetcher) -> None:
    src = RegistrySource(fetcher)
    assert (
        src.package_meta(registry.address("acme", "demo"), "1.1.0", Platform("plan9", "arm"))
        is None
    )


def test_unknown_provider_is_not_found(registry: RegistryBuilder, fetcher: HttpFetcher) -> None:
    src = RegistrySource(fetcher)
    with pytest.raises(NotFound):
        src.available_versions(registry.address("acme", "nothere"))


def test_cli_config_host_block_replaces_discovery(
    registry: RegistryBuilder, fetcher: HttpFetcher
) -> None:
    base = registry.server.url_for("/v1/providers/")
    cfg = parse_cli_config(
        f'host "example.com" {{\n  services = {{\n    "providers.v1" = "{base}"\n  }}\n}}\n',
        "terraformrc",
    )
    src = RegistrySource(fetcher, cfg)
    addr = ProviderAddress("example.com", "acme", "demo")  # never resolved: no discovery
    assert src.providers_base_url("example.com") == base
    assert src.available_versions(addr) == ("1.1.0",)
    assert src.package_meta(addr, "1.1.0", DARWIN) is not None
    assert registry.server.requests_for("/.well-known/terraform.json") == []


def test_relative_service_url_is_resolved_against_discovery(
    registry_server: RegistryBuilder,  # noqa: F811
    fetcher: HttpFetcher,
) -> None:
    server = registry_server.server
    server.route(
        "/.well-known/terraform.json",
        Reply(body=b'{"providers.v1": "v1/providers/"}', content_type="application/json"),
    )
    src = RegistrySource(fetcher)
    assert src.providers_base_url(server.host) == server.url_for("/.well-known/v1/providers/")


def test_credentials_go_only_to_their_host_and_only_on_json_calls(
    registry: RegistryBuilder, fetcher: HttpFetcher
) -> None:
    token = "tfe.registrytoken.0123456789abcdef"
    host = registry.server.host
    cfg = parse_cli_config(f'credentials "{host}" {{\n  token = "{token}"\n}}\n', "rc")
    src = RegistrySource(fetcher, cfg)
    addr = registry.address("acme", "demo")
    src.available_versions(addr)
    meta = src.package_meta(addr, "1.1.0", LINUX)
    assert meta is not None
    src.fetch_shasums(meta)
    fetcher.download(meta.location)
    auth = {r.path: r.headers.get("authorization") for r in registry.server.requests}
    assert auth["/v1/providers/acme/demo/1.1.0/download/linux/amd64"] == f"Bearer {token}"
    assert auth["/.well-known/terraform.json"] == f"Bearer {token}"  # as Terraform's disco
    assert auth["/v1/providers/acme/demo/versions"] == f"Bearer {token}"
    for path, value in auth.items():
        if path.startswith("/dl/"):
            assert value is None, path
    assert token not in repr(src)


def test_token_for_another_host_is_not_sent(
    registry: RegistryBuilder, fetcher: HttpFetcher
) -> None:
    base = registry.server.url_for("/v1/providers/")
    cfg = parse_cli_config(
        f'host "example.com" {{\n  services = {{\n    "providers.v1" = "{base}"\n  }}\n}}\n'
        'credentials "example.com" {\n  token = "for-example-com-only"\n}\n',
        "rc",
    )
    src = RegistrySource(fetcher, cfg)
    src.available_versions(ProviderAddress("example.com", "acme", "demo"))
    assert all("authorization" not in r.headers for r in registry.server.requests)


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (Reply(status=404), "does not provide a provider registry (HTTP 404)"),
        (Reply(body=b'{"providers.v1": "/v1/"}', content_type="text/html"), "Content-Type"),
        (Reply(body=b"<html>", content_type="application/json"), "not valid JSON"),
        (Reply(body=b"[1]", content_type="application/json"), "must be a JSON object"),
        (Reply(body=b'{"modules.v1": "/m/"}', content_type="application/json"), "providers.v1"),
        (Reply(body=b'{"providers.v1": 7}', content_type="application/json"), "URL string"),
        (
            Reply(body=b'{"providers.v1": "ftp://x/"}', content_type="application/json"),
            "http or https",
        ),
        (
            Reply(body=b'{"providers.v1": "https://u:p@x/"}', content_type="application/json"),
            "username or password",
        ),
    ],
)
def test_bad_discovery_documents(
    registry_server: RegistryBuilder,  # noqa: F811
    fetcher: HttpFetcher,
    reply: Reply,
    fragment: str,
) -> None:
    registry_server.server.route("/.well-known/terraform.json", reply)
    src = RegistrySource(fetcher)
    with pytest.raises(InputError) as exc:
        src.available_versions(registry_server.address("acme", "demo"))
    assert fragment in exc.value.message
    assert exc.value.message.startswith(
        registry_server.server.url_for("/.well-known/terraform.json")
    )


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"os": "darwin"}, "wrong target"),
        ({"shasum": "abc"}, "invalid SHA-256 hash"),
        ({"download_url": "ftp://example.com/x.zip"}, "http or https"),
        ({"download_url": ""}, "'download_url' must be a non-empty URL string"),
        ({"filename": "../../etc/passwd"}, "invalid filename"),
        ({"protocols": ["five"]}, "invalid protocol"),
        ({"signing_keys": {"gpg_public_keys": [{"key_id": "X"}]}}, "ascii_armor"),
        ({"signing_keys": []}, "'signing_keys' must be an object"),
    ],
)
def test_malformed_download_responses(
    registry_server: RegistryBuilder,  # noqa: F811
    fetcher: HttpFetcher,
    demo: Demo,
    override: dict[str, object],
    fragment: str,
) -> None:
    registry_server.add_provider(
        "acme",
        "demo",
        "1.1.0",
        demo.zips,
        demo.shasums,
        demo.sig,
        demo.signing_keys,
        download_overrides={"linux_amd64": override},
    )
    src = RegistrySource(fetcher)
    with pytest.raises(InputError) as exc:
        src.package_meta(registry_server.address("acme", "demo"), "1.1.0", LINUX)
    assert fragment in exc.value.message
    assert "/v1/providers/acme/demo/1.1.0/download/linux/amd64" in exc.value.message


def test_relative_download_urls_resolve_against_the_response(
    registry_server: RegistryBuilder,  # noqa: F811
    fetcher: HttpFetcher,
    demo: Demo,
) -> None:
    registry_server.add_provider(
        "acme",
        "demo",
        "1.1.0",
        demo.zips,
        demo.shasums,
        demo.sig,
        demo.signing_keys,
        download_overrides={
            "linux_amd64": {"download_url": "../../../x.zip", "shasums_url": "/sums"}
        },
    )
    meta = RegistrySource(fetcher).package_meta(
        registry_server.address("acme", "demo"), "1.1.0", LINUX
    )
    assert meta is not None
    url = registry_server.server.url_for
    assert meta.location == url("/v1/providers/acme/demo/x.zip")
    assert meta.shasums_url == url("/sums")


def test_non_json_and_huge_versions(registry_server: RegistryBuilder, fetcher: HttpFetcher) -> None:  # noqa: F811
    server = registry_server.server
    server.route("/v1/providers/acme/junk/versions", Reply(body=b"<html>oops</html>"))
    server.huge("/v1/providers/acme/huge/versions", 64 * 1024 * 1024)
    server.route(
        "/v1/providers/acme/shape/versions",
        Reply(body=b'{"versions": [{"version": "not-a-version"}]}'),
    )
    src = RegistrySource(fetcher)
    with pytest.raises(InputError, match="not valid JSON"):
        src.available_versions(registry_server.address("acme", "junk"))
    with pytest.raises(NetworkError, match="too large"):
        src.available_versions(registry_server.address("acme", "huge"))
    with pytest.raises(InputError, match="invalid version string"):
        src.available_versions(registry_server.address("acme", "shape"))


def test_unauthorized_registry_says_so(
    registry_server: RegistryBuilder,  # noqa: F811
    fetcher: HttpFetcher,
) -> None:
    registry_server.server.route("/v1/providers/acme/private/versions", Reply(status=401))
    with pytest.raises(NetworkError) as exc:
        RegistrySource(fetcher).available_versions(registry_server.address("acme", "private"))
    assert "requires credentials (no token is configured)" in exc.value.message
    assert exc.value.hint and "TF_TOKEN_" in exc.value.hint


def test_protocols_are_kept_for_explanations(
    registry_server: RegistryBuilder,  # noqa: F811
    fetcher: HttpFetcher,
    demo: Demo,
) -> None:
    sums = make_shasums({"terraform-provider-old_0.1.0_linux_amd64.zip": demo.zips["linux_amd64"]})
    registry_server.add_provider(
        "acme",
        "old",
        "0.1.0",
        {"linux_amd64": demo.zips["linux_amd64"]},
        sums,
        b"",
        [],
        protocols=("4.0",),
    )
    registry_server.add_provider(
        "acme",
        "old",
        "0.2.0",
        {"linux_amd64": demo.zips["linux_amd64"]},
        sums,
        b"",
        [],
        protocols=("5.0", "6.0"),
    )
    src = RegistrySource(fetcher)
    infos = {i.version: i for i in src.version_infos(registry_server.address("acme", "old"))}
    assert not infos["0.1.0"].protocol_compatible
    assert infos["0.2.0"].protocol_compatible
    meta = src.package_meta(registry_server.address("acme", "old"), "0.1.0", LINUX)
    assert meta is not None and meta.protocols == ("4.0",)
    assert not protocols_supported(meta.protocols)
    assert protocols_supported(())


def test_offline_replay_of_a_registry_session(
    registry: RegistryBuilder, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    addr = registry.address("acme", "demo")
    online = RegistrySource(fetcher)
    assert online.available_versions(addr) == ("1.1.0",)
    metas = {p: online.package_meta(addr, "1.1.0", p) for p in (LINUX, Platform("plan9", "arm"))}
    assert metas[LINUX] is not None
    sums = online.fetch_shasums(metas[LINUX])
    registry.server.stop()

    offline = RegistrySource(OfflineFetcher(Cache(tmp_path / "cache")))
    assert offline.available_versions(addr) == ("1.1.0",)
    assert offline.package_meta(addr, "1.1.0", LINUX) == metas[LINUX]
    assert offline.package_meta(addr, "1.1.0", Platform("plan9", "arm")) is None
    assert offline.fetch_shasums(metas[LINUX]) == sums


@pytest.mark.terraform
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed")
def test_real_terraform_accepts_the_test_registry(
    registry: RegistryBuilder,
    tmp_path: Path,
    trust_test_ca: Path,  # noqa: F811
) -> None:
    """The fixture registry is a registry Terraform itself installs from (self-signed)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text(
        "terraform {\n  required_providers {\n"
        f'    demo = {{ source = "{registry.hostname}/acme/demo", version = "~> 1.0" }}\n'
        "  }\n}\n"
    )
    env = dict(os.environ, CHECKPOINT_DISABLE="1", SSL_CERT_FILE=str(trust_test_ca))
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    proc = subprocess.run(
        [
            "terraform",
            "providers",
            "lock",
            "-no-color",
            "-platform=linux_amd64",
            "-platform=darwin_arm64",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-signed, key ID 689618FB2A4ACDD1" in proc.stdout, proc.stdout
    lock = (work / ".terraform.lock.hcl").read_text()
    assert f'provider "{registry.hostname}/acme/demo"' in lock
    assert "zh:b15cd267873d7927281be3676d2c76f9635b84fbc387b326133fe2924a07bb29" in lock


def test_publish_signed_helper(
    registry_server: RegistryBuilder,  # noqa: F811
    gpg_signer: GpgSigner,  # noqa: F811
    fetcher: HttpFetcher,
    corpus: Path,
    tmp_path: Path,
) -> None:
    zips = publish_signed(registry_server, gpg_signer, "acme", "fresh", "2.0.0")
    src = RegistrySource(fetcher)
    addr = registry_server.address("acme", "fresh")
    meta = src.package_meta(addr, "2.0.0", LINUX)
    assert meta is not None
    assert meta.shasum == hashlib.sha256(zips["linux_amd64"]).hexdigest()
    assert meta.signing_keys[0].key_id == gpg_signer.key_id
    doc, sig = src.fetch_shasums(meta)
    assert hashlib.sha256(MANIFEST_JSON).hexdigest().encode() in doc
    assert sig[:1] != b"-"  # binary, as Terraform requires
    (tmp_path / "doc").write_bytes(doc)
    (tmp_path / "doc.sig").write_bytes(sig)
    GpgSigner._gpg(gpg_signer.home, "--verify", str(tmp_path / "doc.sig"), str(tmp_path / "doc"))
    # The helper builds the corpus zips byte for byte.
    v = corpus / "terraform/vectors/fs-mirror-packed/example.com/acme/demo"
    assert (
        provider_zip("example.com", "acme", "demo", "1.1.0", "linux_amd64")
        == (v / "terraform-provider-demo_1.1.0_linux_amd64.zip").read_bytes()
    )


@pytest.mark.terraform
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed")
def test_real_terraform_accepts_a_freshly_signed_provider(
    registry_server: RegistryBuilder,  # noqa: F811
    gpg_signer: GpgSigner,  # noqa: F811
    tmp_path: Path,
    trust_test_ca: Path,  # noqa: F811
) -> None:
    publish_signed(registry_server, gpg_signer, "acme", "fresh", "2.0.0")
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text(
        "terraform {\n  required_providers {\n"
        f'    fresh = {{ source = "{registry_server.hostname}/acme/fresh" }}\n'
        "  }\n}\n"
    )
    env = dict(os.environ, CHECKPOINT_DISABLE="1", SSL_CERT_FILE=str(trust_test_ca))
    proc = subprocess.run(
        ["terraform", "providers", "lock", "-no-color", "-platform=linux_amd64"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"self-signed, key ID {gpg_signer.key_id}" in proc.stdout, proc.stdout
