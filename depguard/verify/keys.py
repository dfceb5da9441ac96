"""HashiCorp's provider-signing certificates, shipped as package data.

The source of truth is ``manifests/keys/`` at the repository root (provenance, fingerprints
and the merge are explained in ``manifests/keys/README.md``); byte-identical copies live in
``depguard/data/keys/`` so an installed wheel carries them (a test keeps the copies equal).

* :func:`hashicorp_cert` — primary ``C874 011F 0AB4 0511 0D02 1055 3436 5D94 72D7 468F``
  (key ID ``34365D9472D7468F``): signs the ``SHA256SUMS`` of official providers
  (Terraform's ``HashicorpPublicKey``, ``internal/getproviders/public_keys.go``).
* :func:`hashicorp_partners_cert` — primary ``5189 0657 C5AC DB4B 8230 8656 7D72 D426 8E46
  60FC`` (key ID ``7D72D4268E4660FC``): used only to check a registry key's
  ``trust_signature`` (Terraform's ``HashicorpPartnersKey``).

Reading shipped package data is the only I/O here; the bytes are cached per process.
"""

from __future__ import annotations

import functools
from importlib import resources

__all__ = [
    "HASHICORP_FINGERPRINT",
    "HASHICORP_PARTNERS_FINGERPRINT",
    "hashicorp_cert",
    "hashicorp_partners_cert",
    "shipped_key_names",
]

HASHICORP_FINGERPRINT = "C874011F0AB405110D02105534365D9472D7468F"
HASHICORP_PARTNERS_FINGERPRINT = "51890657C5ACDB4B823086567D72D4268E4660FC"

_PACKAGE = "depguard"
_KEY_DIR = ("data", "keys")
_HASHICORP = "hashicorp.asc"
_PARTNERS = "hashicorp-partners.asc"


def shipped_key_names() -> tuple[str, ...]:
    """Return the file names of the shipped certificates (for packaging tests)."""
    return (_HASHICORP, _PARTNERS)


@functools.cache
def _read(name: str) -> bytes:
    resource = resources.files(_PACKAGE)
    for part in (*_KEY_DIR, name):  # one part per call: not every Traversable takes several
        resource = resource.joinpath(part)
    try:
        return resource.read_bytes()
    except OSError as e:  # a broken installation, not a user error
        raise RuntimeError(
            f"depguard package data {'/'.join((*_KEY_DIR, name))} is missing: {e}"
        ) from e


def hashicorp_cert() -> bytes:
    """Return HashiCorp's provider-signing certificate (ASCII-armored).

    It merges the copy in Terraform main (self-signatures re-issued 2026-02-18) with the
    copy embedded in Terraform v1.11.4 (2021 self-signatures), so signatures made since
    2021 verify under Sequoia's policy, which checks key validity at signing time.

    Raises:
        RuntimeError: the package data is missing (a broken installation).
    """
    return _read(_HASHICORP)


def hashicorp_partners_cert() -> bytes:
    """Return the HashiCorp partners certificate (ASCII-armored) for ``trust_signature``.

    Raises:
        RuntimeError: the package data is missing (a broken installation).
    """
    return _read(_PARTNERS)
