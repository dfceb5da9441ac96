"""The network boundary: one small interface every upstream source uses.

Only implementations in :mod:`depguard.net` open sockets or read the cache; everything above
talks to a :class:`Fetcher`. Each call carries a byte limit and a timeout (CONVENTIONS §9).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from depguard.errors import NetworkError

# Default limits; callers pass tighter ones where the protocol allows.
MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_TEXT_BYTES = 1 * 1024 * 1024
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """A complete, size-bounded response body. ``url`` is the final URL after redirects."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case keys

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """Decode the body as JSON; raise :class:`NetworkError` naming the URL if it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as e:
            raise NetworkError(f"{self.url}: response is not valid JSON ({e})") from e
        except RecursionError:
            raise NetworkError(f"{self.url}: response JSON is nested too deeply") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    """A body streamed to a local file. ``sha256`` is the lower-case hex digest of the bytes."""

    url: str
    path: Path
    sha256: str
    size: int


class Fetcher(Protocol):
    """Fetches URLs with limits. Implementations: HTTP (online), cache-only (offline)."""

    def get(
        self,
        url: str,
        *,
        max_bytes: int = MAX_JSON_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
    ) -> Response:
        """Return the response for ``url``.

        Raises :class:`NetworkError` on transport failure, timeout, a body over ``max_bytes``,
        a refused redirect, or a status outside ``ok_statuses`` (the message names the URL and
        the status). A 404 is reported as :class:`NotFound` so sources can map it to "absent".
        """
        ...

    def download(
        self,
        url: str,
        *,
        max_bytes: int = MAX_ARCHIVE_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Download:
        """Stream ``url`` into the content-addressed cache and return where it landed.

        The returned file is complete and immutable (written atomically); raises like ``get``.
        """
        ...


class NotFound(NetworkError):
    """The server answered 404 (or the offline cache has no entry for the URL)."""

    def __init__(self, url: str, message: str | None = None) -> None:
        super().__init__(message or f"{url}: not found (HTTP 404)")
        self.url = url


class OfflineMiss(NetworkError):
    """``--offline`` was given and neither the cache nor a snapshot holds the URL."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"{url}: not available offline (not in the cache or any snapshot directory)"
        )
        self.url = url
