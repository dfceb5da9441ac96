"""The README's main job on the shipped offline example (``manifests/examples/acme-infra``).

``depguard verify manifests/examples/acme-infra --offline`` must work on a fresh machine:
HashiCorp's real signature over ``hashicorp/null`` 3.1.0 and the demo provider signed by the
demo key the example pins, both answered from the snapshot stored beside the example.
Tests that change files work on a copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"
NULL = "registry.terraform.io/hashicorp/null"
DEMO = "tf.acme.example/platform/inventory"
HASHICORP = "openpgp:34365D9472D7468F:official"
DEMO_KEY = "openpgp:FE991F73193CD349:community"
LOCKS = {
    "envs/dev/network/.terraform.lock.hcl": {NULL: "3.1.0", DEMO: "1.3.0"},
    "envs/stg/network/.terraform.lock.hcl": {NULL: "3.1.0", DEMO: "1.2.0"},
    "envs/prod/network/.terraform.lock.hcl": {NULL: "3.1.0", DEMO: "1.2.0"},
    "envs/prod/dns/.terraform.lock.hcl": {NULL: "3.1.0"},
}


AQUA_SUMS = "aqua/aqua-checksums.json"
AQUA = {
    "acme/drift-report v0.7.2 darwin/arm64": ["checksum-file", "cosign"],
    "acme/drift-report v0.7.2 linux/amd64": ["checksum-file", "cosign"],
    "acme/infra-cli v1.4.0 darwin/arm64": ["checksum-file", "minisign"],
    "acme/infra-cli v1.4.0 linux/amd64": ["checksum-file", "minisign"],
    "malancas/attest-demo v0.0.1 linux/amd64": ["release-digest"],
    "slsa-framework/example-package v14 linux/amd64": ["release-digest"],
    "trailofbits/rfc8785.py v0.1.2 darwin/arm64": ["release-digest"],
    "trailofbits/rfc8785.py v0.1.2 linux/amd64": ["release-digest"],
    "registry acme (acme/aqua-registry@v1.2.0)": ["aqua-checksums:sha256"],
}
CHECKED = 7 + len(AQUA)


def copy_example(tmp_path: Path) -> Path:
    """A private copy of the example as a repository of its own (``.git`` marks the root)."""
    root = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, root)
    (root / ".git").mkdir()
    return root


def _run(*args: str) -> CliResult:
    result = run_cli(*args)
    assert "Traceback" not in result.err, result.err
    return result


def _checked(result: CliResult) -> dict[tuple[str, str], list[str]]:
    return {(c["path"], c["subject"]): c["evidence"] for c in result.json()["checked"]}


def test_readme_main_job_in_place() -> None:
    """Exactly the README's command, run from the repository root, on the shipped files."""
    result = _run("--format", "json", "verify", str(EXAMPLE), "--offline")
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["schema"] == "depguard.report/v1" and report["command"] == "verify"
    assert report["findings"] == [] and report["skipped"] == []
    assert report["summary"] == {"checked": CHECKED, "findings": 0, "skipped": 0}
    for (path, subject), evidence in _checked(result).items():
        # relative to the repository root (the checkout, or the example when not in git)
        assert not path.startswith("/"), path
        if path.endswith(AQUA_SUMS):
            assert AQUA[subject] == evidence, (subject, evidence)
            continue
        assert any(path.endswith(lock) for lock in LOCKS), path
        key = HASHICORP if subject.startswith(NULL) else DEMO_KEY
        assert evidence == [key, "zh"], (subject, evidence)


def test_readme_main_job_text_output() -> None:
    result = _run("verify", str(EXAMPLE), "--offline")
    assert result.code == 0, result.err
    assert f"✓ {NULL} 3.1.0  {HASHICORP}, zh" in result.out
    assert f"✓ {DEMO} 1.3.0  {DEMO_KEY}, zh" in result.out
    assert "✓ acme/infra-cli v1.4.0 linux/amd64  checksum-file, minisign" in result.out
    assert result.out.rstrip().endswith(f"{CHECKED} checked, 0 findings, 0 skipped")


def test_verify_copy_lists_every_entry_with_its_signer(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    result = _run("--format", "json", "verify", str(root), "--offline")
    assert result.code == 0, result.out + result.err
    expected = {
        (path, f"{address} {version}"): [HASHICORP if address == NULL else DEMO_KEY, "zh"]
        for path, entries in LOCKS.items()
        for address, version in entries.items()
    }
    expected.update({(AQUA_SUMS, subject): evidence for subject, evidence in AQUA.items()})
    assert _checked(result) == expected


def test_verify_uses_the_example_policy_when_run_from_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --config: the depguard.yaml in the PATH argument is found (the demo key is pinned
    there; without it the demo provider would be a provider-signature-invalid finding)."""
    root = copy_example(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = _run("--format", "json", "--offline", "verify", str(root))
    assert result.code == 0, result.out + result.err


def test_deep_offline_skips_null_but_checks_the_demo_h1(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    result = _run("--format", "json", "verify", str(root), "--offline", "--deep")
    assert result.code == 3, result.out + result.err  # skips, no --allow-skips
    report = result.json()
    assert report["findings"] == []
    skipped = report["skipped"]
    assert {s["subject"] for s in skipped} == {f"{NULL} 3.1.0"}
    assert {s["path"] for s in skipped} == set(LOCKS)
    for skip in skipped:
        assert "not available offline" in skip["reason"]
        assert "terraform-provider-null_3.1.0_linux_amd64.zip" in skip["reason"]
    checked = _checked(result)
    deep_aqua = {
        **AQUA,
        "malancas/attest-demo v0.0.1 linux/amd64": ["github-attestation"],
        "slsa-framework/example-package v14 linux/amd64": ["slsa"],
        "trailofbits/rfc8785.py v0.1.2 darwin/arm64": ["cosign"],
        "trailofbits/rfc8785.py v0.1.2 linux/amd64": ["cosign"],
    }
    for (path, subject), evidence in checked.items():
        if path == AQUA_SUMS:
            assert deep_aqua[subject] == evidence, (subject, evidence)
        elif subject.startswith(DEMO):
            assert evidence == [DEMO_KEY, "zh", "h1"], (subject, evidence)
        else:
            assert evidence == [HASHICORP, "zh"], (subject, evidence)
    assert sum(s.startswith(DEMO) for _p, s in checked) == 3
    allowed = _run("--format", "json", "verify", str(root), "--offline", "--deep", "--allow-skips")
    assert allowed.code == 0, allowed.out


def test_deep_offline_finds_a_tampered_demo_h1(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    lock = root / "envs" / "dev" / "network" / ".terraform.lock.hcl"
    text = lock.read_text()
    start = text.index('"h1:', text.index(DEMO)) + 4
    evil = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    lock.write_text(text[:start] + evil + text[start + len(evil) :])
    result = _run("--format", "json", "verify", str(root), "--offline", "--deep", "--allow-skips")
    assert result.code == 1, result.out
    findings = result.json()["findings"]
    assert [(f["rule"], f["path"]) for f in findings] == [
        ("lock-hash-mismatch", "envs/dev/network/.terraform.lock.hcl")
    ]
    assert evil in findings[0]["message"]


def test_lock_check_reports_the_shipped_locks_as_current(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob(".terraform.lock.hcl")}
    args = ("lock", str(root), "--offline", "--check", "--provider", DEMO)
    result = _run(*args)
    assert result.code == 0, result.out + result.err
    result = _run("--format", "json", *args)
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["findings"] == [] and report["skipped"] == []
    assert {(c["path"], c["subject"]) for c in report["checked"]} == {
        (path, f"{DEMO} {entries[DEMO]}") for path, entries in LOCKS.items() if DEMO in entries
    }
    assert not any("would change" in n for n in report.get("notes", []))
    assert {p: p.read_bytes() for p in root.rglob(".terraform.lock.hcl")} == before


def test_lock_check_in_place_writes_nothing() -> None:
    """The README-level command on the shipped tree itself: exit 0 and no file touched."""
    before = {p: p.stat().st_mtime_ns for p in EXAMPLE.rglob("*") if p.is_file()}
    result = _run("lock", str(EXAMPLE), "--offline", "--check", "--provider", DEMO)
    assert result.code == 0, result.out + result.err
    assert {p: p.stat().st_mtime_ns for p in EXAMPLE.rglob("*") if p.is_file()} == before


def test_lock_check_notices_a_stale_lock(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    lock = root / "envs" / "stg" / "network" / ".terraform.lock.hcl"
    text = lock.read_text()
    # Drop the demo provider's first h1 (a platform's package hash): the lock is incomplete.
    start = text.index('    "h1:', text.index(DEMO))
    end = text.index("\n", start) + 1
    lock.write_text(text[:start] + text[end:])
    before = lock.read_bytes()
    result = _run("--format", "json", "lock", str(root), "--offline", "--check", "--provider", DEMO)
    assert result.code == 1, result.out + result.err
    assert "would change envs/stg/network/.terraform.lock.hcl" in result.json()["notes"]
    assert lock.read_bytes() == before
    # Without --check the same run restores the shipped file byte for byte.
    result = _run("lock", str(root), "--offline", "--provider", DEMO)
    assert result.code == 0, result.out + result.err
    assert lock.read_text() == text


def test_example_fails_closed_without_its_pin(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    config = root / "depguard.yaml"
    text = config.read_text()
    config.write_text(text[: text.index("    signing_keys:")] + text[text.index("  aqua:\n") :])
    result = _run("--format", "json", "verify", str(root), "--offline")
    assert result.code == 1, result.out
    rules = {(f["rule"], f["subject"].split()[0]) for f in result.json()["findings"]}
    assert rules == {("provider-signature-invalid", DEMO)}
    assert "1DD2ADFE21C911F743FCF3D2FE991F73193CD349" in result.out
