"""Session-scoped pytest fixtures with real GnuPG keys (register as a pytest plugin).

Key generation is slow, so every key is made once per test session in one shared
``GNUPGHOME``; fixtures never modify a key after handing it out. All skip with a clear
reason when ``gpg`` is absent. Names start with ``gpg_``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.gpg import GpgHome, GpgKey, PartnerSetup, SignedSample, require_gpg

SAMPLE = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  sample.zip\n"


@pytest.fixture(scope="session")
def gpg_home() -> Iterator[GpgHome]:
    """The shared throw-away GnuPG home (agent stopped and home deleted at the end)."""
    require_gpg()
    home = GpgHome.create()
    try:
        yield home
    finally:
        home.close()


@pytest.fixture(scope="session")
def gpg_rsa_key(gpg_home: GpgHome) -> GpgKey:
    """An RSA-2048 sign+certify key valid for a year."""
    return gpg_home.generate("RSA Test <rsa@example.com>", algo="rsa2048")


@pytest.fixture(scope="session")
def gpg_ed25519_key(gpg_home: GpgHome) -> GpgKey:
    """An Ed25519 sign+certify key valid for a year."""
    return gpg_home.generate("Ed25519 Test <ed25519@example.com>", algo="ed25519")


@pytest.fixture(scope="session")
def gpg_subkey_key(gpg_home: GpgHome) -> GpgKey:
    """A certification-only Ed25519 primary with an Ed25519 signing subkey."""
    primary = gpg_home.generate("Subkey Test <subkey@example.com>", usage="cert")
    return gpg_home.add_subkey(primary)


@pytest.fixture(scope="session")
def gpg_expired_key(gpg_home: GpgHome) -> SignedSample:
    """A key that lived one day in 2020, with a signature made while it was valid."""
    key = gpg_home.generate(
        "Expired Test <expired@example.com>", expire="1d", faked_time="20200101T000000"
    )
    signature = gpg_home.sign(key, SAMPLE, faked_time="20200101T120000")
    return SignedSample(key=key, cert=gpg_home.export(key), data=SAMPLE, signature=signature)


@pytest.fixture(scope="session")
def gpg_signed_after_expiry(gpg_home: GpgHome) -> SignedSample:
    """A signature made on 2020-03-01 by a key whose self-signature of 2020-01-02 says it
    expired on 2020-02-01 (gpg will not sign with an expired key, hence the order)."""
    key = gpg_home.generate(
        "Late Test <late@example.com>", expire="never", faked_time="20200101T000000"
    )
    signature = gpg_home.sign(key, SAMPLE, faked_time="20200301T000000")
    gpg_home.set_expire(key, "2020-02-01", faked_time="20200102T000000")
    return SignedSample(key=key, cert=gpg_home.export(key), data=SAMPLE, signature=signature)


@pytest.fixture(scope="session")
def gpg_revoked_key(gpg_home: GpgHome) -> SignedSample:
    """A key that signed, and was then revoked (its certificate carries the revocation)."""
    key = gpg_home.generate("Revoked Test <revoked@example.com>")
    signature = gpg_home.sign(key, SAMPLE)
    gpg_home.revoke(key)
    return SignedSample(key=key, cert=gpg_home.export(key), data=SAMPLE, signature=signature)


@pytest.fixture(scope="session")
def gpg_partner_setup(gpg_home: GpgHome) -> PartnerSetup:
    """A throw-away "HashiCorp partners" key vouching for a provider's signing key."""
    partners = gpg_home.generate("Partners Test <partners@example.com>", algo="rsa2048")
    provider = gpg_home.generate("Partner Provider <provider@example.com>")
    return gpg_home.partner_setup(partners, provider)
