"""The ``--offline`` :class:`~depguard.net.fetcher.Fetcher`: answers without opening a socket.

Answers come from, in order:

1. the cache's URL index (what earlier online runs fetched), then
2. *snapshot directories*: static trees laid out as ``<snapshot>/<host>/<url path>``, where a
   host with an explicit port is written ``host_port`` (``localhost:18444`` →
   ``localhost_18444``). A URL whose path ends with ``/`` or names a directory is served from
   ``index.json`` inside it, and ``<path>.json`` may stand for ``<path>`` so static registry
   trees (``…/versions.json`` for ``…/versions``) work unchanged. Query strings are ignored.

Anything else is an :class:`OfflineMiss`. A URL can never name a file outside its snapshot:
``..`` segments (also percent-encoded), absolute paths, backslashes, NUL bytes and symlinks
that resolve outside the snapshot root are all refused.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from depguard.errors import NetworkError
from depguard.net.cache import Cache
from depguard.net.fetcher import (
    DEFAULT_TIMEOUT,
    MAX_ARCHIVE_BYTES,
    MAX_JSON_BYTES,
    Download,
    NotFound,
    OfflineMiss,
    Response,
)

log = logging.getLogger(__name__)


def snapshot_relpath(url: str) -> tuple[str, ...] | None:
    """Return the path segments (host directory first) a URL maps to, or ``None`` if unsafe.

    Pure; used by :class:`OfflineFetcher` and by tools that write snapshots.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if not host.strip(".") or "\\" in host or "\x00" in host:
        return None  # "." / ".." as a host would be a traversal too
    host_dir = f"{host}_{port}" if port is not None else host
    segments: list[str] = [host_dir]
    raw_path = parts.path
    for raw in raw_path.split("/"):
        if raw == "":
            continue
        seg = unquote(raw)
        # Decoded segments must be plain names: no traversal, no separators, no NUL, no drive.
        if seg in (".", "..") or "/" in seg or "\\" in seg or "\x00" in seg:
            return None
        if os.name == "nt" and ":" in seg:  # "C:" would re-root a Windows path
            return None
        segments.append(seg)
    if raw_path.endswith("/") or len(segments) == 1:
        segments.append("index.json")
    return tuple(segments)


def _content_type(path: Path) -> str:
    if path.suffix.lower() == ".json":
        return "application/json"
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class OfflineFetcher:
    """A :class:`Fetcher` that reads only the cache and snapshot directories; no sockets.

    Raises :class:`OfflineMiss` for anything not available locally, :class:`NotFound` when
    the cache recorded a 404 for the URL, and :class:`NetworkError` for a body over the limit.
    """

    def __init__(self, cache: Cache, snapshot_dirs: Sequence[Path] = ()) -> None:
        self._cache = cache
        self._snapshots = tuple(Path(d) for d in snapshot_dirs)

    def __repr__(self) -> str:
        snaps = ", ".join(str(s) for s in self._snapshots)
        return f"OfflineFetcher(cache={self._cache!r}, snapshots=[{snaps}])"

    def _snapshot_file(self, url: str) -> Path | None:
        rel = snapshot_relpath(url)
        if rel is None:
            log.warning("offline: refusing to map unsafe URL %s to a snapshot path", url)
            return None
        for snap in self._snapshots:
            try:
                root = snap.resolve(strict=True)
            except OSError:
                continue
            base = root.joinpath(*rel)
            candidates = [base]
            if rel[-1] != "index.json":
                candidates += [base / "index.json", base.with_name(base.name + ".json")]
            for cand in candidates:
                try:
                    real = cand.resolve(strict=True)
                except OSError:
                    continue
                if not real.is_relative_to(root):
                    log.warning("offline: %s resolves outside snapshot %s; ignoring", cand, root)
                    continue
                if real.is_file():
                    return real
        return None

    def get(
        self,
        url: str,
        *,
        max_bytes: int = MAX_JSON_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
    ) -> Response:
        """Return the cached or snapshot response for ``url``; raise :class:`OfflineMiss`."""
        entry = self._cache.get_entry(url)
        if entry is not None:
            if entry.status == 404 and 404 not in ok_statuses:
                raise NotFound(url)
            if entry.size > max_bytes:
                raise NetworkError(
                    f"{url}: response too large ({entry.size} bytes exceeds the limit of "
                    f"{max_bytes} bytes)"
                )
            body = self._cache.read_blob(entry.sha256)
            if body is not None:
                hdrs = {"x-depguard-cache": "offline"}
                if entry.content_type:
                    hdrs["content-type"] = entry.content_type
                if entry.etag:
                    hdrs["etag"] = entry.etag
                return Response(url=entry.final_url, status=entry.status, body=body, headers=hdrs)
        path = self._snapshot_file(url)
        if path is None:
            raise OfflineMiss(url)
        size = path.stat().st_size
        if size > max_bytes:
            raise NetworkError(
                f"{url}: response too large ({size} bytes exceeds the limit of {max_bytes} bytes)"
            )
        log.debug("offline: %s served from snapshot %s", url, path)
        return Response(
            url=url,
            status=200,
            body=path.read_bytes(),
            headers={"content-type": _content_type(path), "x-depguard-cache": "snapshot"},
        )

    def download(
        self,
        url: str,
        *,
        max_bytes: int = MAX_ARCHIVE_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Download:
        """Return the cached download for ``url``, importing it from a snapshot if needed.

        Raises :class:`OfflineMiss` when neither holds it, :class:`NetworkError` when too big.
        """
        entry = self._cache.get_entry(url)
        if entry is not None and entry.status == 200:
            if entry.size > max_bytes:
                raise NetworkError(
                    f"{url}: download too large ({entry.size} bytes exceeds the limit of "
                    f"{max_bytes} bytes)"
                )
            blob = self._cache.verified_blob(entry.sha256)
            if blob is not None:
                return Download(
                    url=entry.final_url, path=blob, sha256=entry.sha256, size=entry.size
                )
        path = self._snapshot_file(url)
        if path is None:
            raise OfflineMiss(url)
        size = path.stat().st_size
        if size > max_bytes:
            raise NetworkError(
                f"{url}: download too large ({size} bytes exceeds the limit of {max_bytes} bytes)"
            )
        try:
            digest, blob, size = self._cache.import_file(path)
        except OSError as e:
            raise NetworkError(
                f"{url}: cannot copy snapshot file {path} into the cache: {e}"
            ) from e
        return Download(url=url, path=blob, sha256=digest, size=size)
