"""Run depguard's benchmarks (issue #2) and print one table of figures against their targets.

Usage (from the repository root, with the venv's interpreter)::

    .venv/bin/python -m tests.benchmarks            # everything, full size (~2.5 min)
    .venv/bin/python -m tests.benchmarks --quick    # smoke run: small fixtures (~45 s)
    .venv/bin/python -m tests.benchmarks --only verify,startup --json out.json

Needs ``terraform`` (the lock figure) and ``gpg`` (the verify fixture's signing key) on PATH;
everything else is generated offline in temporary directories. Each benchmark also runs
alone: ``python -m tests.benchmarks.bench_lock`` (``bench_hashes``, ``bench_verify``,
``bench_startup``, ``bench_aqua``). Benchmarks are never collected by pytest (their files
are named ``bench_*.py``). ``DEPGUARD_BENCH_SRC=DIR`` benchmarks the depguard package in DIR (for
example a ``git archive`` of another commit) with the same venv.

Figures in ``--quick`` mode use smaller fixtures and fewer runs: they show that everything
works, not whether a target is met, so their pass/fail is shown in parentheses and only the
correctness checks (identical lock files, no heavy imports for ``--help``) count. Exit status:
0 when every target (``--quick``: every check) is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

from tests.benchmarks.common import row

BENCHMARKS = {
    "lock": "tests.benchmarks.bench_lock",
    "hashes": "tests.benchmarks.bench_hashes",
    "verify": "tests.benchmarks.bench_verify",
    "startup": "tests.benchmarks.bench_startup",
    "aqua": "tests.benchmarks.bench_aqua",
    "check-pr": "tests.benchmarks.bench_check_pr",
    "rollout": "tests.benchmarks.bench_rollout",
    "report": "tests.benchmarks.bench_report",
}


def _format_value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{value:.0%}" if unit == "%" else f"{value:.1f}×"


def _indicative(r: dict[str, Any], quick: bool) -> bool:
    """In --quick mode a timed figure is only indicative (small fixtures, few runs)."""
    return quick and r["value"] is not None and r["passed"] is not None


def _status(r: dict[str, Any], quick: bool) -> str:
    text = {True: "PASS", False: "FAIL", None: "info"}[r["passed"]]
    return f"({text.lower()})" if _indicative(r, quick) else text


def source_revision() -> str:
    """The commit being measured (``+dirty`` when depguard/ has uncommitted changes)."""
    import subprocess

    from tests.benchmarks.common import REPO

    src = os.environ.get("DEPGUARD_BENCH_SRC")
    if src:
        return f"DEPGUARD_BENCH_SRC={src}"
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "depguard"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return head + ("+dirty" if dirty else "")


def print_table(rows: Sequence[dict[str, Any]], *, quick: bool) -> None:
    headers = ("figure", "value", "target", "result", "measured")
    table = [
        (
            r["figure"] + (f" [{r['note']}]" if r.get("note") else ""),
            _format_value(r["value"], r.get("unit", "x")),
            r["target"],
            _status(r, quick),
            r["measured"],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    print()
    mode = " (--quick: smoke figures, (pass)/(fail) only indicative)" if quick else ""
    print(
        f"depguard benchmarks{mode} "
        f"— {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, depguard {source_revision()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip())
    print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="small fixtures, few runs")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--json", metavar="FILE", help="also write all results as JSON")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if not sys.executable.startswith(sys.prefix) or sys.prefix == sys.base_prefix:
        print(
            "warning: not running inside a virtualenv; use .venv/bin/python -m tests.benchmarks",
            file=sys.stderr,
        )

    results: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            result = module.bench(quick=args.quick)
        except Exception as e:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            result = {
                "name": name,
                "error": f"{type(e).__name__}: {e}",
                "rows": [
                    row(
                        f"{name}: did not run", None, "runs", False, f"{type(e).__name__}: {e}"[:90]
                    )
                ],
            }
        result["seconds"] = time.perf_counter() - t0
        results[name] = result
        rows.extend(result["rows"])
    print_table(rows, quick=args.quick)
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2, default=str)
    return 0 if all(r["passed"] is not False or _indicative(r, args.quick) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
