"""Rebuild the upstream snapshot of the shipped example ``manifests/examples/acme-infra``.

Run ``python -m tests.support.build_example`` from the repository root (needs ``gpg`` and the
corpus). It writes:

* the real ``hashicorp/null`` 3.1.0 registry answers (``SHA256SUMS`` and its signature are the
  real files from the corpus; the JSON around them follows the registry protocol), and
* a demo provider ``tf.acme.example/platform/inventory`` (versions 1.2.0 and 1.3.0, four
  platforms, tiny synthetic zips) whose ``SHA256SUMS`` is signed by a throwaway demo key made
  here. Only the public key is kept; the private key dies with the temporary GNUPGHOME, so a
  rebuild makes a new key and the example's ``depguard.yaml`` pin is updated to match.

After a rebuild, regenerate the lock files with
``depguard lock manifests/examples/acme-infra --offline``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"
UPSTREAM = EXAMPLE / "upstream"
CORPUS = Path(os.environ.get("DEPGUARD_CORPUS", ROOT.parent / "shared" / "corpus"))

NULL_PLATFORMS = [
    "darwin_amd64",
    "darwin_arm64",
    "freebsd_386",
    "freebsd_amd64",
    "freebsd_arm",
    "linux_386",
    "linux_amd64",
    "linux_arm64",
    "linux_arm",
    "windows_386",
    "windows_amd64",
]
DEMO_HOST = "tf.acme.example"
DEMO_NS, DEMO_TYPE = "platform", "inventory"
DEMO_VERSIONS = ["1.2.0", "1.3.0"]
DEMO_PLATFORMS = ["darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64"]


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _json(obj: object) -> str:
    return json.dumps(obj, indent=2) + "\n"


def _demo_zip(version: str, platform: str) -> bytes:
    os_, _arch = platform.split("_")
    exe = f"terraform-provider-{DEMO_TYPE}_v{version}" + (".exe" if os_ == "windows" else "")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content, mode in (
            (
                "LICENSE.txt",
                b"Demo provider for the depguard example. Not a real provider.\n",
                0o644,
            ),
            (
                exe,
                (
                    f"#!/bin/sh\necho 'demo {DEMO_HOST}/{DEMO_NS}/{DEMO_TYPE} "
                    f"{version} {platform}'\n"
                ).encode(),
                0o755,
            ),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buf.getvalue()


def _gpg(home: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home),
            "--batch",
            "--quiet",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            *args,
        ],
        input=data,
        check=True,
        capture_output=True,
    ).stdout


def _download_json(
    *,
    version: str,
    platform: str,
    filename: str,
    shasum: str,
    base: str,
    sums: str,
    sig: str,
    keys: list[dict[str, str]],
) -> str:
    os_, arch = platform.split("_")
    return _json(
        {
            "protocols": ["5.0"],
            "os": os_,
            "arch": arch,
            "filename": filename,
            "download_url": f"{base}/{filename}",
            "shasums_url": f"{base}/{sums}",
            "shasums_signature_url": f"{base}/{sig}",
            "shasum": shasum,
            "signing_keys": {"gpg_public_keys": keys},
        }
    )


def build_null() -> None:
    signing = CORPUS / "terraform" / "real" / "signing"
    sums = (signing / "terraform-provider-null_3.1.0_SHA256SUMS").read_bytes()
    sig = (signing / "terraform-provider-null_3.1.0_SHA256SUMS.sig").read_bytes()
    key = (signing / "hashicorp-public-key_as-embedded-in-terraform-v1.11.4.asc").read_text()
    reg = UPSTREAM / "registry.terraform.io"
    _write(reg / ".well-known" / "terraform.json", _json({"providers.v1": "/v1/providers/"}))
    base = "https://releases.hashicorp.com/terraform-provider-null/3.1.0"
    rel = UPSTREAM / "releases.hashicorp.com" / "terraform-provider-null" / "3.1.0"
    sums_name = "terraform-provider-null_3.1.0_SHA256SUMS"
    sig_name = f"{sums_name}.72D7468F.sig"
    _write(rel / sums_name, sums)
    _write(rel / sig_name, sig)
    lines = dict(reversed(line.split()) for line in sums.decode().splitlines())
    platforms = [{"os": p.split("_")[0], "arch": p.split("_")[1]} for p in NULL_PLATFORMS]
    provider = reg / "v1" / "providers" / "hashicorp" / "null"
    _write(
        provider / "versions",
        _json({"versions": [{"version": "3.1.0", "protocols": ["5.0"], "platforms": platforms}]}),
    )
    keys = [
        {
            "key_id": "34365D9472D7468F",
            "ascii_armor": key,
            "trust_signature": "",
            "source": "HashiCorp",
            "source_url": "https://www.hashicorp.com/security.html",
        }
    ]
    for platform in NULL_PLATFORMS:
        os_, arch = platform.split("_")
        filename = f"terraform-provider-null_3.1.0_{platform}.zip"
        _write(
            provider / "3.1.0" / "download" / os_ / arch,
            _download_json(
                version="3.1.0",
                platform=platform,
                filename=filename,
                shasum=lines[filename],
                base=base,
                sums=sums_name,
                sig=sig_name,
                keys=keys,
            ),
        )


def build_demo() -> str:
    home = Path(tempfile.mkdtemp(prefix="depguard-demo-gnupg-"))
    try:
        os.chmod(home, 0o700)
        _gpg(
            home,
            "--quick-gen-key",
            "ACME Platform Team (depguard example demo key) <platform@acme.example>",
            "ed25519",
            "sign",
            "never",
        )
        out = _gpg(home, "--list-keys", "--with-colons").decode()
        fingerprint = re.search(r"^fpr:+([0-9A-F]{40}):", out, re.M).group(1)  # type: ignore[union-attr]
        armored = _gpg(home, "--armor", "--export", fingerprint).decode()
        reg = UPSTREAM / DEMO_HOST
        _write(reg / ".well-known" / "terraform.json", _json({"providers.v1": "/v1/providers/"}))
        _write(EXAMPLE / "keys" / "acme-demo.asc", armored)
        key_entry = {
            "key_id": fingerprint[-16:],
            "ascii_armor": armored,
            "trust_signature": "",
            "source": "ACME Platform Team",
            "source_url": "https://acme.example/security",
        }
        provider = reg / "v1" / "providers" / DEMO_NS / DEMO_TYPE
        versions = []
        for version in DEMO_VERSIONS:
            dl = reg / "dl" / DEMO_NS / DEMO_TYPE / version
            base = f"https://{DEMO_HOST}/dl/{DEMO_NS}/{DEMO_TYPE}/{version}"
            sums_name = f"terraform-provider-{DEMO_TYPE}_{version}_SHA256SUMS"
            manifest_name = f"terraform-provider-{DEMO_TYPE}_{version}_manifest.json"
            manifest = (
                json.dumps({"version": 1, "metadata": {"protocol_versions": ["5.0"]}}, indent=2)
                + "\n"
            )
            files = {manifest_name: manifest.encode()}
            for platform in DEMO_PLATFORMS:
                files[f"terraform-provider-{DEMO_TYPE}_{version}_{platform}.zip"] = _demo_zip(
                    version, platform
                )
            sums = "".join(
                f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)
            ).encode()
            for name, data in files.items():
                _write(dl / name, data)
            _write(dl / sums_name, sums)
            _write(
                dl / f"{sums_name}.sig",
                _gpg(
                    home, "--detach-sign", "--local-user", fingerprint, "--output", "-", data=sums
                ),
            )
            for platform in DEMO_PLATFORMS:
                os_, arch = platform.split("_")
                filename = f"terraform-provider-{DEMO_TYPE}_{version}_{platform}.zip"
                _write(
                    provider / version / "download" / os_ / arch,
                    _download_json(
                        version=version,
                        platform=platform,
                        filename=filename,
                        shasum=hashlib.sha256(files[filename]).hexdigest(),
                        base=base,
                        sums=sums_name,
                        sig=f"{sums_name}.sig",
                        keys=[key_entry],
                    ),
                )
            versions.append(
                {
                    "version": version,
                    "protocols": ["5.0"],
                    "platforms": [
                        {"os": p.split("_")[0], "arch": p.split("_")[1]} for p in DEMO_PLATFORMS
                    ],
                }
            )
        _write(provider / "versions", _json({"versions": versions}))
        return fingerprint
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; set DEPGUARD_CORPUS", file=sys.stderr)
        return 2
    if UPSTREAM.exists():
        shutil.rmtree(UPSTREAM)
    build_null()
    fingerprint = build_demo()
    config = EXAMPLE / "depguard.yaml"
    if config.exists():
        text = re.sub(
            r"fingerprint: \"?[0-9A-F]{40}\"?", f'fingerprint: "{fingerprint}"', config.read_text()
        )
        config.write_text(text)
    print(f"demo key fingerprint: {fingerprint}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
