"""pytest plugin: real local HTTPS servers (register with ``pytest_plugins``).

Fixtures:

* ``tls_material`` (session) — :class:`~tests.support.servers.TLSMaterial`; ``.ca_pem`` is the
  CA file for ``SSL_CERT_FILE``.
* ``trust_test_ca`` — sets ``SSL_CERT_FILE`` to that CA (and clears ``REQUESTS_CA_BUNDLE`` /
  ``CURL_CA_BUNDLE``) for the test; returns the CA path. Use it with any server fixture so
  depguard and the real ``terraform`` trust the servers.
* ``https_server`` — a started :class:`~tests.support.servers.HttpsServer`.
* ``registry_server`` — a :class:`~tests.support.servers.RegistryBuilder` on its own server.
* ``mirror_server`` — a :class:`~tests.support.servers.MirrorBuilder` on its own server.
* ``gpg_signer`` (session) — a :class:`~tests.support.signing.GpgSigner` with a throwaway
  Ed25519 key (skips when ``gpg`` is missing); with
  :func:`~tests.support.signing.publish_signed` it publishes signed fake providers.

All servers stop at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import HttpsServer, MirrorBuilder, RegistryBuilder, TLSMaterial
from tests.support.signing import GpgSigner, gpg_available


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    """A throwaway CA and a ``localhost``/``127.0.0.1`` server certificate."""
    return TLSMaterial.create(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust_test_ca(tls_material: TLSMaterial, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the test CA the trust store (``SSL_CERT_FILE``) for this test."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_material.ca_pem))
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return tls_material.ca_pem


@pytest.fixture
def https_server(tls_material: TLSMaterial) -> Iterator[HttpsServer]:
    """A running HTTPS server on 127.0.0.1 (ephemeral port), stopped at teardown."""
    server = HttpsServer(tls_material).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def registry_server(tls_material: TLSMaterial) -> Iterator[RegistryBuilder]:
    """A provider registry on its own HTTPS server; publish with ``add_provider``."""
    server = HttpsServer(tls_material).start()
    try:
        yield RegistryBuilder(server)
    finally:
        server.stop()


@pytest.fixture
def mirror_server(tls_material: TLSMaterial) -> Iterator[MirrorBuilder]:
    """A provider network mirror on its own HTTPS server."""
    server = HttpsServer(tls_material).start()
    try:
        yield MirrorBuilder(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gpg_signer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GpgSigner]:
    """A throwaway OpenPGP signing key in a private GNUPGHOME (real ``gpg``)."""
    if not gpg_available():
        pytest.skip("gpg is not installed")
    signer = GpgSigner.create(tmp_path_factory.mktemp("gnupg"))
    try:
        yield signer
    finally:
        signer.close()
