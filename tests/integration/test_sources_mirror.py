"""Network and filesystem mirror sources, and provider_installation source selection."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from depguard.errors import ConfigError, InputError
from depguard.formats.tf_cli_config import CliConfig, parse_cli_config
from depguard.model import Platform, ProviderAddress
from depguard.net.cache import Cache
from depguard.net.fetcher import NotFound
from depguard.net.http import HttpFetcher
from depguard.sources.base import PackageKind
from depguard.sources.tf_mirror import (
    FilesystemMirrorSource,
    MultiSource,
    NetworkMirrorSource,
    ProviderPattern,
    SourceSelector,
    source_for,
)
from depguard.sources.tf_registry import RegistrySource

# Fixtures come from the tests.support.fixtures plugin; imported here too so this module
# also runs before the plugin is registered in tests/conftest.py.
from tests.support.fixtures import mirror_server, tls_material, trust_test_ca  # noqa: F401
from tests.support.servers import MirrorBuilder, Reply

LINUX = Platform("linux", "amd64")
DARWIN = Platform("darwin", "arm64")
WINDOWS = Platform("windows", "amd64")
DEMO = ProviderAddress("example.com", "acme", "demo")
WITHDIR = ProviderAddress("example.com", "acme", "withdir")
H1_DEMO_LINUX = "h1:wymbeW5teXvP27pjPqXEXSSoBpaNKJwe9gzbTV7oBPI="


@pytest.fixture
def vectors(corpus: Path) -> Path:
    return corpus / "terraform" / "vectors"


@pytest.fixture
def fetcher(tmp_path: Path) -> HttpFetcher:
    return HttpFetcher(Cache(tmp_path / "cache"), github_token=None, sleep=lambda _s: None)


@pytest.fixture
def corpus_mirror(mirror_server: MirrorBuilder, vectors: Path) -> MirrorBuilder:  # noqa: F811
    mirror_server.serve_tree(vectors / "net-mirror", zips_from=vectors / "fs-mirror-packed")
    return mirror_server


# --- network mirror ----------------------------------------------------------------------


@pytest.mark.usefixtures("trust_test_ca")
def test_network_mirror_from_the_corpus(
    corpus_mirror: MirrorBuilder, fetcher: HttpFetcher, vectors: Path
) -> None:
    src = NetworkMirrorSource(fetcher, corpus_mirror.base_url)
    assert src.describe() == f"net mirror {corpus_mirror.base_url}"
    assert set(src.available_versions(DEMO)) == {"1.0.0", "1.1.0"}
    assert src.available_versions(WITHDIR) == ("0.1.0",)
    meta = src.package_meta(DEMO, "1.1.0", LINUX)
    assert meta is not None
    assert meta.kind is PackageKind.NET_MIRROR
    assert meta.filename == "terraform-provider-demo_1.1.0_linux_amd64.zip"
    assert meta.location == corpus_mirror.base_url + "example.com/acme/demo/" + meta.filename
    assert meta.hashes == (H1_DEMO_LINUX,)
    zip_bytes = (vectors / "fs-mirror-packed/example.com/acme/demo" / meta.filename).read_bytes()
    assert fetcher.download(meta.location).sha256 == hashlib.sha256(zip_bytes).hexdigest()


@pytest.mark.usefixtures("trust_test_ca")
def test_network_mirror_absent_things(corpus_mirror: MirrorBuilder, fetcher: HttpFetcher) -> None:
    src = NetworkMirrorSource(fetcher, corpus_mirror.base_url)
    assert src.package_meta(WITHDIR, "0.1.0", WINDOWS) is None  # platform not listed
    assert src.package_meta(DEMO, "9.9.9", LINUX) is None  # version document 404
    with pytest.raises(NotFound):
        src.available_versions(ProviderAddress("example.com", "acme", "nothere"))


def test_network_mirror_must_be_https(fetcher: HttpFetcher) -> None:
    with pytest.raises(ConfigError, match="https"):
        NetworkMirrorSource(fetcher, "http://mirror.example.com/")
    with pytest.raises(ConfigError):
        NetworkMirrorSource(fetcher, "mirror.example.com")
    src = NetworkMirrorSource(fetcher, "https://mirror.example.com/providers")
    assert src.base_url == "https://mirror.example.com/providers/"


@pytest.mark.usefixtures("trust_test_ca")
def test_network_mirror_requires_application_json(
    corpus_mirror: MirrorBuilder, fetcher: HttpFetcher
) -> None:
    corpus_mirror.server.route(
        corpus_mirror.prefix + "example.com/acme/demo/index.json",
        Reply(body=b'{"versions": {"1.0.0": {}}}', content_type="text/plain"),
    )
    with pytest.raises(InputError) as exc:
        NetworkMirrorSource(fetcher, corpus_mirror.base_url).available_versions(DEMO)
    assert "invalid Content-Type 'text/plain'" in exc.value.message
    assert exc.value.message.startswith(corpus_mirror.base_url + "example.com/acme/demo/index.json")


@pytest.mark.usefixtures("trust_test_ca")
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not valid JSON"),
        (b'{"archives": []}', "'archives' must be an object"),
        (b'{"archives": {"linux_amd64": {"hashes": []}}}', "needs a 'url' string"),
        (b'{"archives": {"linux_amd64": {"url": "ftp://x/y.zip"}}}', "http(s) URL"),
        (b'{"archives": {"linux_amd64": {"url": "https://[::1/y.zip"}}}', "http(s) URL"),
        (b'{"archives": {"linux_amd64": {"url": "//h:123456/y.zip"}}}', "http(s) URL"),
        (b'{"archives": {"linux_amd64": {"url": "a.zip", "hashes": "h1:x"}}}', "list of strings"),
    ],
)
def test_network_mirror_malformed_version_documents(
    mirror_server: MirrorBuilder,  # noqa: F811
    fetcher: HttpFetcher,
    body: bytes,
    fragment: str,
) -> None:
    mirror_server.server.route(
        mirror_server.prefix + "example.com/acme/demo/1.0.0.json",
        Reply(body=body, content_type="application/json"),
    )
    with pytest.raises(InputError) as exc:
        NetworkMirrorSource(fetcher, mirror_server.base_url).package_meta(DEMO, "1.0.0", LINUX)
    assert fragment in exc.value.message


@pytest.mark.usefixtures("trust_test_ca")
def test_network_mirror_hostname_with_port_and_credentials(
    mirror_server: MirrorBuilder,  # noqa: F811
    fetcher: HttpFetcher,
) -> None:
    mirror_server.add_provider(
        "localhost:18444",
        "acme",
        "demo",
        "1.1.0",
        {"linux_amd64": b"PKzip"},
        hashes={"linux_amd64": ["h1:abc="]},
    )
    token = "mirror-token-0123456789"
    cfg = parse_cli_config(
        f'credentials "{mirror_server.server.host}" {{\n  token = "{token}"\n}}\n', "rc"
    )
    src = NetworkMirrorSource(fetcher, mirror_server.base_url, cli_config=cfg)
    addr = ProviderAddress("localhost:18444", "acme", "demo")
    assert src.available_versions(addr) == ("1.1.0",)
    meta = src.package_meta(addr, "1.1.0", LINUX)
    assert meta is not None and meta.hashes == ("h1:abc=",)
    assert meta.location.startswith(mirror_server.base_url + "localhost:18444/acme/demo/")
    fetcher.download(meta.location)
    for req in mirror_server.server.requests:
        expected = f"Bearer {token}" if req.path.endswith(".json") else None
        assert req.headers.get("authorization") == expected, req.path


@pytest.mark.usefixtures("trust_test_ca")
def test_archive_urls_resolve_against_the_final_json_url(
    mirror_server: MirrorBuilder,  # noqa: F811
    fetcher: HttpFetcher,
) -> None:
    server = mirror_server.server
    server.redirect(mirror_server.prefix + "example.com/acme/demo/1.0.0.json", "/elsewhere/v.json")
    server.route(
        "/elsewhere/v.json",
        Reply(
            body=b'{"archives": {"linux_amd64": {"url": "pkgs/a.zip"}}}',
            content_type="application/json",
        ),
    )
    meta = NetworkMirrorSource(fetcher, mirror_server.base_url).package_meta(DEMO, "1.0.0", LINUX)
    assert meta is not None
    assert meta.location == server.url_for("/elsewhere/pkgs/a.zip")
    assert meta.hashes == ()


# --- filesystem mirror -------------------------------------------------------------------


def test_packed_filesystem_mirror_from_the_corpus(vectors: Path) -> None:
    src = FilesystemMirrorSource(vectors / "fs-mirror-packed")
    assert set(src.available_versions(DEMO)) == {"1.0.0", "1.1.0"}
    assert src.available_versions(WITHDIR) == ("0.1.0",)
    assert src.providers() == frozenset({DEMO, WITHDIR})
    meta = src.package_meta(DEMO, "1.0.0", WINDOWS)
    assert meta is not None
    assert meta.kind is PackageKind.FS_ARCHIVE
    assert meta.filename == "terraform-provider-demo_1.0.0_windows_amd64.zip"
    assert Path(meta.location).read_bytes()[:2] == b"PK"
    assert src.package_meta(WITHDIR, "0.1.0", WINDOWS) is None
    with pytest.raises(NotFound):
        src.available_versions(ProviderAddress("example.com", "acme", "nothere"))


def _mirror(tmp_path: Path, vectors: Path) -> Path:
    root = tmp_path / "mirror"
    packed = vectors / "fs-mirror-packed/example.com/acme/demo"
    d = root / "Example.COM" / "acme" / "demo"
    d.mkdir(parents=True)
    shutil.copy(
        packed / "terraform-provider-demo_1.1.0_linux_amd64.zip",
        d / "TERRAFORM-PROVIDER-DEMO_1.1.0_LINUX_AMD64.ZIP",
    )
    unpacked = d / "1.0.0" / "darwin_arm64"
    unpacked.mkdir(parents=True)
    (unpacked / "terraform-provider-demo_v1.0.0").write_text("#!/bin/sh\n")
    # Both layouts for one package: the archive wins.
    both = d / "1.1.0" / "linux_amd64"
    both.mkdir(parents=True)
    # Unrelated files and directories are ignored.
    (d / "README.md").write_text("hi")
    (d / "terraform-provider-other_1.0.0_linux_amd64.zip").write_bytes(b"PK")
    (d / "terraform-provider-demo_notaversion_linux_amd64.zip").write_bytes(b"PK")
    (d / "terraform-provider-demo_1.2.0_linux.zip").write_bytes(b"PK")
    (d / "9.9.9" / "not-a-platform").mkdir(parents=True)
    (root / "not a host!" / "acme" / "demo").mkdir(parents=True)
    (root / "example.com" / "Bad_NS" / "demo").mkdir(parents=True)
    (root / "registry.terraform.io" / "-" / "legacy").mkdir(parents=True)
    return root


def test_filesystem_mirror_layouts_and_normalisation(tmp_path: Path, vectors: Path) -> None:
    src = FilesystemMirrorSource(_mirror(tmp_path, vectors))
    assert src.providers() == frozenset({DEMO})
    assert set(src.available_versions(DEMO)) == {"1.0.0", "1.1.0"}
    packed = src.package_meta(DEMO, "1.1.0", LINUX)
    assert packed is not None
    assert packed.kind is PackageKind.FS_ARCHIVE
    assert packed.filename == "terraform-provider-demo_1.1.0_linux_amd64.zip"  # normalised
    assert packed.location.endswith("TERRAFORM-PROVIDER-DEMO_1.1.0_LINUX_AMD64.ZIP")  # physical
    unpacked = src.package_meta(DEMO, "1.0.0", DARWIN)
    assert unpacked is not None
    assert unpacked.kind is PackageKind.FS_DIR
    assert unpacked.filename == "terraform-provider-demo_1.0.0_darwin_arm64.zip"
    assert Path(unpacked.location).is_dir()
    assert src.package_meta(ProviderAddress("example.com:443", "acme", "demo"), "1.0.0", DARWIN)


def test_symlinks_inside_the_hierarchy_are_not_followed(tmp_path: Path, vectors: Path) -> None:
    real = _mirror(tmp_path, vectors)
    linked_root = tmp_path / "linked-root"
    linked_root.symlink_to(real)  # the root itself may be a symlink
    assert FilesystemMirrorSource(linked_root).providers() == frozenset({DEMO})
    other = tmp_path / "other"
    (other / "example.com").mkdir(parents=True)
    (other / "example.com" / "acme").symlink_to(real / "Example.COM" / "acme")
    assert FilesystemMirrorSource(other).providers() == frozenset()


def test_missing_filesystem_mirror_is_an_input_error(tmp_path: Path) -> None:
    src = FilesystemMirrorSource(tmp_path / "nope")
    with pytest.raises(InputError) as exc:
        src.available_versions(DEMO)
    assert str(tmp_path / "nope") in exc.value.message


# --- provider_installation ---------------------------------------------------------------


EXPLICIT = """
provider_installation {{
  filesystem_mirror {{
    path    = "{fs}"
    include = ["example.com/*/*"]
  }}
  network_mirror {{
    url     = "https://tf-mirror.example.net/"
    include = ["registry.terraform.io/*/*"]
    exclude = ["registry.Terraform.io/foobar/*"]
  }}
  direct {{
    exclude = ["example.com/*/*"]
  }}
}}
"""


def _descs(ms: MultiSource) -> list[str]:
    return [s.describe() for s in ms.sources]


def test_explicit_provider_installation(
    tmp_path: Path, vectors: Path, fetcher: HttpFetcher
) -> None:
    fs = vectors / "fs-mirror-packed"
    cfg = parse_cli_config(EXPLICIT.format(fs=fs), "rc")
    sel = SourceSelector(cfg, fetcher, cwd=tmp_path)
    assert _descs(sel.source_for(DEMO)) == [f"fs mirror {fs}"]
    aws = ProviderAddress("registry.terraform.io", "hashicorp", "aws")
    assert _descs(sel.source_for(aws)) == ["net mirror https://tf-mirror.example.net/", "registry"]
    foobar = ProviderAddress("registry.terraform.io", "foobar", "x")
    assert _descs(sel.source_for(foobar)) == ["registry"]
    other = ProviderAddress("other.example", "a", "b")
    assert _descs(sel.source_for(other)) == ["registry"]
    # The selected mirror answers through the MultiSource.
    ms = sel.source_for(DEMO)
    assert set(ms.available_versions(DEMO)) == {"1.0.0", "1.1.0"}
    meta = ms.package_meta(DEMO, "1.1.0", DARWIN)
    assert meta is not None and meta.kind is PackageKind.FS_ARCHIVE
    assert _descs(source_for(DEMO, cfg, fetcher, cwd=tmp_path)) == [f"fs mirror {fs}"]


def test_relative_filesystem_mirror_path_uses_cwd(vectors: Path, fetcher: HttpFetcher) -> None:
    cfg = parse_cli_config(
        'provider_installation {\n  filesystem_mirror {\n    path = "fs-mirror-packed"\n  }\n}\n',
        "rc",
    )
    ms = source_for(DEMO, cfg, fetcher, cwd=vectors)
    assert set(ms.available_versions(DEMO)) == {"1.0.0", "1.1.0"}


def test_no_matching_method_means_not_found(fetcher: HttpFetcher, tmp_path: Path) -> None:
    text = 'provider_installation {\n  direct {\n    include = ["registry.terraform.io/*/*"]\n'
    cfg = parse_cli_config(text + "  }\n}\n", "rc")
    ms = source_for(DEMO, cfg, fetcher, cwd=tmp_path)
    assert ms.sources == ()
    with pytest.raises(NotFound, match="not found in any of the search locations"):
        ms.available_versions(DEMO)
    assert ms.package_meta(DEMO, "1.0.0", LINUX) is None


@pytest.mark.parametrize(
    "pattern",
    ["a", "a/b/c/d", "*/hashicorp/aws", "registry.terraform.io/*/aws", "bad host/a/b", "a/b_c"],
)
def test_invalid_patterns_are_config_errors(
    pattern: str, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    cfg = parse_cli_config(
        f'provider_installation {{\n  direct {{\n    include = ["{pattern}"]\n  }}\n}}\n', "rc"
    )
    with pytest.raises(ConfigError) as exc:
        SourceSelector(cfg, fetcher, cwd=tmp_path)
    assert "rc (line 2)" in exc.value.message


def test_http_network_mirror_in_cli_config_is_refused(fetcher: HttpFetcher, tmp_path: Path) -> None:
    cfg = parse_cli_config(
        'provider_installation {\n  network_mirror {\n    url = "http://m.example/"\n  }\n}\n', "rc"
    )
    with pytest.raises(ConfigError):
        SourceSelector(cfg, fetcher, cwd=tmp_path)


def test_pattern_semantics() -> None:
    p = ProviderPattern.parse("hashicorp/*")
    assert p == ProviderPattern("registry.terraform.io", "hashicorp", "*")
    assert p.matches(ProviderAddress("registry.terraform.io", "hashicorp", "aws"))
    assert not p.matches(ProviderAddress("example.com", "hashicorp", "aws"))
    assert ProviderPattern.parse("*/*/*").matches(DEMO)
    assert ProviderPattern.parse("Example.COM:443/ACME/demo").matches(DEMO)


def test_implied_sources_exclude_local_providers_from_direct(
    tmp_path: Path, vectors: Path, fetcher: HttpFetcher
) -> None:
    cwd = tmp_path / "work"
    shutil.copytree(vectors / "fs-mirror-packed", cwd / "terraform.d" / "plugins")
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "XDG_DATA_DIRS": str(tmp_path / "none"),
    }
    sel = SourceSelector(CliConfig(), fetcher, cwd=cwd, env=env)
    local = f"fs mirror {cwd / 'terraform.d' / 'plugins'}"
    assert _descs(sel.source_for(DEMO)) == [local]  # found locally: no registry
    null = ProviderAddress("registry.terraform.io", "hashicorp", "null")
    assert _descs(sel.source_for(null)) == [local, "registry"]


def test_multisource_union_and_priority(tmp_path: Path, vectors: Path) -> None:
    only_old = tmp_path / "old"
    d = only_old / "example.com" / "acme" / "demo"
    d.mkdir(parents=True)
    src_zip = (
        vectors
        / "fs-mirror-packed/example.com/acme/demo/terraform-provider-demo_1.0.0_linux_amd64.zip"
    )
    shutil.copy(src_zip, d / src_zip.name)
    first = FilesystemMirrorSource(only_old)
    second = FilesystemMirrorSource(vectors / "fs-mirror-packed")
    empty = FilesystemMirrorSource(tmp_path)  # has nothing: NotFound is "not here"
    ms = MultiSource([empty, first, second])
    assert set(ms.available_versions(DEMO)) == {"1.0.0", "1.1.0"}
    meta = ms.package_meta(DEMO, "1.0.0", LINUX)
    assert meta is not None and meta.location == str(d / src_zip.name)
    meta2 = ms.package_meta(DEMO, "1.1.0", LINUX)
    assert meta2 is not None and "fs-mirror-packed" in meta2.location
    assert ms.describe().startswith("fs mirror ")


def test_registry_source_can_be_shared(fetcher: HttpFetcher, tmp_path: Path) -> None:
    reg = RegistrySource(fetcher)
    sel = SourceSelector(
        CliConfig(), fetcher, cwd=tmp_path, env={"HOME": str(tmp_path)}, registry=reg
    )
    assert (
        sel.source_for(ProviderAddress("registry.terraform.io", "hashicorp", "aws")).sources[-1]
        is reg
    )
