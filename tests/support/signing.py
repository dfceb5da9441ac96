"""Throwaway OpenPGP keys (real ``gpg``) and synthetic provider packages for test registries.

``GpgSigner.create(dir)`` makes an Ed25519 signing key in a private GNUPGHOME;
``sign(data)`` returns a binary detached signature like ``gpg --detach-sign`` (what Terraform
requires), ``signing_key()`` the registry ``gpg_public_keys`` entry. ``provider_zip`` builds a
package the way the corpus vectors were built, and ``publish_signed`` ties both to a
:class:`~tests.support.servers.RegistryBuilder`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.servers import RegistryBuilder, make_shasums

LICENSE = b"Synthetic test provider for lock-file vectors. Not a real provider.\n"
MANIFEST_JSON = (
    b'{\n  "version": 1,\n  "metadata": {\n    "protocol_versions": [\n      "5.0"\n    ]\n  }\n}\n'
)


def gpg_available() -> bool:
    """Whether a ``gpg`` binary is on PATH."""
    return shutil.which("gpg") is not None


@dataclass(frozen=True)
class GpgSigner:
    """A private GNUPGHOME holding one signing key."""

    home: Path
    fingerprint: str

    @property
    def key_id(self) -> str:
        """The 16-hex-digit key ID (upper case, as registries list it)."""
        return self.fingerprint[-16:]

    @classmethod
    def create(
        cls, home: Path, uid: str = "Depguard Test Signer <signer@example.com>"
    ) -> GpgSigner:
        """Generate an Ed25519 key (no passphrase, no expiry) in ``home``."""
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        home.chmod(0o700)
        cls._gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
        out = cls._gpg(home, "--with-colons", "--list-secret-keys").decode()
        fpr = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))
        return cls(home=home, fingerprint=fpr)

    @staticmethod
    def _gpg(home: Path, *args: str, stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--yes", "--no-tty", *args],
            input=stdin,
            capture_output=True,
            check=False,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"gpg {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}"
            )
        return proc.stdout

    def sign(self, data: bytes, *, armor: bool = False) -> bytes:
        """A detached signature over ``data`` (binary unless ``armor``)."""
        extra = ["--armor"] if armor else []
        return self._gpg(
            self.home,
            "--local-user",
            self.fingerprint,
            *extra,
            "--detach-sign",
            "-o",
            "-",
            stdin=data,
        )

    def public_key_armor(self) -> str:
        """The ASCII-armored public key."""
        return self._gpg(self.home, "--armor", "--export", self.fingerprint).decode()

    def signing_key(self, *, trust_signature: str = "") -> dict[str, Any]:
        """The registry ``signing_keys.gpg_public_keys`` entry for this key."""
        return {
            "key_id": self.key_id,
            "ascii_armor": self.public_key_armor(),
            "trust_signature": trust_signature,
            "source": "depguard tests",
            "source_url": "https://example.com/security",
        }

    def close(self) -> None:
        """Stop the gpg-agent this home started (best effort)."""
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--kill", "all"],
            capture_output=True,
            check=False,
            timeout=30,
        )


def provider_zip(hostname: str, namespace: str, type_: str, version: str, platform: str) -> bytes:
    """A deterministic synthetic provider package, built like the corpus vectors."""
    exe = f"terraform-provider-{type_}_v{version}" + (
        ".exe" if platform.startswith("windows") else ""
    )
    script = f"#!/bin/sh\necho 'synthetic {hostname}/{namespace}/{type_} {version} {platform}'\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content, mode in (
            (exe, script.encode(), 0o755),
            ("LICENSE.txt", LICENSE, 0o644),
        ):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buf.getvalue()


def publish_signed(
    registry: RegistryBuilder,
    signer: GpgSigner,
    namespace: str,
    type_: str,
    version: str,
    platforms: Sequence[str] = ("linux_amd64", "darwin_arm64", "windows_amd64"),
    *,
    protocols: Sequence[str] = ("5.0",),
) -> dict[str, bytes]:
    """Publish synthetic zips with a SHA256SUMS (incl. manifest line) signed by ``signer``.

    Returns the zips by platform.
    """
    zips = {p: provider_zip(registry.hostname, namespace, type_, version, p) for p in platforms}
    prefix = f"terraform-provider-{type_}_{version}"
    files = {f"{prefix}_{p}.zip": z for p, z in zips.items()}
    files[f"{prefix}_manifest.json"] = MANIFEST_JSON
    shasums = make_shasums(files)
    registry.add_provider(
        namespace,
        type_,
        version,
        zips,
        shasums,
        signer.sign(shasums),
        [signer.signing_key()],
        protocols=protocols,
        extra_files={f"{prefix}_manifest.json": MANIFEST_JSON},
    )
    return zips
