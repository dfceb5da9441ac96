"""Start-up: ``depguard --help`` against ``python -c pass``, and what each command imports.

Run: ``.venv/bin/python -m tests.benchmarks.bench_startup [--quick]`` (or the whole suite with
``python -m tests.benchmarks``).

Measured:

* ``depguard --help`` (the venv's console script) and ``python -c pass`` (same interpreter),
  median of 10 each, interleaved after warm-up runs. Target: ≤ 15×.
* With ``PYTHONPROFILEIMPORTTIME=1`` (what ``python -X importtime`` sets), which of the heavy
  modules ``sigstore``, ``pysequoia``, ``hcl2`` and ``requests`` are imported by
  ``depguard --help`` (target: none) and by ``depguard verify DIR --offline`` over a small
  offline fixture (3 state directories from :mod:`bench_verify`; informational), plus the
  largest top-level imports of each.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.benchmarks.common import PYTHON, Timing, base_env, depguard_exe, row, run, timed

TARGET = 15.0
HEAVY = ("sigstore", "pysequoia", "hcl2", "requests")


def parse_importtime(stderr: str) -> dict[str, tuple[int, int, int]]:
    """``{module: (self µs, cumulative µs, depth)}`` from ``-X importtime`` output."""
    out: dict[str, tuple[int, int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        raw_name = parts[2]
        name = raw_name.strip()
        depth = (len(raw_name) - len(raw_name.lstrip(" ")) - 1) // 2
        out[name] = (int(parts[0]), int(parts[1]), depth)
    return out


def import_profile(cmd: Sequence[str], env: Mapping[str, str], cwd: Path) -> dict[str, Any]:
    """Run ``cmd`` with import timing; return heavy modules seen and the top imports."""
    proc = run(cmd, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, cwd=cwd, ok=(0, 1, 3))
    mods = parse_importtime(proc.stderr.decode(errors="replace"))
    heavy = {}
    for name in HEAVY:
        if name in mods:
            heavy[name] = mods[name][1] / 1e3  # cumulative ms
    top = sorted(
        ((n, cum) for n, (_s, cum, depth) in mods.items() if depth == 0),
        key=lambda item: -item[1],
    )[:8]
    total = sum(cum for _n, (_s, cum, depth) in mods.items() if depth == 0) / 1e3
    return {
        "heavy_ms": heavy,
        "top": [(n, cum / 1e3) for n, cum in top],
        "total_import_ms": total,
        "modules": len(mods),
    }


def run_bench(*, quick: bool = False) -> dict[str, Any]:
    repeat = 3 if quick else 10
    depguard = depguard_exe()
    with tempfile.TemporaryDirectory(prefix="dg-bench-start-") as tmp_s:
        tmp = Path(tmp_s)
        env = base_env(tmp / "home", DEPGUARD_CACHE_DIR=str(tmp / "cache"))
        help_cmd = [depguard, "--help"]
        pass_cmd = [PYTHON, "-c", "pass"]
        for _ in range(3):  # warm-up: bytecode cache (see base_env), page cache
            run(help_cmd, env=env, cwd=tmp)
            run(pass_cmd, env=env, cwd=tmp)
        help_s: list[float] = []
        pass_s: list[float] = []
        help_cpu: list[float] = []
        pass_cpu: list[float] = []
        for _ in range(repeat):
            for cmd, samples, cpu in ((pass_cmd, pass_s, pass_cpu), (help_cmd, help_s, help_cpu)):
                wall, used = timed(cmd, env=env, cwd=tmp)
                samples.append(wall)
                cpu.append(used)
        help_t, pass_t = Timing(tuple(help_s)), Timing(tuple(pass_s))
        cpu_ratio = Timing(tuple(help_cpu)).median / Timing(tuple(pass_cpu)).median

        # As the checkout runs under PYTHONDONTWRITEBYTECODE=1 (the dev VMs set it): without a
        # depguard/__pycache__, every depguard module is compiled on every start (info only).
        # Site-packages keep the .pyc files pip wrote; depguard's own come from the checkout's
        # __pycache__ if one exists, else are compiled each time.
        nopyc_env = {k: v for k, v in env.items() if k != "PYTHONPYCACHEPREFIX"}
        nopyc_env["PYTHONDONTWRITEBYTECODE"] = "1"
        nopyc = [timed(help_cmd, env=nopyc_env, cwd=tmp)[0] for _ in range(max(3, repeat // 2))]
        nopyc_t = Timing(tuple(nopyc))

        help_imports = import_profile(help_cmd, env, tmp)

        from tests.benchmarks.bench_verify import build_fixture

        fixture = tmp / "fixture"
        fixture.mkdir()
        repo, _config = build_fixture(fixture, 3)
        verify_cmd = [depguard, "verify", str(repo), "--offline"]
        run(verify_cmd, env=env, cwd=repo)  # warm
        verify_imports = import_profile(verify_cmd, env, repo)
        shutil.rmtree(fixture, ignore_errors=True)

    ratio = help_t.median / pass_t.median
    help_heavy = sorted(help_imports["heavy_ms"])
    print(f"[startup] depguard --help: {help_t.describe('ms')}", flush=True)
    print(f"[startup] python -c pass: {pass_t.describe('ms')}", flush=True)
    print(f"[startup] ratio {ratio:.1f}× (target ≤ {TARGET:.0f}×)", flush=True)
    print(
        f"[startup] depguard --help with PYTHONDONTWRITEBYTECODE=1: {nopyc_t.describe('ms')}",
        flush=True,
    )
    for label, prof in (("--help", help_imports), ("verify", verify_imports)):
        heavy = ", ".join(f"{k} ({v:.0f} ms)" for k, v in sorted(prof["heavy_ms"].items()))
        print(
            f"[startup] depguard {label}: {prof['modules']} modules, "
            f"{prof['total_import_ms']:.0f} ms of imports; heavy: {heavy or 'none'}",
            flush=True,
        )
        top = ", ".join(f"{n} {ms:.0f}" for n, ms in prof["top"])
        print(f"[startup]   largest top-level imports (ms, cumulative): {top}", flush=True)

    verify_heavy = ", ".join(sorted(verify_imports["heavy_ms"])) or "none"
    return {
        "name": "startup",
        "help_s": help_t.samples,
        "python_pass_s": pass_t.samples,
        "help_nopyc_s": nopyc_t.samples,
        "ratio": ratio,
        "help_imports": help_imports,
        "verify_imports": verify_imports,
        "rows": [
            row(
                "depguard --help vs python -c pass",
                ratio,
                f"≤ {TARGET:.0f}×",
                ratio <= TARGET,
                f"help {help_t.median * 1e3:.0f} ms / pass {pass_t.median * 1e3:.1f} ms; "
                f"CPU ratio {cpu_ratio:.1f}×",
            ),
            row(
                "depguard --help, PYTHONDONTWRITEBYTECODE=1 (info)",
                nopyc_t.median / pass_t.median,
                "info",
                None,
                f"help {nopyc_t.median * 1e3:.0f} ms",
            ),
            row(
                "heavy modules imported by --help",
                None,
                "none",
                not help_heavy,
                ", ".join(help_heavy) or "none",
            ),
            row(
                "heavy modules imported by verify (info)",
                None,
                "info",
                None,
                verify_heavy,
            ),
        ],
    }


def bench(quick: bool = False) -> dict[str, Any]:
    """Entry point of ``python -m tests.benchmarks``."""
    return run_bench(quick=quick)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 10")
    args = parser.parse_args(argv)
    return run_bench(quick=args.quick)


if __name__ == "__main__":
    main()
