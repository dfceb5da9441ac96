"""Crash safety (issue #7, item 3): ``kill -9`` at bad moments, and concurrent runs.

``depguard lock`` runs as a real process (``python -m depguard``, its own process group) against
a gpg-signed provider registry on 127.0.0.1 and is SIGKILLed

* mid-download (the server drips a zip one byte at a time; the kill lands once the request has
  arrived),
* mid-write (hundreds of state directories; the kill lands as soon as the first lock file has
  been replaced, while the others are being written),
* at random moments of cold and warm runs.

After each kill: every lock file is byte-identical to before or to what an uninterrupted run
writes (and parses), the cache holds only intact entries (blobs hash to their names, index
entries point at intact blobs, partial downloads stay in ``tmp/``), and a normal run then yields
exactly the uninterrupted result, with ``--offline`` runs served from the cache afterwards.
Four processes sharing one cache directory must agree with each other and with that result.

Two weaknesses found here (a temp file a killed write left, an empty memo key) are fixed and tested.
"""
# ruff: noqa: F811  (pytest fixtures are imported by name and then used as parameters)

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from depguard.formats.tf_lock import parse_lock
from depguard.net.cache import UrlEntry
from tests.support.cli import run_cli
from tests.support.fixtures import (  # noqa: F401
    gpg_signer,
    registry_server,
    tls_material,
    trust_test_ca,
)
from tests.support.servers import RegistryBuilder, Reply
from tests.support.signing import GpgSigner, publish_signed

pytestmark = pytest.mark.usefixtures("trust_test_ca")

PLATFORMS = ("linux_amd64", "darwin_arm64")
VERSION = "1.0.0"
LOCK = ".terraform.lock.hcl"


# --- a repository of state directories ------------------------------------------------------


@dataclass
class World:
    registry: RegistryBuilder
    root: Path  # the repository
    config: Path
    zips: dict[str, bytes]

    @property
    def address(self) -> str:
        return str(self.registry.address("acme", "demo"))

    def zip_path(self, platform: str) -> str:
        return f"/dl/acme/demo/{VERSION}/terraform-provider-demo_{VERSION}_{platform}.zip"

    def locks(self, root: Path | None = None) -> list[Path]:
        base = (root or self.root) / "envs"
        return sorted(d / LOCK for d in base.iterdir())

    def read(self, root: Path | None = None) -> dict[str, bytes | None]:
        """Lock file bytes by state directory name (``None``: no lock file)."""
        return {p.parent.name: p.read_bytes() if p.exists() else None for p in self.locks(root)}

    def args(self, root: Path, cache: Path, *extra: str, command: str = "lock") -> list[str]:
        return ["--format", "json", "--config", str(self.config), "--cache-dir", str(cache),
                command, str(root), *extra]  # fmt: skip


def _main_tf(address: str) -> str:
    return (
        "terraform {\n  required_providers {\n    demo = {\n"
        f'      source  = "{address}"\n      version = "~> 1.0"\n    }}\n  }}\n}}\n'
    )


def make_world(tmp_path: Path, registry: RegistryBuilder, signer: GpgSigner, *, dirs: int) -> World:
    """``dirs`` state directories: odd ones without a lock file, even ones with a lock that
    lacks the darwin hashes (so every lock file changes when locked)."""
    zips = publish_signed(registry, signer, "acme", "demo", VERSION, platforms=PLATFORMS)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    config = tmp_path / "depguard.yaml"
    config.write_text(
        f"platforms: [{', '.join(PLATFORMS)}]\n"
        "trust:\n  terraform:\n    providers: ['*/acme/*']\n    signing_keys:\n"
        f"      - fingerprint: '{signer.fingerprint}'\n        providers: ['*/acme/*']\n"
        "limits: {timeout: 5s, download_timeout: 60s}\n"
    )
    world = World(registry, root, config, zips)
    partial = _linux_only_lock(tmp_path, world)
    for i in range(dirs):
        d = root / "envs" / f"s{i:03d}"
        d.mkdir(parents=True)
        (d / "main.tf").write_text(_main_tf(world.address))
        if i % 2 == 0:
            (d / LOCK).write_bytes(partial)
    return world


def _linux_only_lock(tmp_path: Path, world: World) -> bytes:
    """A valid lock file for the provider with only linux_amd64 hashes (written by depguard
    itself, in a scratch repository with its own cache)."""
    scratch = tmp_path / "scratch"
    (scratch / ".git").mkdir(parents=True)
    (scratch / "envs" / "x").mkdir(parents=True)
    (scratch / "envs" / "x" / "main.tf").write_text(_main_tf(world.address))
    result = run_cli(*world.args(scratch, tmp_path / "scratch-cache", "--platform", "linux_amd64"))
    assert result.code == 0, result.out + result.err
    return (scratch / "envs" / "x" / LOCK).read_bytes()


def reference(tmp_path: Path, world: World) -> dict[str, bytes | None]:
    """What an uninterrupted ``depguard lock`` writes (on a copy, with its own cache)."""
    copy = tmp_path / "reference"
    shutil.copytree(world.root, copy)
    result = run_cli(*world.args(copy, tmp_path / "reference-cache"))
    assert result.code == 0, result.out + result.err
    written = world.read(copy)
    assert all(v is not None for v in written.values())
    return written


# --- running and killing depguard -----------------------------------------------------------


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path

    def kill(self) -> None:
        """SIGKILL the whole process group (depguard and any worker it started)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        code = self.popen.wait(timeout=timeout)
        return code, self.out.read_text(), self.err.read_text()


Spawn = Callable[[list[str]], Proc]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start ``python -m depguard ARGS`` in its own process group (the test's environment:
    its CA, cache key directory and CLI config); any still running is killed at teardown.
    Output goes to files, so a large report cannot block on a full pipe."""
    started: list[Proc] = []

    def start(args: list[str]) -> Proc:
        n = len(started)
        out, err = tmp_path / f"proc{n}.out", tmp_path / f"proc{n}.err"
        with out.open("wb") as o, err.open("wb") as e:
            popen = subprocess.Popen(
                [sys.executable, "-m", "depguard", *args],
                stdout=o,
                stderr=e,
                stdin=subprocess.DEVNULL,
                env=dict(os.environ),
                start_new_session=True,
            )
        proc = Proc(popen, out, err)
        started.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in started:
            proc.kill()


# --- invariants -----------------------------------------------------------------------------


def stray_temp_files(world: World) -> list[Path]:
    """write_atomic's temp files (``.NAME.XXXX.tmp``) next to the lock files."""
    return sorted(
        f for d in (world.root / "envs").iterdir() for f in d.iterdir() if f.name.endswith(".tmp")
    )


def check_locks(
    world: World, before: dict[str, bytes | None], expected: dict[str, bytes | None]
) -> int:
    """Every lock file is its old bytes or exactly the new ones, and parses; returns how many
    are new."""
    now = world.read()
    new = 0
    for name, data in now.items():
        assert data in (before[name], expected[name]), f"{name}: neither old nor new:\n{data!r}"
        if data is not None:
            parse_lock(data.decode(), name)
        new += data == expected[name] != before[name]
    return new


def check_cache(cache: Path) -> int:
    """Everything the cache would serve is intact; returns the number of leftover partial
    files in ``tmp/`` (allowed: never read, pruned after a day)."""
    for blob in (cache / "blobs").rglob("*"):
        if blob.is_file():
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name, blob
    for index in (cache / "urls").rglob("*.json"):
        entry = UrlEntry.from_json(json.loads(index.read_bytes()))
        blob = cache / "blobs" / "sha256" / entry.sha256[:2] / entry.sha256
        assert blob.is_file(), f"{entry.url} is indexed but its blob is missing"
    for derived in (cache / "derived").rglob("*.json"):
        assert isinstance(json.loads(derived.read_bytes()), dict), derived
    outside = [
        p for p in cache.rglob("*") if p.is_file() and p.suffix == ".part" and "tmp" not in p.parts
    ]
    assert outside == [], outside
    tmp = cache / "tmp"
    return sum(1 for p in tmp.iterdir()) if tmp.is_dir() else 0


def finish_normally(world: World, cache: Path, expected: dict[str, bytes | None]) -> None:
    """A normal run on the same cache completes the work; then --offline runs read only the
    cache (the registry is stopped first, so nothing else could answer)."""
    result = run_cli(*world.args(world.root, cache))
    assert result.code == 0, result.out + result.err
    assert world.read() == expected
    world.registry.server.stop()
    check = run_cli(*world.args(world.root, cache, "--check"), "--offline")
    assert check.code == 0, check.out + check.err
    deep = run_cli(*world.args(world.root, cache, "--deep", command="verify"), "--offline")
    assert deep.code == 0, deep.out + deep.err
    assert deep.json()["summary"]["checked"] == len(expected)


# --- kill -9 --------------------------------------------------------------------------------


def test_kill_mid_download(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, spawn: Spawn
) -> None:
    world = make_world(tmp_path, registry_server, gpg_signer, dirs=6)
    expected = reference(tmp_path, world)
    before = world.read()
    cache = tmp_path / "cache"
    zip_path = world.zip_path("linux_amd64")
    world.registry.server.drip(zip_path, 0.05, times=1)  # the killed run's download only
    world.registry.server.requests.clear()  # forget the reference run's requests

    proc = spawn(world.args(world.root, cache))
    assert world.registry.server.wait_for_request(zip_path, timeout=30), "no download started"
    time.sleep(0.3)  # a few bytes are in flight
    assert proc.popen.poll() is None, "depguard ended before it was killed"
    proc.kill()

    assert world.read() == before  # nothing was written: the download had not finished
    assert stray_temp_files(world) == []
    partial = check_cache(cache)
    print(f"{partial} partial download(s) left in the cache's tmp/")
    index = cache / "urls"
    urls = (
        [json.loads(p.read_bytes())["url"] for p in index.rglob("*.json")] if index.exists() else []
    )
    assert world.registry.server.url_for(zip_path) not in urls, "a partial download was indexed"
    finish_normally(world, cache, expected)


def test_kill_mid_write(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, spawn: Spawn
) -> None:
    """300 lock files to rewrite with a warm cache, so writing is most of the run; the kill
    lands as soon as the first file has been replaced (watched by inode, in a tight loop).
    If a machine writes all 300 before the kill lands, the files are restored and it tries
    again."""
    world = make_world(tmp_path, registry_server, gpg_signer, dirs=300)
    expected = reference(tmp_path, world)
    cache = tmp_path / "reference-cache"  # warm: no download, the writes dominate
    before = world.read()
    locks = world.locks()

    def inode(p: Path) -> int | None:
        try:
            return p.stat().st_ino
        except FileNotFoundError:
            return None

    for attempt in range(3):
        inodes = [inode(p) for p in locks]
        proc = spawn(world.args(world.root, cache))
        deadline = time.monotonic() + 60
        while all(inode(p) == i for p, i in zip(locks, inodes, strict=True)):
            assert proc.popen.poll() is None, "depguard ended without replacing a lock file"
            assert time.monotonic() < deadline, "depguard never replaced a lock file"
            time.sleep(0.0005)
        proc.kill()
        new = check_locks(world, before, expected)
        strays = stray_temp_files(world)
        print(f"attempt {attempt}: killed after {new} of {len(locks)} lock files were written, "
              f"{len(strays)} temp file(s) left")  # fmt: skip
        # At most the one write in flight leaves its temp file (see the xfail below).
        assert len(strays) <= 1, strays
        if new < len(locks):
            break
        for p in [*locks, *strays]:  # too fast to catch: put the old files back, try again
            p.unlink(missing_ok=True)
            old = before.get(p.parent.name) if p.name == LOCK else None
            if old is not None:
                p.write_bytes(old)
    assert 0 < new < len(locks), "the kill never landed while lock files were being written"
    check_cache(cache)
    finish_normally(world, cache, expected)


@pytest.mark.slow
def test_kill_at_random_moments(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, spawn: Spawn
) -> None:
    """Five runs on one cache, each SIGKILLed at a random moment (cold cache first, then
    warmer): the invariants hold after every kill and a last normal run completes the job."""
    world = make_world(tmp_path, registry_server, gpg_signer, dirs=120)
    expected = reference(tmp_path, world)
    before = world.read()
    cache = tmp_path / "cache"
    # Slow the zips a little so the first runs are killed during downloads too.
    for platform in PLATFORMS:
        world.registry.server.mangle(world.zip_path(platform), _slow, times=3)
    seed = int(os.environ.get("DEPGUARD_CRASH_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    print(f"seed {seed} (DEPGUARD_CRASH_SEED to replay)")
    for kill in range(5):
        proc = spawn(world.args(world.root, cache))
        delay = rng.uniform(0.3, 1.5)
        time.sleep(delay)
        proc.kill()
        new = check_locks(world, before, expected)
        leftovers = check_cache(cache)
        print(f"kill {kill} after {delay:.2f}s: {new} lock files new, {leftovers} in cache tmp/")
        assert len(stray_temp_files(world)) <= kill + 1
    finish_normally(world, cache, expected)


def _slow(reply: Reply, seconds: float = 0.3) -> Reply:
    return dataclasses.replace(reply, delay=seconds)


def test_a_later_run_removes_temp_files_a_killed_write_left(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner
) -> None:
    world = make_world(tmp_path, registry_server, gpg_signer, dirs=2)
    stray = world.root / "envs" / "s000" / f".{LOCK}.k1ll3d_a.tmp"  # write_atomic's pattern
    stray.write_bytes(b'# This file is maintained automatically by "terraform init".\n')
    hour_ago = time.time() - 3600  # the killed run was earlier (a writer at work is left alone)
    os.utime(stray, (hour_ago, hour_ago))
    result = run_cli(*world.args(world.root, tmp_path / "cache"))
    assert result.code == 0, result.out + result.err
    assert not stray.exists()


def test_an_empty_memo_key_left_by_a_crash_does_not_disable_memoisation(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner
) -> None:
    world = make_world(tmp_path, registry_server, gpg_signer, dirs=1)
    key = Path(os.environ["XDG_CONFIG_HOME"]) / "depguard" / "cache.key"
    key.unlink(missing_ok=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_bytes(b"")  # what a kill right after os.open(O_CREAT | O_EXCL) leaves
    cache = tmp_path / "cache"
    result = run_cli(*world.args(world.root, cache))
    assert result.code == 0, result.out + result.err
    assert list((cache / "derived").rglob("*.json")), "no h1 hash was memoised"


# --- concurrent runs ------------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_runs_share_one_cache(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, spawn: Spawn
) -> None:
    """Two `lock` and two `verify --deep` processes start together on one cold cache (each on
    its own copy of the repository; zips answered slowly so the downloads overlap): all
    succeed, agree with each other and with an uninterrupted run, and `--offline` runs are
    then served from that cache alone."""
    world = make_world(tmp_path, registry_server, gpg_signer, dirs=20)
    expected = reference(tmp_path, world)
    locked = tmp_path / "reference"  # the reference copy: complete lock files, for verify
    for platform in PLATFORMS:
        world.registry.server.mangle(world.zip_path(platform), lambda r: _slow(r, 0.5))
    cache = tmp_path / "shared-cache"
    copies = []
    for i in range(4):
        copy = tmp_path / f"copy{i}"
        shutil.copytree(world.root if i < 2 else locked, copy)
        copies.append(copy)
    procs = [
        spawn(world.args(copy, cache, *(() if i < 2 else ("--deep",)),
                         command="lock" if i < 2 else "verify"))
        for i, copy in enumerate(copies)
    ]  # fmt: skip
    results = [p.finish() for p in procs]
    for platform in PLATFORMS:  # the processes raced for the same cache entries
        assert len(world.registry.server.requests_for(world.zip_path(platform))) >= 2
    for code, out, err in results:
        assert code == 0, out + err
        assert "Traceback" not in err, err
    assert results[0][1] == results[1][1]  # the lock reports
    assert results[2][1] == results[3][1]  # the verify reports
    assert json.loads(results[2][1])["summary"]["checked"] == len(expected)
    for copy in copies:
        assert world.read(copy) == expected, copy
    check_cache(cache)

    world.registry.server.stop()
    for i in (0, 2):
        command, extra = ("lock", ("--check",)) if i == 0 else ("verify", ("--deep",))
        offline = run_cli(*world.args(copies[i], cache, *extra, command=command), "--offline")
        assert offline.code == 0, offline.out + offline.err
