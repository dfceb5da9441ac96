"""The network boundary (DESIGN §3): every upstream byte comes through a :class:`Fetcher`.

Importing this package is cheap: ``requests`` is imported only when an online fetcher is made
(start-up time is a budget; ``depguard --help`` must not pay for it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from depguard.net.fetcher import (
    DEFAULT_TIMEOUT,
    MAX_ARCHIVE_BYTES,
    MAX_JSON_BYTES,
    Download,
    Fetcher,
    NotFound,
    OfflineMiss,
    Response,
)

__all__ = ["Download", "Fetcher", "NotFound", "OfflineMiss", "Response", "make_fetcher"]


def make_fetcher(
    *,
    offline: bool,
    cache_dir: Path | None,
    snapshot_dirs: Sequence[Path] = (),
    github_token: str | None = None,
    github_api_host: str = "api.github.com",
    allowed_redirect_hosts: Iterable[str] = (),
    user_agent: str | None = None,
    request_timeout: float | None = None,
    download_timeout: float | None = None,
    max_download_bytes: int | None = None,
) -> Fetcher:
    """Return the fetcher for this run: cache + snapshots when ``offline``, else HTTPS.

    ``cache_dir`` defaults to :func:`depguard.net.cache.default_cache_dir`. Extra
    ``allowed_redirect_hosts`` are added to GitHub's release-asset hosts. ``snapshot_dirs`` are
    consulted only offline. ``request_timeout``, ``download_timeout`` and
    ``max_download_bytes`` are the policy's ``limits``. Raises nothing itself; fetch errors
    surface on use.
    """
    from depguard.net.cache import Cache, default_cache_dir

    cache = Cache(cache_dir if cache_dir is not None else default_cache_dir())
    if offline:
        from depguard.net.offline import OfflineFetcher

        return OfflineFetcher(cache, snapshot_dirs)

    def build() -> Fetcher:
        from depguard.net.http import DEFAULT_USER_AGENT, GITHUB_RELEASE_ASSET_HOSTS, HttpFetcher

        return HttpFetcher(
            cache,
            github_token=github_token,
            github_api_host=github_api_host,
            allowed_redirect_hosts=GITHUB_RELEASE_ASSET_HOSTS | frozenset(allowed_redirect_hosts),
            user_agent=user_agent or DEFAULT_USER_AGENT,
            request_timeout=request_timeout,
            max_download_bytes=max_download_bytes,
            download_deadline=1800.0 if download_timeout is None else download_timeout,
            # a whole small GET (JSON, SHA256SUMS) within the download deadline, and never
            # more than 2 minutes: a server dripping bytes cannot stall a run longer
            get_deadline=120.0 if download_timeout is None else min(120.0, download_timeout),
        )

    return _LazyFetcher(build)


class _LazyFetcher:
    """Builds the HTTPS fetcher on first use: a run that never goes online (a filesystem
    mirror, a fully cached run) does not pay for importing ``requests`` and loading CAs."""

    def __init__(self, build: Callable[[], Fetcher]) -> None:
        self._build = build
        self._fetcher: Fetcher | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"_LazyFetcher({self._fetcher!r})"

    def _get(self) -> Fetcher:
        with self._lock:
            if self._fetcher is None:
                self._fetcher = self._build()
            return self._fetcher

    def get(
        self,
        url: str,
        *,
        max_bytes: int = MAX_JSON_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
    ) -> Response:
        return self._get().get(
            url, max_bytes=max_bytes, timeout=timeout, headers=headers, ok_statuses=ok_statuses
        )

    def download(
        self, url: str, *, max_bytes: int = MAX_ARCHIVE_BYTES, timeout: float = DEFAULT_TIMEOUT
    ) -> Download:
        return self._get().download(url, max_bytes=max_bytes, timeout=timeout)


def github_token_from_env() -> str | None:
    """Return ``GITHUB_TOKEN`` or ``GH_TOKEN`` from the environment (never log the value)."""
    return os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None
