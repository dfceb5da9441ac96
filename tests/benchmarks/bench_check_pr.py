"""``depguard check-pr`` on a 1,000-state-directory repository with a Renovate diff touching
200 lock files, warm cache, against ``python -c pass`` (issue #4: ≤ 40×).

Run: ``.venv/bin/python -m tests.benchmarks.bench_check_pr [--quick]``.

The fixture is ``bench_verify``'s (a signed private registry snapshot, 1,000 state
directories); it becomes a git repository whose second commit moves the first provider of 200
directories to its other version, exactly as Renovate rewrites lock files. The PR is judged
with verification of every touched directory (the default). An informational row repeats it
on a repository twice as large with the same diff: the cost follows the diff.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.benchmarks import bench_verify as bv
from tests.benchmarks.common import (
    PYTHON,
    GpgHome,
    Timing,
    base_env,
    busy_note,
    depguard_exe,
    lock_text,
    row,
    run,
    timed,
)

TARGET = 40.0


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "renovate[bot]",
        "GIT_AUTHOR_EMAIL": "bot@renovateapp.com",
        "GIT_COMMITTER_NAME": "renovate[bot]",
        "GIT_COMMITTER_EMAIL": "bot@renovateapp.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def build(tmp: Path, count: int, touched: int, gpg: GpgHome, hashes: Any) -> tuple[Path, str, str]:
    repo = tmp / f"repo-{count}"
    repo.mkdir()
    bv.write_config(repo / "depguard.yaml", tmp / "snapshot", gpg.fingerprint)
    bv.build_repo(repo, hashes, count)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    bumped = 0
    for i, rel in enumerate(bv.state_dirs(count)):
        if bumped >= touched:
            break
        entries = []
        for k, (_name, ptype, versions, _constraint, recorded) in enumerate(bv.PROVIDERS):
            version = versions[i % len(versions)]
            if k == 0 and i % len(versions) == 0:
                version = versions[1]
            entries.append(
                (f"{bv.HOST}/{bv.NAMESPACE}/{ptype}", version, recorded, hashes[(ptype, version)])
            )
        if i % len(bv.PROVIDERS[0][2]) == 0:
            (repo / rel / ".terraform.lock.hcl").write_text(lock_text(entries))
            bumped += 1
    (repo / ".git" / "index").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "chore(deps): update acme/alpha")
    return repo, base, _git(repo, "rev-parse", "HEAD")


def run_bench(*, quick: bool = False) -> dict[str, Any]:
    count, touched = (200, 40) if quick else (1000, 200)
    repeat, pass_repeat = (3, 6) if quick else (5, 10)
    depguard = depguard_exe()
    tmp = Path(tempfile.mkdtemp(prefix="dg-bench-pr-"))
    try:
        with GpgHome() as gpg:
            gpg.generate("ACME Platform Team (depguard benchmark key) <platform@acme.example>")
            hashes = bv.build_snapshot(tmp / "snapshot", gpg)
            repo, base, head = build(tmp, count, touched, gpg, hashes)
            big, big_base, big_head = build(tmp, count * 2, touched, gpg, hashes)
        event = tmp / "event.json"
        event.write_text(
            json.dumps(
                {
                    "pull_request": {
                        "number": 1,
                        "body": "",
                        "user": {"login": "renovate[bot]"},
                        "labels": [],
                        "head": {"ref": "renovate/acme-alpha", "sha": "0" * 40},
                        "base": {"ref": "main", "sha": "1" * 40},
                    }
                }
            )
        )
        env = base_env(tmp / "home", DEPGUARD_CACHE_DIR=str(tmp / "cache"))

        def cmd(r: Path, b: str, h: str) -> list[str]:
            return [
                depguard, "--config", str(r / "depguard.yaml"), "check-pr", "--repo", str(r),
                "--base", b, "--head", h, "--event", str(event), "--offline",
            ]  # fmt: skip

        small_cmd, big_cmd = cmd(repo, base, head), cmd(big, big_base, big_head)
        run(small_cmd, env=env, cwd=repo)  # warm the cache
        report = json.loads(run([*small_cmd, "--format", "json"], env=env, cwd=repo).stdout)
        if report["findings"] or report["skipped"]:
            raise RuntimeError(f"check-pr did not pass cleanly: {report['summary']}")
        checked = report["summary"]["checked"]
        run(big_cmd, env=env, cwd=big)
        busy = busy_note()
        samples: dict[str, list[float]] = {"pr": [], "big": [], "pass": []}
        for _ in range(repeat):
            samples["pr"].append(timed(small_cmd, env=env, cwd=repo)[0])
            samples["big"].append(timed(big_cmd, env=env, cwd=big)[0])
            for _ in range(max(1, pass_repeat // repeat)):
                samples["pass"].append(timed([PYTHON, "-c", "pass"], env=env)[0])
        t = {k: Timing(tuple(v)) for k, v in samples.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = t["pr"].median / t["pass"].median
    big_ratio = t["big"].median / t["pr"].median
    print(f"[check-pr] {count} dirs, {touched} lock files: {t['pr'].describe()}", flush=True)
    print(f"[check-pr] {count * 2} dirs, same diff: {t['big'].describe()}", flush=True)
    print(f"[check-pr] python -c pass: {t['pass'].describe('ms')}", flush=True)
    if busy:
        print(f"[check-pr] note: {busy}", flush=True)
    return {
        "name": "check-pr",
        "ratio": ratio,
        "rows": [
            row(
                f"check-pr, {count} dirs, {touched} lock files changed, warm, vs python -c pass",
                ratio,
                f"≤ {TARGET:.0f}×",
                ratio <= TARGET,
                f"{t['pr'].median:.3f} s / {t['pass'].median * 1e3:.1f} ms; {checked} checks",
                note="quick: smaller" if quick else "",
            ),
            row(
                f"  same diff on {count * 2} dirs vs {count} dirs (info: grows with the diff)",
                big_ratio,
                "info",
                None,
                f"{t['big'].median:.3f} s vs {t['pr'].median:.3f} s",
            ),
        ],
    }


def bench(quick: bool = False) -> dict[str, Any]:
    """Entry point of ``python -m tests.benchmarks``."""
    return run_bench(quick=quick)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    return run_bench(quick=args.quick)


if __name__ == "__main__":
    main()
