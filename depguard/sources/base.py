"""Shared types for upstream provider sources (registry, network mirror, filesystem mirror)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

from depguard.errors import InputError, NetworkError
from depguard.model import Platform, ProviderAddress
from depguard.net.fetcher import Response


class PackageKind(enum.Enum):
    """Where a provider package comes from; decides how it is authenticated."""

    REGISTRY = "registry"  # origin registry: SHA256SUMS + OpenPGP signature
    NET_MIRROR = "net-mirror"  # network mirror: optional hashes in <version>.json
    FS_ARCHIVE = "fs-archive"  # filesystem mirror, packed layout (.zip)
    FS_DIR = "fs-dir"  # filesystem mirror, unpacked layout (directory)


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningKey:
    """One entry of a registry's ``signing_keys.gpg_public_keys``."""

    ascii_armor: str
    trust_signature: str = ""
    key_id: str = ""  # informational only, as in Terraform


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageMeta:
    """What a source says about one provider package for one platform.

    ``location`` is an absolute URL for REGISTRY/NET_MIRROR and a local path for FS_*.
    """

    address: ProviderAddress
    version: str
    platform: Platform
    kind: PackageKind
    location: str
    filename: str = ""
    shasum: str | None = None  # REGISTRY: lower-case hex sha256 of the zip
    shasums_url: str | None = None
    shasums_signature_url: str | None = None
    signing_keys: tuple[SigningKey, ...] = ()
    hashes: tuple[str, ...] = ()  # NET_MIRROR: hashes the mirror lists for the archive
    protocols: tuple[str, ...] = ()


class ProviderSource(Protocol):
    """A place to find provider versions and packages (Terraform's ``getproviders.Source``)."""

    def available_versions(self, address: ProviderAddress) -> tuple[str, ...]:
        """Return every version the source offers, unsorted.

        Raises ``NetworkError`` (transport), ``NotFound`` (unknown provider) or ``InputError``
        (malformed response, naming the URL or path).
        """
        ...

    def package_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        """Return the package for ``platform``, or ``None`` when it is not published."""
        ...

    def describe(self) -> str:
        """A short human description (``registry``, ``fs mirror DIR``, ``net mirror URL``)."""
        ...


def json_object(resp: Response, what: str) -> dict[str, Any]:
    """Decode ``resp`` as a JSON object; raise :class:`InputError` naming the URL otherwise."""
    try:
        obj = resp.json()
    except NetworkError as e:
        raise InputError(resp.url, f"{what} is not valid JSON") from e
    if not isinstance(obj, dict):
        raise InputError(resp.url, f"{what} must be a JSON object")
    return obj
