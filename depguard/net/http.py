"""The online :class:`~depguard.net.fetcher.Fetcher`: the only module that imports ``requests``.

Guarantees (CONVENTIONS §9, DESIGN §3):

* every call has a connect/read timeout and a total deadline for the body, and a byte limit
  enforced while streaming (a ``Content-Length`` over the limit aborts before reading);
* redirects are followed by hand: at most ``max_redirects``, never from https to http, and only
  to the same host or to ``allowed_redirect_hosts``;
* the GitHub token is sent only to the GitHub API host over https, and a caller-supplied
  ``Authorization`` header only to the host it was given for; neither ever appears in an
  exception message, a log line or ``repr``;
* TLS verification is always on; the CA files named by ``REQUESTS_CA_BUNDLE``,
  ``SSL_CERT_FILE``, ``CURL_CA_BUNDLE`` and the directory ``SSL_CERT_DIR`` together form the
  trust store (``requests`` alone ignores ``SSL_CERT_FILE``), else certifi's bundle;
* bounded retries with exponential backoff on connection errors, truncated bodies, 5xx and
  429 (``Retry-After`` and GitHub's rate-limit reset honoured up to a cap);
* JSON/text GETs are revalidated through the cache with ``If-None-Match``; downloads stream to
  a temp file in the cache, hashing as they go, and land atomically in the blob store.
"""

from __future__ import annotations

import email.utils
import logging
import os
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.utils
import urllib3.exceptions
import urllib3.util.ssl_

from depguard import __version__
from depguard.errors import NetworkError
from depguard.net.cache import Cache, UrlEntry
from depguard.net.fetcher import (
    DEFAULT_TIMEOUT,
    MAX_ARCHIVE_BYTES,
    MAX_JSON_BYTES,
    Download,
    NotFound,
    Response,
)
from depguard.net.urls import resolve_url

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_USER_AGENT = f"depguard/{__version__}"
GITHUB_RELEASE_ASSET_HOSTS = frozenset(
    {
        "objects.githubusercontent.com",
        "release-assets.githubusercontent.com",
        "github-releases.githubusercontent.com",
    }
)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_READ_CHUNK = 64 * 1024
_MAX_BACKOFF = 30.0
# Keep-alive connections kept per host: as many as parallel workers (`--jobs`), so a burst of
# downloads from one host (GitHub) reuses TLS connections instead of handshaking per request.
_POOL_HOSTS = 16
_POOL_PER_HOST = 64


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, hostname, port)`` with the scheme's default port filled in."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", "", None
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


_CA_FILE_VARS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


def trust_locations(env: Mapping[str, str] | None = None) -> tuple[tuple[str, ...], str | None]:
    """Return ``(CA files, CA directory)`` named by the environment.

    Files come from ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE`` and ``CURL_CA_BUNDLE`` (all of
    them, de-duplicated: a test or a user setting only ``SSL_CERT_FILE`` is honoured even
    when a global ``REQUESTS_CA_BUNDLE`` exists); the directory from ``SSL_CERT_DIR``.
    """
    env = os.environ if env is None else env
    files = tuple(dict.fromkeys(env[n] for n in _CA_FILE_VARS if env.get(n)))
    return files, env.get("SSL_CERT_DIR") or None


def trust_context(ca_files: Iterable[str], ca_dir: str | None = None) -> ssl.SSLContext | None:
    """An SSL context trusting exactly the given CA files/directory; ``None`` if none loads.

    Verification stays on (``CERT_REQUIRED``, hostname checked by urllib3). Missing or
    unreadable locations are skipped with a warning.
    """
    ctx = urllib3.util.ssl_.create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    loaded = False
    for f in ca_files:
        try:
            ctx.load_verify_locations(cafile=f)
            loaded = True
        except (OSError, ssl.SSLError) as e:
            log.warning("ignoring CA bundle %s: %s", f, e)
    if ca_dir and Path(ca_dir).is_dir():
        ctx.load_verify_locations(capath=ca_dir)
        loaded = loaded or any(Path(ca_dir).iterdir())
    return ctx if loaded else None


class _TrustAdapter(requests.adapters.HTTPAdapter):
    """Routes every HTTPS connection through one SSL context built from the environment."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self._ctx = ctx
        super().__init__(pool_connections=_POOL_HOSTS, pool_maxsize=_POOL_PER_HOST)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ctx
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._ctx
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:
        host, pool = super().build_connection_pool_key_attributes(request, True, cert)
        pool.pop("ca_certs", None)
        pool.pop("ca_cert_dir", None)
        pool["ssl_context"] = self._ctx
        pool["cert_reqs"] = "CERT_REQUIRED"
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, True, cert)  # type: ignore[no-untyped-call]
        # Our context already holds the trust store; don't load certifi on top of it.
        conn.ca_certs = None
        conn.ca_cert_dir = None


class _Retry(Exception):
    """Internal: a transient failure; ``error`` is raised when retries run out."""

    def __init__(self, error: NetworkError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


class HttpFetcher:
    """Fetch URLs over HTTPS with limits, safe redirects, retries and ETag revalidation.

    ``github_token`` is sent as ``Authorization: Bearer`` only to ``github_api_host`` over
    https. All failures are :class:`NetworkError` (404 is :class:`NotFound`) whose message
    starts with the requested URL.
    """

    def __init__(
        self,
        cache: Cache,
        *,
        github_token: str | None,
        github_api_host: str = "api.github.com",
        allowed_redirect_hosts: frozenset[str] = GITHUB_RELEASE_ASSET_HOSTS,
        user_agent: str = DEFAULT_USER_AGENT,
        max_retries: int = 3,
        backoff_factor: float = 0.5,
        max_retry_after: float = 60.0,
        max_redirects: int = 5,
        get_deadline: float = 120.0,
        download_deadline: float = 1800.0,
        ca_files: Iterable[str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        request_timeout: float | None = None,
        max_download_bytes: int | None = None,
    ) -> None:
        self._cache = cache
        # Policy caps (``limits`` in depguard.yaml) tighten what callers ask for, never loosen.
        self._request_timeout = request_timeout
        self._max_download_bytes = max_download_bytes
        self.__token = github_token or None
        self._github_api_host = github_api_host.lower()
        self._allowed_redirect_hosts = frozenset(h.lower() for h in allowed_redirect_hosts)
        self._user_agent = user_agent
        self._max_retries = max(0, max_retries)
        self._backoff_factor = backoff_factor
        self._max_retry_after = max_retry_after
        self._max_redirects = max_redirects
        self._get_deadline = get_deadline
        self._download_deadline = download_deadline
        self._sleep = sleep
        self._session = session or requests.Session()
        env_files, env_dir = trust_locations()
        ctx = trust_context(env_files if ca_files is None else ca_files, env_dir)
        adapter: requests.adapters.HTTPAdapter = (
            _TrustAdapter(ctx)
            if ctx is not None
            else requests.adapters.HTTPAdapter(
                pool_connections=_POOL_HOSTS, pool_maxsize=_POOL_PER_HOST
            )
        )
        if session is None or ctx is not None:
            self._session.mount("https://", adapter)
            self._session.mount("http://", adapter)  # same pool settings for proxies
        # trust_env=False: no ~/.netrc credentials are ever attached (they would follow us to
        # any host); proxies are taken from the environment explicitly per request instead.
        self._session.trust_env = False
        self._secret_headers: set[str] = set()

    def __repr__(self) -> str:
        token = "set" if self.__token else "none"
        return (
            f"HttpFetcher(cache={self._cache!r}, github_api_host={self._github_api_host!r}, "
            f"github_token={token})"
        )

    def _cap_timeout(self, timeout: float) -> float:
        return timeout if self._request_timeout is None else min(timeout, self._request_timeout)

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._session.close()

    # --- public API -------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        max_bytes: int = MAX_JSON_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
    ) -> Response:
        """Return the complete response for ``url`` (see :class:`Fetcher`).

        A 200 is stored in the cache; if the cache holds an entry with an ETag, the request
        is conditional and a 304 answer returns the cached body. Raises :class:`NotFound`
        for 404 (unless listed in ``ok_statuses``) and :class:`NetworkError` otherwise.
        """
        extra = dict(headers or {})
        self._remember_secrets(extra)
        cached = None
        if 200 in ok_statuses and not any(k.lower() == "if-none-match" for k in extra):
            cached = self._cache_lookup(url, max_bytes)
        if cached is not None and cached[0].etag:
            extra["If-None-Match"] = cached[0].etag
        timeout = self._cap_timeout(timeout)
        deadline_s = max(self._get_deadline, timeout)

        def attempt(deadline: float) -> Response:
            resp, final_url = self._open(url, extra, timeout, deadline)
            with resp:
                status = resp.status_code
                if status == 304 and cached is not None:
                    entry, body = cached
                    log.debug("GET %s -> 304, using the cached body", url)
                    try:
                        self._cache.touch_entry(entry)
                    except OSError as e:
                        log.debug("cache: could not update %s: %s", url, e)
                    return Response(
                        url=entry.final_url,
                        status=200,
                        body=body,
                        headers=_cached_headers(entry),
                    )
                if status == 404 and 404 not in ok_statuses:
                    # Remember the 404 so --offline can answer "absent" the same way.
                    self._cache_store(url, final_url, 404, b"", {})
                self._check_status(url, final_url, status, ok_statuses, resp)
                buf = bytearray()
                self._read_body(resp, url, max_bytes, deadline, buf.extend)
                body = bytes(buf)
                hdrs = {k.lower(): v for k, v in resp.headers.items()}
            log.debug("GET %s -> %d (%d bytes)", url, status, len(body))
            if status == 200:
                self._cache_store(url, final_url, status, body, hdrs)
            return Response(url=final_url, status=status, body=body, headers=hdrs)

        return self._with_retries(url, deadline_s, attempt)

    def download(
        self,
        url: str,
        *,
        max_bytes: int = MAX_ARCHIVE_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Download:
        """Stream ``url`` into the content-addressed cache and return where it landed.

        Release archives are immutable, so a URL already in the cache (with an intact blob) is
        answered without a request. Raises like :meth:`get`.
        """
        timeout = self._cap_timeout(timeout)
        if self._max_download_bytes is not None:
            max_bytes = min(max_bytes, self._max_download_bytes)
        hit = self._cache.get_entry(url)
        if hit is not None and hit.status == 200 and hit.size <= max_bytes:
            path = self._cache.verified_blob(hit.sha256)
            if path is not None:
                log.debug("download %s: cache hit %s", url, hit.sha256)
                return Download(url=hit.final_url, path=path, sha256=hit.sha256, size=hit.size)
        deadline_s = max(self._download_deadline, timeout)

        def attempt(deadline: float) -> Download:
            resp, final_url = self._open(url, {}, timeout, deadline)
            with resp:
                self._check_status(url, final_url, resp.status_code, (200,), resp)
                ctype = resp.headers.get("content-type", "")
                with self._cache.blob_writer() as writer:
                    self._read_body(resp, url, max_bytes, deadline, writer.write)
                    digest, path = writer.commit()
                    size = writer.size
            log.debug("download %s -> %s (%d bytes)", url, digest, size)
            try:
                self._cache.put_entry(
                    UrlEntry(
                        url=url,
                        sha256=digest,
                        size=size,
                        final_url=final_url,
                        status=200,
                        content_type=ctype,
                    )
                )
            except OSError as e:
                log.debug("cache: could not index %s: %s", url, e)
            return Download(url=final_url, path=path, sha256=digest, size=size)

        return self._with_retries(url, deadline_s, attempt)

    # --- cache ------------------------------------------------------------------------------

    def _cache_lookup(self, url: str, max_bytes: int) -> tuple[UrlEntry, bytes] | None:
        try:
            entry = self._cache.get_entry(url)
            if entry is None or entry.status != 200 or entry.size > max_bytes:
                return None
            body = self._cache.read_blob(entry.sha256)
        except OSError as e:
            log.debug("cache: lookup of %s failed: %s", url, e)
            return None
        return None if body is None else (entry, body)

    def _cache_store(
        self, url: str, final_url: str, status: int, body: bytes, hdrs: Mapping[str, str]
    ) -> None:
        try:
            digest = self._cache.put_blob(body)
            self._cache.put_entry(
                UrlEntry(
                    url=url,
                    sha256=digest,
                    size=len(body),
                    final_url=final_url,
                    status=status,
                    content_type=hdrs.get("content-type", ""),
                    etag=hdrs.get("etag"),
                    link=hdrs.get("link"),
                )
            )
        except OSError as e:  # the cache is best-effort; the answer is still good
            log.debug("cache: could not store %s: %s", url, e)

    # --- transport --------------------------------------------------------------------------

    def _remember_secrets(self, headers: Mapping[str, str]) -> None:
        for k, v in headers.items():
            if k.lower() in ("authorization", "proxy-authorization", "cookie"):
                value = v.split(" ", 1)[-1]
                if len(value) >= 8:
                    self._secret_headers.add(value)

    def _secrets(self) -> list[str]:
        out = list(self._secret_headers)
        if self.__token:
            out.append(self.__token)
        return out

    def _fail(self, message: str, *, hint: str | None = None) -> NetworkError:
        return NetworkError(_redact(message, self._secrets()), hint=hint)

    def _headers_for(
        self, url: str, extra: Mapping[str, str], first_origin: tuple[str, str, int | None]
    ) -> dict[str, str]:
        """Headers for one hop. Credentials go only where they belong (CONVENTIONS §9)."""
        here = _origin(url)
        hdrs = {
            "User-Agent": self._user_agent,
            "Accept-Encoding": "identity",  # byte limits and Content-Length checks stay exact
            "Accept": "*/*",
        }
        for k, v in extra.items():
            lk = k.lower()
            if lk in ("authorization", "cookie", "proxy-authorization") and here != first_origin:
                continue  # a caller's credentials are for the host they asked for
            if lk == "if-none-match" and here != first_origin:
                continue
            hdrs[k] = v
        if (
            self.__token
            and here[0] == "https"
            and here[1] == self._github_api_host
            and not any(k.lower() == "authorization" for k in hdrs)
        ):
            hdrs["Authorization"] = f"Bearer {self.__token}"
        return hdrs

    def _check_redirect(self, requested: str, current: str, target: str) -> None:
        src, dst = _origin(current), _origin(target)
        reason = None
        if dst[0] not in ("http", "https") or not dst[1]:
            reason = "the target is not an http(s) URL"
        elif src[0] == "https" and dst[0] == "http":
            reason = "it downgrades https to http"
        elif dst[1:] != src[1:] and not (
            dst[1] in self._allowed_redirect_hosts and dst[2] == 443 and dst[0] == "https"
        ):
            reason = (
                f"{dst[1]}:{dst[2]} is neither the origin {src[1]}:{src[2]} nor an allowed "
                "redirect host (those are reached on port 443 only)"
            )
        if reason:
            raise self._fail(f"{requested}: refused redirect from {current} to {target}: {reason}")

    def _send(self, url: str, headers: Mapping[str, str], timeout: float) -> requests.Response:
        """One request, no redirects followed; transport errors become NetworkError/_Retry."""
        try:
            proxies = requests.utils.get_environ_proxies(url)
        except Exception:  # proxy discovery must never break a fetch
            proxies = {}
        try:
            return self._session.get(
                url,
                headers=dict(headers),
                timeout=(min(timeout, 30.0), timeout),
                stream=True,
                allow_redirects=False,
                verify=True,  # never configurable: TLS verification is always on
                proxies=proxies,
            )
        except requests.exceptions.SSLError as e:
            raise self._fail(
                f"{url}: TLS failure ({_short(e)})",
                hint="set SSL_CERT_FILE or REQUESTS_CA_BUNDLE to a CA bundle that trusts "
                "this server",
            ) from e
        except requests.exceptions.Timeout as e:
            raise _Retry(self._fail(f"{url}: timed out after {timeout:g}s")) from e
        except requests.exceptions.ConnectionError as e:
            raise _Retry(self._fail(f"{url}: connection failed ({_short(e)})")) from e
        except (requests.exceptions.RequestException, OSError, ValueError) as e:
            raise self._fail(f"{url}: request failed ({_short(e)})") from e

    def _open(
        self, url: str, extra: Mapping[str, str], timeout: float, deadline: float
    ) -> tuple[requests.Response, str]:
        """Send ``url``, following allowed redirects; return the final response and URL."""
        first = _origin(url)
        if first[0] not in ("http", "https") or not first[1]:
            raise self._fail(f"{url}: not a valid http(s) URL")
        current = url
        for _hop in range(self._max_redirects + 1):
            if time.monotonic() > deadline:
                raise self._fail(f"{url}: timed out (deadline exceeded)")
            resp = self._send(current, self._headers_for(current, extra, first), timeout)
            if resp.status_code not in _REDIRECT_STATUSES:
                return resp, current
            location = resp.headers.get("location")
            resp.close()
            if not location:
                raise self._fail(f"{url}: HTTP {resp.status_code} redirect without a Location")
            target = resolve_url(current, location)
            if target is None:
                raise self._fail(
                    f"{url}: refused redirect from {current} to {location!r}: not a valid URL"
                )
            self._check_redirect(url, current, target)
            log.debug("redirect %s -> %s", current, target)
            current = target
        raise self._fail(f"{url}: too many redirects (more than {self._max_redirects})")

    def _check_status(
        self,
        url: str,
        final_url: str,
        status: int,
        ok_statuses: tuple[int, ...],
        resp: requests.Response,
    ) -> None:
        if status in ok_statuses:
            return
        if status == 404:
            raise NotFound(url)
        where = url if final_url == url else f"{url} (redirected to {final_url})"
        retry_after = self._retry_after(resp)
        if status in _RETRY_STATUSES or retry_after is not None:
            hint = None
            if retry_after is not None and _origin(url)[1] == self._github_api_host:
                hint = "GitHub API rate limit: set GITHUB_TOKEN to raise it"
            raise _Retry(
                self._fail(f"{where}: HTTP {status} {resp.reason or ''}".rstrip(), hint=hint),
                retry_after,
            )
        hint = None
        if status in (401, 403):
            hint = "the server wants credentials (or rejected the ones configured)"
        raise self._fail(f"{where}: HTTP {status} {resp.reason or ''}".rstrip(), hint=hint)

    def _retry_after(self, resp: requests.Response) -> float | None:
        """Seconds to wait from ``Retry-After`` or GitHub's exhausted rate limit, if any."""
        value = resp.headers.get("retry-after")
        if value:
            value = value.strip()
            if value.isdigit():
                return float(value)
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(0.0, when.timestamp() - time.time())
        if resp.status_code in (403, 429) and resp.headers.get("x-ratelimit-remaining") == "0":
            reset = resp.headers.get("x-ratelimit-reset", "")
            if reset.isdigit():
                return max(0.0, float(reset) - time.time())
        return None

    def _read_body(
        self,
        resp: requests.Response,
        url: str,
        max_bytes: int,
        deadline: float,
        write: Callable[[bytes], None],
    ) -> None:
        """Stream the body into ``write``, enforcing the byte limit and the deadline."""
        declared_raw = resp.headers.get("content-length")
        declared = int(declared_raw) if declared_raw and declared_raw.strip().isdigit() else None
        if declared is not None and declared > max_bytes:
            raise self._fail(
                f"{url}: response too large (Content-Length {declared} exceeds the limit of "
                f"{max_bytes} bytes)"
            )
        encoded = resp.headers.get("content-encoding", "identity").strip().lower() not in (
            "",
            "identity",
        )
        received = 0
        raw = resp.raw
        try:
            while True:
                if time.monotonic() > deadline:
                    raise self._fail(f"{url}: timed out reading the body (deadline exceeded)")
                # read1: at most one socket read per call, so the deadline check above runs
                # at least once per read timeout even against a server that trickles bytes.
                chunk = raw.read1(_READ_CHUNK, decode_content=True)
                if not chunk:
                    break
                received += len(chunk)
                if received > max_bytes:
                    raise self._fail(
                        f"{url}: response too large (body exceeds the limit of {max_bytes} bytes)"
                    )
                write(chunk)
        except NetworkError:
            raise
        except urllib3.exceptions.ReadTimeoutError as e:
            raise _Retry(self._fail(f"{url}: timed out reading the body")) from e
        except urllib3.exceptions.SSLError as e:
            raise self._fail(f"{url}: TLS failure while reading the body ({_short(e)})") from e
        except urllib3.exceptions.DecodeError as e:
            raise self._fail(f"{url}: body could not be decoded ({_short(e)})") from e
        except (urllib3.exceptions.HTTPError, OSError) as e:
            if declared is not None and received < declared:
                what = f"received {received} of {declared} bytes, Content-Length mismatch"
            else:
                what = f"connection broken after {received} bytes"
            raise _Retry(self._fail(f"{url}: truncated body ({what})")) from e
        if not encoded and declared is not None and received != declared:
            raise _Retry(
                self._fail(
                    f"{url}: truncated body (received {received} of {declared} bytes, "
                    "Content-Length mismatch)"
                )
            )

    def _with_retries(self, url: str, deadline_s: float, attempt: Callable[[float], _T]) -> _T:
        start = time.monotonic()
        deadline = start + deadline_s
        tries = 0
        while True:
            try:
                return attempt(deadline)
            except _Retry as r:
                tries += 1
                if tries > self._max_retries:
                    self._give_up(r, tries)
                if r.retry_after is not None:
                    delay = r.retry_after
                    if delay > self._max_retry_after:
                        raise self._fail(
                            f"{r.error.message} (server asks to retry after {delay:.0f}s, "
                            f"more than the {self._max_retry_after:.0f}s depguard waits)",
                            hint=r.error.hint,
                        ) from r.error
                else:
                    delay = min(_MAX_BACKOFF, self._backoff_factor * (2 ** (tries - 1)))
                if time.monotonic() + delay > deadline:
                    self._give_up(r, tries)
                log.info("%s; retrying in %.1fs (attempt %d)", r.error.message, delay, tries + 1)
                self._sleep(delay)

    def _give_up(self, r: _Retry, tries: int) -> NoReturn:
        suffix = f" (after {tries} attempts)" if tries > 1 else ""
        raise NetworkError(r.error.message + suffix, hint=r.error.hint) from r.error


def _cached_headers(entry: UrlEntry) -> dict[str, str]:
    hdrs = {"x-depguard-cache": "revalidated"}
    if entry.content_type:
        hdrs["content-type"] = entry.content_type
    if entry.etag:
        hdrs["etag"] = entry.etag
    if entry.link:
        hdrs["link"] = entry.link
    return hdrs


def _short(e: BaseException) -> str:
    """A one-line reason: the innermost cause's class and message, trimmed."""
    inner: BaseException = e
    while True:
        nxt = getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    text = str(inner).strip() or type(inner).__name__
    text = " ".join(text.split())
    return text[:200]
