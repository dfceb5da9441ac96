"""Hostile and broken input never crashes depguard.

* Files in the repository that do not parse (lock files, ``.tf``) are ``invalid-manifest``
  findings naming file and line, and the run goes on (DESIGN §2); the policy file and the
  command line are usage errors (exit 2) naming file and line.
* Registry answers that are huge, not JSON, the wrong shape, redirected off-host or to http,
  slow or truncated make the check impossible: a skip with a one-line reason, exit 3.
* Provider packages that are zip bombs or carry path-traversal names are refused quickly.
* Writes are atomic: a failing write leaves the old file and no temp file behind.

No test may print a Python traceback.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import os
import struct
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.servers import HttpsServer, RegistryBuilder, Reply, json_reply, make_shasums
from tests.support.signing import MANIFEST_JSON, GpgSigner, provider_zip

PLATFORMS = ("linux_amd64", "darwin_arm64")
LOCK = ".terraform.lock.hcl"


def h1_of_zip(data: bytes) -> str:
    """Terraform's ``dirhash.Hash1`` over the files of a zip (the ``h1:`` of lock files)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = sorted((i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir())
    summary = "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in files)
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def no_traceback(result: CliResult) -> None:
    assert "Traceback" not in result.err, result.err
    assert "Traceback" not in result.out, result.out
    assert "internal error" not in result.err, result.err


# --- repository files that do not parse ------------------------------------------------------

GOOD_LOCK = (
    '# This file is maintained automatically by "terraform init".\n'
    "# Manual edits may be lost in future updates.\n"
    "\n"
    'provider "registry.terraform.io/hashicorp/null" {\n'
    '  version     = "3.1.0"\n'
    '  constraints = "3.1.0"\n'
    "  hashes = [\n"
    '    "zh:02a1675fd8de126a00460942aaae242e65ca3380b5bb192e8773ef3da9073fd2",\n'
    "  ]\n"
    "}\n"
)

#: name -> (file name, content, expected line)
BROKEN_FILES: dict[str, tuple[str, bytes, int | None]] = {
    "truncated-lock": (LOCK, GOOD_LOCK.encode()[: GOOD_LOCK.index("  ]")], 9),
    "unclosed-string-lock": (
        LOCK,
        b'provider "registry.terraform.io/hashicorp/null" {\n  version = "3.1.0\n}\n',
        2,
    ),
    "unknown-block-lock": (LOCK, GOOD_LOCK.encode() + b'\nterraform "x" {\n}\n', 12),
    "unknown-attribute-lock": (
        LOCK,
        GOOD_LOCK.replace("  hashes", '  source = "evil"\n  hashes').encode(),
        7,
    ),
    "duplicate-provider-lock": (
        LOCK,
        (GOOD_LOCK + "\n" + GOOD_LOCK.split("\n\n", 1)[1]).encode(),
        12,
    ),
    "v-prefixed-version-lock": (
        LOCK,
        GOOD_LOCK.replace('"3.1.0"\n  constraints', '"v3.1.0"\n  constraints').encode(),
        5,
    ),
    "nul-bytes-lock": (LOCK, GOOD_LOCK.encode().replace(b"version", b"ver\0sion", 1), 5),
    "unterminated-string-tf": (
        "main.tf",
        b'terraform {\n  required_providers {\n    null = {\n      source = "hashicorp/null\n'
        b"    }\n  }\n}\n",
        4,
    ),
    "unterminated-heredoc-tf": ("main.tf", b"locals {\n  x = <<EOT\nhello\n}\n", 2),
    # HCL reports the innermost block that is still open.
    "invalid-tf-json": ("main.tf.json", b'{\n  "terraform": {\n    "required_providers": [\n', 4),
    "unclosed-block-tf": ("main.tf", b"terraform {\n  required_providers {\n", 2),
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
@pytest.mark.parametrize("command", ["verify", "lock"])
def test_unparsable_file_is_invalid_manifest_with_file_and_line(
    tmp_path: Path, name: str, command: str
) -> None:
    filename, content, line = BROKEN_FILES[name]
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    bad = root / "envs" / "bad"
    bad.mkdir(parents=True)
    (bad / filename).write_bytes(content)
    if filename != LOCK:
        (bad / LOCK).write_text(GOOD_LOCK)
    before = {p.name: p.read_bytes() for p in bad.iterdir()}

    result = run_cli("--format", "json", "--offline", command, str(root))
    no_traceback(result)
    findings = [f for f in result.json()["findings"] if f["rule"] == "invalid-manifest"]
    assert findings, result.out
    assert findings[0]["path"] == f"envs/bad/{filename}"
    assert findings[0]["line"] == line, findings[0]
    assert result.code == 1, result.out + result.err
    # The text format names file:line.
    text = run_cli("--offline", command, str(root))
    assert f"envs/bad/{filename}:{line}:" in text.out
    # lock never rewrites a directory it could not read.
    assert {p.name: p.read_bytes() for p in bad.iterdir()} == before


@pytest.mark.parametrize(
    "content",
    [os.urandom(0) + bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n" + b"\xff" * 64],
    ids=["all-bytes", "png-ish"],
)
def test_binary_garbage_lock_is_invalid_manifest(tmp_path: Path, content: bytes) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / LOCK).write_bytes(content)
    result = run_cli("--format", "json", "--offline", "verify", str(tmp_path))
    no_traceback(result)
    assert result.code == 1, result.out + result.err
    (finding,) = result.json()["findings"]
    assert finding["rule"] == "invalid-manifest" and finding["path"] == LOCK
    assert "UTF-8" in finding["message"]


def test_binary_garbage_lock_names_a_line(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / LOCK).write_bytes(b"# ok\n# ok\n\xff\xfe garbage\n")
    result = run_cli("--format", "json", "--offline", "verify", str(tmp_path))
    (finding,) = result.json()["findings"]
    assert finding["line"] == 3


def test_other_directories_are_still_checked(tmp_path: Path) -> None:
    """One broken lock among good ones: the good ones are still judged (offline, example)."""
    from tests.integration.test_example import copy_example

    root = copy_example(tmp_path)
    bad = root / "envs" / "dev" / "network" / LOCK
    bad.write_bytes(b"\x00\x01garbage{{{")
    result = run_cli("--format", "json", "--offline", "verify", str(root))
    no_traceback(result)
    assert result.code == 1
    report = result.json()
    assert {f["rule"] for f in report["findings"]} == {"invalid-manifest"}
    paths = {c["path"] for c in report["checked"]}
    assert paths == {
        "aqua/aqua-checksums.json",
        "envs/prod/dns/.terraform.lock.hcl",
        "envs/prod/network/.terraform.lock.hcl",
        "envs/stg/network/.terraform.lock.hcl",
    }


# --- the policy file and the command line: exit 2 ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("platforms: [linux_amd64]\ntrust:\n  terraform:\n    provders: []\n", 4, "provders"),
        ("platforms: [linux_amd64]\nbogus: 1\n", 2, "bogus"),
        ("limits:\n  timeout: soon\n", 2, "timeout"),
        ("platforms: [linux_amd64]\nplatforms: [darwin_arm64]\n", 2, "platforms"),
        ("trust: [\n", 2, ""),
    ],
    ids=["unknown-nested-key", "unknown-top-key", "bad-duration", "duplicate-key", "yaml-syntax"],
)
def test_bad_policy_is_exit_2_with_file_and_line(
    tmp_path: Path, text: str, line: int, needle: str
) -> None:
    config = tmp_path / "depguard.yaml"
    config.write_text(text)
    for command in ("verify", "lock"):
        result = run_cli("--config", str(config), "--offline", command, str(tmp_path))
        no_traceback(result)
        assert result.code == 2, result.out + result.err
        assert f"{config}:{line}" in result.err, result.err
        assert needle in result.err
        assert result.err.count("\n") <= 2  # one line (plus an optional hint)
        assert result.out == ""


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "{missing}"),
        ("lock", "{missing}"),
        ("verify", "{tmp}", "{missing}"),
        ("--config", "{missing}", "verify", "{tmp}"),
        ("lock", "{tmp}", "--fs-mirror", "{missing}"),
        ("lock", "{tmp}", "--fs-mirror", "{file}"),
        ("--config", "{tmp}", "verify", "{tmp}"),
        ("--output", "{tmp}", "verify", "{tmp}"),
        ("verify", "{file}"),
        ("verify", "{tmp}", "--platform", "linux"),
        ("verify", "{tmp}", "--fail-on", "severe"),
        ("verify", "{tmp}", "--format", "xml"),
        ("verify", "{tmp}", "--no-such-option"),
        ("no-such-command",),
    ],
    ids=[
        "verify-path",
        "lock-path",
        "second-path",
        "config",
        "fs-mirror",
        "fs-mirror-is-a-file",
        "config-is-a-directory",
        "output-is-a-directory",
        "path-is-not-a-lock-file",
        "bad-platform",
        "bad-fail-on",
        "bad-format",
        "unknown-option",
        "unknown-command",
    ],
)
def test_missing_paths_and_bad_options_are_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    subst = {"{missing}": str(tmp_path / "does-not-exist"), "{tmp}": str(tmp_path)}
    subst["{file}"] = str(afile)
    result = run_cli("--offline", *(subst.get(a, a) for a in args))
    no_traceback(result)
    assert result.code == 2, result.out + result.err
    assert result.err.strip(), "a usage error must say what is wrong"
    if "{missing}" in args:
        assert "does-not-exist" in result.err


# --- registry answers: skips with a one-line reason, exit 3 -----------------------------------


def publish(
    registry: RegistryBuilder,
    signer: GpgSigner,
    version: str = "1.0.0",
    zips: dict[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Publish ``acme/demo`` with gpg-signed SHA256SUMS (custom zips allowed)."""
    if zips is None:
        zips = {p: provider_zip(registry.hostname, "acme", "demo", version, p) for p in PLATFORMS}
    prefix = f"terraform-provider-demo_{version}"
    files = {f"{prefix}_{p}.zip": z for p, z in zips.items()}
    files[f"{prefix}_manifest.json"] = MANIFEST_JSON
    shasums = make_shasums(files)
    registry.add_provider(
        "acme",
        "demo",
        version,
        zips,
        shasums,
        signer.sign(shasums),
        [signer.signing_key()],
        extra_files={f"{prefix}_manifest.json": MANIFEST_JSON},
    )
    return zips


@dataclass
class Remote:
    """A repository whose one state directory locks ``acme/demo`` from the local registry."""

    root: Path
    config: Path
    registry: RegistryBuilder
    zips: dict[str, bytes]

    @property
    def server(self) -> HttpsServer:
        return self.registry.server

    def path(self, what: str) -> str:
        """The server path of one registry call (``versions``, ``download``, ``shasums``…)."""
        base = "/v1/providers/acme/demo"
        return {
            "discovery": "/.well-known/terraform.json",
            "versions": f"{base}/versions",
            "download": f"{base}/1.0.0/download/linux/amd64",
            "shasums": "/dl/acme/demo/1.0.0/terraform-provider-demo_1.0.0_SHA256SUMS",
            "signature": "/dl/acme/demo/1.0.0/terraform-provider-demo_1.0.0_SHA256SUMS.sig",
            "zip": "/dl/acme/demo/1.0.0/terraform-provider-demo_1.0.0_linux_amd64.zip",
        }[what]

    def run(self, *args: str) -> CliResult:
        return run_cli("--format", "json", "--config", str(self.config), *args)


def make_remote(
    tmp_path: Path,
    registry: RegistryBuilder,
    signer: GpgSigner,
    *,
    zips: dict[str, bytes] | None = None,
    limits: str = "",
    locked: bool = True,
    h1: bool = True,
) -> Remote:
    """Publish ``zips`` and lock them like ``terraform providers lock`` (``h1`` of each
    configured platform unless ``h1=False``, and every signed ``zh``)."""
    zips = publish(registry, signer, zips=zips)
    address = registry.address("acme", "demo")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    stack = root / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text(
        "terraform {\n  required_providers {\n    demo = {\n"
        f'      source  = "{address}"\n      version = "~> 1.0"\n    }}\n  }}\n}}\n'
    )
    if locked:
        zh = sorted(f"zh:{hashlib.sha256(z).hexdigest()}" for z in zips.values())
        zh.append(f"zh:{hashlib.sha256(MANIFEST_JSON).hexdigest()}")
        if h1:
            zh.extend(h1_of_zip(z) for z in zips.values())
        hashes = "".join(f'    "{h}",\n' for h in sorted(zh))
        (stack / LOCK).write_text(
            '# This file is maintained automatically by "terraform init".\n'
            "# Manual edits may be lost in future updates.\n\n"
            f'provider "{address}" {{\n  version     = "1.0.0"\n'
            f'  constraints = "~> 1.0"\n  hashes = [\n{hashes}  ]\n}}\n'
        )
    config = tmp_path / "depguard.yaml"
    config.write_text(
        f"platforms: [{', '.join(PLATFORMS)}]\n"
        "trust:\n  terraform:\n    providers: ['*/acme/*']\n    signing_keys:\n"
        f"      - fingerprint: '{signer.fingerprint}'\n        providers: ['*/acme/*']\n"
        + (f"limits: {{{limits}}}\n" if limits else "")
    )
    return Remote(root=root, config=config, registry=registry, zips=zips)


@pytest.fixture
def remote(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, trust_test_ca: Path
) -> Remote:
    return make_remote(tmp_path, registry_server, gpg_signer, limits=FAULT_LIMITS)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries of transient failures keep their count but not their backoff sleeps."""
    monkeypatch.setattr("depguard.net.http._MAX_BACKOFF", 0.01)


def _other_host(https_server: HttpsServer) -> str:
    https_server.route("/", json_reply({"providers.v1": "/v1/providers/"}), prefix=True)
    return https_server.url_for("/elsewhere")


#: Short timeouts, and a download limit far above the test zips but below the huge answers.
FAULT_LIMITS = "timeout: 1s, max_download_bytes: 4MiB"
#: Faults the fetcher retries (each retry costs the timeout): run them once only.
RETRIED = {"timeout", "truncated", "server-error"}

#: fault name -> (installs the fault on ``what``; returns words the reason must contain)
Fault = Callable[[Remote, str, HttpsServer], Sequence[str]]


def _huge_declared(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.huge(r.path(what), 64 * 1024 * 1024)
    return ("too large",)


def _huge_streamed(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.huge(r.path(what), 64 * 1024 * 1024, declare=False)
    return ("too large",)


def _not_json(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    body = b"<html><body>502 Bad Gateway</body></html>"
    r.server.route(r.path(what), Reply(body=body, content_type="application/json"))
    return ("JSON",)


def _wrong_shape(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.route(r.path(what), json_reply(["not", "an", "object"]))
    return ("object",)


def _wrong_field_types(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    doc = {"os": "linux", "arch": "amd64", "filename": 7, "download_url": None, "shasum": "x"}
    r.server.route(r.path(what), json_reply(doc))
    return ("filename",)


def _redirect_other_host(r: Remote, what: str, other: HttpsServer) -> Sequence[str]:
    r.server.redirect(r.path(what), _other_host(other))
    return ("refused redirect",)


def _redirect_loopback_ip(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    # Same server, other host name: still another host.
    r.server.redirect(r.path(what), f"https://127.0.0.1:{r.server.port}{r.path(what)}")
    return ("refused redirect",)


def _redirect_http(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.redirect(r.path(what), f"http://{r.server.host}{r.path(what)}")
    return ("refused redirect", "http")


def _redirect_loop(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.redirect(r.path(what), r.path(what))
    return ("redirect",)


def _timeout(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.route(r.path(what), Reply(body=b"{}", delay=10, content_type="application/json"))
    return ("timed out",)


def _truncated(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.truncate(r.path(what), b'{"versions": [')
    return ("truncated",)


def _server_error(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.route(r.path(what), Reply(status=503, body=b"down", content_type="text/plain"))
    return ("503",)


def _forbidden(r: Remote, what: str, _o: HttpsServer) -> Sequence[str]:
    r.server.route(r.path(what), Reply(status=403, body=b"no", content_type="text/plain"))
    return ("403",)


FAULTS: dict[str, Fault] = {
    "huge-declared": _huge_declared,
    "huge-streamed": _huge_streamed,
    "not-json": _not_json,
    "wrong-shape": _wrong_shape,
    "wrong-field-types": _wrong_field_types,
    "redirect-other-host": _redirect_other_host,
    "redirect-loopback-ip": _redirect_loopback_ip,
    "redirect-http": _redirect_http,
    "redirect-loop": _redirect_loop,
    "timeout": _timeout,
    "truncated": _truncated,
    "server-error": _server_error,
    "forbidden": _forbidden,
}

#: (fault, registry call, command): every fault on the first JSON call verify makes, plus the
#: other calls with a representative subset (retried faults cost seconds; keep them few).
SCENARIOS = [(f, "download", "verify") for f in FAULTS] + [
    ("not-json", "discovery", "verify"),
    ("redirect-other-host", "discovery", "verify"),
    ("huge-declared", "shasums", "verify"),
    ("redirect-http", "signature", "verify"),
    ("huge-streamed", "signature", "verify"),
    ("huge-declared", "zip", "verify --deep"),
    ("redirect-other-host", "zip", "verify --deep"),
    ("truncated", "zip", "verify --deep"),
    ("wrong-shape", "versions", "lock"),
    ("huge-streamed", "versions", "lock"),
    ("redirect-http", "versions", "lock"),
    ("not-json", "download", "lock"),
    ("redirect-other-host", "zip", "lock"),
    ("timeout", "zip", "lock"),
]


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize(
    ("fault", "what", "command"), SCENARIOS, ids=["-".join(s).replace(" ", "") for s in SCENARIOS]
)
def test_bad_registry_answer_is_a_skip_with_a_one_line_reason(
    tmp_path: Path,
    registry_server: RegistryBuilder,
    gpg_signer: GpgSigner,
    https_server: HttpsServer,
    trust_test_ca: Path,
    fault: str,
    what: str,
    command: str,
) -> None:
    remote = make_remote(
        tmp_path, registry_server, gpg_signer, limits=FAULT_LIMITS, locked=command != "lock"
    )
    words = FAULTS[fault](remote, what, https_server)
    start = time.monotonic()
    result = remote.run(*command.split(), str(remote.root))
    elapsed = time.monotonic() - start
    no_traceback(result)
    assert result.code == 3, result.out + result.err
    report = result.json()
    assert report["findings"] == [], report["findings"]
    assert report["skipped"], report
    for skip in report["skipped"]:
        reason = skip["reason"]
        assert "\n" not in reason and reason.strip() == reason
        assert len(reason) < 2000, reason
        for word in words:
            assert word.lower() in reason.lower(), reason
        assert "localhost" in reason or "127.0.0.1" in reason  # names the URL at fault
    assert elapsed < 15, f"took {elapsed:.1f}s"
    if command == "lock":
        assert not (remote.root / "stack" / LOCK).exists()
    if fault in RETRIED:
        return
    # --allow-skips turns the incomplete run into a pass, still without a traceback.
    allowed = remote.run(*command.split(), str(remote.root), "--allow-skips")
    no_traceback(allowed)
    assert allowed.code == 0, allowed.out + allowed.err


@pytest.mark.usefixtures("fast_retries")
def test_deep_download_failure_is_a_skip_even_for_a_zh_only_lock(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, trust_test_ca: Path
) -> None:
    remote = make_remote(tmp_path, registry_server, gpg_signer, limits=FAULT_LIMITS, h1=False)
    remote.server.truncate(remote.path("zip"), b"PK\x03\x04")
    result = remote.run("verify", "--deep", str(remote.root))
    no_traceback(result)
    assert result.code == 3, result.out
    assert result.json()["skipped"]


def test_a_redirect_to_another_host_is_not_followed(
    remote: Remote, https_server: HttpsServer
) -> None:
    target = _other_host(https_server)
    remote.server.redirect(remote.path("download"), target)
    result = remote.run("verify", str(remote.root))
    assert result.code == 3
    assert https_server.requests == [], "depguard followed a redirect to another host"


def test_bad_registry_answer_in_text_format_is_one_line_per_skip(remote: Remote) -> None:
    remote.server.route(remote.path("download"), Reply(body=b"nope", content_type="text/html"))
    result = run_cli("--config", str(remote.config), "verify", str(remote.root))
    no_traceback(result)
    assert result.code == 3
    skipped = [line for line in result.out.splitlines() if line.startswith("  - ")]
    assert len(skipped) == 1 and "JSON" in skipped[0]


# --- hostile provider packages ---------------------------------------------------------------


def _zip(entries: Sequence[tuple[str, bytes]], *, stored: bool = False) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.external_attr = 0o100755 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _lying_bomb() -> bytes:
    """A deflated entry of 32 MiB of zeros whose headers claim 1000 bytes."""
    data = _zip([("terraform-provider-demo_v1.0.0", b"\0" * (32 * 1024 * 1024))])
    buf = bytearray(data)
    local = buf.index(b"PK\x03\x04")
    struct.pack_into("<I", buf, local + 22, 1000)
    central = buf.index(b"PK\x01\x02")
    struct.pack_into("<I", buf, central + 24, 1000)
    return bytes(buf)


def _big_incompressible() -> bytes:
    return _zip([("terraform-provider-demo_v1.0.0", os.urandom(1536 * 1024))], stored=True)


HOSTILE_ZIPS: dict[str, tuple[Callable[[], bytes], str]] = {
    "ratio-bomb": (lambda: _zip([("bin", b"\0" * (32 * 1024 * 1024))]), "zip bomb"),
    "lying-bomb": (_lying_bomb, "inflates"),
    "over-total-limit": (_big_incompressible, "uncompressed"),
    "many-entries": (lambda: _zip([(f"f{i}", b"") for i in range(10_001)], stored=True), "entries"),
    "dotdot": (
        lambda: _zip([("../../../../tmp/depguard-test-pwned", b"x"), ("ok", b"y")]),
        "pwned",
    ),
    "absolute": (lambda: _zip([("/etc/cron.d/pwned", b"x")]), "pwned"),
    "newline-name": (lambda: _zip([("a\nb", b"x")]), "newline"),
    "not-a-zip": (lambda: b"MZ\x90\x00 this is not a zip archive " * 10, "not a zip"),
}


@pytest.fixture(scope="module")
def hostile_zip_bytes() -> dict[str, bytes]:
    return {name: make() for name, (make, _) in HOSTILE_ZIPS.items()}


@pytest.mark.parametrize("name", sorted(HOSTILE_ZIPS))
@pytest.mark.parametrize("command", ["verify --deep", "lock"])
def test_hostile_package_is_refused_fast(
    tmp_path: Path,
    registry_server: RegistryBuilder,
    gpg_signer: GpgSigner,
    trust_test_ca: Path,
    hostile_zip_bytes: dict[str, bytes],
    name: str,
    command: str,
) -> None:
    zips = {
        p: provider_zip(registry_server.hostname, "acme", "demo", "1.0.0", p) for p in PLATFORMS
    }
    zips["linux_amd64"] = hostile_zip_bytes[name]  # signed and listed: only its content is bad
    remote = make_remote(
        tmp_path,
        registry_server,
        gpg_signer,
        zips=zips,
        limits="max_zip_uncompressed_bytes: 1MiB",
        locked=command != "lock",
        h1=False,  # the hostile zip has no meaningful h1; the lock pins its signed zh
    )
    start = time.monotonic()
    result = remote.run(*command.split(), str(remote.root))
    elapsed = time.monotonic() - start
    no_traceback(result)
    assert result.code == 1, result.out + result.err
    findings = result.json()["findings"]
    problems = [f for f in findings if f["rule"] == "provider-signature-invalid"]
    assert len(problems) == 1, findings
    message = problems[0]["message"]
    assert "linux_amd64" in message and HOSTILE_ZIPS[name][1] in message, message
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert not Path("/tmp/depguard-test-pwned").exists()
    if command == "lock":
        assert not (remote.root / "stack" / LOCK).exists()
        assert all("not written" in f["message"] for f in problems)


def test_hostile_package_report_does_not_depend_on_the_cache_dir(
    tmp_path: Path,
    registry_server: RegistryBuilder,
    gpg_signer: GpgSigner,
    trust_test_ca: Path,
    hostile_zip_bytes: dict[str, bytes],
) -> None:
    zips = {
        p: provider_zip(registry_server.hostname, "acme", "demo", "1.0.0", p) for p in PLATFORMS
    }
    zips["linux_amd64"] = hostile_zip_bytes["dotdot"]
    remote = make_remote(tmp_path, registry_server, gpg_signer, zips=zips, h1=False)
    outs = []
    for cache in ("cache-a", "cache-b"):
        result = remote.run(
            "--cache-dir", str(tmp_path / cache), "verify", "--deep", str(remote.root)
        )
        assert result.code == 1
        assert str(tmp_path) not in result.out, result.out
        outs.append(result.out)
    assert outs[0] == outs[1]


# --- atomic writes ---------------------------------------------------------------------------


@pytest.fixture
def lockable(
    tmp_path: Path, registry_server: RegistryBuilder, gpg_signer: GpgSigner, trust_test_ca: Path
) -> Remote:
    """A directory whose lock file lacks a platform, so ``lock`` wants to rewrite it."""
    remote = make_remote(tmp_path, registry_server, gpg_signer)
    lock = remote.root / "stack" / LOCK
    darwin = f"zh:{hashlib.sha256(remote.zips['darwin_arm64']).hexdigest()}"
    lock.write_text(lock.read_text().replace(f'    "{darwin}",\n', ""))
    return remote


def _fail_writes_under(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``fsync`` of any file under ``directory`` fail like a full disk."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to find which file an fd belongs to")
    real = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(directory)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_lock_write_failure_leaves_the_old_file_and_no_temp_file(
    lockable: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = lockable.root / "stack"
    before = (stack / LOCK).read_bytes()
    _fail_writes_under(stack, monkeypatch)
    result = lockable.run("lock", str(lockable.root))
    assert result.code != 0
    assert (stack / LOCK).read_bytes() == before
    assert sorted(p.name for p in stack.iterdir()) == [LOCK, "main.tf"]


def test_lock_write_failure_is_a_clean_error(
    lockable: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = lockable.root / "stack"
    _fail_writes_under(stack, monkeypatch)
    result = lockable.run("lock", str(lockable.root))
    no_traceback(result)
    assert result.code == 2, result.out + result.err
    assert LOCK in result.err and "No space left" in result.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_lock_into_a_read_only_directory(lockable: Remote) -> None:
    stack = lockable.root / "stack"
    before = (stack / LOCK).read_bytes()
    stack.chmod(0o555)
    try:
        result = lockable.run("lock", str(lockable.root))
    finally:
        stack.chmod(0o755)
    assert (stack / LOCK).read_bytes() == before
    assert sorted(p.name for p in stack.iterdir()) == [LOCK, "main.tf"]
    no_traceback(result)
    assert result.code == 2


def test_output_write_failure_is_exit_2_and_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.test_example import copy_example

    root = copy_example(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    report = out_dir / "report.json"
    report.write_text("old report\n")
    _fail_writes_under(out_dir, monkeypatch)
    result = run_cli("--format", "json", "--offline", "--output", str(report), "verify", str(root))
    no_traceback(result)
    assert result.code == 2, result.err
    assert str(report) in result.err
    assert report.read_text() == "old report\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json"]
    assert result.out == ""


def test_output_into_a_missing_directory_is_exit_2(tmp_path: Path) -> None:
    from tests.integration.test_example import copy_example

    root = copy_example(tmp_path)
    target = tmp_path / "nope" / "report.json"
    result = run_cli("--offline", "--output", str(target), "verify", str(root))
    no_traceback(result)
    assert result.code == 2
    assert str(target) in result.err
