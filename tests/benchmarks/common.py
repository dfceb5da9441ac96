"""Shared helpers for the on-demand benchmarks (``python -m tests.benchmarks``).

Everything here is offline: fixtures are generated in temporary directories from fixed seeds
(so two runs hash and time the same bytes), and the only processes started are the venv's
``depguard`` console script, its interpreter, ``terraform`` and ``gpg``.

Each ``bench_*.py`` module exposes ``run(quick: bool = False) -> dict`` returning
``{"name": …, "rows": [row, …], …details}``; a row is made by :func:`row` and is what
``__main__`` prints in its table.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# The interpreter running the benchmarks must be the venv's: ``python -c pass`` baselines use
# it, and ``depguard`` is the console script installed next to it.
PYTHON = sys.executable
BIN_DIR = Path(sys.executable).parent

PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64")
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------- results


def row(
    figure: str,
    value: float | None,
    target: str,
    passed: bool | None,
    measured: str,
    *,
    note: str = "",
    unit: str = "x",
) -> dict[str, Any]:
    """One line of the summary table.

    ``value`` is the figure's number (a ratio, ``unit="x"``, or a share, ``unit="%"``),
    ``measured`` the absolute numbers it came from (seconds), ``passed`` ``None`` for
    informational rows.
    """
    return {
        "unit": unit,
        "figure": figure,
        "value": value,
        "target": target,
        "passed": passed,
        "measured": measured,
        "note": note,
    }


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall times of repeated runs of one thing (seconds)."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def worst(self) -> float:
        return max(self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median: a crude run-to-run variance figure."""
        return (self.worst - self.best) / self.median if self.median else 0.0

    def describe(self, unit: str = "s") -> str:
        if unit == "ms":
            return (
                f"median {self.median * 1e3:.1f} ms (min {self.best * 1e3:.1f}, "
                f"max {self.worst * 1e3:.1f}, n={len(self.samples)})"
            )
        return (
            f"median {self.median:.3f} s (min {self.best:.3f}, max {self.worst:.3f}, "
            f"n={len(self.samples)})"
        )


def measure(
    fn: Callable[[], object],
    *,
    repeat: int,
    warmup: int = 1,
    before_each: Callable[[], object] | None = None,
) -> Timing:
    """Time ``fn`` ``repeat`` times after ``warmup`` untimed runs; ``before_each`` is untimed."""
    for _ in range(warmup):
        if before_each is not None:
            before_each()
        fn()
    samples = []
    for _ in range(repeat):
        if before_each is not None:
            before_each()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


def interleaved(
    runs: Mapping[str, Callable[[], object]], *, repeat: int, warmup: int = 1
) -> dict[str, Timing]:
    """Like :func:`measure` for several things, alternating them round by round.

    A burst of load from elsewhere on a shared 2-core VM then hits every variant alike.
    """
    for _ in range(warmup):
        for fn in runs.values():
            fn()
    samples: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeat):
        for label, fn in runs.items():
            start = time.perf_counter()
            fn()
            samples[label].append(time.perf_counter() - start)
    return {k: Timing(tuple(v)) for k, v in samples.items()}


# --------------------------------------------------------------------------- processes


def depguard_exe() -> str:
    """The ``depguard`` console script of the interpreter running the benchmarks."""
    candidate = BIN_DIR / "depguard"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("depguard")
    if found is None:
        raise RuntimeError(
            "the depguard console script is not installed next to "
            f"{sys.executable}; run the benchmarks with the venv's python "
            "(.venv/bin/python -m tests.benchmarks)"
        )
    return found


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no TF_*/DEPGUARD_*/token variables, HOME in the temp dir.

    ``TF_CLI_CONFIG_FILE`` points at an empty file so neither Terraform nor depguard reads a
    user CLI config; ``CHECKPOINT_DISABLE=1`` stops Terraform's version check.

    Bytecode: an installed depguard has ``.pyc`` files (pip compiles on install), but an
    editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (as on the development VMs)
    recompiles every depguard module on every start (~0.1-0.2 s). Timed subprocesses get
    ``PYTHONPYCACHEPREFIX`` in the temp dir instead, so the warm-up runs write the bytecode
    there and the timed runs see what an installed depguard sees, without touching the repo.

    ``DEPGUARD_BENCH_SRC=DIR`` runs the console script against the depguard package in DIR
    (put first on ``PYTHONPATH``; the editable install's finder comes after it), e.g. a
    ``git archive`` of another commit, to compare before and after a change.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_", "DEPGUARD_", "GITHUB_TOKEN", "GH_TOKEN", "PYTHONPROFILE"))
        and k not in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE")
    }
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    src = os.environ.get("DEPGUARD_BENCH_SRC")
    if src:  # benchmark another checkout (e.g. before/after a fix) with the same venv
        env["PYTHONPATH"] = str(Path(src).resolve())
    cli_config = home / "empty.tfrc"
    if not cli_config.exists():
        cli_config.parent.mkdir(parents=True, exist_ok=True)
        cli_config.write_text("")
    env.update(
        {
            "HOME": str(home),
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "NO_COLOR": "1",
        }
    )
    env.update(extra)
    return env


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ok: Iterable[int] = (0,),
    timeout: float = 600,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command, capture its output, and raise with that output if it fails."""
    proc = subprocess.run(
        list(cmd),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode not in tuple(ok):
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}:\n"
            f"{proc.stdout.decode(errors='replace')[-3000:]}\n"
            f"{proc.stderr.decode(errors='replace')[-3000:]}"
        )
    return proc


def timed(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ok: Iterable[int] = (0,),
) -> tuple[float, float]:
    """Run a command; return (wall seconds, CPU seconds: user + sys of it and its children).

    CPU time is the contention-robust companion of wall time: when other processes share
    the 2 cores, wall time swings far more than CPU time does.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(cmd, env=env, cwd=cwd, ok=ok)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def busy_note() -> str:
    """A warning when other processes keep the CPUs busy (figures are then noisier)."""
    load = os.getloadavg()[0]
    if load > 0.5:
        return f"load average {load:.2f} before the run: other processes share the CPUs"
    return ""


def python_pass(env: Mapping[str, str], *, repeat: int, warmup: int = 2) -> Timing:
    """Wall time of ``python -c pass`` with the same interpreter depguard runs on."""
    return measure(lambda: run([PYTHON, "-c", "pass"], env=env), repeat=repeat, warmup=warmup)


# --------------------------------------------------------------------------- provider zips


_WORDS = (
    b"provider resource schema attribute terraform github.com/hashicorp/terraform-plugin-sdk/v2 "
    b"runtime.gopark sync.(*Mutex).Lock encoding/json aws_instance region error: invalid value "
    b"%s for %d context deadline exceeded google.golang.org/grpc type.eq.[2]interface {} main.go"
).split()


def binary_like(size: int, seed: int) -> bytes:
    """Deterministic bytes that deflate about 2:1, like a stripped Go provider binary.

    Blocks of 4-32 KiB (so each deflate block is fairly homogeneous, as sections of a real
    binary are): uniform random bytes (machine code, compressed tables), bytes over small
    alphabets (relocation and symbol tables), runs of symbol-name-like text, and zero padding.
    """
    rnd = random.Random(seed)
    tables = []
    for k in (4, 8, 16, 32):
        alphabet = bytes(rnd.sample(range(256), k))
        tables.append(bytes(alphabet[i % k] for i in range(256)))
    out = bytearray()
    while len(out) < size:
        r = rnd.random()
        length = rnd.randint(4096, 32768)
        if r < 0.22:
            block = rnd.randbytes(length)
        elif r < 0.57:
            block = rnd.randbytes(length).translate(rnd.choice(tables))
        elif r < 0.80:
            block = b" ".join(rnd.choices(_WORDS, k=length // 8))
        else:
            block = bytes(length // 2) + rnd.randbytes(length // 2).translate(tables[0])
        out += block
    return bytes(out[:size])


LICENSE_TEXT = (
    b"Mozilla Public License Version 2.0\n==================================\n\n"
    + b'1. Definitions\n--------------\n\n1.1. "Contributor" means each individual or legal '
    b"entity that creates, contributes to\nthe creation of, or owns Covered Software.\n" * 60
)


def provider_files(ptype: str, version: str, platform: str, exe_size: int) -> dict[str, bytes]:
    """The files of one provider package: executable, LICENSE and README (deterministic)."""
    os_, _arch = platform.split("_")
    exe = f"terraform-provider-{ptype}_v{version}" + (".exe" if os_ == "windows" else "")
    seed = int.from_bytes(hashlib.sha256(f"{ptype}/{version}/{platform}".encode()).digest()[:8])
    readme = (
        f"# terraform-provider-{ptype} {version} ({platform})\n\n"
        "Synthetic provider package generated by depguard's benchmarks.\n"
    ).encode()
    return {
        "LICENSE": LICENSE_TEXT,
        "README.md": readme,
        exe: binary_like(exe_size, seed),
    }


def provider_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip like HashiCorp's release zips: deflated, unix modes, no directory entries."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            mode = 0o644 if name in ("LICENSE", "README.md") else 0o755
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content, compresslevel=6)
    return buf.getvalue()


def h1_of_files(files: Mapping[str, bytes]) -> str:
    """``dirhash.Hash1`` of a flat package (what Terraform records as ``h1:``)."""
    summary = b"".join(
        hashlib.sha256(files[name]).hexdigest().encode() + b"  " + name.encode() + b"\n"
        for name in sorted(files, key=lambda n: n.encode())
    )
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode()


# --------------------------------------------------------------------------- lock files


def lock_text(entries: Sequence[tuple[str, str, str | None, Iterable[str]]]) -> str:
    """A ``.terraform.lock.hcl`` as Terraform writes it.

    ``entries`` are ``(address, version, constraints, hashes)``; blocks are sorted by address,
    hashes sorted, ``=`` aligned within a block's attribute run like ``hclwrite`` does.
    """
    out = [
        '# This file is maintained automatically by "terraform init".\n'
        "# Manual edits may be lost in future updates.\n"
    ]
    for address, version, constraints, hashes in sorted(entries, key=lambda e: e[0]):
        block = [f'\nprovider "{address}" {{\n']
        if constraints is not None:
            block.append(f'  version     = "{version}"\n')
            block.append(f'  constraints = "{constraints}"\n')
        else:
            block.append(f'  version = "{version}"\n')
        block.append("  hashes = [\n")
        block.extend(f'    "{h}",\n' for h in sorted(set(hashes)))
        block.append("  ]\n}\n")
        out.append("".join(block))
    return "".join(out)


def main_tf(
    providers: Sequence[tuple[str, str, str]], *, backend_key: str, required_version: str = ">= 1.6"
) -> str:
    """A realistic root module: required_providers (name, source, constraint) + s3 backend."""
    reqs = "".join(
        f'    {name} = {{\n      source  = "{source}"\n      version = "{constraint}"\n    }}\n'
        for name, source, constraint in providers
    )
    first = providers[0][0]
    return (
        "terraform {\n"
        f'  required_version = "{required_version}"\n\n'
        "  required_providers {\n"
        f"{reqs}"
        "  }\n\n"
        '  backend "s3" {\n'
        '    bucket         = "acme-terraform-state"\n'
        f'    key            = "{backend_key}/terraform.tfstate"\n'
        '    region         = "eu-west-1"\n'
        '    dynamodb_table = "terraform-locks"\n'
        "    encrypt        = true\n"
        "  }\n"
        "}\n\n"
        f'provider "{first}" {{\n'
        '  region = "eu-west-1"\n'
        "}\n\n"
        "locals {\n"
        f'  name = "{backend_key.replace("/", "-")}"\n'
        "  tags = {\n"
        '    owner = "platform"\n'
        "    stack = local.name\n"
        "  }\n"
        "}\n"
    )


# --------------------------------------------------------------------------- gpg


class GpgHome:
    """A throwaway GNUPGHOME with one ed25519 signing key; :meth:`close` kills its agent."""

    def __init__(self) -> None:
        gpg = shutil.which("gpg")
        if gpg is None:
            raise RuntimeError("gpg is not installed (apt-get install gnupg)")
        self.gpg = gpg
        self.home = Path(tempfile.mkdtemp(prefix="dg-bgpg-"))  # short: agent socket paths
        self.home.chmod(0o700)
        self.fingerprint = ""

    def _run(self, *args: str, data: bytes | None = None) -> bytes:
        proc = subprocess.run(
            [
                self.gpg,
                "--homedir",
                str(self.home),
                "--batch",
                "--yes",
                "--no-tty",
                "--quiet",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                *args,
            ],
            input=data,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"gpg {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def generate(self, uid: str) -> str:
        self._run("--quick-gen-key", uid, "ed25519", "sign", "never")
        out = self._run("--with-colons", "--list-keys").decode()
        self.fingerprint = next(
            line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")
        )
        return self.fingerprint

    def export(self) -> str:
        return self._run("--armor", "--export", self.fingerprint).decode()

    def detach_sign(self, data: bytes) -> bytes:
        """A binary detached signature (what registries serve as ``…_SHA256SUMS.sig``)."""
        return self._run(
            "--detach-sign", "--local-user", self.fingerprint, "--output", "-", data=data
        )

    def close(self) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf is not None:
            subprocess.run(
                [gpgconf, "--homedir", str(self.home), "--kill", "all"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> GpgHome:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"
