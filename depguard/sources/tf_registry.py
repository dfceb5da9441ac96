"""The Terraform provider registry protocol (``provider-registry-protocol.mdx``).

Steps, as Terraform's ``registry_client.go`` and ``terraform-svchost/disco`` perform them:

1. Service discovery: ``GET https://<host>/.well-known/terraform.json`` (port kept), which must
   be a 200 ``application/json`` object; ``providers.v1`` is resolved against the final
   discovery URL and must be http(s) without user info. A CLI config ``host`` block replaces
   the request (its URLs resolve against the URL discovery would have used).
2. ``GET <base><namespace>/<type>/versions`` → ``{"versions": [{"version", "protocols",
   "platforms"}], "warnings"}``; 404 means the registry does not know the provider.
3. ``GET <base><namespace>/<type>/<version>/download/<os>/<arch>`` → the package: ``os``/``arch``
   must echo the request, ``shasum`` is 64 hex digits, URLs resolve against the response URL
   and must be http(s); 404 means the platform is not published.
4. ``SHA256SUMS`` and its detached signature are fetched without credentials.

Everything is memoised per process: many directories share providers. A CLI config token for
a host is sent (by the fetcher, which never logs it) only on JSON calls to that same host.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

from depguard.errors import DepguardError, InputError, NetworkError
from depguard.formats.tf_cli_config import CliConfig, normalize_hostname
from depguard.model import Platform, ProviderAddress
from depguard.net.fetcher import MAX_TEXT_BYTES, Fetcher, NotFound, Response
from depguard.net.urls import resolve_url, split_url
from depguard.sources.base import PackageKind, PackageMeta, SigningKey, json_object

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SERVICE_ID = "providers.v1"
DISCOVERY_PATH = "/.well-known/terraform.json"
# Provider plugin protocol majors current Terraform can run (SupportedPluginProtocols).
SUPPORTED_PROTOCOL_MAJORS = frozenset({5, 6})

MAX_DISCOVERY_BYTES = 1024 * 1024  # terraform-svchost maxDiscoDocBytes
MAX_VERSIONS_BYTES = 16 * 1024 * 1024
MAX_DOWNLOAD_JSON_BYTES = 1024 * 1024
MAX_SHASUMS_BYTES = MAX_TEXT_BYTES
MAX_SIGNATURE_BYTES = 64 * 1024

_VERSION_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
_PROTOCOL_RE = re.compile(r"^\d+(\.\d+)?$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def protocols_supported(protocols: tuple[str, ...]) -> bool:
    """True if any protocol's major is one Terraform supports, or none is declared.

    Terraform treats a version without declared protocols as compatible.
    """
    if not protocols:
        return True
    majors = {p.split(".")[0] for p in protocols}
    return any(m.isdigit() and int(m) in SUPPORTED_PROTOCOL_MAJORS for m in majors)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionInfo:
    """One entry of the registry's ``versions`` list."""

    version: str
    protocols: tuple[str, ...]
    platforms: tuple[Platform, ...]

    @property
    def protocol_compatible(self) -> bool:
        """Whether Terraform (protocol 5 or 6) can run this version."""
        return protocols_supported(self.protocols)


def url_host(hostname: str) -> str:
    """The ``host[:port]`` to put in a URL for a provider hostname (punycode, port kept)."""
    try:
        return normalize_hostname(hostname)
    except ValueError as e:
        raise InputError(hostname, f"invalid registry hostname: {e}") from None


def _seg(text: str) -> str:
    return quote(text, safe="")


def _join(base: str, rel: str) -> str:
    """Resolve ``rel`` against ``base`` like Go's ``URL.ResolveReference`` (RFC 3986).

    ``./`` keeps a first segment containing ``:`` from being read as a URL scheme.
    """
    return urljoin(base, "./" + rel)


def _check_http_url(base: str, raw: str, where: str, what: str) -> str:
    """``raw`` resolved against ``base``: an absolute http(s) URL without credentials."""
    parts = split_url(resolve_url(base, raw) or "")
    if parts is None or not parts.scheme:
        raise InputError(where, f"{what} {raw!r} is not a valid URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(where, f"{what} {parts.geturl()!r} must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise InputError(where, f"{what} must not embed a username or password")
    return parts._replace(fragment="").geturl()


def _str_list(value: Any, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(where, f"{what} must be a list of strings")
    return tuple(value)


class RegistrySource:
    """A :class:`~depguard.sources.base.ProviderSource` for origin provider registries."""

    def __init__(self, fetcher: Fetcher, cli_config: CliConfig | None = None) -> None:
        self._fetcher = fetcher
        self._cli = cli_config or CliConfig()
        self._lock = threading.Lock()
        self._memo: dict[tuple[Any, ...], Any] = {}

    def __repr__(self) -> str:
        return "RegistrySource()"

    def describe(self) -> str:
        """``registry``."""
        return "registry"

    # --- memoisation ------------------------------------------------------------------------

    def _memoised(self, key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
        """Compute once per process; failures are remembered too (each costs retries)."""
        with self._lock:
            if key in self._memo:
                hit = self._memo[key]
                if isinstance(hit, DepguardError):
                    raise hit
                return hit  # type: ignore[no-any-return]
        try:
            value: Any = compute()
        except DepguardError as e:
            with self._lock:
                self._memo[key] = e
            raise
        with self._lock:
            self._memo[key] = value
        return value  # type: ignore[no-any-return]

    # --- JSON calls -------------------------------------------------------------------------

    def _auth_headers(self, url: str) -> dict[str, str]:
        """``Authorization`` only when the URL's host is the host the token is for."""
        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1]
        token = self._cli.token_for(host) if host else None
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _get_json(
        self, url: str, what: str, max_bytes: int, *, absent_ok: bool = False
    ) -> tuple[Response, dict[str, Any]] | None:
        headers = self._auth_headers(url)
        try:
            resp = self._fetcher.get(
                url, max_bytes=max_bytes, headers=headers, ok_statuses=(200, 401, 403)
            )
        except NotFound:
            if absent_ok:
                return None
            raise
        if resp.status in (401, 403):
            have = "the configured token was rejected" if headers else "no token is configured"
            raise NetworkError(
                f"{url}: HTTP {resp.status}: the registry requires credentials ({have})",
                hint="add a credentials block to the Terraform CLI config or set TF_TOKEN_<host>",
            )
        return resp, json_object(resp, what)

    def release_published(self, address: ProviderAddress, version: str) -> str | None:
        """When ``version`` of the provider was published (RFC 3339), from the registry's
        ``GET {providers}/{ns}/{type}/{version}`` (``published_at``), or ``None`` when the
        registry does not say. Raises :class:`NetworkError` on transport failure."""
        base = self.providers_base_url(address.hostname)
        url = _join(base, f"{_seg(address.namespace)}/{_seg(address.type)}/{_seg(version)}")
        got = self._get_json(url, "provider version", 4 * 1024 * 1024, absent_ok=True)
        if got is None:
            return None
        value = got[1].get("published_at")
        return value if isinstance(value, str) else None

    # --- 1. service discovery ---------------------------------------------------------------

    def providers_base_url(self, hostname: str) -> str:
        """Return the ``providers.v1`` base URL for ``hostname``.

        Raises :class:`InputError` when the host has no provider registry or its discovery
        document is malformed, :class:`NetworkError` on transport failure.
        """
        host = url_host(hostname)
        return self._memoised(("disco", host), lambda: self._discover(host))

    def _discover(self, host: str) -> str:
        disco_url = f"https://{host}{DISCOVERY_PATH}"
        forced = self._cli.services_for(host)
        if forced is not None:
            # CLI config `host` block: no request; relative URLs resolve as if published.
            raw = forced.get(SERVICE_ID)
            if raw is None:
                raise InputError(
                    disco_url,
                    f"host {host} does not provide a provider registry (its CLI config host "
                    f"block has no {SERVICE_ID!r} service)",
                )
            return _check_http_url(disco_url, raw, disco_url, SERVICE_ID)
        try:
            # Terraform's disco sends the host's credentials with the discovery request too.
            resp = self._fetcher.get(
                disco_url, max_bytes=MAX_DISCOVERY_BYTES, headers=self._auth_headers(disco_url)
            )
        except NotFound:
            raise InputError(
                disco_url, f"host {host} does not provide a provider registry (HTTP 404)"
            ) from None
        if resp.content_type != "application/json":
            raise InputError(
                resp.url,
                f"service discovery returned an unsupported Content-Type "
                f"{resp.content_type or '(none)'!r} (must be application/json)",
            )
        doc = json_object(resp, "the service discovery document")
        raw = doc.get(SERVICE_ID)
        if raw is None:
            raise InputError(
                resp.url, f"host {host} does not provide a provider registry (no {SERVICE_ID!r})"
            )
        if not isinstance(raw, str):
            raise InputError(resp.url, f"{SERVICE_ID!r} must be a URL string")
        base = _check_http_url(resp.url, raw, resp.url, SERVICE_ID)
        log.debug("discovery: %s providers.v1 = %s", host, base)
        return base

    # --- 2. versions ------------------------------------------------------------------------

    def version_infos(self, address: ProviderAddress) -> tuple[VersionInfo, ...]:
        """Return every version the registry lists for ``address``, with protocols/platforms.

        Raises :class:`NotFound` (unknown provider), :class:`InputError` (malformed response)
        or :class:`NetworkError`.
        """
        return self._memoised(("versions", address), lambda: self._versions(address))

    def available_versions(self, address: ProviderAddress) -> tuple[str, ...]:
        """Return every listed version, compatible or not (like Terraform, the protocol check
        happens once a version is chosen; see :attr:`VersionInfo.protocol_compatible`)."""
        return tuple(v.version for v in self.version_infos(address))

    def _versions(self, address: ProviderAddress) -> tuple[VersionInfo, ...]:
        base = self.providers_base_url(address.hostname)
        url = _join(base, f"{_seg(address.namespace)}/{_seg(address.type)}/versions")
        got = self._get_json(url, "the versions response", MAX_VERSIONS_BYTES)
        assert got is not None
        resp, doc = got
        for warning in _str_list(doc.get("warnings"), resp.url, "warnings"):
            log.warning("registry warning for %s: %s", address, warning)
        items = doc.get("versions")
        if not isinstance(items, list):
            raise InputError(resp.url, "'versions' must be a list")
        out: list[VersionInfo] = []
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                raise InputError(resp.url, "each entry of 'versions' must be an object")
            version = item.get("version")
            if not isinstance(version, str) or not _VERSION_RE.match(version):
                raise InputError(resp.url, f"invalid version string {version!r}")
            protocols = _str_list(item.get("protocols"), resp.url, f"protocols of {version}")
            for p in protocols:
                if not _PROTOCOL_RE.match(p):
                    raise InputError(resp.url, f"invalid protocol version {p!r} for {version}")
            platforms: list[Platform] = []
            raw_platforms = item.get("platforms") or []
            if not isinstance(raw_platforms, list):
                raise InputError(resp.url, f"platforms of {version} must be a list")
            for plat in raw_platforms:
                # Informative only (Terraform ignores it); skip odd entries rather than fail.
                if isinstance(plat, dict):
                    try:
                        platforms.append(Platform(str(plat.get("os")), str(plat.get("arch"))))
                    except ValueError:
                        log.debug("%s: ignoring platform %r of %s", resp.url, plat, version)
            if version in seen:
                continue
            seen.add(version)
            out.append(
                VersionInfo(version=version, protocols=protocols, platforms=tuple(platforms))
            )
        return tuple(out)

    # --- 3. package metadata ----------------------------------------------------------------

    def package_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        """Return the registry's package for ``platform``, or ``None`` when not published.

        ``protocols`` are kept as the registry lists them (check with
        :func:`protocols_supported`). Raises :class:`InputError` for a malformed response
        (naming its URL) and :class:`NetworkError` on transport failure.
        """
        if not _VERSION_RE.match(version):
            raise ValueError(f"not a version: {version!r}")
        return self._memoised(
            ("meta", address, version, platform),
            lambda: self._package_meta(address, version, platform),
        )

    def _package_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        base = self.providers_base_url(address.hostname)
        rel = "/".join(
            _seg(s) for s in (address.namespace, address.type, version, "download", platform.os)
        )
        url = _join(base, f"{rel}/{_seg(platform.arch)}")
        got = self._get_json(url, "the download response", MAX_DOWNLOAD_JSON_BYTES, absent_ok=True)
        if got is None:
            return None
        resp, doc = got
        where = resp.url
        protocols = _str_list(doc.get("protocols"), where, "protocols")
        for p in protocols:
            if not _PROTOCOL_RE.match(p):
                raise InputError(where, f"invalid protocol version {p!r}")
        if doc.get("os") != platform.os or doc.get("arch") != platform.arch:
            raise InputError(
                where,
                f"response for {platform} has the wrong target "
                f"{doc.get('os')!r}/{doc.get('arch')!r}",
            )
        filename = doc.get("filename")
        if (
            not isinstance(filename, str)
            or not filename
            or filename in (".", "..")
            or any(c in filename for c in "/\\\x00")
        ):
            raise InputError(where, f"invalid filename {filename!r}")
        shasum = doc.get("shasum")
        if not isinstance(shasum, str) or not _HEX64.match(shasum):
            raise InputError(where, f"invalid SHA-256 hash {shasum!r} (must be 64 hex digits)")

        def resolve(key: str) -> str:
            raw = doc.get(key)
            if not isinstance(raw, str) or not raw:
                raise InputError(where, f"{key!r} must be a non-empty URL string")
            return _check_http_url(resp.url, raw, where, key)

        keys_obj = doc.get("signing_keys")
        keys_obj = {} if keys_obj is None else keys_obj
        if not isinstance(keys_obj, dict):
            raise InputError(where, "'signing_keys' must be an object")
        raw_keys = keys_obj.get("gpg_public_keys")
        raw_keys = [] if raw_keys is None else raw_keys
        if not isinstance(raw_keys, list):
            raise InputError(where, "'signing_keys.gpg_public_keys' must be a list")
        keys: list[SigningKey] = []
        for k in raw_keys:
            if not isinstance(k, dict) or not isinstance(k.get("ascii_armor"), str):
                raise InputError(where, "each gpg_public_keys entry needs an 'ascii_armor' string")
            trust = k.get("trust_signature") or ""
            key_id = k.get("key_id") or ""
            if not isinstance(trust, str) or not isinstance(key_id, str):
                raise InputError(where, "'trust_signature' and 'key_id' must be strings")
            keys.append(
                SigningKey(ascii_armor=k["ascii_armor"], trust_signature=trust, key_id=key_id)
            )
        return PackageMeta(
            address=address,
            version=version,
            platform=platform,
            kind=PackageKind.REGISTRY,
            location=resolve("download_url"),
            filename=filename,
            shasum=shasum.lower(),
            shasums_url=resolve("shasums_url"),
            shasums_signature_url=resolve("shasums_signature_url"),
            signing_keys=tuple(keys),
            protocols=protocols,
        )

    # --- 4. SHA256SUMS and signature --------------------------------------------------------

    def fetch_shasums(self, meta: PackageMeta) -> tuple[bytes, bytes]:
        """Return ``(SHA256SUMS document, detached signature)`` for a registry package.

        Fetched without credentials, size-limited, memoised per URL. Raises
        :class:`NetworkError` (including :class:`NotFound`).
        """
        if meta.kind is not PackageKind.REGISTRY or not (
            meta.shasums_url and meta.shasums_signature_url
        ):
            raise ValueError(f"{meta.address} {meta.version}: not a registry package")
        sums_url, sig_url = meta.shasums_url, meta.shasums_signature_url
        doc = self._memoised(
            ("file", sums_url),
            lambda: self._fetcher.get(sums_url, max_bytes=MAX_SHASUMS_BYTES).body,
        )
        sig = self._memoised(
            ("file", sig_url),
            lambda: self._fetcher.get(sig_url, max_bytes=MAX_SIGNATURE_BYTES).body,
        )
        return doc, sig
