"""GitHub as aqua uses it: releases, release assets, repository files and attestations.

Endpoints (paths as on github.com; :class:`~depguard.aqua.platform.GitHubUrls` supplies the
bases, so GitHub Enterprise Server and the test server work the same way):

* ``GET {api_url}/repos/{o}/{r}/releases/tags/{tag}`` — one release (aqua's
  ``GetReleaseByTag``); assets carry ``browser_download_url``, ``size`` and, on newer
  releases, ``digest`` (``sha256:<hex>``, read like aqua's ``parseDigest``).
* ``{url}/{o}/{r}/releases/download/{tag}/{name}`` — a release asset (aqua downloads this
  first, without the API; ``pkg/download/github_release.go``).
* ``{raw_url}/{o}/{r}/{ref}/{path}``, falling back to
  ``GET {api_url}/repos/{o}/{r}/contents/{path}?ref={ref}`` — a file in a repository (aqua's
  ``github_content`` packages and registries; ``pkg/download/github_content.go``).
* ``GET {api_url}/repos/{o}/{r}/attestations/sha256:{hex}`` — artifact attestations
  (``gh attestation verify``'s source); a 404 means there are none.

Every URL component is validated (no ``..``, no control characters, no leading ``/``) and
percent-encoded; every JSON answer is checked for shape, and a wrong shape is a
:class:`NetworkError` naming the URL. Tokens, retries, rate limits and ETag revalidation are
the fetcher's business (it sends the token only to the API host). Answers are memoised per
process: many packages share a release.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from depguard.aqua.platform import GitHubUrls
from depguard.errors import DepguardError, InputError, NetworkError, UnsupportedError
from depguard.net.fetcher import MAX_ARCHIVE_BYTES, Download, Fetcher, NotFound, Response
from depguard.net.urls import resolve_url, split_url

__all__ = [
    "API_HEADERS",
    "GitHubSource",
    "Release",
    "ReleaseAsset",
    "parse_digest",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Headers for REST API calls (GitHub's documented media type and API version).
API_HEADERS: Mapping[str, str] = MappingProxyType(
    {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
)
MAX_RELEASE_JSON_BYTES = 8 * 1024 * 1024
MAX_RELEASES_PAGE_BYTES = 32 * 1024 * 1024
MAX_CONTENTS_JSON_BYTES = 48 * 1024 * 1024  # base64 of files up to the raw limit
MAX_ATTESTATIONS_BYTES = 32 * 1024 * 1024
MAX_RAW_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_PAGES = 10
PER_PAGE = 100

_OWNER_REPO = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")
_HEX40 = re.compile(r"[0-9a-f]{40}")
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseAsset:
    """One release asset. ``digest`` is the lower-case hex sha256 GitHub published, if any."""

    name: str
    url: str  # browser_download_url
    size: int
    digest: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """A GitHub release and its assets, keyed by asset name."""

    tag: str
    published_at: str | None
    assets: Mapping[str, ReleaseAsset]
    draft: bool = False
    prerelease: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenPull:
    """An open pull request, as the weekly report lists it."""

    number: int
    title: str
    url: str
    created: str
    author: str
    labels: tuple[str, ...] = ()


def parse_digest(value: object) -> str | None:
    """The lower-case hex of an asset ``digest`` that is exactly ``sha256:<64 hex>``.

    Anything else (absent, another algorithm, wrong length) is ``None``, as in aqua's
    ``parseDigest``: such a digest is not used.
    """
    if not isinstance(value, str) or len(value) != 71 or not value.startswith("sha256:"):
        return None
    hexpart = value[7:]
    return hexpart.lower() if _HEX64.fullmatch(hexpart) else None


# --- input validation ------------------------------------------------------------------------


def _bad_chars(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text) or "\\" in text


def _check_owner_repo(owner: str, repo: str) -> None:
    for what, value in (("owner", owner), ("repository name", repo)):
        if not isinstance(value, str) or not _OWNER_REPO.fullmatch(value) or value in (".", ".."):
            raise InputError(f"{owner}/{repo}", f"invalid GitHub {what} {value!r}")


def _check_ref(value: str, what: str, where: str) -> None:
    """A tag, ref or repository path: slash-separated, no empty/``.``/``..`` components."""
    if not isinstance(value, str) or not value:
        raise InputError(where, f"empty {what}")
    if len(value) > 1024 or _bad_chars(value):
        raise InputError(where, f"invalid {what} {value!r}: control characters or backslash")
    if value.startswith("/"):
        raise InputError(where, f"invalid {what} {value!r}: leading '/'")
    if any(part in ("", ".", "..") for part in value.split("/")):
        raise InputError(where, f"invalid {what} {value!r}: empty, '.' or '..' component")


def _check_asset_name(name: str, where: str) -> None:
    if (
        not isinstance(name, str)
        or not name
        or len(name) > 1024
        or _bad_chars(name)
        or "/" in name
        or name in (".", "..")
    ):
        raise InputError(where, f"invalid release asset name {name!r}")


def _seg(text: str) -> str:
    return quote(text, safe="")


def _path(text: str) -> str:
    return "/".join(_seg(p) for p in text.split("/"))


# --- JSON shape checks -----------------------------------------------------------------------


def _bad(url: str, message: str) -> NetworkError:
    return NetworkError(f"{url}: unexpected GitHub API response: {message}")


def _obj(value: object, url: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(url, f"{what} is not a JSON object")
    return value


def _str(doc: Mapping[str, Any], key: str, url: str, what: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise _bad(url, f"{what} has no string {key!r}")
    return value


def _http_url(value: str, url: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad(url, f"{what} {value!r} is not an http(s) URL")
    return value


def _release_from(doc: object, url: str) -> Release:
    rel = _obj(doc, url, "the release")
    tag = _str(rel, "tag_name", url, "the release")
    published = rel.get("published_at")
    if published is not None and not isinstance(published, str):
        raise _bad(url, "'published_at' is not a string")
    raw_assets = rel.get("assets")
    if not isinstance(raw_assets, list):
        raise _bad(url, "'assets' is not a list")
    assets: dict[str, ReleaseAsset] = {}
    for item in raw_assets:
        a = _obj(item, url, "a release asset")
        name = _str(a, "name", url, "a release asset")
        what = f"asset {name!r}"
        download = _http_url(_str(a, "browser_download_url", url, what), url, what)
        size = a.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _bad(url, f"{what} has no valid 'size'")
        if name in assets:
            log.warning("%s: duplicate release asset %r; keeping the first", url, name)
            continue
        assets[name] = ReleaseAsset(
            name=name, url=download, size=size, digest=parse_digest(a.get("digest"))
        )
    return Release(
        tag=tag,
        published_at=published,
        assets=MappingProxyType(assets),
        draft=rel.get("draft") is True,
        prerelease=rel.get("prerelease") is True,
    )


def _git_blob_sha1(data: bytes) -> str:
    # The contents API's `sha` is the git blob id: sha1("blob <len>\0" + data).
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _next_link(resp: Response, api_origin: tuple[str, str]) -> str | None:
    """The ``rel="next"`` URL of a paginated answer, only if it stays on the API origin."""
    link = resp.headers.get("link", "")
    m = _LINK_NEXT.search(link)
    if m is None:
        return None
    nxt = resolve_url(resp.url, str(m.group(1)))
    parts = split_url(nxt or "")
    if nxt is None or parts is None:
        # Stopping here would silently drop the remaining pages: fail instead.
        raise _bad(resp.url, f"invalid pagination link {str(m.group(1))!r}")
    if (parts.scheme, parts.netloc) != api_origin:
        log.warning("%s: ignoring a pagination link to another origin: %s", resp.url, nxt)
        return None
    return nxt


class GitHubSource:
    """Reads releases, assets, files and attestations from GitHub through a :class:`Fetcher`."""

    def __init__(self, fetcher: Fetcher, urls: GitHubUrls) -> None:
        self._fetcher = fetcher
        self.urls = GitHubUrls(
            url=urls.url.rstrip("/"),
            api_url=urls.api_url.rstrip("/"),
            raw_url=urls.raw_url.rstrip("/"),
        )
        api = urlsplit(self.urls.api_url)
        self._api_origin = (api.scheme, api.netloc)
        self._lock = threading.Lock()
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._inflight: dict[tuple[Any, ...], threading.Lock] = {}

    def __repr__(self) -> str:
        return f"GitHubSource(api_url={self.urls.api_url!r})"

    # --- memoisation ----------------------------------------------------------------------

    def _memoised(self, key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
        """Compute once per process, even when threads ask at the same time; failures are
        remembered too (each costs retries)."""
        with self._lock:
            key_lock = self._inflight.setdefault(key, threading.Lock())
        with key_lock:
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

    def _api_json(self, url: str, max_bytes: int) -> tuple[Response, Any]:
        resp = self._fetcher.get(url, max_bytes=max_bytes, headers=API_HEADERS)
        return resp, resp.json()

    def _repo_api(self, owner: str, repo: str) -> str:
        return f"{self.urls.api_url}/repos/{_seg(owner)}/{_seg(repo)}"

    # --- releases -------------------------------------------------------------------------

    def release(self, owner: str, repo: str, tag: str) -> Release:
        """Return the release for ``tag``.

        Raises :class:`InputError` for an invalid owner/repo/tag, :class:`NotFound` when the
        release does not exist, :class:`NetworkError` on transport failure or a malformed
        answer (naming the URL).
        """
        _check_owner_repo(owner, repo)
        _check_ref(tag, "tag", f"{owner}/{repo}")
        url = f"{self._repo_api(owner, repo)}/releases/tags/{_seg(tag)}"

        def fetch() -> Release:
            _resp, doc = self._api_json(url, MAX_RELEASE_JSON_BYTES)
            rel = _release_from(doc, url)
            if rel.tag != tag:
                raise _bad(url, f"asked for tag {tag!r}, got the release of {rel.tag!r}")
            return rel

        return self._memoised(("release", owner.lower(), repo.lower(), tag), fetch)

    def latest_release(self, owner: str, repo: str) -> Release:
        """Return the latest (non-draft, non-prerelease) release; raises like :meth:`release`."""
        _check_owner_repo(owner, repo)
        url = f"{self._repo_api(owner, repo)}/releases/latest"

        def fetch() -> Release:
            _resp, doc = self._api_json(url, MAX_RELEASE_JSON_BYTES)
            return _release_from(doc, url)

        return self._memoised(("latest", owner.lower(), repo.lower()), fetch)

    def releases(
        self, owner: str, repo: str, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> tuple[Release, ...]:
        """Return releases newest first, reading at most ``max_pages`` pages of 100.

        Raises like :meth:`release` (:class:`NotFound` when the repository does not exist).
        """
        _check_owner_repo(owner, repo)
        base = f"{self._repo_api(owner, repo)}/releases"

        def fetch() -> tuple[Release, ...]:
            out: list[Release] = []
            for page in range(1, max(1, max_pages) + 1):
                url = f"{base}?per_page={PER_PAGE}&page={page}"
                _resp, doc = self._api_json(url, MAX_RELEASES_PAGE_BYTES)
                if not isinstance(doc, list):
                    raise _bad(url, "the release list is not a JSON array")
                out.extend(_release_from(item, url) for item in doc)
                if len(doc) < PER_PAGE:
                    break
            else:
                log.info("%s: stopped after %d pages of releases", base, max_pages)
            return tuple(out)

        return self._memoised(("releases", owner.lower(), repo.lower(), max_pages), fetch)

    def open_pulls(self, owner: str, repo: str) -> tuple[OpenPull, ...]:
        """Return the open pull requests (first 100, newest first): the optional section of
        the weekly report. Raises like :meth:`release`."""
        _check_owner_repo(owner, repo)
        url = f"{self._repo_api(owner, repo)}/pulls?state=open&per_page={PER_PAGE}"

        def fetch() -> tuple[OpenPull, ...]:
            _resp, doc = self._api_json(url, MAX_RELEASES_PAGE_BYTES)
            if not isinstance(doc, list):
                raise _bad(url, "the pull request list is not a JSON array")
            out = []
            for item in doc:
                if not isinstance(item, dict):
                    raise _bad(url, "a pull request is not a JSON object")
                user = item.get("user")
                user = user if isinstance(user, dict) else {}
                labels = item.get("labels")
                labels = labels if isinstance(labels, list) else []
                number = item.get("number")
                if not isinstance(number, int) or isinstance(number, bool):
                    raise _bad(url, "a pull request has no number")
                out.append(
                    OpenPull(
                        number=number,
                        title=str(item.get("title") or ""),
                        url=str(item.get("html_url") or ""),
                        created=str(item.get("created_at") or ""),
                        author=str(user.get("login") or ""),
                        labels=tuple(
                            str(label.get("name"))
                            for label in labels
                            if isinstance(label, dict) and label.get("name")
                        ),
                    )
                )
            return tuple(out)

        return self._memoised(("pulls", owner.lower(), repo.lower()), fetch)

    def release_asset_url(self, owner: str, repo: str, tag: str, name: str) -> str:
        """``{url}/{o}/{r}/releases/download/{tag}/{name}``, components validated and encoded.

        Raises :class:`InputError` for an invalid component.
        """
        _check_owner_repo(owner, repo)
        _check_ref(tag, "tag", f"{owner}/{repo}")
        _check_asset_name(name, f"{owner}/{repo}@{tag}")
        return (
            f"{self.urls.url}/{_seg(owner)}/{_seg(repo)}/releases/download/{_seg(tag)}/{_seg(name)}"
        )

    def download_asset(
        self, owner: str, repo: str, tag: str, name: str, *, max_bytes: int = MAX_ARCHIVE_BYTES
    ) -> Download:
        """Download a release asset into the cache (at most ``max_bytes``).

        Raises :class:`InputError` for invalid components, :class:`NotFound` when the asset
        is not published, :class:`NetworkError` otherwise.
        """
        url = self.release_asset_url(owner, repo, tag, name)
        return self._fetcher.download(url, max_bytes=max_bytes)

    # --- repository files -----------------------------------------------------------------

    def raw(
        self,
        owner: str,
        repo: str,
        ref: str,
        path: str,
        *,
        max_bytes: int = MAX_RAW_BYTES,
        cache_first: bool = False,
    ) -> bytes:
        """Return the bytes of ``path`` at ``ref``.

        Tries ``{raw_url}/{o}/{r}/{ref}/{path}`` first and, when that fails (not found,
        transport error), the contents API. ``cache_first``: a ref the caller pins (by a
        checksum it checks) is read from the cache without asking the server again.
        Raises :class:`InputError` for invalid components, :class:`NotFound` when neither
        has the file, :class:`NetworkError` otherwise (a malformed API answer names its URL).
        """
        _check_owner_repo(owner, repo)
        where = f"{owner}/{repo}"
        _check_ref(ref, "ref", where)
        _check_ref(path, "path", where)

        def fetch() -> bytes:
            raw_url = f"{self.urls.raw_url}/{_seg(owner)}/{_seg(repo)}/{_path(ref)}/{_path(path)}"
            try:
                if cache_first:
                    return self._fetcher.download(raw_url, max_bytes=max_bytes).path.read_bytes()
                return self._fetcher.get(raw_url, max_bytes=max_bytes).body
            except NetworkError as e:
                log.debug("%s failed (%s); trying the contents API", raw_url, e.message)
                raw_error = e
            try:
                return self._contents(owner, repo, ref, path, max_bytes)
            except NetworkError as e:
                raise e from raw_error

        key = ("raw", owner.lower(), repo.lower(), ref, path, max_bytes, cache_first)
        return self._memoised(key, fetch)

    def _contents(self, owner: str, repo: str, ref: str, path: str, max_bytes: int) -> bytes:
        url = f"{self._repo_api(owner, repo)}/contents/{_path(path)}?ref={_seg(ref)}"
        resp, doc = self._api_json(url, min(MAX_CONTENTS_JSON_BYTES, max_bytes * 2 + 65536))
        if isinstance(doc, list):
            raise _bad(url, f"{path} is a directory, not a file")
        obj = _obj(doc, url, "the contents answer")
        kind = obj.get("type")
        if kind != "file":
            raise _bad(url, f"{path} is a {kind!r}, not a file")
        content = obj.get("content")
        encoding = obj.get("encoding")
        size = obj.get("size")
        if isinstance(size, int) and not isinstance(size, bool) and size > max_bytes:
            raise NetworkError(
                f"{url}: file too large ({size} bytes exceeds the limit of {max_bytes} bytes)"
            )
        if encoding == "base64" and isinstance(content, str) and (content or size == 0):
            try:
                data = base64.b64decode("".join(content.split()), validate=True)
            except (ValueError, binascii.Error) as e:
                raise _bad(url, f"'content' is not valid base64 ({e})") from None
        else:
            # Files over 1 MB come without content ("encoding": "none"); fetch download_url.
            download = _http_url(
                _str(obj, "download_url", url, "the contents answer"), url, "download_url"
            )
            data = self._fetcher.get(download, max_bytes=max_bytes).body
        if len(data) > max_bytes:
            raise NetworkError(
                f"{url}: file too large (body exceeds the limit of {max_bytes} bytes)"
            )
        if isinstance(size, int) and not isinstance(size, bool) and size != len(data):
            raise _bad(url, f"{path} has {len(data)} bytes, the answer says {size}")
        sha = obj.get("sha")
        if isinstance(sha, str) and _HEX40.fullmatch(sha) and _git_blob_sha1(data) != sha:
            raise _bad(url, f"the content of {path} does not match its git blob id {sha}")
        log.debug("%s -> %d bytes via the contents API", resp.url, len(data))
        return data

    # --- attestations ---------------------------------------------------------------------

    def attestations(
        self, owner: str, repo: str, sha256: str, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> list[bytes]:
        """Return the Sigstore bundle JSON of every attestation for the artifact ``sha256``.

        A 404 (GitHub's answer when there are none) is ``[]``. Raises :class:`InputError`
        for invalid arguments, :class:`UnsupportedError` when GitHub only offers bundles as
        ``bundle_url`` downloads, :class:`NetworkError` otherwise.
        """
        _check_owner_repo(owner, repo)
        if not isinstance(sha256, str) or not _HEX64.fullmatch(sha256):
            raise InputError(f"{owner}/{repo}", f"invalid sha256 digest {sha256!r}")
        digest = sha256.lower()
        first = f"{self._repo_api(owner, repo)}/attestations/sha256:{digest}?per_page={PER_PAGE}"

        def fetch() -> tuple[bytes, ...]:
            bundles: list[bytes] = []
            url_only = 0
            url: str | None = first
            pages = 0
            while url is not None and pages < max(1, max_pages):
                pages += 1
                try:
                    resp, doc = self._api_json(url, MAX_ATTESTATIONS_BYTES)
                except NotFound:
                    break
                items = _obj(doc, url, "the attestations answer").get("attestations")
                if not isinstance(items, list):
                    raise _bad(url, "'attestations' is not a list")
                for item in items:
                    att = _obj(item, url, "an attestation")
                    bundle = att.get("bundle")
                    if bundle is None and isinstance(att.get("bundle_url"), str):
                        url_only += 1
                        continue
                    bundles.append(json.dumps(_obj(bundle, url, "a bundle")).encode())
                url = _next_link(resp, self._api_origin)
            if not bundles and url_only:
                raise UnsupportedError(
                    f"{first}: GitHub offers these {url_only} attestation(s) only as "
                    "compressed bundle_url downloads, which depguard does not read"
                )
            return tuple(bundles)

        return list(self._memoised(("attestations", owner.lower(), repo.lower(), digest), fetch))
