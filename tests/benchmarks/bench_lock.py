"""``depguard lock`` over 10 state directories vs ``terraform providers lock`` in each of them.

Run: ``.venv/bin/python -m tests.benchmarks.bench_lock [--quick]`` (or the whole suite with
``python -m tests.benchmarks``).

Fixture (generated in a temp dir, deterministic): a packed filesystem mirror with 3 providers
× 4 platforms × 1 version — each zip holds a ~10 MB "binary" that deflates ~2.2:1 (so ~4.6 MB
in the zip) plus LICENSE and README, ~55 MB of zips in all — and 10 state directories whose
``main.tf`` require all 3 providers (a few different constraint spellings) and declare an s3
backend.

Measured:

* **terraform**: ``terraform providers lock -fs-mirror=MIRROR -platform=…×4`` run in each of
  the 10 directories one after the other, as a user would in a shell loop (median of 3 loops);
* **depguard cold**: one ``depguard lock ROOT --fs-mirror MIRROR --platform …×4`` with a fresh
  ``DEPGUARD_CACHE_DIR`` each time;
* **depguard warm**: the same with the cache left by a previous run.

Lock files are removed before every run so each one writes 10 new files. Rounds of (one
terraform loop, 2 cold and 2 warm depguard runs) are repeated 3 times after warm-up runs, and
medians compared. The 10 lock files written by depguard must be byte-identical to Terraform's.
Target: terraform / depguard cold ≥ 10.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.benchmarks.common import (
    PLATFORMS,
    Timing,
    base_env,
    busy_note,
    depguard_exe,
    main_tf,
    provider_files,
    provider_zip,
    row,
    run,
    timed,
)

TARGET = 10.0
HOST, NAMESPACE = "registry.example.com", "acme"
# (local name, type, version, constraint spellings used by different directories)
PROVIDERS = (
    ("compute", "compute", "5.31.0", ("~> 5.31", ">= 5.0, < 6.0")),
    ("network", "network", "4.2.1", ("~> 4.2", ">= 4.2.0")),
    ("storage", "storage", "2.7.0", ("~> 2.7.0", "~> 2.0")),
)
STATE_DIRS = (
    "envs/dev/network",
    "envs/dev/compute",
    "envs/dev/data",
    "envs/stg/network",
    "envs/stg/compute",
    "envs/stg/data",
    "envs/prod/network",
    "envs/prod/compute",
    "envs/prod/data",
    "envs/prod/dns",
)
LOCK = ".terraform.lock.hcl"


def build_mirror(root: Path, exe_size: int) -> int:
    """Write the packed mirror; return its total size in bytes."""
    total = 0
    for _name, ptype, version, _constraints in PROVIDERS:
        type_dir = root / HOST / NAMESPACE / ptype
        type_dir.mkdir(parents=True, exist_ok=True)
        for platform in PLATFORMS:
            data = provider_zip(provider_files(ptype, version, platform, exe_size))
            (type_dir / f"terraform-provider-{ptype}_{version}_{platform}.zip").write_bytes(data)
            total += len(data)
    return total


def build_states(root: Path, dirs: Sequence[str]) -> list[Path]:
    out = []
    for i, rel in enumerate(dirs):
        d = root / rel
        d.mkdir(parents=True, exist_ok=True)
        providers = [
            (name, f"{HOST}/{NAMESPACE}/{ptype}", constraints[i % len(constraints)])
            for name, ptype, _version, constraints in PROVIDERS
        ]
        (d / "main.tf").write_text(main_tf(providers, backend_key=rel))
        out.append(d)
    return out


def _remove_locks(dirs: Sequence[Path]) -> None:
    for d in dirs:
        (d / LOCK).unlink(missing_ok=True)


def run_bench(
    *, quick: bool = False, rounds: int | None = None, per_round: int | None = None
) -> dict[str, Any]:
    terraform = shutil.which("terraform")
    if terraform is None:
        raise RuntimeError("terraform is not on PATH")
    depguard = depguard_exe()
    exe_size = 2_000_000 if quick else 10_200_000
    dirs_rel = STATE_DIRS[:3] if quick else STATE_DIRS
    rounds = rounds or (1 if quick else 3)
    per_round = per_round or (1 if quick else 2)
    platform_flags = [f"-platform={p}" for p in PLATFORMS]

    with tempfile.TemporaryDirectory(prefix="dg-bench-lock-") as tmp_s:
        tmp = Path(tmp_s)
        env = base_env(tmp / "home")
        mirror = tmp / "mirror"
        print(f"[lock] building mirror in {mirror} …", flush=True)
        mirror_bytes = build_mirror(mirror, exe_size)
        tf_dirs = build_states(tmp / "tf", dirs_rel)
        dg_dirs = build_states(tmp / "dg", dirs_rel)
        print(
            f"[lock] {len(PROVIDERS)} providers × {len(PLATFORMS)} platforms, "
            f"{mirror_bytes / 1e6:.1f} MB of zips; {len(dirs_rel)} state directories",
            flush=True,
        )

        # Terraform, sequentially in each directory, as a user's shell loop would.
        tf_cmd = [terraform, "providers", "lock", f"-fs-mirror={mirror}", *platform_flags]
        dg_cmd = [
            depguard,
            "--format",
            "json",
            "lock",
            str(tmp / "dg"),
            "--fs-mirror",
            str(mirror),
            *(f"--platform={p}" for p in PLATFORMS),
        ]
        counter = iter(range(1_000_000))
        warm_cache = tmp / "cache-warm"

        def tf_loop() -> tuple[float, float]:
            _remove_locks(tf_dirs)
            wall = cpu = 0.0
            for d in tf_dirs:
                w, c = timed(tf_cmd, env=env, cwd=d)
                wall, cpu = wall + w, cpu + c
            return wall, cpu

        def dg_run(cache: Path) -> tuple[float, float]:
            _remove_locks(dg_dirs)
            return timed(dg_cmd, env={**env, "DEPGUARD_CACHE_DIR": str(cache)}, cwd=tmp)

        def dg_cold() -> tuple[float, float]:
            cache = tmp / f"cache-cold-{next(counter)}"
            try:
                return dg_run(cache)
            finally:
                shutil.rmtree(cache, ignore_errors=True)

        # Warm-up (untimed): terraform in a scratch directory and depguard once each way, so
        # binaries, zips and bytecode are in the page cache and the warm cache is populated.
        scratch = build_states(tmp / "scratch", dirs_rel[:1])[0]
        run(tf_cmd, env=env, cwd=scratch)
        dg_cold()
        dg_run(warm_cache)

        # Rounds interleave terraform and depguard so that the VM's speed swings (other
        # sessions share the 2 cores) hit both sides alike.
        busy = busy_note()
        samples: dict[str, list[tuple[float, float]]] = {"tf": [], "cold": [], "warm": []}
        for i in range(rounds):
            samples["tf"].append(tf_loop())
            for _ in range(per_round):
                samples["cold"].append(dg_cold())
                samples["warm"].append(dg_run(warm_cache))
            print(
                f"[lock] round {i + 1}/{rounds}: terraform {samples['tf'][-1][0]:.2f} s, "
                f"depguard cold {samples['cold'][-1][0]:.2f} s, "
                f"warm {samples['warm'][-1][0]:.2f} s",
                flush=True,
            )
        walls = {k: Timing(tuple(w for w, _c in v)) for k, v in samples.items()}
        cpus = {k: Timing(tuple(c for _w, c in v)) for k, v in samples.items()}
        tf_time, cold, warm = walls["tf"], walls["cold"], walls["warm"]
        for key, label in (
            ("tf", "terraform loop"),
            ("cold", "depguard cold"),
            ("warm", "depguard warm"),
        ):
            print(
                f"[lock] {label}: {walls[key].describe()}; CPU median {cpus[key].median:.2f} s",
                flush=True,
            )
        if busy:
            print(f"[lock] note: {busy}", flush=True)

        mismatched = [
            str(tf.relative_to(tmp / "tf"))
            for tf, dg in zip(tf_dirs, dg_dirs, strict=True)
            if (tf / LOCK).read_bytes() != (dg / LOCK).read_bytes()
        ]
        identical = not mismatched
        print(
            f"[lock] lock files byte-identical to terraform's: "
            f"{len(dirs_rel) - len(mismatched)}/{len(dirs_rel)}"
            + (f" (differ: {', '.join(mismatched)})" if mismatched else ""),
            flush=True,
        )
        if mismatched:
            first = tf_dirs[dirs_rel.index(mismatched[0])]
            print("--- terraform\n" + (first / LOCK).read_text(), flush=True)
            print("--- depguard\n" + (tmp / "dg" / mismatched[0] / LOCK).read_text(), flush=True)

    return _result(tf_time, cold, warm, cpus, identical, len(dirs_rel), mirror_bytes, quick)


def _result(
    tf_time: Timing,
    cold: Timing,
    warm: Timing,
    cpus: dict[str, Timing],
    identical: bool,
    n_dirs: int,
    mirror_bytes: int,
    quick: bool,
) -> dict[str, Any]:
    ratio_cold = tf_time.median / cold.median
    ratio_warm = tf_time.median / warm.median
    print(
        f"[lock] terraform / depguard: cold {ratio_cold:.1f}×, warm {ratio_warm:.1f}× "
        f"(target ≥ {TARGET:.0f}× cold)",
        flush=True,
    )
    label = f"lock {n_dirs} dirs vs terraform"
    return {
        "name": "lock",
        "terraform_s": tf_time.samples,
        "depguard_cold_s": cold.samples,
        "depguard_warm_s": warm.samples,
        "cpu_s": {k: v.samples for k, v in cpus.items()},
        "ratio_cold": ratio_cold,
        "ratio_warm": ratio_warm,
        "identical": identical,
        "mirror_mb": mirror_bytes / 1e6,
        "rows": [
            row(
                f"{label} (cold cache)",
                ratio_cold,
                f"≥ {TARGET:.0f}× faster",
                ratio_cold >= TARGET,
                f"tf {tf_time.median:.2f} s / dg {cold.median:.2f} s (spread "
                f"{cold.spread:.0%}); CPU tf {cpus['tf'].median:.1f} / "
                f"dg {cpus['cold'].median:.2f} s",
                note="quick: smaller zips, 3 dirs" if quick else "",
            ),
            row(
                f"{label} (warm cache)",
                ratio_warm,
                "info",
                None,
                f"tf {tf_time.median:.2f} s / dg {warm.median:.2f} s (spread "
                f"{warm.spread:.0%}); CPU dg {cpus['warm'].median:.2f} s",
            ),
            row(
                f"lock files byte-identical to terraform ({n_dirs})",
                None,
                "all identical",
                identical,
                "identical" if identical else "DIFFERENT",
            ),
        ],
    }


def bench(quick: bool = False) -> dict[str, Any]:
    """Entry point of ``python -m tests.benchmarks``."""
    return run_bench(quick=quick)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small zips, 3 dirs, 1-2 runs")
    parser.add_argument("--rounds", type=int, default=None, help="terraform loops (default 3)")
    parser.add_argument(
        "--per-round", type=int, default=None, help="depguard runs per round and cache state"
    )
    args = parser.parse_args(argv)
    return run_bench(quick=args.quick, rounds=args.rounds, per_round=args.per_round)


if __name__ == "__main__":
    main()
