"""Tests for the content-addressed, atomic cache (depguard.net.cache)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
from pathlib import Path

import pytest

from depguard.net.cache import Cache, UrlEntry, default_cache_dir


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_blob_layout_is_content_addressed(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    digest = cache.put_blob(b"hello")
    assert digest == _sha(b"hello")
    path = tmp_path / "blobs" / "sha256" / digest[:2] / digest
    assert path.read_bytes() == b"hello"
    assert cache.read_blob(digest) == b"hello"
    assert cache.verified_blob(digest) == path
    assert (tmp_path / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")


def test_put_blob_twice_is_idempotent(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    assert cache.put_blob(b"x") == cache.put_blob(b"x")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_corrupt_blob_is_a_miss_and_removed(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    digest = cache.put_blob(b"original")
    cache.blob_path(digest).write_bytes(b"tampered")
    fresh = Cache(tmp_path)  # no per-process verification memo
    assert fresh.read_blob(digest) is None
    assert not cache.blob_path(digest).exists()
    digest2 = cache.put_blob(b"original")
    cache.blob_path(digest2).write_bytes(b"tampered!")
    assert Cache(tmp_path).verified_blob(digest2) is None


def test_verified_blob_notices_rewrites_in_the_same_process(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    digest = cache.put_blob(b"original")
    assert cache.verified_blob(digest) is not None
    path = cache.blob_path(digest)
    path.write_bytes(b"other bytes, other size")
    assert cache.verified_blob(digest) is None


def test_blob_writer_discards_uncommitted_data(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    with pytest.raises(RuntimeError), cache.blob_writer() as w:
        w.write(b"partial")
        raise RuntimeError("connection dropped")
    with cache.blob_writer() as w:
        w.write(b"never committed")
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "blobs").exists()


def test_import_file(tmp_path: Path) -> None:
    src = tmp_path / "a.zip"
    src.write_bytes(b"zipbytes")
    cache = Cache(tmp_path / "c")
    digest, path, size = cache.import_file(src)
    assert (digest, size) == (_sha(b"zipbytes"), 8)
    assert path.read_bytes() == b"zipbytes"


def test_url_entries_round_trip(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    digest = cache.put_blob(b"{}")
    url = "https://registry.terraform.io/v1/providers/hashicorp/aws/versions"
    entry = UrlEntry(
        url=url,
        sha256=digest,
        size=2,
        final_url=url,
        status=200,
        content_type="application/json",
        etag='"abc"',
    )
    cache.put_entry(entry)
    got = cache.get_entry(url)
    assert got is not None
    assert (got.sha256, got.etag, got.content_type, got.status) == (
        digest,
        '"abc"',
        "application/json",
        200,
    )
    assert got.fetched_at.endswith("Z")
    key = hashlib.sha256(url.encode()).hexdigest()
    assert (tmp_path / "urls" / key[:2] / f"{key}.json").is_file()
    assert cache.get_entry("https://other.example/") is None


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        b'{"url": "x"}',
        b'{"url": "U", "sha256": "zz", "size": 1, "final_url": "U", "status": 200}',
    ],
)
def test_corrupt_url_entry_is_a_miss(tmp_path: Path, content: bytes) -> None:
    cache = Cache(tmp_path)
    url = "U"
    cache.put_entry(
        UrlEntry(url=url, sha256=cache.put_blob(b"b"), size=1, final_url=url, status=200)
    )
    key = hashlib.sha256(url.encode()).hexdigest()
    path = tmp_path / "urls" / key[:2] / f"{key}.json"
    path.write_bytes(content)
    assert cache.get_entry(url) is None
    assert not path.exists()


def test_entry_for_a_different_url_is_rejected(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    digest = cache.put_blob(b"b")
    cache.put_entry(UrlEntry(url="A", sha256=digest, size=1, final_url="A", status=200))
    key_a = hashlib.sha256(b"A").hexdigest()
    key_b = hashlib.sha256(b"B").hexdigest()
    (tmp_path / "urls" / key_b[:2]).mkdir(parents=True, exist_ok=True)
    shutil.copy(
        tmp_path / "urls" / key_a[:2] / f"{key_a}.json",
        tmp_path / "urls" / key_b[:2] / f"{key_b}.json",
    )
    assert cache.get_entry("B") is None


def test_entry_whose_blob_vanished_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    digest = cache.put_blob(b"body")
    cache.put_entry(UrlEntry(url="U", sha256=digest, size=4, final_url="U", status=200))
    cache.blob_path(digest).unlink()
    assert cache.get_entry("U") is None


def test_derived_results(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    zip_sha = "a" * 64
    assert cache.get_derived("h1", zip_sha) is None
    cache.put_derived("h1", zip_sha, {"h1": "h1:abc=", "dirs": True})
    assert cache.get_derived("h1", zip_sha) == {"h1": "h1:abc=", "dirs": True}
    assert cache.get_derived("zh", zip_sha) is None
    with pytest.raises(ValueError):
        cache.put_derived("../escape", "k", 1)
    with pytest.raises(TypeError):
        cache.put_derived("h1", "k", object())


def test_corrupt_derived_result_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put_derived("h1", "k", "value")
    (path,) = (tmp_path / "derived" / "h1").rglob("*.json")
    path.write_text("{")
    assert cache.get_derived("h1", "k") is None
    cache.put_derived("h1", "k", "value")
    path.write_text(json.dumps({"kind": "h1", "key": "other", "value": "forged"}))
    assert cache.get_derived("h1", "k") is None


def test_layout_survives_being_moved(tmp_path: Path) -> None:
    """actions/cache restores the tree at another path: nothing may be absolute."""
    a = Cache(tmp_path / "a")
    digest = a.put_blob(b"payload")
    a.put_entry(UrlEntry(url="U", sha256=digest, size=7, final_url="U", status=200))
    a.put_derived("h1", "k", [1, 2])
    shutil.copytree(tmp_path / "a", tmp_path / "restored")
    b = Cache(tmp_path / "restored")
    entry = b.get_entry("U")
    assert entry is not None and b.read_blob(entry.sha256) == b"payload"
    assert b.get_derived("h1", "k") == [1, 2]


def test_stale_temp_files_are_pruned(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir(parents=True)
    old = tmp_path / "tmp" / "dl-old.part"
    new = tmp_path / "tmp" / "dl-new.part"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (1_000_000, 1_000_000))
    Cache(tmp_path).put_blob(b"z")
    assert not old.exists()
    assert new.exists()


def _writer(root: str, n: int) -> None:
    cache = Cache(Path(root))
    for i in range(n):
        cache.put_blob(f"blob-{i % 5}".encode() * 1000)
        cache.put_entry(
            UrlEntry(
                url=f"U{i % 3}",
                sha256=cache.put_blob(b"same"),
                size=4,
                final_url="F",
                status=200,
            )
        )


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
def test_concurrent_processes_never_see_partial_files(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), 40)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    cache = Cache(tmp_path)
    for i in range(5):
        data = f"blob-{i}".encode() * 1000
        assert cache.read_blob(_sha(data)) == data
    for i in range(3):
        assert cache.get_entry(f"U{i}") is not None
    assert list((tmp_path / "tmp").iterdir()) == []


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEPGUARD_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("DEPGUARD_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert default_cache_dir() == tmp_path / "xdg" / "depguard"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert default_cache_dir() == tmp_path / "home" / ".cache" / "depguard"
