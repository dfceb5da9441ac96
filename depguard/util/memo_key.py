"""The secret that authenticates memoised results in the shared cache.

The cache directory may be restored from ``actions/cache`` or shared between users, so a
derived result stored there (an ``h1:`` computed from an archive) is only trusted when it
carries an HMAC made with a key that lives outside the cache: ``DEPGUARD_CACHE_KEY``, else a
random key created once in the user's config directory. Without a key, nothing is memoised.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_ENV = "DEPGUARD_CACHE_KEY"


def _key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "depguard" / "cache.key"


def memo_key() -> bytes | None:
    """Return the memo key, creating the per-user key file on first use; ``None`` if neither
    the environment nor the file system can provide one."""
    env = os.environ.get(_ENV)
    if env:
        return hashlib.sha256(env.encode("utf-8")).digest()
    path = _key_file()
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data[:32]
    except OSError:
        pass
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The key is written in full to a temporary file and then linked into place, so a
        # crash can never leave a short key file; one left by an older version is replaced.
        fd, tmp = tempfile.mkstemp(prefix=".memo-key.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            if len(path.read_bytes()) < 32:
                Path(tmp).replace(path)
                tmp = None
        return path.read_bytes()[:32]
    except OSError as e:
        log.info("no cache memo key (%s); package hashes will not be memoised", e)
        return None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()


def sign(key: bytes, *parts: str) -> str:
    """Hex HMAC-SHA256 over ``parts`` (NUL-separated)."""
    return hmac.new(key, "\x00".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


def verify(key: bytes, mac: object, *parts: str) -> bool:
    """Whether ``mac`` is the HMAC of ``parts`` under ``key`` (constant-time)."""
    return isinstance(mac, str) and hmac.compare_digest(mac, sign(key, *parts))
