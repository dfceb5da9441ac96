"""Tampering with lock files and upstream data: each case yields exactly its rule and exit 1.

Every case runs the real CLI in-process against a local HTTPS provider registry serving
gpg-signed ``SHA256SUMS`` (``registry_server`` + ``gpg_signer``). Expected hashes come from an
oracle written here (``zh:`` = SHA-256 of the zip, ``h1:`` = Terraform's ``dirhash.Hash1`` over
the zip's files), not from depguard, so a wrong hash in depguard cannot hide behind itself.

Each tamper case has a negative twin: the same scenario without the tamper is clean (exit 0).
The last part runs the same situations through ``depguard lock``, which must refuse to write.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.gpg import GpgHome, GpgKey, PartnerSetup
from tests.support.servers import RegistryBuilder, Reply, make_shasums
from tests.support.signing import MANIFEST_JSON, GpgSigner, provider_zip

PUBLISHED = ("linux_amd64", "darwin_arm64", "windows_amd64")
CONFIGURED = ("linux_amd64", "darwin_arm64")
NAMESPACE = "acme"


# --- oracle: the hashes Terraform records ---------------------------------------------------


def h1_of_zip(data: bytes) -> str:
    """Terraform's ``dirhash.Hash1`` over the files of a zip (``h1:`` in lock files)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = sorted((i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir())
    summary = "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in files)
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def bogus_h1(seed: str) -> str:
    return "h1:" + base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


def bogus_zh(seed: str) -> str:
    return "zh:" + hashlib.sha256(seed.encode()).hexdigest()


@dataclass
class Release:
    """One published provider version: its zips and the signed SHA256SUMS."""

    address: str
    type: str
    version: str
    zips: dict[str, bytes]
    shasums: bytes

    def zh(self, platform: str) -> str:
        return "zh:" + hashlib.sha256(self.zips[platform]).hexdigest()

    def zh_all(self) -> list[str]:
        """Every ``zh:`` Terraform records: one per ``SHA256SUMS`` line (manifest included)."""
        return ["zh:" + line.split()[0] for line in self.shasums.decode().splitlines() if line]

    def h1(self, platform: str) -> str:
        return h1_of_zip(self.zips[platform])

    def full_hashes(self, platforms: Sequence[str] = CONFIGURED) -> list[str]:
        """What ``terraform providers lock -platform=…`` writes for ``platforms``."""
        return sorted({*self.zh_all(), *(self.h1(p) for p in platforms)})

    def zip_path(self, platform: str) -> str:
        return f"/dl/{NAMESPACE}/{self.type}/{self.version}/{self.filename(platform)}"

    def filename(self, platform: str) -> str:
        return f"terraform-provider-{self.type}_{self.version}_{platform}.zip"


def publish(
    registry: RegistryBuilder,
    signer: GpgSigner,
    version: str = "1.0.0",
    *,
    type_: str = "demo",
    platforms: Sequence[str] = PUBLISHED,
    served_shasums: bytes | None = None,
    sig: bytes | None = None,
    signing_keys: list[dict[str, Any]] | None = None,
) -> Release:
    """Publish a synthetic provider; the knobs serve tampered or mis-signed upstream data."""
    zips = {p: provider_zip(registry.hostname, NAMESPACE, type_, version, p) for p in platforms}
    prefix = f"terraform-provider-{type_}_{version}"
    files = {f"{prefix}_{p}.zip": z for p, z in zips.items()}
    files[f"{prefix}_manifest.json"] = MANIFEST_JSON
    shasums = make_shasums(files)
    registry.add_provider(
        NAMESPACE,
        type_,
        version,
        zips,
        shasums if served_shasums is None else served_shasums,
        signer.sign(shasums) if sig is None else sig,
        [signer.signing_key()] if signing_keys is None else signing_keys,
        extra_files={f"{prefix}_manifest.json": MANIFEST_JSON},
    )
    return Release(
        address=str(registry.address(NAMESPACE, type_)),
        type=type_,
        version=version,
        zips=zips,
        shasums=shasums,
    )


# --- workspace ------------------------------------------------------------------------------


@dataclass
class Entry:
    address: str
    version: str
    hashes: list[str]
    constraints: str | None = "~> 1.0"


def lock_text(*entries: Entry) -> str:
    """A lock file in the exact layout Terraform writes."""
    out = [
        '# This file is maintained automatically by "terraform init".\n',
        "# Manual edits may be lost in future updates.\n",
    ]
    for e in sorted(entries, key=lambda e: e.address):
        out.append(f'\nprovider "{e.address}" {{\n')
        if e.constraints is None:
            out.append(f'  version = "{e.version}"\n')
        else:
            out.append(f'  version     = "{e.version}"\n')
            out.append(f'  constraints = "{e.constraints}"\n')
        out.append("  hashes = [\n")
        out.extend(f'    "{h}",\n' for h in sorted(e.hashes))
        out.append("  ]\n}\n")
    return "".join(out)


def main_tf(requirements: dict[str, tuple[str, str]]) -> str:
    """``required_providers`` with ``local name -> (source, version constraint)``."""
    body = "".join(
        f'    {name} = {{\n      source  = "{src}"\n      version = "{ver}"\n    }}\n'
        for name, (src, ver) in requirements.items()
    )
    return f"terraform {{\n  required_providers {{\n{body}  }}\n}}\n"


@dataclass
class Repo:
    root: Path
    config: Path
    dirs: dict[str, Path] = field(default_factory=dict)

    def add_dir(
        self, name: str, requirements: dict[str, tuple[str, str]], lock: str | None
    ) -> Path:
        d = self.root / "envs" / name
        d.mkdir(parents=True)
        (d / "main.tf").write_text(main_tf(requirements))
        if lock is not None:
            (d / ".terraform.lock.hcl").write_text(lock)
        self.dirs[name] = d
        return d

    def lock_of(self, name: str) -> Path:
        return self.dirs[name] / ".terraform.lock.hcl"

    def verify(self, *extra: str) -> CliResult:
        return run_cli("--format", "json", "--config", str(self.config), "verify", *extra)

    def lock(self, *extra: str) -> CliResult:
        return run_cli("--format", "json", "--config", str(self.config), "lock", *extra)


def write_config(
    path: Path,
    *,
    pins: Sequence[str] = (),
    providers: Sequence[str] = ("*/acme/*",),
    platforms: Sequence[str] = CONFIGURED,
    pin_scope: str = "*/acme/*",
) -> Path:
    lines = [f"platforms: [{', '.join(platforms)}]", "trust:", "  terraform:"]
    lines.append(f"    providers: [{', '.join(repr(p) for p in providers)}]")
    if pins:
        lines.append("    signing_keys:")
        for fp in pins:
            lines.append(f"      - fingerprint: '{fp}'")
            lines.append(f"        providers: ['{pin_scope}']")
    path.write_text("\n".join(lines) + "\n")
    return path


def make_repo(tmp_path: Path, **config: Any) -> Repo:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return Repo(root=root, config=write_config(tmp_path / "depguard.yaml", **config))


def demo_req(release: Release, constraint: str = "~> 1.0") -> dict[str, tuple[str, str]]:
    return {"demo": (release.address, constraint)}


def assert_only(result: CliResult, rule: str | None, code: int) -> Any:
    """Exit ``code``, no traceback, and the findings are exactly ``rule`` (or none)."""
    assert "Traceback" not in result.err, result.err
    assert result.code == code, result.out + result.err
    report = result.json()
    assert set(result.rules()) == ({rule} if rule else set()), report["findings"]
    return report


# --- verify: one case per tamper, each with its negative twin -------------------------------


@dataclass(frozen=True)
class Case:
    """A tamper case: ``build(ctx, tampered) -> (repo, extra verify args)``; its findings
    must be exactly ``rule`` and each message must contain ``message_parts(ctx)``."""

    rule: str
    build: Callable[..., tuple[Repo, tuple[str, ...]]]
    message_parts: Callable[..., tuple[str, ...]] = lambda _ctx: ()


@dataclass
class Ctx:
    tmp_path: Path
    registry: RegistryBuilder
    signer: GpgSigner
    gpg_home: GpgHome
    other_key: GpgKey
    partner: PartnerSetup
    release: Release | None = None


def _clean_repo(ctx: Ctx, release: Release, hashes: list[str], **config: Any) -> Repo:
    config.setdefault("pins", [ctx.signer.fingerprint])
    ctx.release = release
    repo = make_repo(ctx.tmp_path, **config)
    repo.add_dir("stack", demo_req(release), lock_text(Entry(release.address, "1.0.0", hashes)))
    return repo


def case_changed_zh(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    # The windows zip is published but not a configured platform, so only the zh is wrong
    # (changing a configured platform's zh would also leave that platform without a hash).
    release = publish(ctx.registry, ctx.signer)
    hashes = release.full_hashes()
    if tampered:
        hashes = [bogus_zh("evil") if h == release.zh("windows_amd64") else h for h in hashes]
    return _clean_repo(ctx, release, hashes), ()


def case_changed_h1_deep(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    release = publish(ctx.registry, ctx.signer)
    hashes = release.full_hashes()
    if tampered:
        hashes = [bogus_h1("evil") if h == release.h1("linux_amd64") else h for h in hashes]
    return _clean_repo(ctx, release, hashes), ("--deep",)


def case_unpinned_community_key(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    release = publish(ctx.registry, ctx.signer)
    pins = [] if tampered else [ctx.signer.fingerprint]
    return _clean_repo(ctx, release, release.full_hashes(), pins=pins), ()


def case_key_not_in_registry(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    # Signed by our key, but the registry lists only another key (both pinned by the policy).
    other: dict[str, Any] = {
        "key_id": ctx.other_key.key_id,
        "ascii_armor": ctx.gpg_home.export(ctx.other_key).decode(),
        "trust_signature": "",
    }
    keys: list[dict[str, Any]] = [other] if tampered else [other, ctx.signer.signing_key()]
    release = publish(ctx.registry, ctx.signer, signing_keys=keys)
    pins = [ctx.signer.fingerprint, ctx.other_key.fingerprint]
    return _clean_repo(ctx, release, release.full_hashes(), pins=pins), ()


def case_armored_signature(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    release = publish(ctx.registry, ctx.signer)
    if tampered:  # republish the same bytes with an ASCII-armored signature
        release = publish(
            ctx.registry, ctx.signer, sig=ctx.signer.sign(release.shasums, armor=True)
        )
    return _clean_repo(ctx, release, release.full_hashes()), ()


def case_tampered_shasums(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    release = publish(ctx.registry, ctx.signer)
    if tampered:  # an attacker swaps the windows line; the signature no longer matches
        evil = release.shasums.replace(
            release.zh("windows_amd64")[3:].encode(), bogus_zh("evil")[3:].encode()
        )
        assert evil != release.shasums
        publish(ctx.registry, ctx.signer, served_shasums=evil, sig=ctx.signer.sign(release.shasums))
    return _clean_repo(ctx, release, release.full_hashes()), ()


def case_bad_trust_signature(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    # A trust_signature made by a throwaway "partners" key, not HashiCorp's: even though the
    # key itself is pinned, a trust signature that does not verify is a finding (Terraform
    # fails the install too).
    trust = ctx.partner.trust_signature if tampered else ""
    release = publish(
        ctx.registry, ctx.signer, signing_keys=[ctx.signer.signing_key(trust_signature=trust)]
    )
    return _clean_repo(ctx, release, release.full_hashes()), ()


def case_missing_platform(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    release = publish(ctx.registry, ctx.signer)
    hashes = release.full_hashes()
    if tampered:
        hashes = [
            h for h in hashes if h not in (release.zh("darwin_arm64"), release.h1("darwin_arm64"))
        ]
    return _clean_repo(ctx, release, hashes), ()


def case_constraint_violation(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    release = publish(ctx.registry, ctx.signer)
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    constraint = ">= 1.1.0" if tampered else ">= 1.0.0"
    lock = lock_text(Entry(release.address, "1.0.0", release.full_hashes(), constraint))
    repo.add_dir("stack", demo_req(release, constraint), lock)
    return repo, ()


def case_missing_provider(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    demo = publish(ctx.registry, ctx.signer)
    extra = publish(ctx.registry, ctx.signer, type_="extra")
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    entries = [Entry(demo.address, "1.0.0", demo.full_hashes())]
    if not tampered:
        entries.append(Entry(extra.address, "1.0.0", extra.full_hashes()))
    reqs = {"demo": (demo.address, "~> 1.0"), "extra": (extra.address, "~> 1.0")}
    repo.add_dir("stack", reqs, lock_text(*entries))
    return repo, ()


def case_not_allowed(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    release = publish(ctx.registry, ctx.signer)
    providers = ["registry.terraform.io/hashicorp/*"] + ([] if tampered else ["*/acme/demo"])
    return _clean_repo(ctx, release, release.full_hashes(), providers=providers), ()


def case_pin_for_another_provider(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    # The key is pinned for acme/demo only; acme/extra signed by the same key is not covered.
    extra = publish(ctx.registry, ctx.signer, type_="extra")
    scope = "*/acme/demo" if tampered else "*/acme/extra"
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint], pin_scope=scope)
    ctx.release = extra
    lock = lock_text(Entry(extra.address, "1.0.0", extra.full_hashes()))
    repo.add_dir("stack", {"extra": (extra.address, "~> 1.0")}, lock)
    return repo, ()


def case_revoked_key(ctx: Ctx, tampered: bool) -> tuple[Repo, tuple[str, ...]]:
    # A pinned key that signed SHA256SUMS and was revoked afterwards: the registry now
    # serves the certificate with its revocation (Sequoia, like go-crypto, refuses it).
    home = ctx.gpg_home
    key = home.generate(f"Revoked {tampered} {ctx.tmp_path.name} <r@example.com>")
    zips = {
        p: provider_zip(ctx.registry.hostname, NAMESPACE, "demo", "1.0.0", p) for p in PUBLISHED
    }
    prefix = "terraform-provider-demo_1.0.0"
    files = {f"{prefix}_{p}.zip": z for p, z in zips.items()}
    files[f"{prefix}_manifest.json"] = MANIFEST_JSON
    shasums = make_shasums(files)
    sig = home.sign(key, shasums)
    if tampered:
        home.revoke(key)
    armor = home.export(key).decode()
    entry = {"key_id": key.key_id, "ascii_armor": armor, "trust_signature": ""}
    ctx.registry.add_provider(
        NAMESPACE,
        "demo",
        "1.0.0",
        zips,
        shasums,
        sig,
        [entry],
        extra_files={f"{prefix}_manifest.json": MANIFEST_JSON},
    )
    release = Release(str(ctx.registry.address(NAMESPACE, "demo")), "demo", "1.0.0", zips, shasums)
    return _clean_repo(ctx, release, release.full_hashes(), pins=[key.fingerprint]), ()


CASES = {
    "changed-zh": Case("lock-hash-mismatch", case_changed_zh, lambda _c: ("zh:",)),
    "changed-h1-deep": Case("lock-hash-mismatch", case_changed_h1_deep, lambda _c: ("h1:",)),
    "unpinned-community-key": Case(
        "provider-signature-invalid",
        case_unpinned_community_key,
        lambda c: (c.signer.fingerprint,),
    ),
    "key-not-in-registry": Case("provider-signature-invalid", case_key_not_in_registry),
    "armored-signature": Case("provider-signature-invalid", case_armored_signature),
    "tampered-shasums": Case("provider-signature-invalid", case_tampered_shasums),
    "bad-trust-signature": Case(
        "provider-signature-invalid", case_bad_trust_signature, lambda _c: ("trust signature",)
    ),
    "missing-platform": Case(
        "lock-missing-platform", case_missing_platform, lambda _c: ("darwin_arm64",)
    ),
    "constraint-violation": Case("lock-constraint-violation", case_constraint_violation),
    "missing-provider": Case("lock-missing-provider", case_missing_provider, lambda _c: ("extra",)),
    "not-allowed": Case("provider-not-allowed", case_not_allowed),
    "pin-for-another-provider": Case(
        "provider-signature-invalid",
        case_pin_for_another_provider,
        lambda c: (c.signer.fingerprint,),
    ),
    "revoked-key": Case("provider-signature-invalid", case_revoked_key),
}


@pytest.fixture
def ctx(
    tmp_path: Path,
    registry_server: RegistryBuilder,
    gpg_signer: GpgSigner,
    gpg_home: GpgHome,
    gpg_ed25519_key: GpgKey,
    gpg_partner_setup: PartnerSetup,
    trust_test_ca: Path,
) -> Ctx:
    return Ctx(tmp_path, registry_server, gpg_signer, gpg_home, gpg_ed25519_key, gpg_partner_setup)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tamper_yields_exactly_its_rule(ctx: Ctx, name: str) -> None:
    case = CASES[name]
    repo, extra = case.build(ctx, True)
    report = assert_only(repo.verify(str(repo.root), *extra), case.rule, 1)
    findings = report["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        assert finding["path"] == "envs/stack/.terraform.lock.hcl"
        for part in case.message_parts(ctx):
            assert part in finding["message"], finding


@pytest.mark.parametrize("name", sorted(CASES))
def test_untampered_twin_is_clean(ctx: Ctx, name: str) -> None:
    repo, extra = CASES[name].build(ctx, False)
    report = assert_only(repo.verify(str(repo.root), *extra), None, 0)
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert summary["checked"] >= 1 and summary["skipped"] == 0


def test_unpinned_key_message_tells_what_to_pin(ctx: Ctx) -> None:
    repo, _ = case_unpinned_community_key(ctx, True)
    result = run_cli("--config", str(repo.config), "verify", str(repo.root))
    assert result.code == 1
    assert ctx.signer.fingerprint in result.out
    assert "Traceback" not in result.err


def test_changed_zh_of_a_configured_platform_is_a_mismatch(ctx: Ctx) -> None:
    # The realistic attack: the linux zh replaced by the hash of another zip. The mismatch is
    # reported (linux is then also uncovered, which is reported as well).
    release = publish(ctx.registry, ctx.signer)
    hashes = [bogus_zh("evil") if h == release.zh("linux_amd64") else h for h in release.zh_all()]
    repo = _clean_repo(ctx, release, hashes)
    result = repo.verify(str(repo.root))
    assert result.code == 1, result.out + result.err
    assert "lock-hash-mismatch" in result.rules()
    assert set(result.rules()) <= {"lock-hash-mismatch", "lock-missing-platform"}


def test_unparsable_lock_is_invalid_manifest_and_other_dirs_are_checked(ctx: Ctx) -> None:
    release = publish(ctx.registry, ctx.signer)
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    good = lock_text(Entry(release.address, "1.0.0", release.full_hashes()))
    repo.add_dir("good", demo_req(release), good)
    broken = good.replace("  hashes = [\n", "  hashes = [\n    oops,\n", 1)
    repo.add_dir("broken", demo_req(release), broken)
    report = assert_only(repo.verify(str(repo.root)), "invalid-manifest", 1)
    (finding,) = report["findings"]
    assert finding["path"] == "envs/broken/.terraform.lock.hcl"
    assert finding["line"] == 8  # the line of `oops`
    checked = {(c["path"], c["subject"]) for c in report["checked"]}
    assert checked == {("envs/good/.terraform.lock.hcl", f"{release.address} 1.0.0")}


def test_unparsable_lock_names_file_and_line_in_text(ctx: Ctx) -> None:
    repo = make_repo(ctx.tmp_path)
    d = repo.root / "envs" / "broken"
    d.mkdir(parents=True)
    (d / ".terraform.lock.hcl").write_text('provider "x/y" {\n  version = \n}\n')
    result = run_cli("--config", str(repo.config), "verify", str(repo.root))
    assert result.code == 1, result.out + result.err
    assert "envs/broken/.terraform.lock.hcl:2" in result.out
    assert "invalid-manifest" in result.out


# --- verify: deep mode, skips and --fail-on --------------------------------------------------


def test_deep_downloads_and_hashes_every_signed_package(ctx: Ctx) -> None:
    release = publish(ctx.registry, ctx.signer)
    repo = _clean_repo(ctx, release, release.full_hashes())
    report = assert_only(repo.verify(str(repo.root), "--deep"), None, 0)
    (checked,) = report["checked"]
    assert checked["evidence"] == [f"openpgp:{ctx.signer.key_id}:community", "zh", "h1"]
    served = {r.path for r in ctx.registry.server.requests if r.path.endswith(".zip")}
    assert served == {release.zip_path(p) for p in PUBLISHED}


def _serve_evil_linux_zip(ctx: Ctx) -> tuple[Repo, bytes]:
    """Metadata and SHA256SUMS are genuine; the linux zip download serves other bytes."""
    release = publish(ctx.registry, ctx.signer)
    evil = provider_zip("evil.example", NAMESPACE, "demo", "1.0.0", "linux_amd64")
    ctx.registry.server.route(
        release.zip_path("linux_amd64"), Reply(body=evil, content_type="application/zip")
    )
    return _clean_repo(ctx, release, release.full_hashes()), evil


def test_deep_with_a_served_zip_that_differs_from_the_signed_sums(ctx: Ctx) -> None:
    repo, evil = _serve_evil_linux_zip(ctx)
    result = repo.verify(str(repo.root), "--deep")
    assert "Traceback" not in result.err
    assert result.code == 1, result.out + result.err
    problems = [f for f in result.json()["findings"] if f["rule"] == "provider-signature-invalid"]
    assert len(problems) == 1, result.out
    assert hashlib.sha256(evil).hexdigest() in problems[0]["message"]
    assert "linux_amd64" in problems[0]["message"]
    # Without --deep nothing is downloaded, so the lock (which is correct) is clean.
    assert_only(repo.verify(str(repo.root)), None, 0)


def test_deep_served_zip_mismatch_does_not_blame_the_correct_lock(ctx: Ctx) -> None:
    repo, _evil = _serve_evil_linux_zip(ctx)
    assert_only(repo.verify(str(repo.root), "--deep"), "provider-signature-invalid", 1)


def test_h1_only_lock_without_deep_is_a_skip(ctx: Ctx) -> None:
    release = publish(ctx.registry, ctx.signer)
    repo = _clean_repo(ctx, release, [release.h1(p) for p in CONFIGURED])
    report = assert_only(repo.verify(str(repo.root)), None, 3)
    (skip,) = report["skipped"]
    assert skip["subject"] == f"{release.address} 1.0.0"
    assert "--deep" in skip["reason"]
    assert_only(repo.verify(str(repo.root), "--allow-skips"), None, 0)
    # --deep checks them instead of skipping.
    report = assert_only(repo.verify(str(repo.root), "--deep"), None, 0)
    assert report["skipped"] == []


def test_h1_only_lock_with_a_wrong_h1_is_found_in_deep_mode(ctx: Ctx) -> None:
    release = publish(ctx.registry, ctx.signer)
    hashes = [release.h1("linux_amd64"), bogus_h1("evil"), release.h1("darwin_arm64")]
    repo = _clean_repo(ctx, release, hashes)
    assert_only(repo.verify(str(repo.root), "--deep"), "lock-hash-mismatch", 1)


def test_fail_on_critical_lets_a_medium_finding_pass(ctx: Ctx) -> None:
    repo, _ = case_missing_platform(ctx, True)
    report = assert_only(
        repo.verify(str(repo.root), "--fail-on", "critical"), "lock-missing-platform", 0
    )
    (finding,) = report["findings"]
    assert finding["severity"] == "medium"
    assert_only(repo.verify(str(repo.root), "--fail-on", "medium"), "lock-missing-platform", 1)


def test_key_that_expired_after_signing_is_accepted(ctx: Ctx) -> None:
    """Expiry is judged at signing time: a key valid then (expired now) still verifies."""
    home = ctx.gpg_home
    key = home.generate(
        f"Expired {ctx.tmp_path.name} <e@example.com>", expire="1d", faked_time="20200101T000000"
    )
    zips = {
        p: provider_zip(ctx.registry.hostname, NAMESPACE, "demo", "1.0.0", p) for p in PUBLISHED
    }
    prefix = "terraform-provider-demo_1.0.0"
    files = {f"{prefix}_{p}.zip": z for p, z in zips.items()}
    files[f"{prefix}_manifest.json"] = MANIFEST_JSON
    shasums = make_shasums(files)
    sig = home.sign(key, shasums, faked_time="20200101T120000")
    entry = {"key_id": key.key_id, "ascii_armor": home.export(key).decode(), "trust_signature": ""}
    ctx.registry.add_provider(
        NAMESPACE,
        "demo",
        "1.0.0",
        zips,
        shasums,
        sig,
        [entry],
        extra_files={f"{prefix}_manifest.json": MANIFEST_JSON},
    )
    release = Release(str(ctx.registry.address(NAMESPACE, "demo")), "demo", "1.0.0", zips, shasums)
    repo = _clean_repo(ctx, release, release.full_hashes(), pins=[key.fingerprint])
    report = assert_only(repo.verify(str(repo.root)), None, 0)
    (checked,) = report["checked"]
    assert checked["evidence"][0] == f"openpgp:{key.key_id}:community"


def test_sha1_signature_fails_closed(ctx: Ctx, gpg_rsa_key: GpgKey) -> None:
    """Terraform accepts SHA-1 signatures; depguard's OpenPGP policy does not. Whether that is
    a finding or an unsupported signature kind (exit 3), the run must fail and say why."""
    home = ctx.gpg_home
    zips = {
        p: provider_zip(ctx.registry.hostname, NAMESPACE, "demo", "1.0.0", p) for p in PUBLISHED
    }
    prefix = "terraform-provider-demo_1.0.0"
    files = {f"{prefix}_{p}.zip": z for p, z in zips.items()}
    files[f"{prefix}_manifest.json"] = MANIFEST_JSON
    shasums = make_shasums(files)
    sig = home.sign(gpg_rsa_key, shasums, digest="SHA1")
    entry = {
        "key_id": gpg_rsa_key.key_id,
        "ascii_armor": home.export(gpg_rsa_key).decode(),
        "trust_signature": "",
    }
    ctx.registry.add_provider(
        NAMESPACE,
        "demo",
        "1.0.0",
        zips,
        shasums,
        sig,
        [entry],
        extra_files={f"{prefix}_manifest.json": MANIFEST_JSON},
    )
    release = Release(str(ctx.registry.address(NAMESPACE, "demo")), "demo", "1.0.0", zips, shasums)
    repo = _clean_repo(ctx, release, release.full_hashes(), pins=[gpg_rsa_key.fingerprint])
    result = repo.verify(str(repo.root))
    assert "Traceback" not in result.err
    assert result.code in (1, 3), result.out
    report = result.json()
    assert report["checked"] == []
    assert "SHA1" in result.out.replace("SHA-1", "SHA1")
    assert repo.verify(str(repo.root), "--fail-on", "critical").code != 0


def _replay_old_sums(ctx: Ctx, *, honest_filename: bool) -> tuple[Release, Release]:
    """Publish 1.0.0, then a "1.1.0" whose download metadata points at 1.0.0's genuinely
    signed SHA256SUMS and packages: a registry replaying an old (vulnerable) release under
    a new version number. With ``honest_filename`` the metadata names the 1.1.0 file, which
    the replayed SHA256SUMS does not list (Terraform fails: "checksum list has no SHA-256
    hash for ..."); otherwise it names the 1.0.0 file, which is listed."""
    old = publish(ctx.registry, ctx.signer, "1.0.0")
    base = ctx.registry.server.url_for("/dl/acme/demo/1.0.0/")
    overrides: dict[str, dict[str, object]] = {}
    for p in PUBLISHED:
        overrides[p] = {
            "filename": old.filename(p).replace("1.0.0", "1.1.0")
            if honest_filename
            else old.filename(p),
            "download_url": base + old.filename(p),
            "shasums_url": base + "terraform-provider-demo_1.0.0_SHA256SUMS",
            "shasums_signature_url": base + "terraform-provider-demo_1.0.0_SHA256SUMS.sig",
            "shasum": hashlib.sha256(old.zips[p]).hexdigest(),
        }
    ctx.registry.add_provider(
        NAMESPACE,
        "demo",
        "1.1.0",
        old.zips,
        old.shasums,
        ctx.signer.sign(old.shasums),
        [ctx.signer.signing_key()],
        download_overrides=overrides,
    )
    replayed = Release(old.address, "demo", "1.1.0", old.zips, old.shasums)
    return old, replayed


@pytest.mark.parametrize("deep", [(), ("--deep",)], ids=["zh", "deep"])
def test_signed_sums_that_do_not_list_the_package_are_a_signature_finding(
    ctx: Ctx, deep: tuple[str, ...]
) -> None:
    old, _ = _replay_old_sums(ctx, honest_filename=True)
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    repo.add_dir("stack", demo_req(old), lock_text(Entry(old.address, "1.1.0", old.full_hashes())))
    report = assert_only(repo.verify(str(repo.root), *deep), "provider-signature-invalid", 1)
    assert report["checked"] == []


def test_replayed_release_under_a_new_version_is_a_critical_finding(ctx: Ctx) -> None:
    old, _ = _replay_old_sums(ctx, honest_filename=False)
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    repo.add_dir("stack", demo_req(old), lock_text(Entry(old.address, "1.1.0", old.full_hashes())))
    result = repo.verify(str(repo.root), "--fail-on", "critical")
    assert result.code == 1, result.out
    assert result.json()["checked"] == []


def test_lock_refuses_signed_sums_that_do_not_list_the_package(ctx: Ctx) -> None:
    old, _ = _replay_old_sums(ctx, honest_filename=True)
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    repo.add_dir("stack", demo_req(old, "1.1.0"), None)
    report = assert_only(repo.lock(str(repo.root)), "provider-signature-invalid", 1)
    (finding,) = report["findings"]
    assert "checksum list has no SHA-256 hash" in finding["message"]
    assert not repo.lock_of("stack").exists()


def test_lock_refuses_a_replayed_release(ctx: Ctx) -> None:
    old, _ = _replay_old_sums(ctx, honest_filename=False)
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    repo.add_dir("stack", demo_req(old, "1.1.0"), None)
    assert_only(repo.lock(str(repo.root)), "provider-signature-invalid", 1)
    assert not repo.lock_of("stack").exists()


def _swap_linux_for_darwin(ctx: Ctx) -> Release:
    """Genuine signed release; the registry's linux metadata serves the darwin package."""
    release = publish(ctx.registry, ctx.signer)
    base = ctx.registry.server.url_for("/dl/acme/demo/1.0.0/")
    darwin = release.filename("darwin_arm64")
    swap = {
        "filename": darwin,
        "download_url": base + darwin,
        "shasum": hashlib.sha256(release.zips["darwin_arm64"]).hexdigest(),
    }
    ctx.registry.add_provider(
        NAMESPACE,
        "demo",
        "1.0.0",
        release.zips,
        release.shasums,
        ctx.signer.sign(release.shasums),
        [ctx.signer.signing_key()],
        extra_files={"terraform-provider-demo_1.0.0_manifest.json": MANIFEST_JSON},
        download_overrides={"linux_amd64": swap},
    )
    return release


def test_deep_verify_flags_a_package_served_for_another_platform(ctx: Ctx) -> None:
    release = _swap_linux_for_darwin(ctx)
    repo = _clean_repo(ctx, release, release.full_hashes())
    report = assert_only(repo.verify(str(repo.root), "--deep"), "provider-signature-invalid", 1)
    (finding,) = report["findings"]
    assert "linux_amd64" in finding["message"]


def test_lock_refuses_a_package_served_for_another_platform(ctx: Ctx) -> None:
    release = _swap_linux_for_darwin(ctx)
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    repo.add_dir("stack", demo_req(release), None)
    assert_only(repo.lock(str(repo.root)), "provider-signature-invalid", 1)
    assert not repo.lock_of("stack").exists()


# --- lock: refuse to write what cannot be trusted --------------------------------------------


def test_lock_writes_verified_hashes_when_trusted(ctx: Ctx) -> None:
    release = publish(ctx.registry, ctx.signer)
    partial = [h for h in release.full_hashes() if h != release.h1("darwin_arm64")]
    partial.remove(release.zh("darwin_arm64"))
    repo = _clean_repo(ctx, release, partial)
    repo.add_dir("new", demo_req(release), None)
    assert_only(repo.lock(str(repo.root)), None, 0)
    expected = lock_text(Entry(release.address, "1.0.0", release.full_hashes()))
    assert repo.lock_of("new").read_text() == expected
    assert repo.lock_of("stack").read_text() == expected


@pytest.mark.parametrize(
    "name",
    [
        "unpinned-community-key",
        "key-not-in-registry",
        "armored-signature",
        "tampered-shasums",
        "bad-trust-signature",
    ],
)
def test_lock_refuses_an_untrusted_or_bad_signature(ctx: Ctx, name: str) -> None:
    repo, _ = CASES[name].build(ctx, True)
    release = ctx.release
    assert release is not None
    # A directory without a lock, and one whose lock misses a platform (so a successful run
    # would write both).
    repo.add_dir("new", demo_req(release), None)
    partial = [
        h
        for h in release.full_hashes()
        if h not in (release.zh("darwin_arm64"), release.h1("darwin_arm64"))
    ]
    repo.lock_of("stack").write_text(lock_text(Entry(release.address, "1.0.0", partial)))
    before = repo.lock_of("stack").read_bytes()
    report = assert_only(repo.lock(str(repo.root)), "provider-signature-invalid", 1)
    for finding in report["findings"]:
        assert "not written" in finding["message"], finding
    assert not repo.lock_of("new").exists()
    assert repo.lock_of("stack").read_bytes() == before
    for d in repo.dirs.values():  # no temp files left behind either
        assert sorted(p.name for p in d.iterdir()) in (
            ["main.tf"],
            [".terraform.lock.hcl", "main.tf"],
        )


def test_lock_refuses_a_version_outside_the_constraints(ctx: Ctx) -> None:
    publish(ctx.registry, ctx.signer, "1.0.0")
    newer = publish(ctx.registry, ctx.signer, "2.0.0")
    old = publish(ctx.registry, ctx.signer, "1.0.0")
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    lock = lock_text(Entry(old.address, "1.0.0", old.full_hashes()))
    repo.add_dir("stack", demo_req(newer, "~> 2.0"), lock)
    before = repo.lock_of("stack").read_bytes()
    report = assert_only(repo.lock(str(repo.root)), "lock-constraint-violation", 1)
    (finding,) = report["findings"]
    assert "--upgrade" in finding["message"]
    assert "1.0.0" in finding["message"] and "~> 2.0" in finding["message"]
    assert repo.lock_of("stack").read_bytes() == before


def test_lock_upgrade_picks_newest_allowed_and_drops_old_hashes(ctx: Ctx) -> None:
    old = publish(ctx.registry, ctx.signer, "1.0.0")
    new = publish(ctx.registry, ctx.signer, "1.1.0")
    publish(ctx.registry, ctx.signer, "2.0.0")  # newest, but outside "~> 1.0"
    repo = make_repo(ctx.tmp_path, pins=[ctx.signer.fingerprint])
    repo.add_dir("stack", demo_req(old), lock_text(Entry(old.address, "1.0.0", old.full_hashes())))
    # Without --upgrade the locked version is kept and the file is already complete.
    assert_only(repo.lock(str(repo.root)), None, 0)
    assert repo.lock_of("stack").read_text() == lock_text(
        Entry(old.address, "1.0.0", old.full_hashes())
    )
    assert_only(repo.lock(str(repo.root), "--upgrade"), None, 0)
    text = repo.lock_of("stack").read_text()
    assert text == lock_text(Entry(new.address, "1.1.0", new.full_hashes()))
    gone = [old.zh(p) for p in PUBLISHED] + [old.h1(p) for p in CONFIGURED]
    assert not [h for h in gone if h in text]


def test_lock_only_warns_about_a_provider_outside_the_allowlist(ctx: Ctx) -> None:
    release = publish(ctx.registry, ctx.signer)
    repo = make_repo(
        ctx.tmp_path, pins=[ctx.signer.fingerprint], providers=["registry.terraform.io/hashicorp/*"]
    )
    repo.add_dir("stack", demo_req(release), None)
    report = assert_only(repo.lock(str(repo.root)), None, 0)
    notes = report.get("notes", [])
    assert any("warning" in n and release.address in n for n in notes), notes
    assert repo.lock_of("stack").read_text() == lock_text(
        Entry(release.address, "1.0.0", release.full_hashes())
    )
    # verify enforces it.
    assert_only(repo.verify(str(repo.root)), "provider-not-allowed", 1)
