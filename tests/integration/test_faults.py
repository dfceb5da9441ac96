"""Transport faults × every command that talks to upstream (issue #7, item 2).

Each case starts a fresh upstream on 127.0.0.1 — a gpg-signed provider registry or a fake
GitHub, trusted through ``SSL_CERT_FILE`` — injects one fault on the one path the command
must fetch (the fault helpers of :mod:`tests.support.servers`) and runs the CLI in-process.
For every (fault, command):

* a transient fault (503 twice, 429 with ``Retry-After: 1``, one connection reset) is retried
  a bounded number of times and the command succeeds with the right data;
* any other fault ends the run with exit 3 — ``report`` exits 0, it informs (README) — and a
  one-line message naming the URL and the fault: never a traceback, never a finding (exit 1)
  for a transport fault, never exit 0 with data taken from the broken answer (the one fault no
  client can detect, a Content-Length shorter than the body, may also end in a finding about
  the data it cut: :attr:`Fault.framing`);
* the files the command writes (``.terraform.lock.hcl``, ``aqua-checksums.json``) are
  byte-identical after a failed run, and no temp file is left beside them;
* the run ends within :data:`HANG_GUARD` seconds (a hang guard, not a benchmark).

depguard's own bounds are made small through the policy (``limits: {timeout: 1s,
download_timeout: 2s, max_download_bytes: 1MiB}``). The retry backoff has no policy knob:
:func:`fast_backoff` builds the fetcher with a shorter one (attempt counts and ``Retry-After``
waits unchanged), which keeps the 114 cases near a minute on two cores. The bugs this file found
(a dripped JSON/SHA256SUMS answer bounded only by a fixed 120 s, a refused-redirect message
that named hosts but compared ports) are fixed; a new one would be a strict xfail.
"""
# ruff: noqa: F811  (pytest fixtures are imported by name and then used as parameters)

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from depguard.formats.tf_lock import parse_lock, render_lock
from depguard.model import ProviderAddress, ProviderLock
from tests.support.cli import CliResult, run_cli
from tests.support.fixtures import gpg_signer, tls_material, trust_test_ca  # noqa: F401
from tests.support.github_server import GitHubBuilder
from tests.support.prrepo import build_pr_repo, write_event
from tests.support.servers import HttpsServer, RegistryBuilder, TLSMaterial, make_shasums
from tests.support.signing import MANIFEST_JSON, GpgSigner, provider_zip

pytestmark = pytest.mark.usefixtures("trust_test_ca")

HANG_GUARD = 30.0  # seconds; every case must end well before this
PLATFORMS = ("linux_amd64", "darwin_arm64")
LIMITS = "limits: {timeout: 1s, download_timeout: 2s, max_download_bytes: 1MiB}\n"
MAX_DOWNLOAD = 1024 * 1024
OLD, NEW = "1.0.0", "1.1.0"
ZIP_HOST = "registry.test"  # zips do not depend on the server's port: signed once a session


# --- signed provider releases (one gpg signature per version and session) -------------------


def h1_of_zip(data: bytes) -> str:
    """Terraform's ``dirhash.Hash1`` over the files of a zip (the oracle for ``h1:``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = sorted((i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir())
    summary = "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in files)
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


@dataclass(frozen=True)
class Release:
    version: str
    zips: dict[str, bytes]
    shasums: bytes
    sig: bytes
    signing_key: dict[str, Any]

    def hashes(self) -> tuple[str, ...]:
        """What ``terraform providers lock`` records for :data:`PLATFORMS`."""
        zh = {"zh:" + line.split()[0] for line in self.shasums.decode().splitlines()}
        return tuple(sorted(zh | {h1_of_zip(self.zips[p]) for p in PLATFORMS}))


@pytest.fixture(scope="session")
def releases(gpg_signer: GpgSigner) -> dict[str, Release]:
    out = {}
    for version in (OLD, NEW):
        zips = {p: provider_zip(ZIP_HOST, "acme", "demo", version, p) for p in PLATFORMS}
        prefix = f"terraform-provider-demo_{version}"
        files = {f"{prefix}_{p}.zip": z for p, z in zips.items()}
        files[f"{prefix}_manifest.json"] = MANIFEST_JSON
        shasums = make_shasums(files)
        out[version] = Release(
            version, zips, shasums, gpg_signer.sign(shasums), gpg_signer.signing_key()
        )
    return out


# --- the scenarios: one per command ---------------------------------------------------------


@dataclass
class Scenario:
    """A repository, its upstream on ``server`` and how to run and judge one command."""

    server: HttpsServer
    path: str  # the server path the fault is injected on
    limit: int  # the byte limit depguard applies to that path
    run: Callable[[], CliResult]
    check_ok: Callable[[CliResult], None]
    check_failed: Callable[[CliResult], None]  # nothing claimed from the broken answer
    protected: list[Path] = field(default_factory=list)  # files a failed run must not touch
    fail_code: int = 3


def _report(result: CliResult) -> dict[str, Any]:
    """The ``--format json`` document, or ``{}`` when the run ended before printing one."""
    try:
        doc = json.loads(result.out)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _messages(result: CliResult) -> list[str]:
    """The stderr lines and every skip, note and finding message of the JSON report."""
    lines = result.err.splitlines()
    doc = _report(result)
    lines += [s["reason"] for s in doc.get("skipped", [])]
    lines += [s["reason"] for s in doc.get("integrity", {}).get("skipped", [])]
    lines += [o["note"] for o in doc.get("outdated", []) if o.get("note")]
    lines += [f["message"] for f in doc.get("findings", [])]
    return lines


def _main_tf(address: str, constraint: str = "~> 1.0") -> str:
    return (
        "terraform {\n  required_providers {\n    demo = {\n"
        f'      source  = "{address}"\n      version = "{constraint}"\n    }}\n  }}\n}}\n'
    )


def _lock(address: ProviderAddress, version: str, hashes: tuple[str, ...]) -> str:
    entry = ProviderLock(address=address, version=version, constraints="~> 1.0", hashes=hashes)
    return render_lock([entry])


@dataclass
class Tf:
    """A repository of state directories using ``<registry>/acme/demo``."""

    server: HttpsServer
    registry: RegistryBuilder
    root: Path
    config: Path
    address: ProviderAddress

    def state(self, name: str, lock: str | None, constraint: str = "~> 1.0") -> Path:
        d = self.root / "envs" / name
        d.mkdir(parents=True)
        (d / "main.tf").write_text(_main_tf(str(self.address), constraint))
        if lock is not None:
            (d / ".terraform.lock.hcl").write_text(lock)
        return d / ".terraform.lock.hcl"

    def cli(self, *args: str) -> CliResult:
        return run_cli("--format", "json", "--config", str(self.config), *args)


def make_tf(
    tmp_path: Path, tls: TLSMaterial, signer: GpgSigner, releases: dict[str, Release]
) -> Tf:
    server = HttpsServer(tls).start()
    registry = RegistryBuilder(server)
    for r in releases.values():
        prefix = f"terraform-provider-demo_{r.version}"
        registry.add_provider(
            "acme", "demo", r.version, r.zips, r.shasums, r.sig, [r.signing_key],
            extra_files={f"{prefix}_manifest.json": MANIFEST_JSON},
        )  # fmt: skip
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    config = tmp_path / "depguard.yaml"
    config.write_text(
        f"platforms: [{', '.join(PLATFORMS)}]\n"
        "trust:\n  terraform:\n    providers: ['*/acme/*']\n    signing_keys:\n"
        f"      - fingerprint: '{signer.fingerprint}'\n        providers: ['*/acme/*']\n" + LIMITS
    )
    return Tf(server, registry, root, config, registry.address("acme", "demo"))


def _file_path(version: str, name: str) -> str:
    return f"/dl/acme/demo/{version}/terraform-provider-demo_{version}_{name}"


def verify_scenario(tf: Tf, releases: dict[str, Release], tmp_path: Path) -> Scenario:
    lock = tf.state("a", _lock(tf.address, OLD, releases[OLD].hashes()))

    def ok(r: CliResult) -> None:
        assert r.code == 0, r.out + r.err
        (checked,) = r.json()["checked"]
        assert checked["subject"] == f"{tf.address} {OLD}"

    def failed(r: CliResult) -> None:
        assert _report(r).get("checked", []) == []

    return Scenario(
        tf.server, _file_path(OLD, "SHA256SUMS"), 1024 * 1024,
        lambda: tf.cli("verify", str(tf.root)), ok, failed, [lock],
    )  # fmt: skip


def lock_scenario(tf: Tf, releases: dict[str, Release], tmp_path: Path) -> Scenario:
    rel = releases[OLD]
    partial = tuple(h for h in rel.hashes() if h != h1_of_zip(rel.zips["darwin_arm64"]))
    old = tf.state("a", _lock(tf.address, OLD, partial))  # misses darwin's h1
    new = tf.state("b", None, OLD)  # no lock yet (and 1.1.0 not allowed)

    def ok(r: CliResult) -> None:
        assert r.code == 0, r.out + r.err
        for path in (old, new):
            (entry,) = parse_lock(path.read_text(), str(path)).providers
            assert (entry.address, entry.version, entry.hashes) == (tf.address, OLD, rel.hashes())

    def failed(r: CliResult) -> None:
        assert _report(r).get("checked", []) == []

    return Scenario(
        tf.server, _file_path(OLD, "linux_amd64.zip"), MAX_DOWNLOAD,
        lambda: tf.cli("lock", str(tf.root)), ok, failed, [old, new],
    )  # fmt: skip


def report_scenario(tf: Tf, releases: dict[str, Release], tmp_path: Path) -> Scenario:
    tf.state("a", _lock(tf.address, OLD, releases[OLD].hashes()))

    def row(r: CliResult) -> dict[str, Any]:
        (o,) = r.json()["outdated"]
        return dict(o)

    def ok(r: CliResult) -> None:
        assert r.code == 0, r.out + r.err
        o = row(r)
        assert (o["latest"], o["behind"], o["note"]) == (NEW, 1, ""), o

    def failed(r: CliResult) -> None:
        o = row(r)  # the report still renders: the row says why it knows no newest version
        assert (o["latest"], o["behind"]) == (None, None), o
        assert o["note"].startswith("latest version unknown: "), o

    return Scenario(
        tf.server, "/v1/providers/acme/demo/versions", 16 * 1024 * 1024,
        lambda: tf.cli("report", "--no-history", str(tf.root)), ok, failed, fail_code=0,
    )  # fmt: skip


def check_pr_scenario(tf: Tf, releases: dict[str, Release], tmp_path: Path) -> Scenario:
    base, head = tmp_path / "base", tmp_path / "head"
    for tree, version in ((base, OLD), (head, NEW)):
        d = tree / "envs" / "a"
        d.mkdir(parents=True)
        (d / "main.tf").write_text(_main_tf(str(tf.address)))
        (d / ".terraform.lock.hcl").write_text(
            _lock(tf.address, version, releases[version].hashes())
        )
    repo, b, h = build_pr_repo(tmp_path / "pr", base, head)
    event = write_event(tmp_path / "event.json", branch="renovate/demo-1.x")
    args = ("check-pr", "--repo", str(repo), "--base", b, "--head", h, "--event", str(event))

    def ok(r: CliResult) -> None:
        assert r.code == 0, r.out + r.err
        (row,) = r.json()["changes"]
        assert (row["old"], row["new"], row["status"]) == (OLD, NEW, "verified"), row

    def failed(r: CliResult) -> None:
        rows = _report(r).get("changes", [])
        assert all(row["status"] != "verified" for row in rows), rows

    return Scenario(
        tf.server, f"/v1/providers/acme/demo/{NEW}/download/linux/amd64", 1024 * 1024,
        lambda: tf.cli(*args), ok, failed,
    )  # fmt: skip


# --- aqua: a github_content registry and one package with a checksum file -------------------

TOOL = "v1.0.0"
SUMS_PATH = f"/gh/acme/tool/releases/download/{TOOL}/tool_checksums.txt"
REGISTRY = """\
packages:
  - type: github_release
    repo_owner: acme
    repo_name: tool
    asset: tool_{{.OS}}_{{.Arch}}.tar.gz
    supported_envs: [linux]
    checksum:
      type: github_release
      asset: tool_checksums.txt
      algorithm: sha256
"""
AQUA = f"""\
registries:
  - name: acme
    type: github_content
    repo_owner: acme
    repo_name: aqua-registry
    ref: v1.0.0
    path: registry.yaml
checksum:
  enabled: true
  require_checksum: true
  supported_envs: [linux]
packages:
  - name: acme/tool@{TOOL}
    registry: acme
"""
POLICY = """\
registries:
  - name: acme
    type: github_content
    repo_owner: acme
    repo_name: aqua-registry
    path: registry.yaml
packages:
  - registry: acme
"""
REGISTRY_ID = "registries/github_content/github.com/acme/aqua-registry/v1.0.0/registry.yaml"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checksums_json(entries: dict[str, bytes]) -> bytes:
    doc = {
        "checksums": [
            {"id": i, "checksum": _sha(entries[i]).upper(), "algorithm": "sha256"}
            for i in sorted(entries)
        ]
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


@dataclass
class Aqua:
    server: HttpsServer
    root: Path
    assets: dict[str, bytes]

    @property
    def sums_file(self) -> Path:
        return self.root / "aqua" / "aqua-checksums.json"

    def cli(self, *args: str) -> CliResult:
        return run_cli("--config", str(self.root / "depguard.yaml"), "--format", "json", *args)


def make_aqua(tmp_path: Path, tls: TLSMaterial) -> Aqua:
    server = HttpsServer(tls).start()
    gh = GitHubBuilder(server)
    registry = REGISTRY.encode()
    gh.add_raw("acme", "aqua-registry", "v1.0.0", "registry.yaml", registry)
    assets = {
        f"tool_linux_{a}.tar.gz": f"tool {TOOL} linux/{a}\n".encode() for a in ("amd64", "arm64")
    }
    sums = "".join(f"{_sha(d)}  {n}\n" for n, d in sorted(assets.items())).encode()
    gh.add_release("acme", "tool", TOOL, {**assets, "tool_checksums.txt": sums})
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "aqua").mkdir()
    (root / "aqua" / "aqua.yaml").write_text(AQUA)
    (root / "aqua-policy.yaml").write_text(POLICY)
    urls = gh.urls
    (root / "depguard.yaml").write_text(
        f"github:\n  url: {urls.url}\n  api_url: {urls.api_url}\n  raw_url: {urls.raw_url}\n"
        "trust:\n  aqua:\n    registries:\n"
        "      - {type: github_content, repo_owner: acme, repo_name: aqua-registry,"
        " path: registry.yaml}\n" + LIMITS
    )
    world = Aqua(server, root, assets)
    world.sums_file.write_bytes(_checksums_json({REGISTRY_ID: registry}))  # the pinned registry
    return world


def _tool_id(name: str) -> str:
    return f"github_release/github.com/acme/tool/{TOOL}/{name}"


def checksums_scenario(aqua: Aqua, tmp_path: Path) -> Scenario:
    registry = REGISTRY.encode()
    expected = _checksums_json(
        {REGISTRY_ID: registry, **{_tool_id(n): d for n, d in aqua.assets.items()}}
    )

    def ok(r: CliResult) -> None:
        assert r.code == 0, r.out + r.err
        assert aqua.sums_file.read_bytes() == expected

    def failed(r: CliResult) -> None:
        assert _report(r).get("checked", []) == []

    return Scenario(
        aqua.server, SUMS_PATH, MAX_DOWNLOAD,
        lambda: aqua.cli("checksums", "update", str(aqua.root)), ok, failed, [aqua.sums_file],
    )  # fmt: skip


def tools_verify_scenario(aqua: Aqua, tmp_path: Path) -> Scenario:
    name = "tool_linux_amd64.tar.gz"
    aqua.sums_file.write_bytes(
        _checksums_json({REGISTRY_ID: REGISTRY.encode(), _tool_id(name): aqua.assets[name]})
    )
    file = tmp_path / name
    file.write_bytes(aqua.assets[name])
    aqua_yaml = str(aqua.root / "aqua" / "aqua.yaml")
    args = ("tools", "verify", str(file), "--package", f"acme/tool@{TOOL}",
            "--platform", "linux/amd64", "--config", aqua_yaml)  # fmt: skip

    def ok(r: CliResult) -> None:
        assert r.code == 0, r.out + r.err
        (checked,) = r.json()["checked"]
        assert "checksum-file" in checked["evidence"], checked

    def failed(r: CliResult) -> None:
        # the file still matches its aqua-checksums.json pin; the checksum file is not evidence
        checked = _report(r).get("checked", [])
        assert all("checksum-file" not in c["evidence"] for c in checked), checked

    return Scenario(
        aqua.server, SUMS_PATH, MAX_DOWNLOAD, lambda: aqua.cli(*args), ok, failed, [aqua.sums_file]
    )


#: command -> (fetches with a plain GET rather than a streamed download, how to build it)
COMMANDS: dict[str, bool] = {
    "verify": True,  # SHA256SUMS
    "lock": False,  # a provider zip
    "report": True,  # the registry's version list
    "check-pr": True,  # the new version's download JSON
    "checksums-update": False,  # an aqua checksum file (release files are downloads)
    "tools-verify": False,  # the same checksum file
}


@pytest.fixture
def make_scenario(
    tmp_path: Path, tls_material: TLSMaterial, gpg_signer: GpgSigner, releases: dict[str, Release]
) -> Iterator[Callable[[str], Scenario]]:
    """Build the scenario of one command; its server stops at teardown."""
    servers: list[HttpsServer] = []

    def build(command: str) -> Scenario:
        if command in ("checksums-update", "tools-verify"):
            aqua = make_aqua(tmp_path, tls_material)
            servers.append(aqua.server)
            if command == "checksums-update":
                return checksums_scenario(aqua, tmp_path)
            return tools_verify_scenario(aqua, tmp_path)
        tf = make_tf(tmp_path, tls_material, gpg_signer, releases)
        servers.append(tf.server)
        return {
            "verify": verify_scenario,
            "lock": lock_scenario,
            "report": report_scenario,
            "check-pr": check_pr_scenario,
        }[command](tf, releases, tmp_path)

    try:
        yield build
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry backoff 0.1 s, 0.2 s, 0.4 s instead of 0.5 s, 1 s, 2 s.

    The backoff has no policy knob (``tests/unit/test_http.py`` checks its real schedule); the
    fetcher's constructor takes it, so the runs here build their fetcher with a shorter one.
    The number of attempts and ``Retry-After`` waits are unchanged.
    """
    import functools

    import depguard.net.http as http

    monkeypatch.setattr(
        http, "HttpFetcher", functools.partial(http.HttpFetcher, backoff_factor=0.1)
    )


# --- the faults -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """``inject(scenario, ctx)``; ``transient``: the command must succeed after retries;
    otherwise ``pattern`` must match the one-line message, which also names ``url``."""

    id: str
    inject: Callable[[Scenario, Ctx], None]
    transient: bool = False
    pattern: str = ""
    url: Callable[[Scenario], str] = lambda sc: sc.server.url_for(sc.path)
    requests: int | range | None = None  # requests for the path: the bound on retries, hops
    min_seconds: float = 0.0
    max_seconds: float = HANG_GUARD
    #: The received bytes are well-formed HTTP but not the published file (a Content-Length
    #: shorter than the body): no client can tell this from tampering, so a finding (exit 1)
    #: is right too — and so is success when the bytes kept are still the right ones.
    framing: bool = False


@dataclass
class Ctx:
    tmp_path: Path
    tls: TLSMaterial
    monkeypatch: pytest.MonkeyPatch
    others: list[HttpsServer] = field(default_factory=list)


def _other_server(sc: Scenario, ctx: Ctx) -> HttpsServer:
    """Another server (same CA, another port): it must never be asked anything."""
    other = HttpsServer(ctx.tls).start()
    ctx.others.append(other)
    return other


def _redirect_other_port(sc: Scenario, ctx: Ctx) -> None:
    sc.server.redirect(sc.path, _other_server(sc, ctx).url_for(sc.path))


def _redirect_other_host(sc: Scenario, ctx: Ctx) -> None:
    # The same server under another name its certificate covers (127.0.0.1 vs localhost).
    sc.server.redirect(sc.path, f"https://127.0.0.1:{sc.server.port}{sc.path}")


def _untrusted(sc: Scenario, ctx: Ctx) -> None:
    other = TLSMaterial.create(ctx.tmp_path / "other-ca")  # a CA that did not sign the server's
    ctx.monkeypatch.setenv("SSL_CERT_FILE", str(other.ca_pem))


def _tomorrow() -> str:
    return email.utils.formatdate(time.time() + 86400, usegmt=True)


# depguard's default is the first attempt and 3 retries; a download also stops retrying at
# its deadline (`download_timeout: 2s`), which a loaded machine may reach after 2 attempts
RETRIED = range(2, 5)

FAULTS = [
    # transient: retried, then the command succeeds with the right data
    Fault("503-twice-then-ok", lambda sc, _c: sc.server.fail_times(sc.path, 2, status=503),
          transient=True, requests=3),
    Fault("429-retry-after-1-then-ok",
          lambda sc, _c: sc.server.fail_times(sc.path, 1, status=429, retry_after="1"),
          transient=True, requests=2, min_seconds=1.0),
    Fault("reset-once-then-ok", lambda sc, _c: sc.server.reset(sc.path, times=1),
          transient=True, requests=2),
    # retrying would not help within depguard's bounds: give up at once
    Fault("503-retry-after-3600",
          lambda sc, _c: sc.server.fail_times(sc.path, 99, status=503, retry_after="3600"),
          pattern=r"HTTP 503.*retry after 3600s, more than", requests=1, max_seconds=10),
    Fault("429-retry-after-tomorrow",
          lambda sc, _c: sc.server.fail_times(sc.path, 99, status=429, retry_after=_tomorrow()),
          pattern=r"HTTP 429.*retry after 86[34]\d\ds, more than", requests=1, max_seconds=10),
    # broken transfers: retried a bounded number of times, then exit 3
    Fault("reset-before-status", lambda sc, _c: sc.server.reset(sc.path),
          pattern=r"connection failed", requests=RETRIED),
    Fault("reset-mid-body", lambda sc, _c: sc.server.reset(sc.path, after=10),
          pattern=r"truncated body \(connection broken after 10 bytes|received 10 of",
          requests=RETRIED),
    Fault("truncated-body", lambda sc, _c: sc.server.cut_body(sc.path),
          pattern=r"truncated body \(received \d+ of \d+ bytes, Content-Length mismatch",
          requests=RETRIED),
    Fault("content-length-too-long", lambda sc, _c: sc.server.misdeclare_length(sc.path, 100),
          pattern=r"truncated body \(received \d+ of \d+ bytes, Content-Length mismatch",
          requests=RETRIED),
    Fault("content-length-too-short", lambda sc, _c: sc.server.misdeclare_length(sc.path, -10),
          framing=True, requests=1),
    # limits
    Fault("oversized-declared", lambda sc, _c: sc.server.oversize(sc.path, sc.limit + 1),
          pattern=r"response too large \(Content-Length \d+ exceeds the limit", requests=1),
    Fault("oversized-undeclared",
          lambda sc, _c: sc.server.oversize(sc.path, sc.limit + 1, declare=False),
          pattern=r"response too large \(body exceeds the limit", requests=1),
    # one byte every 0.25 s (for up to 6 s): each read gets a byte within `timeout: 1s`, but
    # the body takes longer than `download_timeout: 2s`, so the run must give up by ~5 s
    Fault("slow-drip", lambda sc, _c: sc.server.drip(sc.path, 0.25, for_seconds=6),
          pattern=r"timed out", requests=1, max_seconds=5),
    # no status line within `timeout: 1s` (the server would answer after 3 s): every attempt
    # times out; retried within the deadline, then exit 3
    Fault("no-answer", lambda sc, _c: sc.server.delay(sc.path, 3),
          pattern=r"timed out", requests=range(1, 5), max_seconds=10),
    # redirects
    Fault("redirect-malformed-location", lambda sc, _c: sc.server.redirect(sc.path, "https://[::1/x"),
          # requests itself parses the Location first (for Response.next): "request failed
          # (Invalid IPv6 URL)"; where it does not, depguard refuses it
          pattern=r"Invalid IPv6 URL|refused redirect .*not a valid URL", requests=1),
    Fault("redirect-other-port", _redirect_other_port,
          pattern=r"refused redirect from \S+ to https://localhost:\d+/\S+: ", requests=1),
    Fault("redirect-other-hostname", _redirect_other_host,
          pattern=r"refused redirect .* 127\.0\.0\.1:\d+ is neither the origin localhost",
          requests=1),
    Fault("redirect-loop", lambda sc, _c: sc.server.redirect_loop(sc.path),
          pattern=r"too many redirects \(more than 5\)", requests=6),
    # TLS: the CA in SSL_CERT_FILE did not issue the server's certificate (the first request
    # of the run fails, whichever it is)
    Fault("tls-untrusted", _untrusted, pattern=r"TLS failure \(.*CERTIFICATE_VERIFY_FAILED",
          url=lambda sc: sc.server.url + "/", requests=0),
]  # fmt: skip


def _cases() -> list[Any]:
    out = []
    for fault in FAULTS:
        for command in COMMANDS:
            # a dripped answer is bounded on downloads and plain GETs alike (a GET's whole
            # deadline follows limits.download_timeout)
            out.append(pytest.param(fault, command, id=f"{fault.id}-{command}"))
    return out


def _snapshot(paths: list[Path]) -> dict[Path, bytes | None]:
    return {p: p.read_bytes() if p.exists() else None for p in paths}


def _temp_files(paths: list[Path]) -> list[Path]:
    """Files next to the protected ones that look like write_atomic's temp files."""
    dirs = {p.parent for p in paths if p.parent.exists()}
    return sorted(f for d in dirs for f in d.iterdir() if f.name.endswith(".tmp"))


@pytest.mark.parametrize(("fault", "command"), _cases())
def test_fault(
    fault: Fault,
    command: str,
    make_scenario: Callable[[str], Scenario],
    tmp_path: Path,
    tls_material: TLSMaterial,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = make_scenario(command)
    ctx = Ctx(tmp_path, tls_material, monkeypatch)
    before = _snapshot(sc.protected)
    fault.inject(sc, ctx)
    start = time.monotonic()
    try:
        result = sc.run()
    finally:
        for other in ctx.others:
            other.stop()
    elapsed = time.monotonic() - start
    print(f"{fault.id} × {command}: exit {result.code} in {elapsed:.2f}s")

    assert "Traceback" not in result.err + result.out, result.err
    assert fault.min_seconds <= elapsed < fault.max_seconds, f"took {elapsed:.1f}s"
    assert _temp_files(sc.protected) == []
    if fault.requests is not None:
        allowed = fault.requests if isinstance(fault.requests, range) else (fault.requests,)
        assert len(sc.server.requests_for(sc.path)) in allowed
    assert all(other.requests == [] for other in ctx.others), "a refused redirect was followed"
    if fault.transient:
        sc.check_ok(result)
        return
    if fault.framing and result.code == 0:
        with contextlib.suppress(AssertionError):
            sc.check_ok(result)  # what was kept of the body is still the published data
            return
    expected_codes = {sc.fail_code, 1} if fault.framing else {sc.fail_code}
    assert result.code in expected_codes, result.out + result.err
    assert _snapshot(sc.protected) == before
    if not fault.framing:  # (a finding may come with what was established before it)
        sc.check_failed(result)
    messages = _messages(result)
    if fault.framing:
        # a transport error naming the URL, or a finding naming the file that contradicts it
        hits = [m for m in messages if sc.server.url in m and "\n" not in m]
    else:
        url = fault.url(sc)
        hits = [m for m in messages if url in m and re.search(fault.pattern, m) and "\n" not in m]
    assert hits, f"no one-line message naming {fault.url(sc)} and /{fault.pattern}/:\n" + "\n".join(
        messages
    )
    print(f"  {hits[0]}")


def test_a_refused_redirect_to_another_port_says_so(
    make_scenario: Callable[[str], Scenario], tmp_path: Path, tls_material: TLSMaterial,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sc = make_scenario("verify")
    ctx = Ctx(tmp_path, tls_material, monkeypatch)
    _redirect_other_port(sc, ctx)
    try:
        result = sc.run()
    finally:
        ctx.others[0].stop()
    assert result.code == 3, result.out + result.err
    target = ctx.others[0].url_for(sc.path)
    (reason,) = [m.split(f"{target}: ", 1)[1] for m in _messages(result) if f"{target}: " in m]
    assert f":{ctx.others[0].port}" in reason, reason
