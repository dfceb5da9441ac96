"""A persistent, content-addressed, atomic cache shared by every depguard command.

Layout under the cache root (relative paths only, so ``actions/cache`` can restore it anywhere)::

    CACHEDIR.TAG                      marks the tree as a cache for backup tools
    blobs/sha256/ab/<hex>             response bodies and downloads, named by their SHA-256
    urls/ab/<sha256(url)>.json        URL index: url -> blob, final url, status, type, etag, time
    derived/<kind>/ab/<sha256(key)>.json   memoised results (e.g. h1 hashes keyed by a zip's sha256)
    tmp/                              temp files; renamed into place with ``os.replace``

Every write goes to a temp file in ``tmp/`` and is renamed into place, so readers (including
other processes sharing the directory) never see a partial file. Nothing read back is trusted:
a blob whose bytes do not hash to its name, or an index entry that does not parse, is a miss
(and is removed), and the caller fetches again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KIND = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CHUNK = 1024 * 1024
_TMP_MAX_AGE = 24 * 3600.0
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by depguard.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_cache_dir() -> Path:
    """Return ``$DEPGUARD_CACHE_DIR``, else the per-user cache directory for depguard.

    Linux/BSD: ``$XDG_CACHE_HOME/depguard`` or ``~/.cache/depguard``; macOS:
    ``~/Library/Caches/depguard``; Windows: ``%LOCALAPPDATA%\\depguard\\Cache``.
    Raises nothing; the directory is created on first write.
    """
    env = os.environ.get("DEPGUARD_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "depguard" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "depguard"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says relative values are ignored
        return Path(xdg) / "depguard"
    return Path.home() / ".cache" / "depguard"


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlEntry:
    """One URL index entry: what a GET of ``url`` returned and where its body is stored."""

    url: str
    sha256: str
    size: int
    final_url: str
    status: int
    content_type: str = ""
    etag: str | None = None
    fetched_at: str = ""  # RFC 3339 UTC; informational (freshness is decided by ETag)
    link: str | None = None  # the Link header (pagination survives a 304 revalidation)

    @classmethod
    def from_json(cls, obj: Any) -> UrlEntry:
        """Build an entry from its JSON form; raise ``ValueError`` when it is malformed."""
        if not isinstance(obj, dict):
            raise ValueError("entry is not an object")
        url, sha, final_url = obj.get("url"), obj.get("sha256"), obj.get("final_url")
        size, status = obj.get("size"), obj.get("status")
        ctype, etag = obj.get("content_type", ""), obj.get("etag")
        fetched = obj.get("fetched_at", "")
        if not (isinstance(url, str) and isinstance(final_url, str) and isinstance(sha, str)):
            raise ValueError("url/final_url/sha256 missing")
        if not _HEX64.match(sha):
            raise ValueError("sha256 is not 64 lower-case hex digits")
        if type(size) is not int or size < 0 or type(status) is not int:
            raise ValueError("size/status not integers")
        if not isinstance(ctype, str) or not isinstance(fetched, str):
            raise ValueError("content_type/fetched_at not strings")
        if etag is not None and not isinstance(etag, str):
            raise ValueError("etag not a string")
        link = obj.get("link")
        if link is not None and not isinstance(link, str):
            raise ValueError("link not a string")
        return cls(
            url=url,
            sha256=sha,
            size=size,
            final_url=final_url,
            status=status,
            content_type=ctype,
            etag=etag,
            fetched_at=fetched,
            link=link,
        )


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class BlobWriter:
    """Streams bytes into a temp file while hashing; :meth:`commit` moves it into the store.

    Use through :meth:`Cache.blob_writer`; if ``commit`` is not reached the temp file is removed.
    """

    def __init__(self, cache: Cache, fh: IO[bytes], tmp_path: Path) -> None:
        self._cache = cache
        self._fh = fh
        self._tmp = tmp_path
        self._hash = hashlib.sha256()
        self.size = 0
        self._done = False

    def write(self, chunk: bytes) -> None:
        """Append ``chunk`` to the blob being written."""
        self._fh.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def commit(self) -> tuple[str, Path]:
        """Finish the blob; return ``(sha256 hex, path in the store)``."""
        self._fh.flush()
        with contextlib.suppress(OSError):
            os.fsync(self._fh.fileno())
        self._fh.close()
        digest = self._hash.hexdigest()
        path = self._cache._install_blob(self._tmp, digest)
        self._done = True
        self._cache._mark_verified(digest, path)
        return digest, path

    def _abort(self) -> None:
        if not self._done:
            with contextlib.suppress(OSError):
                self._fh.close()
            with contextlib.suppress(OSError):
                self._tmp.unlink()


class Cache:
    """A content-addressed store of blobs, a URL index and a derived-results store.

    Safe for concurrent use by threads and by processes sharing ``root``: every file appears
    atomically and blobs are immutable once named. Methods raise ``OSError`` only when the
    cache directory itself is unusable (callers treat the cache as best-effort).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._verified: set[tuple[str, int, int, int]] = set()
        self._lock = threading.Lock()
        self._prepared = False

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    # --- layout -----------------------------------------------------------------------------

    def _prepare(self) -> None:
        if self._prepared:
            return
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            with contextlib.suppress(OSError):
                self._atomic_write(tag, _CACHEDIR_TAG.encode())
        self._prune_tmp()
        self._prepared = True

    def _prune_tmp(self) -> None:
        """Remove temp files a crashed process left behind (older than a day)."""
        cutoff = time.time() - _TMP_MAX_AGE
        with contextlib.suppress(OSError), os.scandir(self.root / "tmp") as it:
            for entry in it:
                with contextlib.suppress(OSError):
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                        Path(entry.path).unlink()

    def blob_path(self, sha256: str) -> Path:
        """Return where the blob named ``sha256`` lives (whether or not it exists)."""
        if not _HEX64.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / "blobs" / "sha256" / sha256[:2] / sha256

    def _entry_path(self, url: str) -> Path:
        key = _sha256_text(url)
        return self.root / "urls" / key[:2] / f"{key}.json"

    def _derived_path(self, kind: str, key: str) -> Path:
        if not _KIND.match(kind):
            raise ValueError(f"invalid derived-result kind {kind!r}")
        digest = _sha256_text(key)
        return self.root / "derived" / kind / digest[:2] / f"{digest}.json"

    @contextlib.contextmanager
    def _temp_file(self) -> Iterator[tuple[IO[bytes], Path]]:
        self._prepare()
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="dl-", suffix=".part")
        path = Path(name)
        fh = os.fdopen(fd, "wb")
        try:
            yield fh, path
        except BaseException:
            with contextlib.suppress(OSError):
                fh.close()
            with contextlib.suppress(OSError):
                path.unlink()
            raise

    def _atomic_write(self, target: Path, data: bytes) -> None:
        """Write ``data`` to ``target`` via a temp file and ``os.replace`` (CONVENTIONS §13)."""
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix="w-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            Path(name).replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(name).unlink()
            raise

    def _install_blob(self, tmp: Path, digest: str) -> Path:
        target = self.blob_path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.replace(target)
        except PermissionError:
            # Windows cannot replace a file another process holds open; the content is
            # identical by construction (same name = same bytes), so keep theirs.
            if not target.exists():
                raise
            with contextlib.suppress(OSError):
                tmp.unlink()
        return target

    # --- blobs ------------------------------------------------------------------------------

    def _mark_verified(self, digest: str, path: Path) -> None:
        with contextlib.suppress(OSError):
            st = path.stat()
            with self._lock:
                self._verified.add((digest, st.st_size, st.st_mtime_ns, st.st_ino))

    def verified_blob(self, sha256: str) -> Path | None:
        """Return the path of blob ``sha256`` if present and its bytes hash to its name.

        A blob that fails the check is deleted and reported as absent. Verification is
        remembered per process (keyed by size, mtime and inode), so repeated hits are cheap.
        """
        path = self.blob_path(sha256)
        try:
            st = path.stat()
        except OSError:
            return None
        key = (sha256, st.st_size, st.st_mtime_ns, st.st_ino)
        with self._lock:
            if key in self._verified:
                return path
        h = hashlib.sha256()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
        except OSError:
            return None
        if h.hexdigest() != sha256:
            log.warning("cache: blob %s is corrupt; discarding it", sha256)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with self._lock:
            self._verified.add(key)
        return path

    def read_blob(self, sha256: str) -> bytes | None:
        """Return the bytes of blob ``sha256``, or ``None`` if absent or corrupt."""
        path = self.blob_path(sha256)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            log.warning("cache: blob %s is corrupt; discarding it", sha256)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return data

    def put_blob(self, data: bytes) -> str:
        """Store ``data``; return its sha256 hex digest."""
        with self.blob_writer() as w:
            w.write(data)
            digest, _ = w.commit()
        return digest

    @contextlib.contextmanager
    def blob_writer(self) -> Iterator[BlobWriter]:
        """Yield a :class:`BlobWriter`; call ``commit()`` before leaving the block.

        Leaving without committing (or by an exception) discards the temp file.
        """
        with self._temp_file() as (fh, path):
            writer = BlobWriter(self, fh, path)
            try:
                yield writer
            finally:
                writer._abort()

    def import_file(self, source: Path) -> tuple[str, Path, int]:
        """Copy ``source`` into the store; return ``(sha256, blob path, size)``.

        Raises ``OSError`` when ``source`` cannot be read.
        """
        with self.blob_writer() as w, source.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                w.write(chunk)
            digest, path = w.commit()
            return digest, path, w.size

    # --- URL index --------------------------------------------------------------------------

    def get_entry(self, url: str) -> UrlEntry | None:
        """Return the index entry for ``url`` whose blob is present and intact, else ``None``."""
        path = self._entry_path(url)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        try:
            entry = UrlEntry.from_json(json.loads(raw))
            if entry.url != url:
                raise ValueError("entry belongs to another URL")
        except (ValueError, UnicodeDecodeError) as e:
            log.warning("cache: index entry for %s is corrupt (%s); ignoring it", url, e)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if self.verified_blob(entry.sha256) is None:
            return None
        return entry

    def put_entry(self, entry: UrlEntry) -> None:
        """Record ``entry`` (its blob must already be stored) atomically."""
        obj = asdict(entry)
        if not obj["fetched_at"]:
            obj["fetched_at"] = _utc_now()
        data = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
        self._prepare()
        self._atomic_write(self._entry_path(entry.url), data)

    def touch_entry(self, entry: UrlEntry) -> None:
        """Record that ``entry`` was revalidated now (a 304 answer)."""
        self.put_entry(
            UrlEntry(
                url=entry.url,
                sha256=entry.sha256,
                size=entry.size,
                final_url=entry.final_url,
                status=entry.status,
                content_type=entry.content_type,
                etag=entry.etag,
                fetched_at=_utc_now(),
            )
        )

    # --- derived results --------------------------------------------------------------------

    def get_derived(self, kind: str, key: str) -> Any | None:
        """Return the JSON value stored for ``(kind, key)``, or ``None`` when absent or corrupt."""
        path = self._derived_path(kind, key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        try:
            obj = json.loads(raw)
            if not isinstance(obj, dict) or obj.get("kind") != kind or obj.get("key") != key:
                raise ValueError("entry does not match its key")
        except (ValueError, UnicodeDecodeError) as e:
            log.warning("cache: derived %s entry is corrupt (%s); ignoring it", kind, e)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return obj.get("value")

    def put_derived(self, kind: str, key: str, obj: Any) -> None:
        """Store the JSON-serialisable ``obj`` for ``(kind, key)`` atomically.

        Raises ``TypeError``/``ValueError`` when ``obj`` is not JSON-serialisable.
        """
        data = json.dumps(
            {"kind": kind, "key": key, "value": obj}, sort_keys=True, separators=(",", ":")
        ).encode()
        self._prepare()
        self._atomic_write(self._derived_path(kind, key), data)
