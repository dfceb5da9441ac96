"""``depguard verify`` over 1,000 state directories, warm cache, against ``python -c pass``.

Run: ``.venv/bin/python -m tests.benchmarks.bench_verify [--quick] [--dirs N] [--keep DIR]``
(or the whole suite with ``python -m tests.benchmarks``).

Fixture (generated in a temp dir, deterministic except for the gpg key):

* an offline **snapshot** laid out ``<host>/<url path>`` (what ``depguard/net/offline.py``
  maps URLs to, like ``manifests/examples/acme-infra/upstream``) for a private registry
  ``registry.example.com``: service discovery, ``versions`` and per-platform ``download``
  JSON for 3 providers × 2 versions × 11 platforms, the (small) zips, and per version a
  ``SHA256SUMS`` (11 zips + manifest = 12 lines) with a binary ``gpg --detach-sign``
  signature by a throwaway ed25519 key made in a temporary ``GNUPGHOME``;
* a ``depguard.yaml`` pinning that key's fingerprint under ``trust.terraform.signing_keys``
  and listing the snapshot in ``snapshot_dirs``;
* 1,000 state directories, each with a ``main.tf`` (required_providers for the 3 providers,
  an s3 backend, a provider block) and a ``.terraform.lock.hcl`` as Terraform writes it
  (4 ``h1:`` + 12 ``zh:`` per provider), half of them on each version.

Measured: ``depguard verify DIR --offline`` (the venv's console script, as a subprocess)
once to warm, then median of 5, interleaved with ``python -c pass`` (same interpreter,
median of 10). Target: verify ≤ 30 × python -c pass.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.benchmarks.common import (
    PLATFORMS,
    PYTHON,
    GpgHome,
    Timing,
    base_env,
    busy_note,
    depguard_exe,
    h1_of_files,
    lock_text,
    main_tf,
    provider_files,
    provider_zip,
    row,
    run,
    timed,
)

TARGET = 30.0
HOST, NAMESPACE = "registry.example.com", "acme"
ALL_PLATFORMS = (
    "darwin_amd64",
    "darwin_arm64",
    "freebsd_386",
    "freebsd_amd64",
    "freebsd_arm",
    "linux_386",
    "linux_amd64",
    "linux_arm",
    "linux_arm64",
    "windows_386",
    "windows_amd64",
)
# (local name, type, versions, constraint in main.tf, as Terraform records it in the lock)
PROVIDERS = (
    ("compute", "compute", ("5.30.0", "5.31.0"), "~> 5.30", "~> 5.30"),
    ("network", "network", ("4.2.0", "4.2.1"), ">= 4.0, < 5.0", ">= 4.0.0, < 5.0.0"),
    ("storage", "storage", ("2.6.3", "2.7.0"), "~> 2.6", "~> 2.6"),
)
EXE_SIZE = 48_000  # only --deep reads the zips; keep the snapshot small


def _json(obj: object) -> str:
    return json.dumps(obj, indent=2) + "\n"


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def build_snapshot(snap: Path, gpg: GpgHome) -> dict[tuple[str, str], list[str]]:
    """Write the registry snapshot; return the lock hashes of each (type, version)."""
    armored = gpg.export()
    key = {
        "key_id": gpg.fingerprint[-16:],
        "ascii_armor": armored,
        "trust_signature": "",
        "source": "ACME Platform Team",
        "source_url": "https://acme.example/security",
    }
    reg = snap / HOST
    _write(reg / ".well-known" / "terraform.json", _json({"providers.v1": "/v1/providers/"}))
    hashes: dict[tuple[str, str], list[str]] = {}
    for _name, ptype, versions, _constraint, _recorded in PROVIDERS:
        api = reg / "v1" / "providers" / NAMESPACE / ptype
        listing = []
        for version in versions:
            dl = reg / "dl" / NAMESPACE / ptype / version
            base = f"https://{HOST}/dl/{NAMESPACE}/{ptype}/{version}"
            sums_name = f"terraform-provider-{ptype}_{version}_SHA256SUMS"
            files: dict[str, bytes] = {
                f"terraform-provider-{ptype}_{version}_manifest.json": _json(
                    {"version": 1, "metadata": {"protocol_versions": ["5.0"]}}
                ).encode()
            }
            h1s = []
            for platform in ALL_PLATFORMS:
                content = provider_files(ptype, version, platform, EXE_SIZE)
                files[f"terraform-provider-{ptype}_{version}_{platform}.zip"] = provider_zip(
                    content
                )
                if platform in PLATFORMS:
                    h1s.append(h1_of_files(content))
            sums = "".join(
                f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files)
            ).encode()
            for n, data in files.items():
                _write(dl / n, data)
            _write(dl / sums_name, sums)
            _write(dl / f"{sums_name}.sig", gpg.detach_sign(sums))
            for platform in ALL_PLATFORMS:
                os_, arch = platform.split("_")
                filename = f"terraform-provider-{ptype}_{version}_{platform}.zip"
                _write(
                    api / version / "download" / os_ / arch,
                    _json(
                        {
                            "protocols": ["5.0"],
                            "os": os_,
                            "arch": arch,
                            "filename": filename,
                            "download_url": f"{base}/{filename}",
                            "shasums_url": f"{base}/{sums_name}",
                            "shasums_signature_url": f"{base}/{sums_name}.sig",
                            "shasum": hashlib.sha256(files[filename]).hexdigest(),
                            "signing_keys": {"gpg_public_keys": [key]},
                        }
                    ),
                )
            listing.append(
                {
                    "version": version,
                    "protocols": ["5.0"],
                    "platforms": [
                        {"os": p.split("_")[0], "arch": p.split("_")[1]} for p in ALL_PLATFORMS
                    ],
                }
            )
            zh = [f"zh:{hashlib.sha256(files[n]).hexdigest()}" for n in files]
            hashes[(ptype, version)] = h1s + zh
        _write(api / "versions", _json({"versions": listing}))
    return hashes


def write_config(path: Path, snapshot: Path, fingerprint: str) -> None:
    path.write_text(
        "# depguard benchmark policy (generated)\n"
        f"platforms: [{', '.join(PLATFORMS)}]\n"
        f"snapshot_dirs: [{snapshot}]\n"
        "trust:\n"
        "  terraform:\n"
        f'    providers: ["{HOST}/{NAMESPACE}/*"]\n'
        "    signing_keys:\n"
        f'      - fingerprint: "{fingerprint}"\n'
        f'        providers: ["{HOST}/{NAMESPACE}/*"]\n'
    )


def state_dirs(count: int) -> list[str]:
    teams = ("payments", "search", "identity", "platform", "data", "edge", "ml", "web")
    envs = ("dev", "stg", "prod", "sandbox")
    out: list[str] = []
    i = 0
    while len(out) < count:
        team, env = teams[i % len(teams)], envs[(i // len(teams)) % len(envs)]
        out.append(f"stacks/{team}/{env}/svc-{i:04d}")
        i += 1
    return out


def build_repo(root: Path, hashes: dict[tuple[str, str], list[str]], count: int) -> None:
    for i, rel in enumerate(state_dirs(count)):
        d = root / rel
        d.mkdir(parents=True)
        providers = [
            (name, f"{HOST}/{NAMESPACE}/{ptype}", constraint)
            for name, ptype, _versions, constraint, _recorded in PROVIDERS
        ]
        (d / "main.tf").write_text(main_tf(providers, backend_key=rel))
        entries = []
        for _name, ptype, versions, _constraint, recorded in PROVIDERS:
            version = versions[i % len(versions)]
            entries.append(
                (f"{HOST}/{NAMESPACE}/{ptype}", version, recorded, hashes[(ptype, version)])
            )
        (d / ".terraform.lock.hcl").write_text(lock_text(entries))


def build_fixture(tmp: Path, count: int) -> tuple[Path, Path]:
    """Snapshot, policy and ``count`` state directories under ``tmp``; return (repo, config)."""
    with GpgHome() as gpg:
        gpg.generate("ACME Platform Team (depguard benchmark key) <platform@acme.example>")
        hashes = build_snapshot(tmp / "snapshot", gpg)
        fingerprint = gpg.fingerprint
    repo = tmp / "repo"
    repo.mkdir()
    write_config(repo / "depguard.yaml", tmp / "snapshot", fingerprint)
    build_repo(repo, hashes, count)
    return repo, repo / "depguard.yaml"


def run_bench(
    *, quick: bool = False, dirs: int | None = None, keep: Path | None = None
) -> dict[str, Any]:
    count = dirs or (100 if quick else 1000)
    verify_repeat, pass_repeat = (3, 6) if quick else (5, 10)
    depguard = depguard_exe()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=False)
        tmp = keep.resolve()
    else:
        tmp = Path(tempfile.mkdtemp(prefix="dg-bench-verify-"))
    try:
        print(f"[verify] building snapshot and {count} state directories in {tmp} …", flush=True)
        start = time.perf_counter()
        repo, _config = build_fixture(tmp, count)
        print(f"[verify] fixture built in {time.perf_counter() - start:.1f} s", flush=True)
        env = base_env(tmp / "home", DEPGUARD_CACHE_DIR=str(tmp / "cache"))
        cmd = [depguard, "verify", str(repo), "--offline"]

        # Warm: the cache, the bytecode cache (see base_env), the page cache. Then check the
        # run really verified everything (JSON, untimed).
        run(cmd, env=env, cwd=repo)
        proc = run([*cmd, "--format", "json"], env=env, cwd=repo)
        report = json.loads(proc.stdout)
        summary = report["summary"]
        expected = count * len(PROVIDERS)
        if summary != {"checked": expected, "findings": 0, "skipped": 0}:
            raise RuntimeError(f"verify did not check everything cleanly: {summary}")
        for _ in range(2):
            run([PYTHON, "-c", "pass"], env=env)

        # Same run without any Terraform CLI config file (no TF_CLI_CONFIG_FILE, no
        # ~/.terraformrc): informational, shows what reading an (empty) CLI config costs.
        no_cli_env = {k: v for k, v in env.items() if k != "TF_CLI_CONFIG_FILE"}
        run(cmd, env=no_cli_env, cwd=repo)

        busy = busy_note()
        samples: dict[str, list[tuple[float, float]]] = {"verify": [], "no_cli": [], "pass": []}
        per_round = max(1, pass_repeat // verify_repeat)
        for _ in range(verify_repeat):  # interleaved: a noisy neighbour hits all alike
            samples["verify"].append(timed(cmd, env=env, cwd=repo))
            samples["no_cli"].append(timed(cmd, env=no_cli_env, cwd=repo))
            for _ in range(per_round):
                samples["pass"].append(timed([PYTHON, "-c", "pass"], env=env))
        walls = {k: Timing(tuple(w for w, _c in v)) for k, v in samples.items()}
        cpus = {k: Timing(tuple(c for _w, c in v)) for k, v in samples.items()}
        verify_t, pass_t = walls["verify"], walls["pass"]
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"[verify] fixture kept in {keep} (cache: {tmp / 'cache'})", flush=True)

    ratio = verify_t.median / pass_t.median
    ratio_no_cli = walls["no_cli"].median / pass_t.median
    cpu_ratio = cpus["verify"].median / cpus["pass"].median
    print(f"[verify] depguard verify ({count} dirs, warm): {verify_t.describe()}", flush=True)
    print(
        f"[verify] same without a Terraform CLI config file: {walls['no_cli'].describe()}",
        flush=True,
    )
    print(f"[verify] python -c pass: {pass_t.describe('ms')}", flush=True)
    print(
        f"[verify] CPU medians: verify {cpus['verify'].median:.3f} s, without CLI config "
        f"{cpus['no_cli'].median:.3f} s, pass {cpus['pass'].median * 1e3:.1f} ms",
        flush=True,
    )
    print(f"[verify] ratio {ratio:.1f}× (target ≤ {TARGET:.0f}×)", flush=True)
    if busy:
        print(f"[verify] note: {busy}", flush=True)
    return {
        "name": "verify",
        "dirs": count,
        "verify_s": verify_t.samples,
        "verify_no_cli_config_s": walls["no_cli"].samples,
        "python_pass_s": pass_t.samples,
        "cpu_s": {k: v.samples for k, v in cpus.items()},
        "ratio": ratio,
        "rows": [
            row(
                f"verify {count} dirs, warm, vs python -c pass",
                ratio,
                f"≤ {TARGET:.0f}×",
                ratio <= TARGET,
                f"verify {verify_t.median:.3f} s (spread {verify_t.spread:.0%}) / "
                f"pass {pass_t.median * 1e3:.1f} ms; CPU ratio {cpu_ratio:.0f}×",
                note="quick: 100 dirs" if count != 1000 else "",
            ),
            row(
                "  same, no Terraform CLI config file (info)",
                ratio_no_cli,
                "info",
                None,
                f"verify {walls['no_cli'].median:.3f} s",
            ),
        ],
    }


def bench(quick: bool = False) -> dict[str, Any]:
    """Entry point of ``python -m tests.benchmarks``."""
    return run_bench(quick=quick)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 directories, 3 runs")
    parser.add_argument("--dirs", type=int, default=None, help="number of state directories")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="build the fixture in this new directory and keep it",
    )
    args = parser.parse_args(argv)
    return run_bench(quick=args.quick, dirs=args.dirs, keep=args.keep)


if __name__ == "__main__":
    main()
