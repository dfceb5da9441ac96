"""Real GnuPG keys and signatures for OpenPGP tests, in a throw-away ``GNUPGHOME``.

Everything here drives the real ``gpg`` binary (``--batch``, empty passphrases,
``--faked-system-time`` for keys that lived in the past), so the signatures depguard
verifies are made by an independent implementation. Tests that need it skip with a clear
reason when ``gpg`` is absent (:func:`require_gpg`).

Typical use goes through the session fixtures of ``tests.support.gpg_fixtures``; the
helpers are usable directly for one-off keys::

    with GpgHome.create() as home:
        key = home.generate("Test <t@example.com>", algo="ed25519")
        sig = home.sign(key, b"data")             # binary detached signature
        cert = home.export(key)                   # armored public key
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import pytest

GPG = shutil.which("gpg")
GPGCONF = shutil.which("gpgconf")
_TIMEOUT = 120


def require_gpg() -> str:
    """Return the path of ``gpg``, or skip the calling test with the reason."""
    if GPG is None:
        pytest.skip("gpg (GnuPG) is not installed; OpenPGP tests with generated keys need it")
    return GPG


@dataclass(frozen=True)
class GpgKey:
    """A generated key: primary fingerprint, user ID and the (sub)key that signs."""

    fingerprint: str
    uid: str
    signing_fingerprint: str

    @property
    def key_id(self) -> str:
        return self.fingerprint[-16:]


@dataclass(frozen=True)
class SignedSample:
    """A key frozen in some state (expired, revoked) with a signature it made earlier."""

    key: GpgKey
    cert: bytes  # armored public certificate in its final state
    data: bytes
    signature: bytes  # binary detached signature over ``data``


@dataclass(frozen=True)
class PartnerSetup:
    """A registry key vouched for by a throw-away "HashiCorp partners" key.

    ``trust_signature`` is what a registry puts in ``signing_keys``: an armored detached
    signature by the partners key over the *decoded* body of ``provider_armor``.
    """

    partners: GpgKey
    partners_cert: bytes  # armored public certificate: pass as ``partners_key=``
    provider: GpgKey
    provider_armor: str  # the registry's ``ascii_armor``
    trust_signature: str  # the registry's ``trust_signature``


class GpgHome:
    """A temporary GnuPG home; :meth:`close` stops its agent and deletes it."""

    def __init__(self, home: Path) -> None:
        self.home = home

    @classmethod
    def create(cls) -> GpgHome:
        """Make a fresh home with a short path (gpg-agent sockets are length-limited)."""
        require_gpg()
        home = Path(tempfile.mkdtemp(prefix="dg-gpg-"))
        home.chmod(0o700)
        return cls(home)

    def __enter__(self) -> GpgHome:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop this home's gpg-agent (by its home, not by name) and delete the home."""
        if GPGCONF is not None:
            subprocess.run(
                [GPGCONF, "--homedir", str(self.home), "--kill", "all"],
                capture_output=True,
                timeout=_TIMEOUT,
                check=False,
            )
        shutil.rmtree(self.home, ignore_errors=True)

    # ------------------------------------------------------------------ plumbing

    def run(self, *args: str, faked_time: str | None = None, stdin: bytes | None = None) -> bytes:
        """Run ``gpg`` in this home and return its stdout; fail the test on error.

        ``faked_time`` is a gpg ISO time such as ``"20200101T000000"``.
        """
        gpg = require_gpg()
        cmd = [
            gpg,
            "--homedir",
            str(self.home),
            "--batch",
            "--yes",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ]
        if faked_time is not None:
            cmd += ["--faked-system-time", f"{faked_time}!"]
        proc = subprocess.run(
            [*cmd, *args], input=stdin, capture_output=True, timeout=_TIMEOUT, check=False
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"gpg {' '.join(args)} failed ({proc.returncode}): "
                f"{proc.stderr.decode(errors='replace')}"
            )
        return proc.stdout

    def _fingerprints(self, selector: str) -> list[tuple[str, str]]:
        """``[(record type, fingerprint)]`` for the primary key and subkeys of a key."""
        out = self.run("--with-colons", "--list-keys", selector).decode()
        result: list[tuple[str, str]] = []
        kind = ""
        for line in out.splitlines():
            fields = line.split(":")
            if fields[0] in ("pub", "sub"):
                kind = fields[0]
            elif fields[0] == "fpr" and kind:
                result.append((kind, fields[9]))
                kind = ""
        return result

    # ------------------------------------------------------------------ keys

    def generate(
        self,
        uid: str,
        *,
        algo: str = "ed25519",
        usage: str = "sign",
        expire: str = "1y",
        faked_time: str | None = None,
    ) -> GpgKey:
        """Generate a key (``--quick-gen-key UID ALGO USAGE EXPIRE``).

        ``algo``: ``ed25519``, ``rsa2048``, ``rsa4096``…; ``usage="cert"`` makes a
        certification-only primary (add a signing subkey with :meth:`add_subkey`).
        """
        self.run("--quick-gen-key", uid, algo, usage, expire, faked_time=faked_time)
        fingerprints = self._fingerprints(f"={uid}")
        primary = next(fpr for kind, fpr in fingerprints if kind == "pub")
        return GpgKey(fingerprint=primary, uid=uid, signing_fingerprint=primary)

    def add_subkey(
        self,
        key: GpgKey,
        *,
        algo: str = "ed25519",
        usage: str = "sign",
        expire: str = "1y",
        faked_time: str | None = None,
    ) -> GpgKey:
        """Add a subkey; return ``key`` with the new subkey as its signing key."""
        self.run("--quick-add-key", key.fingerprint, algo, usage, expire, faked_time=faked_time)
        subkeys = [fpr for kind, fpr in self._fingerprints(key.fingerprint) if kind == "sub"]
        return replace(key, signing_fingerprint=subkeys[-1])

    def set_expire(self, key: GpgKey, expire: str, *, faked_time: str | None = None) -> None:
        """Issue a new self-signature with expiry ``expire`` (``"2020-02-01"``, ``"1d"``)."""
        self.run("--quick-set-expire", key.fingerprint, expire, faked_time=faked_time)

    def revoke(self, key: GpgKey) -> None:
        """Import the revocation certificate gpg made at generation time."""
        rev = (self.home / "openpgp-revocs.d" / f"{key.fingerprint}.rev").read_text()
        # gpg guards the certificate against accidental import with a leading ':'.
        armored = rev[rev.index(":-----BEGIN") + 1 :]
        self.run("--import", stdin=armored.encode())

    def export(self, key: GpgKey, *, armor: bool = True) -> bytes:
        """Export the public certificate (armored by default)."""
        return self.run(*(["--armor"] if armor else []), "--export", key.fingerprint)

    def dearmor(self, armored: bytes | str) -> bytes:
        """Decode ASCII armor with gpg itself (``--dearmor``)."""
        data = armored.encode() if isinstance(armored, str) else armored
        return self.run("--dearmor", stdin=data)

    def sign(
        self,
        key: GpgKey,
        data: bytes,
        *,
        armor: bool = False,
        faked_time: str | None = None,
        digest: str | None = None,
    ) -> bytes:
        """Make a detached signature over ``data`` with ``key``'s signing (sub)key."""
        args = ["--local-user", f"{key.signing_fingerprint}!", "--detach-sign"]
        if armor:
            args.append("--armor")
        if digest is not None:
            args += ["--digest-algo", digest]
        return self.run(*args, "--output", "-", "-", stdin=data, faked_time=faked_time)

    def partner_setup(self, partners: GpgKey, provider: GpgKey) -> PartnerSetup:
        """Make ``partners`` vouch for ``provider`` the way HashiCorp's partners key does."""
        provider_armor = self.export(provider).decode()
        body = self.dearmor(provider_armor)
        trust = self.sign(partners, body, armor=True).decode()
        return PartnerSetup(
            partners=partners,
            partners_cert=self.export(partners),
            provider=provider,
            provider_armor=provider_armor,
            trust_signature=trust,
        )


# ---------------------------------------------------------------------- raw packets


def split_packets(data: bytes) -> list[bytes]:
    """Split binary OpenPGP data into whole packets (test-side, independent of depguard)."""
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        first = data[pos]
        assert first & 0x80, "not binary OpenPGP"
        if first & 0x40:
            o1 = data[pos + 1]
            if o1 < 192:
                header, length = 2, o1
            elif o1 < 224:
                header, length = 3, ((o1 - 192) << 8) + data[pos + 2] + 192
            else:
                assert o1 == 255, "partial lengths not supported here"
                header, length = 6, int.from_bytes(data[pos + 2 : pos + 6], "big")
        else:
            size = (1, 2, 4)[first & 0x03]
            header, length = 1 + size, int.from_bytes(data[pos + 1 : pos + 1 + size], "big")
        out.append(data[pos : pos + header + length])
        pos += header + length
    return out


def packet_tag(packet: bytes) -> int:
    """The tag of one packet from :func:`split_packets`."""
    return packet[0] & 0x3F if packet[0] & 0x40 else (packet[0] >> 2) & 0x0F


def forge_subkey_cert(victim: bytes, attacker: bytes) -> bytes:
    """Graft ``attacker``'s signing subkey (and its binding by the attacker's primary)
    onto ``victim``'s certificate — a subkey the victim never bound (binary in, binary out).
    """
    subkey_tag, signature_tag = 14, 2
    victim_packets = split_packets(victim)
    first_sub = next(
        (i for i, p in enumerate(victim_packets) if packet_tag(p) == subkey_tag),
        len(victim_packets),
    )
    attacker_packets = split_packets(attacker)
    start = next(i for i, p in enumerate(attacker_packets) if packet_tag(p) == subkey_tag)
    graft = [attacker_packets[start]]
    graft += [p for p in attacker_packets[start + 1 :] if packet_tag(p) == signature_tag][:1]
    return b"".join(victim_packets[:first_sub] + graft)
