"""Provider archives: ``zip_hashes`` (``h1:``/``zh:`` of a zip) and its zip limits.

Contract (``depguard.verify.hashes.zip_hashes``): returns ``ZipHashes`` or raises
``IntegrityError`` (corrupt, truncated, over the limits, bad sizes or CRC, encrypted,
unsupported method, unsafe names) or ``InputError`` (unreadable) — for random bytes, mutated
zips and zip bombs alike, in bounded time and memory. For a plain archive of regular files
``h1_lock == h1_zip == dir_h1(extracted)`` and ``zh`` is the SHA-256 of the bytes.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from itertools import count
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depguard.errors import InputError, IntegrityError
from depguard.verify.hashes import ZipLimits, dir_h1, zip_hashes
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import EXAMPLE, mutated_bytes

pytestmark = pytest.mark.fuzz

_counter = count()
SAFE_NAMES = st.from_regex(
    r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}){0,2}", fullmatch=True
).filter(lambda n: ".." not in n.split("/"))
ODD_NAMES = st.sampled_from(
    ("../evil", "/abs", "C:/win", "a/./b", "dir/", "a\\b", "x\nnewline", "é/ü.txt", "a//b", ".", "")
)
MODES = st.sampled_from((0o100644 << 16, 0o100755 << 16, 0o40755 << 16 | 0x10, 0o120777 << 16, 0))
SMALL_LIMITS = ZipLimits(
    max_entries=8, max_central_directory=4096, max_total_uncompressed=1 << 20, ratio_floor=1024
)


@st.composite
def zips(
    draw: st.DrawFn, names: st.SearchStrategy[str] = SAFE_NAMES | ODD_NAMES, plain: bool = False
) -> bytes:
    """A zip built with ``zipfile``: stored/deflated entries, Unix/DOS modes, directory
    entries, duplicate and unsafe names (``plain``: regular Unix files only)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we want
        with zipfile.ZipFile(buf, "w") as zf:
            for _ in range(draw(st.integers(0, 5))):
                info = zipfile.ZipInfo(draw(names) or "x", date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = draw(
                    st.sampled_from((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))
                )
                info.create_system = 3 if plain else draw(st.sampled_from((3, 0, 19, 11)))
                info.external_attr = (0o100644 << 16) if plain else draw(MODES)
                data = draw(st.binary(max_size=64) | st.sampled_from((b"\0" * 5000, b"ab" * 300)))
                zf.writestr(info, b"" if info.filename.endswith("/") else data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zips")


def _write(workdir: Path, data: bytes) -> Path:
    path = workdir / f"archive-{next(_counter)}.zip"
    path.write_bytes(data)
    return path


def _check(workdir: Path, data: bytes, limits: ZipLimits | None = None) -> None:
    path = _write(workdir, data)
    try:
        kwargs = {} if limits is None else {"limits": limits}
        result = outcome(
            zip_hashes, path, raises=(IntegrityError, InputError), err_path=str(path), **kwargs
        )
        if result.value is not None:
            hashes = result.value
            assert hashes.zh == "zh:" + hashlib.sha256(data).hexdigest()
            assert hashes.h1_lock.startswith("h1:") and hashes.h1_zip.startswith("h1:")
            assert not hashes.has_dir_entries or hashes.entries >= 1
    finally:
        path.unlink()


@given(data=zips(names=SAFE_NAMES.filter(lambda n: not n.endswith("/")), plain=True))
def test_plain_archives_hash_like_their_extraction(workdir: Path, data: bytes) -> None:
    """No directory entries, no duplicates: both h1 variants are Terraform's HashDir of the
    extracted files (research/terraform-lock.md §3)."""
    path = _write(workdir, data)
    target = workdir / f"x-{next(_counter)}"
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist()]
        parents = {"/".join(n.split("/")[:i]) for n in names for i in range(1, n.count("/") + 1)}
        result = outcome(zip_hashes, path, raises=(IntegrityError,))
        if parents & set(names):  # a file where extraction needs a directory
            assert isinstance(result.error, IntegrityError), "extraction would fail"
            return
        assert result.value is not None
        if len(set(names)) == len(names):
            target.mkdir()
            with zipfile.ZipFile(path) as zf:
                zf.extractall(target)
            assert result.value.h1_lock == result.value.h1_zip == dir_h1(target)
    finally:
        path.unlink()


@given(data=zips())
def test_generated_archives(workdir: Path, data: bytes) -> None:
    _check(workdir, data)
    _check(workdir, data, SMALL_LIMITS)


@given(data=mutated_bytes(zips(), max_steps=4))
def test_mutated_archives(workdir: Path, data: bytes) -> None:
    _check(workdir, data)


@given(
    data=mutated_bytes(
        st.sampled_from([p.read_bytes() for p in sorted((EXAMPLE / "upstream").rglob("*.zip"))])
    )
)
def test_mutated_example_provider_archives(workdir: Path, data: bytes) -> None:
    _check(workdir, data)


@given(
    data=st.binary(max_size=300)
    | st.binary(max_size=40).map(lambda b: b"PK\x05\x06" + b + b"PK\x03\x04")
)
def test_random_bytes(workdir: Path, data: bytes) -> None:
    _check(workdir, data)


def _bomb(size: int, entries: int = 1) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(entries):
            zf.writestr(f"f{i}", b"\0" * size)
    return buf.getvalue()


@given(
    data=st.sampled_from((_bomb(4 << 20), _bomb(2048, entries=20), _bomb(200_000))).flatmap(
        lambda b: st.just(b) | mutated_bytes(st.just(b), max_steps=2)
    )
)
def test_bombs_are_refused_under_small_limits(workdir: Path, data: bytes) -> None:
    path = _write(workdir, data)
    try:
        result = outcome(zip_hashes, path, limits=SMALL_LIMITS, raises=(IntegrityError, InputError))
        if result.value is not None:
            assert result.value.uncompressed_size <= SMALL_LIMITS.max_total_uncompressed
            assert result.value.entries <= SMALL_LIMITS.max_entries
    finally:
        path.unlink()


@pytest.fixture(scope="module")
def corpus_zips(corpus: Path) -> list[bytes]:
    found = [p.read_bytes() for p in sorted(corpus.rglob("*.zip")) if p.stat().st_size < 1 << 20]
    if not found:
        pytest.skip("the corpus has no zips")
    return found


@given(data=st.data())
def test_mutated_corpus_archives(
    workdir: Path, corpus_zips: list[bytes], data: st.DataObject
) -> None:
    _check(workdir, data.draw(mutated_bytes(st.sampled_from(corpus_zips), max_steps=4)))
