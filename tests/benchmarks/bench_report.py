"""``depguard report`` on a 1,000-state-directory repository, warm cache, against
``python -c pass`` (issue #6: ≤ 60×).

Run: ``.venv/bin/python -m tests.benchmarks.bench_report [--quick]``.

The fixture is ``bench_verify``'s (a signed private registry snapshot, 1,000 state directories
with three providers each on two versions, so every provider is skewed), committed to git so
the rollout section reads history, with rollout stages dev/stg/prod/sandbox. The report runs
``--offline`` against the snapshot: the registry's version lists, ``verify`` of every lock
entry, skew, rollouts and the trend (SQLite in the cache) — all of it.
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
    row,
    run,
    timed,
)

TARGET = 60.0
STAGES = """\
rollout:
  stages:
    - {name: dev, match: ["stacks/*/dev/**", "stacks/*/sandbox/**"], soak: 2d, canary: 5}
    - {name: stg, match: ["stacks/*/stg/**"], soak: 3d, max_per_wave: 100}
    - {name: prod, match: ["stacks/*/prod/**"], soak: 7d, max_per_wave: 100, approval: true}
"""


def build(tmp: Path, count: int) -> Path:
    repo = tmp / "repo"
    repo.mkdir()
    with GpgHome() as gpg:
        gpg.generate("ACME Platform Team (depguard benchmark key) <platform@acme.example>")
        hashes = bv.build_snapshot(tmp / "snapshot", gpg)
        bv.write_config(repo / "depguard.yaml", tmp / "snapshot", gpg.fingerprint)
    with (repo / "depguard.yaml").open("a") as f:
        f.write(STAGES)
    bv.build_repo(repo, hashes, count)
    env = {
        "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com", "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z", "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }  # fmt: skip
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)
    return repo


def run_bench(*, quick: bool = False) -> dict[str, Any]:
    count = 200 if quick else 1000
    repeat, pass_repeat = (3, 6) if quick else (5, 10)
    depguard = depguard_exe()
    tmp = Path(tempfile.mkdtemp(prefix="dg-bench-report-"))
    try:
        repo = build(tmp, count)
        env = base_env(
            tmp / "home", DEPGUARD_CACHE_DIR=str(tmp / "cache"), DEPGUARD_NOW="2026-12-01T00:00:00Z"
        )
        cmd = [depguard, "--offline", "--format", "json", "report", str(repo)]
        doc = json.loads(run(cmd, env=env, cwd=repo).stdout)  # warm the cache
        summary = doc["summary"]
        if summary["directories"] != count or summary["findings"]:
            raise RuntimeError(f"the report did not cover the fixture cleanly: {summary}")
        busy = busy_note()
        samples: dict[str, list[float]] = {"report": [], "pass": []}
        for _ in range(repeat):
            samples["report"].append(timed(cmd, env=env, cwd=repo)[0])
            for _ in range(max(1, pass_repeat // repeat)):
                samples["pass"].append(timed([PYTHON, "-c", "pass"], env=env)[0])
        t = {k: Timing(tuple(v)) for k, v in samples.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = t["report"].median / t["pass"].median
    print(f"[report] {count} dirs: {t['report'].describe()} ({summary})", flush=True)
    print(f"[report] python -c pass: {t['pass'].describe('ms')}", flush=True)
    if busy:
        print(f"[report] note: {busy}", flush=True)
    return {
        "name": "report",
        "ratio": ratio,
        "rows": [
            row(
                f"report, {count} dirs, warm cache, vs python -c pass",
                ratio,
                f"≤ {TARGET:.0f}×",
                ratio <= TARGET,
                f"{t['report'].median:.3f} s / {t['pass'].median * 1e3:.1f} ms; "
                f"{summary['checked']} checks, {summary['skewed']} skewed",
                note="quick: smaller" if quick else "",
            )
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
