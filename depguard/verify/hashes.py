"""Terraform provider package hashes: ``zh:`` and ``h1:``, streaming, safe and parallel.

What Terraform does (research/terraform-lock.md §3; hashicorp/terraform
``internal/getproviders/hash.go``; golang.org/x/mod ``sumdb/dirhash/hash.go``):

* ``zh:`` is the lower-case hex SHA-256 of the distribution ``.zip`` bytes
  (``PackageHashLegacyZipSHA``).
* ``h1:`` is ``dirhash.Hash1``: sort the file names bytewise, write one
  ``"%x  %s\\n"`` line (hex SHA-256 of the content, two spaces, name) per file into an
  outer SHA-256, and return ``"h1:" + base64.StdEncoding(digest)``. Names containing a
  newline are an error.
* Terraform *records* ``h1:`` over the **extracted** package directory
  (``dirhash.HashDir``: regular files only), but *verifies* archives with
  ``dirhash.HashZip``, which lists every zip entry, directory entries (``dir/``, read as
  empty) included. Both values are therefore legitimate for an archive; they differ only
  when the zip has directory entries (§3.2, reproduced with Terraform in §12.4).

This module computes both from one pass over the archive (:func:`zip_hashes`):
``h1_lock`` (what extraction + ``HashDir`` would give, what Terraform writes into lock
files) and ``h1_zip`` (``HashZip``, accepted when verifying). It never reads a whole entry
into memory: each entry is inflated in bounded chunks straight into SHA-256 and CRC-32.

Zip handling is deliberately stricter than Go's ``archive/zip`` where leniency could be
abused (DESIGN §4 "fail closed"): declared sizes and compression ratios are bounded before
anything is inflated (zip bombs), an entry may not inflate to more or fewer bytes than
declared, CRC-32 is checked, encrypted entries and compression methods other than
stored/deflate (the only ones Go reads) are refused, and names that would escape or
confuse extraction (absolute paths, ``..`` components, NUL bytes) are refused.

No network I/O; the only file I/O is reading the archive or directory being hashed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from depguard.errors import DepguardError, InputError, IntegrityError

__all__ = [
    "DEFAULT_LIMITS",
    "EMPTY_SHA256",
    "ZipHashes",
    "ZipLimits",
    "dir_h1",
    "h1_from_summary",
    "h1_summary",
    "hash_archives",
    "hash_archives_settled",
    "sha256_file",
    "zip_hashes",
]

log = logging.getLogger(__name__)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_HEX64 = re.compile(r"[0-9a-f]{64}")
_READ_CHUNK = 256 * 1024  # compressed bytes read per call
_INFLATE_CHUNK = 1024 * 1024  # max bytes inflated per zlib call (bounds memory)
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # APPNOTE 4.3.7, 30 bytes
_LOCAL_MAGIC = b"PK\x03\x04"
_FLAG_ENCRYPTED = 0x1
_FLAG_UTF8 = 0x800
# Go's archive/zip FileHeader.Mode() (creator system → how the mode bits are read).
_CREATOR_UNIX = (3, 19)  # Unix, macOS
_CREATOR_MSDOS = (0, 11, 14)  # FAT, NTFS, VFAT
_MSDOS_DIR = 0x10


@dataclass(frozen=True, slots=True, kw_only=True)
class ZipLimits:
    """Bounds applied to an archive *before* anything is inflated.

    The defaults leave ample room for the largest real providers (hashicorp/aws ships a
    ~700 MB binary compressed about 5:1) while stopping zip bombs immediately.
    """

    max_entries: int = 10_000
    max_central_directory: int = 8 * 1024 * 1024  # bytes; parsed before any entry count
    max_total_uncompressed: int = 4 * 1024**3
    max_entry_ratio: int = 100  # uncompressed / compressed, for entries above ratio_floor
    ratio_floor: int = 1024 * 1024  # small files (text) may compress better than that

    def __post_init__(self) -> None:
        numbers = (
            self.max_entries,
            self.max_central_directory,
            self.max_total_uncompressed,
            self.max_entry_ratio,
        )
        if min(numbers) <= 0:
            raise ValueError("zip limits must be positive")


DEFAULT_LIMITS = ZipLimits()


@dataclass(frozen=True, slots=True, kw_only=True)
class ZipHashes:
    """Hashes of one provider archive plus what depguard noticed while computing them.

    ``h1_lock`` is what Terraform records in lock files (``HashDir`` of the extracted
    package); ``h1_zip`` is ``dirhash.HashZip`` of the archive, which Terraform also
    accepts when verifying an archive. They are equal unless ``has_dir_entries``.
    """

    path: str
    zh: str
    h1_lock: str
    h1_zip: str
    entries: int
    uncompressed_size: int
    has_dir_entries: bool = False
    duplicate_names: tuple[str, ...] = ()
    non_utf8_names: tuple[str, ...] = ()
    lock_summary: bytes = field(default=b"", repr=False)
    zip_summary: bytes = field(default=b"", repr=False)

    @property
    def sha256(self) -> str:
        """The lower-case hex SHA-256 of the archive bytes (``zh`` without its scheme)."""
        return self.zh.removeprefix("zh:")

    def acceptable_hashes(self) -> frozenset[str]:
        """Return every hash string Terraform would accept for this archive."""
        return frozenset({self.zh, self.h1_lock, self.h1_zip})


# --------------------------------------------------------------------------- h1 core


def h1_summary(lines: Iterable[tuple[bytes, str]]) -> bytes:
    """Return the ``dirhash.Hash1`` pre-image for ``(name bytes, hex sha256)`` pairs.

    Names are sorted bytewise (Go ``sort.Strings``); each line is ``"%x  %s\\n"``.
    Duplicates are kept (``HashZip`` lists a repeated name twice).

    Raises:
        ValueError: a name contains a newline (dirhash: "filenames with newlines are
            not supported"); callers check earlier and raise ``IntegrityError``.
    """
    out = bytearray()
    for name, hexdigest in sorted(lines, key=lambda item: item[0]):
        if b"\n" in name:
            raise ValueError(f"file name with a newline: {name!r}")
        out += hexdigest.encode("ascii") + b"  " + name + b"\n"
    return bytes(out)


def h1_from_summary(summary: bytes) -> str:
    """Return ``"h1:" + base64(sha256(summary))`` (standard alphabet, padded)."""
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode("ascii")


def sha256_file(path: Path) -> str:
    """Return the lower-case hex SHA-256 of a file, read in chunks.

    Raises:
        InputError: the file cannot be read.
    """
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(_INFLATE_CHUNK):
                h.update(chunk)
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from e
    return h.hexdigest()


# --------------------------------------------------------------------------- zip


def _display(name: bytes) -> str:
    return name.decode("utf-8", "backslashreplace")


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    # research §3.3 step 1: zipfile decodes names as CP437 unless flag bit 0x800 (UTF-8)
    # is set; re-encoding gives back the exact bytes Go hashes. ``orig_filename`` is the
    # name before zipfile cuts it at a NUL byte.
    encoding = "utf-8" if info.flag_bits & _FLAG_UTF8 else "cp437"
    return info.orig_filename.encode(encoding)


def _is_dir(info: zipfile.ZipInfo, raw: bytes) -> bool:
    """Mirror Go's ``FileHeader.Mode().IsDir()``, which go-getter uses when extracting."""
    if raw.endswith(b"/"):
        return True
    if info.create_system in _CREATOR_UNIX:
        return stat.S_ISDIR(info.external_attr >> 16)
    if info.create_system in _CREATOR_MSDOS:
        return bool(info.external_attr & _MSDOS_DIR)
    return False


def _extracted_path(raw: bytes, where: str) -> bytes:
    """Return where go-getter's ZipDecompressor would write ``raw`` (relative, cleaned).

    go-getter refuses ``..`` components (split on ``/`` and ``\\``) and joins the rest
    with ``filepath.Join``, which drops empty and ``.`` components. depguard also refuses
    absolute names and NUL bytes outright: no legitimate provider archive has them.
    """
    if b"\x00" in raw:
        raise IntegrityError(f"{where}: entry name {_display(raw)!r} contains a NUL byte")
    if raw.startswith((b"/", b"\\")) or re.match(rb"[A-Za-z]:", raw):
        raise IntegrityError(f"{where}: entry {_display(raw)!r} has an absolute path")
    if b".." in re.split(rb"[/\\]", raw):
        raise IntegrityError(f"{where}: entry {_display(raw)!r} contains a '..' component")
    return b"/".join(part for part in raw.split(b"/") if part not in (b"", b"."))


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, APPNOTE 4.3.16
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # APPNOTE 4.3.15
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # APPNOTE 4.3.14


def _check_directory(path: Path, where: str, limits: ZipLimits) -> None:
    """Bound the central directory *before* ``zipfile`` parses it into memory.

    zipfile builds one ``ZipInfo`` per entry while walking the whole central directory,
    so a crafted archive with millions of tiny entries would exhaust memory before the
    entry-count limit could be applied. The end record states both numbers up front.
    A missing or garbled end record is left to zipfile, which rejects it.
    """
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            tail_len = min(size, _EOCD.size + 0xFFFF)  # the record plus a maximal comment
            f.seek(size - tail_len)
            tail = f.read(tail_len)
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or at + _EOCD.size > len(tail):
                return
            fields = _EOCD.unpack_from(tail, at)
            entries, directory_size = fields[4], fields[5]
            if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and at >= _ZIP64_LOCATOR.size:
                magic, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, at - _ZIP64_LOCATOR.size)
                if magic == b"PK\x06\x07" and offset < size:
                    f.seek(offset)
                    record = f.read(_ZIP64_EOCD.size)
                    if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
                        zip64 = _ZIP64_EOCD.unpack(record)
                        entries, directory_size = zip64[7], zip64[8]
    except OSError as e:
        raise InputError(where, f"cannot read: {e.strerror or e}") from e
    if entries > limits.max_entries:
        raise IntegrityError(
            f"{where}: zip archive has {entries} entries (limit {limits.max_entries})"
        )
    if directory_size > limits.max_central_directory:
        raise IntegrityError(
            f"{where}: zip central directory is {directory_size} bytes "
            f"(limit {limits.max_central_directory})"
        )


def _corrupt(where: str, detail: str) -> IntegrityError:
    return IntegrityError(f"{where}: corrupt zip archive: {detail}")


def _check_limits(infos: Sequence[zipfile.ZipInfo], where: str, limits: ZipLimits) -> int:
    """Refuse bombs from the central directory alone, before inflating anything."""
    if len(infos) > limits.max_entries:
        raise IntegrityError(
            f"{where}: zip archive has {len(infos)} entries (limit {limits.max_entries})"
        )
    total = 0
    for info in infos:
        total += info.file_size
        if total > limits.max_total_uncompressed:
            raise IntegrityError(
                f"{where}: zip archive declares more than "
                f"{limits.max_total_uncompressed} uncompressed bytes (zip bomb?)"
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_entry_ratio * max(
            info.compress_size, 1
        ):
            raise IntegrityError(
                f"{where}: entry {info.filename!r} inflates {info.compress_size} bytes to "
                f"{info.file_size} (ratio above {limits.max_entry_ratio}; zip bomb?)"
            )
    return total


def _hash_entry(f: BinaryIO, info: zipfile.ZipInfo, raw: bytes, where: str) -> str:
    """Stream one entry's data through inflate, SHA-256 and CRC-32; return the hex digest.

    The local header must exist and name the same entry as the central directory, the
    data must inflate to exactly the declared size, and the CRC-32 must match — Go's
    ``checksumReader`` enforces size and CRC too; the name check is Python zipfile's.
    """
    label = f"entry {_display(raw)!r}"
    if info.flag_bits & _FLAG_ENCRYPTED:
        raise IntegrityError(f"{where}: {label} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise IntegrityError(
            f"{where}: {label} uses compression method {info.compress_type} "
            "(Terraform reads only stored and deflated entries)"
        )
    f.seek(info.header_offset)
    header = f.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        raise _corrupt(where, f"{label}: bad local header")
    name_len, extra_len = _LOCAL_HEADER.unpack(header)[-2:]
    if f.read(name_len) != raw:
        raise _corrupt(where, f"{label}: local header names a different file")
    f.seek(extra_len, os.SEEK_CUR)

    sha = hashlib.sha256()
    crc = 0
    produced = 0
    left = info.compress_size
    expected = info.file_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    if inflater is None and left != expected:
        raise _corrupt(where, f"{label}: stored entry sizes differ")
    while left > 0:
        chunk = f.read(min(left, _READ_CHUNK))
        if not chunk:
            raise _corrupt(where, f"{label}: truncated")
        left -= len(chunk)
        if inflater is None:
            data = chunk
        else:
            try:
                data = inflater.decompress(chunk, _INFLATE_CHUNK)
            except zlib.error as e:
                raise _corrupt(where, f"{label}: {e}") from e
        while True:
            produced += len(data)
            if produced > expected:
                raise _corrupt(where, f"{label}: inflates to more than {expected} bytes")
            sha.update(data)
            crc = zlib.crc32(data, crc)
            if inflater is None or not inflater.unconsumed_tail:
                break
            try:
                data = inflater.decompress(inflater.unconsumed_tail, _INFLATE_CHUNK)
            except zlib.error as e:
                raise _corrupt(where, f"{label}: {e}") from e
        if inflater is not None and inflater.eof:
            break  # trailing bytes after the final block are ignored, as by Go's flate
    if inflater is not None and not inflater.eof:
        raise _corrupt(where, f"{label}: deflate stream is truncated")
    if produced != expected:
        raise _corrupt(where, f"{label}: inflates to {produced} bytes, {expected} declared")
    if crc != info.CRC:
        raise _corrupt(where, f"{label}: CRC-32 mismatch ({crc:08x}, {info.CRC:08x} declared)")
    return sha.hexdigest()


def _open_zip(path: Path, where: str) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.infolist()
    except OSError as e:
        raise InputError(where, f"cannot read: {e.strerror or e}") from e
    except (zipfile.BadZipFile, EOFError, ValueError, struct.error, NotImplementedError) as e:
        # ValueError includes UnicodeDecodeError (UTF-8 flag set on a non-UTF-8 name).
        raise _corrupt(where, str(e) or type(e).__name__) from e


def zip_hashes(
    path: Path | str,
    *,
    sha256: str | None = None,
    limits: ZipLimits = DEFAULT_LIMITS,
) -> ZipHashes:
    """Compute ``zh``, ``h1_lock`` and ``h1_zip`` of a provider archive.

    ``sha256`` is the archive's hex SHA-256 when the caller already has it (for example
    computed while downloading); it then is not read a second time for ``zh``.

    Duplicate names: ``HashZip`` lists every occurrence, each hashed with the content of
    the *last* entry of that name (Go keeps entries in a map); extraction writes entries
    in order, so the extracted file — and ``h1_lock`` — also has the last entry's
    content (hashicorp/go-getter ``decompress_zip.go``, which Terraform's installer uses,
    truncates and rewrites). Both variants are computed that way, and the names are
    reported in ``duplicate_names`` (research §3.2, §3.3 step 3). Names that extraction
    cleans to the same path (``./a`` and ``a``) are duplicates for ``h1_lock`` too.

    Returns:
        The archive's :class:`ZipHashes`.

    Raises:
        InputError: the file cannot be read.
        IntegrityError: the archive is corrupt or truncated, exceeds ``limits``, has an
            entry whose size or CRC-32 does not match, an encrypted entry, an unsupported
            compression method, a name with a newline, an absolute or ``..`` name, or
            entries that extraction could not write (a file where a directory is needed).
    """
    path = Path(path)
    where = str(path)
    if sha256 is not None and not _HEX64.fullmatch(sha256):
        raise ValueError(f"sha256 must be 64 lower-case hex digits, got {sha256!r}")

    # 1. Central directory (its size bounded first), then the limits — nothing is inflated
    #    before both pass.
    _check_directory(path, where, limits)
    infos = _open_zip(path, where)
    total = _check_limits(infos, where, limits)

    # 2. Names: raw bytes (research §3.3 step 1), newline check (dirhash.Hash1), and the
    #    path each entry would be extracted to (go-getter ZipDecompressor).
    raws = [_raw_name(info) for info in infos]
    for raw in raws:
        if b"\n" in raw:
            raise IntegrityError(f"{where}: entry name {_display(raw)!r} contains a newline")
    is_dir = [_is_dir(info, raw) for info, raw in zip(infos, raws, strict=True)]
    extracted = [_extracted_path(raw, where) for raw in raws]

    last_by_raw: dict[bytes, int] = {}
    last_by_path: dict[bytes, int] = {}
    dirs: set[bytes] = set()
    raw_counts: dict[bytes, int] = {}
    path_counts: dict[bytes, int] = {}
    for i, (raw, target) in enumerate(zip(raws, extracted, strict=True)):
        last_by_raw[raw] = i
        raw_counts[raw] = raw_counts.get(raw, 0) + 1
        parts = target.split(b"/") if target else []
        dirs.update(b"/".join(parts[:n]) for n in range(1, len(parts)))  # implied parents
        if is_dir[i]:
            if target:
                dirs.add(target)
            continue
        if not target:
            raise IntegrityError(f"{where}: entry {_display(raw)!r} names no file")
        last_by_path[target] = i
        path_counts[target] = path_counts.get(target, 0) + 1
    for target in last_by_path:
        if target in dirs:
            raise IntegrityError(
                f"{where}: entry {_display(target)!r} is both a file and a directory "
                "(extraction would fail)"
            )

    # 3. Content: every non-directory entry is inflated once (CRC checked), and a
    #    directory entry ending in "/" reads as empty, as Go's File.Open does; one that
    #    declares data fails there ("zip: not a valid zip file"), so it fails here.
    digests: dict[int, str] = {}
    try:
        with path.open("rb") as f:
            for i, (info, raw) in enumerate(zip(infos, raws, strict=True)):
                if raw.endswith(b"/"):
                    if info.file_size != 0:
                        raise _corrupt(where, f"directory entry {_display(raw)!r} has data")
                    digests[i] = EMPTY_SHA256
                else:
                    digests[i] = _hash_entry(f, info, raw, where)
    except OSError as e:
        raise InputError(where, f"cannot read: {e.strerror or e}") from e

    # 4. The two h1 variants and zh (research §3.3 steps 4-8).
    zip_summary = h1_summary((raw, digests[last_by_raw[raw]]) for raw in raws)
    lock_summary = h1_summary((p, digests[i]) for p, i in last_by_path.items())
    zh_hex = sha256 if sha256 is not None else sha256_file(path)

    duplicates = {_display(r) for r, n in raw_counts.items() if n > 1}
    duplicates |= {_display(p) for p, n in path_counts.items() if n > 1}
    non_utf8 = set()
    for raw in raws:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            non_utf8.add(_display(raw))
    log.debug("%s: %d entries, %d bytes uncompressed", where, len(infos), total)
    return ZipHashes(
        path=where,
        zh="zh:" + zh_hex,
        h1_lock=h1_from_summary(lock_summary),
        h1_zip=h1_from_summary(zip_summary),
        entries=len(infos),
        uncompressed_size=total,
        has_dir_entries=any(is_dir),
        duplicate_names=tuple(sorted(duplicates)),
        non_utf8_names=tuple(sorted(non_utf8)),
        lock_summary=lock_summary,
        zip_summary=zip_summary,
    )


# --------------------------------------------------------------------------- directories


def dir_h1(path: Path | str) -> str:
    """Return ``dirhash.HashDir(path, "", Hash1)`` of an unpacked provider directory.

    Mirrors Go's ``filepath.Walk`` + ``DirFiles``: every non-directory entry (by
    ``lstat``) is listed under its ``/``-joined relative path, symlinks included and read
    through the link; the directory itself is resolved first, as Terraform's
    ``PackageHashV1`` does with ``EvalSymlinks``. Go would block on a FIFO; depguard
    refuses special files instead.

    Returns:
        The ``h1:`` string.

    Raises:
        InputError: the directory or a file in it cannot be read (a symlink to a
            directory or a dangling symlink included — Go fails on them too).
        IntegrityError: a file name contains a newline.
    """
    root = Path(path)
    where = str(root)
    try:
        root = root.resolve(strict=True)
    except OSError as e:
        raise InputError(where, f"cannot read: {e.strerror or e}") from e
    lines: list[tuple[bytes, str]] = []
    pending: list[tuple[Path, bytes]] = [(root, b"")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as e:
            raise InputError(str(directory), f"cannot list: {e.strerror or e}") from e
        for entry in entries:
            name = prefix + os.fsencode(entry.name)
            if b"\n" in name:
                raise IntegrityError(f"{where}: file name {_display(name)!r} contains a newline")
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as e:
                raise InputError(entry.path, f"cannot read: {e.strerror or e}") from e
            if stat.S_ISDIR(mode):
                pending.append((Path(entry.path), name + b"/"))
            elif stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                lines.append((name, sha256_file(Path(entry.path))))
            else:
                raise InputError(entry.path, "is not a regular file, directory or symlink")
    return h1_from_summary(h1_summary(lines))


# --------------------------------------------------------------------------- parallel


def _hash_one(path: Path, sha256: str | None, limits: ZipLimits) -> ZipHashes | DepguardError:
    try:
        return zip_hashes(path, sha256=sha256, limits=limits)
    except DepguardError as e:  # returned, not raised: one bad archive must not hide others
        return e


@dataclass(frozen=True, slots=True)
class _Failure:
    """A picklable stand-in for an error raised in a worker process.

    ``InputError`` takes ``(path, message)``, so the default exception pickling (which
    replays ``args``) cannot rebuild it in the parent; this record can.
    """

    kind: type[DepguardError]
    path: str
    message: str
    hint: str | None

    @classmethod
    def of(cls, error: DepguardError) -> _Failure:
        if isinstance(error, InputError):
            return cls(InputError, error.path, error.reason, error.hint)
        return cls(type(error), "", error.message, error.hint)

    def error(self) -> DepguardError:
        if issubclass(self.kind, InputError):
            return InputError(self.path, self.message, hint=self.hint)
        return self.kind(self.message, hint=self.hint)


def _hash_in_process(path: Path, sha256: str | None, limits: ZipLimits) -> ZipHashes | _Failure:
    result = _hash_one(path, sha256, limits)
    return _Failure.of(result) if isinstance(result, DepguardError) else result


def _settle(result: ZipHashes | _Failure | DepguardError) -> ZipHashes | DepguardError:
    return result.error() if isinstance(result, _Failure) else result


def hash_archives_settled(
    paths: Iterable[Path | str],
    *,
    workers: int | None = None,
    sha256s: Mapping[Path, str] | None = None,
    limits: ZipLimits = DEFAULT_LIMITS,
    executor: Literal["thread", "process"] = "thread",
) -> dict[Path, ZipHashes | DepguardError]:
    """Hash many archives in parallel; each result is its hashes or its error.

    ``workers`` defaults to ``os.cpu_count()``. Threads are the default: zlib's inflate,
    hashlib's SHA-256 and ``zlib.crc32`` all release the GIL on large buffers, so threads
    scale like processes here without process start-up or pickling cost (measured by
    ``python -m tests.benchmarks.bench_hashes``; numbers in its docstring).
    ``executor="process"`` uses a process pool (``forkserver`` where available, never a
    bare ``fork`` of a possibly multi-threaded parent).

    Returns:
        ``{path: ZipHashes or the InputError/IntegrityError of that archive}`` for every
        distinct path, in input order.
    """
    unique = list(dict.fromkeys(Path(p) for p in paths))
    known = sha256s or {}
    n = max(1, min(workers or os.cpu_count() or 1, len(unique)))
    if n == 1:
        return {p: _hash_one(p, known.get(p), limits) for p in unique}
    pool: Executor
    task: Callable[[Path, str | None, ZipLimits], ZipHashes | _Failure | DepguardError]
    if executor == "process":
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        pool, task = ProcessPoolExecutor(max_workers=n, mp_context=ctx), _hash_in_process
    else:
        pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="depguard-hash")
        task = _hash_one
    with pool:
        futures = [pool.submit(task, p, known.get(p), limits) for p in unique]
        return {p: _settle(fut.result()) for p, fut in zip(unique, futures, strict=True)}


def hash_archives(
    paths: Iterable[Path | str],
    *,
    workers: int | None = None,
    sha256s: Mapping[Path, str] | None = None,
    limits: ZipLimits = DEFAULT_LIMITS,
    executor: Literal["thread", "process"] = "thread",
) -> dict[Path, ZipHashes]:
    """Hash many archives in parallel (see :func:`hash_archives_settled`).

    Returns:
        ``{path: ZipHashes}`` for every distinct path, in input order.

    Raises:
        InputError, IntegrityError: as :func:`zip_hashes`, for the first failing archive
            in input order (every archive is hashed first).
    """
    settled = hash_archives_settled(
        paths, workers=workers, sha256s=sha256s, limits=limits, executor=executor
    )
    hashed: dict[Path, ZipHashes] = {}
    for path, result in settled.items():
        if isinstance(result, DepguardError):
            raise result
        hashed[path] = result
    return hashed
