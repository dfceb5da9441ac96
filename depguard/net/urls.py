"""URLs that come from someone else's data (registry answers, ``Location`` and ``Link``
headers, registry templates), taken apart without letting ``urllib`` raise.

``urlsplit`` raises a bare ``ValueError`` for an unbalanced IPv6 bracket (``http://[x``) and
``.port`` for a port that is not a number below 65536; a caller must turn those into its own
error (:class:`~depguard.errors.InputError` for a document, a network error for a header).
"""

from __future__ import annotations

from urllib.parse import SplitResult, urljoin, urlsplit


def split_url(url: str) -> SplitResult | None:
    """``urlsplit(url)``, or None when ``url`` has a malformed host or port."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return None
    return parts


def resolve_url(base: str, ref: str) -> str | None:
    """``ref`` resolved against ``base`` (RFC 3986, like Go's ``URL.ResolveReference``), or
    None when either is malformed in the ways :func:`split_url` refuses."""
    try:
        url = urljoin(base, ref)
    except ValueError:
        return None
    return url if split_url(url) is not None else None
