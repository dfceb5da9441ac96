"""Provider mirrors: the network mirror protocol and filesystem mirror directories.

* :class:`NetworkMirrorSource` — ``provider-network-mirror-protocol.mdx``: https base URL only;
  ``<base><hostname>/<namespace>/<type>/index.json`` lists versions and
  ``<…>/<version>.json`` lists archives per ``os_arch`` with optional ``hashes``. Both must be
  served as ``application/json``, as Terraform requires; archive URLs resolve against the
  JSON document's final URL. Credentials go with the JSON requests only, never the archives.
* :class:`FilesystemMirrorSource` — ``filesystem_search.go``: packed
  ``HOST/NS/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip`` (name matched
  case-insensitively) and unpacked ``HOST/NS/TYPE/VERSION/OS_ARCH/`` layouts; hostname
  directories are normalised for comparison; anything else is ignored.
* :func:`source_for` / :class:`SourceSelector` — Terraform's ``MultiSource``: the CLI config's
  ``provider_installation`` methods in order, each with ``include``/``exclude`` patterns; with
  no such block, the implied local mirror directories and then the origin registry, which
  excludes every provider found locally.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from depguard.errors import ConfigError, DepguardError, InputError
from depguard.formats.tf_cli_config import (
    DEFAULT_REGISTRY_HOST,
    CliConfig,
    InstallationMethod,
    MethodKind,
    implied_mirror_dirs,
    normalize_hostname,
)
from depguard.model import Platform, ProviderAddress
from depguard.net.fetcher import Fetcher, NotFound, Response
from depguard.net.urls import resolve_url, split_url
from depguard.sources.base import PackageKind, PackageMeta, ProviderSource, json_object
from depguard.sources.tf_registry import RegistrySource

log = logging.getLogger(__name__)

MAX_MIRROR_JSON_BYTES = 8 * 1024 * 1024
_VERSION_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
_PART_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")  # ParseProviderPart, ASCII subset
_PLATFORM_RE = re.compile(r"^([a-z0-9]+)_([a-z0-9]+)$")


def _json_object(resp: Response, what: str) -> dict[str, Any]:
    # Terraform: "response has invalid Content-Type" unless it is application/json.
    if resp.content_type != "application/json":
        raise InputError(
            resp.url,
            f"{what} has invalid Content-Type {resp.content_type or '(none)'!r} "
            "(a network mirror must serve application/json)",
        )
    return json_object(resp, what)


# --- network mirror ----------------------------------------------------------------------


class NetworkMirrorSource:
    """A :class:`ProviderSource` reading a provider network mirror at an https ``base_url``."""

    def __init__(
        self, fetcher: Fetcher, base_url: str, *, cli_config: CliConfig | None = None
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise ConfigError(
                f"{base_url}: a network mirror must be at an https: URL",
                hint="Terraform refuses http:// mirrors too",
            )
        if parts.username is not None or parts.password is not None:
            raise ConfigError(f"{parts.hostname}: a mirror URL must not embed credentials")
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.base_url = parts._replace(path=path, query="", fragment="").geturl()
        self._fetcher = fetcher
        self._cli = cli_config or CliConfig()
        self._lock = threading.Lock()
        self._memo: dict[tuple[Any, ...], Any] = {}

    def __repr__(self) -> str:
        return f"NetworkMirrorSource({self.base_url!r})"

    def describe(self) -> str:
        """``net mirror <base URL>``."""
        return f"net mirror {self.base_url}"

    def _provider_url(self, address: ProviderAddress, leaf: str) -> str:
        # `:hostname` is the provider's origin host (incl. port), not the mirror's.
        host = normalize_hostname(address.hostname)
        rel = "/".join(quote(s, safe=":") for s in (host, address.namespace, address.type, leaf))
        return urljoin(self.base_url, "./" + rel)

    def _get(self, url: str, what: str) -> tuple[Response, dict[str, Any]] | None:
        key = ("json", url)
        with self._lock:
            if key in self._memo:
                hit = self._memo[key]
                if isinstance(hit, DepguardError):
                    raise hit
                return hit  # type: ignore[no-any-return]
        token = self._cli.token_for(urlsplit(url).netloc)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        result: tuple[Response, dict[str, Any]] | None
        try:
            resp = self._fetcher.get(url, max_bytes=MAX_MIRROR_JSON_BYTES, headers=headers)
            result = (resp, _json_object(resp, what))
        except NotFound:
            result = None
        except DepguardError as e:
            with self._lock:
                self._memo[key] = e
            raise
        with self._lock:
            self._memo[key] = result
        return result

    def available_versions(self, address: ProviderAddress) -> tuple[str, ...]:
        """Return the versions in the mirror's ``index.json``.

        Raises :class:`NotFound` (404), :class:`InputError` (malformed or wrong content type)
        or :class:`NetworkError`.
        """
        url = self._provider_url(address, "index.json")
        got = self._get(url, "the mirror version index")
        if got is None:
            raise NotFound(url, f"{url}: {address} is not in network mirror {self.base_url}")
        resp, doc = got
        versions = doc.get("versions")
        if not isinstance(versions, dict):
            raise InputError(resp.url, "'versions' must be an object keyed by version")
        for v in versions:
            if not _VERSION_RE.match(v):
                raise InputError(resp.url, f"invalid version {v!r}")
        return tuple(versions)

    def package_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        """Return the archive the mirror lists for ``platform``, or ``None``.

        ``hashes`` are copied as listed (Terraform accepts an archive matching any of them).
        Raises :class:`InputError` for malformed JSON and :class:`NetworkError` on transport.
        """
        if not _VERSION_RE.match(version):
            raise ValueError(f"not a version: {version!r}")
        url = self._provider_url(address, f"{version}.json")
        got = self._get(url, "the mirror version document")
        if got is None:
            return None
        resp, doc = got
        archives = doc.get("archives")
        if not isinstance(archives, dict):
            raise InputError(resp.url, "'archives' must be an object keyed by os_arch")
        entry = archives.get(str(platform))
        if entry is None:
            return None
        if not isinstance(entry, dict):
            raise InputError(resp.url, f"archive entry for {platform} must be an object")
        raw_url = entry.get("url")
        if not isinstance(raw_url, str) or not raw_url:
            raise InputError(resp.url, f"archive entry for {platform} needs a 'url' string")
        location = resolve_url(resp.url, raw_url) or ""  # "" fails the scheme test
        loc = split_url(location)
        if loc is None or loc.scheme not in ("http", "https") or not loc.hostname:
            raise InputError(resp.url, f"archive URL {raw_url!r} must be an http(s) URL")
        hashes = entry.get("hashes") or []
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise InputError(resp.url, f"hashes for {platform} must be a list of strings")
        filename = loc.path.rsplit("/", 1)[-1]
        return PackageMeta(
            address=address,
            version=version,
            platform=platform,
            kind=PackageKind.NET_MIRROR,
            location=loc._replace(fragment="").geturl(),
            filename=filename,
            hashes=tuple(hashes),
        )


# --- filesystem mirror -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Found:
    version: str
    platform: Platform
    kind: PackageKind
    path: Path
    filename: str


class FilesystemMirrorSource:
    """A :class:`ProviderSource` over a local mirror directory (packed and unpacked layouts).

    The directory is scanned once, on first use. Only the root itself may be a symlink
    (Terraform does not follow symlinks inside the hierarchy, except the final package).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._index: dict[ProviderAddress, list[_Found]] | None = None

    def __repr__(self) -> str:
        return f"FilesystemMirrorSource({str(self.root)!r})"

    def describe(self) -> str:
        """``fs mirror <dir>``."""
        return f"fs mirror {self.root}"

    def _scan(self) -> dict[ProviderAddress, list[_Found]]:
        with self._lock:
            if self._index is None:
                self._index = self._walk()
            return self._index

    @staticmethod
    def _real_dirs(path: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(path) as it:
                return sorted(
                    (e for e in it if e.is_dir(follow_symlinks=False)), key=lambda e: e.name
                )
        except OSError:
            return []

    def _walk(self) -> dict[ProviderAddress, list[_Found]]:
        try:
            root = self.root.resolve(strict=True)
        except OSError as e:
            raise InputError(str(self.root), f"cannot search the filesystem mirror: {e}") from e
        if not root.is_dir():
            raise InputError(str(self.root), "the filesystem mirror is not a directory")
        found: dict[ProviderAddress, list[_Found]] = {}
        for host_e in self._real_dirs(root):
            try:
                host = normalize_hostname(host_e.name)
            except ValueError:
                log.debug("fs mirror %s: ignoring %s (not a hostname)", root, host_e.name)
                continue
            for ns_e in self._real_dirs(Path(host_e.path)):
                ns = ns_e.name.lower()
                if ns == "-":
                    continue  # legacy providers (registry.terraform.io/-/x) are not lockable
                if not _PART_RE.match(ns) or "--" in ns:
                    continue
                for type_e in self._real_dirs(Path(ns_e.path)):
                    typ = type_e.name.lower()
                    if not _PART_RE.match(typ) or "--" in typ:
                        continue
                    addr = ProviderAddress(host, ns, typ)
                    items = self._packages(Path(type_e.path), typ)
                    if items:
                        found.setdefault(addr, []).extend(items)
        return found

    def _packages(self, type_dir: Path, typ: str) -> list[_Found]:
        out: list[_Found] = []
        prefix = f"terraform-provider-{typ}_"
        try:
            entries = sorted(os.scandir(type_dir), key=lambda e: e.name)
        except OSError:
            return out
        for e in entries:
            path = Path(e.path)
            if e.is_dir(follow_symlinks=False):
                # Unpacked: VERSION/OS_ARCH/ (the OS_ARCH directory itself may be a symlink).
                if not _VERSION_RE.match(e.name):
                    continue
                try:
                    plats = sorted(os.scandir(path), key=lambda p: p.name)
                except OSError:
                    continue
                for p in plats:
                    m = _PLATFORM_RE.match(p.name)
                    if not m or not p.is_dir(follow_symlinks=True):
                        continue
                    plat = Platform(m.group(1), m.group(2))
                    out.append(
                        _Found(
                            version=e.name,
                            platform=plat,
                            kind=PackageKind.FS_DIR,
                            path=Path(p.path),
                            filename=f"terraform-provider-{typ}_{e.name}_{plat}.zip",
                        )
                    )
                continue
            # Packed: terraform-provider-TYPE_VERSION_OS_ARCH.zip, case-insensitively.
            name = e.name.lower()
            if not (name.startswith(prefix) and name.endswith(".zip")):
                continue
            if not e.is_file(follow_symlinks=True):
                continue
            info = name[len(prefix) : -len(".zip")].split("_")
            if len(info) < 3 or not _VERSION_RE.match(info[0]):
                continue
            m = _PLATFORM_RE.match(f"{info[1]}_{info[2]}")
            if not m:
                continue
            out.append(
                _Found(
                    version=info[0],
                    platform=Platform(m.group(1), m.group(2)),
                    kind=PackageKind.FS_ARCHIVE,
                    path=path,
                    filename=name,
                )
            )
        return out

    def providers(self) -> frozenset[ProviderAddress]:
        """Every provider with at least one package in the mirror. Raises :class:`InputError`."""
        return frozenset(self._scan())

    def _lookup(self, address: ProviderAddress) -> list[_Found]:
        try:
            key = ProviderAddress(
                normalize_hostname(address.hostname), address.namespace, address.type
            )
        except ValueError:
            return []
        return self._scan().get(key, [])

    def available_versions(self, address: ProviderAddress) -> tuple[str, ...]:
        """Return the versions present for ``address``.

        Raises :class:`NotFound` when the mirror has none and :class:`InputError` when the
        directory cannot be searched.
        """
        versions = tuple(dict.fromkeys(f.version for f in self._lookup(address)))
        if not versions:
            raise NotFound(str(self.root), f"{self.root}: no packages for {address}")
        return versions

    def package_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        """Return the package for ``platform`` (a packed archive is preferred over a
        directory when both exist), or ``None``. Raises :class:`InputError`."""
        matches = [
            f for f in self._lookup(address) if f.version == version and f.platform == platform
        ]
        if not matches:
            return None
        best = min(matches, key=lambda f: (f.kind is not PackageKind.FS_ARCHIVE, str(f.path)))
        return PackageMeta(
            address=address,
            version=version,
            platform=platform,
            kind=best.kind,
            location=str(best.path),
            filename=best.filename,
        )


# --- choosing sources (provider_installation) --------------------------------------------


@dataclass(frozen=True, slots=True)
class ProviderPattern:
    """An include/exclude pattern: ``[HOST/]NAMESPACE/TYPE`` where parts may be ``*``."""

    hostname: str
    namespace: str
    type: str

    @classmethod
    def parse(cls, text: str) -> ProviderPattern:
        """Parse like ``ParseMultiSourceMatchingPatterns``; raise ``ValueError``."""
        parts = text.split("/")
        if len(parts) not in (2, 3):
            raise ValueError(
                f"invalid provider matching pattern {text!r}: must have either two or three "
                "slash-separated segments"
            )
        host = DEFAULT_REGISTRY_HOST
        if len(parts) == 3:
            host = "*" if parts[0] == "*" else normalize_hostname(parts[0])
            parts = parts[1:]
        ns, typ = (p if p == "*" else p.lower() for p in parts)
        for p in (ns, typ):
            if p != "*" and (not _PART_RE.match(p) or "--" in p):
                raise ValueError(f"invalid provider matching pattern {text!r}: bad part {p!r}")
        if host == "*" and not (ns == "*" and typ == "*"):
            raise ValueError(
                f"invalid provider matching pattern {text!r}: hostname can be a wildcard only "
                "if both namespace and provider type are also wildcards"
            )
        if ns == "*" and typ != "*":
            raise ValueError(
                f"invalid provider matching pattern {text!r}: namespace can be a wildcard "
                "only if the provider type is also a wildcard"
            )
        return cls(host, ns, typ)

    def matches(self, address: ProviderAddress) -> bool:
        """Whether ``address`` (hostname normalised) matches the pattern."""
        try:
            host = normalize_hostname(address.hostname)
        except ValueError:
            return False
        return (
            self.hostname in ("*", host)
            and self.namespace in ("*", address.namespace)
            and self.type in ("*", address.type)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Selector:
    """One ``MultiSourceSelector``: a source plus its include/exclude patterns."""

    source: ProviderSource
    include: tuple[ProviderPattern, ...] = ()
    exclude: tuple[ProviderPattern, ...] = ()

    def can_handle(self, address: ProviderAddress) -> bool:
        """Excludes win; no include patterns means "everything" (``CanHandleProvider``)."""
        if any(p.matches(address) for p in self.exclude):
            return False
        return not self.include or any(p.matches(address) for p in self.include)


class MultiSource:
    """The sources that may serve one provider, in priority order (Terraform's MultiSource).

    Versions are the union over all sources; a package comes from the first source that has
    it. A source's :class:`NotFound` means "not here"; any other error stops the search.
    """

    def __init__(self, sources: Sequence[ProviderSource]) -> None:
        self.sources = tuple(sources)

    def __repr__(self) -> str:
        return f"MultiSource({list(self.sources)!r})"

    def describe(self) -> str:
        """The member sources' descriptions, joined by ``, ``."""
        return ", ".join(s.describe() for s in self.sources) or "no installation method"

    def available_versions(self, address: ProviderAddress) -> tuple[str, ...]:
        """Union of the sources' versions (first-seen order). Raises :class:`NotFound` when
        no source has the provider."""
        seen: dict[str, None] = {}
        for src in self.sources:
            try:
                seen.update(dict.fromkeys(src.available_versions(address)))
            except NotFound:
                continue
        if not seen:
            where = self.describe()
            raise NotFound(
                str(address),
                f"{address}: provider not found in any of the search locations ({where})",
            )
        return tuple(seen)

    def package_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        """The first source's package for ``platform``; ``None`` if none has it."""
        for src in self.sources:
            try:
                meta = src.package_meta(address, version, platform)
            except NotFound:
                continue
            if meta is not None:
                return meta
        return None


class SourceSelector:
    """Builds each configured source once and picks, per provider, those that may serve it.

    Raises :class:`ConfigError` for invalid patterns or mirror URLs in the CLI config.
    """

    def __init__(
        self,
        cli_config: CliConfig,
        fetcher: Fetcher,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        registry: RegistrySource | None = None,
        working_dir_mirror: bool = True,
    ) -> None:
        self._cli = cli_config
        # terraform.d/plugins in the working directory is repository content: a caller that
        # judges untrusted trees can refuse to let it act as an implied mirror.
        self._working_dir_mirror = working_dir_mirror
        self._fetcher = fetcher
        self._registry = registry or RegistrySource(fetcher, cli_config)
        self._selectors = self._build(cwd, env)

    @property
    def selectors(self) -> tuple[Selector, ...]:
        """The selectors in priority order."""
        return self._selectors

    def _patterns(
        self, method: InstallationMethod, texts: tuple[str, ...], what: str
    ) -> tuple[ProviderPattern, ...]:
        out = []
        for t in texts:
            try:
                out.append(ProviderPattern.parse(t))
            except ValueError as e:
                where = f" (line {method.line})" if method.line else ""
                raise ConfigError(
                    f"{', '.join(self._cli.paths) or 'CLI config'}{where}: invalid provider "
                    f"{what} pattern in {method.kind.value}: {e}"
                ) from None
        return tuple(out)

    def _build(self, cwd: Path | None, env: Mapping[str, str] | None) -> tuple[Selector, ...]:
        installation = self._cli.provider_installation
        if installation is None:
            return self._implied(cwd, env)
        if installation.dev_overrides:
            log.warning(
                "CLI config dev_overrides are ignored by depguard (Terraform skips the lock "
                "file for those providers): %s",
                ", ".join(a for a, _ in installation.dev_overrides),
            )
        selectors = []
        for m in installation.methods:
            source: ProviderSource
            if m.kind is MethodKind.DIRECT:
                source = self._registry
            elif m.kind is MethodKind.FILESYSTEM_MIRROR:
                # Used as written, like Terraform (no ~ expansion); relative to the cwd.
                source = FilesystemMirrorSource((cwd or Path.cwd()) / m.location)
            else:
                source = NetworkMirrorSource(self._fetcher, m.location, cli_config=self._cli)
            selectors.append(
                Selector(
                    source=source,
                    include=self._patterns(m, m.include, "inclusion"),
                    exclude=self._patterns(m, m.exclude, "exclusion"),
                )
            )
        return tuple(selectors)

    def _implied(self, cwd: Path | None, env: Mapping[str, str] | None) -> tuple[Selector, ...]:
        # implicitProviderSource: existing local dirs first, then the registry, which
        # excludes every provider found locally.
        selectors: list[Selector] = []
        local: set[ProviderAddress] = set()
        base = cwd or Path.cwd()
        for d in implied_mirror_dirs(cwd=cwd, env=env):
            if not self._working_dir_mirror and d == base / "terraform.d" / "plugins":
                log.info("not using %s as an implied mirror (repository content)", d)
                continue
            fs = FilesystemMirrorSource(d)
            try:
                local |= fs.providers()
            except InputError as e:
                log.debug("ignoring implied mirror %s: %s", d, e)
                continue
            selectors.append(Selector(source=fs))
        exclude = tuple(ProviderPattern(a.hostname, a.namespace, a.type) for a in sorted(local))
        selectors.append(Selector(source=self._registry, exclude=exclude))
        return tuple(selectors)

    def source_for(self, address: ProviderAddress) -> MultiSource:
        """Return the sources allowed to serve ``address``, in priority order."""
        return MultiSource([s.source for s in self._selectors if s.can_handle(address)])


def source_for(
    address: ProviderAddress,
    cli_config: CliConfig,
    fetcher: Fetcher,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> MultiSource:
    """Return the source(s) Terraform's ``provider_installation`` rules choose for ``address``.

    For many providers build one :class:`SourceSelector` instead (it memoises its sources).
    Raises :class:`ConfigError` for invalid patterns or an http: network mirror.
    """
    return SourceSelector(cli_config, fetcher, cwd=cwd, env=env).source_for(address)


class InstallationSource:
    """A :class:`ProviderSource` that routes each provider through the CLI config's
    ``provider_installation`` methods, the way ``terraform init`` chooses packages."""

    def __init__(self, selector: SourceSelector) -> None:
        self._selector = selector

    def describe(self) -> str:
        return "the CLI config's provider installation methods"

    def available_versions(self, address: ProviderAddress) -> tuple[str, ...]:
        return self._selector.source_for(address).available_versions(address)

    def package_meta(
        self, address: ProviderAddress, version: str, platform: Platform
    ) -> PackageMeta | None:
        return self._selector.source_for(address).package_meta(address, version, platform)
