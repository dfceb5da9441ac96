"""Resource bounds (issue #7 item 4): hostile inputs cost bounded memory and time and end in a
clear :class:`~depguard.errors.DepguardError`, never a ``RecursionError``, ``MemoryError`` or an
"internal error" traceback.

* Hashing a 1 GiB provider zip streams: the peak RSS of a child process hashing it (with
  :func:`~depguard.verify.hashes.zip_hashes`, and through ``depguard lock --fs-mirror``) is
  within a few MiB of the peak for a 10 MiB zip. Marked ``slow`` but kept in the normal run
  (12-22 s here; it writes 1 GiB to ``tmp_path`` and deletes it, and skips with a reason when
  the disk has less than 3 GB free or there is no ``/proc/self/status``).
* Zip bombs and malformed archives under the *default* limits (:class:`ZipLimits`, the policy's
  ``limits.max_zip_uncompressed_bytes``) are refused quickly, both by the hasher (the message
  names the archive and the limit) and end to end by ``lock --fs-mirror`` (a critical finding
  naming the provider, no lock file written). Symlink entries, duplicate names and nested zips
  are *not* refused: they are hashed exactly as Terraform extracts them, and never followed or
  opened — those tests pin that behaviour.
* Deep nesting and alias bombs in every loader (YAML, JSON, JSON5, HCL, lock files) are refused
  with an ``InputError``/``ConfigError`` naming the file, or (for the iterative HCL scanner) read
  in linear time — also where a recursive parser (``json.loads``, PyYAML's composer, the lock
  file's value parser) hits Python's recursion limit: that is turned into a clear error, in the
  loader table and end to end through the CLI. A case with a ``gap`` reason would be a strict
  xfail (none is left).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from depguard.errors import ConfigError, DepguardError, InputError, IntegrityError
from depguard.verify.hashes import DEFAULT_LIMITS, zip_hashes
from tests.support.cli import CliResult, run_cli
from tests.support.prrepo import build_pr_repo

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"
MiB = 1024 * 1024
GiB = 1024 * MiB
PROVIDER = "example.com/acme/big"
BINARY = "terraform-provider-big_v1.0.0"
ZIP_NAME = "terraform-provider-big_1.0.0_linux_amd64.zip"
FAST = 5.0  # seconds: every refusal here takes milliseconds; this only catches blow-ups


def _h1(files: list[tuple[bytes, str]]) -> str:
    """Independent ``dirhash.Hash1`` over ``(name, hex sha256)`` pairs (research §3.2)."""
    summary = b"".join(f"{digest}  ".encode() + name + b"\n" for name, digest in sorted(files))
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------ a provider mirror


def _mirror_repo(root: Path, *, config_extra: str = "") -> tuple[Path, Path, Path]:
    """``(config, mirror zip path, stack)``: a stack requiring ``example.com/acme/big`` 1.0.0
    and a packed filesystem mirror to lock it from (offline, no signature needed)."""
    stack = root / "stack"
    stack.mkdir(parents=True)
    (stack / "main.tf").write_text(
        "terraform {\n  required_providers {\n    big = {\n"
        f'      source  = "{PROVIDER}"\n      version = "1.0.0"\n    }}\n  }}\n}}\n'
    )
    mirror_dir = root / "mirror" / PROVIDER
    mirror_dir.mkdir(parents=True)
    config = root / "depguard.yaml"
    config.write_text(
        "platforms: [linux_amd64]\n"
        f"{config_extra}"
        "trust:\n  terraform:\n    providers: ['example.com/acme/*']\n"
    )
    return config, mirror_dir / ZIP_NAME, stack


def _lock_from_mirror(config: Path, stack: Path) -> CliResult:
    mirror = stack.parent / "mirror"
    return run_cli(
        "--config", str(config), "--offline", "--format", "json",
        "lock", "--fs-mirror", str(mirror), str(stack),
    )  # fmt: skip


# ------------------------------------------------------------------------ memory: 1 GiB zip


def _write_provider_zip(path: Path, size: int) -> str:
    """Stream a provider zip with one ``size``-byte binary to ``path``; return its ``h1:``.

    The content is a 1 MiB SHA-256 keystream with a block counter in front (no deflate
    window sees a repeat), written through deflate level 0: stored deflate blocks, so building
    is cheap while hashing still runs every byte through ``zlib`` inflate. Nothing larger than
    one block is ever held in memory here.
    """
    seed = hashlib.sha256(b"depguard resource bounds").digest()
    block = bytearray()
    while len(block) < MiB:
        seed = hashlib.sha256(seed).digest()
        block += seed
    content = hashlib.sha256()
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=0) as zf,
        zf.open(BINARY, "w", force_zip64=True) as out,
    ):
        left, counter = size, 0
        while left:
            chunk = (counter.to_bytes(8, "little") + block[8:])[: min(left, MiB)]
            out.write(chunk)
            content.update(chunk)
            left -= len(chunk)
            counter += 1
    return _h1([(BINARY.encode(), content.hexdigest())])


# Runs in a fresh interpreter and writes its own peak RSS. ``VmHWM`` (the high-water mark of
# this process's own address space, reset by execve) is used rather than ``ru_maxrss`` from
# ``wait4``/``RUSAGE_CHILDREN``: Linux carries ``maxrss`` over fork+exec, so every child of
# this pytest worker would report at least the worker's own RSS (measured: ~60 MiB for all).
_CHILD = """
import json, sys
from pathlib import Path

def vmhwm_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")

report, mode, *args = sys.argv[1:]
result = None
if mode == "zip_hashes":
    from depguard.verify.hashes import zip_hashes
    result = zip_hashes(args[0]).h1_lock
elif mode == "read_into_memory":  # the control: what a non-streaming hasher would cost
    result = len(Path(args[0]).open("rb").read(int(args[1])))
else:
    from depguard.cli import main
    if main(args) != 0:
        sys.exit("depguard failed")
Path(report).write_text(json.dumps({"result": result, "peak_kib": vmhwm_kib()}))
"""


@dataclass(frozen=True)
class _Child:
    result: Any
    peak_kib: int
    seconds: float


def _run_measured(tmp_path: Path, mode: str, *args: str) -> _Child:
    """Run ``mode`` in a child interpreter; return its result, own peak RSS and duration."""
    report = tmp_path / "child.json"
    report.unlink(missing_ok=True)
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(report), mode, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    doc = json.loads(report.read_text())
    return _Child(result=doc["result"], peak_kib=doc["peak_kib"], seconds=seconds)


@pytest.mark.slow
def test_hashing_a_gigabyte_zip_keeps_memory_flat(tmp_path: Path) -> None:
    if not Path("/proc/self/status").is_file():
        pytest.skip("peak RSS is read from /proc/self/status (VmHWM): Linux only")
    free = shutil.disk_usage(tmp_path).free
    if free < 3 * 10**9:
        pytest.skip(f"needs 3 GB free under {tmp_path} for a 1 GiB zip, has {free / 1e9:.1f} GB")
    peaks: dict[tuple[str, str], _Child] = {}
    zips: list[Path] = []
    try:
        for label, size in (("10MiB", 10 * MiB), ("1GiB", GiB)):
            config, archive, stack = _mirror_repo(tmp_path / label)
            zips.append(archive)
            built = time.monotonic()
            expected = _write_provider_zip(archive, size)
            print(f"{label}: zip built in {time.monotonic() - built:.1f}s")
            hashed = _run_measured(tmp_path, "zip_hashes", str(archive))
            assert hashed.result == expected  # every byte was read, and hashed correctly
            peaks[(label, "zip_hashes")] = hashed
            peaks[(label, "lock --fs-mirror")] = _run_measured(
                tmp_path, "cli", "--config", str(config), "--offline",
                "lock", "--fs-mirror", str(archive.parents[3]), str(stack),
            )  # fmt: skip
            assert f'"{expected}"' in (stack / ".terraform.lock.hcl").read_text()
        # the meter works: a child holding 64 MiB of the archive peaks above 64 MiB
        control = _run_measured(tmp_path, "read_into_memory", str(zips[-1]), str(64 * MiB))
    finally:
        for z in zips:
            z.unlink(missing_ok=True)  # do not leave 1 GiB behind in pytest's kept tmp dirs
    report = ", ".join(
        f"{label} {path}: {c.peak_kib / 1024:.1f} MiB in {c.seconds:.1f}s"
        for (label, path), c in peaks.items()
    )
    print(f"peak RSS: {report}; control (64 MiB read): {control.peak_kib / 1024:.1f} MiB")
    assert control.peak_kib > 64 * 1024, (control, report)
    for path in ("zip_hashes", "lock --fs-mirror"):
        small, big = peaks[("10MiB", path)], peaks[("1GiB", path)]
        assert big.peak_kib < 200 * 1024, report  # absolute bound: far below the archive
        # streaming: 100x the data may cost at most a few inflate/read buffers more
        assert big.peak_kib - small.peak_kib < 16 * 1024, report


# ------------------------------------------------------------------------ zip bombs


@dataclass
class Member:
    """One entry of a hand-built zip; every field can lie."""

    name: bytes
    data: bytes = b""
    method: int = zipfile.ZIP_DEFLATED
    raw: bytes | None = None  # compressed bytes to store instead of compressing ``data``
    crc: int | None = None  # default: CRC-32 of ``data``
    declared_size: int | None = None  # central directory's uncompressed size
    declared_compressed: int | None = None  # central directory's compressed size
    mode: int = stat.S_IFREG | 0o755  # Unix mode (creator system 3)
    local_name: bytes | None = None  # name in the local header
    local_offset: int | None = None  # central directory's pointer to the local header


def _build_zip(path: Path, members: list[Member], *, claimed_entries: int | None = None) -> Path:
    """Write a zip by hand (APPNOTE 4.3): local headers and data, the central directory (with
    a zip64 extra field when a declared size needs one), the end record."""
    body = bytearray()
    central = bytearray()
    for m in members:
        if m.raw is not None:
            stored = m.raw
        elif m.method == zipfile.ZIP_DEFLATED:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            stored = c.compress(m.data) + c.flush()
        else:
            stored = m.data
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        size = len(m.data) if m.declared_size is None else m.declared_size
        csize = len(stored) if m.declared_compressed is None else m.declared_compressed
        offset = len(body) if m.local_offset is None else m.local_offset
        local_name = m.name if m.local_name is None else m.local_name
        body += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 45, 0x800, m.method, 0, 0x21,
            crc, len(stored), min(size, 0xFFFFFFFF), len(local_name), 0,
        )  # fmt: skip
        body += local_name + stored
        extra = b""
        if size >= 0xFFFFFFFF:  # zip64: the real size lives in the extra field
            extra = struct.pack("<HHQ", 0x0001, 8, size)
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 45, 45, 0x800, m.method, 0, 0x21,
            crc, csize, min(size, 0xFFFFFFFF), len(m.name), len(extra), 0, 0, 0,
            m.mode << 16, offset,
        )  # fmt: skip
        central += m.name + extra
    count = len(members) if claimed_entries is None else claimed_entries
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """``size`` zero bytes deflated at level 9 (about 1000:1) and their CRC-32, streamed."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(MiB)
    parts, crc, left = [], 0, size
    while left:
        piece = chunk[: min(left, MiB)]
        parts.append(c.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    parts.append(c.flush())
    return b"".join(parts), crc


def _ratio_bomb(path: Path) -> Path:
    raw, crc = _deflated_zeros(100 * MiB)
    return _build_zip(path, [Member(BINARY.encode(), raw=raw, crc=crc, declared_size=100 * MiB)])


def _huge_declared(path: Path) -> Path:
    # zip64 extra field: 5 GiB declared, a few bytes stored; the total is checked first
    return _build_zip(path, [Member(BINARY.encode(), b"x" * 4096, declared_size=5 * GiB)])


def _many_members(path: Path) -> Path:
    n = DEFAULT_LIMITS.max_entries + 1
    return _build_zip(
        path, [Member(f"f{i:05}".encode(), method=zipfile.ZIP_STORED) for i in range(n)]
    )


def _huge_directory(path: Path) -> Path:
    # 9000 entries (under the count limit) whose 1000-byte names make the central directory
    # larger than 8 MiB: refused from the end record, before zipfile parses any of it
    names = [f"{i:05}-".encode() + b"n" * 994 for i in range(9000)]
    return _build_zip(path, [Member(n, method=zipfile.ZIP_STORED) for n in names])


def _lying_entry_count(path: Path) -> Path:
    return _build_zip(path, [Member(BINARY.encode(), b"#!/bin/sh\n")], claimed_entries=65000)


def _lie_smaller(path: Path) -> Path:
    # deflate data of 8 MiB of zeros, declared as 1000 bytes: inflation stops after 1000
    raw, crc = _deflated_zeros(8 * MiB)
    return _build_zip(path, [Member(BINARY.encode(), raw=raw, crc=crc, declared_size=1000)])


def _lie_larger(path: Path) -> Path:
    return _build_zip(path, [Member(BINARY.encode(), b"tiny", declared_size=5000)])


def _lie_stored_sizes(path: Path) -> Path:
    return _build_zip(
        path,
        [Member(BINARY.encode(), b"abcd", method=zipfile.ZIP_STORED, declared_compressed=2)],
    )


def _lie_beyond_the_file(path: Path) -> Path:
    # a stored entry whose declared sizes run past the end of the file
    member = Member(
        BINARY.encode(),
        b"a" * 100,
        method=zipfile.ZIP_STORED,
        declared_size=10**6,
        declared_compressed=10**6,
    )
    return _build_zip(path, [member])


def _lie_crc(path: Path) -> Path:
    return _build_zip(path, [Member(BINARY.encode(), b"#!/bin/sh\n", crc=0xDEADBEEF)])


def _lie_local_name(path: Path) -> Path:
    return _build_zip(path, [Member(BINARY.encode(), b"x", local_name=b"../../evil")])


def _lie_offset(path: Path) -> Path:
    return _build_zip(path, [Member(BINARY.encode(), b"x", local_offset=7)])


def _named(name: bytes) -> Callable[[Path], Path]:
    return lambda path: _build_zip(
        path, [Member(BINARY.encode(), b"#!/bin/sh\n"), Member(name, b"owned\n")]
    )


@dataclass(frozen=True)
class Bomb:
    id: str
    build: Callable[[Path], Path]
    message: str  # a fragment of the refusal: the limit or the declared value


BOMBS = [
    Bomb(
        "huge-declared-size", _huge_declared, f"more than {4 * GiB} uncompressed bytes (zip bomb?)"
    ),
    Bomb("ratio-100MiB-of-zeros", _ratio_bomb, "(ratio above 100; zip bomb?)"),
    Bomb("too-many-members", _many_members, "10001 entries (limit 10000)"),
    Bomb("huge-central-directory", _huge_directory, f"(limit {8 * MiB})"),
    Bomb("end-record-lies-about-count", _lying_entry_count, "65000 entries (limit 10000)"),
    Bomb("declared-smaller-than-inflated", _lie_smaller, "inflates to more than 1000 bytes"),
    Bomb("declared-larger-than-inflated", _lie_larger, "inflates to 4 bytes, 5000 declared"),
    Bomb("stored-sizes-differ", _lie_stored_sizes, "stored entry sizes differ"),
    Bomb("sizes-beyond-the-file", _lie_beyond_the_file, "truncated"),
    Bomb("crc-mismatch", _lie_crc, "CRC-32 mismatch"),
    Bomb("local-header-other-name", _lie_local_name, "local header names a different file"),
    Bomb("local-header-offset-wrong", _lie_offset, "bad local header"),
    Bomb("dotdot", _named(b"../x"), "contains a '..' component"),
    Bomb("dotdot-nested", _named(b"a/../../x"), "contains a '..' component"),
    Bomb("dotdot-backslash", _named(b"..\\x"), "contains a '..' component"),
    Bomb("dotdot-backslash-nested", _named(b"a\\..\\..\\x"), "contains a '..' component"),
    Bomb("absolute", _named(b"/etc/cron.d/x"), "has an absolute path"),
    Bomb("absolute-backslash", _named(b"\\Windows\\x"), "has an absolute path"),
    Bomb("drive-letter", _named(b"C:x"), "has an absolute path"),
    Bomb("drive-letter-backslash", _named(b"C:\\Windows\\x"), "has an absolute path"),
    Bomb("drive-letter-slash", _named(b"c:/x"), "has an absolute path"),
    Bomb("nul-byte", _named(b"x\x00.txt"), "contains a NUL byte"),
    Bomb("newline", _named(b"x\n.txt"), "contains a newline"),
]


def test_default_zip_limits_are_the_policy_defaults() -> None:
    from depguard.config.model import Limits

    assert DEFAULT_LIMITS.max_total_uncompressed == Limits().max_zip_uncompressed_bytes
    assert (DEFAULT_LIMITS.max_entries, DEFAULT_LIMITS.max_entry_ratio) == (10_000, 100)
    assert DEFAULT_LIMITS.max_central_directory == 8 * MiB


@pytest.mark.parametrize("bomb", BOMBS, ids=[b.id for b in BOMBS])
def test_zip_bombs_are_refused_by_the_hasher(tmp_path: Path, bomb: Bomb) -> None:
    archive = bomb.build(tmp_path / ZIP_NAME)
    start = time.monotonic()
    with pytest.raises(IntegrityError) as caught:
        zip_hashes(archive)
    assert time.monotonic() - start < FAST
    message = str(caught.value)
    assert message.startswith(f"{archive}: "), message  # names the archive
    assert bomb.message in message, message


@pytest.mark.parametrize("bomb", BOMBS, ids=[b.id for b in BOMBS])
def test_zip_bombs_are_refused_end_to_end(tmp_path: Path, bomb: Bomb) -> None:
    """``lock --fs-mirror``: a critical finding naming the provider and the reason (the
    archive's temporary path is left out so that fingerprints are stable); nothing written."""
    config, archive, stack = _mirror_repo(tmp_path)
    bomb.build(archive)
    start = time.monotonic()
    result = _lock_from_mirror(config, stack)
    assert time.monotonic() - start < FAST + 5
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    (finding,) = result.json()["findings"]
    assert finding["severity"] == "critical"
    assert finding["message"].startswith(f"{PROVIDER} 1.0.0 linux_amd64: "), finding
    assert bomb.message in finding["message"], finding
    assert not (stack / ".terraform.lock.hcl").exists()


def test_the_policy_zip_limit_is_enforced(tmp_path: Path) -> None:
    """``limits.max_zip_uncompressed_bytes`` in depguard.yaml reaches the hasher."""
    config, archive, stack = _mirror_repo(
        tmp_path, config_extra="limits: {max_zip_uncompressed_bytes: 1MiB}\n"
    )
    _build_zip(archive, [Member(BINARY.encode(), os.urandom(2 * MiB))])
    result = _lock_from_mirror(config, stack)
    assert result.code == 1, result.out + result.err
    (finding,) = result.json()["findings"]
    assert f"more than {MiB} uncompressed bytes (zip bomb?)" in finding["message"]
    # the same archive under the default limit is fine
    config.write_text(
        config.read_text().replace("limits: {max_zip_uncompressed_bytes: 1MiB}\n", "")
    )
    assert _lock_from_mirror(config, stack).code == 0


def _locked_h1(tmp_path: Path, members: list[Member]) -> str:
    config, archive, stack = _mirror_repo(tmp_path)
    _build_zip(archive, members)
    result = _lock_from_mirror(config, stack)
    assert result.code == 0, result.out + result.err
    text = (stack / ".terraform.lock.hcl").read_text()
    (line,) = [x for x in text.splitlines() if '"h1:' in x]
    return line.strip().strip('",')


def test_symlink_entries_are_hashed_as_files_never_followed(tmp_path: Path) -> None:
    """A symlink entry (Unix mode ``S_IFLNK``) is not refused: Terraform's ``safeUnzip`` writes
    it as a regular file holding the link text (hashicorp/terraform
    internal/providercache/safe_unzip.go), and depguard never extracts. Its h1 is that of the
    link *text*; the target (outside the archive) is never read."""
    target = tmp_path / "secret-outside"
    target.write_text("outside the archive\n")
    link = str(target).encode()
    members = [
        Member(BINARY.encode(), b"#!/bin/sh\n"),
        Member(b"escape", link, mode=stat.S_IFLNK | 0o777),
        Member(b"up", b"../../../../etc/passwd", mode=stat.S_IFLNK | 0o777),
    ]
    h1 = _locked_h1(tmp_path, members)
    assert h1 == _h1(
        [(BINARY.encode(), _sha(b"#!/bin/sh\n")), (b"escape", _sha(link)),
         (b"up", _sha(b"../../../../etc/passwd"))]
    )  # fmt: skip
    # a symlink entry whose *name* escapes is refused like any other entry
    archive = _build_zip(
        tmp_path / "bad.zip", [Member(b"../link", b"/etc/passwd", mode=stat.S_IFLNK | 0o777)]
    )
    with pytest.raises(IntegrityError, match=r"'\.\.' component"):
        zip_hashes(archive)


def test_duplicate_names_hash_like_terraform(tmp_path: Path) -> None:
    """Duplicate names are not refused: like Go (``HashZip`` keeps the last entry of a name in
    its map, extraction overwrites in order) both ``h1`` variants use the *last* entry's
    content, and the hasher lists the names in ``duplicate_names`` (research §3.2)."""
    members = [
        Member(BINARY.encode(), b"first, benign\n"),
        Member(BINARY.encode(), b"second, what Terraform installs\n"),
        Member(b"./LICENSE", b"a"),
        Member(b"LICENSE", b"b"),
    ]
    h1 = _locked_h1(tmp_path, members)
    assert h1 == _h1(
        [(BINARY.encode(), _sha(b"second, what Terraform installs\n")), (b"LICENSE", _sha(b"b"))]
    )
    hashes = zip_hashes(_build_zip(tmp_path / "dup.zip", members))
    assert hashes.duplicate_names == ("LICENSE", BINARY)
    last = _sha(b"second, what Terraform installs\n")
    assert hashes.h1_zip == _h1(
        [(BINARY.encode(), last), (BINARY.encode(), last), (b"./LICENSE", _sha(b"a")),
         (b"LICENSE", _sha(b"b"))]
    )  # fmt: skip


def test_a_nested_zip_bomb_is_opaque_bytes(tmp_path: Path) -> None:
    """A zip inside the provider zip (here: a 100 MiB ratio bomb) is hashed as the bytes it is;
    depguard — like Terraform — never opens archives inside archives, so it costs nothing."""
    inner = _ratio_bomb(tmp_path / "inner.zip").read_bytes()
    members = [
        Member(BINARY.encode(), b"#!/bin/sh\n"),
        Member(b"inner.zip", inner, method=zipfile.ZIP_STORED),
    ]
    start = time.monotonic()
    h1 = _locked_h1(tmp_path, members)
    assert time.monotonic() - start < FAST
    assert h1 == _h1([(BINARY.encode(), _sha(b"#!/bin/sh\n")), (b"inner.zip", _sha(inner))])


# ------------------------------------------------------------------------ loaders

DEEP = 100_000  # nesting levels for the parsers that should not recurse at all
DEEP_JSON = 10_000  # well past the interpreter's recursion limit, ~60 KB of text
REFUSED, READ = "refused", "read"  # an InputError naming the file, or a parsed result


def _deep_json() -> str:
    return '{"a":' * DEEP_JSON + "1" + "}" * DEEP_JSON


def _billion_laughs(indent: str = "") -> str:
    """Ten anchors, each a list of nine aliases of the previous: 9**10 strings expanded."""
    lines = [f"{indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"{indent}l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _laughs_in_a_list(key: str) -> str:
    """The same bomb as the items of a list-valued key (depguard.yaml's ``platforms``)."""
    items = _billion_laughs().splitlines()
    return f"{key}:\n" + "".join(f"  - {item.split(': ', 1)[1]}\n" for item in items)


_LOCK_HEAD = (
    '# This file is maintained automatically by "terraform init".\n'
    "# Manual edits may be lost in future updates.\n\n"
    'provider "registry.terraform.io/hashicorp/null" {\n  version = "3.2.0"\n'
)


@dataclass(frozen=True)
class Load:
    """One hostile document for one loader: ``load(text, tmp_path)`` parses it."""

    id: str
    text: Callable[[], str]
    load: Callable[[str, Path], object]
    outcome: str
    fragment: str = ""  # in the refusal's message (the file name at least)
    gap: str | None = None  # why it is a known gap (xfail strict, RecursionError)

    def param(self) -> Any:
        marks = (
            [pytest.mark.xfail(strict=True, raises=RecursionError, reason=f"gap: {self.gap}")]
            if self.gap
            else []
        )
        return pytest.param(self, id=self.id, marks=marks)


def _yaml(text: str, _tmp: Path) -> object:
    from depguard.formats.yaml_lines import load_yaml

    return load_yaml(text, "doc.yaml")


def _renovate_json(text: str, _tmp: Path) -> object:
    from depguard.formats.renovate import load_renovate_config

    return load_renovate_config(text, "renovate.json")


def _renovate_json5(text: str, _tmp: Path) -> object:
    from depguard.formats.renovate import load_renovate_config

    return load_renovate_config("// JSON5\n" + text, "renovate.json5")


def _event(text: str, _tmp: Path) -> object:
    from depguard.formats.renovate import parse_event

    return parse_event(text, "event.json")


def _aqua_checksums(text: str, _tmp: Path) -> object:
    from depguard.formats.aqua_checksums import parse_checksums

    return parse_checksums(text, "aqua-checksums.json")


def _report_doc(text: str, _tmp: Path) -> object:
    from depguard.render.json import load_report

    return load_report(text, path="shard.json")


def _history(text: str, tmp: Path) -> object:
    from depguard.report import history

    path = tmp / "history.json"
    path.write_text(text)
    return history.load(file=path, cache_dir=tmp / "cache", repository="r")


def _registry_json(text: str, _tmp: Path) -> object:
    from depguard.net.fetcher import Response
    from depguard.sources.base import json_object

    url = "https://registry.example/v1/providers/acme/big/versions"
    return json_object(Response(url=url, status=200, body=text.encode()), "the versions")


def _tf_json(text: str, _tmp: Path) -> object:
    from depguard.formats.tf_scan import scan_tf_json

    return scan_tf_json(text, "main.tf.json")


def _cli_config(name: str) -> Callable[[str, Path], object]:
    def load(text: str, _tmp: Path) -> object:
        from depguard.formats.tf_cli_config import parse_cli_config

        return parse_cli_config(text, name, env={})

    return load


def _depguard_yaml(text: str, _tmp: Path) -> object:
    from depguard.config.loader import parse_config

    return parse_config(text, "depguard.yaml")


def _tf(text: str, _tmp: Path) -> object:
    from depguard.formats.tf_scan import scan_tf

    return scan_tf(text, "main.tf")


def _lock(body: str, _tmp: Path) -> object:
    from depguard.formats.tf_lock import parse_lock

    return parse_lock(_LOCK_HEAD + body + "}\n", ".terraform.lock.hcl")


def _nest(open_: str, middle: str, close: str, depth: int = DEEP) -> Callable[[], str]:
    return lambda: open_ * depth + middle + close * depth


def _wrap(before: str, inner: Callable[[], str], after: str) -> Callable[[], str]:
    return lambda: before + inner() + after


_LOCALS = ("locals {\n  x = ", "\n}\n")
_RECURSION = "lets json.loads' RecursionError escape"
LOADS = [
    # --- YAML: depguard.yaml, aqua.yaml, aqua registries, aqua-policy.yaml, workflows
    Load("yaml-deep-flow-seq", _nest("[", "", "]"), _yaml, REFUSED, "doc.yaml:1"),
    Load("yaml-deep-flow-map", _nest("{a: ", "1", "}"), _yaml, REFUSED, "deeper than 64"),
    Load("yaml-deep-block-seq", _nest("- ", "x\n", ""), _yaml, REFUSED, "deeper than 64"),
    Load(
        "yaml-deep-block-map",
        lambda: "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "v: 1\n",
        _yaml,
        REFUSED,
        "deeper than 64",
    ),
    Load(
        "yaml-deep-through-an-alias",
        lambda: "a: &a " + "[" * 60 + "1" + "]" * 60 + "\nb: [[[[[[[[*a]]]]]]]]\n",
        _yaml,
        REFUSED,
        "doc.yaml:2: YAML nesting is deeper than 64",
    ),
    Load("yaml-billion-laughs", _billion_laughs, _yaml, REFUSED, "(alias bomb?)"),
    Load("yaml-recursive-alias", lambda: "a: &a [*a]\n", _yaml, REFUSED, "recursive alias"),
    Load("yaml-9MiB", lambda: "a: " + "x" * 9 * MiB, _yaml, REFUSED, "larger than 8388608"),
    # --- depguard.yaml: composed into PyYAML nodes (aliases stay shared) and walked
    Load(
        "depguard-yaml-billion-laughs",
        lambda: _laughs_in_a_list("platforms"),
        _depguard_yaml,
        REFUSED,
        "depguard.yaml:2: platforms[0]: expected a string, got a list",
    ),
    Load(
        "depguard-yaml-deep",
        lambda: "trust: " + "{a: " * 3000 + "1" + "}" * 3000,
        _depguard_yaml,
        REFUSED,
        "depguard.yaml",
    ),
    # --- JSON and JSON5
    Load("renovate-json-deep", _deep_json, _renovate_json, REFUSED, "renovate.json: nesting"),
    Load("renovate-json5-deep", _deep_json, _renovate_json5, REFUSED, "renovate.json5: nest"),
    Load(
        "renovate-too-large",
        _nest("[", "", "]", 600 * 1024),
        _renovate_json,
        REFUSED,
        "renovate.json: Renovate config is larger than",
    ),
    Load("event-json-deep", _deep_json, _event, REFUSED, "event.json: JSON nesting is too deep"),
    Load("aqua-checksums-deep", _deep_json, _aqua_checksums, REFUSED, "deeper than 64"),
    Load(
        "report-json-deep",
        _deep_json,
        _report_doc,
        REFUSED,
        "shard.json",
    ),
    Load(
        "report-history-deep",
        _nest("[", "", "]", DEEP_JSON),
        _history,
        REFUSED,
        "history.json",
    ),
    Load(
        "registry-json-deep",
        _deep_json,
        _registry_json,
        REFUSED,
        "registry.example",
    ),
    Load(
        "tf-json-deep",
        _deep_json,
        _tf_json,
        REFUSED,
        "main.tf.json",
    ),
    Load(
        "cli-config-json-deep",
        _deep_json,
        _cli_config("terraform.tfrc.json"),
        REFUSED,
        "terraform.tfrc.json",
    ),
    Load(
        "cli-config-hcl-deep",
        _nest("a {\n", "", "}\n", 3000),
        _cli_config("terraform.rc"),
        REFUSED,
        "terraform.rc",
    ),
    # --- HCL (.tf): the scanner skips nested bodies and expressions iteratively
    Load("tf-deep-blocks", _nest("a {\n", "", "}\n"), _tf, READ),
    Load("tf-deep-brackets", _wrap(_LOCALS[0], _nest("[", "", "]"), _LOCALS[1]), _tf, READ),
    Load("tf-deep-objects", _wrap(_LOCALS[0], _nest("{a = ", "1", "}"), _LOCALS[1]), _tf, READ),
    Load("tf-deep-parens", _wrap(_LOCALS[0], _nest("(", "1", ")"), _LOCALS[1]), _tf, READ),
    Load(
        "tf-deep-templates",
        _wrap(_LOCALS[0], _nest('"${', "1", '}"', 5000), _LOCALS[1]),
        _tf,
        REFUSED,
        "main.tf: configuration is nested too deeply",
    ),
    Load(
        "tf-deep-required-providers",
        _wrap(
            "terraform {\n  required_providers {\n    a = ",
            _nest("{x = ", "1", "}"),
            "\n  }\n}\n",
        ),
        _tf,
        REFUSED,
        "main.tf:3: Invalid required_providers object",
    ),
    # --- lock files
    Load("lock-deep-blocks", _nest("a {\n", "", "}\n"), _lock, REFUSED, "Unsupported block type"),
    Load(
        "lock-deep-parens",
        _wrap("  constraints = ", _nest("(", '"3.2.0"', ")"), "\n"),
        _lock,
        REFUSED,
        "Unsupported expression",
    ),
    Load(
        "lock-deep-hashes-list",
        _wrap("  hashes = ", _nest("[", "", "]"), "\n"),
        _lock,
        REFUSED,
        ".terraform.lock.hcl",
    ),
    Load(
        "lock-deep-templates",
        _wrap("  constraints = ", _nest('"${', "1", '}"', 5000), "\n"),
        _lock,
        REFUSED,
        ".terraform.lock.hcl",
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in LOADS])
def test_loaders_refuse_deep_nesting_and_alias_bombs(tmp_path: Path, case: Load) -> None:
    text = case.text()
    start = time.monotonic()
    try:
        case.load(text, tmp_path)
    except DepguardError as e:
        assert case.outcome == REFUSED, f"unexpectedly refused: {e}"
        assert isinstance(e, InputError | ConfigError), type(e)
        assert case.fragment in str(e), str(e)
    else:
        assert case.outcome == READ, "accepted where a refusal was expected"
    assert time.monotonic() - start < FAST


# ------------------------------------------------------------------------ loaders via the CLI


def _deep_file(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _example(tmp_path: Path) -> Path:
    repo = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, repo)
    return repo


def _cli_depguard_yaml(tmp_path: Path) -> tuple[str, ...]:
    config = _deep_file(tmp_path, "depguard.yaml", _laughs_in_a_list("platforms"))
    (tmp_path / "stack").mkdir()
    return ("--config", str(config), "verify", str(tmp_path / "stack"))


def _cli_depguard_yaml_deep(tmp_path: Path) -> tuple[str, ...]:
    config = _deep_file(tmp_path, "depguard.yaml", "trust: " + "{a: " * 3000 + "1" + "}" * 3000)
    (tmp_path / "stack").mkdir()
    return ("--config", str(config), "verify", str(tmp_path / "stack"))


def _cli_aqua_yaml(tmp_path: Path) -> tuple[str, ...]:
    _deep_file(tmp_path, "repo/aqua.yaml", "packages: " + "[" * DEEP + "]" * DEEP + "\n")
    return ("tools", "resolve", str(tmp_path / "repo"))


def _cli_event(tmp_path: Path) -> tuple[str, ...]:
    repo, base, head = build_pr_repo(tmp_path, EXAMPLE, EXAMPLE)
    event = _deep_file(tmp_path, "event.json", _deep_json())
    return ("check-pr", "--repo", str(repo), "--base", base, "--head", head, "--event",
            str(event), "--no-verify")  # fmt: skip


def _cli_renovate(tmp_path: Path) -> tuple[str, ...]:
    repo = _example(tmp_path)
    (repo / "renovate.json5").write_text("// deep\n" + _deep_json())
    return ("rollout", "lint-renovate", "--repo", str(repo))


def _cli_aqua_checksums(tmp_path: Path) -> tuple[str, ...]:
    repo = _example(tmp_path)
    (repo / "aqua" / "aqua-checksums.json").write_text(_deep_json())
    return ("verify", str(repo))


def _cli_tf_json(tmp_path: Path) -> tuple[str, ...]:
    _deep_file(tmp_path, "stack/main.tf.json", _deep_json())
    return ("verify", str(tmp_path / "stack"))


def _cli_lock_file(tmp_path: Path) -> tuple[str, ...]:
    _deep_file(
        tmp_path,
        "stack/.terraform.lock.hcl",
        _LOCK_HEAD + "  hashes = " + "[" * DEEP + "]" * DEEP + "\n}\n",
    )
    return ("verify", str(tmp_path / "stack"))


def _cli_history(tmp_path: Path) -> tuple[str, ...]:
    history = _deep_file(tmp_path, "history.json", "[" * DEEP_JSON + "]" * DEEP_JSON)
    (tmp_path / "stack").mkdir()
    return ("report", str(tmp_path / "stack"), "--history", str(history))


def _cli_registry(tmp_path: Path) -> tuple[str, ...]:
    """The example verified offline from its snapshot, whose registry download documents for
    hashicorp/null are now nested 10,000 deep (what a hostile registry could answer)."""
    repo = _example(tmp_path)
    downloads = repo / "upstream/registry.terraform.io/v1/providers/hashicorp/null/3.1.0/download"
    for doc in (p for p in downloads.rglob("*") if p.is_file()):
        doc.write_text(_deep_json())
    return ("--config", str(repo / "depguard.yaml"), "verify", str(repo))


def _cli_cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    rc = _deep_file(tmp_path, "terraform.tfrc.json", _deep_json())
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    (tmp_path / "stack").mkdir()
    return ("verify", str(tmp_path / "stack"))


CLI_CASES = [
    pytest.param(_cli_depguard_yaml, "expected a string", id="depguard-yaml-billion-laughs"),
    pytest.param(
        _cli_depguard_yaml_deep,
        "depguard.yaml",
        id="depguard-yaml-deep",
    ),
    pytest.param(_cli_aqua_yaml, "aqua.yaml", id="aqua-yaml-deep"),
    pytest.param(_cli_event, "event.json", id="check-pr-event-deep"),
    pytest.param(_cli_renovate, "renovate.json5", id="renovate-json5-deep"),
    pytest.param(_cli_aqua_checksums, "aqua-checksums.json", id="aqua-checksums-deep"),
    pytest.param(_cli_tf_json, "main.tf.json", id="tf-json-deep"),
    pytest.param(_cli_lock_file, ".terraform.lock.hcl", id="lock-file-deep"),
    pytest.param(
        _cli_history,
        "history.json",
        id="report-history-deep",
    ),
    pytest.param(
        _cli_registry,
        "registry.terraform.io",
        id="registry-json-deep",
    ),
    pytest.param(
        _cli_cli_config,
        "terraform.tfrc.json",
        id="cli-config-json-deep",
    ),
]


@pytest.mark.parametrize(("prepare", "fragment"), CLI_CASES)
def test_hostile_documents_are_clean_cli_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prepare: Callable[..., tuple[str, ...]],
    fragment: str,
) -> None:
    """End to end: a clear ``depguard: error:`` naming the file (or a finding / skip naming
    it), exit 1-3, within seconds; never an internal error."""
    if prepare is _cli_cli_config:
        args = _cli_cli_config(tmp_path, monkeypatch)
    else:
        args = prepare(tmp_path)
    start = time.monotonic()
    result = run_cli("--offline", *args)
    assert time.monotonic() - start < FAST + 5
    assert "internal error" not in result.err and "Traceback" not in result.err, result.err[-2000:]
    assert result.code in (1, 2, 3), result.out + result.err
    assert fragment in result.out + result.err, result.out + result.err
