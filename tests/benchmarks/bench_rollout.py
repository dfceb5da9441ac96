"""``depguard rollout plan`` and ``rollout status`` on a 1,000-directory repository with two
years of history, warm, against ``python -c pass`` (issue #5: each ≤ 40×).

Run: ``.venv/bin/python -m tests.benchmarks.bench_rollout [--quick]``.

The repository is written with ``git fast-import``: 1,000 state directories (dev 100, stg 300,
prod 600; each a ``main.tf`` with ``required_providers`` and a ``.terraform.lock.hcl`` with
three providers), then two years of Renovate-like history: every day one commit moves a
batch of directories' ``hashicorp/aws`` lock entry to the next version (one minor every two
weeks, staged dev → stg → prod), and other commits touch other providers and files. Status
reads all of it in one ``git log`` pass.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.benchmarks.common import (
    PYTHON,
    Timing,
    base_env,
    busy_note,
    depguard_exe,
    lock_text,
    main_tf,
    row,
    run,
    timed,
)

TARGET = 40.0
HASH = "zh:" + "ab" * 32
STAGES = (("dev", 0.1), ("stg", 0.3), ("prod", 0.6))
CONFIG = """\
rollout:
  stages:
    - {name: dev, match: ["envs/dev/**"], soak: 2d, canary: 2}
    - {name: stg, match: ["envs/stg/**"], soak: 3d, max_per_wave: 100}
    - {name: prod, match: ["envs/prod/**"], soak: 7d, max_per_wave: 100, approval: true}
"""


def _dirs(count: int) -> list[str]:
    out = []
    for stage, share in STAGES:
        out += [f"envs/{stage}/svc{i:04d}" for i in range(int(count * share))]
    return out


def _lock(aws: str, null: str) -> str:
    return lock_text(
        [
            ("registry.terraform.io/hashicorp/aws", aws, "~> 5.0", [HASH]),
            ("registry.terraform.io/hashicorp/null", null, "~> 3.0", [HASH]),
            ("registry.terraform.io/hashicorp/random", "3.6.0", "~> 3.0", [HASH]),
        ]
    )


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def build(path: Path, count: int, days: int) -> tuple[int, str]:
    """Write the repository; return (commits, the version every directory ends on)."""
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    dirs = _dirs(count)
    start = datetime(2024, 12, 1, 9, tzinfo=UTC)
    aws = dict.fromkeys(dirs, "5.0.0")
    null = dict.fromkeys(dirs, "3.0.0")
    stream: list[bytes] = []
    commits = 0

    def commit(when: datetime, message: str, files: dict[str, str]) -> None:
        nonlocal commits
        commits += 1
        stream.append(b"commit refs/heads/main\n")
        stamp = f"{int(when.timestamp())} +0000"
        stream.append(f"author bot <bot@example.com> {stamp}\n".encode())
        stream.append(f"committer bot <bot@example.com> {stamp}\n".encode())
        stream.append(_data(message))
        for name, text in files.items():
            stream.append(f"M 100644 inline {name}\n".encode() + _data(text))

    first = {"depguard.yaml": CONFIG}
    for d in dirs:
        first[f"{d}/main.tf"] = main_tf(
            [
                ("aws", "hashicorp/aws", "~> 5.0"),
                ("null", "hashicorp/null", "~> 3.0"),
                ("random", "hashicorp/random", "~> 3.0"),
            ],
            backend_key=d,
        )
        first[f"{d}/.terraform.lock.hcl"] = _lock(aws[d], null[d])
    commit(start, "initial", first)
    order = dirs  # dev, then stg, then prod
    batch = max(1, len(order) // 10)
    version = 0
    cursor = 0
    for day in range(1, days):
        when = start + timedelta(days=day)
        if day % 14 == 0:  # a new minor: the rollout starts over from dev
            version += 1
            cursor = 0
        target = f"5.{version}.0"
        chosen = order[cursor : cursor + batch]
        cursor += batch
        if chosen:
            files = {}
            for d in chosen:
                aws[d] = target
                files[f"{d}/.terraform.lock.hcl"] = _lock(aws[d], null[d])
            commit(when, f"chore(deps): update hashicorp/aws to {target}", files)
        if day % 3 == 0:  # unrelated churn: another provider in a few directories
            few = order[(day * 7) % len(order) :][:5]
            files = {}
            for d in few:
                null[d] = f"3.{day % 10}.0"
                files[f"{d}/.terraform.lock.hcl"] = _lock(aws[d], null[d])
            files["README.md"] = f"day {day}\n"
            commit(when + timedelta(hours=3), "chore: churn", files)
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "main"], check=True)
    return commits, f"5.{version}.0"


def run_bench(*, quick: bool = False) -> dict[str, Any]:
    count, days = (200, 120) if quick else (1000, 730)
    repeat, pass_repeat = (3, 6) if quick else (5, 10)
    depguard = depguard_exe()
    tmp = Path(tempfile.mkdtemp(prefix="dg-bench-rollout-"))
    try:
        repo = tmp / "repo"
        commits, latest = build(repo, count, days)
        env = base_env(tmp / "home", DEPGUARD_NOW="2026-12-01T00:00:00Z")
        plan_cmd = [depguard, "rollout", "plan", "hashicorp/aws", "--repo", str(repo)]
        status_cmd = [depguard, "rollout", "status", "hashicorp/aws", "--repo", str(repo)]
        for cmd in (plan_cmd, status_cmd):  # warm the page cache; both must succeed
            run(cmd, env=env, cwd=repo)
        busy = busy_note()
        samples: dict[str, list[float]] = {"plan": [], "status": [], "pass": []}
        for _ in range(repeat):
            samples["plan"].append(timed(plan_cmd, env=env, cwd=repo)[0])
            samples["status"].append(timed(status_cmd, env=env, cwd=repo)[0])
            for _ in range(max(1, pass_repeat // repeat)):
                samples["pass"].append(timed([PYTHON, "-c", "pass"], env=env)[0])
        t = {k: Timing(tuple(v)) for k, v in samples.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    base = t["pass"].median
    print(f"[rollout] {count} dirs, {commits} commits over {days} days (latest {latest})")
    print(f"[rollout] plan: {t['plan'].describe()}", flush=True)
    print(f"[rollout] status: {t['status'].describe()}", flush=True)
    print(f"[rollout] python -c pass: {t['pass'].describe('ms')}", flush=True)
    if busy:
        print(f"[rollout] note: {busy}", flush=True)
    rows = []
    for name in ("plan", "status"):
        ratio = t[name].median / base
        rows.append(
            row(
                f"rollout {name}, {count} dirs, {commits} commits, warm, vs python -c pass",
                ratio,
                f"≤ {TARGET:.0f}×",
                ratio <= TARGET,
                f"{t[name].median:.3f} s / {base * 1e3:.1f} ms",
                note="quick: smaller" if quick else "",
            )
        )
    return {"name": "rollout", "ratio": rows[1]["value"], "rows": rows}


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
