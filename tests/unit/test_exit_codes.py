"""The exit-code contract (DESIGN §1) is an API: a snapshot over representative situations.

0 nothing at or above ``--fail-on``; 1 findings (also ``lock --check`` would change a file);
2 usage, configuration or unreadable input; 3 a check could not be performed (and skips
without ``--allow-skips``). Findings take precedence over skips.

Also: global options mean the same before and after the command name, ``DEPGUARD_*``
variables stand in for them (a flag beats its variable), and ``--output`` writes the report
atomically and prints nothing. Everything runs offline on a copy of the shipped example.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"
DEMO = "tf.acme.example/platform/inventory"
DEV_LOCK = Path("envs/dev/network/.terraform.lock.hcl")
STG_LOCK = Path("envs/stg/network/.terraform.lock.hcl")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the example; the working directory is a neutral place."""
    root = tmp_path / "acme"
    shutil.copytree(EXAMPLE, root)
    (root / ".git").mkdir()
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in ("DEPGUARD_FAIL_ON", "DEPGUARD_ALLOW_SKIPS", "DEPGUARD_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    return root


# --- modifications of the example that produce each kind of outcome ---------------------------


def _drop_a_demo_zh(root: Path, lock: Path = DEV_LOCK) -> None:
    """Remove one ``zh:`` line of the demo provider: ``lock`` would add it back."""
    path = root / lock
    text = path.read_text()
    start = text.index('    "zh:', text.index(DEMO))
    end = text.index("\n", start) + 1
    path.write_text(text[:start] + text[end:])


def _missing_platform(root: Path) -> None:
    """Add a configured platform nobody publishes → lock-missing-platform (medium)."""
    config = root / "depguard.yaml"
    config.write_text(
        config.read_text().replace(
            "platforms: [linux_amd64, linux_arm64, darwin_amd64, darwin_arm64]",
            "platforms: [linux_amd64, linux_arm64, darwin_amd64, darwin_arm64, freebsd_arm64]",
        )
    )


def _hash_mismatch(root: Path) -> None:
    """Flip a zh of hashicorp/null → lock-hash-mismatch (critical)."""
    path = root / "envs/prod/dns/.terraform.lock.hcl"
    text = path.read_text()
    start = text.index('"zh:') + 4
    flipped = "0" if text[start] != "0" else "1"
    path.write_text(text[:start] + flipped + text[start + 1 :])


def _unparsable(root: Path) -> None:
    (root / "envs/prod/dns/.terraform.lock.hcl").write_text('provider "x" {\n')


def _offline_miss(root: Path) -> None:
    """Lock a demo version the snapshot does not hold → skip (not available offline)."""
    path = root / STG_LOCK
    path.write_text(path.read_text().replace('version     = "1.2.0"', 'version     = "1.2.1"'))


def _bad_config(root: Path) -> None:
    (root / "depguard.yaml").write_text("platforms: [linux_amd64]\nunknown_key: 1\n")


Setup = Callable[[Path], None]


def _nothing(_root: Path) -> None:
    pass


#: situation -> (modification, arguments after the path; "{root}" = the copy), exit code
CONTRACT: dict[str, tuple[Setup, tuple[str, ...], int]] = {
    "clean": (_nothing, ("verify", "{root}"), 0),
    "clean-all-formats-sarif": (_nothing, ("--format", "sarif", "verify", "{root}"), 0),
    "medium-finding": (_missing_platform, ("verify", "{root}"), 1),
    "medium-finding-fail-on-low": (_missing_platform, ("verify", "{root}", "--fail-on", "low"), 1),
    "medium-finding-fail-on-info": (
        _missing_platform,
        ("verify", "{root}", "--fail-on", "info"),
        1,
    ),
    "medium-finding-fail-on-high": (
        _missing_platform,
        ("verify", "{root}", "--fail-on", "high"),
        0,
    ),
    "medium-finding-fail-on-critical": (
        _missing_platform,
        ("verify", "{root}", "--fail-on", "critical"),
        0,
    ),
    "critical-finding-fail-on-critical": (
        _hash_mismatch,
        ("verify", "{root}", "--fail-on", "critical"),
        1,
    ),
    "unparsable-lock-is-a-finding": (_unparsable, ("verify", "{root}"), 1),
    "skips-only": (_nothing, ("verify", "{root}", "--deep"), 3),
    "skips-allowed": (_nothing, ("verify", "{root}", "--deep", "--allow-skips"), 0),
    "offline-miss": (_offline_miss, ("verify", "{root}"), 3),
    "offline-miss-allowed": (_offline_miss, ("verify", "{root}", "--allow-skips"), 0),
    "findings-beat-skips": (_hash_mismatch, ("verify", "{root}", "--deep"), 1),
    "findings-below-fail-on-with-skips": (
        _missing_platform,
        ("verify", "{root}", "--deep", "--fail-on", "critical"),
        3,
    ),
    "lock-check-current": (_nothing, ("lock", "{root}", "--check", "--provider", DEMO), 0),
    "lock-check-would-change": (
        _drop_a_demo_zh,
        ("lock", "{root}", "--check", "--provider", DEMO),
        1,
    ),
    "bad-config": (_bad_config, ("verify", "{root}"), 2),
    "missing-config": (_nothing, ("--config", "{root}/nope.yaml", "verify", "{root}"), 2),
    "missing-path": (_nothing, ("verify", "{root}/nope"), 2),
    "bad-fail-on": (_nothing, ("verify", "{root}", "--fail-on", "urgent"), 2),
    "bad-format": (_nothing, ("--format", "yaml", "verify", "{root}"), 2),
    "bad-platform": (_nothing, ("verify", "{root}", "--platform", "linux-amd64"), 2),
    "unknown-option": (_nothing, ("verify", "{root}", "--strict"), 2),
    "unknown-command": (_nothing, ("frobnicate",), 2),
    "no-command": (_nothing, (), 2),
    "help": (_nothing, ("--help",), 0),
    "command-help": (_nothing, ("verify", "--help"), 0),
    "version": (_nothing, ("--version",), 0),
}


def _args(args: tuple[str, ...], root: Path) -> list[str]:
    return [a.replace("{root}", str(root)) for a in args]


@pytest.mark.parametrize("situation", sorted(CONTRACT))
def test_exit_code_contract(repo: Path, situation: str) -> None:
    setup, args, code = CONTRACT[situation]
    setup(repo)
    result = run_cli("--offline", *_args(args, repo))
    assert "Traceback" not in result.err, result.err
    assert result.code == code, f"{situation}: {result.out}{result.err}"
    if code == 2 and args[:1] != ():
        assert result.err.strip(), "exit 2 must say why on stderr"


def test_contract_table_is_the_design() -> None:
    """The snapshot itself: changing a row is changing a public API (DESIGN §1)."""
    snapshot = {name: code for name, (_s, _a, code) in CONTRACT.items()}
    assert sorted(set(snapshot.values())) == [0, 1, 2, 3]
    assert snapshot["findings-beat-skips"] == 1
    assert snapshot["skips-only"] == 3 and snapshot["skips-allowed"] == 0


# --- global options before or after the command --------------------------------------------


GLOBAL_OPTION_SETS = [
    ("--format", "json"),
    ("--format=json",),
    ("--format", "sarif", "--fail-on", "critical"),
    ("--format", "markdown", "-q"),
    ("--format", "github", "-v"),
    ("--format", "json", "--allow-skips"),
    ("--config", "{root}/depguard.yaml", "--format", "json"),
    ("--snapshot", "{root}/upstream", "--format", "json"),
    ("-vv", "--format", "text", "--no-color"),
]


@pytest.mark.parametrize("options", GLOBAL_OPTION_SETS, ids=lambda o: " ".join(o))
@pytest.mark.parametrize("extra", [(), ("--deep",)], ids=["plain", "deep"])
def test_global_options_before_and_after_the_command_mean_the_same(
    repo: Path, options: tuple[str, ...], extra: tuple[str, ...]
) -> None:
    _missing_platform(repo)
    opts = _args(options, repo)
    before = run_cli("--offline", *opts, "verify", str(repo), *extra)
    after = run_cli("verify", str(repo), *extra, *opts, "--offline")
    between = run_cli("verify", *opts, str(repo), "--offline", *extra)
    assert before.code in (0, 1, 3), before.err
    assert (before.code, before.out) == (after.code, after.out)
    assert (before.code, before.out) == (between.code, between.out)
    assert "Traceback" not in before.err + after.err + between.err


def test_json_format_before_and_after_is_the_same_document(repo: Path) -> None:
    before = run_cli("--format", "json", "verify", str(repo), "--offline")
    after = run_cli("verify", str(repo), "--format", "json", "--offline")
    assert before.code == after.code == 0
    assert before.json() == after.json()
    assert before.json()["schema"] == "depguard.report/v1"


def test_lock_accepts_global_options_after_the_command(repo: Path) -> None:
    _drop_a_demo_zh(repo)
    after = run_cli(
        "lock", str(repo), "--check", "--provider", DEMO, "--format", "json", "--offline"
    )
    before = run_cli(
        "--format", "json", "--offline", "lock", str(repo), "--check", "--provider", DEMO
    )
    assert after.code == before.code == 1
    assert after.json() == before.json()
    assert f"would change {DEV_LOCK.as_posix()}" in after.json()["notes"]


def test_double_dash_ends_option_hoisting(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``--`` a word that looks like a global option is a PATH."""
    monkeypatch.chdir(repo.parent)
    weird = repo.parent / "-v"
    shutil.copytree(repo, weird)
    result = run_cli("--format", "json", "--offline", "verify", "--", "-v")
    assert result.code == 0, result.out + result.err
    assert result.json()["summary"]["checked"] == 16  # 7 lock entries, 9 aqua checks


# --- environment variables ------------------------------------------------------------------


def test_depguard_format_env(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPGUARD_FORMAT", "json")
    result = run_cli("--offline", "verify", str(repo))
    assert result.code == 0
    assert result.json()["schema"] == "depguard.report/v1"
    flag = run_cli("--offline", "verify", str(repo), "--format", "text")
    assert flag.code == 0 and flag.out.rstrip().endswith("16 checked, 0 findings, 0 skipped")


def test_depguard_fail_on_env(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _missing_platform(repo)
    assert run_cli("--offline", "verify", str(repo)).code == 1
    monkeypatch.setenv("DEPGUARD_FAIL_ON", "critical")
    result = run_cli("--offline", "--format", "json", "verify", str(repo))
    assert result.code == 0, result.out
    assert {f["rule"] for f in result.json()["findings"]} == {"lock-missing-platform"}
    assert run_cli("--offline", "verify", str(repo), "--fail-on", "medium").code == 1
    monkeypatch.setenv("DEPGUARD_FAIL_ON", "HIGH")
    assert run_cli("--offline", "verify", str(repo)).code == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEPGUARD_FAIL_ON", "bogus"), ("DEPGUARD_FORMAT", "xml"), ("DEPGUARD_OFFLINE", "maybe")],
)
def test_bad_env_values_are_usage_errors(
    repo: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    result = run_cli("--offline", "verify", str(repo))
    assert result.code == 2, result.out + result.err
    assert value in result.err
    assert "Traceback" not in result.err


def test_depguard_allow_skips_and_offline_env(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPGUARD_OFFLINE", "1")
    assert run_cli("verify", str(repo), "--deep").code == 3
    monkeypatch.setenv("DEPGUARD_ALLOW_SKIPS", "true")
    assert run_cli("verify", str(repo), "--deep").code == 0


# --- --output ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "github"])
def test_output_writes_the_report_and_prints_nothing(repo: Path, fmt: str) -> None:
    _missing_platform(repo)
    target = repo.parent / f"report.{fmt}"
    stdout = run_cli("--offline", "--format", fmt, "verify", str(repo))
    result = run_cli("--offline", "--format", fmt, "--output", str(target), "verify", str(repo))
    assert result.code == stdout.code == 1
    assert result.out == ""
    assert target.read_text() == stdout.out


def test_output_replaces_the_file_atomically(repo: Path) -> None:
    target = repo.parent / "report.json"
    target.write_text("previous report\n")
    target.chmod(0o640)
    inode = target.stat().st_ino
    result = run_cli("verify", str(repo), "--offline", "--format", "json", "--output", str(target))
    assert result.code == 0 and result.out == ""
    assert target.stat().st_ino != inode, "written in place, not renamed over"
    assert target.stat().st_mode & 0o777 == 0o640
    assert target.read_text().startswith("{") and '"depguard.report/v1"' in target.read_text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["acme", "cwd", "report.json"]


def test_output_env_and_exit_codes_are_kept(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = repo.parent / "report.txt"
    monkeypatch.setenv("DEPGUARD_OUTPUT", str(target))
    result = run_cli("verify", str(repo), "--offline", "--deep")
    assert result.code == 3 and result.out == ""
    assert "skipped (4)" in target.read_text()


def test_output_is_not_created_on_a_usage_error(repo: Path) -> None:
    target = repo.parent / "report.json"
    result = run_cli("--output", str(target), "verify", str(repo / "nope"))
    assert result.code == 2
    assert not target.exists()
    assert not [p for p in repo.parent.iterdir() if p.name.startswith(".report")]


def test_lock_output_goes_to_the_file_and_the_lock_is_still_written(repo: Path) -> None:
    _drop_a_demo_zh(repo)
    target = repo.parent / "lock.json"
    result = run_cli(
        "lock",
        str(repo),
        "--offline",
        "--provider",
        DEMO,
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert result.code == 0 and result.out == ""
    assert f"updated {DEV_LOCK.as_posix()}" in target.read_text()
    assert os.path.getsize(repo / DEV_LOCK) > 0
    again = run_cli("lock", str(repo), "--offline", "--provider", DEMO, "--check")
    assert again.code == 0, again.out


def test_results_are_deterministic(repo: Path) -> None:
    first = run_cli("--offline", "--format", "json", "verify", str(repo), "--deep")
    second = run_cli("--offline", "--format", "json", "verify", str(repo), "--deep")
    assert first.code == second.code == 3
    assert first.out == second.out


def test_online_flag_overrides_offline_in_the_policy(tmp_path: Path) -> None:
    """Precedence: command-line flag > file. `offline: true` in the policy, `--online` wins."""
    from depguard.cli.options import GlobalOptions, OutputFormatName

    config = tmp_path / "depguard.yaml"
    config.write_text("offline: true\n")

    def loaded(offline: bool | None) -> bool:
        opts = GlobalOptions.from_cli(
            config=config,
            output_format=OutputFormatName.text,
            output=None,
            offline=offline,
            cache_dir=None,
            snapshot_dirs=(),
            fail_on="medium",
            allow_skips=False,
            verbosity=0,
            no_color=True,
        )
        return opts.load_config().offline

    assert loaded(None) is True
    assert loaded(False) is False
    assert loaded(True) is True
