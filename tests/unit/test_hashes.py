"""zh / h1 hashing: Terraform's vectors, dirhash edge cases, zip safety, parallelism."""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import os
import random
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from depguard.errors import DepguardError, InputError, IntegrityError
from depguard.verify.hashes import (
    EMPTY_SHA256,
    ZipLimits,
    dir_h1,
    h1_from_summary,
    hash_archives,
    hash_archives_settled,
    zip_hashes,
)

# ----------------------------------------------------------------------------- helpers


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _h1(lines: list[tuple[bytes, bytes]]) -> str:
    """Independent dirhash.Hash1: ``lines`` are (name, content)."""
    summary = b"".join(
        _sha(content).encode() + b"  " + name + b"\n" for name, content in sorted(lines)
    )
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode()


@dataclass
class Entry:
    """One entry of a hand-built zip; every field can lie."""

    name: bytes
    data: bytes = b""
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0
    create_system: int = 3
    external_attr: int = 0o100644 << 16
    crc: int | None = None  # default: the real CRC of ``data``
    declared_size: int | None = None  # default: len(data)
    raw: bytes | None = None  # compressed bytes to store instead of compressing ``data``
    local_name: bytes | None = None  # name written in the local header


def build_zip(path: Path, entries: list[Entry]) -> Path:
    """Write a zip by hand (local headers, data, central directory, end record)."""
    body = bytearray()
    central = bytearray()
    for e in entries:
        if e.raw is not None:
            stored = e.raw
        elif e.method == zipfile.ZIP_DEFLATED:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            stored = c.compress(e.data) + c.flush()
        else:
            stored = e.data
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        size = len(e.data) if e.declared_size is None else e.declared_size
        offset = len(body)
        local_name = e.name if e.local_name is None else e.local_name
        body += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, e.flags, e.method, 0, 0x21,
            crc, len(stored), size, len(local_name), 0,
        )  # fmt: skip
        body += local_name + stored
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", (e.create_system << 8) | 20, 20, e.flags, e.method,
            0, 0x21, crc, len(stored), size, len(e.name), 0, 0, 0, 0, e.external_attr, offset,
        )  # fmt: skip
        central += e.name
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0
    )
    path.write_bytes(bytes(body + central + end))
    return path


def std_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


# ----------------------------------------------------------------------------- vectors


def _vector_rows() -> list[dict[str, str]]:
    from tests.conftest import CORPUS

    if CORPUS is None:
        return []
    with (CORPUS / "terraform/vectors/hashes.tsv").open() as f:
        return list(csv.DictReader(f, delimiter="\t"))


VECTOR_ROWS = _vector_rows()
COL_ZH = "zh (sha256 of zip)"
COL_DIR = "h1_recorded_by_terraform (unpacked dir, dirhash.HashDir)"
COL_ZIP = "h1_hashzip (dirhash.HashZip, what `providers mirror` writes)"


def test_vector_table_has_17_rows(corpus: Path) -> None:
    assert len(VECTOR_ROWS) == 17


@pytest.mark.parametrize("row", VECTOR_ROWS, ids=[Path(r["path"]).name for r in VECTOR_ROWS])
def test_terraform_vectors(corpus: Path, row: dict[str, str]) -> None:
    path = corpus / "terraform/vectors" / row["path"]
    h = zip_hashes(path)
    assert h.zh == row[COL_ZH]
    assert h.h1_lock == row[COL_DIR]
    assert h.h1_zip == row[COL_ZIP]
    assert h.has_dir_entries == ("docs/" in row["entries"].split(","))
    assert h.entries == len(row["entries"].split(","))
    assert h.duplicate_names == () and h.non_utf8_names == ()
    assert h.acceptable_hashes() == {row[COL_ZH], row[COL_DIR], row[COL_ZIP]}
    assert h.sha256 == row[COL_ZH].removeprefix("zh:")


@pytest.mark.parametrize(
    ("zip_name", "stem"),
    [
        ("demo/terraform-provider-demo_1.1.0_linux_amd64.zip", "demo-1.1.0-linux_amd64"),
        ("withdir/terraform-provider-withdir_0.1.0_linux_amd64.zip", "withdir-0.1.0-linux_amd64"),
    ],
)
def test_h1_preimages(corpus: Path, zip_name: str, stem: str) -> None:
    vectors = corpus / "terraform/vectors"
    h = zip_hashes(vectors / "fs-mirror-packed/example.com/acme" / zip_name)
    lock = (vectors / "h1-preimages" / f"{stem}.hashdir.summary.txt").read_bytes()
    zipped = (vectors / "h1-preimages" / f"{stem}.hashzip.summary.txt").read_bytes()
    assert h.lock_summary == lock
    assert h.zip_summary == zipped
    assert h1_from_summary(lock) == h.h1_lock


def test_research_example_preimage() -> None:
    # research/terraform-lock.md §3.3: demo 1.1.0 linux_amd64 → h1:wymbe…
    summary = (
        b"df1259aa6fb8d89e682bddaabde410bf91a99628245892561df9d67c4e05b040  LICENSE.txt\n"
        b"c7b92fcd5e71b9063c09e020c2104258a0d2a803d7075323d3d9474a2457344b  "
        b"terraform-provider-demo_v1.1.0\n"
    )
    assert h1_from_summary(summary) == "h1:wymbeW5teXvP27pjPqXEXSSoBpaNKJwe9gzbTV7oBPI="


def test_precomputed_sha256_is_used(tmp_path: Path) -> None:
    path = std_zip(tmp_path / "a.zip", {"a": b"x"})
    assert zip_hashes(path).zh == "zh:" + _sha(path.read_bytes())
    assert zip_hashes(path, sha256="ab" * 32).zh == "zh:" + "ab" * 32
    with pytest.raises(ValueError, match="64 lower-case hex"):
        zip_hashes(path, sha256="AB" * 32)


# ----------------------------------------------------------------------------- dirhash edges


def test_directory_entries_hashzip_vs_hashdir(tmp_path: Path) -> None:
    path = build_zip(
        tmp_path / "d.zip",
        [
            Entry(b"docs/", method=0, external_attr=(0o40755 << 16) | 0x10),
            Entry(b"docs/README.md", b"# docs\n"),
            Entry(b"bin", b"binary"),
        ],
    )
    h = zip_hashes(path)
    assert h.has_dir_entries
    assert h.h1_lock == _h1([(b"docs/README.md", b"# docs\n"), (b"bin", b"binary")])
    assert h.h1_zip == _h1([(b"docs/", b""), (b"docs/README.md", b"# docs\n"), (b"bin", b"binary")])
    assert f"{EMPTY_SHA256}  docs/\n".encode() in h.zip_summary


def test_directory_by_mode_without_slash(tmp_path: Path) -> None:
    # Go's FileHeader.Mode() reads S_IFDIR from Unix attributes (and the DOS dir bit):
    # go-getter then makes a directory, HashZip still lists the entry.
    path = build_zip(
        tmp_path / "m.zip",
        [
            Entry(b"unixdir", method=0, external_attr=0o40755 << 16),
            Entry(b"dosdir", method=0, create_system=0, external_attr=0x10),
            Entry(b"file", b"content"),
        ],
    )
    h = zip_hashes(path)
    assert h.has_dir_entries
    assert h.h1_lock == _h1([(b"file", b"content")])
    assert h.h1_zip == _h1([(b"unixdir", b""), (b"dosdir", b""), (b"file", b"content")])


def test_directory_entry_with_data_is_refused(tmp_path: Path) -> None:
    # Go's File.Open on "dir/" with a non-zero size returns ErrFormat.
    path = build_zip(tmp_path / "d.zip", [Entry(b"docs/", b"surprise", method=0)])
    with pytest.raises(IntegrityError, match="directory entry 'docs/' has data"):
        zip_hashes(path)


def test_duplicate_names_follow_go(tmp_path: Path) -> None:
    path = build_zip(
        tmp_path / "dup.zip",
        [Entry(b"a", b"first"), Entry(b"b", b"bee"), Entry(b"a", b"second")],
    )
    h = zip_hashes(path)
    assert h.duplicate_names == ("a",)
    # HashZip: both lines, both with the content of the *last* entry (Go keeps a map).
    assert h.h1_zip == _h1([(b"a", b"second"), (b"a", b"second"), (b"b", b"bee")])
    # Extraction overwrites in order: one file with the last entry's content.
    assert h.h1_lock == _h1([(b"a", b"second"), (b"b", b"bee")])


def test_names_that_extract_to_the_same_path(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "dot.zip", [Entry(b"./a", b"one"), Entry(b"a", b"two")])
    h = zip_hashes(path)
    assert h.duplicate_names == ("a",)
    assert h.h1_zip == _h1([(b"./a", b"one"), (b"a", b"two")])
    assert h.h1_lock == _h1([(b"a", b"two")])


def test_cleaned_names_in_lock_variant(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "c.zip", [Entry(b"docs//./x.md", b"x")])
    h = zip_hashes(path)
    assert h.h1_lock == _h1([(b"docs/x.md", b"x")])
    assert h.h1_zip == _h1([(b"docs//./x.md", b"x")])


def test_newline_in_name_is_refused(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "nl.zip", [Entry(b"evil\nname", b"x")])
    with pytest.raises(IntegrityError, match="contains a newline"):
        zip_hashes(path)


def test_utf8_flagged_names_hash_as_utf8(tmp_path: Path) -> None:
    name = "résumé-ü.txt"
    path = build_zip(tmp_path / "u.zip", [Entry(name.encode(), b"x", flags=0x800)])
    h = zip_hashes(path)
    assert h.h1_zip == _h1([(name.encode(), b"x")])
    assert h.non_utf8_names == ()


def test_cp437_names_hash_as_raw_bytes(tmp_path: Path) -> None:
    raw = b"caf\x82.txt"  # 0x82 is 'é' in CP437; not valid UTF-8
    path = build_zip(tmp_path / "c.zip", [Entry(raw, b"x")])
    h = zip_hashes(path)
    assert h.h1_zip == h.h1_lock == _h1([(raw, b"x")])
    assert h.non_utf8_names == ("caf\\x82.txt",)


def test_python_zipfile_utf8_names_round_trip(tmp_path: Path) -> None:
    path = std_zip(tmp_path / "s.zip", {"ünïcode/ファイル": b"data", "ascii": b"a"})
    assert zip_hashes(path).h1_lock == _h1(
        [("ünïcode/ファイル".encode(), b"data"), (b"ascii", b"a")]
    )


def test_bytewise_sort_order(tmp_path: Path) -> None:
    path = std_zip(tmp_path / "o.zip", {"b": b"1", "B": b"2", "a/z": b"3", "a-": b"4"})
    h = zip_hashes(path)
    names = [line.split(b"  ", 1)[1] for line in h.zip_summary.splitlines()]
    assert names == [b"B", b"a-", b"a/z", b"b"]


# ----------------------------------------------------------------------------- zip safety


@pytest.fixture(scope="module")
def gigabyte_of_zeros(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real zip bomb: 1 GiB of zeros deflated (level 1, ~4.5 MB)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunk = bytes(1 << 24)
    raw = b"".join(compressor.compress(chunk) for _ in range(64)) + compressor.flush()
    crc = 0
    for _ in range(64):
        crc = zlib.crc32(chunk, crc)
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    return build_zip(path, [Entry(b"zeros", b"", raw=raw, crc=crc, declared_size=1 << 30)])


def test_gigabyte_bomb_stops_fast(gigabyte_of_zeros: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(IntegrityError, match="zip bomb"):
        zip_hashes(gigabyte_of_zeros)
    assert time.perf_counter() - start < 1.0


def test_declared_gigabyte_stops_fast(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "b.zip", [Entry(b"big", b"x" * 1000, declared_size=1 << 30)])
    start = time.perf_counter()
    with pytest.raises(IntegrityError, match="ratio above 100"):
        zip_hashes(path)
    assert time.perf_counter() - start < 0.5


def test_total_and_count_limits(tmp_path: Path) -> None:
    path = std_zip(tmp_path / "t.zip", {f"f{i}": os.urandom(1000) for i in range(5)})
    with pytest.raises(IntegrityError, match="more than 3000 uncompressed bytes"):
        zip_hashes(path, limits=ZipLimits(max_total_uncompressed=3000))
    with pytest.raises(IntegrityError, match="5 entries \\(limit 4\\)"):
        zip_hashes(path, limits=ZipLimits(max_entries=4))
    assert zip_hashes(path, limits=ZipLimits(max_entries=5)).entries == 5


def test_central_directory_is_bounded_before_parsing(tmp_path: Path) -> None:
    path = std_zip(tmp_path / "many.zip", {f"entry-{i:04}": b"" for i in range(200)})
    with pytest.raises(IntegrityError, match=r"central directory is [0-9]+ bytes"):
        zip_hashes(path, limits=ZipLimits(max_central_directory=4096))


def test_zip64_end_record_entry_count(tmp_path: Path) -> None:
    # A zip64 end record claiming a million entries is refused from the end records
    # alone, before zipfile would build a million ZipInfo objects.
    plain = build_zip(tmp_path / "p.zip", [Entry(b"a", b"x")]).read_bytes()
    body, eocd = plain[:-22], plain[-22:]
    cd_size, cd_offset = struct.unpack("<2L", eocd[12:20])
    zip64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 10**6, 10**6, cd_size, cd_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(body), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, cd_size, cd_offset, 0)
    path = tmp_path / "z64.zip"
    path.write_bytes(body + zip64 + locator + end)
    with pytest.raises(IntegrityError, match="1000000 entries"):
        zip_hashes(path)


def test_entry_larger_than_declared_stops_early(tmp_path: Path) -> None:
    data = bytes(64 << 20)
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    raw = c.compress(data) + c.flush()
    path = build_zip(tmp_path / "lie.zip", [Entry(b"x", b"", raw=raw, declared_size=1000)])
    with pytest.raises(IntegrityError, match="inflates to more than 1000 bytes"):
        zip_hashes(path, limits=ZipLimits(max_entry_ratio=10**6))


def test_entry_smaller_than_declared(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "short.zip", [Entry(b"x", b"abc", declared_size=4)])
    with pytest.raises(IntegrityError, match="inflates to 3 bytes, 4 declared"):
        zip_hashes(path)


def test_crc_mismatch(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "crc.zip", [Entry(b"x", b"content", crc=0x12345678)])
    with pytest.raises(IntegrityError, match="CRC-32 mismatch"):
        zip_hashes(path)


def test_corrupt_deflate_data(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "bad.zip", [Entry(b"x", b"", raw=b"\xff" * 50, declared_size=9)])
    with pytest.raises(IntegrityError, match=r"bad\.zip: corrupt zip archive: entry 'x'"):
        zip_hashes(path)


def test_local_header_name_mismatch(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "n.zip", [Entry(b"good", b"x", local_name=b"evil")])
    with pytest.raises(IntegrityError, match="local header names a different file"):
        zip_hashes(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (b"../evil", "'..' component"),
        (b"a/../../evil", "'..' component"),
        (b"a\\..\\evil", "'..' component"),
        (b"/etc/passwd", "absolute path"),
        (b"C:evil", "absolute path"),
        (b"nul\x00byte", "NUL byte"),
    ],
)
def test_unsafe_names(tmp_path: Path, name: bytes, message: str) -> None:
    path = build_zip(tmp_path / "u.zip", [Entry(name, b"x")])
    with pytest.raises(IntegrityError, match=message):
        zip_hashes(path)


def test_file_and_directory_conflict(tmp_path: Path) -> None:
    path = build_zip(tmp_path / "c.zip", [Entry(b"a", b"file"), Entry(b"a/b", b"nested")])
    with pytest.raises(IntegrityError, match="both a file and a directory"):
        zip_hashes(path)


def test_encrypted_and_unsupported_methods(tmp_path: Path) -> None:
    enc = build_zip(tmp_path / "e.zip", [Entry(b"x", b"data", flags=0x1)])
    with pytest.raises(IntegrityError, match="encrypted"):
        zip_hashes(enc)
    bz = build_zip(tmp_path / "b.zip", [Entry(b"x", b"", raw=b"BZh9", method=12)])
    with pytest.raises(IntegrityError, match="compression method 12"):
        zip_hashes(bz)


def test_unreadable_and_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.zip: cannot read"):
        zip_hashes(tmp_path / "missing.zip")
    (tmp_path / "text.zip").write_text("hello")
    with pytest.raises(IntegrityError, match=r"text\.zip: corrupt zip archive"):
        zip_hashes(tmp_path / "text.zip")
    (tmp_path / "empty.zip").write_bytes(b"")
    with pytest.raises(IntegrityError, match=r"empty\.zip: corrupt zip archive"):
        zip_hashes(tmp_path / "empty.zip")


def test_every_truncation_is_a_clean_error(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "terraform/vectors/fs-mirror-packed/example.com/acme/withdir"
    data = (src / "terraform-provider-withdir_0.1.0_linux_amd64.zip").read_bytes()
    target = tmp_path / "cut.zip"
    for size in range(len(data)):
        target.write_bytes(data[:size])
        with pytest.raises(IntegrityError, match=r"cut\.zip: corrupt zip archive"):
            zip_hashes(target)


def test_random_corruption_never_escapes_as_a_traceback(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "terraform/vectors/fs-mirror-packed/example.com/acme/withdir"
    data = (src / "terraform-provider-withdir_0.1.0_linux_amd64.zip").read_bytes()
    rnd = random.Random(1234)
    target = tmp_path / "flip.zip"
    for _ in range(400):
        mutated = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            mutated[rnd.randrange(len(mutated))] = rnd.randrange(256)
        target.write_bytes(bytes(mutated))
        with contextlib.suppress(DepguardError):
            zip_hashes(target)


# ----------------------------------------------------------------------------- directories


def test_dir_h1_matches_extracted_vector(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "terraform/vectors/fs-mirror-packed/example.com/acme/withdir"
    archive = src / "terraform-provider-withdir_0.1.0_linux_amd64.zip"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "pkg")
    assert dir_h1(tmp_path / "pkg") == zip_hashes(archive).h1_lock
    # Terraform resolves a symlinked package directory first.
    (tmp_path / "link").symlink_to(tmp_path / "pkg")
    assert dir_h1(tmp_path / "link") == zip_hashes(archive).h1_lock


def test_dir_h1_symlinks_and_special_files(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "sub" / "real").write_bytes(b"content")
    (pkg / "alias").symlink_to(pkg / "sub" / "real")
    assert dir_h1(pkg) == _h1([(b"alias", b"content"), (b"sub/real", b"content")])

    (pkg / "dirlink").symlink_to(pkg / "sub")
    with pytest.raises(InputError, match="dirlink"):
        dir_h1(pkg)
    (pkg / "dirlink").unlink()

    os.mkfifo(pkg / "fifo")
    with pytest.raises(InputError, match="not a regular file"):
        dir_h1(pkg)
    (pkg / "fifo").unlink()

    (pkg / "new\nline").write_bytes(b"x")
    with pytest.raises(IntegrityError, match="contains a newline"):
        dir_h1(pkg)


def test_dir_h1_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        dir_h1(tmp_path / "nope")


# ----------------------------------------------------------------------------- parallel


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_hash_archives_matches_serial(corpus: Path, executor: str) -> None:
    paths = sorted((corpus / "terraform/vectors").rglob("*.zip"))
    assert len(paths) == 17
    result = hash_archives([*paths, paths[0]], workers=2, executor=executor)  # type: ignore[arg-type]
    assert list(result) == paths
    for path in paths:
        assert result[path] == zip_hashes(path)


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_hash_archives_reports_first_failure_in_order(tmp_path: Path, executor: str) -> None:
    good = std_zip(tmp_path / "good.zip", {"a": b"x"})
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(IntegrityError, match=r"bad\.zip"):
        hash_archives([good, bad, tmp_path / "missing.zip"], workers=2, executor=executor)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"missing\.zip"):
        hash_archives([tmp_path / "missing.zip", bad], workers=2, executor=executor)  # type: ignore[arg-type]


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_hash_archives_settled_keeps_each_error(tmp_path: Path, executor: str) -> None:
    good = std_zip(tmp_path / "good.zip", {"a": b"x"})
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    missing = tmp_path / "missing.zip"
    result = hash_archives_settled([bad, good, missing], workers=2, executor=executor)  # type: ignore[arg-type]
    assert list(result) == [bad, good, missing]
    assert isinstance(result[bad], IntegrityError)
    assert "bad.zip: corrupt zip archive" in str(result[bad])
    assert isinstance(result[missing], InputError)
    assert str(result[missing]).startswith(f"{missing}: cannot read")
    assert result[good] == zip_hashes(good)


def test_hash_archives_uses_known_sha256(tmp_path: Path) -> None:
    path = std_zip(tmp_path / "a.zip", {"a": b"x"})
    result = hash_archives([path], sha256s={path: "cd" * 32})
    assert result[path].zh == "zh:" + "cd" * 32
