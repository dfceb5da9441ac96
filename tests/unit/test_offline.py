"""Tests for the offline fetcher: cache first, then snapshot trees, never a socket."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from depguard.errors import NetworkError
from depguard.net import make_fetcher
from depguard.net.cache import Cache, UrlEntry
from depguard.net.fetcher import NotFound, OfflineMiss
from depguard.net.offline import OfflineFetcher, snapshot_relpath

VECTORS = ("terraform", "vectors")


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the offline fetcher opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    root = tmp_path / "snap"
    files = {
        "registry.terraform.io/v1/providers/hashicorp/null/versions": b'{"versions": []}',
        "releases.hashicorp.com/terraform-provider-null/3.1.0/"
        "terraform-provider-null_3.1.0_SHA256SUMS": b"abc  file.zip\n",
        "localhost_18444/v1/providers/acme/demo/versions.json": b'{"versions": [1]}',
        "mirror.example.com/dir/index.json": b'{"versions": {}}',
        "mirror.example.com/a/b.zip": b"PK\x03\x04zip",
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


@pytest.fixture
def fetcher(tmp_path: Path, snap: Path) -> OfflineFetcher:
    return OfflineFetcher(Cache(tmp_path / "cache"), [snap])


def test_serves_plain_snapshot_files(fetcher: OfflineFetcher) -> None:
    url = "https://registry.terraform.io/v1/providers/hashicorp/null/versions"
    resp = fetcher.get(url)
    assert resp.body == b'{"versions": []}'
    assert resp.url == url
    assert resp.status == 200
    sums = fetcher.get(
        "https://releases.hashicorp.com/terraform-provider-null/3.1.0/"
        "terraform-provider-null_3.1.0_SHA256SUMS"
    )
    assert sums.body == b"abc  file.zip\n"


def test_port_maps_to_host_underscore_port_and_json_suffix(fetcher: OfflineFetcher) -> None:
    resp = fetcher.get("https://localhost:18444/v1/providers/acme/demo/versions")
    assert resp.json() == {"versions": [1]}
    assert resp.content_type == "application/json"


def test_directory_and_trailing_slash_serve_index_json(fetcher: OfflineFetcher) -> None:
    assert fetcher.get("https://mirror.example.com/dir/").body == b'{"versions": {}}'
    assert fetcher.get("https://mirror.example.com/dir").body == b'{"versions": {}}'


def test_query_string_is_ignored(fetcher: OfflineFetcher) -> None:
    assert fetcher.get("https://mirror.example.com/dir/?page=2").body == b'{"versions": {}}'


def test_miss_is_offline_miss(fetcher: OfflineFetcher) -> None:
    with pytest.raises(OfflineMiss) as exc:
        fetcher.get("https://registry.terraform.io/v1/providers/hashicorp/aws/versions")
    assert exc.value.message.startswith("https://registry.terraform.io/v1/providers/")
    with pytest.raises(OfflineMiss):
        fetcher.download("https://example.com/x.zip")


def test_size_limit_applies(fetcher: OfflineFetcher) -> None:
    with pytest.raises(NetworkError, match="too large"):
        fetcher.get("https://mirror.example.com/a/b.zip", max_bytes=3)
    with pytest.raises(NetworkError, match="too large"):
        fetcher.download("https://mirror.example.com/a/b.zip", max_bytes=3)


def test_download_imports_snapshot_file_into_cache(fetcher: OfflineFetcher, tmp_path: Path) -> None:
    d = fetcher.download("https://mirror.example.com/a/b.zip")
    assert d.path.read_bytes() == b"PK\x03\x04zip"
    assert d.path.is_relative_to(tmp_path / "cache" / "blobs")
    assert d.size == 7


def test_cache_answers_first(tmp_path: Path, snap: Path) -> None:
    cache = Cache(tmp_path / "cache")
    url = "https://registry.terraform.io/v1/providers/hashicorp/null/versions"
    digest = cache.put_blob(b'{"from": "cache"}')
    cache.put_entry(
        UrlEntry(
            url=url,
            sha256=digest,
            size=17,
            final_url=url + "?final",
            status=200,
            content_type="application/json",
            etag='"e"',
        )
    )
    f = OfflineFetcher(cache, [snap])
    resp = f.get(url)
    assert resp.json() == {"from": "cache"}
    assert resp.url == url + "?final"
    assert resp.headers["etag"] == '"e"'
    d = f.download(url)
    assert d.sha256 == digest


def test_cached_404_is_not_found(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    url = "https://registry.example.com/v1/providers/a/b/1.0.0/download/plan9/arm"
    cache.put_entry(
        UrlEntry(url=url, sha256=cache.put_blob(b""), size=0, final_url=url, status=404)
    )
    with pytest.raises(NotFound):
        OfflineFetcher(cache).get(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://mirror.example.com/../../etc/passwd",
        "https://mirror.example.com/a/../../../secret",
        "https://mirror.example.com/%2e%2e/%2e%2e/secret",
        "https://mirror.example.com/%2E%2E/secret",
        "https://mirror.example.com/a/%2f..%2f..%2fsecret",
        "https://mirror.example.com/..%5c..%5csecret",
        "https://mirror.example.com//etc/passwd",
        "https://mirror.example.com/a/%00/x",
        "https://../secret",
        "file:///etc/passwd",
        "https://[::1/x",
        "https://mirror.example.com:99999/a",
    ],
)
def test_path_traversal_never_escapes_the_snapshot(tmp_path: Path, url: str) -> None:
    snap = tmp_path / "deep" / "snap"
    (snap / "mirror.example.com" / "a").mkdir(parents=True)
    (tmp_path / "deep" / "secret").write_text("outside")
    (tmp_path / "secret").write_text("outside")
    f = OfflineFetcher(Cache(tmp_path / "cache"), [snap])
    with pytest.raises(OfflineMiss):
        f.get(url)
    with pytest.raises(OfflineMiss):
        f.download(url)


def test_traversal_segments_are_rejected_by_the_mapper() -> None:
    assert snapshot_relpath("https://h/%2e%2e/x") is None
    assert snapshot_relpath("https://../x") is None
    assert snapshot_relpath("https://h/a/%2fb") is None
    assert snapshot_relpath("https://h:8443/a/b") == ("h_8443", "a", "b")
    assert snapshot_relpath("https://h/") == ("h", "index.json")
    assert snapshot_relpath("https://H/A") == ("h", "A")


def test_symlink_out_of_the_snapshot_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text('{"secret": true}')
    snap = tmp_path / "snap"
    (snap / "example.com").mkdir(parents=True)
    (snap / "example.com" / "link.json").symlink_to(outside)
    f = OfflineFetcher(Cache(tmp_path / "cache"), [snap])
    with pytest.raises(OfflineMiss):
        f.get("https://example.com/link.json")


def test_vectors_registry_tree_works_as_a_snapshot(tmp_path: Path, corpus: Path) -> None:
    """The corpus registry tree is laid out without host dir; wrap it as localhost_18444."""
    snap = tmp_path / "snap"
    shutil.copytree(corpus.joinpath(*VECTORS, "registry"), snap / "localhost_18444")
    f = OfflineFetcher(Cache(tmp_path / "cache"), [snap])
    disco = f.get("https://localhost:18444/.well-known/terraform.json")
    assert disco.json() == {"providers.v1": "/v1/providers/"}
    dl = f.get("https://localhost:18444/v1/providers/acme/demo/1.1.0/download/linux/amd64")
    assert dl.json()["filename"] == "terraform-provider-demo_1.1.0_linux_amd64.zip"


def test_make_fetcher_offline_does_not_import_requests(tmp_path: Path) -> None:
    f = make_fetcher(offline=True, cache_dir=tmp_path / "c", snapshot_dirs=[tmp_path])
    assert isinstance(f, OfflineFetcher)
    assert "snapshots" in repr(f)
