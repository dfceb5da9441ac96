"""aqua: ``checksums update`` against a slow local GitHub, and ``tools verify`` of a 50 MB file.

Run: ``.venv/bin/python -m tests.benchmarks.bench_aqua [--quick] [--only update|verify]``
(or the whole suite with ``python -m tests.benchmarks``). Issue #3, "Performance".

**update** — ``depguard checksums update --allow-tofu`` (the venv's console script, a
subprocess) of a repository whose ``aqua.yaml`` pins 30 packages (``--quick``: 6) for 6
platforms (linux, darwin, windows × amd64, arm64) from a ``github_content`` registry served
by :class:`~tests.support.github_server.GitHubBuilder` on 127.0.0.1 with ``latency=0.1`` s
per request, trusted through ``SSL_CERT_FILE`` (a ``trustme`` CA, as the test fixtures do).
The packages come in three kinds, one third each:

* ``signed``: a checksum file per release, signed keylessly (a Sigstore bundle made by
  :class:`~tests.support.sigstore_instance.SigstoreInstance`, trusted through
  ``DEPGUARD_SIGSTORE_TRUSTED_ROOT``) — one checksum file + one bundle per release;
* ``published``: an unsigned checksum file per release — one request per release;
* ``tofu``: no checksum file — every platform's asset is downloaded and hashed.

Checked and measured:

1. cold (empty cache) requests == 1 (registry) + checksum files + bundles + assets of the
   ``tofu`` packages, and no URL is requested twice;
2. warm (same cache, ``aqua-checksums.json`` emptied again so every entry must be redone):
   downloads (requests answered with a body) == 0 is the target. The fake GitHub sends no
   ETag for release files and raw content, so anything depguard re-requests is a download;
3. parallelism: the *download phase* — from the first request after the registry to the end
   of the last one (last arrival + the slowest single download) — within 1.5× of the slowest
   single download (one GET of the largest asset on a fresh connection, timed in a separate
   process: TLS handshake + 0.1 s latency + transfer). Measured with depguard's default
   ``--jobs`` and with ``--jobs`` ≥ the number of requests, to show whether the default
   limits it. End-to-end wall times are reported alongside.

**verify** — ``depguard --offline tools verify FILE --package bench/bigtool@v1.0.0`` of a
50 MB artifact (``--quick``: 5 MB) whose registry entry declares a keyless cosign bundle
(``cosign.bundle`` + identity opts) made by the local Sigstore instance, with the registry,
the bundle and ``aqua-checksums.json`` in an offline snapshot; against ``sha256sum FILE``
and ``python -c pass``, interleaved. Target: depguard ≤ 1.3 × (sha256sum + python -c pass);
depguard / sha256sum alone is shown too. Diagnostics (untimed, in-process or with
``-X importtime``): how often depguard opens the artifact, how long hashing takes, the import
cost of the verification path (sigstore and its dependencies) and where the rest goes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import pstats
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.benchmarks.common import (
    PYTHON,
    Timing,
    base_env,
    busy_note,
    depguard_exe,
    row,
    run,
    timed,
)
from tests.support.github_server import GitHubBuilder
from tests.support.servers import HttpsServer, RecordedRequest, TLSMaterial
from tests.support.sigstore_instance import DEFAULT_IDENTITY, DEFAULT_ISSUER, SigstoreInstance

LATENCY = 0.1
PHASE_TARGET = 1.5
VERIFY_TARGET = 1.3
PLATFORMS = tuple((o, a) for o in ("linux", "darwin", "windows") for a in ("amd64", "arm64"))
KINDS = ("signed", "published", "tofu")
OWNER = "bench"
REGISTRY_REPO, REGISTRY_REF = "aqua-registry", "v1.0.0"
REGISTRY_ID = (
    f"registries/github_content/github.com/{OWNER}/{REGISTRY_REPO}/{REGISTRY_REF}/registry.yaml"
)
COSIGN_OPTS = (
    f"      opts: [--certificate-identity, {DEFAULT_IDENTITY}, "
    f"--certificate-oidc-issuer, {DEFAULT_ISSUER}]\n"
)
EMPTY_SUMS = '{\n  "checksums": []\n}\n'
POLICY = f"""\
registries:
  - name: bench
    type: github_content
    repo_owner: {OWNER}
    repo_name: {REGISTRY_REPO}
    path: registry.yaml
packages:
  - registry: bench
"""


def default_jobs() -> int:
    """``depguard checksums update``'s ``--jobs`` default, read from its signature."""
    import inspect

    from depguard.cli.aqua import checksums_update

    default = inspect.signature(checksums_update).parameters["jobs"].default
    return int(default)


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _aqua_yaml(packages: Sequence[str], envs: Sequence[str]) -> str:
    pkgs = "".join(f"  - name: {p}\n    registry: bench\n" for p in packages)
    return (
        "registries:\n"
        "  - name: bench\n"
        "    type: github_content\n"
        f"    repo_owner: {OWNER}\n"
        f"    repo_name: {REGISTRY_REPO}\n"
        f"    ref: {REGISTRY_REF}\n"
        "    path: registry.yaml\n"
        "checksum:\n"
        "  enabled: true\n"
        "  require_checksum: true\n"
        f"  supported_envs: [{', '.join(envs)}]\n"
        f"packages:\n{pkgs}"
    )


def _depguard_yaml(extra: str = "") -> str:
    return (
        "trust:\n"
        "  aqua:\n"
        "    registries:\n"
        "      - {type: github_content, "
        f"repo_owner: {OWNER}, repo_name: {REGISTRY_REPO}, path: registry.yaml}}\n"
        f"    github_owners: [{OWNER}]\n"
        "    policy_files: [aqua-policy.yaml]\n" + extra
    )


def _tarball(name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mtime = 1_700_000_000
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _shasums(files: Mapping[str, bytes]) -> bytes:
    return "".join(
        f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())
    ).encode()


# --------------------------------------------------------------------------- update: fixture


class _TimedGitHub(GitHubBuilder):
    """:class:`GitHubBuilder` that also notes when each request arrived (perf_counter)."""

    def __init__(self, server: HttpsServer, *, latency: float) -> None:
        super().__init__(server, latency=latency)
        self.arrivals: list[tuple[float, str]] = []

    def _segments(self, req: RecordedRequest, prefix: str) -> list[str]:
        self.arrivals.append((time.perf_counter(), urlsplit(req.path).path))
        return super()._segments(req, prefix)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
        self.arrivals.clear()


@dataclass
class UpdateFixture:
    repo: Path
    gh: _TimedGitHub
    sigstore: SigstoreInstance
    ca_pem: Path
    packages: int
    expected: dict[str, int]  # category -> requests a cold run must make
    largest_asset_url: str

    @property
    def expected_total(self) -> int:
        return sum(self.expected.values())


def _registry_entry(repo: str, kind: str) -> str:
    entry = (
        "  - type: github_release\n"
        f"    repo_owner: {OWNER}\n"
        f"    repo_name: {repo}\n"
        f"    asset: {repo}_{{{{trimV .Version}}}}_{{{{.OS}}}}_{{{{.Arch}}}}.tar.gz\n"
        "    supported_envs: [linux, darwin, windows]\n"
    )
    if kind == "tofu":
        return entry
    entry += (
        "    checksum:\n"
        "      type: github_release\n"
        f"      asset: {repo}_{{{{trimV .Version}}}}_checksums.txt\n"
        "      algorithm: sha256\n"
    )
    if kind == "signed":
        entry += (
            "      cosign:\n"
            "        bundle:\n"
            "          type: github_release\n"
            f"          asset: {repo}_{{{{trimV .Version}}}}_checksums.txt.sigstore.json\n"
            + COSIGN_OPTS.replace("      opts", "        opts")
        )
    return entry


def build_update_fixture(
    tmp: Path, gh: _TimedGitHub, sigstore: SigstoreInstance, ca_pem: Path, *, packages: int
) -> UpdateFixture:
    """Publish ``packages`` releases (kinds in turn) and write the repository."""
    version = "v1.0.0"
    entries, names = [], []
    expected = {"registry": 1, "checksum files": 0, "bundles": 0, "assets (no checksum file)": 0}
    largest = ("", 0)
    for i in range(packages):
        kind = KINDS[i % len(KINDS)]
        repo = f"tool-{i:02d}"
        entries.append(_registry_entry(repo, kind))
        names.append(f"{OWNER}/{repo}@{version}")
        # Assets of a few hundred KB, different per package and platform; tofu packages'
        # assets are the ones downloaded, and the largest of them is the "single download".
        size = 256 * 1024 + i * 4096
        assets = {
            f"{repo}_1.0.0_{o}_{a}.tar.gz": _tarball(
                repo, hashlib.sha256(f"{repo} {o} {a}".encode()).digest() * (size // 32)
            )
            for o, a in PLATFORMS
        }
        published = dict(assets)
        if kind != "tofu":
            sums_name = f"{repo}_1.0.0_checksums.txt"
            sums = _shasums(assets)
            published[sums_name] = sums
            expected["checksum files"] += 1
            if kind == "signed":
                published[sums_name + ".sigstore.json"] = sigstore.sign(sums)
                expected["bundles"] += 1
        else:
            expected["assets (no checksum file)"] += len(assets)
            for name, data in assets.items():
                if len(data) > largest[1]:
                    largest = (
                        f"{gh.urls.url}/{OWNER}/{repo}/releases/download/{version}/{name}",
                        len(data),
                    )
        gh.add_release(OWNER, repo, version, published)
    registry = "# aqua registry for the depguard benchmark (generated)\npackages:\n" + "".join(
        entries
    )
    gh.add_raw(OWNER, REGISTRY_REPO, REGISTRY_REF, "registry.yaml", registry.encode())
    repo_dir = tmp / "repo"
    (repo_dir / ".git").mkdir(parents=True)
    urls = gh.urls
    _write(
        repo_dir / "depguard.yaml",
        _depguard_yaml(
            f"github:\n  url: {urls.url}\n  api_url: {urls.api_url}\n  raw_url: {urls.raw_url}\n"
        ),
    )
    _write(repo_dir / "aqua-policy.yaml", POLICY)
    _write(repo_dir / "aqua" / "aqua.yaml", _aqua_yaml(names, [f"{o}/{a}" for o, a in PLATFORMS]))
    _write(repo_dir / "aqua" / "aqua-checksums.json", EMPTY_SUMS)
    return UpdateFixture(
        repo=repo_dir,
        gh=gh,
        sigstore=sigstore,
        ca_pem=ca_pem,
        packages=packages,
        expected=expected,
        largest_asset_url=largest[0],
    )


_SINGLE_GET = """\
import sys, time, requests
s = requests.Session()
t = time.perf_counter()
r = s.get(sys.argv[1], verify=sys.argv[2], timeout=30)
r.raise_for_status()
body = r.content
print(time.perf_counter() - t, len(body))
"""


_PARALLEL_GET = """\
import sys, time, requests
from concurrent.futures import ThreadPoolExecutor
ca, urls = sys.argv[1], sys.argv[2:]
s = requests.Session()
def get(url):
    r = s.get(url, verify=ca, timeout=30)
    r.raise_for_status()
    return len(r.content)
t = time.perf_counter()
with ThreadPoolExecutor(max_workers=len(urls)) as pool:
    sizes = list(pool.map(get, urls))
print(time.perf_counter() - t, sum(sizes))
"""


def parallel_floor(urls: Sequence[str], ca_pem: Path, env: Mapping[str, str]) -> float:
    """Wall time of a bare ``requests`` client fetching ``urls`` with one thread each (own
    process): what any Python client reaches against this server on this machine."""
    out = run([PYTHON, "-c", _PARALLEL_GET, str(ca_pem), *urls], env=env).stdout.split()
    return float(out[0])


def single_download(url: str, ca_pem: Path, env: Mapping[str, str], *, repeat: int = 3) -> float:
    """Slowest of ``repeat`` single GETs of ``url`` on a fresh connection (own process)."""
    times = []
    for _ in range(repeat):
        out = run([PYTHON, "-c", _SINGLE_GET, url, str(ca_pem)], env=env).stdout.split()
        times.append(float(out[0]))
    return max(times)


@dataclass
class UpdateRun:
    wall: float
    requests: dict[str, int]  # path -> count
    arrivals: list[tuple[float, str]]
    started: float
    entries: int
    code: int
    stderr: str

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def phase(self, single: float) -> tuple[float, float]:
        """(download phase, registry→end network time), both ending single seconds after
        the last arrival (its answer takes as long as one download)."""
        downloads = [t for t, p in self.arrivals if not p.startswith("/raw/")]
        if not downloads:
            return 0.0, 0.0
        first = min(t for t, _ in self.arrivals)
        return max(downloads) - min(downloads) + single, max(downloads) - first + single


def run_update(
    fx: UpdateFixture, env: Mapping[str, str], cache: Path, *, jobs: int | None
) -> UpdateRun:
    """One ``checksums update`` with an emptied ``aqua-checksums.json``."""
    sums = fx.repo / "aqua" / "aqua-checksums.json"
    sums.write_text(EMPTY_SUMS)
    fx.gh.reset()
    cmd = [
        depguard_exe(),
        "--config",
        str(fx.repo / "depguard.yaml"),
        "--cache-dir",
        str(cache),
        "checksums",
        "update",
        str(fx.repo),
        "--allow-tofu",
    ]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=dict(env), cwd=fx.repo, capture_output=True, check=False)
    wall = time.perf_counter() - started
    written = json.loads(sums.read_text())["checksums"]
    return UpdateRun(
        wall=wall,
        requests=dict(fx.gh.counts),
        arrivals=list(fx.gh.arrivals),
        started=started,
        entries=len(written),
        code=proc.returncode,
        stderr=proc.stderr.decode(errors="replace"),
    )


def _categorise(requests: Mapping[str, int]) -> dict[str, int]:
    out = {"registry": 0, "checksum files": 0, "bundles": 0, "assets (no checksum file)": 0}
    for path, n in requests.items():
        if path.startswith("/raw/"):
            out["registry"] += n
        elif path.endswith(".sigstore.json"):
            out["bundles"] += n
        elif path.endswith("_checksums.txt"):
            out["checksum files"] += n
        elif "/releases/download/" in path:
            out["assets (no checksum file)"] += n
        else:
            out.setdefault("other", 0)
            out["other"] += n
    return out


def bench_update(*, quick: bool, tmp: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    packages = 6 if quick else 30
    repeat = 1 if quick else 3
    tls = TLSMaterial.create(tmp / "tls")
    server = HttpsServer(tls).start()
    # socketserver listens with a backlog of 5: a burst of parallel connections overflows it
    # and the kernel drops SYNs, which the client retries after 1 s. Real GitHub has no such
    # limit, so widen the accept queue (listen() again updates the backlog on Linux).
    server._httpd.socket.listen(1024)
    try:
        gh = _TimedGitHub(server, latency=LATENCY)
        sigstore = SigstoreInstance.create(tmp / "sigstore")
        fx = build_update_fixture(tmp, gh, sigstore, tls.ca_pem, packages=packages)
        env = base_env(
            tmp / "home",
            SSL_CERT_FILE=str(tls.ca_pem),
            DEPGUARD_SIGSTORE_TRUSTED_ROOT=str(sigstore.trusted_root_path),
        )
        for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_DIR"):
            env.pop(k, None)
        expected_entries = packages * len(PLATFORMS) + 1
        many = fx.expected_total + 8
        print(
            f"[aqua] update: {packages} packages × {len(PLATFORMS)} platforms, "
            f"latency {LATENCY * 1e3:.0f} ms; expected cold requests {fx.expected_total} "
            f"= {' + '.join(f'{n} {k}' for k, n in fx.expected.items())}",
            flush=True,
        )
        # Untimed warm-up: bytecode cache, page cache, server threads.
        run_update(fx, env, tmp / "cache-warmup", jobs=many)
        single = single_download(fx.largest_asset_url, tls.ca_pem, env)
        print(f"[aqua] slowest single download: {single * 1e3:.0f} ms", flush=True)
        warmup_urls = [fx.gh.server.url_for(p) for p in fx.gh.counts if not p.startswith("/raw/")]
        floor = min(parallel_floor(warmup_urls, tls.ca_pem, env) for _ in range(repeat))
        print(
            f"[aqua] bare requests client, {len(warmup_urls)} GETs on as many threads: "
            f"{floor:.2f} s ({floor / single:.1f}× single)",
            flush=True,
        )
        colds: dict[str, list[UpdateRun]] = {"default": [], "many": []}
        warms: list[UpdateRun] = []
        for r in range(repeat):
            for label, jobs in (("default", None), ("many", many)):
                cache = tmp / f"cache-{label}-{r}"
                cold = run_update(fx, env, cache, jobs=jobs)
                if cold.code != 0 or cold.entries != expected_entries:
                    raise RuntimeError(
                        f"cold checksums update exited {cold.code} with {cold.entries} entries "
                        f"(expected {expected_entries}):\n{cold.stderr[-3000:]}"
                    )
                colds[label].append(cold)
                if label == "default":
                    warm = run_update(fx, env, cache, jobs=jobs)
                    if warm.code != 0 or warm.entries != expected_entries:
                        raise RuntimeError(f"warm run failed:\n{warm.stderr[-3000:]}")
                    warms.append(warm)
    finally:
        server.stop()

    def median_run(runs: list[UpdateRun]) -> UpdateRun:
        return sorted(runs, key=lambda u: u.phase(single)[0])[len(runs) // 2]

    cold_d, cold_m, warm = median_run(colds["default"]), median_run(colds["many"]), warms[0]
    got = _categorise(cold_d.requests)
    duplicates = {p: n for p, n in cold_d.requests.items() if n > 1}
    counts_ok = got == {**fx.expected} and not duplicates
    warm_downloads = warm.total  # no ETags on /gh and /raw: every request is a full body
    phase_d, net_d = cold_d.phase(single)
    phase_m, net_m = cold_m.phase(single)
    warm_cat = _categorise(warm.requests)
    formula = " + ".join(f"{n} {k}" for k, n in fx.expected.items())
    for label, run_ in (("default --jobs", cold_d), (f"--jobs {many}", cold_m)):
        phase, net = run_.phase(single)
        print(
            f"[aqua] cold, {label}: wall {run_.wall:.2f} s, {run_.total} requests, download "
            f"phase {phase:.2f} s ({phase / single:.1f}× single), registry→end {net:.2f} s",
            flush=True,
        )
    print(
        f"[aqua] warm: wall {warm.wall:.2f} s, {warm.total} requests "
        f"({', '.join(f'{n} {k}' for k, n in warm_cat.items() if n)})",
        flush=True,
    )
    quick_note = f"quick: {packages} packages" if quick else ""
    rows = [
        row(
            f"checksums update cold: requests (× {len(PLATFORMS)} platforms)",
            None,
            f"= {fx.expected_total}",
            counts_ok,
            f"{cold_d.total} = {' + '.join(f'{n} {k}' for k, n in got.items())}"
            + (f"; duplicates {len(duplicates)}" if duplicates else ""),
            note=quick_note,
        ),
        row(
            "checksums update warm: downloads",
            None,
            "0",
            warm_downloads == 0,
            f"{warm_downloads} = {' + '.join(f'{n} {k}' for k, n in warm_cat.items() if n)}"
            if warm_downloads
            else "0",
        ),
        row(
            f"  cold download phase vs slowest single download (--jobs {default_jobs()}, default)",
            phase_d / single,
            f"≤ {PHASE_TARGET}×",
            phase_d / single <= PHASE_TARGET,
            f"{phase_d:.2f} s / {single:.3f} s; wall {cold_d.wall:.2f} s",
        ),
        row(
            f"  same, --jobs {many} (≥ requests)",
            phase_m / single,
            f"≤ {PHASE_TARGET}×",
            phase_m / single <= PHASE_TARGET,
            f"{phase_m:.2f} s / {single:.3f} s; wall {cold_m.wall:.2f} s",
        ),
        row(
            "  bare requests client, same GETs, one thread each (info: the machine's floor)",
            floor / single,
            "info",
            None,
            f"{floor:.2f} s / {single:.3f} s",
        ),
        row(
            "  cold registry→last answer vs single (info; floor 2×: registry, then files)",
            net_m / single,
            "info",
            None,
            f"--jobs {many}: {net_m:.2f} s; default: {net_d:.2f} s",
        ),
    ]
    details = {
        "packages": packages,
        "platforms": len(PLATFORMS),
        "expected_requests": fx.expected,
        "formula": formula,
        "cold_requests": got,
        "warm_requests": warm_cat,
        "single_download_s": single,
        "bare_client_parallel_s": floor,
        "cold_default": {"wall": [u.wall for u in colds["default"]], "phase": phase_d},
        "cold_many": {"jobs": many, "wall": [u.wall for u in colds["many"]], "phase": phase_m},
        "warm_wall_s": [u.wall for u in warms],
    }
    return rows, details


# --------------------------------------------------------------------------- verify


@dataclass
class VerifyFixture:
    repo: Path
    artifact: Path
    snapshot: Path
    trusted_root: Path
    cmd: list[str]


def build_verify_fixture(tmp: Path, *, size: int) -> VerifyFixture:
    """A 50 MB artifact, its local-Sigstore bundle, registry and checksum entry, offline."""
    sigstore = SigstoreInstance.create(tmp / "sigstore")
    artifact = tmp / "bigtool_linux_amd64"
    block = hashlib.sha256(b"bigtool").digest() * 32768  # 1 MiB, not all one byte
    with artifact.open("wb") as fh:
        left = size
        counter = 0
        while left > 0:
            chunk = (counter.to_bytes(8, "big") + block)[: min(left, len(block))]
            fh.write(chunk)
            left -= len(chunk)
            counter += 1
    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
    bundle = sigstore.sign(artifact)
    snap = tmp / "snapshot"
    _write(
        snap
        / "github.com"
        / OWNER
        / "bigtool"
        / "releases"
        / "download"
        / "v1.0.0"
        / "bigtool_linux_amd64.sigstore.json",
        bundle,
    )
    registry = (
        "packages:\n"
        "  - type: github_release\n"
        f"    repo_owner: {OWNER}\n"
        "    repo_name: bigtool\n"
        "    asset: bigtool_{{.OS}}_{{.Arch}}\n"
        "    format: raw\n"
        "    supported_envs: [linux/amd64]\n"
        "    cosign:\n"
        "      bundle:\n"
        "        type: github_release\n"
        '        asset: "{{.Asset}}.sigstore.json"\n' + COSIGN_OPTS
    ).encode()
    _write(
        snap / "raw.githubusercontent.com" / OWNER / REGISTRY_REPO / REGISTRY_REF / "registry.yaml",
        registry,
    )
    repo = tmp / "repo"
    (repo / ".git").mkdir(parents=True)
    _write(repo / "depguard.yaml", _depguard_yaml(f"snapshot_dirs: [{snap}]\n"))
    _write(repo / "aqua-policy.yaml", POLICY)
    _write(repo / "aqua" / "aqua.yaml", _aqua_yaml([f"{OWNER}/bigtool@v1.0.0"], ["linux/amd64"]))
    sums = {
        f"github_release/github.com/{OWNER}/bigtool/v1.0.0/bigtool_linux_amd64": digest,
        REGISTRY_ID: hashlib.sha256(registry).hexdigest(),
    }
    doc = {
        "checksums": [
            {"id": i, "checksum": sums[i].upper(), "algorithm": "sha256"} for i in sorted(sums)
        ]
    }
    _write(repo / "aqua" / "aqua-checksums.json", json.dumps(doc, indent=2) + "\n")
    cmd = [
        "--offline",
        "--config",
        str(repo / "depguard.yaml"),
        "--format",
        "json",
        "tools",
        "verify",
        str(artifact),
        "--package",
        f"{OWNER}/bigtool@v1.0.0",
        "--platform",
        "linux/amd64",
        "--config",
        str(repo / "aqua" / "aqua.yaml"),
    ]
    return VerifyFixture(
        repo=repo,
        artifact=artifact,
        snapshot=snap,
        trusted_root=sigstore.trusted_root_path,
        cmd=cmd,
    )


# Diagnostics run inside a fresh interpreter, with the same environment as the timed runs.
_OPENS = """\
import sys
target, argv = sys.argv[1], sys.argv[2:]
opens = []
def hook(event, args):
    if event == "open" and args and str(args[0]) == target:
        opens.append(args[1] if len(args) > 1 else "")
sys.addaudithook(hook)
from depguard.cli import main
code = main(argv)
print("OPENS", len(opens), code, file=sys.stderr)
"""

_PROFILE = """\
import cProfile, pstats, sys, io
argv = sys.argv[2:]
prof = cProfile.Profile()
prof.enable()
from depguard.cli import main
code = main(argv)
prof.disable()
prof.dump_stats(sys.argv[1])
print("CODE", code, file=sys.stderr)
"""


def _importtime(stderr: str) -> dict[str, float]:
    """Cumulative import microseconds of top-level packages from ``-X importtime`` output."""
    out: dict[str, float] = {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) == 1:  # top-level imports only (no nesting indent)
            name = m.group(4).split(".")[0]
            out[name] = out.get(name, 0.0) + int(m.group(2)) / 1e6
    return out


def _profile_phases(stats_file: Path) -> dict[str, float]:
    """Cumulative seconds of the verification steps, from a cProfile dump."""
    wanted = {
        "hash artifact": ("depguard/verify/intoto.py", ("precompute", "digest")),
        "sigstore verify_artifact": ("sigstore/verify/verifier.py", ("verify_artifact",)),
        "sigstore Bundle.from_json": ("sigstore/models.py", ("from_json",)),
        "TrustedRoot+Verifier": ("depguard/verify/trust_root.py", ("verifier",)),
        "verify_cosign": ("depguard/verify/sigstore.py", ("verify_cosign",)),
        "verify_tool_file": ("depguard/engine/aqua.py", ("verify_tool_file",)),
        "main() total": ("depguard/cli/__init__.py", ("main",)),
    }
    raw: dict[Any, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    out: dict[str, float] = {}
    for label, (suffix, funcs) in wanted.items():
        out[label] = max(
            (
                ct
                for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in raw.items()
                if file.endswith(suffix) and func in funcs
            ),
            default=0.0,
        )
    return out


def diagnose_verify(fx: VerifyFixture, env: Mapping[str, str], tmp: Path) -> dict[str, Any]:
    """Untimed: artifact opens, -X importtime, a cProfile breakdown."""
    # cwd outside the checkout: `python -c` puts the cwd first on sys.path, which would shadow
    # DEPGUARD_BENCH_SRC with the checkout's depguard.
    proc = run([PYTHON, "-c", _OPENS, str(fx.artifact), *fx.cmd], env=env, cwd=fx.repo)
    opens = int(re.search(r"OPENS (\d+)", proc.stderr.decode()).group(1))  # type: ignore[union-attr]
    proc = run(
        [PYTHON, "-X", "importtime", "-c", _OPENS, str(fx.artifact), *fx.cmd],
        env=env,
        cwd=fx.repo,
    )
    imports = _importtime(proc.stderr.decode())
    stats_file = tmp / "verify.prof"
    run([PYTHON, "-c", _PROFILE, str(stats_file), *fx.cmd], env=env, cwd=fx.repo)
    phases = _profile_phases(stats_file)
    top = sorted(imports.items(), key=lambda kv: -kv[1])[:8]
    # Hashing the file once in Python (sha256, 1 MiB reads), and the import of the
    # verification path alone (what `python -c` spends before any work).
    hash_once = run(
        [
            PYTHON,
            "-c",
            "import hashlib,sys,time;t=time.perf_counter();h=hashlib.sha256()\n"
            "with open(sys.argv[1],'rb') as f:\n"
            "    for c in iter(lambda: f.read(1<<20), b''): h.update(c)\n"
            "print(time.perf_counter()-t)",
            str(fx.artifact),
        ],
        env=env,
    )
    import_sigstore = [
        PYTHON,
        "-c",
        "import time;t=time.perf_counter()\n"
        "import sigstore.verify, sigstore.models, sigstore.hashes\n"
        "print(time.perf_counter()-t)",
    ]
    # Best of 3: the first run may compile bytecode (when depguard did not import sigstore).
    sigstore_import_s = min(float(run(import_sigstore, env=env).stdout) for _ in range(3))
    return {
        "artifact_opens": opens,
        "import_top_s": dict(top),
        "profile_s": phases,
        "python_hash_once_s": float(hash_once.stdout),
        "sigstore_import_s": sigstore_import_s,
    }


def bench_verify(*, quick: bool, tmp: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    size = (5 if quick else 50) * 1024 * 1024
    repeat = 3 if quick else 7
    fx = build_verify_fixture(tmp, size=size)
    env = base_env(
        tmp / "home",
        DEPGUARD_CACHE_DIR=str(tmp / "cache"),
        DEPGUARD_SIGSTORE_TRUSTED_ROOT=str(fx.trusted_root),
    )
    depguard = [depguard_exe(), *fx.cmd]
    proc = run(depguard, env=env, cwd=fx.repo)  # warm: bytecode, page cache
    report = json.loads(proc.stdout)
    evidence = [c["evidence"] for c in report.get("checked", [])]
    if report["summary"].get("findings") or not evidence or "cosign" not in evidence[0]:
        raise RuntimeError(f"tools verify did not verify the bundle: {proc.stdout[:2000]!r}")
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        raise RuntimeError("sha256sum is not installed (coreutils)")
    for _ in range(2):
        run([sha256sum, str(fx.artifact)], env=env)
        run([PYTHON, "-c", "pass"], env=env)
    busy = busy_note()
    samples: dict[str, list[tuple[float, float]]] = {"depguard": [], "sha256sum": [], "pass": []}
    for _ in range(repeat):  # interleaved
        samples["depguard"].append(timed(depguard, env=env, cwd=fx.repo))
        samples["sha256sum"].append(timed([sha256sum, str(fx.artifact)], env=env))
        samples["pass"].append(timed([PYTHON, "-c", "pass"], env=env))
    walls = {k: Timing(tuple(w for w, _ in v)) for k, v in samples.items()}
    cpus = {k: Timing(tuple(c for _, c in v)) for k, v in samples.items()}
    dg, sha, py = walls["depguard"], walls["sha256sum"], walls["pass"]
    ratio = dg.median / (sha.median + py.median)
    ratio_sha = dg.median / sha.median
    diag = diagnose_verify(fx, env, tmp)
    mb = size / 1024 / 1024
    print(
        f"[aqua] tools verify {mb:.0f} MB: depguard {dg.describe()}; sha256sum {sha.describe()}; "
        f"python -c pass {py.describe('ms')}",
        flush=True,
    )
    print(
        f"[aqua] CPU medians: depguard {cpus['depguard'].median:.3f} s, sha256sum "
        f"{cpus['sha256sum'].median:.3f} s, pass {cpus['pass'].median * 1e3:.0f} ms",
        flush=True,
    )
    print(
        f"[aqua] depguard opens the artifact {diag['artifact_opens']}×; hashing it once in "
        f"Python takes {diag['python_hash_once_s']:.3f} s; importing sigstore's verifier "
        f"{diag['sigstore_import_s']:.3f} s",
        flush=True,
    )
    print(
        "[aqua] top-level imports (cumulative s): "
        + ", ".join(f"{k} {v:.3f}" for k, v in diag["import_top_s"].items()),
        flush=True,
    )
    print(
        "[aqua] profile (cumulative s): "
        + "; ".join(f"{k} {v:.3f}" for k, v in diag["profile_s"].items()),
        flush=True,
    )
    if busy:
        print(f"[aqua] note: {busy}", flush=True)
    note = f"quick: {mb:.0f} MB" if quick else ""
    rows = [
        row(
            f"tools verify {mb:.0f} MB + Sigstore bundle vs sha256sum + python -c pass",
            ratio,
            f"≤ {VERIFY_TARGET}×",
            ratio <= VERIFY_TARGET,
            f"{dg.median:.3f} s / ({sha.median:.3f} + {py.median:.3f}) s",
            note=note,
        ),
        row(
            "  same vs sha256sum alone (info)",
            ratio_sha,
            "info",
            None,
            f"opens the file {diag['artifact_opens']}×; sigstore import "
            f"{diag['sigstore_import_s']:.2f} s; Python sha256 {diag['python_hash_once_s']:.2f} s",
        ),
    ]
    details = {
        "size": size,
        "depguard_s": dg.samples,
        "sha256sum_s": sha.samples,
        "python_pass_s": py.samples,
        "cpu_s": {k: v.samples for k, v in cpus.items()},
        "ratio": ratio,
        "ratio_sha256sum": ratio_sha,
        **diag,
    }
    return rows, details


# --------------------------------------------------------------------------- entry points


def run_bench(*, quick: bool = False, only: Sequence[str] = ("update", "verify")) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="dg-bench-aqua-"))
    rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {"name": "aqua"}
    try:
        if "update" in only:
            r, d = bench_update(quick=quick, tmp=tmp / "update")
            rows += r
            result["update"] = d
        if "verify" in only:
            r, d = bench_verify(quick=quick, tmp=tmp / "verify")
            rows += r
            result["verify"] = d
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["rows"] = rows
    return result


def bench(quick: bool = False) -> dict[str, Any]:
    """Entry point of ``python -m tests.benchmarks``."""
    return run_bench(quick=quick)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 packages, a 5 MB artifact")
    parser.add_argument("--only", default="update,verify", help="update, verify or both")
    args = parser.parse_args(argv)
    result = run_bench(quick=args.quick, only=[s.strip() for s in args.only.split(",")])
    for r in result["rows"]:
        print(r)
    return result


if __name__ == "__main__":
    main()
